"""Ask benchmark: latency per stage, and the pipeline's overhead over running its final Cypher directly.

For MetaQA test questions (topic entity given, as in ``kgqa eval metaqa``), each question is answered by
the ask pipeline (or, with ``--mode examples`` / when the pipeline is missing, by the example generator +
one read) and its final Cypher is also run directly with the neo4j driver in a read transaction, all rows
consumed. The order alternates per question so neither side always gets the warmer cache. Reported: p50/p95
of both, the per-question overhead (pipeline − raw) in ms, the p50 ratio, and p50 per pipeline stage.

Needs the MetaQA graph and bank that ``kgqa eval metaqa`` leaves in ``$KGQA_HOME/metaqa`` (``--home``):

    /work/main/.venv/bin/python -m benchmarks.bench_ask_metaqa --per-hop 100 --seed 0
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from kgqa.config import get_settings
from kgqa.eval.metaqa import (
    _pipeline_available,
    answer_with_examples,
    answer_with_pipeline,
    metaqa_graph,
    select_questions,
)
from kgqa.qa.examples import ExampleBank, ExampleGenerator, PathMiner
from kgqa.qa.model import LinkedEntity

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = next(
    (p / "shared/data/metaqa" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared/data/metaqa").is_dir()),
    ROOT.parent / "shared/data/metaqa",
)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 2)


def raw_ms(graph, cypher: str, params: dict[str, Any]) -> float:
    start = time.perf_counter()
    with graph.driver.session(database=graph.database) as session:
        session.execute_read(lambda tx: list(tx.run(cypher, params)))
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--per-hop", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--mode", choices=["auto", "pipeline", "examples"], default="auto")
    args = parser.parse_args()

    settings = get_settings()
    graph, home = metaqa_graph(settings, args.home, None)
    bank = ExampleBank.load(home / "examples" / "metaqa-dev.jsonl")
    mode = args.mode if args.mode != "auto" else ("pipeline" if _pipeline_available() else "examples")
    generator = ExampleGenerator(bank, k=3)
    questions = []
    for hop in (1, 2, 3):
        items, _ = select_questions(args.data, "test", hop, args.per_hop, args.seed)
        questions += [(hop, i) for i in items]
    ids = PathMiner(graph).resolve({i.entity for _, i in questions})

    def answer(hop, item):
        linked = [LinkedEntity(mention=item.entity, id=ids[item.entity][0], name=item.entity, method="given")]
        question = item.question.replace("[", "").replace("]", "")
        if mode == "pipeline":
            return answer_with_pipeline(question, graph, linked, bank, hop)
        return answer_with_examples(question, graph, linked, generator, None)

    for hop, item in questions[: args.warmup]:
        got = answer(hop, item)
        if got.cypher:
            raw_ms(graph, got.cypher, {"e0": ids[item.entity][0]})

    pipeline, raw, overhead = defaultdict(list), defaultdict(list), defaultdict(list)
    stages: dict[str, list[float]] = defaultdict(list)
    skipped = 0
    for n, (hop, item) in enumerate(questions):
        params = {"e0": ids[item.entity][0]}
        if n % 2:
            got = answer(hop, item)
            direct = raw_ms(graph, got.cypher, params) if got.cypher else None
        else:
            first = answer(hop, item)  # the query to time directly comes from the pipeline itself
            direct = raw_ms(graph, first.cypher, params) if first.cypher else None
            got = answer(hop, item)
        if direct is None or got.status != "answered":
            skipped += 1
            continue
        for key in (str(hop), "all"):
            pipeline[key].append(got.ms)
            raw[key].append(direct)
            overhead[key].append(got.ms - direct)
        for stage, ms in got.stages.items():
            stages[stage].append(ms)
    graph.close()
    result = {
        "mode": mode,
        "questions": len(questions),
        "skipped": skipped,
        "per_hop": {
            key: {
                "n": len(pipeline[key]),
                "pipeline_ms": {"p50": pct(pipeline[key], 0.5), "p95": pct(pipeline[key], 0.95)},
                "raw_ms": {"p50": pct(raw[key], 0.5), "p95": pct(raw[key], 0.95)},
                "overhead_ms": {"p50": pct(overhead[key], 0.5), "p95": pct(overhead[key], 0.95)},
                "ratio_p50": round(statistics.median(pipeline[key]) / statistics.median(raw[key]), 3),
            }
            for key in ("1", "2", "3", "all")
            if pipeline[key]
        },
        "stage_ms": {stage: {"p50": pct(v, 0.5), "p95": pct(v, 0.95)} for stage, v in sorted(stages.items())},
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
