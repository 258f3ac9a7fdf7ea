"""Ingest benchmark: ``kgqa import triples`` against a plain batched ``UNWIND ... MERGE`` baseline.

Both write the same triples (entities with id/name/norm, one relationship per distinct triple with its
original relation name and evidence lists) to the same server, on an emptied graph, interleaved
(ours, baseline, ours, baseline, ...). Reported: seconds, triples/s, the ratio ours/baseline, and the
Python process's peak traced memory per run.

    /work/main/.venv/bin/python -m benchmarks.bench_ingest --kb ../shared/data/metaqa/kb.txt --repeat 2

The graph is an embedded server in its own KGQA home (``--home``, default a temp dir, stopped at the
end); it is emptied between runs. Timings on a shared machine are noisy: compare ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from kgqa.config import Settings
from kgqa.graph.client import Graph
from kgqa.graph.schema import ensure_constraints
from kgqa.ingest.triples import entity_id, import_triples, relation_type
from kgqa.names import normalize_name

ROOT = Path(__file__).resolve().parents[1]
# ../shared from a checkout in the project directory, ../../shared from a worktree under wt/
DEFAULT_KB = next(
    (p / "shared/data/metaqa/kb.txt" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared/data/metaqa").is_dir()),
    ROOT.parent / "shared/data/metaqa/kb.txt",
)


def baseline_import(graph: Graph, kb: Path, batch: int = 5000) -> int:
    """What a user would write with the driver: batched UNWIND + MERGE of dict rows, evidence set on create."""
    entities: dict[str, dict[str, Any]] = {}
    rels: dict[tuple[str, str, str], dict[str, Any]] = {}
    triples = 0
    with kb.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            parts = line.rstrip("\n").split("|")
            if len(parts) != 3:
                continue
            s, r, o = parts
            for name in (s, o):
                if name not in entities:
                    entities[name] = {"id": entity_id(name), "name": name, "norm": normalize_name(name)}
            key = (relation_type(r), entities[s]["id"], entities[o]["id"])
            row = rels.setdefault(key, {"s": key[1], "o": key[2], "relation": r, "keys": [], "sentences": []})
            row["keys"].append(f"{kb.name}:{number}")
            row["sentences"].append(line.rstrip("\n"))
            triples += 1
    ensure_constraints(graph)
    driver = graph.driver

    def send(cypher: str, rows: list[dict[str, Any]]) -> None:
        with driver.session(database=graph.database) as session:
            for i in range(0, len(rows), batch):
                session.execute_write(lambda tx, chunk=rows[i : i + batch]: tx.run(cypher, rows=chunk).consume())

    send(
        "UNWIND $rows AS row MERGE (e:Entity {id: row.id}) SET e.name = row.name, e.norm = row.norm",
        list(entities.values()),
    )
    by_type: dict[str, list[dict[str, Any]]] = {}
    for (t, _, _), row in rels.items():
        by_type.setdefault(t, []).append(row)
    for t, rows in sorted(by_type.items()):
        send(
            "UNWIND $rows AS row MATCH (a:Entity {id: row.s}) MATCH (b:Entity {id: row.o}) "
            f"MERGE (a)-[r:{t}]->(b) ON CREATE SET r.relation = row.relation, r.evidence_keys = row.keys, "
            "r.doc_ids = [k IN row.keys | 'kb'], r.chunk_ids = row.keys, r.sentences = row.sentences, "
            "r.extractors = [k IN row.keys | 'import'], r.confidences = [k IN row.keys | 1.0], r.confidence = 1.0",
            rows,
        )
    return triples


def synthetic_facts(entities: int, facts: int, seed: int = 0):
    """Extracted-looking entities (Person/Organization) and facts with one or two evidence sentences each."""
    import random

    from kgqa.ingest.constraints import Evidence, FactRecord
    from kgqa.ingest.resolve import EntityRecord

    rng = random.Random(seed)
    people = [EntityRecord(f"person:p{i}", f"Person {i}", "Person", f"person {i}") for i in range(entities // 2)]
    orgs = [EntityRecord(f"organization:o{i}", f"Org {i}", "Organization", f"org {i}") for i in range(entities // 2)]
    records = []
    for i in range(facts):
        a, b = rng.choice(people), rng.choice(orgs)
        relation = rng.choice(["WORKS_FOR", "CEO_OF", "FOUNDED", "MEMBER_OF"])
        evidence = [
            Evidence(
                f"doc{i % 500}#0/{j}",
                f"doc{i % 500}",
                f"doc{i % 500}#0",
                f"{a.name} {relation} {b.name}.",
                "rules",
                0.9,
            )
            for j in range(1 + i % 2)
        ]
        records.append(FactRecord(a.id, relation, b.id, evidence))
    return people + orgs, records


def writer_import(graph: Graph, entities, facts) -> int:
    from kgqa.ingest.write import GraphWriter
    from kgqa.ontology import load_ontology

    ensure_constraints(graph)
    writer = GraphWriter(graph, load_ontology())
    for cypher, params in writer.entity_statements(entities):
        graph.write_batches(cypher, params["rows"], batch_size=1000)
    writer.write_facts(facts, batch_size=1000)
    return len(facts)


def writer_baseline(graph: Graph, entities, facts) -> int:
    """The same entities and facts as plain batched UNWIND + MERGE with the driver."""
    from kgqa.ingest.write import fact_rows

    ensure_constraints(graph)

    def send(cypher: str, rows: list[dict[str, Any]]) -> None:
        with graph.driver.session(database=graph.database) as session:
            for i in range(0, len(rows), 1000):
                session.execute_write(lambda tx, chunk=rows[i : i + 1000]: tx.run(cypher, rows=chunk).consume())

    by_type: dict[str, list[dict[str, Any]]] = {}
    for e in entities:
        by_type.setdefault(e.type, []).append({"id": e.id, "name": e.name, "norm": e.norm, "aliases": e.aliases})
    for label, rows in sorted(by_type.items()):
        send(
            f"UNWIND $rows AS row MERGE (e:Entity:{label} {{id: row.id}}) "
            "SET e.name = row.name, e.norm = row.norm, e.aliases = row.aliases",
            rows,
        )
    for rel, rows in sorted(fact_rows(facts).items()):
        send(
            "UNWIND $rows AS row MATCH (a:Entity {id: row.s}) MATCH (b:Entity {id: row.o}) "
            f"MERGE (a)-[r:{rel}]->(b) SET r.evidence_keys = row.keys, r.doc_ids = row.doc_ids, "
            "r.chunk_ids = row.chunk_ids, r.sentences = row.sentences, r.extractors = row.extractors, "
            "r.confidences = row.confidences",
            rows,
        )
    return len(facts)


def timed(fn, *args) -> tuple[float, int, float]:
    tracemalloc.start()
    start = time.perf_counter()
    triples = fn(*args)
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, triples, peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kb", type=Path, default=DEFAULT_KB)
    parser.add_argument("--lines", type=int, default=None, help="use only the first N lines")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--writer-facts", type=int, default=20000, help="synthetic facts for the writer (0: skip)")
    args = parser.parse_args()

    kb = args.kb
    tmp = Path(tempfile.mkdtemp(prefix="kgqa-bench-ingest-"))
    if args.lines:
        head = tmp / kb.name
        with kb.open(encoding="utf-8") as src, head.open("w", encoding="utf-8") as dst:
            for i, line in enumerate(src):
                if i >= args.lines:
                    break
                dst.write(line)
        kb = head
    # Always an embedded server of its own: the benchmark empties the graph between runs.
    settings = Settings(_env_file=None, home=args.home or tmp / "home", graph_uri=None)
    graph = Graph.connect(settings)
    runs: dict[str, list[dict[str, float]]] = {"kgqa import triples": [], "baseline UNWIND MERGE": []}
    entities, facts = (
        synthetic_facts(max(2, args.writer_facts // 4), args.writer_facts) if args.writer_facts else ([], [])
    )
    if facts:
        runs["graph writer (synthetic facts)"] = []
        runs["writer baseline UNWIND MERGE"] = []
    try:
        for round_ in range(args.repeat + 1):  # round 0 warms the server's JIT up and is not counted
            for name in runs:
                graph.clear()
                if name == "kgqa import triples":
                    seconds, triples, peak = timed(lambda: import_triples(graph, kb, "pipe").triples)
                elif name == "baseline UNWIND MERGE":
                    seconds, triples, peak = timed(baseline_import, graph, kb)
                elif name.startswith("graph writer"):
                    seconds, triples, peak = timed(writer_import, graph, entities, facts)
                else:
                    seconds, triples, peak = timed(writer_baseline, graph, entities, facts)
                run = {
                    "seconds": round(seconds, 2),
                    "triples_per_second": round(triples / seconds),
                    "peak_mb": round(peak),
                }
                print(name, "(warm-up)" if round_ == 0 else "", run, flush=True)
                if round_ > 0:
                    runs[name].append(run)
    finally:
        graph.clear()
        graph.close()
        if settings.embedded:
            from kgqa.graph.embedded import EmbeddedServer

            EmbeddedServer(settings.home).stop()
    median = {name: statistics.median(r["seconds"] for r in rs) for name, rs in runs.items()}
    result = {
        "kb": str(args.kb),
        "lines": args.lines,
        "repeat": args.repeat,
        "writer_facts": args.writer_facts,
        "runs": runs,
        "median_seconds": median,
        "ratio_import_over_baseline": round(median["kgqa import triples"] / median["baseline UNWIND MERGE"], 3),
    }
    if facts:
        result["ratio_writer_over_baseline"] = round(
            median["graph writer (synthetic facts)"] / median["writer baseline UNWIND MERGE"], 3
        )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
