"""Whole-graph type questions: "How many people are in the graph?", "List all companies.", "Which towns are there?".

The question names an ontology type noun ("people", "companies") or a level noun ("towns": a Location at the
bottom of the LOCATED_IN chain) and nothing else but words about the graph itself ("are there", "in the graph",
"does the graph know"). It names no entity, so the answer is every node of the type (and level), read with one
label scan and a LIMIT: a count past the limit is capped and says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kgqa.graph.schema import GraphSchema
from kgqa.qa.parser.compiler import _label, kind_filter, noun_kind
from kgqa.qa.parser.lexicon import Lexicon, phrase_key, stem
from kgqa.qa.parser.tree import Parse, Var
from kgqa.qa.synthesize import join_words

if TYPE_CHECKING:
    from kgqa.qa.parser.question import QuestionParser

# words that speak of the graph itself, not of a relation: "are there", "in the graph", "does the graph know about"
GRAPH_WORDS = {"are", "is", "there", "in", "the", "graph", "knowledge", "kg", "database", "does", "do", "know"}
GRAPH_WORDS |= {"knows", "about", "exist", "have", "has", "contain", "contains", "hold", "holds", "you"}
GRAPH_WORDS |= {"mentioned", "listed", "stored", "recorded", "all", "every", "any", "this", "known", "here"}
GRAPH_WORDS |= {"of", "data", "dataset", "we"}  # "do you know of", "in the data"
OPENERS = {"which", "what", "list", "name", "show", "give", "find", "return", "get", "count", "enumerate"}
MANY = {"all", "every", "each", "the", "me", "us", "any", "of"}
GENDERED_PLURALS = {"man", "men", "woman", "women", "boy", "boys", "girl", "girls"}
GENERIC = {"place", "organisation", "someone"}  # nouns for a whole type besides its own name ("place": Location)


def type_questions(g: QuestionParser) -> list[Parse]:
    """The whole-graph readings of a question that names no entity (empty when it names one or a relation)."""
    if any(t.startswith("@e") for t in g.t):
        return []
    w = g.word(0)
    bare = False
    if w == "how" and g.word(1) == "many":
        start, count = 2, True
    elif w in OPENERS:
        start, count = g.skip(1, MANY), w == "count"
    else:  # a bare type noun: "people?", "all companies" (nothing may follow it)
        start, count, bare = g.skip(0, MANY), False, True
    out: list[Parse] = []
    for j, etype in g.match(g.lex.types, start):
        rest = g.raw[j:]
        if all(x in GRAPH_WORDS for x in rest) and (rest or w not in {"which", "what"}) and not (bare and rest):
            head = g.type_head(start, j, etype)
            if not set(head.noun.split()) & GENDERED_PLURALS:  # the graph records no gender: refused, see below
                out.append(Parse(head, count=count, qtypes=frozenset([etype]), kind="type"))
    return out


def whole_refusal(toks: list[str], lex: Lexicon, schema: GraphSchema | None = None) -> str:
    """Why a whole-graph type question cannot be answered although its noun is a type noun, or "": the graph
    records no gender ("women"), has no node of the type at all, or no chain to tell its level by."""
    if any(t.startswith("@e") for t in toks) or not toks or toks[0] not in OPENERS | {"how"}:
        return ""
    gendered = [t for t in toks if t in GENDERED_PLURALS]
    if gendered:
        return f"the graph does not record gender, so it cannot tell “{gendered[0]}” from other people"
    from kgqa.qa.parser.lexicon import FILLER
    from kgqa.qa.parser.question import QuestionParser  # it dispatches to this module

    for parse in type_questions(QuestionParser([w for w in toks if w not in FILLER], lex)) if schema else []:
        why = missing_in(parse, lex, schema)
        if why:
            return why
    return ""


def missing_in(parse: Parse, lex: Lexicon, schema: GraphSchema) -> str:
    """What the graph lacks to answer a type parse (its label, or the relation its level is told by), or ""."""
    what = type_plural(parse.answer.noun)
    missing = sorted((parse.answer.types or set()) - set(schema.labels))
    if missing:
        return f"the graph has no {what} (no {missing[0]} entities at all)"
    rel = lex.level_rel.get(next(iter(parse.answer.types or {""})), "")
    if parse.answer.level and rel and rel not in schema.relationship_types:
        return f"the graph has no {rel} facts, so it cannot tell {what} from other places"
    return ""


def compile_type(parse: Parse, lex: Lexicon, limit: int, rel_types: set[str]) -> str:
    """Every node of the type (and its level), a label scan with a LIMIT (the rows are not ordered, so the read
    streams and stops at the limit however large the type is)."""
    etype = next(iter(parse.answer.types or {"Entity"}))
    lines = [f"MATCH (answer:Entity:{_label(etype)})"]
    where = _level_filter(parse.answer, etype, lex)
    kind = kind_filter(lex, parse.answer, "answer", rel_types)
    where += [kind] if kind else []
    if where:
        lines.append("WHERE " + " AND ".join(where))
    lines.append(f"RETURN answer LIMIT {limit}")
    return "\n".join(lines)


def _level_filter(var: Var, etype: str, lex: Lexicon) -> list[str]:
    """A country has nothing above it and something inside it; a region both; a town something above it and nothing
    inside it (over the whole graph a place the graph puts nowhere cannot be told from a country, so it is neither)."""
    rel = lex.level_rel.get(etype)
    if not var.level or not rel:
        return []
    label = _label(etype)
    up = f"(answer)-[:{_label(rel)}]->(:Entity:{label})"
    down = f"(answer)<-[:{_label(rel)}]-(:Entity:{label})"
    return {"top": [f"NOT {up}", down], "middle": [up, down], "leaf": [up, f"NOT {down}"]}[var.level]


def type_plural(noun: str) -> str:
    """The type noun as asked, in the plural: "company" → "companies" ("people" stays)."""
    from kgqa.qa.parser.reading import plural

    return plural(noun.lower())


def general_noun(noun: str, etype: str, lex: Lexicon) -> bool:
    """True when the noun names the whole type ("organizations", "places"), not a kind of it ("companies")."""
    key = phrase_key(noun)
    general = {(stem(etype.lower()),)} | {(stem(w),) for w in GENERIC if lex.types.get((stem(w),)) == etype}
    return key in general or key in lex.levels


def type_measure(parse: Parse, lex: Lexicon) -> str:
    """What a type answer is told by, for its text: "" for the whole type ("people"), the chain for a level ("towns"),
    name and facts for a kind of the ontology ("companies"), else the type in the plural for a kind the graph does not
    tell apart ("organizations" for "publishers")."""
    etype = next(iter(parse.answer.types or {""}))
    if parse.answer.level and etype in lex.level_rel:
        return f"by their place in the {lex.level_rel[etype]} chain"
    if general_noun(parse.answer.noun, etype, lex):
        return ""
    kind, entity = noun_kind(lex, parse.answer), lex.ontology.entity(etype)
    if kind is not None and entity is not None:
        others = [type_plural(k.name) for k in entity.kinds if k is not kind and not k.rest]
        told = f"{type_plural(etype)} that are not {join_words(others, 'or')}" if kind.rest else ""
        return "by name and facts" + (f": {told}" if told else "")
    return type_plural(etype)


def asks_whole_type(toks: list[str], lex: Lexicon) -> bool:
    """True when the words (no entity linked) read as a whole-graph type question."""
    from kgqa.qa.parser.lexicon import FILLER
    from kgqa.qa.parser.question import QuestionParser  # it dispatches to this module

    return bool(type_questions(QuestionParser([w for w in toks if w not in FILLER], lex)))
