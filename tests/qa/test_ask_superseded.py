"""Answers over superseded and conflicting facts (issue 14), on a graph built by the offline extractor: the
current holder is the answer and the text names the one replaced; two CEOs with no replacement are shown as a
conflict, not hidden."""

from __future__ import annotations

from pathlib import Path

from kgqa.ingest.pipeline import BuildOptions, run_build
from kgqa.qa.pipeline import ask, invalidate_caches

GREER = "Tomas Greer is the CEO of Brightwater Robotics. Greer was born in Marrow Bay."
EDE = (
    "Marcus Ede was born in Tessaly. Brightwater Robotics is a robotics company. "
    "Marcus Ede is now its CEO, replacing Tomas Greer."
)
LIND = "Oskar Lind was born in Harlow. Oskar Lind is the CEO of Calder Logistics."
FROST = "Nadia Frost was born in Tessaly. Nadia Frost is the CEO of Calder Logistics."


def _build(graph, tmp_path: Path, docs: dict[str, str]) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    for name, text in docs.items():
        (root / name).write_text(text, encoding="utf-8")
    report = run_build(graph, [root], BuildOptions(extractor="offline"), graph.settings)
    assert report.ok, report.failures
    invalidate_caches(graph)


def test_the_answer_is_the_current_holder_and_names_the_replaced_one(graph, tmp_path: Path) -> None:
    _build(graph, tmp_path, {"greer.txt": GREER, "ede.txt": EDE})
    res = ask("Who is the CEO of Brightwater Robotics?", graph)
    assert res.status == "answered"
    assert [a.name for a in res.answers] == ["Marcus Ede"]
    assert "Marcus Ede replaced Tomas Greer, per ede.txt" in res.answer
    assert "conflicting" not in res.answer
    # the old fact is kept in the answer's subgraph, marked
    old = [r for r in res.subgraph.relationships if r.start == "person:tomas-greer"]
    assert old and old[0].superseded_by == "Marcus Ede" and old[0].superseded_in == "ede.txt"


def test_two_ceos_without_a_replacement_are_shown_as_a_conflict(graph, tmp_path: Path) -> None:
    _build(graph, tmp_path, {"lind.txt": LIND, "frost.txt": FROST})
    res = ask("Who is the CEO of Calder Logistics?", graph)
    assert res.status == "answered"
    assert {a.name for a in res.answers} == {"Oskar Lind", "Nadia Frost"}
    assert "the graph has 2 conflicting facts" in res.answer
    assert "Nadia Frost is the CEO of Calder Logistics" in res.answer
    assert "Oskar Lind is the CEO of Calder Logistics" in res.answer


def test_a_question_through_a_once_retyped_entity(graph, tmp_path: Path) -> None:
    """ "Marcus Ede" read as an organisation in the first document, a person in the second (built later)."""
    lumen = tmp_path / "lumen.txt"
    lumen.write_text("Lumen Optics was founded by Marcus Ede in 2011.", encoding="utf-8")
    run_build(graph, [lumen], BuildOptions(extractor="offline"), graph.settings)
    _build(graph, tmp_path, {"ede.txt": EDE})
    res = ask("Where was the founder of Lumen Optics born?", graph)
    assert [a.name for a in res.answers] == ["Tessaly"], res.answer
