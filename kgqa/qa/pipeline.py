"""Question answering: link → generate Cypher → check → run read-only → check the result → answer.

``ask(question, graph)`` returns an :class:`~kgqa.qa.model.AskResult`. Everything expensive (schema,
ontology lexicon, name index, example bank) is cached per process; a question costs the final query
plus a few milliseconds. "No answer" beats a made-up answer: nothing reaches the answer text that is
not in the returned subgraph.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from typing import Any

from kgqa.errors import GraphUnavailable
from kgqa.graph.client import Graph, QueryFailed, ReadResult
from kgqa.graph.schema import GraphSchema
from kgqa.graph.stats import graph_stats
from kgqa.qa import linking
from kgqa.qa.answer_text import (  # noqa: F401
    _describe_for,
    _fallback,
    _finish,
    _grounding_problems,
    _relevant_evidence,
    browser_query,
)
from kgqa.qa.generate import CypherCandidate, CypherGenerator, format_feedback
from kgqa.qa.model import (
    AnswerItem,
    AskResult,
    Check,
    LinkedEntity,
    TraceStep,
)
from kgqa.qa.parser import ParserGenerator, lexicon, words
from kgqa.qa.question_types import _place, _spans_for, expected_types
from kgqa.qa.resources import (  # noqa: F401
    _example_generator,
    _schema_key,
    check_candidate,
    default_examples,
    graph_schema,
    invalidate_caches,
    param_labels,
)
from kgqa.qa.runs import AskOptions, _ms, _Outcome, _Run
from kgqa.qa.subgraph import _node_type, _SubgraphBuilder, _walk  # noqa: F401
from kgqa.qa.synthesize import AnswerSynthesizer

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 1000


# ------------------------------------------------------------------------------------------ caches


# ------------------------------------------------------------------------------------------ checks adapter


# ------------------------------------------------------------------------------------------ result handling


def _interpret(
    graph: Graph,
    candidate: CypherCandidate,
    outcome: _Outcome,
    result: ReadResult,
    linked: list[LinkedEntity],
    expected: set[str] | None,
    counting: bool,
    opts: AskOptions,
) -> _Run:
    builder = _SubgraphBuilder()
    answers: dict[str, AnswerItem] = {}
    connected: set[str] = set()
    count: int | None = None
    linked_ids = {e.id for e in linked}
    for row in result.rows:
        answer = row.get("answer")
        if not (isinstance(answer, dict) and answer.get("_kind") == "node"):
            answer = next(
                (v for k, v in row.items() if isinstance(v, dict) and v.get("_kind") == "node" and k != "path"), None
            )
        for key in ("count", "n", "total"):
            if isinstance(row.get(key), int) and not isinstance(row.get(key), bool):
                count = row[key]
        paths = builder.add(row)
        if answer is None:
            continue
        aid = builder.node(answer)
        if aid is None:
            continue
        if aid not in answers:
            answers[aid] = AnswerItem(id=aid, name=builder.nodes[aid].name, type=_node_type(answer.get("labels") or []))
        for p in paths:
            if aid in p and (linked_ids & set(p)):
                connected.add(aid)
    checks: list[Check] = []
    items = list(answers.values())
    run = _Run(candidate, outcome, result, items, count, builder, checks, True)
    if not items and count is None:
        run.ok, run.stage = False, "empty"
        run.details = ["the query returned no answer"]
        checks.append(Check(name="result_nonempty", status="failed", detail="no rows"))
        return run
    # answer type
    if expected:
        typed = [a for a in items if a.type]
        wrong = [a for a in typed if a.type not in expected]
        if typed and len(wrong) == len(typed):
            run.ok, run.stage = False, "answer_type"
            run.details = [
                f"expected {'/'.join(sorted(expected))}, got {', '.join(sorted({a.type or '' for a in wrong}))}"
            ]
            checks.append(Check(name="answer_type", status="failed", detail=run.details[0]))
            return run
        if wrong:
            keep = {a.id for a in items if a not in wrong}
            items[:] = [a for a in items if a.id in keep]
            checks.append(
                Check(
                    name="answer_type",
                    status="fixed",
                    detail=f"dropped {len(wrong)} answers not {'/'.join(sorted(expected))}",
                )
            )
        else:
            checks.append(Check(name="answer_type", status="passed", detail="/".join(sorted(expected))))
    else:
        checks.append(Check(name="answer_type", status="skipped", detail="the question does not fix a type"))
    # connectivity: every answer joined to a linked entity by a returned path (or one we look up)
    if linked:
        missing = [a for a in items if a.id not in connected]
        if missing:
            found = _connect(graph, [a.id for a in missing[:10]], [e.id for e in linked], builder, opts)
            connected |= found
            missing = [a for a in missing if a.id not in connected]
        if missing and len(missing) == len(items):
            run.ok, run.stage = False, "grounding"
            run.details = ["no returned path connects the answers to the question's entities"]
            checks.append(Check(name="connected", status="failed", detail=run.details[0]))
            return run
        if missing:
            items[:] = [a for a in items if a.id in connected]
            checks.append(Check(name="connected", status="fixed", detail=f"dropped {len(missing)} unconnected answers"))
        else:
            checks.append(Check(name="connected", status="passed", detail=f"{len(items)} answers on returned paths"))
    else:
        checks.append(Check(name="connected", status="skipped", detail="no linked entities"))
    if result.truncated or len(result.rows) >= opts.limit:
        if not counting:
            run.ok, run.stage = False, "too_many"
            run.details = [f"{len(result.rows)} rows or more (limit {opts.limit})"]
            checks.append(Check(name="result_size", status="failed", detail=run.details[0]))
            return run
        checks.append(Check(name="result_size", status="passed", detail=f"count is at least {len(items)}"))
    # cardinality
    if counting:
        n = count if count is not None and not items else len(items)
        run.count = n
        checks.append(Check(name="cardinality", status="passed", detail=f"how many → {n}"))
    else:
        checks.append(Check(name="cardinality", status="passed", detail=f"{len(items)} answers"))
    return run


def _connect(
    graph: Graph, answer_ids: list[str], linked_ids: list[str], builder: _SubgraphBuilder, opts: AskOptions
) -> set[str]:
    """Find a bounded path from each answer to a linked entity (for queries that returned none)."""
    hops = max(1, min(opts.max_hops, 4))
    rows = graph.read(
        f"UNWIND $answers AS aid MATCH (a:Entity {{id: aid}}) "
        f"MATCH p = shortestPath((a)-[*..{hops}]-(e:Entity)) WHERE e.id IN $linked "
        f"RETURN aid, p LIMIT 50",
        {"answers": answer_ids, "linked": linked_ids},
        timeout=opts.timeout,
        max_rows=50,
    ).rows
    found: set[str] = set()
    for row in rows:
        builder.add(row["p"])
        found.add(row["aid"])
    return found


# ------------------------------------------------------------------------------------------ question analysis


# ------------------------------------------------------------------------------------------ the pipeline


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
    if not q:
        res.answer, res.status = "Empty question: ask something about the graph.", "error"
        res.checks.append(Check(name="question", status="failed", detail="empty"))
        return res
    if len(q) > MAX_QUESTION_CHARS:
        res.answer = f"The question is too long ({len(q)} characters; the limit is {MAX_QUESTION_CHARS})."
        res.status = "error"
        res.checks.append(Check(name="question", status="failed", detail=f"{len(q)} characters"))
        return res

    q = _PREAMBLE.sub("", q) or q
    t0 = time.perf_counter()
    schema, cached = graph_schema(graph)
    res.trace.append(TraceStep(stage="schema", ms=_ms(t0), cached=cached))
    if not schema.labels:
        invalidate_caches(graph)
        res.answer, res.status = "The graph is empty: build it first (kgqa build DIR).", "no_answer"
        res.checks.append(Check(name="graph", status="failed", detail="no nodes"))
        return res

    # 1. linking
    t0 = time.perf_counter()
    mentions: list[linking.Mention] = []
    if linked:
        spans = _spans_for(q, linked)
        method = "given"
    else:
        lex = lexicon(opts.ontology)
        mentions = linking.link(q, graph, reserved=lex.reserved_words())
        linked = [m.entity for m in mentions]
        spans = [(m.start, m.end) for m in mentions]
        method = "linked"
    res.linked_entities = list(linked)
    res.trace.append(TraceStep(stage="linking", ms=_ms(t0), detail=f"{len(linked)} entities ({method})"))
    if not linked:
        res.checks.append(Check(name="linking", status="failed", detail="no graph entity is named in the question"))
        res.answer = "The graph holds no answer: the question names nothing the graph knows about."
        res.status = "no_answer"
        return res
    ambiguous = [m for m in mentions if len(m.candidates) > 1]
    if ambiguous:
        detail = "; ".join(f"“{m.entity.mention}”: {len(m.candidates)} entities" for m in ambiguous)
        res.checks.append(Check(name="linking", status="passed", detail=f"ambiguous — {detail}"))
    else:
        res.checks.append(
            Check(
                name="linking", status="passed", detail=", ".join(f"{e.mention} → {e.id} ({e.method})" for e in linked)
            )
        )

    readings = _readings(linked, mentions)
    outcomes: list[tuple[list[LinkedEntity], AskResult]] = []
    for reading in readings:
        sub = _answer_once(q, graph, reading, spans, schema, generator, synthesizer, examples, opts)
        outcomes.append((reading, sub))
    answered = [(r, s) for r, s in outcomes if s.status == "answered"]
    if len(answered) > 1 and len({tuple(a.id for a in s.answers) for _, s in answered}) > 1:
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
        final = chosen
    elif answered:
        final = answered[0][1]
        if final.linked_entities != res.linked_entities and ambiguous:
            final.checks.append(
                Check(name="linking", status="fixed", detail="disambiguated: only one reading has an answer")
            )
    else:
        final = outcomes[0][1]
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


def _answer_once(
    q: str,
    graph: Graph,
    linked: list[LinkedEntity],
    spans: list[tuple[int, int]] | None,
    schema: GraphSchema,
    generator: CypherGenerator | None,
    synthesizer: AnswerSynthesizer | None,
    examples: Any,
    opts: AskOptions,
) -> AskResult:
    res = AskResult(question=q, answer="", linked_entities=list(linked))
    expected, counting = expected_types(q, opts.ontology)

    # example bank (optional): its own generator when kgqa.qa.examples provides one; few-shot
    # examples are only looked up for an LLM generator (the search may embed the question)
    bank = examples if examples is not None else default_examples()
    example_gen = _example_generator(bank)
    example_list: list[Any] = []
    if bank is not None and (generator is not None or example_gen is None):
        t0 = time.perf_counter()
        try:
            example_list = list(bank.search(q, [e.mention for e in linked], 3))
        except Exception as exc:
            log.debug("example search failed: %s", exc)
        res.trace.append(TraceStep(stage="examples", ms=_ms(t0), detail=f"{len(example_list)} examples"))

    if spans is None and len(linked) == 1:
        spans = _place(q, linked, schema, opts)
        if spans:
            res.checks.append(
                Check(
                    name="mention", status="fixed", detail=f"“{q[spans[0][0] : spans[0][1]]}” read as {linked[0].name}"
                )
            )
    generators: list[tuple[CypherGenerator, list[Any]]] = []
    if spans is not None:
        parser_examples = example_list if example_gen is None and generator is None else []
        generators.append((ParserGenerator(spans, ontology=opts.ontology, max_hops=opts.max_hops), parser_examples))
    elif example_list and example_gen is None:
        generators.append((ParserGenerator([], ontology=opts.ontology, max_hops=opts.max_hops), example_list))
    if example_gen is not None:
        generators.append((example_gen, []))
    if generator is not None:
        generators.append((generator, example_list))

    attempts = 0  # per generator
    looked = 0  # in all
    total_attempts = 0
    best_too_many: _Run | None = None
    last: tuple[str, dict[str, Any]] | None = None
    parse_found_nothing = False
    for gen, gen_examples in generators:
        if parse_found_nothing:
            # the whole question parsed and its query ran and found nothing: that is the answer. A
            # looser reading (a similar example, an LLM) could only answer a different question.
            res.checks.append(
                Check(
                    name="generate",
                    status="skipped",
                    detail=f"{gen.name}: not tried — the complete parse of the question found nothing in the graph",
                )
            )
            continue
        example_list = gen_examples
        feedback: str | None = None
        attempts = 0
        t0 = time.perf_counter()
        stream = iter(gen.candidates(q, linked, schema, example_list, feedback))
        while attempts < opts.max_attempts and looked < opts.max_candidates:
            try:
                cand = next(stream)
            except StopIteration:
                break
            except Exception as exc:  # a generator (LLM) failing must not sink the question
                res.checks.append(Check(name="generate", status="failed", detail=f"{gen.name}: {exc}"))
                break
            res.trace.append(TraceStep(stage="generate", ms=_ms(t0), detail=f"{cand.source}: {cand.description}"))
            res.trace.extend(cand.trace)
            looked += 1
            attempts += 1
            total_attempts += 1
            tag = f"attempt {total_attempts} ({cand.source})"
            looser = _looser_example(q, linked, cand, bank)
            if looser:  # not run, so not an attempt
                attempts -= 1
                res.checks.append(Check(name="coverage", status="failed", detail=f"{tag}: {looser}"))
                continue
            t1 = time.perf_counter()
            # EXPLAIN (a server round trip) only for queries we did not compile ourselves: the parser's
            # queries come from a fixed grammar, and a server error still reaches the repair loop
            explain_on = None if cand.source == "parser" else graph
            outcome, cached = check_candidate(
                cand.cypher,
                cand.params,
                schema,
                explain_on,
                max_hops=opts.max_hops,
                limit=opts.limit,
                stats=graph_stats(graph),
                param_labels=param_labels(cand.params, linked),
            )
            res.trace.append(TraceStep(stage="check", ms=_ms(t1), detail=tag, cached=cached))
            failed = [c for c in outcome.checks if c.status == "failed"]
            if not outcome.ok:
                for c in failed:
                    res.checks.append(Check(name=f"cypher.{c.name}", status="failed", detail=f"{tag}: {c.detail}"))
                feedback = format_feedback("check", cand.cypher, [f"{c.name}: {c.detail}" for c in failed])
                stream = _refeed(gen, stream, q, linked, schema, example_list, feedback)
                t0 = time.perf_counter()
                continue
            last = (outcome.cypher, outcome.params)
            t1 = time.perf_counter()
            try:
                result = graph.read(outcome.cypher, outcome.params, timeout=opts.timeout, max_rows=opts.limit)
            except GraphUnavailable:
                raise
            except QueryFailed as exc:
                res.trace.append(TraceStep(stage="execute", ms=_ms(t1), detail=f"{tag}: error"))
                res.checks.append(Check(name="execute", status="failed", detail=f"{tag}: {exc.message}"))
                feedback = format_feedback("server", outcome.cypher, [exc.message])
                stream = _refeed(gen, stream, q, linked, schema, example_list, feedback)
                t0 = time.perf_counter()
                continue
            res.trace.append(TraceStep(stage="execute", ms=_ms(t1), detail=f"{tag}: {len(result.rows)} rows"))
            t1 = time.perf_counter()
            hint_types = expected
            if cand.answer_type_hint and cand.answer_type_hint != "count":
                hint = {cand.answer_type_hint}
                hint_types = (expected & hint or expected) if expected else hint
            run = _interpret(
                graph, cand, outcome, result, linked, hint_types, counting or cand.answer_type_hint == "count", opts
            )
            res.trace.append(TraceStep(stage="result_checks", ms=_ms(t1), detail=tag))
            if run.ok:
                res.checks.append(
                    Check(name="cypher", status="passed", detail=f"{tag}: {len(outcome.checks)} checks passed")
                )
                for c in outcome.checks:
                    if c.status == "fixed":
                        res.checks.append(Check(name=f"cypher.{c.name}", status="fixed", detail=c.detail))
                res.checks.extend(run.checks)
                return _finish(res, run, linked, counting, synthesizer, opts, graph)
            for c in run.checks:
                if c.status == "failed":
                    res.checks.append(Check(name=c.name, status="failed", detail=f"{tag}: {c.detail}"))
            if run.stage == "too_many" and best_too_many is None:
                best_too_many = run
            if run.stage == "empty" and isinstance(gen, ParserGenerator):
                parse_found_nothing = True
            feedback = format_feedback(run.stage, outcome.cypher, run.details)
            stream = _refeed(gen, stream, q, linked, schema, example_list, feedback)
            t0 = time.perf_counter()
    if best_too_many is not None:  # nothing narrower worked: answer with the capped result, saying so
        run = best_too_many
        run.checks[-1] = Check(
            name="result_size", status="fixed", detail=f"{run.details[0]}: showing the first {len(run.answers)}"
        )
        run.checks.append(Check(name="cardinality", status="passed", detail=f"at least {len(run.answers)} answers"))
        res.checks.append(Check(name="cypher", status="passed", detail=f"{run.candidate.source}: capped result"))
        res.checks.extend(run.checks)
        return _finish(res, run, linked, counting, synthesizer, opts, graph)
    if total_attempts == 0:
        res.checks.append(Check(name="generate", status="failed", detail="no query could be built for this question"))
    if last is not None:  # the last query that ran: it is why the graph holds no answer
        res.cypher, res.params = last
    return _fallback(res, graph, linked, opts)


_MARKERS = {"that", "which", "who", "whom", "whose", "where", "of", "'s"}


def _structure(text: str) -> int:
    """How many nesting markers (relative pronouns after the first word, "of", possessives)."""
    toks = words(text.replace("[entity", " @e").replace("]", " "))
    return sum(1 for k, w in enumerate(toks) if w in _MARKERS and 0 < k < len(toks) - 1)


_example_ids: dict[int, dict[str, Any]] = {}


def _looser_example(q: str, linked: list[LinkedEntity], cand: CypherCandidate, bank: Any) -> str:
    """Why a similar (non-identical) example template answers a looser question, or ""."""
    if not cand.source.startswith("example:") or bank is None:
        return ""
    try:
        from kgqa.qa.examples import mask_question, normalize_template
    except ImportError:
        return ""
    examples = getattr(bank, "examples", None)
    if not examples:
        return ""
    by_id = _example_ids.get(id(bank))
    if by_id is None:
        by_id = {getattr(e, "id", ""): e for e in examples}
        _example_ids[id(bank)] = by_id
    example = by_id.get(cand.source.split(":", 1)[1])
    if example is None:
        return ""
    mine = normalize_template(mask_question(q, [e.mention for e in linked]))
    theirs = normalize_template(example.question)
    if mine == theirs:
        return ""
    if _structure(mine) > _structure(theirs):
        return f"the example “{example.question}” is simpler than the question (it would drop part of it)"
    return ""


def _refeed(
    gen: CypherGenerator,
    stream: Iterator[CypherCandidate],
    q: str,
    linked: list[LinkedEntity],
    schema: GraphSchema,
    examples: list[Any],
    feedback: str,
) -> Iterator[CypherCandidate]:
    """Generators that use feedback (LLMs) get a fresh call; the offline parser keeps its stream."""
    if getattr(gen, "uses_feedback", False):
        return iter(gen.candidates(q, linked, schema, examples, feedback))
    return stream
