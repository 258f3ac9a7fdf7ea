"""Question answering: link → generate Cypher → check → run read-only → check the result → answer.

``ask(question, graph)`` returns an :class:`~kgqa.qa.model.AskResult`. Everything expensive (schema,
ontology lexicon, name index, example bank) is cached per process; a question costs the final query
plus a few milliseconds. "No answer" beats a made-up answer: nothing reaches the answer text that is
not in the returned subgraph. The stages of one reading of the question are in ``kgqa.qa.search``.
"""

from __future__ import annotations

import re
import time
from typing import Any

from kgqa.graph.client import Graph
from kgqa.graph.schema import GraphSchema
from kgqa.qa import linking
from kgqa.qa.generate import CypherGenerator
from kgqa.qa.model import AskResult, Check, LinkedEntity, TraceStep
from kgqa.qa.parser import lexicon, words
from kgqa.qa.parser.superlative import asks_superlative
from kgqa.qa.parser.whole import asks_whole_type
from kgqa.qa.question_types import _spans_for, unknown_words
from kgqa.qa.resources import default_examples, graph_schema, invalidate_caches
from kgqa.qa.runs import AskOptions, _ms
from kgqa.qa.search import answer_once
from kgqa.qa.synthesize import AnswerSynthesizer

__all__ = ["AskOptions", "ask", "invalidate_caches"]

MAX_QUESTION_CHARS = 1000


_PREAMBLE = re.compile(
    r"^(?:please\s+|(?:can|could|would)\s+you\s+(?:please\s+)?|do\s+you\s+know\s+|i\s+(?:want|would\s+like)\s+to\s+know\s+)*"
    r"(?:tell\s+me\s+|let\s+me\s+know\s+)?(?=(?:who|whom|what|which|where|when|why|how)\b)",
    re.IGNORECASE,
)


def ask(
    question: str,
    graph: Graph,
    linked: list[LinkedEntity] | None = None,
    *,
    generator: CypherGenerator | None = None,
    synthesizer: AnswerSynthesizer | None = None,
    examples: Any = None,
    options: AskOptions | None = None,
    max_hops: int | None = None,
) -> AskResult:
    """Answer ``question`` from ``graph``; ``linked`` skips entity linking (pre-linked topic entities).

    ``generator`` (e.g. an LLM) is tried after the offline parser's candidates; ``synthesizer``
    writes the answer text (the offline template when None or when its text fails grounding).
    Raises :class:`~kgqa.errors.GraphUnavailable` when the graph server cannot be reached.
    """
    opts = options or AskOptions()
    if max_hops is not None:
        opts.max_hops = max_hops
    res = AskResult(question=question, answer="")
    q = " ".join((question or "").split())
    if _refused(q, res):
        return res
    q = _PREAMBLE.sub("", q) or q
    schema = _schema(graph, res)
    if schema is None:
        return res
    t0 = time.perf_counter()
    mentions: list[linking.Mention] = []
    if linked:
        spans, method = _spans_for(q, linked), "given"
    else:
        mentions = linking.link(q, graph, reserved=lexicon(opts.ontology).reserved_words())
        mentions = _template_words_dropped(q, mentions, examples if examples is not None else default_examples())
        linked = [m.entity for m in mentions]
        spans, method = [(m.start, m.end) for m in mentions], "linked"
    res.linked_entities = list(linked)
    res.trace.append(TraceStep(stage="linking", ms=_ms(t0), detail=f"{len(linked)} entities ({method})"))
    whole = "" if linked else _whole_graph(q, opts)
    if whole:  # "which university has the most graduates", "how many people": over the whole graph, nothing to link
        spans = []
        res.checks.append(Check(name="linking", status="skipped", detail=f"{whole} over the whole graph"))
    elif not linked:
        res.checks.append(Check(name="linking", status="failed", detail="no graph entity is named in the question"))
        unknown = _unlinked_reason(q, opts)
        res.answer = f"The graph holds no answer: the question names nothing the graph knows about{unknown}."
        res.status = "no_answer"
        return res
    ambiguous = [m for m in mentions if len(m.candidates) > 1]
    if whole:
        pass
    elif ambiguous:
        detail = "; ".join(f"“{m.entity.mention}”: {len(m.candidates)} entities" for m in ambiguous)
        res.checks.append(Check(name="linking", status="passed", detail=f"ambiguous — {detail}"))
    else:
        detail = ", ".join(f"{e.mention} → {e.id} ({e.method})" for e in linked)
        res.checks.append(Check(name="linking", status="passed", detail=detail))
    outcomes = [
        (reading, answer_once(q, graph, reading, spans, schema, generator, synthesizer, examples, opts))
        for reading in _readings(linked, mentions)
    ]
    final = _choose(outcomes, res, bool(ambiguous))
    final.question = question
    final.checks = res.checks + final.checks
    final.trace = res.trace + final.trace
    for ent in final.linked_entities:  # keep alternatives visible
        for m in mentions:
            if m.entity.mention == ent.mention and len(m.candidates) > 1:
                ent.alternatives = [
                    {"id": c.id, "name": c.name, "type": c.type} for c in m.candidates if c.id != ent.id
                ]
    return final


def _whole_graph(q: str, opts: AskOptions) -> str:
    """What a question that names no entity asks of the whole graph: "a superlative", "a type question", or ""."""
    toks, lex = words(q), lexicon(opts.ontology)
    if asks_superlative(toks, lex):
        return "a superlative"
    return "a type question" if asks_whole_type(toks, lex) else ""


def _unlinked_reason(q: str, opts: AskOptions) -> str:
    """Why a question with no capitalised name in it could not be read ("how many things are in the graph":
    no type "things"), as a clause to append; "" when it names something (a name the graph lacks says enough)."""
    if any(w[:1].isupper() for w in q.split()[1:]):
        return ""
    unknown = unknown_words(q, [], opts.ontology)
    return f", and {unknown}" if unknown else ""


def _template_words_dropped(q: str, mentions: list[linking.Mention], bank: Any) -> list[linking.Mention]:
    """Lower-case mentions that a known question template spells out are its words, not names.

    "what language is 12 in" links "language" (a tag) and "12" (a film); the bank's template "what language
    is [ENTITY] in" says "language" is part of the question. Only when the question with every mention has no
    exact template and the one without the lower-case mentions has.
    """
    kept = [m for m in mentions if not _plain_word(m.entity.mention)]
    if bank is None or not kept or len(kept) == len(mentions):
        return mentions
    if bank.exact(q, [m.entity.mention for m in mentions]) or not bank.exact(q, [m.entity.mention for m in kept]):
        return mentions
    return kept


def _plain_word(mention: str) -> bool:
    """All lower-case letters, no digits: a word the question may use as grammar ("language", not "5x2")."""
    return mention.islower() and not any(ch.isdigit() for ch in mention)


def _refused(q: str, res: AskResult) -> bool:
    """Empty or over-long questions: an error with a hint, before any work."""
    if not q:
        res.answer, res.status = "Empty question: ask something about the graph.", "error"
        res.checks.append(Check(name="question", status="failed", detail="empty"))
        return True
    if len(q) > MAX_QUESTION_CHARS:
        res.answer = (
            f"The question is too long ({len(q)} characters; the limit is {MAX_QUESTION_CHARS}): "
            "ask one short question at a time."
        )
        res.status = "error"
        res.checks.append(Check(name="question", status="failed", detail=f"{len(q)} characters"))
        return True
    return False


def _schema(graph: Graph, res: AskResult) -> GraphSchema | None:
    """The (cached) schema, or None with a "build it first" answer when the graph is empty."""
    t0 = time.perf_counter()
    schema, cached = graph_schema(graph)
    res.trace.append(TraceStep(stage="schema", ms=_ms(t0), cached=cached))
    if schema.labels:
        return schema
    invalidate_caches(graph)
    res.answer, res.status = "The graph is empty: build it first (kgqa build DIR).", "no_answer"
    res.checks.append(Check(name="graph", status="failed", detail="no nodes"))
    return None


def _choose(outcomes: list[tuple[list[LinkedEntity], AskResult]], res: AskResult, ambiguous: bool) -> AskResult:
    """The answer of the only reading that has one; several different answers make the question ambiguous."""
    answered = [(r, s) for r, s in outcomes if s.status == "answered"]
    keys = {(tuple(a.id for a in s.answers), s.value) for _, s in answered}
    if len(answered) > 1 and len(keys) > 1:
        chosen = answered[0][1]
        alts = "; ".join(
            f"{', '.join(e.name + ' (' + (e.type or '?') + ', ' + e.id + ')' for e in r)}: {s.answer}"
            for r, s in answered
        )
        chosen.status = "ambiguous"
        chosen.answer = f"The question is ambiguous; readings: {alts}. Pass --entity ID to choose."
        chosen.checks.append(
            Check(name="linking", status="failed", detail="several entities fit and give different answers")
        )
        return chosen
    if answered:
        final = answered[0][1]
        if final.linked_entities != res.linked_entities and ambiguous:
            final.checks.append(
                Check(name="linking", status="fixed", detail="disambiguated: only one reading has an answer")
            )
        return final
    return outcomes[0][1]


def _readings(linked: list[LinkedEntity], mentions: list[linking.Mention]) -> list[list[LinkedEntity]]:
    """The primary linking first, then (up to 3) alternatives for ambiguous mentions."""
    readings = [list(linked)]
    for k, m in enumerate(mentions):
        for alt in m.candidates[1:3]:
            other = list(linked)
            other[k] = LinkedEntity(
                mention=m.entity.mention,
                id=alt.id,
                name=alt.name,
                type=alt.type,
                method=m.entity.method,
                score=m.entity.score,
            )
            readings.append(other)
    return readings[:4]
