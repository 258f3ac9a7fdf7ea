"""End to end: build the sample corpus with the offline extractor and check the graph against the gold facts."""

from __future__ import annotations

from pathlib import Path

from kgqa.ingest.pipeline import BuildOptions, run_build

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "data" / "corpus"
GOLD = ROOT / "data" / "corpus_gold.tsv"
SYMMETRIC = {"MARRIED_TO", "SIBLING_OF"}


def _canon(s: str, r: str, o: str) -> tuple[str, str, str]:
    return (min(s, o), r, max(s, o)) if r in SYMMETRIC else (s, r, o)


def test_sample_corpus_builds_into_a_faithful_graph(graph) -> None:
    report = run_build(graph, [CORPUS], BuildOptions(extractor="offline"), graph.settings)
    assert report.ok, report.failures
    n_docs = len([p for p in CORPUS.rglob("*") if p.is_file()])
    assert report.documents["new"] == n_docs

    gold = set()
    for line in GOLD.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            s, r, o = line.split("\t")[:3]
            gold.add(_canon(s, r, o))
    rows = graph.read(
        "MATCH (s:Entity)-[r]->(o:Entity) RETURN s.id AS sid, s.name AS s, type(r) AS r, o.id AS oid, o.name AS o, "
        "r.sentences AS sentences, r.chunk_ids AS chunks, r.evidence_keys AS keys",
        max_rows=100000,
    ).rows
    got = {_canon(x["s"], x["r"], x["o"]) for x in rows}
    tp = len(got & gold)
    precision, recall = tp / len(got), tp / len(gold)
    assert precision >= 0.9 and recall >= 0.9, (precision, recall, sorted(gold - got), sorted(got - gold))

    chunks = {c["id"]: c["text"] for c in graph.read("MATCH (c:Chunk) RETURN c.id AS id, c.text AS text").rows}
    for x in rows:
        if x["r"] in SYMMETRIC:
            assert x["sid"] < x["oid"]
        assert len(x["keys"]) == len(x["sentences"]) == len(x["chunks"]) >= 1
        for sentence, chunk in zip(x["sentences"], x["chunks"], strict=True):
            assert " ".join(sentence.split()) in " ".join(chunks[chunk].split())  # evidence is real source text
    names = set(graph.value("MATCH (e:Person) RETURN collect(e.name)"))
    assert not names & {"Vale", "Calder", "Ivy", "Lina", "Petra"}  # short names resolved within documents
    assert graph.value("MATCH (e:Entity) WHERE NOT (e)<-[:MENTIONS]-(:Chunk) RETURN count(e)") == 0

    again = run_build(graph, [CORPUS], BuildOptions(extractor="offline"), graph.settings)
    assert again.documents == {"new": 0, "changed": 0, "unchanged": n_docs, "failed": 0}
