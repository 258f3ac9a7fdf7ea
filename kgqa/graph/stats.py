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

_lock = threading.Lock()
_cache: dict[tuple[str, str | None], tuple[float, tuple[int, int, int], GraphStats]] = {}


@dataclass(frozen=True)
class GraphStats:
    """Node and relationship counts: in total, per label and per relationship type."""

    nodes: int
    relationships: int
    labels: dict[str, int] = field(default_factory=dict)
    types: dict[str, int] = field(default_factory=dict)

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
        nodes, relationships, {k: v for k, v in labels.items() if v}, {k: v for k, v in types.items() if v}
    )


def forget(graph: Any) -> None:
    """Drop the cached counts of ``graph`` (tests; the version check makes this unnecessary otherwise)."""
    with _lock:
        _cache.pop((graph.uri, graph.database), None)


def _names(graph: Any, cypher: str) -> list[str]:
    return [str(r["name"]) for r in graph.read(cypher, max_rows=100_000).rows if r.get("name")]


def _escape(name: str) -> str:
    return name.replace("`", "``")
