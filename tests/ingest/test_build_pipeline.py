"""Graph building against the real graph server: idempotence, incremental updates, retraction, removal,
bad inputs, interruption and export. Uses the deterministic test extractor in tests/build_support.py."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from kgqa.ingest.pipeline import BuildOptions, remove_documents, run_build
from tests.build_support import PatternExtractor

ROOT = Path(__file__).resolve().parents[2]
SPEC = "py:tests.build_support:PatternExtractor"

DOC_A = (
    "Oren Vale works for Acme Inc. Acme Inc. is a company. Vale was born in Lyon. "
    "Oren Vale is married to Lina Vale. Lina Vale is a friend of Oren Vale."
)
DOC_B = "# Notes\n\nLina Vale is married to Oren Vale. Lina Vale works for Globex. Globex is located in Paris."


def _corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text(DOC_A, encoding="utf-8")
    (root / "sub" / "b.md").write_text(DOC_B, encoding="utf-8")
    return root


def _build(graph, *paths, **opts):
    return run_build(graph, list(paths), BuildOptions(extractor=SPEC, **opts), graph.settings)


def _facts(graph) -> set[tuple[str, str, str]]:
    rows = graph.read("MATCH (s:Entity)-[r]->(o:Entity) RETURN s.name AS s, type(r) AS t, o.name AS o").rows
    return {(r["s"], r["t"], r["o"]) for r in rows}


def _snapshot(graph) -> dict:
    nodes = graph.read(
        "MATCH (n) RETURN labels(n) AS l, n.id AS id, properties(n) AS p ORDER BY id", max_rows=100000
    ).rows
    rels = graph.read(
        "MATCH (a)-[r]->(b) RETURN a.id AS a, type(r) AS t, b.id AS b, properties(r) AS p ORDER BY a, t, b",
        max_rows=100000,
    ).rows
    for n in nodes:
        n["p"].pop("ingested_at", None)
    return {"nodes": nodes, "rels": rels}


def _assert_no_duplicates(graph) -> None:
    assert graph.value("MATCH (c:Chunk) WITH c.id AS id, count(*) AS n WHERE n > 1 RETURN count(id)") == 0
    assert graph.value("MATCH (d:Document) WITH d.id AS id, count(*) AS n WHERE n > 1 RETURN count(id)") == 0
    assert graph.value("MATCH (e:Entity) WITH e.id AS id, count(*) AS n WHERE n > 1 RETURN count(id)") == 0
    dup_rels = graph.value(
        "MATCH (a)-[r]->(b) WITH a, type(r) AS t, b, count(r) AS n WHERE n > 1 RETURN count(*)", default=0
    )
    assert dup_rels == 0
    for row in graph.read("MATCH (:Entity)-[r]->(:Entity) RETURN r.evidence_keys AS k", max_rows=100000).rows:
        assert len(row["k"]) == len(set(row["k"])) > 0


def test_build_writes_the_graph_model(graph, tmp_path: Path) -> None:
    root = _corpus(tmp_path)
    report = _build(graph, root)
    assert report.ok and report.documents["new"] == 2
    assert _facts(graph) == {
        ("Oren Vale", "WORKS_FOR", "Acme"),
        ("Oren Vale", "BORN_IN", "Lyon"),  # "Vale" resolved to Oren Vale within the document
        ("Lina Vale", "MARRIED_TO", "Oren Vale"),  # symmetric: stored once, smaller id first
        ("Lina Vale", "WORKS_FOR", "Globex"),
        ("Globex", "LOCATED_IN", "Paris"),  # Globex typed by WORKS_FOR's range, so LOCATED_IN is allowed
    }
    assert report.pruned == {"unknown_relation": 1}
    doc = graph.read("MATCH (d:Document {id: 'sub/b.md'}) RETURN d").rows[0]["d"]
    assert doc["title"] == "Notes" and len(doc["hash"]) == 64 and doc["source"].endswith("b.md")
    married = graph.read("MATCH (:Person)-[r:MARRIED_TO]->(:Person) RETURN r").rows
    assert len(married) == 1
    props = married[0]["r"]["properties"]
    assert sorted(props["doc_ids"]) == ["a.txt", "sub/b.md"]
    assert all(len(props[k]) == 2 for k in ("evidence_keys", "chunk_ids", "sentences", "extractors", "confidences"))
    assert props["evidence_keys"][props["doc_ids"].index("a.txt")] == "a.txt#0/3"
    assert props["confidence"] == pytest.approx(0.9)
    acme = graph.read("MATCH (e:Entity:Organization {id: 'organization:acme'}) RETURN e").rows[0]["e"]
    assert "Acme Inc." in acme["aliases"] and acme["type"] == "Organization"
    # chunks: PART_OF, MENTIONS
    assert graph.value("MATCH (c:Chunk)-[:PART_OF]->(:Document {id: 'a.txt'}) RETURN count(c)") == 1
    assert graph.value("MATCH (:Chunk {id: 'a.txt#0'})-[:MENTIONS]->(e:Entity) RETURN count(e)") == 4
    assert any(m["mention"] == "Vale" and m["entity_id"] == "person:oren-vale" for m in report.merges)


def test_next_links_and_chunk_size(graph, tmp_path: Path) -> None:
    root = tmp_path / "long"
    root.mkdir()
    (root / "long.txt").write_text(" ".join(f"Person{i} Vale works for Acme{i}." for i in range(60)))
    report = _build(graph, root, chunk_size=200)
    n = graph.value("MATCH (c:Chunk) RETURN count(c)")
    assert n == report.chunks > 5
    assert graph.value("MATCH (:Chunk)-[r:NEXT]->(:Chunk) RETURN count(r)") == n - 1
    assert graph.value("MATCH (:Entity)-[r:WORKS_FOR]->(:Entity) RETURN count(r)") == 60


def test_second_build_changes_nothing(graph, tmp_path: Path) -> None:
    root = _corpus(tmp_path)
    _build(graph, root)
    before = _snapshot(graph)
    report = _build(graph, root)
    assert report.documents == {"new": 0, "changed": 0, "unchanged": 2, "failed": 0}
    assert report.chunks == report.facts == report.evidence == 0
    assert _snapshot(graph) == before


def test_editing_one_file_reextracts_only_it_and_retracts_lost_facts(graph, tmp_path: Path) -> None:
    root = _corpus(tmp_path)
    _build(graph, root)
    calls: list[str] = []

    class Spy(PatternExtractor):
        def extract(self, doc, chunks, ontology):
            calls.append(doc.id)
            return super().extract(doc, chunks, ontology)

    (root / "a.txt").write_text("Oren Vale works for Initech. Oren Vale is married to Lina Vale.", encoding="utf-8")
    report = run_build(graph, [root], BuildOptions(), graph.settings, extractor=Spy())
    assert calls == ["a.txt"]
    assert report.documents == {"new": 0, "changed": 1, "unchanged": 1, "failed": 0}
    facts = _facts(graph)
    assert ("Oren Vale", "WORKS_FOR", "Acme") not in facts  # lost its last evidence
    assert ("Oren Vale", "BORN_IN", "Lyon") not in facts
    assert ("Oren Vale", "WORKS_FOR", "Initech") in facts
    assert ("Lina Vale", "MARRIED_TO", "Oren Vale") in facts  # still supported by both documents
    # orphans gone: Acme and Lyon were only mentioned by the old a.txt
    assert graph.value("MATCH (e:Entity) WHERE e.name IN ['Acme', 'Lyon'] RETURN count(e)") == 0
    married = graph.read("MATCH ()-[r:MARRIED_TO]->() RETURN r.evidence_keys AS k, r.doc_ids AS d").rows[0]
    assert sorted(married["d"]) == ["a.txt", "sub/b.md"] and "a.txt#0/1" in married["k"]
    _assert_no_duplicates(graph)
    # editing the other document so that MARRIED_TO loses b's evidence keeps a's
    (root / "sub" / "b.md").write_text("Lina Vale works for Globex.", encoding="utf-8")
    _build(graph, root)
    married = graph.read("MATCH ()-[r:MARRIED_TO]->() RETURN r.doc_ids AS d, r.sentences AS s").rows
    assert married == [{"d": ["a.txt"], "s": ["Oren Vale is married to Lina Vale."]}]


def test_remove_document_and_its_orphans(graph, tmp_path: Path) -> None:
    root = _corpus(tmp_path)
    _build(graph, root)
    result = remove_documents(graph, [str(root / "sub" / "b.md")], root)
    assert result["removed"] == ["sub/b.md"]
    assert graph.value("MATCH (d:Document) RETURN collect(d.id)") == ["a.txt"]
    assert graph.value("MATCH (c:Chunk) RETURN count(c)") == 1
    names = set(graph.value("MATCH (e:Entity) RETURN collect(e.name)"))
    assert names == {"Oren Vale", "Lina Vale", "Acme", "Lyon"}  # Globex and Paris were only in b.md
    married = graph.read("MATCH ()-[r:MARRIED_TO]->() RETURN r.doc_ids AS d").rows
    assert married == [{"d": ["a.txt"]}]
    remove_documents(graph, ["a.txt"])
    assert graph.value("MATCH (n) RETURN count(n)") == 0


def test_remove_unknown_document_is_a_clear_error(graph) -> None:
    from kgqa.errors import InputError

    with pytest.raises(InputError, match="no document"):
        remove_documents(graph, ["nope.txt"])


def test_bad_inputs_are_reported_and_the_rest_is_built(graph, tmp_path: Path) -> None:
    root = tmp_path / "bad"
    root.mkdir()
    (root / "good.txt").write_text("Ann Bell works for Initech.", encoding="utf-8")
    (root / "binary.txt").write_bytes(b"Ann\x00Bell\x01\x02")
    (root / "empty.md").write_text("   \n", encoding="utf-8")
    (root / "huge.txt").write_text("Ann Bell works for Initech. " * 400, encoding="utf-8")
    (root / "latin1.txt").write_bytes("Zoé Marchand works for Café Noir.".encode("cp1252"))
    (root / "bom.txt").write_bytes("\ufeffTom Reed works for Umbra.".encode())
    (root / "utf16.txt").write_bytes("Kai Moss works for Vexa.".encode("utf-16"))
    (root / "notes.docx").write_bytes(b"PK\x03\x04")  # unsupported type inside a folder: skipped, listed
    (root / "boom.txt").write_text("EXPLODE. Ann Bell works for Initech.", encoding="utf-8")
    (root / "docs.jsonl").write_text(
        '{"id": "j1", "text": "Ivy Stone works for Orrin Bank.", "title": "J", "metadata": {"k": 1}}\n'
        "{not json\n"
        '{"text": "no id"}\n'
        '{"id": "j2", "text": ""}\n'
        '{"id": "j1", "text": "dup"}\n'
        "\n",
        encoding="utf-8",
    )
    unreadable = root / "locked.txt"
    unreadable.write_text("Ann Bell works for Initech.", encoding="utf-8")
    unreadable.chmod(0)
    try:
        report = _build(graph, root, max_bytes=5000)
    finally:
        unreadable.chmod(0o644)
    reasons = {Path(f["source"]).name: f["reason"] for f in report.failures}
    assert "NUL" in reasons["binary.txt"]
    assert "empty" in reasons["empty.md"]
    assert "too large" in reasons["huge.txt"]
    assert "extraction failed" in reasons["boom.txt"]
    assert "line 2 is not valid JSON" in reasons["docs.jsonl:2"]
    assert "line 3 has no 'id'" in reasons["docs.jsonl:3"]
    assert "empty" in reasons["docs.jsonl:4"]
    assert "repeats id 'j1'" in reasons["docs.jsonl:5"]
    if os.geteuid() != 0:  # root can read anything
        assert "cannot read" in reasons["locked.txt"]
    assert not report.ok
    assert any("latin1.txt" in w and "cp1252" in w for w in report.warnings)
    assert any(p.endswith("notes.docx") for p in report.skipped_files)
    ids = set(graph.value("MATCH (d:Document) RETURN collect(d.id)"))
    assert {"good.txt", "latin1.txt", "bom.txt", "utf16.txt", "j1"} <= ids
    assert "boom.txt" not in ids and "binary.txt" not in ids
    facts = _facts(graph)
    assert {
        ("Zoé Marchand", "WORKS_FOR", "Café Noir"),
        ("Tom Reed", "WORKS_FOR", "Umbra"),
        ("Kai Moss", "WORKS_FOR", "Vexa"),
        ("Ivy Stone", "WORKS_FOR", "Orrin Bank"),
    } <= facts
    j1 = graph.read("MATCH (d:Document {id: 'j1'}) RETURN d.title AS t, d.metadata AS m").rows[0]
    assert j1 == {"t": "J", "m": '{"k": 1}'}


def test_html_pdf_and_globs(graph, tmp_path: Path) -> None:
    root = tmp_path / "formats"
    root.mkdir()
    (root / "page.html").write_text(
        "<html><head><title>Page</title><style>p{}</style><script>var x = 'Eve Hart works for Nope.'</script>"
        "</head><body><h1>Team</h1><p>Eve Hart works for <b>Tessel Labs</b>.</p></body></html>",
        encoding="utf-8",
    )
    _write_pdf(root / "paper.pdf", "Rui Lake works for Harrow Press.")
    (root / "skip.txt").write_text("Max Fine works for Skipco.", encoding="utf-8")
    report = _build(graph, root, exclude=["skip*"])
    assert report.ok, report.failures
    facts = _facts(graph)
    assert ("Eve Hart", "WORKS_FOR", "Tessel Labs") in facts
    assert ("Rui Lake", "WORKS_FOR", "Harrow Press") in facts
    assert not any("Nope" in f[2] or "Skipco" in f[2] for f in facts)
    assert graph.value("MATCH (d:Document {id: 'page.html'}) RETURN d.title") == "Page"
    report = _build(graph, root, include=["*.txt"])
    assert report.documents["new"] == 1


def _write_pdf(path: Path, text: str) -> None:
    """A minimal one-page PDF with ``text`` (Helvetica), built by hand so no PDF writer is needed."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))


def _cli(graph_env: dict, *args: str, env: dict | None = None, check: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kgqa", *args],
        cwd=ROOT,
        env={**graph_env, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=check,
    )


def test_cli_build_json_export_and_remove(graph, graph_env, tmp_path: Path) -> None:
    root = _corpus(tmp_path)
    (root / "broken.jsonl").write_text("{oops\n", encoding="utf-8")
    proc = _cli(graph_env, "build", str(root), "--llm", SPEC, "--json")
    assert proc.returncode == 1, proc.stderr  # one input failed
    report = json.loads(proc.stdout)
    assert report["documents"] == {"new": 2, "changed": 0, "unchanged": 0, "failed": 1}
    assert "line 1" in report["failures"][0]["reason"]
    assert report["pruned"] == {"unknown_relation": 1}
    assert {"mention", "entity_id", "reason"} <= set(report["merges"][0])

    tsv = _cli(graph_env, "export", "triples", "--format", "tsv", check=True).stdout.splitlines()
    assert sorted(tsv) == sorted("\t".join(f) for f in _facts(graph))
    assert "Lina Vale\tMARRIED_TO\tOren Vale" in tsv
    lines = _cli(graph_env, "export", "triples", "--format", "jsonl", check=True).stdout.splitlines()
    rows = [json.loads(line) for line in lines]
    assert len(rows) == len(tsv) and all(r["evidence_keys"] and r["sentences"] for r in rows)
    graphml = _cli(graph_env, "export", "triples", "--format", "graphml", check=True).stdout
    tree = ET.fromstring(graphml)
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    assert len(tree.findall(".//g:edge", ns)) == len(tsv)
    assert len(tree.findall(".//g:node", ns)) == graph.value("MATCH (e:Entity) RETURN count(e)")

    (root / "broken.jsonl").unlink()
    proc = _cli(graph_env, "build", str(root), "--llm", SPEC)
    assert proc.returncode == 0, proc.stderr
    assert "0 new, 0 changed, 2 unchanged" in proc.stdout
    proc = _cli(graph_env, "build", str(root / "a.txt"), "--llm", SPEC)  # a single file: id = its name
    assert proc.returncode == 0, proc.stderr
    assert "0 new, 0 changed, 1 unchanged" in proc.stdout

    proc = _cli(graph_env, "remove", "a.txt", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["removed"] == ["a.txt"]
    proc = _cli(graph_env, "remove", "a.txt")
    assert proc.returncode == 2 and "no document" in proc.stderr


def test_cli_unreachable_graph_is_a_clear_error(graph_env, tmp_path: Path) -> None:
    root = _corpus(tmp_path)
    proc = _cli(graph_env, "build", str(root), "--llm", SPEC, env={"KGQA_GRAPH_URI": "bolt://127.0.0.1:9"})
    assert proc.returncode == 3
    assert "error:" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_killed_build_finishes_on_rerun_without_duplicates(graph, graph_env, tmp_path: Path) -> None:
    root = tmp_path / "many"
    root.mkdir()
    n_docs = 40
    for i in range(n_docs):
        (root / f"doc{i:03d}.txt").write_text(
            f"Person{i} Vale works for Acme. Person{i} Vale was born in City{i % 7}. "
            f"Person{i} Vale is married to Person{(i + 1) % n_docs} Vale. Acme is located in City{i % 3}.",
            encoding="utf-8",
        )
    proc = subprocess.Popen(
        [sys.executable, "-m", "kgqa", "build", str(root), "--llm", SPEC],
        cwd=ROOT,
        env={**graph_env, "KGQA_TEST_EXTRACT_DELAY": "0.15", "KGQA_GRAPH_BATCH_SIZE": "15"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if graph.value("MATCH (d:Document) WHERE d.hash IS NOT NULL RETURN count(d)", default=0) >= 5:
                break
            time.sleep(0.1)
        assert proc.poll() is None, "the build finished before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    partial = graph.value("MATCH (d:Document) RETURN count(d)")
    assert 5 <= partial < n_docs
    # every document present is complete (marker set, chunks present)
    assert graph.value("MATCH (d:Document) WHERE d.hash IS NULL RETURN count(d)") == 0
    _assert_no_duplicates(graph)

    report = _build(graph, root)
    assert report.ok
    assert report.documents["unchanged"] == partial
    assert report.documents["new"] == n_docs - partial
    assert graph.value("MATCH (d:Document) RETURN count(d)") == n_docs
    _assert_no_duplicates(graph)
    married = graph.value("MATCH (:Person)-[r:MARRIED_TO]->(:Person) RETURN count(r)")
    assert married == n_docs
    assert graph.value("MATCH (:Entity)-[r:WORKS_FOR]->(:Entity) RETURN count(r)") == n_docs
    located = graph.read("MATCH (:Organization {name: 'Acme'})-[r:LOCATED_IN]->() RETURN r.doc_ids AS d").rows
    assert sum(len(r["d"]) for r in located) == n_docs

    # the resumed graph is the graph a clean build gives, node for node and relationship for relationship
    resumed = _canonical(_snapshot(graph))
    graph.clear()
    assert _build(graph, root).ok
    clean = _canonical(_snapshot(graph))
    assert len(clean["nodes"]) > n_docs and len(clean["rels"]) > n_docs
    assert resumed == clean


def _canonical(snapshot: dict) -> dict:
    """A snapshot with list properties sorted: lists that are sets (doc ids, evidence) may differ in order."""

    def norm(props: dict) -> dict:
        return {k: sorted(v, key=repr) if isinstance(v, list) else v for k, v in props.items()}

    nodes = sorted(
        ((sorted(n["l"]), n["id"], sorted(norm(n["p"]).items(), key=repr)) for n in snapshot["nodes"]), key=repr
    )
    rels = sorted(
        ((r["a"], r["t"], r["b"], sorted(norm(r["p"]).items(), key=repr)) for r in snapshot["rels"]), key=repr
    )
    return {"nodes": nodes, "rels": rels}


def test_incremental_build_links_to_entities_already_in_the_graph(graph, tmp_path: Path) -> None:
    root = tmp_path / "inc"
    root.mkdir()
    (root / "one.txt").write_text("Oren Vale works for Acme. Acme is a company.", encoding="utf-8")
    _build(graph, root)
    (root / "two.txt").write_text("Ivy Vale works for Acme Inc. Ivy Vale is married to OREN  VALE.", encoding="utf-8")
    report = _build(graph, root)
    assert report.documents == {"new": 1, "changed": 0, "unchanged": 1, "failed": 0}
    assert report.entities_created == 1  # only Ivy Vale is new
    assert graph.value("MATCH (e:Organization) RETURN count(e)") == 1
    acme = graph.read("MATCH (e:Entity {id: 'organization:acme'}) RETURN e.aliases AS a").rows[0]
    assert acme["a"] == ["Acme Inc."]  # the existing entity learnt the new surface form
    assert ("Ivy Vale", "MARRIED_TO", "Oren Vale") in _facts(graph)
    assert any(m["mention"] == "Acme Inc." and m["entity_id"] == "organization:acme" for m in report.merges)
    _assert_no_duplicates(graph)


@pytest.mark.slow
def test_graph_going_away_mid_build_fails_clearly_and_leaves_no_half_document(tmp_path: Path) -> None:
    from kgqa.config import Settings
    from kgqa.graph.client import Graph
    from kgqa.graph.embedded import EmbeddedServer

    if os.environ.get("KGQA_TEST_GRAPH_URI"):
        pytest.skip("needs an embedded server it can stop")
    home = tmp_path / "home"
    root = tmp_path / "docs"
    root.mkdir()
    n_docs = 30
    for i in range(n_docs):
        (root / f"d{i:02d}.txt").write_text(f"Person{i} Moss works for Firm{i}. Person{i} Moss was born in Town{i}.")
    settings = Settings(_env_file=None, home=home, llm="offline")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KGQA_")}
    env.update(KGQA_HOME=str(home), KGQA_TEST_EXTRACT_DELAY="0.3", KGQA_GRAPH_BATCH_SIZE="5")
    server = EmbeddedServer(home)
    try:
        g = Graph.connect(settings)
        proc = subprocess.Popen(
            [sys.executable, "-m", "kgqa", "build", str(root), "--llm", SPEC],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if g.value("MATCH (d:Document) WHERE d.hash IS NOT NULL RETURN count(d)", default=0) >= 2:
                break
            time.sleep(0.1)
        g.close()
        assert proc.poll() is None, "the build finished before the server could be stopped"
        server.stop()
        _, stderr = proc.communicate(timeout=180)
        assert proc.returncode == 3, stderr
        assert "error:" in stderr and "Traceback" not in stderr
        assert "run the same build again" in stderr

        g = Graph.connect(settings)  # starts the server again
        present = g.value("MATCH (d:Document) RETURN count(d)")
        assert 2 <= present < n_docs
        assert g.value("MATCH (d:Document) WHERE d.hash IS NULL RETURN count(d)") == 0
        incomplete = g.value(
            "MATCH (d:Document) WHERE NOT EXISTS { (d)<-[:PART_OF]-(:Chunk) } RETURN count(d)", default=0
        )
        assert incomplete == 0
        report = run_build(g, [root], BuildOptions(extractor=SPEC), settings)
        assert report.documents["unchanged"] == present and report.documents["new"] == n_docs - present
        assert g.value("MATCH (:Person)-[r:WORKS_FOR]->() RETURN count(r)") == n_docs
        _assert_no_duplicates(g)
        g.close()
    finally:
        server.stop()


def test_bulk_fact_writer_merges_evidence_into_existing_relationships(graph) -> None:
    from kgqa.ingest.constraints import Evidence, FactRecord
    from kgqa.ingest.resolve import EntityRecord
    from kgqa.ingest.write import GraphWriter
    from kgqa.ontology import load_ontology

    writer = GraphWriter(graph, load_ontology())
    people = [EntityRecord(f"person:p{i}", f"P{i}", "Person", f"p{i}") for i in range(3)]
    org = EntityRecord("organization:o", "O", "Organization", "o")
    for stmt, params in writer.entity_statements([*people, org]):
        graph.write(stmt, params)

    def fact(i: int, key: str, conf: float = 0.5) -> FactRecord:
        return FactRecord(f"person:p{i}", "WORKS_FOR", "organization:o", [Evidence(key, "d", "d#0", "s", "x", conf)])

    writer.write_facts([fact(0, "d#0/0")])
    writer.write_facts([fact(0, "d#0/1", 0.9), fact(1, "d#0/2"), fact(2, "d#0/3")], batch_size=2)
    writer.write_facts([fact(0, "d#0/1", 0.9), fact(1, "d#0/2")])  # nothing new
    rows = graph.read(
        "MATCH (p)-[r:WORKS_FOR]->() RETURN p.id AS p, r.evidence_keys AS k, r.confidence AS c ORDER BY p"
    ).rows
    assert rows == [
        {"p": "person:p0", "k": ["d#0/0", "d#0/1"], "c": 0.9},
        {"p": "person:p1", "k": ["d#0/2"], "c": 0.5},
        {"p": "person:p2", "k": ["d#0/3"], "c": 0.5},
    ]
