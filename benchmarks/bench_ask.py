"""Pipeline overhead of ``kgqa ask`` over the raw final query, as a ratio and in milliseconds.

For every answered question of a question file, time (a) ``ask()`` with the topic entities pre-linked
(as MetaQA-style evaluation runs it), (b) ``ask()`` with linking, and (c) the final Cypher alone through
``graph.read``. Reports p50/p95 of (a)-(c) and (b)-(c) and the ratios. Uses the configured graph
(``KGQA_HOME`` / ``KGQA_GRAPH_URI``), which should hold the sample corpus (``kgqa build data/corpus``).

    python -m benchmarks.bench_ask --questions data/questions.jsonl [--repeat 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from kgqa.config import get_settings
from kgqa.eval.qa import load_questions
from kgqa.graph.client import Graph
from kgqa.qa.model import LinkedEntity
from kgqa.qa.pipeline import ask


def _p(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, round(q * (len(values) - 1)))], 3) if values else 0.0


def run(questions_path: str, repeat: int) -> dict:
    graph = Graph.connect(get_settings())
    questions = load_questions(questions_path)
    over_given: list[float] = []
    over_linked: list[float] = []
    raw_all: list[float] = []
    stage_ms: dict[str, list[float]] = {}
    for q in questions:
        first = ask(q.question, graph)  # warms caches; gives the final query and the linked entities
        if first.status != "answered" or not first.cypher:
            continue
        linked = [LinkedEntity(**e.model_dump()) for e in first.linked_entities]
        for _ in range(repeat):
            t = time.perf_counter()
            graph.read(first.cypher, first.params, max_rows=100)
            raw = (time.perf_counter() - t) * 1000
            t = time.perf_counter()
            res = ask(q.question, graph, linked=linked)
            given = (time.perf_counter() - t) * 1000
            t = time.perf_counter()
            ask(q.question, graph)
            full = (time.perf_counter() - t) * 1000
            raw_all.append(raw)
            over_given.append(given - raw)
            over_linked.append(full - raw)
            for step in res.trace:
                stage_ms.setdefault(step.stage, []).append(step.ms)
    graph.close()
    med_raw = statistics.median(raw_all) if raw_all else 0.0
    return {
        "samples": len(raw_all),
        "raw_query_ms": {"p50": _p(raw_all, 0.5), "p95": _p(raw_all, 0.95)},
        "overhead_prelinked_ms": {"p50": _p(over_given, 0.5), "p95": _p(over_given, 0.95)},
        "overhead_with_linking_ms": {"p50": _p(over_linked, 0.5), "p95": _p(over_linked, 0.95)},
        "ratio_prelinked_to_raw_p50": round((med_raw + _p(over_given, 0.5)) / med_raw, 3) if med_raw else None,
        "stages_prelinked_ms_p50": {k: _p(v, 0.5) for k, v in sorted(stage_ms.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", default="data/questions.jsonl")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = run(args.questions, args.repeat)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            print(f"{key:28} {value}")


if __name__ == "__main__":
    main()
