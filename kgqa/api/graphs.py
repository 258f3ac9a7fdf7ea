"""The API's graph connection: opened lazily, dropped as soon as it fails, reopened on the next request.

A dead driver is never cached: any ``GraphUnavailable`` closes it, so the next request connects afresh
(re-reading the embedded server's port, which changes when it restarts). When the embedded server is not
running (it crashed, was killed, or stopped itself when idle) the API starts it again in the background —
one attempt at a time, with a growing pause between failed ones — and answers 503 with Retry-After
meanwhile, so ``kgqa serve`` recovers without a restart. An external graph (``KGQA_GRAPH_URI``) is only
reconnected to, never started.
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
RESTART_PAUSE = 2.0  # seconds before retrying a failed start; doubles up to MAX_RESTART_PAUSE
MAX_RESTART_PAUSE = 60.0


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
        self._restart_lock = threading.Lock()
        self._restarter: threading.Thread | None = None
        self._next_restart = 0.0
        self._restart_pause = RESTART_PAUSE
        self.restarts = 0

    def _connect(self) -> Graph:
        if self.settings.embedded:
            from kgqa.graph.embedded import server_for

            server = server_for(self.settings)
            if not server.status().running:
                self._restart_in_background(server)
                raise GraphUnavailable(
                    f"the embedded graph server for {self.settings.home} is not running; the API is starting it",
                    "retry in a few seconds; `kgqa graph status` and its log show progress",
                )
        return Graph.connect(self.connect_settings)

    def _restart_in_background(self, server: Any) -> None:
        """Start the embedded server in a thread, unless a start is under way or the last one failed recently."""
        with self._restart_lock:
            busy = self._restarter is not None and self._restarter.is_alive()
            if busy or time.monotonic() < self._next_restart:
                return
            self._restarter = threading.Thread(target=self._restart, args=(server,), name="kgqa-graph-restart")
            self._restarter.daemon = True
            self._restarter.start()

    def _restart(self, server: Any) -> None:
        try:
            state = server.ensure_started()
        except Exception:
            with self._restart_lock:
                self._next_restart = time.monotonic() + self._restart_pause
                self._restart_pause = min(self._restart_pause * 2, MAX_RESTART_PAUSE)
            log.exception("could not restart the embedded graph server; next try in %.0f s", self._restart_pause)
            return
        with self._restart_lock:
            self._restart_pause = RESTART_PAUSE
            self.restarts += 1
        log.warning("the embedded graph server was not running: started it again (pid %s)", state.pid)

    def current(self) -> Graph | None:
        """The live connection if there is one, without connecting (never blocks)."""
        return self._graph

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
            self._restart_if_down()
            raise

    def _restart_if_down(self) -> None:
        """After a lost connection: if the embedded server is gone, start bringing it back at once."""
        if self.settings.embedded:
            from kgqa.graph.embedded import server_for

            server = server_for(self.settings)
            if not server.status().running:
                self._restart_in_background(server)

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
