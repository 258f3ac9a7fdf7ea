"""The graph's version, for caches that must not outlive a write (name index, schema, answers).

Two parts: a per-process counter bumped by every write this process makes (exact, free), and a
fingerprint of the server (node and relationship counts) read at most every ``max_age`` seconds, which
notices writes by other processes (``kgqa build`` beside ``kgqa serve``). No node is added to the
user's graph for this; a change by another process that keeps both counts equal is noticed only by
the caches' own time limits.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from kgqa.graph import queries

_lock = threading.Lock()
_writes: dict[tuple[str, str | None], int] = {}
_fingerprints: dict[tuple[str, str | None], tuple[float, tuple[int, int]]] = {}


def _key(graph: Any) -> tuple[str, str | None]:
    return (graph.uri, graph.database)


def note_write(graph: Any) -> None:
    """Record that this process wrote to ``graph`` (called by the graph client after each write)."""
    key = _key(graph)
    with _lock:
        _writes[key] = _writes.get(key, 0) + 1
        _fingerprints.pop(key, None)


def fresh_version(graph: Any, max_age: float = 1.0) -> tuple[int, int, int] | None:
    """The version when it is known without a read (fingerprint younger than ``max_age``), else ``None``."""
    key = _key(graph)
    with _lock:
        writes = _writes.get(key, 0)
        cached = _fingerprints.get(key)
    if cached is None or time.monotonic() - cached[0] >= max_age:
        return None
    return (writes, *cached[1])


def graph_version(graph: Any, max_age: float = 1.0) -> tuple[int, int, int]:
    """(this process's writes, nodes, relationships): changes whenever a cache over ``graph`` is stale."""
    key = _key(graph)
    now = time.monotonic()
    with _lock:
        writes = _writes.get(key, 0)
        cached = _fingerprints.get(key)
    if cached is None or now - cached[0] >= max_age:
        cached = (
            now,
            (
                int(graph.value(queries.COUNT_NODES, default=0) or 0),
                int(graph.value(queries.COUNT_RELATIONSHIPS, default=0) or 0),
            ),
        )
        with _lock:
            _fingerprints[key] = cached
    return (writes, *cached[1])
