"""Superlatives: "which university has the most graduates", "who founded the most companies", "the oldest company".

A *count* superlative counts one relation per candidate answer (the parse's ``counted`` edge) and keeps the
answers with the highest count (``most``) or the lowest count above zero (``fewest``), ties included. An *ordered*
superlative reads a node property the ontology declares for the type (``orderings``: "oldest" → the smallest
``founding_date``); when the graph has no such property the question is refused with that reason. Both are read
from the ontology's phrases and nouns, like every other parse.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kgqa.graph.schema import GraphSchema
from kgqa.qa.model import LinkedEntity
from kgqa.qa.parser.compiler import Compiler, _label, _where, chain_patterns
from kgqa.qa.parser.lexicon import AUX, DET, PREPS, Lexicon
from kgqa.qa.parser.tree import Edge, Parse, Var, leaf_paths, relations

if TYPE_CHECKING:
    from kgqa.qa.parser.question import QuestionParser

# "the most", "the greatest number of": what a count superlative keeps
MOST: dict[tuple[str, ...], str] = {("most",): "most", ("fewest",): "fewest", ("least",): "fewest"}
for _w in ("greatest", "largest", "highest", "biggest"):
    MOST[(_w, "number", "of")] = "most"
for _w in ("smallest", "lowest"):
    MOST[(_w, "number", "of")] = "fewest"
SUPERLATIVE_WORDS = {w for k in MOST for w in k}
OPENERS = {"which", "what", "who", "whom", "where"}
HAVE = {"has", "have", "had"}
MAX_FACTS = 5  # counted facts returned per answer, for citations


def asks_superlative(toks: list[str], lex: Lexicon) -> bool:
    """True when the words hold a count superlative ("most") or an ordering word of the ontology ("oldest")."""
    if any(w in {"most", "fewest", "least"} for w in toks):
        return True
    return any(_has(toks, phrase) for _t, phrase, _o, _d in lex.orderings)


def _has(toks: list[str], phrase: tuple[str, ...]) -> bool:
    return any(tuple(toks[i : i + len(phrase)]) == phrase for i in range(len(toks) - len(phrase) + 1))


def superlatives(g: QuestionParser, i: int) -> list[Parse]:
    """Every superlative reading of the question from its question word at ``i``."""
    if g.word(i) not in OPENERS:
        return []
    out: list[Parse] = []
    for head, j, qtypes in _heads(g, i):
        out += _have(g, head, j, qtypes) + _verb(g, head, j, qtypes) + _gap(g, head, j, qtypes)
        out += _ordered(g, head, j, qtypes)
    return out


def _heads(g: QuestionParser, i: int) -> list[tuple[Var, int, frozenset[str] | None]]:
    """The answer's head: "which university", "which city of X" (inside X), or a bare who/which/where."""
    w = g.word(i)
    if w in {"who", "whom"}:
        return [(Var(), i + 1, frozenset(g.lex.qwords.get(w, set()) | {"Person", "Organization"}))]
    if w == "where":
        return [(Var(), i + 1, frozenset(g.lex.qwords.get("where", set())))]
    out: list[tuple[Var, int, frozenset[str] | None]] = [(Var(), i + 1, None)]
    for j, etype in g.match(g.lex.types, i + 1):
        head = g.type_head(i + 1, j, etype)
        out.append((head, j, None))
        rel = g.lex.level_rel.get(etype)  # "which city of Norvania": a city inside Norvania
        if rel and g.word(j) in {"of", "in"} and g.at(j + 1).startswith("@e"):
            inside = head.with_edges([Edge(rel, True, Var(const=int(g.at(j + 1)[2:])))])
            inside.noun = " ".join(g.raw[i + 1 : j + 2])
            out.append((inside, j + 2, None))
    return out


def _most(g: QuestionParser, i: int) -> tuple[str, int, str] | None:
    """ "the most" / "the fewest" at i: (most|fewest, index after it, the words)."""
    j = g.skip(i, DET)
    for size in (3, 1):
        key = tuple(g.raw[j : j + size])
        if key in MOST:
            return MOST[key], j + size, " ".join(key)
    return None


def _superlative(
    head: Var, qtypes: frozenset[str] | None, counted: Edge, most: tuple[str, int, str], phrase: str
) -> Parse:
    order, _, word = most
    return Parse(head, qtypes=qtypes, kind="superlative", counted=counted, order=order, word=word, phrase=phrase)


def _have(g: QuestionParser, head: Var, j: int, qtypes: frozenset[str] | None) -> list[Parse]:
    """ "Which university has the most graduates": a relational noun counted per answer."""
    if g.word(j) not in HAVE or (most := _most(g, j + 1)) is None:
        return []
    k = most[1]
    out: list[Parse] = []
    for m, senses in g.match(g.lex.nouns, k):
        if m != g.n:
            continue
        noun = " ".join(g.raw[k:m])
        phrase = f"with the {most[2]} {noun}"
        for s in senses:  # "graduate of X": (graduate)-[STUDIED_AT]->(X), so X's edge points in
            out.append(_superlative(head, qtypes, Edge(s.rel, not s.subject_role, Var(noun=noun)), most, phrase))
    return out + _have_type(g, head, most, qtypes)


def _have_type(g: QuestionParser, head: Var, most: tuple[str, int, str], qtypes: frozenset[str] | None) -> list[Parse]:
    """ "Which town has the most companies based in it": a type noun, a participle, the answer as "it"."""
    k = most[1]
    out: list[Parse] = []
    for e, etype in g.match(g.lex.types, k):
        counted = g.type_head(k, e, etype)
        for f, sense in g.verbs_at(e):
            if g.raw[f:] == ["it"] and sense.prep_final:  # (counted) verb (answer): the answer's edge points in
                phrase = " ".join([f"with the {most[2]}", *g.raw[k:]])
                out.append(_superlative(head, qtypes, Edge(sense.rel, not sense.forward, counted), most, phrase))
    return out


def _verb(g: QuestionParser, head: Var, j: int, qtypes: frozenset[str] | None) -> list[Parse]:
    """ "Who founded the most companies": a verb, then the counted type."""
    out: list[Parse] = []
    start = g.skip(j, AUX)
    for k, sense in g.verbs_at(start):
        if (most := _most(g, k)) is None:
            continue
        m = most[1]
        for e, etype in g.match(g.lex.types, m):
            if e == g.n:
                counted = g.type_head(m, e, etype)
                phrase = "that " + " ".join(g.raw[start:])
                out.append(_superlative(head, qtypes, Edge(sense.rel, sense.forward, counted), most, phrase))
    return out


def _gap(g: QuestionParser, head: Var, j: int, qtypes: frozenset[str] | None) -> list[Parse]:
    """ "In which city are the most companies headquartered": the counted type is the verb's subject."""
    k = g.skip(j, AUX)
    if k == j or (most := _most(g, k)) is None:
        return []
    m = most[1]
    out: list[Parse] = []
    for e, etype in g.match(g.lex.types, m):
        counted = g.type_head(m, e, etype)
        verb = g.raw[e:] if g.word(e).endswith("ed") else []  # "headquartered" reads well; "study at" does not
        phrase = " ".join(
            [f"with the {most[2]}", *g.raw[m:e], *(verb[:-1] if verb[-1:] and verb[-1] in PREPS else verb)]
        )
        for f, sense in g.verbs_at(e, gap_end=True):
            if f == g.n:  # (counted) verb (answer): forward means the answer's edge points in
                out.append(_superlative(head, qtypes, Edge(sense.rel, not sense.forward, counted), most, phrase))
    return out


def _ordered(g: QuestionParser, head: Var, j: int, qtypes: frozenset[str] | None) -> list[Parse]:
    """ "Which is the oldest company", "Which company was founded first", "Who is the youngest person"."""
    k = g.skip(g.skip(j, AUX), DET)
    if k == j:
        return []
    out: list[Parse] = []
    for etype, phrase, ordering, direction in g.lex.orderings:
        end = k + len(phrase)
        if tuple(g.raw[k:end]) != phrase:
            continue
        var = head
        if head.types is None and not head.edges:  # "which is the oldest company": the type noun follows
            var = next((g.type_head(end, e, t) for e, t in g.match(g.lex.types, end) if e == g.n), head)
            end = g.n if var is not head else end
            if var is head and qtypes and etype not in qtypes:
                continue
        if end != g.n or head.edges or (var.types is not None and etype not in var.types):
            continue
        answer = Var(types=frozenset([etype]), noun=var.noun or etype.lower())
        word = " ".join(phrase)
        out.append(
            Parse(
                answer,
                qtypes=qtypes,
                kind="ordered",
                order=direction,
                prop=ordering.property,
                prop_what=ordering.what,
                word=word,
            )
        )
    return out


def compile_superlative(parse: Parse, schema: GraphSchema, lex: Lexicon, limit: int, chain: int) -> str | None:
    """Cypher for a count superlative (the best count first, then the answers that have it) or an ordered one."""
    if parse.kind == "ordered":
        return _compile_ordered(parse, lex, limit)
    if parse.counted is None:
        return None
    agg = "max" if parse.order == "most" else "min"
    first, x, _ = _body(parse, schema, lex, chain, named=False)
    again, _, n_paths = _body(parse, schema, lex, chain, named=True)
    chains = [f"p{k}" for k in range(n_paths)]
    collected = f", collect([{', '.join(chains)}])[0..1] AS chains" if chains else ""
    returned = "[facts, chains]" if chains else "facts"
    return "\n".join(
        [
            *first,
            f"WITH answer, count(DISTINCT {x}) AS n",
            f"WITH {agg}(n) AS best",
            *again,
            f"WITH answer, best, count(DISTINCT {x}) AS n, collect(path)[0..{MAX_FACTS}] AS facts{collected}",
            "WHERE n = best",
            f"RETURN answer, n AS count, {returned} AS path",
            f"ORDER BY answer.name LIMIT {limit}",
        ]
    )


def _body(parse: Parse, schema: GraphSchema, lex: Lexicon, chain: int, *, named: bool) -> tuple[list[str], str, int]:
    """The MATCH lines of the answer's constraints and its counted edge, the counted variable's name, and how many
    constraint paths there are."""
    assert parse.counted is not None
    comp = Compiler(schema, lex, max(1, min(chain, 4)))
    comp.name(parse.answer, is_answer=True)
    patterns = chain_patterns(comp, parse, list(leaf_paths(parse.answer, [])))
    lines = [f"MATCH {f'p{k} = ' if named else ''}{p}" for k, p in enumerate(patterns)]
    counted = parse.counted.other
    x = comp.name(counted)
    text = comp.node(counted) + comp.hop(parse.counted, parse.answer) + comp.node(parse.answer, True)
    lines.append(f"MATCH {'path = ' if named else ''}{text}")
    where = _where(comp, parse)
    if where:
        lines.append("WHERE " + " AND ".join(where))
    return lines, x, len(patterns)


def _compile_ordered(parse: Parse, lex: Lexicon, limit: int) -> str:
    """The smallest (``asc``) or largest value of the property, then every entity of the type that has it."""
    label = _label(next(iter(parse.answer.types or {"Entity"})))
    prop = _label(parse.prop)
    agg = "min" if parse.order == "asc" else "max"
    return "\n".join(
        [
            f"MATCH (v:Entity:{label}) WHERE v.{prop} IS NOT NULL",
            f"WITH {agg}(v.{prop}) AS best",
            f"MATCH (answer:Entity:{label}) WHERE answer.{prop} = best",
            "RETURN answer, best AS measure",
            f"ORDER BY answer.name LIMIT {limit}",
        ]
    )


def parse_relations(parse: Parse) -> set[str]:
    """Every relation type a parse uses, its counted edge included."""
    out = relations(parse.answer)
    if parse.counted is not None:
        out.add(parse.counted.rel)
    return out


def has_property(parse: Parse, schema: GraphSchema) -> bool:
    """True when the graph's nodes of the ordered type carry the property ordered by."""
    keys = {k for t in parse.answer.types or [] for k in schema.node_properties.get(t, [])}
    return parse.prop in keys | set(schema.node_properties.get("Entity", []))


def superlative_key(parse: Parse) -> str:
    """What tells superlative parses with the same answer tree apart (for de-duplication)."""
    if parse.counted is None:
        return parse.order + parse.prop
    c = parse.counted
    return f"{c.rel}{'>' if c.out else '<'}{sorted(c.other.types or [])}{parse.order}"


def measure(parse: Parse) -> str:
    """What a superlative measures: the counted noun as asked ("graduates") or the property ("founding dates")."""
    if parse.kind == "ordered":
        return parse.prop_what
    if parse.counted is not None:
        return parse.counted.other.noun
    return ""


def head_noun(var: Var, linked: list[LinkedEntity]) -> str:
    """The answer's noun as asked, with linked names: "city of Norvania"; "" for who/which alone."""
    words_ = []
    for w in var.noun.split():
        k = int(w[2:]) if w.startswith("@e") and w[2:].isdigit() else -1
        words_.append(linked[k].name if 0 <= k < len(linked) else w)
    return " ".join(words_)


def superlative_reading(parse: Parse, linked: list[LinkedEntity]) -> str:
    """ "The university with the most graduates", "The oldest organization"."""
    noun = head_noun(parse.answer, linked) or "one"
    if parse.kind == "ordered":
        return f"The {parse.word} {noun}"
    return f"The {noun} {parse.phrase}"


def superlative_refusal(toks: list[str], schema: GraphSchema, lex: Lexicon) -> str:
    """Why a superlative question cannot be answered, when no query could be built for it; else ""."""
    for etype, phrase, ordering, _direction in lex.orderings:
        if not _has(toks, phrase) or not _asks_type(toks, etype, lex):
            continue
        probe = Parse(Var(types=frozenset([etype])), prop=ordering.property)
        if not has_property(probe, schema):
            return (
                f"the graph has no {ordering.what} (no {ordering.property} property on {etype} entities), "
                f"so it cannot say which is {' '.join(phrase)}"
            )
    for k, w in enumerate(toks):
        if w in {"most", "fewest", "least"} and not [t for t in toks[k + 1 :] if t not in DET | AUX]:
            return f"“{w}” needs something to count, as in “Which company has the most employees?”"
    return ""


def _asks_type(toks: list[str], etype: str, lex: Lexicon) -> bool:
    """The question names the type ("company") or asks with one of its question words, or names no type."""
    from kgqa.qa.parser.lexicon import stem

    named = {
        t for size in (1, 2, 3) for i in range(len(toks)) if (t := lex.types.get(tuple(map(stem, toks[i : i + size]))))
    }
    if named:
        return etype in named
    return not toks or etype in lex.qwords.get(toks[0], {etype})
