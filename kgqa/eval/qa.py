"""Question-answering evaluation: run a JSONL question set through ``kgqa.qa.pipeline.ask``.

Each line: ``{"id": ..., "question": ..., "answers": [names], "hops": 2, "entities": [ids]}`` —
``answers`` empty means the graph holds no answer and the system must abstain; ``hops`` and
``entities`` (pre-linked topic entities) are optional.

Metrics: accuracy (all gold answers returned and nothing extra; abstaining is correct exactly when the
gold list is empty), Hits@1 (first returned answer is gold), abstention precision/recall, per-hop
accuracy, latency per pipeline stage (p50/p95), and per-question results.
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


@dataclass
class QAQuestion:
    id: str
    question: str
    answers: list[str]
    hops: int | None = None
    entities: list[str] = field(default_factory=list)


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
            row = json.loads(line)
            answers = row.get("answers", [])
            if not isinstance(answers, list):
                raise ValueError("answers must be a list")
            out.append(
                QAQuestion(
                    id=str(row.get("id", n)),
                    question=str(row["question"]),
                    answers=[str(a) for a in answers],
                    hops=row.get("hops"),
                    entities=[str(e) for e in row.get("entities", [])],
                )
            )
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


def score_one(q: QAQuestion, predicted: list[dict[str, Any]]) -> dict[str, Any]:
    """Correctness of one prediction (list of answer dicts with id/name)."""
    if not q.answers:
        return {"correct": not predicted, "hit1": None, "abstained": not predicted}
    covered = all(any(_matches(g, p) for p in predicted) for g in q.answers)
    extra = [p for p in predicted if not any(_matches(g, p) for g in q.answers)]
    hit1 = bool(predicted) and any(_matches(g, predicted[0]) for g in q.answers)
    return {"correct": covered and not extra, "hit1": hit1, "abstained": not predicted}


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(q * (len(values) - 1))))
    return round(values[k], 3)


def evaluate(
    graph: Graph,
    questions: list[QAQuestion],
    *,
    ask_kwargs: dict[str, Any] | None = None,
    on_result: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Run every question; return metrics and per-question results."""
    from kgqa.qa.linking import given_entities
    from kgqa.qa.pipeline import ask

    results: list[dict[str, Any]] = []
    stages: dict[str, list[float]] = {}
    totals: list[float] = []
    for q in questions:
        linked = given_entities(q.entities, graph) if q.entities else None
        start = time.perf_counter()
        res = ask(q.question, graph, linked, **(ask_kwargs or {}))
        ms = (time.perf_counter() - start) * 1000
        totals.append(ms)
        per_stage: dict[str, float] = {}
        for step in res.trace:
            per_stage[step.stage] = per_stage.get(step.stage, 0.0) + step.ms
        for stage, value in per_stage.items():
            stages.setdefault(stage, []).append(value)
        predicted = [a.model_dump() for a in res.answers]
        row = {
            "id": q.id,
            "question": q.question,
            "hops": q.hops,
            "gold": q.answers,
            "predicted": [p["name"] for p in predicted],
            "status": res.status,
            "cypher": res.cypher,
            "ms": round(ms, 2),
            **score_one(q, predicted),
        }
        results.append(row)
        if on_result:
            on_result(row)
    answerable = [r for r in results if r["gold"]]
    unanswerable = [r for r in results if not r["gold"]]
    abstained = [r for r in results if r["abstained"]]
    by_hops: dict[str, dict[str, Any]] = {}
    for r in results:
        key = "unanswerable" if not r["gold"] else f"{r['hops']}-hop" if r["hops"] is not None else "answerable"
        group = by_hops.setdefault(key, {"n": 0, "correct": 0})
        group["n"] += 1
        group["correct"] += int(r["correct"])
    for group in by_hops.values():
        group["accuracy"] = round(group["correct"] / group["n"], 4) if group["n"] else 0.0
    correct_abstentions = sum(1 for r in abstained if not r["gold"])
    metrics = {
        "questions": len(results),
        "accuracy": round(sum(r["correct"] for r in results) / len(results), 4) if results else 0.0,
        "hits@1": round(sum(bool(r["hit1"]) for r in answerable) / len(answerable), 4) if answerable else None,
        "answerable_accuracy": round(sum(r["correct"] for r in answerable) / len(answerable), 4)
        if answerable
        else None,
        "abstention_precision": round(correct_abstentions / len(abstained), 4) if abstained else None,
        "abstention_recall": round(correct_abstentions / len(unanswerable), 4) if unanswerable else None,
        "by_group": dict(sorted(by_hops.items())),
        "latency_ms": {
            "total": {"p50": _pct(totals, 0.5), "p95": _pct(totals, 0.95), "mean": round(statistics.fmean(totals), 3)}
            if totals
            else {},
            **{stage: {"p50": _pct(v, 0.5), "p95": _pct(v, 0.95)} for stage, v in sorted(stages.items())},
        },
    }
    return {"metrics": metrics, "results": results}
