"""Graph access layer against the real test server."""

from __future__ import annotations

import pytest

from kgqa.graph.client import Graph, QueryFailed
from kgqa.graph.schema import introspect


def test_batched_write_and_read_with_cap(graph: Graph) -> None:
    rows = [{"id": f"e{i}", "name": f"Entity {i}"} for i in range(25)]
    sent = graph.write_batches(
        "UNWIND $rows AS row MERGE (e:Entity {id: row.id}) SET e.name = row.name", rows, batch_size=10
    )
    assert sent == 25
    result = graph.read("MATCH (e:Entity) RETURN e.name AS name ORDER BY name", max_rows=10)
    assert len(result.rows) == 10 and result.truncated
    assert graph.value("MATCH (e:Entity) RETURN count(e) AS c") == 25


def test_merge_is_idempotent(graph: Graph) -> None:
    stmt = "UNWIND $rows AS row MERGE (e:Entity {id: row.id}) SET e.name = row.name"
    for _ in range(2):
        graph.write_batches(stmt, [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}])
    assert graph.value("MATCH (e:Entity) RETURN count(e) AS c") == 2


def test_write_together_is_atomic(graph: Graph) -> None:
    with pytest.raises(QueryFailed):
        graph.write_together(
            [
                ("CREATE (:Entity {id: 'x1', name: 'one'})", {}),
                ("THIS IS NOT CYPHER", {}),
            ]
        )
    assert graph.value("MATCH (e:Entity {id: 'x1'}) RETURN count(e) AS c") == 0


def test_schema_introspection_patterns(graph: Graph) -> None:
    graph.write(
        "MERGE (a:Entity:Person {id: 'p'}) SET a.name = 'Ada' "
        "MERGE (b:Entity:Organization {id: 'o'}) SET b.name = 'Acme' "
        "MERGE (a)-[:WORKS_FOR]->(b)"
    )
    schema = introspect(graph)
    assert ("Person", "WORKS_FOR", "Organization") in schema.patterns
    assert "name" in schema.node_properties["Person"]
    assert schema.relationship_counts["WORKS_FOR"] == 1


def test_syntax_error_is_reported(graph: Graph) -> None:
    with pytest.raises(QueryFailed):
        graph.read("MATCH (n RETURN n")


def test_nodes_and_relationships_become_plain_values(graph: Graph) -> None:
    graph.write("MERGE (a:Entity {id: 'a', name: 'A'}) MERGE (b:Entity {id: 'b', name: 'B'}) MERGE (a)-[:KNOWS]->(b)")
    row = graph.read("MATCH (a)-[r:KNOWS]->(b) RETURN a, r, b").rows[0]
    assert row["a"]["name"] == "A" and "Entity" in row["a"]["labels"]
    assert row["r"]["type"] == "KNOWS"
