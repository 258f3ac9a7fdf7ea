"""The API's graph connection: opened lazily, dropped as soon as it fails, reopened on the next request.

A dead driver is never cached: any ``GraphUnavailable`` closes it, so the next request connects afresh
(re-reading the embedded server's port, which changes when it restarts). The API does not start the
embedded server by itself: ``kgqa serve`` starts it once at start-up; if someone stops it later, requests
answer 503 until it runs again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from kgqa.config import Settings
from kgqa.errors import GraphUnavailable
from kgqa.graph.client import Graph
from kgqa.graph.schema import GraphSchema, introspect

log = logging.getLogger("kgqa.api")
T = TypeVar("T")


class GraphHolder:
    """Thread-safe lazy connection plus a short-lived schema cache."""

    def __init__(self, settings: Settings, schema_ttl: float = 15.0) -> None:
        self.settings = settings
        # An API request should fail fast (503) when the graph is down, not retry for the CLI's 15 s.
        self.connect_settings = settings.model_copy(update={"graph_retry_time": min(settings.graph_retry_time, 2.0)})
        self.schema_ttl = schema_ttl
        self._graph: Graph | None = None
        self._lock = threading.Lock()
        self._schema: tuple[float, GraphSchema] | None = None

    def _connect(self) -> Graph:
        if self.settings.embedded:
            from kgqa.graph.embedded import EmbeddedServer

            status = EmbeddedServer(self.settings.home).status()
            if not status.running:
                raise GraphUnavailable(
                    f"the embedded graph server for {self.settings.home} is not running",
                    "start it with `kgqa graph start`; the API reconnects by itself",
                )
        return Graph.connect(self.connect_settings)

    def get(self) -> Graph:
        """The live connection, connecting first when there is none."""
        graph = self._graph
        if graph is not None:
            return graph
        with self._lock:
            if self._graph is None:
                self._graph = self._connect()
                log.info("connected to the graph at %s (%s)", self._graph.uri, self._graph.flavor)
            return self._graph

    def drop(self, graph: Graph | None = None) -> None:
        """Forget (and close) the connection, so that the next request reconnects."""
        with self._lock:
            if self._graph is not None and (graph is None or graph is self._graph):
                old, self._graph = self._graph, None
                self._schema = None
                try:
                    old.close()
                except Exception:  # closing a dead driver may fail; we only want it gone
                    log.debug("closing a dead driver failed", exc_info=True)

    def run(self, work: Callable[[Graph], T]) -> T:
        """Run ``work(graph)``; on a lost connection drop the driver and re-raise ``GraphUnavailable``."""
        graph = self.get()
        try:
            return work(graph)
        except GraphUnavailable:
            self.drop(graph)
            raise

    def schema(self, refresh: bool = False) -> GraphSchema:
        """The graph's schema, cached for ``schema_ttl`` seconds (introspection counts every label)."""
        cached = self._schema
        if not refresh and cached is not None and time.monotonic() - cached[0] < self.schema_ttl:
            return cached[1]
        schema = self.run(introspect)
        self._schema = (time.monotonic(), schema)
        return schema

    def invalidate_schema(self) -> None:
        self._schema = None

    def ping(self) -> dict[str, Any]:
        """Check the graph answers a trivial query; return where and what it is."""
        started = time.perf_counter()
        self.run(lambda g: g.value("RETURN 1 AS ok"))
        graph = self.get()
        return {
            "uri": graph.uri,
            "flavor": graph.flavor,
            "latency_ms": round((time.perf_counter() - started) * 1000, 1),
        }

    def close(self) -> None:
        self.drop()
