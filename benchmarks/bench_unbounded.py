"""Resource-exhausting reads on the MetaQA graph: refused by the cost check, or stopped at the timeout.

For each read: the checked path (``run_checked``, as ``kgqa cypher run`` and ``/v1/cypher`` use it) gives its
outcome (refused with the reason / timed out / answered) and time; meanwhile another thread sends a trivial
lookup every 50 ms, and its p50/max latency is compared with the same lookup on the idle server (ratio).
With ``--unchecked`` the reads skip the cost check (``KGQA_QUERY_COST_BUDGET`` = ∞) to show the timeout alone.
After each read the server's CPU over the next second is sampled (embedded server: ``/proc/PID/stat``).

Needs the MetaQA graph that ``kgqa eval metaqa`` leaves in ``$KGQA_HOME/metaqa`` (``--home``):

    /work/main/.venv/bin/python -m benchmarks.bench_unbounded --timeout 10 [--unchecked]
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from pathlib import Path

from kgqa.config import get_settings
from kgqa.eval.metaqa import metaqa_graph
from kgqa.graph.client import Graph, QueryTimedOut
from kgqa.graph.schema import introspect
from kgqa.qa.cypher_checks import run_checked

READS = [
    "MATCH p=(a)-[*]-(b) RETURN count(p)",
    "MATCH (a)-[*..4]-(b) RETURN count(DISTINCT b)",
    "MATCH (a),(b) WITH a, b WHERE a.name < b.name RETURN count(*)",
    "MATCH (a)--(b)--(c) RETURN count(*)",
    "MATCH (a),(b),(c) RETURN a.name, b.name, c.name ORDER BY a.name",
    "MATCH (a:Entity {name: 'Drama'})-[*..3]-(b) RETURN count(b)",  # anchored on a hub (~10k neighbours)
    "MATCH (a:Entity) WHERE a.name STARTS WITH 'A' MATCH (a)-[*..3]-(b) RETURN count(DISTINCT b)",
]
LOOKUP = "MATCH (e:Entity {name: $name})-[r]-(m) RETURN type(r) AS t, m.name AS m LIMIT 20"


def lookups(graph: Graph, stop: threading.Event, out: list[float]) -> None:
    while not stop.is_set():
        t = time.perf_counter()
        graph.read(LOOKUP, {"name": "Kismet"}, max_rows=20)
        out.append((time.perf_counter() - t) * 1000)
        stop.wait(0.05)


def cpu_after(pid: int | None, seconds: float = 1.0) -> float | None:
    if pid is None:
        return None

    def ticks() -> int:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])

    start = ticks()
    time.sleep(seconds)
    return round((ticks() - start) / 100 / seconds, 2)


def one(graph: Graph, schema, cypher: str, args, pid: int | None) -> dict:
    lat: list[float] = []
    stop = threading.Event()
    thread = threading.Thread(target=lookups, args=(graph, stop, lat), daemon=True)
    thread.start()
    t = time.perf_counter()
    try:
        outcome, result = run_checked(graph, cypher, {}, schema, timeout=args.timeout)
        status = "answered" if result is not None else "refused"
        detail = outcome.reason if result is None else f"{len(result.rows)} rows"
    except QueryTimedOut as exc:
        status, detail = "timed out", exc.message
    seconds = round(time.perf_counter() - t, 2)
    stop.set()
    thread.join()
    return {
        "read": cypher,
        "outcome": status,
        "seconds": seconds,
        "detail": detail[:240],
        "lookup_p50_ms": round(statistics.median(lat), 1) if lat else None,
        "lookup_max_ms": round(max(lat), 1) if lat else None,
        "lookups": len(lat),
        "server_cpu_after": cpu_after(pid),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--unchecked", action="store_true", help="lift the cost budget: only the timeout acts")
    args = parser.parse_args()
    settings = get_settings()
    if args.unchecked:
        settings = settings.model_copy(update={"query_cost_budget": 1e18})
    graph, home = metaqa_graph(settings, args.home, None)
    state = home / "graph" / "server.json"
    pid = json.loads(state.read_text())["pid"] if settings.embedded and state.exists() else None
    schema = introspect(graph)
    idle: list[float] = []
    for _ in range(40):
        t = time.perf_counter()
        graph.read(LOOKUP, {"name": "Kismet"}, max_rows=20)
        idle.append((time.perf_counter() - t) * 1000)
    idle_p50 = statistics.median(idle)
    print(json.dumps({"idle_lookup_p50_ms": round(idle_p50, 1), "timeout_s": args.timeout}))
    for cypher in READS:
        row = one(graph, schema, cypher, args, pid)
        row["lookup_ratio_p50"] = round(row["lookup_p50_ms"] / idle_p50, 2) if row["lookup_p50_ms"] else None
        print(json.dumps(row, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
