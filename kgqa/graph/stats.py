"""The graph's counts, for estimating what a read will cost: nodes, relationships, per label and per type.

Cached per server and database. A cached entry is re-checked at most every ``max_age`` seconds against the
graph's version (``kgqa.graph.version``: this process's writes plus the server's node and relationship
counts), and the per-label and per-type counts are read again only when that version changed. Both servers
answer every count here from their counters (``Count Push-Down`` on ArcadeDB), so a refresh costs a few
milliseconds per label and type.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from kgqa.graph.version import graph_version

log = logging.getLogger(__name__)

LABELS = "CALL db.labels() YIELD label RETURN label AS name"
TYPES = "CALL db.relationshipTypes() YIELD relationshipType RETURN relationshipType AS name"

EXCESS = "MATCH (n)-[r]-() WITH n, count(r) AS d RETURN sum(d * d) AS s2, sum(d) AS s1"
EXCESS_MAX_RELATIONSHIPS = 2_000_000  # one pass over them when the graph changed; beyond, averages only
EXCESS_TIMEOUT = 10.0
_lock = threading.Lock()
_cache: dict[tuple[str, str | None], tuple[float, tuple[int, int, int], GraphStats]] = {}


@dataclass(frozen=True)
class GraphStats:
    """Node and relationship counts: in total, per label and per relationship type."""

    nodes: int
    relationships: int
    labels: dict[str, int] = field(default_factory=dict)
    types: dict[str, int] = field(default_factory=dict)
    excess_degree: float | None = None  # E[d²]/E[d] over nodes: the degree of a node a relationship leads to

    def label_count(self, labels: set[str]) -> int | None:
        """Nodes carrying all of ``labels`` (at most the smallest label's count); None without labels."""
        known = [self.labels.get(label, 0) for label in labels]
        return min(known) if known else None

    def type_count(self, types: set[str]) -> int:
        """Relationships of any of ``types`` (every relationship when ``types`` is empty)."""
        return sum(self.types.get(t, 0) for t in types) if types else self.relationships

    @property
    def avg_degree(self) -> float:
        """Relationships per node, counting both ends (an undirected step's average fan-out)."""
        return 2 * self.relationships / self.nodes if self.nodes else 0.0


def graph_stats(graph: Any, max_age: float = 5.0) -> GraphStats:
    """The graph's counts, from the cache when it is younger than ``max_age`` s or the graph did not change."""
    key = (graph.uri, graph.database)
    now = time.monotonic()
    with _lock:
        cached = _cache.get(key)
    if cached is not None and now - cached[0] < max_age:
        return cached[2]
    current = graph_version(graph)
    if cached is not None and cached[1] == current:
        stats = cached[2]
    else:
        stats = read_stats(graph, nodes=current[1], relationships=current[2])
    with _lock:
        _cache[key] = (now, current, stats)
    return stats


def read_stats(graph: Any, *, nodes: int, relationships: int) -> GraphStats:
    """Count every label and relationship type (names from the server's catalogue)."""
    from kgqa.graph.client import QueryFailed

    labels: dict[str, int] = {}
    types: dict[str, int] = {}
    try:
        for name in _names(graph, LABELS):
            labels[name] = int(graph.value(f"MATCH (n:`{_escape(name)}`) RETURN count(n) AS c", default=0) or 0)
        for name in _names(graph, TYPES):
            types[name] = int(graph.value(f"MATCH ()-[r:`{_escape(name)}`]->() RETURN count(r) AS c", default=0) or 0)
    except QueryFailed as exc:  # a server without the catalogue procedures: totals only
        log.info("graph statistics without per-label counts: %s", exc.message)
    return GraphStats(
        nodes,
        relationships,
        {k: v for k, v in labels.items() if v},
        {k: v for k, v in types.items() if v},
        excess_degree(graph, relationships),
    )


def excess_degree(graph: Any, relationships: int) -> float | None:
    """``E[d²]/E[d]``: one pass over the relationships (skipped above ``EXCESS_MAX_RELATIONSHIPS``)."""
    from kgqa.graph.client import QueryFailed

    if not relationships or relationships > EXCESS_MAX_RELATIONSHIPS:
        return None
    try:
        row = graph.read(EXCESS, max_rows=1, timeout=EXCESS_TIMEOUT).rows
    except QueryFailed as exc:  # includes QueryTimedOut
        log.info("graph statistics without the degree spread: %s", exc.message)
        return None
    s1, s2 = (row[0].get("s1"), row[0].get("s2")) if row else (None, None)
    return float(s2) / float(s1) if s1 and s2 else None


def forget(graph: Any) -> None:
    """Drop the cached counts of ``graph`` (tests; the version check makes this unnecessary otherwise)."""
    with _lock:
        _cache.pop((graph.uri, graph.database), None)


def _names(graph: Any, cypher: str) -> list[str]:
    return [str(r["name"]) for r in graph.read(cypher, max_rows=100_000).rows if r.get("name")]


def _escape(name: str) -> str:
    return name.replace("`", "``")


def node_degree(graph: Any, labels: frozenset[str], prop: str, value: Any, types: frozenset[str]) -> int | None:
    """Relationships (of ``types``, any direction) on the node whose ``prop`` is ``value``; None when not found.

    The cost rule asks this for the node a ``*..k`` expansion starts from, so that a hub (a genre with ten
    thousand films) is not estimated from the graph's average degree. At most 5 matching nodes are counted.
    """
    from kgqa.graph.client import QueryFailed

    label = "".join(f":`{_escape(name)}`" for name in sorted(labels))
    rel = (":" + "|".join(f"`{_escape(t)}`" for t in sorted(types))) if types else ""
    cypher = (
        f"MATCH (n{label}) WHERE n.`{_escape(prop)}` = $value WITH n LIMIT 5 MATCH (n)-[r{rel}]-() RETURN count(r) AS c"
    )
    try:
        found = graph.value(cypher, {"value": value}, default=None)
    except QueryFailed as exc:
        log.info("no degree for the anchored node: %s", exc.message)
        return None
    return int(found) if found is not None else None
