"""The parser as a Cypher generator: every parse of a question, compiled and ranked, then example templates."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from kgqa.graph.schema import GraphSchema
from kgqa.qa.generate import DEFAULT_LIMIT, CypherCandidate, ExampleLike, entity_params
from kgqa.qa.model import LinkedEntity
from kgqa.qa.parser.compiler import compile_parse
from kgqa.qa.parser.lexicon import AUX, FILLER, PREPS, Lexicon, lexicon, strip_courtesy, words
from kgqa.qa.parser.question import QuestionParser
from kgqa.qa.parser.rank import answer_types, misfit, score
from kgqa.qa.parser.reading import claim, humanise
from kgqa.qa.parser.superlative import has_property, measure, parse_relations, superlative_key, superlative_reading
from kgqa.qa.parser.tree import Parse, Var, anchored, depth, fingerprint, has_bare_edge, size, uses_all
from kgqa.qa.parser.whole import missing_in, type_measure, type_plural


@dataclass
class ParsedQuery:
    """A parse with its Cypher, its ranking score (lower is better) and a description of its tree."""

    parse: Parse
    cypher: str
    score: float
    description: str


def placeholder_question(question: str, spans: list[tuple[int, int]]) -> str:
    """The question with each linked span replaced by ``@e<k>`` (k = order in ``spans``)."""
    out = question
    for k, (start, end) in sorted(enumerate(spans), key=lambda x: -x[1][0]):
        out = out[:start] + f" @e{k} " + out[end:]
    return out


BARE_UNSUPPORTED = {"superlative", "ordered", "type", "same"}  # kinds compiled without bare-variable chains


def anchored_parse(parse: Parse) -> bool:
    """A linked entity to start from: in the tree, or the yes/no question's subject."""
    return parse.subject is not None or anchored(parse.answer)


def _usable(parse: Parse, n_linked: int, max_hops: int) -> bool:
    """Anchored, using every linked entity, and within the hop limits."""
    if has_bare_edge(parse.answer) and (parse.kind in BARE_UNSUPPORTED or not anchored_parse(parse)):
        return False  # "who works for a company": no entity to start from (a whole-graph question reads that)
    if not uses_all(parse.answer, n_linked, parse.subject) or size(parse.answer) > max_hops + n_linked - 1:
        return False
    return depth(parse.answer) <= max_hops


def _front_question_word(toks: list[str]) -> list[str]:
    """A question word left in place after a named subject, moved to the front: "X is in what country" → "what
    country is X in", "X has how many kids" → "how many kids does X have"."""
    if len(toks) < 4 or not toks[0].startswith("@e") or toks[1] not in AUX:
        return toks
    k = next((i for i, w in enumerate(toks) if w in {"what", "which", "how"}), 0)
    if k < 2 or (toks[k] == "how" and toks[k + 1 : k + 2] != ["many"]):
        return toks
    head, subject, verb, rest = toks[k:], toks[0], toks[1], toks[2:k]
    if verb in {"has", "have"} and not rest:  # "X has how many kids"
        return [*head, "does", subject, "have"]
    return [*head, verb, subject, *rest]


def _resolve_there(toks: list[str], linked: list[LinkedEntity], lex: Lexicon) -> list[str]:
    """ "born in Lunesse but not living there": "there" stands for "in" the one place named before it (not the
    existential "are there")."""
    out: list[str] = []
    places: set[str] = set()  # the place placeholders seen so far
    for k, w in enumerate(toks):
        if w == "there" and k > 0 and toks[k - 1] not in AUX and len(places) == 1:
            place = next(iter(places))
            out += [place] if toks[k - 1] in PREPS else ["in", place]  # "live there" = "live in X"
            continue
        k_linked = int(w[2:]) if w.startswith("@e") and w[2:].isdigit() else len(linked)
        if k_linked < len(linked) and linked[k_linked].type in lex.level_rel:
            places.add(w)
        out.append(w)
    return out


def parse_question(
    question: str,
    spans: list[tuple[int, int]],
    linked: list[LinkedEntity],
    schema: GraphSchema,
    *,
    ontology: str | None = None,
    limit: int = DEFAULT_LIMIT,
    max_hops: int = 4,
) -> list[ParsedQuery]:
    """All parses of a question whose linked entities sit at ``spans``, best first."""
    lex = lexicon(ontology)
    text = placeholder_question(question, spans)
    toks = _resolve_there(
        _front_question_word([w for w in strip_courtesy(words(text)) if w not in FILLER]), linked, lex
    )
    results: list[ParsedQuery] = []
    seen: set[str] = set()
    for parse in QuestionParser(toks, lex).question():
        if not _usable(parse, len(linked), max_hops) or misfit(parse, linked, lex):
            continue
        key = fingerprint(parse.answer) + str(parse.count) + parse.kind + superlative_key(parse)
        if key in seen:
            continue
        seen.add(key)
        cypher = compile_parse(parse, schema, lex, limit, max_hops)
        if cypher is None:
            continue
        fit = parse if parse.counted is None else Parse(parse.answer.with_edges([parse.counted]), qtypes=parse.qtypes)
        results.append(ParsedQuery(parse, cypher, score(fit, linked, schema, lex), parse.answer.describe(linked)))
    results.sort(key=lambda r: r.score)
    return results


class ParserGenerator:
    """The offline :class:`~kgqa.qa.generate.CypherGenerator`: parses first, then example templates."""

    name = "parser"
    reads_whole_question = True  # its queries use every word of the question: an empty result is the answer

    def __init__(self, spans: list[tuple[int, int]], *, ontology: str | None = None, max_hops: int = 4) -> None:
        self.spans = spans
        self.ontology = ontology
        self.max_hops = max_hops

    def candidates(
        self,
        question: str,
        linked: list[LinkedEntity],
        schema: GraphSchema,
        examples: list[ExampleLike],
        feedback: str | None = None,
    ) -> Iterator[CypherCandidate]:
        yield from self._parsed(question, linked, schema)
        for k, ex in enumerate(examples):
            rebound = rebind_example(ex, linked)
            if rebound is not None:
                yield CypherCandidate(
                    cypher=rebound[0],
                    params=rebound[1],
                    source=f"example:{getattr(ex, 'id', k)}",
                    description=f"like “{ex.question}”",
                )

    def _parsed(self, question: str, linked: list[LinkedEntity], schema: GraphSchema) -> Iterator[CypherCandidate]:
        """A candidate per parse, best first, skipping parses the graph has no relationship types for."""
        parses = parse_question(question, self.spans, linked, schema, ontology=self.ontology, max_hops=self.max_hops)
        params = entity_params(linked)
        known = set(schema.relationship_types)
        for pq in parses:
            complete = schema.types_complete or not schema.sampled
            if known and complete and not parse_relations(pq.parse) <= known:
                continue  # the graph has no such relationship type: the query cannot answer
            if pq.parse.kind == "type" and complete and missing_in(pq.parse, lexicon(self.ontology), schema):
                continue  # no node of the type, or no chain for its level: refused with the reason (``whole_refusal``)
            if pq.parse.kind == "ordered" and not has_property(pq.parse, schema):
                continue  # the graph has no such property: refused with the reason when nothing else reads it
            cand = self._candidate(pq, linked, params)
            if pq.parse.kind == "same":
                cand.premises = same_premises(pq.parse, linked, schema, self.ontology, self.max_hops)
            yield cand

    def _candidate(self, pq: ParsedQuery, linked: list[LinkedEntity], params: dict[str, str]) -> CypherCandidate:
        """The candidate of one parse: its kind, the type and level it asks for, and its reading."""
        parse = pq.parse
        kind = "count" if parse.count else parse.kind
        listed = {"list", "count", "same", "superlative", "ordered", "type"}
        types = answer_types(parse, linked, self.ontology) if kind in listed else None
        hint = "count" if parse.count else (sorted(types)[0] if types and len(types) == 1 else None)
        if parse.kind == "type":  # "how many people are in the graph": the type asked for, and what it is
            kind, description = "type", type_plural(parse.answer.noun)
        elif kind in {"yes_no", "same"}:
            description = claim(parse, linked, self.ontology)
        elif kind in {"superlative", "ordered"}:
            description = superlative_reading(parse, linked)
        else:
            description = humanise(parse, linked, self.ontology, many=kind == "count")
        lex = lexicon(self.ontology)
        asked, level = "", None
        if parse.answer.level and types and len(types) == 1:
            rel = lex.level_rel.get(next(iter(types)), "")
            asked = f"{parse.answer.noun}: {parse.answer.level} of the {rel} chain"
            level = (parse.answer.level, rel, parse.answer.noun) if rel else None
        return CypherCandidate(
            cypher=pq.cypher,
            params=dict(params),
            source="parser",
            answer_type_hint=hint,
            description=description,
            description_one=_one(humanise(parse, linked, self.ontology)) if kind == "count" else "",
            description_many=_many(humanise(parse, linked, self.ontology, many=True)) if kind == "list" else "",
            kind=kind,
            asked=asked,
            measure=type_measure(parse, lex) if kind == "type" else measure(parse),
            level=level,
        )


def _many(reading: str) -> str:
    """ "People that were born in X" → "The people that were born in X", to head a list of several."""
    if not reading or reading.lower().startswith("those"):
        return reading
    return f"The {reading[:1].lower()}{reading[1:]}"


def _one(reading: str) -> str:
    """ "The book that ..." → "book that ...", to follow "1"."""
    return reading[4:] if reading[:4].lower() == "the " else ""


def same_premises(
    parse: Parse, linked: list[LinkedEntity], schema: GraphSchema, ontology: str | None, max_hops: int
) -> list[tuple[str, str]]:
    """ "Were A and B born in the same country?": a query per side for its own country, and what it finds."""
    lex = lexicon(ontology)
    head = parse.answer
    out: list[tuple[str, str]] = []
    for edge in head.edges:
        side = Parse(Var(head.const, head.types, [edge], head.level, head.noun))
        cypher = compile_parse(side, schema, lex, 1, max_hops)
        if cypher is not None:
            reading = humanise(side, linked, ontology)
            out.append((cypher, _one(reading) or reading))
    return out


def rebind_example(example: ExampleLike, linked: list[LinkedEntity]) -> tuple[str, dict] | None:
    """An example's Cypher with its entity parameters re-bound to the linked entities (in order)."""
    params = dict(example.params or {})
    entity_keys = [k for k in params if re.fullmatch(r"e\d+|entity\d*|topic|id\d*", k)]
    if not entity_keys or len(entity_keys) > len(linked):
        return None
    for k, key in enumerate(sorted(entity_keys)):
        params[key] = linked[k].id
    return example.cypher, params
