"""Reading a query's rows as an answer: the answer entities, then the checks on them.

Checks, in order: non-empty (a yes/no or "same" question with no rows is a closed-world "no", a complete
count with none is 0), answer type (against the asked type), connectivity to the linked entities, result
size, cardinality. ``interpret`` returns a :class:`~kgqa.qa.runs._Run` that is ``ok`` or says which stage failed.
"""

from __future__ import annotations

from typing import Any

from kgqa.graph.client import Graph, ReadResult
from kgqa.qa.answer_kinds import is_existence
from kgqa.qa.generate import CypherCandidate
from kgqa.qa.levels import check_chain, check_names
from kgqa.qa.model import AnswerItem, Check, LinkedEntity
from kgqa.qa.parser.compiler import _label
from kgqa.qa.runs import AskOptions, _Outcome, _Run
from kgqa.qa.subgraph import _node_type, _SubgraphBuilder

VALUE_KINDS = ("yes_no", "same")  # rows mean "yes", no rows mean "no"


def _row_answer(row: dict[str, Any]) -> dict[str, Any] | None:
    answer = row.get("answer")
    if isinstance(answer, dict) and answer.get("_kind") == "node":
        return answer
    return next((v for k, v in row.items() if isinstance(v, dict) and v.get("_kind") == "node" and k != "path"), None)


def _collect(
    result: ReadResult, linked_ids: set[str], builder: _SubgraphBuilder
) -> tuple[dict[str, AnswerItem], set[str], int | None]:
    """Answer entities of the rows, those joined to a linked entity by a returned path, and a count column."""
    answers: dict[str, AnswerItem] = {}
    connected: set[str] = set()
    count: int | None = None
    for row in result.rows:
        for key in ("count", "n", "total"):
            if isinstance(row.get(key), int) and not isinstance(row.get(key), bool):
                count = row[key]
        paths = builder.add(row)
        answer = _row_answer(row)
        aid = builder.node(answer) if answer is not None else None
        if aid is None:
            continue
        if aid not in answers:
            answers[aid] = AnswerItem(id=aid, name=builder.nodes[aid].name, type=_node_type(answer.get("labels") or []))
        if any(aid in p and (linked_ids & set(p)) for p in paths):
            connected.add(aid)
    return answers, connected, count


def _fail(run: _Run, stage: str, check: str, detail: str) -> _Run:
    run.ok, run.stage, run.details = False, stage, [detail]
    run.checks.append(Check(name=check, status="failed", detail=detail))
    return run


def _check_type(run: _Run, expected: set[str] | None, asked: str) -> bool:
    """Answers of the asked type; False when none has it (the run then failed)."""
    items, checks = run.answers, run.checks
    if not expected:
        checks.append(Check(name="answer_type", status="skipped", detail="the question does not fix a type"))
        return True
    want = "/".join(sorted(expected)) + (f", {asked}" if asked else "")
    typed = [a for a in items if a.type]
    wrong = [a for a in typed if a.type not in expected]
    if typed and len(wrong) == len(typed):
        got = ", ".join(sorted({a.type or "" for a in wrong}))
        _fail(run, "answer_type", "answer_type", f"expected {'/'.join(sorted(expected))}, got {got}")
        return False
    if wrong:
        items[:] = [a for a in items if a not in wrong]
        checks.append(Check(name="answer_type", status="fixed", detail=f"dropped {len(wrong)} answers not {want}"))
    else:
        checks.append(Check(name="answer_type", status="passed", detail=want))
    return True


def _check_connected(
    run: _Run, graph: Graph, linked: list[LinkedEntity], connected: set[str], opts: AskOptions
) -> bool:
    """Every answer joined to a linked entity by a returned path (or one looked up)."""
    items = run.answers
    if not linked:
        run.checks.append(Check(name="connected", status="skipped", detail="no linked entities"))
        return True
    missing = [a for a in items if a.id not in connected]
    if missing:
        connected |= _connect(graph, [a.id for a in missing[:10]], [e.id for e in linked], run.builder, opts)
        missing = [a for a in missing if a.id not in connected]
    if missing and len(missing) == len(items):
        _fail(run, "grounding", "connected", "no returned path connects the answers to the question's entities")
        return False
    if missing:
        items[:] = [a for a in items if a.id in connected]
        run.checks.append(Check(name="connected", status="fixed", detail=f"dropped {len(missing)} unconnected answers"))
    else:
        run.checks.append(Check(name="connected", status="passed", detail=f"{len(items)} answers on returned paths"))
    return True


def _value_run(run: _Run, kind: str) -> _Run:
    """Yes/no and "same": rows say yes (the entities on the supporting paths), no rows say no (closed world)."""
    run.value = bool(run.result.rows)
    if kind == "yes_no" and run.value and not is_existence(run.candidate.description):
        run.answers = [AnswerItem(id=n.id, name=n.name, type=_node_type(n.labels)) for n in run.builder.nodes.values()]
    detail = "rows support the statement" if run.value else "no fact supports it: no (closed world over the graph)"
    run.checks.append(Check(name="yes_no", status="passed", detail=detail))
    return run


def interpret(
    graph: Graph,
    candidate: CypherCandidate,
    outcome: _Outcome,
    result: ReadResult,
    linked: list[LinkedEntity],
    expected: set[str] | None,
    counting: bool,
    opts: AskOptions,
) -> _Run:
    """The run of one executed candidate, checked (``counting``: the question asks "how many")."""
    builder = _SubgraphBuilder()
    answers, connected, count = _collect(result, {e.id for e in linked}, builder)
    run = _Run(candidate, outcome, result, list(answers.values()), count, builder, [], True)
    kind = candidate.kind
    if kind == "same" and run.answers and not _check_levels(run, graph, candidate, opts):
        return run  # the shared place is not of the asked level ("the same country" of a shared region)
    if kind in VALUE_KINDS:
        return _value_run(run, kind)
    counting = counting or kind == "count" or candidate.answer_type_hint == "count"
    if not run.answers and count is None:
        if counting and candidate.source == "parser":  # the complete parse found none: the count is 0
            run.count = run.value = 0
            run.checks.append(Check(name="cardinality", status="passed", detail="how many → 0 (closed world)"))
            return run
        if kind == "type":  # "list all towns": the graph has none (said as the reason, not as an answer)
            return _fail(run, "unknown", "result_nonempty", f"the graph has no {candidate.description}")
        return _fail(run, "empty", "result_nonempty", "the query returned no answer")
    if kind == "ordered" and result.rows:
        run.measure = result.rows[0].get("measure")
    if kind == "summary":
        run.answers = [a for a in run.answers if a.id in {e.id for e in linked}][:1] or run.answers[:1]
        run.checks.append(Check(name="summary", status="passed", detail=f"{len(result.rows)} facts"))
        return run
    if not _check_type(run, expected, candidate.asked) or not _check_connected(run, graph, linked, connected, opts):
        return run
    if not _check_tops(run, graph, candidate, opts) or not _check_levels(run, graph, candidate, opts):
        return run
    if kind == "type":
        run.answers.sort(key=lambda a: a.name.lower())
    return _check_size(run, counting, opts, capped_list=kind == "type")


def _check_tops(run: _Run, graph: Graph, candidate: CypherCandidate, opts: AskOptions) -> bool:
    """Top-level answers ("country") of which one place lies in two: neither is known to be the country (the
    graph lacks the link between them), so both are dropped; False when none is left (the run then failed)."""
    level, rel, noun = candidate.level or ("", "", "")
    if level != "top" or len(run.answers) < 2:
        return True
    rows = graph.read(
        f"MATCH (t:Entity) WHERE t.id IN $ids MATCH (t)<-[:{_label(rel)}*1..{max(1, min(opts.max_hops, 4))}]-(a:Entity) "
        "WITH a, collect(DISTINCT t.id) AS tops WHERE size(tops) > 1 RETURN a.name AS place, tops LIMIT 10",
        {"ids": [a.id for a in run.answers]},
        timeout=opts.timeout,
        max_rows=10,
    ).rows
    clashing = {t for row in rows for t in row["tops"]}
    if not clashing:
        return True
    names = {a.id: a.name for a in run.answers}
    row = rows[0]
    both = " and ".join(sorted(names.get(t, t) for t in row["tops"]))
    detail = f"the graph places {row['place']} in {both}, neither inside the other: it does not say which is the {noun}"
    return _drop_levels(run, clashing, detail)


def _check_levels(run: _Run, graph: Graph, candidate: CypherCandidate, opts: AskOptions) -> bool:
    """Answers whose own name or place in the chain contradicts the asked level ("the Ambrel Coast" as a country)
    are dropped; False when none is left (the run then failed, saying why)."""
    if candidate.level is None or not run.answers:
        return True
    wrong = check_names(run.answers, candidate.level, opts.ontology)
    rest = [a for a in run.answers if a.id not in wrong]
    wrong |= check_chain(graph, rest, candidate.level, opts.timeout)
    if not wrong:
        run.checks.append(Check(name="level", status="passed", detail=f"no answer contradicts “{candidate.level[2]}”"))
        return True
    return _drop_levels(run, set(wrong), "; ".join(dict.fromkeys(wrong.values())))


def _drop_levels(run: _Run, ids: set[str], detail: str) -> bool:
    """Drop the answers ``ids`` that are not of the asked level; False (the run failed, saying why) when none is left."""
    run.answers = [a for a in run.answers if a.id not in ids]
    if not run.answers:
        _fail(run, "unknown", "level", detail)
        return False
    run.checks.append(Check(name="level", status="fixed", detail=f"dropped {len(ids)} answers: {detail}"))
    return True


def _check_size(run: _Run, counting: bool, opts: AskOptions, capped_list: bool = False) -> _Run:
    """Too many rows fails a list (a narrower query may follow) and caps a count or a whole-graph list
    (``capped_list``: nothing narrower can follow); then the cardinality."""
    if run.result.truncated or len(run.result.rows) >= opts.limit:
        if not counting and not capped_list:
            return _fail(run, "too_many", "result_size", f"{len(run.result.rows)} rows or more (limit {opts.limit})")
        run.capped = True
        what = "count" if counting else "list"
        run.checks.append(Check(name="result_size", status="fixed", detail=f"{what} capped at {len(run.answers)}"))
    if counting:
        run.count = run.count if run.count is not None and not run.answers else len(run.answers)
        run.value = run.count
        capped = " (capped)" if run.capped else ""
        run.checks.append(Check(name="cardinality", status="passed", detail=f"how many → {run.count}{capped}"))
    else:
        run.checks.append(Check(name="cardinality", status="passed", detail=f"{len(run.answers)} answers"))
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
