"""LLM extraction throughput: parallel chunks vs one at a time, and cached vs uncached, as ratios.

The LLM extractor runs over N synthetic chunks against the replay server (``tests/llm_replay.py``) with a fixed
per-reply latency standing in for a model's generation time. Baseline: concurrency 1, no cache. Reported:
chunks/s at concurrency 1 and C, their ratio (ideal: C), and the ratio of a fully cached re-run (sqlite) to the
uncached run — what a re-build of unchanged text costs.

    /work/main/.venv/bin/python -m benchmarks.bench_llm --chunks 24 --latency 0.2 --concurrency 4

Timings on a shared machine are noisy: compare ratios, not absolute numbers.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from kgqa.config import Settings
from kgqa.ingest.extract.llm import LLMExtractor
from kgqa.ingest.model import Chunk, Document, Sentence
from kgqa.llm.factory import get_llm, reset_providers
from kgqa.ontology import load_ontology
from tests.llm_replay import ReplayServer

TEXT = "Ada Lovelace works for Acme Corporation. She was born in London."


def _chunks(n: int) -> tuple[Document, list[Chunk]]:
    # Distinct chunk texts (so nothing is cached within a run) that still match the recorded reply.
    parts = [f"{TEXT} Note {i}." for i in range(n)]
    doc = Document("bench", "\n".join(parts))
    chunks, pos = [], 0
    for i, part in enumerate(parts):
        sentences = [Sentence(part, pos, pos + len(part), i)]
        chunks.append(Chunk(f"bench#{i}", "bench", i, part, pos, pos + len(part), sentences))
        pos += len(part) + 1
    return doc, chunks


def _run(server: ReplayServer, home: Path, concurrency: int, cache: bool, n: int) -> dict:
    reset_providers()
    settings = Settings(
        _env_file=None, home=home, llm_base_url=server.url, llm_cache=cache, llm_concurrency=concurrency
    )
    extractor = LLMExtractor(get_llm("openai:replay-model", settings), settings)
    doc, chunks = _chunks(n)
    before = len(server.chat_requests)
    started = time.perf_counter()
    results = extractor.extract(doc, chunks, load_ontology())
    seconds = time.perf_counter() - started
    assert all(r.facts for r in results), "every chunk should yield facts"
    return {
        "seconds": round(seconds, 3),
        "chunks_per_s": round(n / seconds, 2),
        "requests": len(server.chat_requests) - before,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=24)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per reply (simulated generation)")
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    with ReplayServer(latency=args.latency) as server, tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        serial = _run(server, home / "a", 1, False, args.chunks)
        parallel = _run(server, home / "b", args.concurrency, True, args.chunks)
        cached = _run(server, home / "b", args.concurrency, True, args.chunks)
    reset_providers()
    report = {
        "chunks": args.chunks,
        "latency_s": args.latency,
        "serial": serial,
        f"concurrency_{args.concurrency}": parallel,
        "cached_rerun": cached,
        "ratio_parallel_over_serial": round(parallel["chunks_per_s"] / serial["chunks_per_s"], 2),
        "ratio_cached_over_uncached": round(cached["chunks_per_s"] / parallel["chunks_per_s"], 2),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
