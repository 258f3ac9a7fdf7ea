"""API benchmark: requests/second and latency percentiles of ``POST /v1/ask`` under N concurrent clients.

A real ``kgqa serve`` process (``--workers W``) on a free loopback port, over an embedded graph server in its
own temporary KGQA home, built from a corpus (default data/corpus) and asked the questions of a question set
(default data/questions.jsonl, cycled). The baseline is ``KGQA.ask`` called in-process from the same number of
threads (no HTTP, no JSON), with the same answer-cache setting, so the ratio API/in-process is the cost (or,
with several workers, the gain) of serving over HTTP. ``GET /healthz`` gives the server's floor.

    /work/main/.venv/bin/python -m benchmarks.bench_api --clients 1,8 --requests 400 --workers 2 --cache on

Timings on a shared machine are noisy: compare ratios, not absolute numbers.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from kgqa.config import Settings
from kgqa.graph.embedded import EmbeddedServer
from kgqa.graph.schema import ensure_constraints

ROOT = Path(__file__).resolve().parents[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def load(fn: Callable[[int], bool], clients: int, requests: int) -> dict[str, Any]:
    """Run ``requests`` calls of ``fn(i)`` from ``clients`` threads; latency stats in ms."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def one(i: int) -> None:
        nonlocal errors
        start = time.perf_counter()
        ok = fn(i)
        ms = (time.perf_counter() - start) * 1000
        with lock:
            latencies.append(ms)
            errors += 0 if ok else 1

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(requests)))
    seconds = time.perf_counter() - start
    return {
        "clients": clients,
        "requests": requests,
        "errors": errors,
        "seconds": round(seconds, 3),
        "rps": round(requests / seconds, 2),
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "max_ms": round(max(latencies), 1),
    }


def start_api(home: Path, workers: int, cache_size: int) -> tuple[subprocess.Popen, str]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("KGQA_")}
    env.update(
        KGQA_HOME=str(home),
        KGQA_API_RATE_LIMIT="1000000",
        KGQA_API_RATE_BURST="1000000",
        KGQA_API_MAX_INFLIGHT="256",
        KGQA_LLM_CACHE="false",
        KGQA_ANSWER_CACHE_SIZE=str(cache_size),
        PYTHONPATH=str(ROOT),
    )
    command = ["serve", "--port", str(port), "--log-level", "warning", "--workers", str(workers)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "kgqa", *command],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise SystemExit("kgqa serve did not become ready within 120 s")


def load_questions(path: Path, limit: int | None) -> list[str]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
    return [r["question"] for r in rows][:limit]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", default="1,8", help="Comma-separated concurrency levels.")
    parser.add_argument("--requests", type=int, default=400, help="Requests per level (bounded run).")
    parser.add_argument("--corpus", type=Path, default=ROOT / "data" / "corpus", help="Documents to build from.")
    parser.add_argument("--questions", type=Path, default=ROOT / "data" / "questions.jsonl", help="Question set.")
    parser.add_argument("--limit", type=int, default=None, help="Only the first N questions.")
    parser.add_argument("--workers", type=int, default=1, help="kgqa serve --workers.")
    parser.add_argument("--cache", choices=["on", "off"], default="on", help="The answer cache, in both runs.")
    parser.add_argument("--home", type=Path, default=None, help="KGQA home (default: a temporary folder).")
    parser.add_argument("--out", type=Path, default=None, help="Also write the JSON report here.")
    return parser.parse_args()


def http_caller(port: int) -> Callable[[str, str, bytes | None], tuple[int, bytes]]:
    """A request function with one keep-alive ``http.client`` connection per thread: a light load generator,
    so that on 2 cores the client takes as little CPU from the server as it can (lighter per call than httpx)."""
    local = threading.local()

    def call(method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        if not hasattr(local, "c"):
            local.c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        local.c.request(method, path, body=body, headers={"content-type": "application/json"})
        response = local.c.getresponse()
        return response.status, response.read()

    return call


def measure_level(n: int, requests: int, api: Callable, in_process: Callable, health: Callable) -> dict[str, Any]:
    """One concurrency level: the API, the same pipeline in-process, and /healthz, side by side."""
    over_http, base_line, floor = load(api, n, requests), load(in_process, n, requests), load(health, n, requests)
    return {
        "clients": n,
        "api_ask": over_http,
        "in_process_ask": base_line,
        "healthz": floor,
        "ratio_rps_api_over_in_process": round(over_http["rps"] / base_line["rps"], 3),
        "ratio_p95_api_over_in_process": round(over_http["p95_ms"] / max(base_line["p95_ms"], 0.1), 3),
    }


def main() -> None:
    args = parse_args()
    levels = [int(x) for x in args.clients.split(",") if x.strip()]
    questions = load_questions(args.questions, args.limit)

    from kgqa import KGQA

    tmp = tempfile.TemporaryDirectory(prefix="kgqa-bench-api-")
    home = args.home or Path(tmp.name)
    cache_size = 1024 if args.cache == "on" else 0
    settings = Settings(_env_file=None, home=home, llm="offline", llm_cache=False, answer_cache_size=cache_size)
    server = EmbeddedServer(home)
    proc = None
    try:
        kg = KGQA(settings)
        ensure_constraints(kg.graph)
        kg.graph.clear()
        kg.build([args.corpus])
        proc, base = start_api(home, args.workers, cache_size)
        call = http_caller(int(base.rsplit(":", 1)[1]))
        bodies = [json.dumps({"question": q}).encode() for q in questions]

        def in_process(i: int) -> bool:
            return kg.ask(questions[i % len(questions)]).status != "error"

        def over_http(i: int) -> bool:
            status, data = call("POST", "/v1/ask", bodies[i % len(bodies)])
            return status == 200 and b'"status":"error"' not in data

        def health(_i: int) -> bool:
            return call("GET", "/healthz", None)[0] == 200

        answered = sum(in_process(i) for i in range(len(questions)))  # warm-up: spaCy, caches, connections
        # Warm every worker: connections are spread over them by the kernel, so ask each question several times.
        load(over_http, max(levels), len(questions) * args.workers * 3)
        report: dict[str, Any] = {
            "corpus": str(args.corpus),
            "questions": str(args.questions),
            "distinct_questions": len(questions),
            "answered_in_warmup": answered,
            "workers": args.workers,
            "answer_cache": args.cache,
            "levels": [measure_level(n, args.requests, over_http, in_process, health) for n in levels],
        }
        for row in report["levels"]:
            api, base_line = row["api_ask"], row["in_process_ask"]
            print(
                f"workers={args.workers} cache={args.cache} clients={row['clients']:>3}  "
                f"/v1/ask {api['rps']:>7.1f} req/s p95 {api['p95_ms']:>7.1f} ms  |  "
                f"in-process {base_line['rps']:>7.1f} req/s p95 {base_line['p95_ms']:>7.1f} ms  |  "
                f"ratio rps {row['ratio_rps_api_over_in_process']:.2f}  |  /healthz {row['healthz']['rps']:.0f} req/s  "
                f"errors {api['errors']}/{base_line['errors']}",
                file=sys.stderr,
            )
        kg.close()
        text = json.dumps(report, indent=2)
        print(text)
        if args.out:
            args.out.write_text(text + "\n")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=20)
        server.stop()
        tmp.cleanup()


if __name__ == "__main__":
    main()
