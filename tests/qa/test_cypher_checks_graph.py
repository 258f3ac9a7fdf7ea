"""The Cypher checks against the real embedded server: nothing in the corpora may change the graph."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kgqa.graph.client import Graph
from kgqa.graph.schema import GraphSchema, introspect
from kgqa.qa.checks.text import deny_word, lex
from kgqa.qa.cypher_checks import check_cypher, run_checked

DATA = Path(__file__).parents[1] / "data"
ROOT = Path(__file__).resolve().parents[2]

SEED = [
    "CREATE (:Entity:Person {id: 'p1', name: 'Ada', born: 1815, delete: 'keep'})",
    "CREATE (:Entity:Person {id: 'p2', name: 'Bob', born: 1900, delete: 'keep'})",
    "CREATE (:Entity:Person {id: 'p3', name: 'Cy', born: 1950, delete: 'keep'})",
    "CREATE (:Entity:Person {id: 'p4', name: \"it's\", born: 1990, delete: 'keep'})",
    "CREATE (:Entity:Movie {id: 'm1', title: 'Engines', released: 1843})",
    "CREATE (:Entity:Company {id: 'c1', name: 'Acme'})",
    "CREATE (:Entity:`SET` {id: 's1', name: 'a set'})",
    "MATCH (a:Person {id: 'p1'}), (b:Person {id: 'p2'}) CREATE (a)-[:KNOWS]->(b)",
    "MATCH (a:Person {id: 'p2'}), (b:Person {id: 'p3'}) CREATE (a)-[:KNOWS]->(b)",
    "MATCH (a:Person {id: 'p1'}), (m:Movie {id: 'm1'}) CREATE (a)-[:ACTED_IN {roles: ['herself']}]->(m)",
    "MATCH (a:Person {id: 'p2'}), (m:Movie {id: 'm1'}) CREATE (a)-[:DIRECTED]->(m)",
    "MATCH (a:Person {id: 'p1'}), (c:Company {id: 'c1'}) CREATE (a)-[:WORKS_FOR]->(c)",
    "MATCH (a:Person {id: 'p3'}), (c:Company {id: 'c1'}) CREATE (a)-[:WORKS_FOR]->(c)",
]


def corpus(name: str) -> list[dict]:
    with open(DATA / name, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def seed(graph: Graph) -> None:
    for statement in SEED:
        graph.write(statement)


def dump(graph: Graph) -> str:
    """Every node and relationship with labels and properties, sorted: byte-comparable."""
    nodes = graph.read("MATCH (n) RETURN labels(n) AS labels, properties(n) AS props", max_rows=100000).rows
    rels = graph.read(
        "MATCH (a)-[r]->(b) RETURN a.id AS a, type(r) AS t, properties(r) AS props, b.id AS b", max_rows=100000
    ).rows
    node_lines = sorted(json.dumps([sorted(r["labels"]), r["props"]], sort_keys=True) for r in nodes)
    rel_lines = sorted(json.dumps([r["a"], r["t"], r["props"], r["b"]], sort_keys=True) for r in rels)
    return f"{len(node_lines)} nodes, {len(rel_lines)} relationships\n" + "\n".join(node_lines + rel_lines)


@pytest.fixture()
def seeded(graph: Graph) -> tuple[Graph, GraphSchema, str]:
    seed(graph)
    return graph, introspect(graph), dump(graph)


def test_corpora_sizes() -> None:
    assert len(corpus("cypher_malicious.jsonl")) >= 60
    assert len(corpus("cypher_readonly.jsonl")) >= 30


def test_malicious_refused_and_graph_unchanged(seeded) -> None:
    graph, schema, before = seeded
    assert before.startswith("7 nodes, 6 relationships"), before
    accepted = []
    for item in corpus("cypher_malicious.jsonl"):
        outcome, result = run_checked(graph, item["cypher"], {}, schema)
        if outcome.ok or result is not None:
            accepted.append((item["note"], item["cypher"], outcome.cypher))
        else:
            assert outcome.reason, item
    assert not accepted, f"malicious queries accepted: {accepted}"
    assert dump(graph) == before


def test_readonly_pass_run_and_graph_unchanged(seeded) -> None:
    graph, schema, before = seeded
    refused = []
    for item in corpus("cypher_readonly.jsonl"):
        outcome, result = run_checked(graph, item["cypher"], {}, schema)
        if not outcome.ok or result is None:
            refused.append((item["note"], item["cypher"], outcome.reason))
            continue
        assert all(c.status in ("passed", "fixed", "skipped") for c in outcome.checks)
        assert deny_word(lex(outcome.cypher)) is None, outcome.cypher  # what runs has no write word at all
        assert next(c for c in outcome.checks if c.name == "explain").status == "passed"
    assert not refused, f"read-only queries refused: {refused}"
    assert dump(graph) == before


def test_readonly_results_are_right(seeded) -> None:
    graph, schema, _ = seeded
    outcome, result = run_checked(graph, "MATCH (m:Movie)-[:ACTED_IN]->(p:Person) RETURN p.name AS name", {}, schema)
    assert outcome.ok and [r["name"] for r in result.rows] == ["Ada"]  # direction fixed, so it finds Ada
    outcome, result = run_checked(
        graph,
        "MATCH p = shortestPath((a:Person {name: 'Ada'})-[*]-(b:Person {name: 'Cy'})) RETURN length(p) AS hops",
        {},
        schema,
    )
    assert outcome.ok and result.rows == [{"hops": 2}]
    assert outcome.params == {"name": "Ada", "name_2": "Cy"}
    outcome, result = run_checked(graph, "MATCH (p:Person {name: 'it\\'s'}) RETURN p.id AS id", {}, schema)
    assert outcome.ok and result.rows == [{"id": "p4"}]
    outcome, result = run_checked(graph, "MATCH (p:Person) RETURN p.delete AS d LIMIT 1000", {}, schema, limit=2)
    assert outcome.ok and result.rows == [{"d": "keep"}, {"d": "keep"}]


def test_explain_failure_reports_server_message(seeded) -> None:
    graph, schema, before = seeded
    # parses (graphglot is lenient about aggregation scope) but the server refuses to plan it
    outcome = check_cypher("MATCH (p:Person) RETURN p.name AS n ORDER BY nosuchvar", {}, schema, graph=graph)
    explain = next(c for c in outcome.checks if c.name == "explain")
    assert not outcome.ok and explain.status == "failed", outcome.checks
    assert "server" in explain.detail
    assert dump(graph) == before


def _kgqa(graph_env: dict, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kgqa", *args],
        cwd=ROOT,
        env=graph_env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_cli_run_and_check(seeded, graph_env) -> None:
    graph, _schema, before = seeded
    res = _kgqa(
        graph_env,
        "cypher",
        "run",
        "MATCH (p:Person) WHERE p.name = $n RETURN p.born AS born",
        "--param",
        "n=Ada",
        "--json",
    )
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["rows"] == [{"born": 1815}] and data["ok"]
    for query in (
        "MATCH (n) DETACH DELETE n",
        "CALL apoc.periodic.iterate('MATCH (n) RETURN n', 'DETACH DELETE n', {})",
    ):
        res = _kgqa(graph_env, "cypher", "run", query)
        assert res.returncode == 4, (res.stdout, res.stderr)
        assert "refused" in res.stderr
    res = _kgqa(graph_env, "cypher", "run", "-", "--json", stdin="MATCH (n:Person) // x\nSET n.pwned = 1")
    assert res.returncode == 4 and json.loads(res.stdout)["rows"] is None
    res = _kgqa(graph_env, "cypher", "check", "MATCH (n:Persn) RETURN n.nme", "--json")
    assert res.returncode == 4
    schema_check = next(c for c in json.loads(res.stdout)["checks"] if c["name"] == "schema")
    assert "did you mean Person" in schema_check["detail"]
    res = _kgqa(graph_env, "cypher", "check", "MATCH (a:Person)-[:KNOWS*]->(b) RETURN b", "--no-schema")
    assert res.returncode == 0, res.stderr
    assert "*..4" in res.stdout
    assert dump(graph) == before
