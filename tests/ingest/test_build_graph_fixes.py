"""Graph fixes behind answers (issue 14), with the offline extractor on the real graph: one node per real entity
when a mention is typed differently in another document, and replacement statements that mark the old fact
superseded. Incremental, idempotent and retractable."""

from __future__ import annotations

import json
from pathlib import Path

from kgqa.ingest.pipeline import BuildOptions, remove_documents, run_build
from tests.proc_support import kgqa_cli

# spaCy reads "founded by Marcus Ede in 2011" as an organisation; the second document makes him a person
LUMEN = (
    "Lumen Optics is a lens maker headquartered in Marrow Bay. Lumen Optics was founded by Marcus Ede in 2011. "
    "Ede sold the company to Brightwater Robotics in 2019."
)
EDE = (
    "Marcus Ede was born in Tessaly. Marcus Ede studied at the Pellavane Institute of Technology. "
    "Brightwater Robotics is a robotics company. Marcus Ede is now its CEO, replacing Tomas Greer."
)
GREER = "Tomas Greer is the CEO of Brightwater Robotics. Greer was born in Marrow Bay."


def _write(root: Path, name: str, text: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    path = root / name
    path.write_text(text, encoding="utf-8")
    return path


def _build(graph, *paths):
    report = run_build(graph, list(paths), BuildOptions(extractor="offline"), graph.settings)
    assert report.ok, report.failures
    return report


def _nodes(graph, name: str) -> list[dict]:
    return graph.read("MATCH (e:Entity {name: $n}) RETURN e.id AS id, e.type AS type", {"n": name}).rows


def _facts(graph) -> set[tuple[str, str, str]]:
    rows = graph.read("MATCH (s:Entity)-[r]->(o:Entity) RETURN s.id AS s, type(r) AS t, o.id AS o").rows
    return {(r["s"], r["t"], r["o"]) for r in rows}


def _snapshot(graph) -> dict:
    nodes = graph.read("MATCH (n) RETURN n.id AS id, properties(n) AS p ORDER BY id", max_rows=10000).rows
    for n in nodes:
        n["p"].pop("ingested_at", None)
    rels = graph.read(
        "MATCH (a)-[r]->(b) RETURN a.id AS a, type(r) AS t, b.id AS b, properties(r) AS p ORDER BY a, t, b",
        max_rows=10000,
    ).rows
    return {"nodes": nodes, "rels": rels}


def test_a_retyped_mention_ends_as_one_node_built_later(graph, tmp_path: Path, graph_env) -> None:
    first = _write(tmp_path / "one", "lumen.txt", LUMEN)
    _build(graph, first)
    assert [n["type"] for n in _nodes(graph, "Marcus Ede")] == ["Organization"]  # the extractor's mistake

    second = _write(tmp_path / "two", "ede.txt", EDE)
    proc = kgqa_cli(graph_env, "build", str(second), "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    merged = [m for m in report["nodes_merged"] if m["into"]]
    assert merged == [
        {
            "name": "Marcus Ede",
            "from": "organization:marcus-ede",
            "into": "person:marcus-ede",
            "reason": merged[0]["reason"],
            "facts_moved": 1,
        }
    ]
    assert "Person" in merged[0]["reason"]
    assert _nodes(graph, "Marcus Ede") == [{"id": "person:marcus-ede", "type": "Person"}]
    facts = _facts(graph)
    assert ("person:marcus-ede", "FOUNDED", "organization:lumen-optics") in facts
    assert ("person:marcus-ede", "BORN_IN", "location:tessaly") in facts
    # the moved fact keeps its evidence; the mention moved with it
    ev = graph.read(
        "MATCH (:Entity {id: 'person:marcus-ede'})-[r:FOUNDED]->() RETURN r.doc_ids AS d, r.sentences AS s"
    ).rows[0]
    assert ev["d"] == ["lumen.txt"] and "founded by Marcus Ede" in ev["s"][0]
    assert graph.value(
        "MATCH (c:Chunk {doc_id: 'lumen.txt'})-[:MENTIONS]->(e:Entity {id: 'person:marcus-ede'}) RETURN count(*)"
    )

    before = _snapshot(graph)
    again = _build(graph, first, second)  # unchanged documents: the same graph
    assert again.documents["unchanged"] == 2 and _snapshot(graph) == before

    first.write_text(LUMEN + " Lumen Optics makes lenses.", encoding="utf-8")  # changed: re-extracted
    _build(graph, first)
    assert _nodes(graph, "Marcus Ede") == [{"id": "person:marcus-ede", "type": "Person"}]
    assert ("person:marcus-ede", "FOUNDED", "organization:lumen-optics") in _facts(graph)

    remove_documents(graph, ["lumen.txt"])  # retraction still removes exactly that document's facts
    facts = _facts(graph)
    assert ("person:marcus-ede", "FOUNDED", "organization:lumen-optics") not in facts
    assert ("person:marcus-ede", "BORN_IN", "location:tessaly") in facts
    assert _nodes(graph, "Marcus Ede") == [{"id": "person:marcus-ede", "type": "Person"}]


def test_a_retyped_mention_in_one_build_is_one_node(graph, tmp_path: Path) -> None:
    _write(tmp_path / "c", "lumen.txt", LUMEN)
    _write(tmp_path / "c", "ede.txt", EDE)
    _build(graph, tmp_path / "c")
    assert _nodes(graph, "Marcus Ede") == [{"id": "person:marcus-ede", "type": "Person"}]
    assert ("person:marcus-ede", "FOUNDED", "organization:lumen-optics") in _facts(graph)


def _ceo_marks(graph) -> dict[str, dict]:
    rows = graph.read(
        "MATCH (p:Entity)-[r:CEO_OF]->(:Entity {id: 'organization:brightwater-robotics'}) "
        "RETURN p.id AS p, r.superseded_by AS by, r.superseded_in AS doc, r.superseded_evidence AS ev, "
        "r.doc_ids AS docs"
    ).rows
    return {r["p"]: r for r in rows}


def test_a_replacement_statement_marks_the_old_fact_superseded(graph, tmp_path: Path) -> None:
    greer = _write(tmp_path / "a", "greer.txt", GREER)
    _build(graph, greer)
    assert _ceo_marks(graph)["person:tomas-greer"]["by"] is None

    ede = _write(tmp_path / "b", "ede.txt", EDE)
    report = _build(graph, ede)
    assert report.superseded == 1
    marks = _ceo_marks(graph)
    old, new = marks["person:tomas-greer"], marks["person:marcus-ede"]
    assert (old["by"], old["doc"]) == ("person:marcus-ede", "ede.txt")
    assert "replacing Tomas Greer" in old["ev"]
    assert old["docs"] == ["greer.txt"]  # kept, with its own evidence
    assert new["by"] is None

    remove_documents(graph, ["ede.txt"])  # the replacing statement is gone: so is the mark
    marks = _ceo_marks(graph)
    assert set(marks) == {"person:tomas-greer"} and marks["person:tomas-greer"]["by"] is None


def test_succeeded_as_keeps_both_holders_and_supersedes_the_old(graph, tmp_path: Path) -> None:
    doc = _write(
        tmp_path / "c",
        "news.txt",
        "Brightwater Robotics is a robotics company. "
        "In 2023 Marcus Ede succeeded Tomas Greer as CEO of Brightwater Robotics.",
    )
    _build(graph, doc)
    marks = _ceo_marks(graph)
    assert set(marks) == {"person:tomas-greer", "person:marcus-ede"}
    assert marks["person:tomas-greer"]["by"] == "person:marcus-ede"
    assert marks["person:marcus-ede"]["by"] is None


def test_an_abbreviation_node_written_earlier_joins_its_full_name(graph, tmp_path: Path) -> None:
    early = _write(tmp_path / "a", "memo.txt", "BWR is headquartered in Harlow.")
    _build(graph, early)
    assert _nodes(graph, "BWR")
    later = _write(tmp_path / "b", "about.txt", "Brightwater Robotics (BWR) makes robots.")
    report = _build(graph, later)
    assert [m["from"] for m in report.nodes_merged if m["into"]] == ["organization:bwr"]
    assert not _nodes(graph, "BWR")
    docs = graph.value(
        "MATCH (:Entity {id: 'organization:brightwater-robotics'})-[r:HEADQUARTERED_IN]->() RETURN r.doc_ids"
    )
    assert docs == ["memo.txt"]
