"""Bounded reads on a dense graph: a long read is stopped on the server, Ctrl-C stops it too, and the cost
check refuses the resource-exhausting reads of issue 15 with a reason (real server, real checks)."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from kgqa.graph.cancel import SHOW
from kgqa.graph.client import Graph, QueryFailed, QueryTimedOut
from kgqa.graph.stats import forget, graph_stats
from kgqa.qa.cypher_checks import check_cypher
from tests.api_support import PROBLEM, api_settings, serve_app

NODES, DEGREE = 300, 20  # ~6,000 relationships: built in about a second; 300 × 40^4 paths of length ≤ 4
BUDGET = 50_000  # rows; this graph is small (300 × 300 = 90,000 pairs), so the budget is scaled down with it
UNBOUNDED = "MATCH p=(a)-[*..4]-(b) RETURN count(p) AS c"  # minutes on this graph
ISSUE_READS = {
    "MATCH p=(a)-[*]-(b) RETURN count(p)": "from every one of",
    "MATCH (a)-[*..4]-(b) RETURN count(DISTINCT b)": "from every one of",
    "MATCH (a),(b) WITH a, b WHERE a.name < b.name RETURN count(*)": "cartesian product",
}


@pytest.fixture(scope="module")
def dense(session_graph: Graph) -> Iterator[Graph]:
    """A random graph where every node has ~40 neighbours (both directions): unanchored expansions explode."""
    session_graph.clear()
    rng = random.Random(15)
    session_graph.write_batches(
        "UNWIND $rows AS row CREATE (:Entity {id: row.id, name: row.name})",
        [{"id": f"n{i}", "name": f"Node {i}"} for i in range(NODES)],
    )
    edges = [{"a": f"n{i}", "b": f"n{rng.randrange(NODES)}"} for i in range(NODES) for _ in range(DEGREE)]
    session_graph.write_batches(
        "UNWIND $rows AS row MATCH (a:Entity {id: row.a}), (b:Entity {id: row.b}) CREATE (a)-[:LINKS]->(b)", edges
    )
    forget(session_graph)
    yield session_graph
    session_graph.clear()


def _running(graph: Graph, cypher: str) -> list[dict]:
    """The server's transactions running ``cypher`` (ArcadeDB and Neo4j both answer SHOW TRANSACTIONS)."""
    rows = graph.read(SHOW, max_rows=1000).rows
    return [r for r in rows if r.get("currentQuery") == cypher]


def test_long_read_fails_with_clear_error_and_server_stops_its_work(dense: Graph) -> None:
    with pytest.raises(QueryTimedOut) as caught:
        dense.read(UNBOUNDED, timeout=2)
    assert isinstance(caught.value, QueryFailed)  # callers that catch QueryFailed keep working
    assert "ran longer than 2s and was stopped" in caught.value.message
    assert "KGQA_QUERY_TIMEOUT" in (caught.value.hint or "")
    if dense.flavor == "arcadedb":
        assert _running(dense, UNBOUNDED) == []  # the transaction is gone from the server, not just abandoned
    assert dense.value("MATCH (n:Entity {id: 'n1'}) RETURN n.name") == "Node 1"


def test_stats_count_the_dense_graph(dense: Graph) -> None:
    stats = graph_stats(dense)
    assert stats.nodes == NODES and stats.relationships == NODES * DEGREE
    assert stats.labels["Entity"] == NODES and stats.types == {"LINKS": NODES * DEGREE}


@pytest.mark.parametrize("cypher", list(ISSUE_READS))
def test_cost_check_refuses_the_issue_reads_with_a_reason(dense: Graph, cypher: str) -> None:
    outcome = check_cypher(cypher, {}, None, graph=dense, budget=BUDGET)
    cost = next(c for c in outcome.checks if c.name == "cost")
    assert not outcome.ok and cost.status == "failed"
    assert ISSUE_READS[cypher] in cost.detail and "over the budget" in cost.detail


@pytest.mark.parametrize(
    "cypher",
    [
        "MATCH (a:Entity {id: $id})-[:LINKS]->(b) RETURN b.name",
        "MATCH path = (s:Entity {id: $id})<-[:LINKS]-(x:Entity)-[:LINKS]->(answer:Entity) "
        "WHERE answer <> s RETURN DISTINCT answer.name",
        "MATCH (a:Entity) WHERE a.id IN $ids MATCH (a)-[:LINKS*..2]-(b) RETURN DISTINCT b.name",
        "MATCH (n) RETURN n.name LIMIT 25",
    ],
)
def test_cost_check_passes_anchored_and_limited_reads(dense: Graph, cypher: str) -> None:
    outcome = check_cypher(cypher, {"id": "n1", "ids": ["n1", "n2"]}, None, graph=dense, budget=BUDGET)
    assert outcome.ok, outcome.reason


def test_cost_budget_is_a_setting(dense: Graph) -> None:
    anchored = "MATCH (a:Entity {id: $id})-[*..3]-(b) RETURN count(b)"  # 40 + 40² + 40³ ≈ 66,000 paths
    assert check_cypher(anchored, {"id": "n1"}, None, graph=dense).ok
    small = check_cypher(anchored, {"id": "n1"}, None, graph=dense, budget=1000)
    assert not small.ok and "from 1 start node(s)" in small.reason


def test_cost_check_reads_the_degree_of_a_hub_start_node(dense: Graph) -> None:
    """A *..k expansion from a hub is estimated from the hub's real degree and the graph's degree spread, not the
    average degree (which says the same expansion from any node is cheap)."""
    typed = "MATCH (a:Entity {name: $name})-[:LINKS*..2]-(b) RETURN count(b)"
    untyped = "MATCH (a:Entity) WHERE a.name = 'Hub' MATCH (a)-[*..2]-(b) RETURN count(b)"
    dense.write(
        "CREATE (h:Entity {id: 'hub', name: 'Hub'}) WITH h MATCH (n:Entity) WHERE n.id <> 'hub' "
        "UNWIND range(1, 10) AS i CREATE (h)-[:LINKS]->(n)"
    )
    forget(dense)
    try:
        stats = graph_stats(dense)
        assert stats.excess_degree is not None and stats.excess_degree > 2 * stats.avg_degree
        assert check_cypher(typed, {"name": "Node 1"}, None, graph=dense, budget=BUDGET).ok  # an ordinary node
        for cypher, params in ((typed, {"name": "Hub"}), (untyped, {})):
            outcome = check_cypher(cypher, params, None, graph=dense, budget=BUDGET)
            assert not outcome.ok and "3,000 relationships" in outcome.reason, outcome.reason
        assert check_cypher(typed, {"name": "Hub"}, None, graph=dense, budget=1e7).ok  # within a larger budget
    finally:
        dense.write("MATCH (h:Entity {id: 'hub'}) DETACH DELETE h")
        forget(dense)


def test_cypher_run_ctrl_c_stops_the_read(dense: Graph, graph_env: dict[str, str]) -> None:
    env = {**graph_env, "KGQA_QUERY_COST_BUDGET": "1e18", "KGQA_QUERY_TIMEOUT": "600"}  # only Ctrl-C stops it
    cypher = "MATCH p=(a)-[*..4]-(b) RETURN count(p) AS c LIMIT 1"
    proc = subprocess.Popen(
        [sys.executable, "-m", "kgqa", "cypher", "run", cypher, "--limit", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 60
        while dense.flavor == "arcadedb" and not _running(dense, cypher) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, (out, err)
    assert "interrupted" in err
    if dense.flavor == "arcadedb":
        assert _running(dense, cypher) == []
    assert dense.value("RETURN 1 AS one") == 1


def test_api_cypher_timeout_is_a_504_problem(dense: Graph, settings) -> None:
    cypher = "MATCH p=(a)-[*..4]-(b) RETURN count(p) AS c"
    with serve_app(api_settings(settings, query_timeout=2, query_cost_budget=1e18)) as base:
        slow = httpx.post(f"{base}/v1/cypher", json={"cypher": cypher}, timeout=60)
        assert slow.status_code == 504 and slow.headers["content-type"].startswith(PROBLEM)
        body = slow.json()
        assert body["type"] == "urn:kgqa:problem:query-timeout" and "KGQA_QUERY_TIMEOUT" in body["hint"]
        quick = httpx.post(f"{base}/v1/cypher", json={"cypher": "MATCH (n:Entity {id: 'n2'}) RETURN n.name"})
        assert quick.status_code == 200 and quick.json()["rows"] == [{"n.name": "Node 2"}]
    with serve_app(api_settings(settings)) as base:
        refused = httpx.post(f"{base}/v1/cypher", json={"cypher": cypher})
        assert refused.status_code == 422 and "cost" in refused.json()["detail"]
