"""MetaQA evaluation (Zhang et al., AAAI 2018): Hits@1 and answer-set P/R/F1 per hop count.

The KB goes into a graph of its own (embedded server: its own ``KGQA_HOME``, default
``$KGQA_HOME/metaqa``; Neo4j: its own database), through ``kgqa import triples``, skipped when a marker
node records the same KB file hash. The example bank is mined from the **dev** split only (cached
next to the graph, keyed by the KB and dev-file hashes). Every selected **test** question is answered
through the normal ask pipeline with its bracketed topic entity passed as a linked entity.

MetaQA conventions: the topic entity is never an answer (removed from predictions and gold);
"answerable" = every gold answer is reachable from the topic entity within k hops (any direction).
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kgqa.config import Settings
from kgqa.errors import InputError
from kgqa.graph.access import GraphAccess
from kgqa.graph.client import Graph, QueryFailed
from kgqa.ingest.triples import file_sha256, import_triples
from kgqa.names import normalize_name
from kgqa.qa.examples import ExampleBank, ExampleGenerator, PathMiner, QAItem, read_qa_file

log = logging.getLogger(__name__)

MARKER_ID = "metaqa-kb"
MINER_VERSION = "2"  # 2: answers ranked by evidence after path count
HOPS = (1, 2, 3)
PUBLISHED = {  # Hits@1 (%) on the full test sets, 1/2/3-hop, as reported in the papers
    "KV-Mem": [96.2, 82.7, 48.9],
    "GraftNet": [97.0, 94.8, 77.7],
    "EmbedKGQA": [97.5, 98.8, 94.8],
    "NSM": [97.1, 99.9, 98.9],
    "TransferNet": [97.5, 100.0, 100.0],
    "KB-BINDER": [93.5, 99.6, 96.4],
}
Progress = Callable[[str, int, int], None]


# ---------------------------------------------------------------------------- data


def check_data_dir(data: Path, split: str, hops: list[int]) -> Path:
    data = Path(data)
    kb = data / "kb.txt"
    if not kb.is_file():
        raise InputError(f"no MetaQA kb.txt in {data}", "pass --data DIR holding kb.txt and 1-hop/ 2-hop/ 3-hop/")
    for hop in hops:
        for name in (f"{split}.txt", "dev.txt"):
            if not (data / f"{hop}-hop" / name).is_file():
                raise InputError(
                    f"missing {data / f'{hop}-hop' / name}", "MetaQA layout: DIR/{1,2,3}-hop/{dev,test}.txt"
                )
    return kb


def select_questions(data: Path, split: str, hop: int, limit: int | None, seed: int) -> tuple[list[QAItem], int]:
    """A seeded random sample (kept in file order) of one split of one hop count; and the split size."""
    items, errors = read_qa_file(data / f"{hop}-hop" / f"{split}.txt")
    if errors:
        log.warning("%d malformed lines in %s-hop/%s.txt", len(errors), hop, split)
    total = len(items)
    if limit is not None and limit < total:
        rng = random.Random(f"{seed}:{hop}")
        chosen = sorted(rng.sample(range(total), limit))
        items = [items[i] for i in chosen]
    return items, total


# ---------------------------------------------------------------------------- KB and bank


def ensure_kb(
    graph: GraphAccess, kb: Path, *, force: bool = False, on_progress: Progress | None = None
) -> dict[str, Any]:
    """Import the KB unless the marker node says this exact file is already loaded."""
    digest = file_sha256(kb)
    marker = graph.value("MATCH (m:KgqaMarker {id: $id}) RETURN m.hash AS h", {"id": MARKER_ID})
    if marker == digest and not force:
        return {"loaded": False, "reason": "already loaded", "hash": digest}
    report = import_triples(graph, kb, "pipe", on_progress=on_progress)
    graph.write(
        "MERGE (m:KgqaMarker {id: $id}) SET m.hash = $hash, m.file = $file, m.loaded_at = $at",
        {"id": MARKER_ID, "hash": digest, "file": str(kb), "at": datetime.now(UTC).isoformat(timespec="seconds")},
    )
    return {
        "loaded": True,
        "hash": digest,
        "seconds": report.seconds,
        "triples": report.triples,
        "entities": report.entities,
        "relationships": report.relationships,
        "triples_per_second": report.triples_per_second,
        "malformed": report.malformed,
    }


def ensure_bank(
    graph: Graph,
    data: Path,
    bank_dir: Path,
    kb_hash: str,
    *,
    per_template: int = 3,
    force: bool = False,
    on_progress: Progress | None = None,
) -> tuple[ExampleBank, dict[str, Any]]:
    """The example bank mined from the dev split of every hop count (cached, keyed by content hashes)."""
    bank_file = bank_dir / "metaqa-dev.jsonl"
    meta_file = bank_dir / "metaqa-dev.meta.json"
    dev_files = [data / f"{hop}-hop" / "dev.txt" for hop in HOPS if (data / f"{hop}-hop" / "dev.txt").is_file()]
    key = hashlib.sha256(
        "\n".join([kb_hash, MINER_VERSION, str(per_template), *(file_sha256(f) for f in dev_files)]).encode()
    ).hexdigest()
    if not force and bank_file.is_file() and meta_file.is_file():
        try:
            meta = json.loads(meta_file.read_text())
        except ValueError:
            meta = {}
        if meta.get("key") == key:
            return ExampleBank.load(bank_file), {**meta, "mined": False}
    items: list[QAItem] = []
    for file in dev_files:
        found, _ = read_qa_file(file)
        items.extend(found)
    miner = PathMiner(graph, max_hops=3, per_template=per_template)
    report = miner.mine(
        items,
        source="metaqa dev",
        on_progress=(lambda done, total: on_progress("mining dev", done, total)) if on_progress else None,
    )
    bank = ExampleBank(report.examples, [bank_file])
    bank.save(bank_file)
    meta = {"key": key, **report.summary(), "file": str(bank_file)}
    meta_file.write_text(json.dumps(meta, indent=2))
    return ExampleBank.load(bank_file), {**meta, "mined": True}


# ---------------------------------------------------------------------------- reachability


class Adjacency:
    """Undirected adjacency of the graph's entities, for the "answerable within k hops" figure."""

    def __init__(self, graph: GraphAccess) -> None:
        rows = graph.read(
            "MATCH (a:Entity)-[r]->(b:Entity) RETURN a.id AS a, b.id AS b", timeout=600, max_rows=100_000_000
        ).rows
        self.neighbours: dict[str, set[str]] = defaultdict(set)
        for row in rows:
            self.neighbours[row["a"]].add(row["b"])
            self.neighbours[row["b"]].add(row["a"])

    def within(self, start: str, hops: int) -> set[str]:
        seen = {start}
        frontier = {start}
        for _ in range(hops):
            nxt: set[str] = set()
            for node in frontier:
                nxt |= self.neighbours.get(node, set())
            frontier = nxt - seen
            seen |= frontier
        return seen


# ---------------------------------------------------------------------------- answering


@dataclass
class Answered:
    answers: list[str]  # names, best first
    cypher: str | None
    status: str
    checks_passed: bool
    source: str | None
    ms: float
    stages: dict[str, float] = field(default_factory=dict)
    linked: list[str] = field(default_factory=list)  # entity ids the pipeline linked (own linking, --link)


def answer_with_pipeline(
    question: str, graph: Graph, linked: list[Any] | None, bank: ExampleBank, hop: int
) -> Answered:
    """One question through ``kgqa ask``; ``linked=None`` lets the pipeline link the entities itself."""
    from kgqa.qa.pipeline import ask

    start = time.perf_counter()
    result = ask(question, graph, linked=linked, examples=bank, max_hops=max(hop, 3))
    ms = (time.perf_counter() - start) * 1000
    passed = any(c.name == "cypher" and c.status == "passed" for c in result.checks)
    source = None
    for step in result.trace:
        if step.stage == "generate" and step.detail:
            source = step.detail.split(":", 1)[0]
    stages: dict[str, float] = defaultdict(float)
    for step in result.trace:
        stages[step.stage] += step.ms
    return Answered(
        [a.name for a in result.answers],
        result.cypher,
        result.status,
        passed,
        source,
        ms,
        dict(stages),
        [e.id for e in result.linked_entities],
    )


def answer_with_examples(
    question: str, graph: Graph, linked: list[Any], generator: ExampleGenerator, checker: Callable | None
) -> Answered:
    """Without the ask pipeline: example-bank candidates, checked, run read-only; first non-empty wins."""
    start = time.perf_counter()
    stages: dict[str, float] = defaultdict(float)
    last_cypher = None
    any_passed = False
    t0 = time.perf_counter()
    for attempt, cand in enumerate(generator.candidates(question, linked, None, [])):
        stages["generate"] += (time.perf_counter() - t0) * 1000
        if attempt >= 3:
            break
        t0 = time.perf_counter()
        ok = checker(cand.cypher, cand.params) if checker else True
        stages["check"] += (time.perf_counter() - t0) * 1000
        last_cypher = cand.cypher
        if not ok:
            t0 = time.perf_counter()
            continue
        any_passed = True
        t0 = time.perf_counter()
        try:
            result = graph.read(cand.cypher, cand.params, timeout=10, max_rows=100)
        except QueryFailed:
            stages["execute"] += (time.perf_counter() - t0) * 1000
            t0 = time.perf_counter()
            continue
        stages["execute"] += (time.perf_counter() - t0) * 1000
        names = [row["answer"]["name"] for row in result.rows if isinstance(row.get("answer"), dict)]
        if names:
            ms = (time.perf_counter() - start) * 1000
            return Answered(names, cand.cypher, "answered", True, cand.source.split(":")[0], ms, dict(stages))
        t0 = time.perf_counter()
    ms = (time.perf_counter() - start) * 1000
    return Answered([], last_cypher, "no_answer", any_passed, None, ms, dict(stages))


def _checker(graph: Graph) -> Callable:
    """The shared Cypher checks (``kgqa.qa.cypher_checks.check_cypher``, with EXPLAIN), cached per template."""
    from kgqa.graph.schema import introspect
    from kgqa.qa.cypher_checks import check_cypher

    schema = introspect(graph)

    cache: dict[tuple[str, tuple[str, ...]], bool] = {}

    def run(cypher: str, params: dict[str, Any]) -> bool:
        # The checks depend on the query text and which parameters exist, not on their values: every
        # question of a template shares one check (EXPLAIN included) instead of re-parsing it each time.
        key = (cypher, tuple(sorted(params)))
        if key not in cache:
            cache[key] = bool(check_cypher(cypher, params, schema, max_hops=3, limit=100, graph=graph).ok)
        return cache[key]

    return run


# ---------------------------------------------------------------------------- scoring


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return round(ordered[index], 2)


def score(predicted: list[str], gold: list[str], topic: str, multi_hop: bool) -> dict[str, float]:
    """Hits@1 and answer-set precision/recall/F1 on normalised names (topic removed for multi-hop)."""
    topic_n = normalize_name(topic)
    gold_n = {normalize_name(g) for g in gold}
    pred_n: list[str] = []
    for p in predicted:
        n = normalize_name(p)
        if n not in pred_n:
            pred_n.append(n)
    if multi_hop:
        gold_n.discard(topic_n)
        pred_n = [p for p in pred_n if p != topic_n]
    hit = 1.0 if pred_n and pred_n[0] in gold_n else 0.0
    correct = len(set(pred_n) & gold_n)
    precision = correct / len(pred_n) if pred_n else 0.0
    recall = correct / len(gold_n) if gold_n else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"hit": hit, "precision": precision, "recall": recall, "f1": f1}


def evaluate(
    graph: Graph,
    data: Path,
    *,
    split: str = "test",
    hops: list[int] | None = None,
    limit: int | None = None,
    seed: int = 0,
    bank_dir: Path,
    mode: str = "auto",
    per_template: int = 3,
    rebuild: bool = False,
    failures: int = 10,
    link: bool = False,
    on_progress: Progress | None = None,
) -> dict[str, Any]:
    """Load the KB, mine the bank from dev, answer the selected test questions, report per hop.

    ``link``: the topic entity is not handed in; kgqa links it from the question (brackets removed).
    """
    hops = hops or list(HOPS)
    if any(h not in HOPS for h in hops):
        raise InputError(f"hops must be among 1, 2, 3 (got {hops})", "e.g. --hops 1,2,3")
    if limit is not None and limit <= 0:
        raise InputError("--limit must be positive", "omit it to run the whole split")
    kb = check_data_dir(data, split, hops)
    started = time.perf_counter()
    kb_info = ensure_kb(graph, kb, force=rebuild, on_progress=on_progress)
    bank, bank_info = ensure_bank(
        graph, data, bank_dir, kb_info["hash"], per_template=per_template, force=rebuild, on_progress=on_progress
    )
    if mode == "auto":
        mode = "pipeline"
    if link and mode != "pipeline":
        raise InputError("--link measures the ask pipeline's own linking", "use --mode pipeline (or auto)")
    run = _Run(graph, bank, mode, ExampleGenerator(bank, k=3), _checker(graph) if mode == "examples" else None, link)

    selections = {hop: select_questions(data, split, hop, limit, seed) for hop in hops}
    names = {i.entity for items, _ in selections.values() for i in items}
    names |= {a for items, _ in selections.values() for i in items for a in i.answers}
    run.ids = PathMiner(graph).resolve(names)
    t0 = time.perf_counter()
    run.adjacency = Adjacency(graph)
    adjacency_seconds = time.perf_counter() - t0

    per_hop: dict[str, Any] = {}
    for hop in hops:
        items, total = selections[hop]
        rows: list[dict[str, Any]] = []
        for n, item in enumerate(items, 1):
            rows.append(run.answer(item, hop))
            if on_progress:
                on_progress(f"{hop}-hop {split}", n, len(items))
        per_hop[str(hop)] = _summarise(rows, total, failures, link)
    overall_rows = sum(v["questions"] for v in per_hop.values())
    return {
        "dataset": "MetaQA (vanilla)",
        "data": str(data),
        "split": split,
        "hops": hops,
        "limit": limit,
        "seed": seed,
        "mode": mode,
        "topic_entity": "linked by kgqa" if link else "given",
        "kb": kb_info,
        "bank": {k: v for k, v in bank_info.items() if k != "key"} | {"examples": len(bank)},
        "per_hop": per_hop,
        "questions": overall_rows,
        "seconds": round(time.perf_counter() - started, 1),
        "adjacency_seconds": round(adjacency_seconds, 1),
        "published_hits_at_1": PUBLISHED,
    }


@dataclass
class _Run:
    """What answering one question needs: the graph, the bank, the mode, entity ids and the adjacency."""

    graph: Graph
    bank: ExampleBank
    mode: str
    generator: ExampleGenerator
    checker: Callable | None
    link: bool = False
    ids: dict[str, list[str]] = field(default_factory=dict)
    adjacency: Adjacency | None = None

    def answer(self, item: QAItem, hop: int) -> dict[str, Any]:
        """One question answered and scored, with whether its gold answers are reachable within ``hop`` hops."""
        from kgqa.qa.model import LinkedEntity

        topic_ids = self.ids.get(item.entity, [])
        gold = [a for a in item.answers if not (hop > 1 and a == item.entity)]
        reach: set[str] = set()
        for tid in topic_ids:
            reach |= self.adjacency.within(tid, hop)
        answerable = bool(topic_ids) and all(any(i in reach for i in self.ids.get(a, [])) for a in gold)
        question = item.question.replace("[", "").replace("]", "")
        if self.link:
            got = answer_with_pipeline(question, self.graph, None, self.bank, hop)
        elif not topic_ids:
            got = Answered([], None, "no_answer", False, None, 0.0)
        else:
            linked = [LinkedEntity(mention=item.entity, id=topic_ids[0], name=item.entity, method="given", score=1.0)]
            if self.mode == "pipeline":
                got = answer_with_pipeline(question, self.graph, linked, self.bank, hop)
            else:
                got = answer_with_examples(question, self.graph, linked, self.generator, self.checker)
        s = score(got.answers, item.answers, item.entity, hop > 1)
        topic_linked = bool(set(topic_ids) & set(got.linked)) if self.link else None
        return {"item": item, "got": got, "answerable": answerable, "topic_linked": topic_linked, **s}


def _pct(value: float, n: int) -> float | None:
    return round(100 * value / n, 2) if n else None


def _summarise(rows: list[dict[str, Any]], total: int, failures: int, link: bool = False) -> dict[str, Any]:
    n = len(rows)
    answerable = [r for r in rows if r["answerable"]]
    latencies = [r["got"].ms for r in rows if r["got"].ms > 0]
    stage_ms: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        for stage, ms in r["got"].stages.items():
            stage_ms[stage].append(ms)
    wrong = [r for r in rows if not r["hit"]]
    linking = {"topic_linked": _pct(sum(bool(r["topic_linked"]) for r in rows), n)} if link else {}
    return {
        "questions": n,
        "split_size": total,
        "answerable": len(answerable),
        "hits_at_1": _pct(sum(r["hit"] for r in rows), n),
        "hits_at_1_answerable": _pct(sum(r["hit"] for r in answerable), len(answerable)),
        "precision": _pct(sum(r["precision"] for r in rows), n),
        "recall": _pct(sum(r["recall"] for r in rows), n),
        "f1": _pct(sum(r["f1"] for r in rows), n),
        "f1_answerable": _pct(sum(r["f1"] for r in answerable), len(answerable)),
        **linking,
        "checks_passed": sum(1 for r in rows if r["got"].checks_passed),
        "answered": sum(1 for r in rows if r["got"].answers),
        "status": dict(Counter(r["got"].status for r in rows)),
        "sources": dict(Counter(r["got"].source or "none" for r in rows)),
        "latency_ms": {
            "p50": _percentile(latencies, 0.5),
            "p95": _percentile(latencies, 0.95),
            "mean": round(statistics.fmean(latencies), 2) if latencies else None,
        },
        "stage_ms_p50": {stage: _percentile(v, 0.5) for stage, v in sorted(stage_ms.items())},
        "failures": [
            {
                "line": r["item"].line,
                "question": r["item"].question,
                "gold": r["item"].answers[:5],
                "predicted": r["got"].answers[:5],
                "status": r["got"].status,
                "answerable": r["answerable"],
                "cypher": r["got"].cypher,
                **({"linked": r["got"].linked[:3]} if link else {}),
            }
            for r in wrong[:failures]
        ],
    }


def metaqa_graph(settings: Settings, home: Path | None, database: str | None) -> tuple[Graph, Path]:
    """The MetaQA graph: its own embedded server (own KGQA_HOME) or its own Neo4j database."""
    if settings.embedded:
        home = Path(home) if home else settings.home / "metaqa"
        own = settings.model_copy(update={"home": home})
        return Graph.connect(own), home
    if not database and not settings.graph_database:
        database = "metaqa"
    home = Path(home) if home else settings.home / "metaqa"
    return Graph.connect(settings, database=database or settings.graph_database), home
