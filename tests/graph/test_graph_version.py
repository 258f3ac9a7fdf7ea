"""The graph version that caches key on: a write by this process changes it at once, one by another
connection (another process) within ``max_age``; reading does not change it."""

from __future__ import annotations

from kgqa.config import Settings
from kgqa.graph.client import Graph
from kgqa.graph.version import graph_version
from kgqa.qa.linking import link, name_index


def test_reads_keep_the_version_and_writes_change_it(graph: Graph) -> None:
    before = graph_version(graph)
    graph.read("MATCH (n) RETURN count(n) AS c")
    assert graph_version(graph) == before
    graph.write("CREATE (:Entity {id: 'x:1', name: 'Xanadu Works'})")
    assert graph_version(graph) != before


def test_a_write_through_another_connection_is_seen(graph: Graph, settings: Settings) -> None:
    before = graph_version(graph)
    other = Graph.connect(settings)
    try:
        # the other driver stands for another process: same server, but this process's counter does not move
        other.driver.execute_query("CREATE (:Entity {id: 'x:2', name: 'Yonder Mills'})", database_=other.database)
    finally:
        other.close()
    assert graph_version(graph, max_age=0) != before


def test_linking_sees_a_graph_replaced_by_one_of_the_same_size(graph: Graph) -> None:
    graph.write("CREATE (:Entity {id: 'old:1', name: 'Quillon Harbour', type: 'Location'})")
    assert [m.entity.id for m in link("Where is Quillon Harbour?", graph)] == ["old:1"]
    graph.clear()
    graph.write("CREATE (:Entity {id: 'new:1', name: 'Marrowfield', type: 'Location'})")
    assert name_index(graph).count == 1
    assert [m.entity.id for m in link("Where is Marrowfield?", graph)] == ["new:1"]
