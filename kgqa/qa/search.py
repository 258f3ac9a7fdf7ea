"""One reading of a question: generators in order, each candidate checked, run and its result checked.

The first candidate whose run passes is the answer (``_finish``); a complete parse whose query found nothing
stops looser generators; a capped list is the last resort; otherwise the fallback shows related facts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kgqa.errors import GraphUnavailable
from kgqa.graph.client import Graph, QueryFailed
from kgqa.graph.schema import GraphSchema
from kgqa.graph.stats import graph_stats
from kgqa.qa.answer_text import _fallback, _finish
from kgqa.qa.checks.parameters import used_parameters
from kgqa.qa.examples import ExampleGenerator, mask_question, normalize_template
from kgqa.qa.generate import CypherCandidate, CypherGenerator, entity_params, format_feedback
from kgqa.qa.interpret import interpret
from kgqa.qa.model import AskResult, Check, LinkedEntity, TraceStep
from kgqa.qa.parser import ParserGenerator, placeholder_question, words
from kgqa.qa.question_types import _place, absent_relations, expected_types, unknown_words
from kgqa.qa.resources import check_candidate, default_examples, param_labels
from kgqa.qa.runs import AskOptions, _ms, _Run
from kgqa.qa.synthesize import AnswerSynthesizer

log = logging.getLogger(__name__)


@dataclass
class _Search:
    """One reading's state across generators."""

    q: str
    graph: Graph
    linked: list[LinkedEntity]
    schema: GraphSchema
    opts: AskOptions
    res: AskResult
    bank: Any
    expected: set[str] | None = None
    counting: bool = False
    looked: int = 0
    total: int = 0
    best_too_many: _Run | None = None
    last: tuple[str, dict[str, Any]] | None = None
    parse_found_nothing: bool = False
    examples: list[Any] = field(default_factory=list)
    why: str = ""  # why the complete parse's result cannot answer ("the graph has no country that B lives in")


def answer_once(
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
    """Answer ``q`` for one linking of its entities."""
    res = AskResult(question=q, answer="", linked_entities=list(linked))
    bank = examples if examples is not None else default_examples()
    st = _Search(q, graph, linked, schema, opts, res, bank)
    example_gen = ExampleGenerator(bank) if bank is not None else None
    example_list = _example_list(st, generator is not None or example_gen is None)
    if spans is None and len(linked) == 1:
        spans = _place(q, linked, schema, opts)
        if spans:
            detail = f"“{q[spans[0][0] : spans[0][1]]}” read as {linked[0].name}"
            res.checks.append(Check(name="mention", status="fixed", detail=detail))
    # the question word's type, read with the names set aside: "which University of X alumni" asks for people
    st.expected, st.counting = expected_types(placeholder_question(q, spans) if spans else q, opts.ontology)
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
    if opts.llm_only and generator is not None:
        generators = [(generator, example_list)]
    for gen, gen_examples in generators:
        if st.parse_found_nothing:
            # the whole question parsed and its query ran and found nothing: that is the answer. A
            # looser reading (a similar example, an LLM) could only answer a different question.
            detail = f"{gen.name}: not tried — the complete parse of the question found nothing in the graph"
            res.checks.append(Check(name="generate", status="skipped", detail=detail))
            continue
        run = _try_generator(st, gen, gen_examples)
        if run is not None:
            return _finish(res, run, linked, st.counting, synthesizer, opts, graph)
    return _give_up(st, spans, synthesizer)


def _example_list(st: _Search, wanted: bool) -> list[Any]:
    """Few-shot examples, looked up only for an LLM generator (the search may embed the question)."""
    if st.bank is None or not wanted:
        return []
    t0 = time.perf_counter()
    try:
        found = list(st.bank.search(st.q, [e.mention for e in st.linked], 3))
    except Exception as exc:  # a broken bank must not sink the question
        log.debug("example search failed: %s", exc)
        found = []
    st.res.trace.append(TraceStep(stage="examples", ms=_ms(t0), detail=f"{len(found)} examples"))
    return found


def _give_up(st: _Search, spans: list[tuple[int, int]] | None, synthesizer: AnswerSynthesizer | None) -> AskResult:
    """No run passed: a capped list if one ran, else the fallback, with the reason when words were not understood."""
    res = st.res
    if st.best_too_many is not None:  # nothing narrower worked: answer with the capped result, saying so
        run = st.best_too_many
        run.checks[-1] = Check(
            name="result_size", status="fixed", detail=f"{run.details[0]}: showing the first {len(run.answers)}"
        )
        run.checks.append(Check(name="cardinality", status="passed", detail=f"at least {len(run.answers)} answers"))
        res.checks.append(Check(name="cypher", status="passed", detail=f"{run.candidate.source}: capped result"))
        res.checks.extend(run.checks)
        return _finish(res, run, st.linked, st.counting, synthesizer, st.opts, st.graph)
    reason = ""
    if st.total == 0:
        unknown = unknown_words(st.q, spans or [], st.opts.ontology, st.schema)
        unknown = unknown or absent_relations(st.q, spans or [], st.linked, st.schema, st.opts)
        reason = f" {unknown}" if unknown else ""
        res.checks.append(
            Check(name="generate", status="failed", detail=f"no query could be built for this question{reason}")
        )
    if st.last is not None:  # the last query that ran: it is why the graph holds no answer
        res.cypher, res.params = st.last
    reason = reason or (f" {st.why}" if st.why else "")
    if not st.linked:  # a question over the whole graph: no neighbourhood to show
        res.status, res.answers = "no_answer", []
        res.answer = f"The graph holds no answer:{reason or ' kgqa could not read this question over the whole graph'}."
        return res
    out = _fallback(res, st.graph, st.linked, st.opts)
    if reason:
        out.answer = out.answer.replace(" (entities found", f":{reason} (entities found", 1)
    return out


def _try_generator(st: _Search, gen: CypherGenerator, examples: list[Any]) -> _Run | None:
    """Candidates of one generator until one passes, the attempts run out, or it has no more."""
    st.examples = examples
    attempts = 0
    t0 = time.perf_counter()
    stream = iter(gen.candidates(st.q, st.linked, st.schema, examples, None))
    tried: set[str] = set()
    while attempts < st.opts.max_attempts and st.looked < st.opts.max_candidates:
        try:
            cand = next(stream)
        except StopIteration:
            break
        except Exception as exc:  # a generator (LLM) failing must not sink the question
            st.res.checks.append(Check(name="generate", status="failed", detail=f"{gen.name}: {exc}"))
            break
        st.res.trace.append(TraceStep(stage="generate", ms=_ms(t0), detail=f"{cand.source}: {cand.description}"))
        st.res.trace.extend(cand.trace)
        st.looked += 1
        st.total += 1
        tag = f"attempt {st.total} ({cand.source})"
        if _repeated(cand, tried):  # checking and running it again cannot help; an LLM would repeat it again
            detail = f"{tag}: {gen.name} gave the same query again after it failed"
            st.res.checks.append(Check(name="generate", status="failed", detail=detail))
            if getattr(gen, "uses_feedback", False):
                break
            continue
        looser = _looser_example(st.q, st.linked, cand, st.bank)
        if looser:  # not run, so not an attempt
            st.res.checks.append(Check(name="coverage", status="failed", detail=f"{tag}: {looser}"))
            continue
        attempts += 1
        run, feedback = _try_candidate(st, gen, cand, tag)
        if run is not None:
            return run
        if feedback:
            stream = _refeed(gen, stream, st, feedback)
        t0 = time.perf_counter()
    return None


def _try_candidate(st: _Search, gen: CypherGenerator, cand: CypherCandidate, tag: str) -> tuple[_Run | None, str]:
    """Check, run and interpret one candidate: the passing run, or None and feedback for the generator."""
    res, opts = st.res, st.opts
    if cand.kind == "summary" and _exact_example(st):
        # "describe X" is a summary only when nothing reads it more specifically (MetaQA: its tags)
        detail = f"{tag}: a stored example has this very question; the generic summary is not used"
        res.checks.append(Check(name="coverage", status="skipped", detail=detail))
        return None, ""
    unused = _unused_entities(cand, st.linked)
    if unused:  # "Is A the CEO of B?" answered by a query about A alone answers another question
        detail = f"{tag}: the query does not use {unused}; every entity the question names must be in it"
        res.checks.append(Check(name="cypher.entities", status="failed", detail=detail))
        return None, format_feedback("check", cand.cypher, [f"entities: use {unused} in the query"])
    t1 = time.perf_counter()
    # EXPLAIN (a server round trip) only for queries we did not compile ourselves: the parser's
    # queries come from a fixed grammar, and a server error still reaches the repair loop
    explain_on = None if cand.source == "parser" else st.graph
    outcome, cached = check_candidate(
        cand.cypher,
        cand.params,
        st.schema,
        explain_on,
        max_hops=opts.max_hops,
        limit=opts.limit,
        stats=graph_stats(st.graph),
        param_labels=param_labels(cand.params, st.linked),
    )
    res.trace.append(TraceStep(stage="check", ms=_ms(t1), detail=tag, cached=cached))
    if not outcome.ok:
        failed = [c for c in outcome.checks if c.status == "failed"]
        res.checks.extend(Check(name=f"cypher.{c.name}", status="failed", detail=f"{tag}: {c.detail}") for c in failed)
        return None, format_feedback("check", cand.cypher, [f"{c.name}: {c.detail}" for c in failed])
    st.last = (outcome.cypher, outcome.params)
    t1 = time.perf_counter()
    try:
        result = st.graph.read(outcome.cypher, outcome.params, timeout=opts.timeout, max_rows=opts.limit)
    except GraphUnavailable:
        raise
    except QueryFailed as exc:
        res.trace.append(TraceStep(stage="execute", ms=_ms(t1), detail=f"{tag}: error"))
        res.checks.append(Check(name="execute", status="failed", detail=f"{tag}: {exc.message}"))
        return None, format_feedback("server", outcome.cypher, [exc.message])
    res.trace.append(TraceStep(stage="execute", ms=_ms(t1), detail=f"{tag}: {len(result.rows)} rows"))
    t1 = time.perf_counter()
    hint_types = st.expected
    if cand.answer_type_hint and cand.answer_type_hint != "count":
        hint = {cand.answer_type_hint}
        hint_types = (st.expected & hint or st.expected) if st.expected else hint
    if cand.kind in {"yes_no", "summary"}:
        hint_types = None  # the answer is a named entity; a yes/no has a value
    run = interpret(st.graph, cand, outcome, result, st.linked, hint_types, st.counting, opts)
    if run.ok and run.value is False and cand.premises:
        _check_premises(st, cand, run)
    res.trace.append(TraceStep(stage="result_checks", ms=_ms(t1), detail=tag))
    if run.ok:
        res.checks.append(Check(name="cypher", status="passed", detail=f"{tag}: {len(outcome.checks)} checks passed"))
        res.checks.extend(
            Check(name=f"cypher.{c.name}", status="fixed", detail=c.detail)
            for c in outcome.checks
            if c.status == "fixed"
        )
        res.checks.extend(run.checks)
        return run, ""
    res.checks.extend(
        Check(name=c.name, status="failed", detail=f"{tag}: {c.detail}") for c in run.checks if c.status == "failed"
    )
    if run.stage == "too_many" and st.best_too_many is None:
        st.best_too_many = run
    if run.stage in {"empty", "unknown"} and getattr(gen, "reads_whole_question", False):
        st.parse_found_nothing = True
    if run.stage == "unknown":
        st.why = run.details[0]
    return None, format_feedback(run.stage, outcome.cypher, run.details)


def _unused_entities(cand: CypherCandidate, linked: list[LinkedEntity]) -> str:
    """The linked entities a model-written query leaves out ("$e1 (Acme)"), or ""; the parser and the example
    bank place every entity they read themselves."""
    if not cand.source.startswith("llm") or not linked:
        return ""
    used = used_parameters(cand.cypher, cand.params)
    if used is None:
        return ""
    missing = [f"${k} ({e.name})" for k, e in zip(entity_params(linked), linked, strict=True) if k not in used]
    return ", ".join(missing)


def _check_premises(st: _Search, cand: CypherCandidate, run: _Run) -> None:
    """A "no" to "same X" holds only when each side has an X: else the graph cannot tell (the run fails)."""
    for cypher, what in cand.premises:
        opts, stats = st.opts, graph_stats(st.graph)
        outcome, _ = check_candidate(cypher, cand.params, st.schema, None, max_hops=opts.max_hops, limit=1, stats=stats)
        ok = outcome.ok and st.graph.read(outcome.cypher, outcome.params, timeout=opts.timeout, max_rows=1).rows
        if not ok:
            detail = f"the graph has no {what}" if outcome.ok else f"{what} was not checked"
            run.ok, run.stage, run.details, run.value = False, "unknown", [detail], None
            run.checks.append(Check(name="premise", status="failed", detail=f"{detail}, so “same” cannot be told"))
            return
    run.checks.append(Check(name="premise", status="passed", detail="each side has its own; they differ"))


_MARKERS = {"that", "which", "who", "whom", "whose", "where", "of", "'s"}


def _structure(text: str) -> int:
    """How many nesting markers (relative pronouns after the first word, "of", possessives)."""
    toks = words(text.replace("[entity", " @e").replace("]", " "))
    return sum(1 for k, w in enumerate(toks) if w in _MARKERS and 0 < k < len(toks) - 1)


_example_ids: dict[int, dict[str, Any]] = {}


def _exact_example(st: _Search) -> bool:
    """True when the example bank holds this very question shape (same template, entities masked)."""
    if st.bank is None or not hasattr(st.bank, "exact"):
        return False
    try:
        return bool(st.bank.exact(st.q, [e.mention for e in st.linked]))
    except Exception:  # a broken bank must not sink the question
        log.debug("exact example lookup failed", exc_info=True)
        return False


def _looser_example(q: str, linked: list[LinkedEntity], cand: CypherCandidate, bank: Any) -> str:
    """Why a similar (non-identical) example template answers a looser question, or ""."""
    if not cand.source.startswith("example:") or bank is None:
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
    if mine != theirs and _structure(mine) > _structure(theirs):
        return f"the example “{example.question}” is simpler than the question (it would drop part of it)"
    return ""


def _repeated(cand: CypherCandidate, tried: set[str]) -> bool:
    """True when this generator already gave this query (whitespace aside); remembers it otherwise."""
    key = " ".join(cand.cypher.split())
    if key in tried:
        return True
    tried.add(key)
    return False


def _refeed(gen: CypherGenerator, stream: Iterator[CypherCandidate], st: _Search, feedback: str) -> Iterator:
    """Generators that use feedback (LLMs) get a fresh call; the offline parser keeps its stream."""
    if getattr(gen, "uses_feedback", False):
        return iter(gen.candidates(st.q, st.linked, st.schema, st.examples, feedback))
    return stream
