"""The Neo4j Browser files in cypher/: constraints match the code, every exploration query runs on the test graph,
the stylesheet covers our labels, and the API's browser queries open exactly the returned subgraph."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kgqa.api.browser import browser_query_for
from kgqa.graph.client import Graph
from kgqa.graph.schema import CONSTRAINTS, INDEXES
from kgqa.qa.model import Subgraph, SubgraphNode, SubgraphRelationship
from tests.api_seed import seed

CYPHER = Path(__file__).resolve().parents[2] / "cypher"
NEO4J_ONLY = ("db.schema.visualization",)


def statements(text: str) -> list[tuple[dict[str, str], str]]:
    """(params in force, statement) for each statement; ``:param x => 'v';`` lines set params."""
    params: dict[str, str] = {}
    out = []
    body = "\n".join(line for line in text.splitlines() if not line.strip().startswith("//"))
    for raw in body.split(";"):
        stmt = raw.strip()
        if not stmt:
            continue
        m = re.fullmatch(r":param\s+(\w+)\s*=>\s*'([^']*)'", stmt)
        if m:
            params[m.group(1)] = m.group(2)
            continue
        out.append((dict(params), stmt))
    return out


def test_constraints_file_matches_the_code() -> None:
    text = (CYPHER / "constraints.cypher").read_text()
    for name, label, prop in CONSTRAINTS:
        assert f"CREATE CONSTRAINT {name} IF NOT EXISTS FOR (n:{label}) REQUIRE n.{prop} IS UNIQUE;" in text
    for name, label, prop in INDEXES:
        assert f"CREATE INDEX {name} IF NOT EXISTS FOR (n:{label}) ON (n.{prop});" in text


def test_constraints_file_runs_twice(graph: Graph) -> None:
    for _ in range(2):
        for _params, stmt in statements((CYPHER / "constraints.cypher").read_text()):
            graph.write(stmt)


def test_every_exploration_query_runs(graph: Graph) -> None:
    seed(graph)
    ran = 0
    for params, stmt in statements((CYPHER / "exploration.cypher").read_text()):
        if graph.flavor != "neo4j" and any(p in stmt for p in NEO4J_ONLY):
            continue
        assert not re.search(r"\b(CREATE|MERGE|DELETE|SET|REMOVE|DROP)\b", stmt), stmt
        needed = set(re.findall(r"\$(\w+)", stmt))
        assert needed <= set(params), (needed, stmt)
        rows = graph.read(stmt, {k: params[k] for k in needed}).rows
        ran += 1
        if "WHERE NOT (e)--()" not in stmt:
            assert rows, stmt  # the examples are written against the seeded graph: each finds something
    assert ran >= 14


def test_grass_styles_every_label() -> None:
    grass = (CYPHER / "kgqa.grass").read_text()
    for label in ("Entity", "Person", "Organization", "Location", "Work", "Document", "Chunk"):
        assert f"node.{label} {{" in grass
    assert "caption: '{name}'" in grass
    assert grass.count("{") == grass.count("}")


def test_browser_query_for_opens_exactly_the_subgraph(graph: Graph) -> None:
    seed(graph)
    sub = Subgraph(
        nodes=[
            SubgraphNode(id="person:ada-lovelace", name="Ada Lovelace"),
            SubgraphNode(id="organization:acme-corp", name="Acme Corp"),
            SubgraphNode(id="work:notes", name="Notes"),
        ],
        relationships=[
            SubgraphRelationship(start="person:ada-lovelace", end="organization:acme-corp", type="WORKS_FOR")
        ],
    )
    query = browser_query_for(sub)
    assert query is not None
    rows = graph.read(query).rows
    rels = {(r["start"]["id"], r["type"], r["end"]["id"]) for row in rows for r in row["p"]["relationships"]}
    nodes = {n["id"] for row in rows for n in row["p"]["nodes"]}
    assert rels == {("person:ada-lovelace", "WORKS_FOR", "organization:acme-corp")}
    assert nodes == {"person:ada-lovelace", "organization:acme-corp", "work:notes"}
    assert browser_query_for(Subgraph()) is None


@pytest.mark.parametrize("value", ["o'brien", "back\\slash", "new\nline"])
def test_browser_query_escapes_ids(graph: Graph, value: str) -> None:
    graph.write("CREATE (:Entity {id: $id, name: 'x'})", {"id": value})
    rows = graph.read(browser_query_for(Subgraph(nodes=[SubgraphNode(id=value, name="x")]))).rows
    assert [row["p"]["nodes"][0]["id"] for row in rows] == [value]
