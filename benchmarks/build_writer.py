"""Writer throughput on a synthetic load, as a ratio against raw ``UNWIND ... MERGE``.

    python -m benchmarks.build_writer [--facts 50000] [--entities 10000] [--repeat 2]

Uses the configured graph (KGQA_GRAPH_URI, or the embedded server of KGQA_HOME) and CLEARS it. Three loads
of the same facts:
  raw       ``UNWIND $rows MATCH s, o MERGE (s)-[r:T]->(o) SET r.<evidence lists> = row...`` (no evidence merging)
            (one warm-up load first, not counted; then repeats in alternating order)
  writer    ``GraphWriter.write_facts``: ``MERGE … ON CREATE SET`` per batch, and the evidence-merging
            statement only for batches where some relationships already existed (idempotent, accumulating)
  merge_statement  the evidence-merging statement alone (what the document path runs), on a fresh load
  documents ``GraphWriter.write_documents`` for the same facts packed as documents (10 facts each) with
            chunks, entities and mentions, one transaction per group — the real build path
Prints rows/second for each and writer/raw time ratio (goal: <= 1.10).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time

from kgqa.config import get_settings
from kgqa.graph.client import Graph
from kgqa.graph.queries import MERGE_FACTS
from kgqa.graph.schema import ensure_constraints
from kgqa.ingest.constraints import Evidence, FactRecord
from kgqa.ingest.model import Chunk, Document
from kgqa.ingest.resolve import EntityRecord
from kgqa.ingest.write import GraphWriter, fact_rows
from kgqa.ontology import load_ontology

RELATIONS = [("WORKS_FOR", "Person", "Organization"), ("LIVES_IN", "Person", "Location"), ("MEMBER_OF", "Person", "Organization"), ("LOCATED_IN", "Organization", "Location")]  # fmt: skip

RAW = """
UNWIND $rows AS row
MATCH (s:Entity {{id: row.s}})
MATCH (o:Entity {{id: row.o}})
MERGE (s)-[r:{rel}]->(o)
SET r.evidence_keys = row.keys, r.doc_ids = row.doc_ids, r.chunk_ids = row.chunk_ids, r.sentences = row.sentences,
    r.extractors = row.extractors, r.confidences = row.confidences, r.confidence = row.confidences[0]
"""


def synthetic(n_facts: int, n_entities: int, seed: int = 7):
    rng = random.Random(seed)
    per_type = {
        t: [f"{t.lower()}:e{i}" for i in range(n_entities // 3)] for t in ("Person", "Organization", "Location")
    }
    entities = [
        EntityRecord(id=eid, name=eid.split(":")[1], type=t, norm=eid.split(":")[1])
        for t, ids in per_type.items()
        for eid in ids
    ]
    facts, seen = [], set()
    while len(facts) < n_facts:
        rel, st, ot = RELATIONS[len(facts) % len(RELATIONS)]
        s, o = rng.choice(per_type[st]), rng.choice(per_type[ot])
        if (s, rel, o) in seen:
            continue
        seen.add((s, rel, o))
        doc = f"doc{len(facts) // 10}"
        key = f"{doc}#0/{len(facts) % 10}"
        facts.append(FactRecord(s, rel, o, [Evidence(key, doc, f"{doc}#0", f"{s} {rel} {o}.", "bench", 0.9)]))
    return entities, facts


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def write_as_documents(writer: GraphWriter, by_doc: dict[str, list[FactRecord]], by_id: dict, batch: int) -> None:
    """The document path: one payload (document, chunk, mentions, facts) per synthetic document, in groups."""
    from kgqa.ingest.write import DocumentPayload

    group = []
    for doc_id, doc_facts in by_doc.items():
        text = " ".join(e.sentence for f in doc_facts for e in f.evidence)
        doc = Document(id=doc_id, text=text, title=doc_id, content_hash=str(hash(text)))
        chunk = Chunk(id=f"{doc_id}#0", doc_id=doc_id, index=0, text=text, start=0, end=len(text))
        used = sorted({i for f in doc_facts for i in (f.subject_id, f.object_id)})
        group.append(
            DocumentPayload(
                doc=doc,
                chunks=[chunk],
                entities=[by_id[i] for i in used],
                mentions=[(chunk.id, i) for i in used],
                facts=doc_facts,
            )
        )
        if sum(p.rows for p in group) >= batch:
            writer.write_documents(group)
            group = []
    if group:
        writer.write_documents(group)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--facts", type=int, default=50_000)
    ap.add_argument("--entities", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--batch", type=int, default=1000)
    args = ap.parse_args()

    settings = get_settings()
    graph = Graph.connect(settings)
    ensure_constraints(graph)
    ontology = load_ontology()
    writer = GraphWriter(graph, ontology)
    entities, facts = synthetic(args.facts, args.entities)
    rows_by_rel = fact_rows(facts)

    def reset_entities() -> None:
        graph.clear()
        writer.known_entities.clear()
        for stmt, params in writer.entity_statements(entities):
            graph.write_batches(stmt, params["rows"], batch_size=args.batch)

    def raw() -> None:
        for rel, rows in rows_by_rel.items():
            graph.write_batches(RAW.format(rel=rel), rows, batch_size=args.batch)

    def ours() -> None:
        writer.write_facts(facts, batch_size=args.batch)

    def merge_statement() -> None:  # the evidence-merging statement the document path uses, on a fresh load
        for rel, rows in rows_by_rel.items():
            graph.write_batches(MERGE_FACTS.format(rel=rel), rows, batch_size=args.batch)

    by_doc: dict[str, list[FactRecord]] = {}
    for f in facts:
        by_doc.setdefault(f.evidence[0].doc_id, []).append(f)
    by_id = {e.id: e for e in entities}

    def documents() -> None:
        write_as_documents(writer, by_doc, by_id, args.batch)

    results: dict[str, list[float]] = {"raw": [], "writer": [], "merge_statement": [], "documents": []}
    reset_entities()
    warmup = _timed(raw)  # the server's JIT and caches warm up on the first load: not counted
    runs = [("raw", raw), ("writer", ours), ("merge_statement", merge_statement), ("documents", documents)]
    for i in range(args.repeat):
        for name, fn in runs if i % 2 == 0 else runs[::-1]:  # alternate the order against drift
            reset_entities()
            results[name].append(_timed(fn))
            check = graph.value("MATCH (:Entity)-[r]->(:Entity) RETURN count(r)")
            assert check == len(facts), f"{name} wrote {check} relationships, expected {len(facts)}"
    n_rels = graph.value("MATCH (:Entity)-[r]->(:Entity) RETURN count(r)")
    rerun = _timed(ours)  # idempotent re-run: nothing to add
    after = graph.value("MATCH (:Entity)-[r]->(:Entity) RETURN count(r)")
    med = {k: statistics.median(v) for k, v in results.items()}
    out = {
        "facts": len(facts),
        "entities": len(entities),
        "batch": args.batch,
        "flavor": graph.flavor,
        "warmup_seconds": round(warmup, 2),
        "seconds": {k: [round(x, 2) for x in v] for k, v in results.items()},
        "rows_per_second": {k: round(len(facts) / v) for k, v in med.items()},
        "writer_vs_raw": round(med["writer"] / med["raw"], 3),
        "merge_statement_vs_raw": round(med["merge_statement"] / med["raw"], 3),
        "documents_vs_raw": round(med["documents"] / med["raw"], 3),
        "idempotent_rerun_seconds": round(rerun, 2),
        "relationships": n_rels,
        "relationships_after_rerun": after,
    }
    print(json.dumps(out, indent=2))
    graph.clear()
    graph.close()


if __name__ == "__main__":
    main()
