"""What a question asks for: the expected answer types, and where the linked entities sit in it."""

from __future__ import annotations

import re

from kgqa.graph.schema import GraphSchema
from kgqa.qa.model import (
    LinkedEntity,
)
from kgqa.qa.parser import AUX, DET, FILLER, IMPERATIVE, PREPS, REL_WORDS, lexicon, placeholder_question, stem, words
from kgqa.qa.parser.lexicon import strip_courtesy
from kgqa.qa.parser.superlative import SUPERLATIVE_WORDS, superlative_refusal
from kgqa.qa.parser.whole import GRAPH_WORDS, whole_refusal
from kgqa.qa.parser.whole import OPENERS as WHOLE_OPENERS
from kgqa.qa.runs import AskOptions

TIME_TYPES = ("Date", "Time", "Year", "Event")


_PRONOUN = re.compile(r"\b(?:(?:this|that|these|those|the|its|their)\s+(\w+)|it|him|her|them|they|he|she)\b", re.I)


def expected_types(question: str, ontology: str | None = None) -> tuple[set[str] | None, bool]:
    """Entity types the question word asks for (``which company`` → Organization) and whether it counts."""
    lex = lexicon(ontology)
    toks = strip_courtesy(words(question))
    while toks and toks[0] in {"in", "at", "for", "from", "to", "by", "of", "on", "with"}:
        toks = toks[1:]
    if not toks:
        return None, False
    if toks[0] == "when" or (toks[0] == "what" and len(toks) > 1 and toks[1] in {"year", "date", "time", "day"}):
        return set(TIME_TYPES), False  # entity answers never fit: abstain unless the graph has dates
    if toks[0] in {"why"} or (toks[0] == "how" and len(toks) > 1 and toks[1] not in {"many", "much"}):
        return {"Explanation"}, False  # "why"/"how does": the graph holds facts, not explanations
    if toks[0] == "how" and len(toks) > 1 and toks[1] == "many":
        rest = toks[2:]
        for size in (3, 2, 1):
            key = tuple(stem(w) for w in rest[:size])
            if key in lex.types:
                return {lex.types[key]}, True
        return None, True
    if toks[0] in {"which", "what"} and len(toks) > 1:
        for size in (3, 2, 1):
            key = tuple(stem(w) for w in toks[1 : 1 + size])
            if key in lex.types:
                return {lex.types[key]}, False
        return None, False
    if toks[0] in {"who", "whom", "whose"}:
        return set(lex.qwords.get(toks[0], set())) | {"Person", "Organization"}, False
    if toks[0] == "where":
        return set(lex.qwords.get("where", set())) | {"Organization"}, False
    return None, False


def _spans_for(question: str, linked: list[LinkedEntity]) -> list[tuple[int, int]] | None:
    """Where each pre-linked entity's mention (or name or alias) sits in the question."""
    spans: list[tuple[int, int]] = []
    low = question.lower()
    for ent in linked:
        found = None
        for text in [ent.mention, ent.name]:
            if not text:
                continue
            pos = low.find(text.lower())
            while pos >= 0 and any(a < pos + len(text) and pos < b for a, b in spans):
                pos = low.find(text.lower(), pos + 1)
            if pos >= 0:
                found = (pos, pos + len(text))
                break
        if found is None:
            return None
        spans.append(found)
    return spans


def _place(q: str, linked: list[LinkedEntity], schema: GraphSchema, opts: AskOptions) -> list[tuple[int, int]] | None:
    """Where a given entity whose mention is not in the question sits: "this company", "it", ..."""
    from kgqa.qa.parser import parse_question

    lex = lexicon(opts.ontology)
    for m in _PRONOUN.finditer(q):
        noun = m.group(1)
        if noun is not None and tuple([stem(noun.lower())]) not in lex.types and noun.lower() not in {"one", "entity"}:
            continue
        span = [(m.start(), m.end())]
        if parse_question(q, span, linked, schema, ontology=opts.ontology, max_hops=opts.max_hops):
            return span
    return None


def absent_relations(
    question: str, spans: list[tuple[int, int]], linked: list[LinkedEntity], schema: GraphSchema, opts: AskOptions
) -> str:
    """Why a superlative that parses cannot be counted: the graph has no facts of its relation; else ""."""
    from kgqa.qa.parser import parse_question
    from kgqa.qa.parser.superlative import asks_superlative, parse_relations

    known = set(schema.relationship_types)
    for pq in parse_question(question, spans, linked, schema, ontology=opts.ontology, max_hops=opts.max_hops):
        missing = sorted(parse_relations(pq.parse) - known) if pq.parse.kind == "superlative" else []
        if missing:
            return f"the graph has no {missing[0]} facts to count"
    if asks_superlative(words(question), lexicon(opts.ontology)):
        return (
            "kgqa reads superlatives over the whole graph (“Which company has the most employees?”) or inside a "
            "named place (“In which city of X are the most companies headquartered?”), not this one"
        )
    return ""


# words of the grammar itself (question words, connectives), besides the ontology's phrases and nouns
GRAMMAR_WORDS = AUX | DET | FILLER | IMPERATIVE | PREPS | REL_WORDS
GRAMMAR_WORDS |= {"what", "where", "when", "how", "many", "much", "whose", "not", "and", "but", "or", "same", "me"}
GRAMMAR_WORDS |= {"about", "you", "know", "describe", "its", "his", "her", "their", "'s", "there", "any"}
GRAMMAR_WORDS |= SUPERLATIVE_WORDS | GRAPH_WORDS | WHOLE_OPENERS


def unknown_words(
    question: str, spans: list[tuple[int, int]], ontology: str | None = None, schema: GraphSchema | None = None
) -> str:
    """Why the question could not be read: the words the ontology has no relation or type for, or ""."""
    if re.search(r"[^\x00-\x7f’‘“”–—…]", question):
        return "the question is not in English (kgqa reads English questions)"
    lex = lexicon(ontology)
    if schema is not None:
        refused = superlative_refusal(words(placeholder_question(question, spans)), schema, lex)
        if refused:
            return refused
    refused = whole_refusal(words(placeholder_question(question, spans)), lex, schema)  # "how many women"
    if refused:
        return refused
    known = {stem(w) for w in lex.reserved_words()} | {stem(w) for w in GRAMMAR_WORDS}
    toks = [w for w in strip_courtesy(words(placeholder_question(question, spans))) if not w.startswith("@e")]
    narrower = [(w, lex.narrower[(stem(w),)]) for w in toks if (stem(w),) in lex.narrower]
    if narrower:
        word, rel = narrower[0]
        return f"“{word}” says more than {rel}, and the ontology has no relation or type for it"
    unknown = [w for w in toks if stem(w) not in known and w not in GRAMMAR_WORDS and not w.isdigit()]
    if not unknown:
        return ""
    shown = ", ".join(f"“{w}”" for w in dict.fromkeys(unknown[:5]))
    return f"the ontology has no relation or type for {shown}"
