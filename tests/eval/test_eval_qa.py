"""The QA scorer's optional fields (kind, value, status, text_contains) and its per-kind breakdown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kgqa.errors import InputError
from kgqa.eval.qa import QAQuestion, evaluate, load_questions, score_one
from kgqa.graph.client import Graph
from kgqa.qa.pipeline import invalidate_caches
from tests.ask_world import load_world


def _write(tmp_path: Path, rows: list[dict | str]) -> Path:
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_load_questions_reads_the_optional_fields(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            "# runs on: a comment line",
            {"id": "y", "question": "Is A in B?", "kind": "yes_no", "value": False},
            {"id": "c", "question": "How many?", "answers": ["A", "B"], "value": 2, "kind": "count"},
            {"id": "u", "question": "What is the capital of B?", "answers": [], "status": "no_answer"},
            {"id": "w", "question": "Who is A?", "status": ["answered"], "text_contains": ["B"]},
            {"id": "b", "question": "A bare line"},
        ],
    )
    y, c, u, w, b = load_questions(path)
    assert (y.answers, y.value, y.kind, y.unanswerable) == (None, False, "yes_no", False)
    assert (c.answers, c.value, c.unanswerable) == (["A", "B"], 2, False)
    assert (u.status, u.unanswerable) == (["no_answer"], True)
    assert (w.answers, w.status, w.text_contains, w.unanswerable) == (None, ["answered"], ["B"], False)
    assert (b.answers, b.unanswerable) == ([], True)


@pytest.mark.parametrize(
    "row",
    [
        {"question": "Is A in B?", "value": "yes"},
        {"question": "How many?", "value": 2.5},
        {"question": "x", "status": 3},
        {"question": "x", "text_contains": "B"},
    ],
)
def test_load_questions_rejects_bad_fields(tmp_path: Path, row: dict) -> None:
    path = _write(tmp_path, [{"question": "fine", "answers": []}, row])
    with pytest.raises(InputError, match=r"q\.jsonl:2"):
        load_questions(path)


def test_score_one_checks_every_given_part() -> None:
    a, b = {"id": "x:a", "name": "A"}, {"id": "x:b", "name": "B"}
    yes = QAQuestion("y", "Is A in B?", None, value=True)
    assert score_one(yes, [a, b], value=True)["correct"]  # answers not scored: any supporting entities
    assert score_one(yes, [], value=1)["failed"] == ["value"]  # 1 is not true
    assert score_one(yes, [], value=None)["failed"] == ["value"]
    count = QAQuestion("c", "How many?", ["A", "B"], value=2)
    assert score_one(count, [a, b], value=2)["correct"]
    assert score_one(count, [a, b], value=True)["failed"] == ["value"]  # true is not 2
    assert score_one(count, [a], value=3)["failed"] == ["answers", "value"]
    zero = QAQuestion("z", "How many?", [], value=0)
    assert score_one(zero, [], value=0)["correct"] and not score_one(zero, [], value=0)["abstained"]
    unanswerable = QAQuestion("u", "capital?", [], status=["no_answer", "fallback"])
    assert score_one(unanswerable, [], status="fallback")["correct"]
    assert score_one(unanswerable, [], status="answered")["failed"] == ["status"]
    assert score_one(unanswerable, [a], status="no_answer")["failed"] == ["answers"]
    who = QAQuestion("w", "Who is A?", None, text_contains=["B", "Port  Ilsa"])
    assert score_one(who, [], answer="A was born in Port Ilsa and works for B [1].")["correct"]
    assert score_one(who, [], answer="A works for B.")["failed"] == ["text"]


def test_evaluate_breaks_accuracy_down_by_kind(graph: Graph, tmp_path: Path) -> None:
    load_world(graph)
    invalidate_caches(graph)
    path = _write(
        tmp_path,
        [
            {"id": "a", "question": "Who is the CEO of Acme?", "answers": ["Ada Lovelace"], "kind": "lookup"},
            {"id": "b", "question": "Who is the CEO of Acme?", "text_contains": ["Ada Lovelace"], "kind": "lookup"},
            {
                "id": "c",
                "question": "Who is the CEO of Acme?",
                "answers": ["Ada Lovelace"],
                "value": 7,
                "kind": "count",
            },
            {"id": "d", "question": "Who is the CEO of Initech?", "answers": [], "status": ["no_answer", "fallback"]},
            {"id": "e", "question": "Who is the CEO of Acme?", "answers": ["Ada Lovelace"], "status": "no_answer"},
        ],
    )
    report = evaluate(graph, load_questions(path))
    rows = {r["id"]: r for r in report["results"]}
    assert [rows[k]["correct"] for k in "abcde"] == [True, True, False, True, False], rows
    assert rows["c"]["failed"] == ["value"] and rows["e"]["failed"] == ["status"]
    m = report["metrics"]
    assert m["by_kind"] == {
        "count": {"n": 1, "correct": 0, "accuracy": 0.0},
        "lookup": {"n": 2, "correct": 2, "accuracy": 1.0},
        "none": {"n": 2, "correct": 1, "accuracy": 0.5},
    }
    assert m["by_group"]["unanswerable"] == {"n": 1, "correct": 1, "accuracy": 1.0}
    assert m["abstention_recall"] == 1.0 and m["accuracy"] == 0.6
