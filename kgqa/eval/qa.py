"""Question-answering evaluation: run a JSONL question set through ``kgqa.qa.pipeline.ask``.

Each line: ``{"id": ..., "question": ..., "answers": [names], "hops": 2, "entities": [ids]}`` —
``answers`` empty means the graph holds no answer and the system must abstain; ``hops`` and
``entities`` (pre-linked topic entities) are optional. Optional fields for other question kinds:
``kind`` (a label; accuracy is broken down by it), ``value`` (the expected ``value`` of the answer:
true/false for yes/no, an integer for counts), ``status`` (the expected status, or a list of accepted
ones, e.g. ``["no_answer", "fallback"]``) and ``text_contains`` (names the answer text must mention,
e.g. for "who is X"). ``answers`` may then be left out: it is not scored. An item is right when every
given part matches.

Metrics: accuracy (all gold answers returned and nothing extra; abstaining is correct exactly when the
gold list is empty), Hits@1 (first returned answer is gold), abstention precision/recall, per-hop and
per-kind accuracy, latency per pipeline stage (p50/p95), and per-question results.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kgqa.errors import InputError
from kgqa.graph.client import Graph
from kgqa.qa.linking import normalise

Value = bool | int


@dataclass
class QAQuestion:
    id: str
    question: str
    answers: list[str] | None  # None: the answers are not scored (only value/status/text)
    hops: int | None = None
    entities: list[str] = field(default_factory=list)
    kind: str | None = None
    value: Value | None = None
    status: list[str] | None = None
    text_contains: list[str] = field(default_factory=list)

    @property
    def unanswerable(self) -> bool:
        """The graph holds no answer: no entity and no value is expected."""
        return self.answers == [] and self.value is None and not self.text_contains


def _str_list(row: dict[str, Any], key: str) -> list[str] | None:
    raw = row.get(key)
    if raw is None:
        return None
    if isinstance(raw, str) and key == "status":
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise ValueError(f"{key} must be a list of strings")
    return list(raw)


def _value(row: dict[str, Any]) -> Value | None:
    value = row.get("value")
    if value is not None and not isinstance(value, bool | int):
        raise ValueError("value must be true, false or an integer")
    return value


def _question(row: dict[str, Any], n: int) -> QAQuestion:
    value, status = _value(row), _str_list(row, "status")
    text = _str_list(row, "text_contains") or []
    answers = _str_list(row, "answers")
    if answers is None and value is None and status is None and not text:
        answers = []  # a bare question: the graph holds no answer
    return QAQuestion(
        id=str(row.get("id", n)),
        question=str(row["question"]),
        answers=answers,
        hops=row.get("hops"),
        entities=[str(e) for e in row.get("entities", [])],
        kind=str(row["kind"]) if row.get("kind") is not None else None,
        value=value,
        status=status,
        text_contains=text,
    )


def load_questions(path: str | Path) -> list[QAQuestion]:
    """Read a question file; errors name the line."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"question file not found: {path}", "pass a JSONL file to --questions")
    out: list[QAQuestion] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            out.append(_question(json.loads(line), n))
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(
                f"{path}:{n}: not a question line ({exc})", 'each line: {"id", "question", "answers": [names]}'
            ) from exc
    if not out:
        raise InputError(f"{path} holds no questions")
    return out


def _matches(gold: str, item: dict[str, Any]) -> bool:
    g = normalise(gold)
    return g in {normalise(item.get("name", "")), normalise(item.get("id", ""))}


def _same_value(gold: Value, got: Any) -> bool:
    """true/false only match booleans and integers only integers (``True == 1`` in Python)."""
    return isinstance(got, bool) == isinstance(gold, bool) and isinstance(got, bool | int) and got == gold


def score_one(
    q: QAQuestion,
    predicted: list[dict[str, Any]],
    *,
    value: Any = None,
    status: str | None = None,
    answer: str = "",
) -> dict[str, Any]:
    """Correctness of one prediction (answer dicts with id/name, plus the result's value, status and text).

    ``failed`` names the parts that did not match: answers, value, status, text.
    """
    failed: list[str] = []
    hit1: bool | None = None
    if q.answers:
        covered = all(any(_matches(g, p) for p in predicted) for g in q.answers)
        extra = [p for p in predicted if not any(_matches(g, p) for g in q.answers)]
        hit1 = bool(predicted) and any(_matches(g, predicted[0]) for g in q.answers)
        if not covered or extra:
            failed.append("answers")
    elif q.answers == [] and predicted:
        failed.append("answers")
    if q.value is not None and not _same_value(q.value, value):
        failed.append("value")
    if q.status is not None and status not in q.status:
        failed.append("status")
    text = normalise(answer)
    if any(normalise(t) not in text for t in q.text_contains):
        failed.append("text")
    return {"correct": not failed, "hit1": hit1, "abstained": not predicted and value is None, "failed": failed}


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(q * (len(values) - 1))))
    return round(values[k], 3)


def _run_one(q: QAQuestion, graph: Graph, ask_kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, float]]:
    """Ask one question; its result row and the milliseconds per pipeline stage."""
    from kgqa.qa.linking import given_entities
    from kgqa.qa.pipeline import ask

    linked = given_entities(q.entities, graph) if q.entities else None
    start = time.perf_counter()
    res = ask(q.question, graph, linked, **ask_kwargs)
    ms = (time.perf_counter() - start) * 1000
    per_stage: dict[str, float] = {}
    for step in res.trace:
        per_stage[step.stage] = per_stage.get(step.stage, 0.0) + step.ms
    predicted = [a.model_dump() for a in res.answers]
    value = getattr(res, "value", None)
    row = {
        "id": q.id,
        "question": q.question,
        "kind": q.kind,
        "hops": q.hops,
        "gold": q.answers or [],
        "gold_value": q.value,
        "gold_status": q.status,
        "unanswerable": q.unanswerable,
        "predicted": [p["name"] for p in predicted],
        "value": value,
        "status": res.status,
        "answer": res.answer,
        "cypher": res.cypher,
        "ms": round(ms, 2),
        **score_one(q, predicted, value=value, status=res.status, answer=res.answer),
    }
    return row, per_stage


def _accuracy_by(results: list[dict[str, Any]], key: Callable[[dict[str, Any]], str]) -> dict[str, dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for r in results:
        group = groups.setdefault(key(r), {"n": 0, "correct": 0})
        group["n"] += 1
        group["correct"] += int(r["correct"])
    for group in groups.values():
        group["accuracy"] = round(group["correct"] / group["n"], 4) if group["n"] else 0.0
    return dict(sorted(groups.items()))


def _hop_group(r: dict[str, Any]) -> str:
    if r["unanswerable"]:
        return "unanswerable"
    return f"{r['hops']}-hop" if r["hops"] is not None else "answerable"


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _metrics(results: list[dict[str, Any]], totals: list[float], stages: dict[str, list[float]]) -> dict[str, Any]:
    answerable = [r for r in results if not r["unanswerable"]]
    with_answers = [r for r in results if r["gold"]]
    unanswerable = [r for r in results if r["unanswerable"]]
    abstained = [r for r in results if r["abstained"]]
    correct_abstentions = sum(1 for r in abstained if r["unanswerable"])
    metrics: dict[str, Any] = {
        "questions": len(results),
        "accuracy": _ratio(sum(r["correct"] for r in results), len(results)) or 0.0,
        "hits@1": _ratio(sum(bool(r["hit1"]) for r in with_answers), len(with_answers)),
        "answerable_accuracy": _ratio(sum(r["correct"] for r in answerable), len(answerable)),
        "abstention_precision": _ratio(correct_abstentions, len(abstained)),
        "abstention_recall": _ratio(correct_abstentions, len(unanswerable)),
        "by_group": _accuracy_by(results, _hop_group),
    }
    if any(r["kind"] for r in results):
        metrics["by_kind"] = _accuracy_by(results, lambda r: r["kind"] or "none")
    metrics["latency_ms"] = {
        "total": {"p50": _pct(totals, 0.5), "p95": _pct(totals, 0.95), "mean": round(statistics.fmean(totals), 3)}
        if totals
        else {},
        **{stage: {"p50": _pct(v, 0.5), "p95": _pct(v, 0.95)} for stage, v in sorted(stages.items())},
    }
    return metrics


def evaluate(
    graph: Graph,
    questions: list[QAQuestion],
    *,
    ask_kwargs: dict[str, Any] | None = None,
    on_result: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Run every question; return metrics (``by_kind`` when items carry a ``kind``) and per-question results."""
    results: list[dict[str, Any]] = []
    stages: dict[str, list[float]] = {}
    for q in questions:
        row, per_stage = _run_one(q, graph, ask_kwargs or {})
        for stage, ms in per_stage.items():
            stages.setdefault(stage, []).append(ms)
        results.append(row)
        if on_result:
            on_result(row)
    return {"metrics": _metrics(results, [r["ms"] for r in results], stages), "results": results}
