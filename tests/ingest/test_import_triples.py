"""`kgqa import triples`: parsing, naming, idempotent import with provenance, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kgqa.errors import InputError
from kgqa.graph.client import Graph
from kgqa.ingest.triples import (
    entity_id,
    import_triples,
    parse_triples,
    relation_type,
)
from kgqa.names import normalize_name

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "data" / "metaqa_sample"
SHARED_KB = next(
    (p / "shared/data/metaqa/kb.txt" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared/data/metaqa").is_dir()),
    ROOT.parent / "shared/data/metaqa/kb.txt",
)


def kgqa(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kgqa", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_relation_types_are_sanitised_and_validated() -> None:
    assert relation_type("directed_by") == "DIRECTED_BY"
    assert relation_type("Directed By") == "DIRECTED_BY"
    assert relation_type("directedBy") == "DIRECTED_BY"
    assert relation_type("has-imdb rating") == "HAS_IMDB_RATING"
    assert relation_type("2nd_author") == "R_2ND_AUTHOR"
    assert relation_type("x`]->(n) DETACH DELETE n //") == "X_N_DETACH_DELETE_N"
    for bad in ("!!!", "   ", "mentions", "part of"):
        with pytest.raises(ValueError):
            relation_type(bad)


def test_entity_ids_are_stable_and_keep_case_distinct() -> None:
    assert entity_id("Kismet") == entity_id("Kismet")
    assert entity_id("Kismet") != entity_id("kismet")  # a movie and a tag in MetaQA
    assert entity_id("Kismet").startswith("kismet-")
    assert normalize_name("  Grégoire   Colin ") == "gregoire colin"
    assert normalize_name("Paris, Texas") == "paris texas"


def test_parse_reports_malformed_lines_and_merges_duplicates(tmp_path: Path) -> None:
    f = tmp_path / "kb.txt"
    f.write_text("A|rel|B\nA|rel|B\nbroken line\n\nA||B\nC|rel|D|E\nC|other rel|A\n", encoding="utf-8")
    parsed = parse_triples(f, "pipe")
    assert parsed.triples == 3
    assert [e.line for e in parsed.errors] == [3, 5, 6]
    rel = parsed.relationships[("REL", entity_id("A"), entity_id("B"))]
    assert rel["keys"] == ["kb.txt:1", "kb.txt:2"]
    assert parsed.relation_names == {"rel": "REL", "other rel": "OTHER_REL"}


def test_import_is_idempotent_with_provenance(graph: Graph, tmp_path: Path) -> None:
    kb = SAMPLE / "kb.txt"
    lines = kb.read_text(encoding="utf-8").splitlines()
    distinct = {tuple(line.split("|")) for line in lines}
    names = {t[0] for t in distinct} | {t[2] for t in distinct}
    report = import_triples(graph, kb, "pipe")
    assert report.malformed == 0 and report.triples == len(lines)
    assert report.relationships == len(distinct) and report.created == len(distinct)
    assert graph.value("MATCH (e:Entity) RETURN count(e) AS c") == len(names)
    assert graph.value("MATCH (:Entity)-[r]->(:Entity) RETURN count(r) AS c") == len(distinct)

    subject, relation, obj = lines[0].split("|")
    row = graph.read(
        f"MATCH (a:Entity {{id: $a}})-[r:{relation_type(relation)}]->(b:Entity {{id: $b}}) "
        "RETURN r.relation AS relation, r.evidence_keys AS keys, r.doc_ids AS docs, r.sentences AS sentences, "
        "r.extractors AS extractors, a.name AS a, a.norm AS norm",
        {"a": entity_id(subject), "b": entity_id(obj)},
    ).rows[0]
    assert row["relation"] == relation
    assert row["keys"] == ["kb.txt:1"] and row["docs"] == ["kb.txt"]
    assert row["sentences"] == [lines[0]] and row["extractors"] == ["import"]
    assert row["a"] == subject and row["norm"] == normalize_name(subject)
    assert graph.value("MATCH (d:Document {id: 'kb.txt'}) RETURN d.hash AS h")

    def snapshot() -> list:
        return graph.read(
            "MATCH (a:Entity)-[r]->(b:Entity) RETURN a.id AS a, type(r) AS t, b.id AS b, r.evidence_keys AS k "
            "ORDER BY a, t, b",
            max_rows=100_000,
        ).rows

    before = snapshot()
    again = import_triples(graph, kb, "pipe")
    assert again.created == 0 and again.merged == len(distinct)
    assert snapshot() == before
    assert graph.value("MATCH (e:Entity) RETURN count(e) AS c") == len(names)

    # a second file adds its evidence to the existing relationship, once
    copy = tmp_path / "more.txt"
    copy.write_text(lines[0] + "\n", encoding="utf-8")
    for _ in range(2):
        import_triples(graph, copy, "pipe")
    keys = graph.value(
        f"MATCH (:Entity {{id: $a}})-[r:{relation_type(relation)}]->(:Entity {{id: $b}}) RETURN r.evidence_keys AS k",
        {"a": entity_id(subject), "b": entity_id(obj)},
    )
    assert keys == ["kb.txt:1", "more.txt:1"]


def test_tsv_and_csv_formats(graph: Graph, tmp_path: Path) -> None:
    tsv = tmp_path / "t.tsv"
    tsv.write_text("Ada Lovelace\tworks for\tAnalytical Engines Ltd\n", encoding="utf-8")
    csv_file = tmp_path / "t.csv"
    csv_file.write_text('subject,relation,object\n"Babbage, Charles",works for,Analytical Engines Ltd\n')
    import_triples(graph, tsv, "tsv")
    report = import_triples(graph, csv_file, "csv")
    assert report.triples == 1 and report.malformed == 0
    rows = graph.read(
        "MATCH (a:Entity)-[r:WORKS_FOR]->(b:Entity) RETURN a.name AS a, b.name AS b ORDER BY a", max_rows=10
    ).rows
    assert rows == [
        {"a": "Ada Lovelace", "b": "Analytical Engines Ltd"},
        {"a": "Babbage, Charles", "b": "Analytical Engines Ltd"},
    ]


def test_bad_inputs_raise_clear_errors(graph: Graph, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        import_triples(graph, tmp_path / "missing.txt", "pipe")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(InputError, match="holds no triples"):
        import_triples(graph, empty, "pipe")
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("a,b,c\n", encoding="utf-8")
    with pytest.raises(InputError, match="no valid triple"):
        import_triples(graph, wrong, "pipe")
    assert graph.value("MATCH (n) RETURN count(n) AS c") == 0


def test_cli_reports_malformed_lines_and_exits_non_zero(graph: Graph, graph_env: dict, tmp_path: Path) -> None:
    f = tmp_path / "kb.txt"
    f.write_text("Movie A|directed_by|Person B\nnot a triple\nMovie A|release_year|1999\n", encoding="utf-8")
    done = kgqa(["import", "triples", str(f), "--json"], graph_env)
    assert done.returncode == 2, done.stderr
    data = json.loads(done.stdout)
    assert data["triples"] == 2 and data["malformed"] == 1
    assert data["errors"][0]["line"] == 2
    assert data["relation_types"] == {"directed_by": "DIRECTED_BY", "release_year": "RELEASE_YEAR"}
    assert graph.value("MATCH ()-[r]->() RETURN count(r) AS c") == 2

    missing = kgqa(["import", "triples", str(tmp_path / "nope.txt")], graph_env)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    bad_format = kgqa(["import", "triples", str(f), "--format", "xml"], graph_env)
    assert bad_format.returncode == 2 and "unknown format" in bad_format.stderr


@pytest.mark.slow
@pytest.mark.skipif(not SHARED_KB.exists(), reason="needs ../shared/data/metaqa/kb.txt")
def test_full_metaqa_kb_import(graph: Graph) -> None:
    report = import_triples(graph, SHARED_KB, "pipe")
    assert report.malformed == 0
    assert report.triples == 134_650
    assert report.relationships == 133_582
    assert report.entities == 43_234
    assert graph.value("MATCH (:Entity)-[r]->(:Entity) RETURN count(r) AS c") == 133_582


def test_import_writer_refuses_reserved_and_malformed_types() -> None:
    """Without an ontology the writer takes any UPPER_SNAKE type except kgqa's own structural ones."""
    from kgqa.ingest.write import GraphWriter

    writer = GraphWriter(None, None)  # type: ignore[arg-type]  # relation_type never touches the graph
    assert writer.relation_type("DIRECTED_BY") == "DIRECTED_BY"
    for bad in ("PART_OF", "NEXT", "MENTIONS", "directed_by", "X]->() DETACH DELETE n //"):
        with pytest.raises(InputError):
            writer.relation_type(bad)
