"""Graph access: the one path to the graph, Bolt + Cypher through the official ``neo4j`` driver.

Reads run in read transactions with a timeout and a row cap; writes are batched ``UNWIND $rows``
statements in managed write transactions, which the driver retries on transient errors.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal

from neo4j import Driver, GraphDatabase, ManagedTransaction, unit_of_work
from neo4j import graph as neo_graph
from neo4j.exceptions import (
    AuthError,
    ClientError,
    ConfigurationError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
)

from kgqa.config import Settings, get_settings
from kgqa.errors import GraphUnavailable, KgqaError
from kgqa.graph import version
from kgqa.graph.access import ReadResult
from kgqa.graph.cancel import ReadGuard

__all__ = ["Flavor", "Graph", "QueryFailed", "QueryTimedOut", "ReadResult", "plain"]

log = logging.getLogger(__name__)

Flavor = Literal["neo4j", "arcadedb"]


class QueryFailed(KgqaError):
    """The server refused or failed a query (syntax, constraint, timeout)."""

    def __init__(self, message: str, code: str | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.code = code


class QueryTimedOut(QueryFailed):
    """A read ran past its timeout and the server stopped it."""

    exit_code = 5

    def __init__(self, seconds: float, code: str | None = None, hint: str | None = None) -> None:
        super().__init__(
            f"the query ran longer than {seconds:g}s and was stopped on the graph server",
            code,
            hint
            or "anchor the pattern on a known entity (e.g. {id: $id}), lower the variable-length bound or add a "
            "LIMIT; or raise KGQA_QUERY_TIMEOUT",
        )
        self.seconds = seconds


# Server codes of a transaction stopped for taking too long (Neo4j's own timeout, ArcadeDB's command timeout).
_TIMEOUT_CODES = ("TransactionTimedOut", "TransactionTimedOutClientConfiguration")


def plain(value: Any) -> Any:
    """Convert driver values (nodes, relationships, paths) into JSON-ready dicts and lists."""
    if isinstance(value, neo_graph.Node):
        props = dict(value.items())
        return {"_kind": "node", "element_id": value.element_id, "labels": sorted(value.labels), **props}
    if isinstance(value, neo_graph.Relationship):
        return {
            "_kind": "relationship",
            "element_id": value.element_id,
            "type": value.type,
            "start": plain(value.start_node) if value.start_node is not None else None,
            "end": plain(value.end_node) if value.end_node is not None else None,
            "properties": dict(value.items()),
        }
    if isinstance(value, neo_graph.Path):
        return {
            "_kind": "path",
            "nodes": [plain(n) for n in value.nodes],
            "relationships": [plain(r) for r in value.relationships],
        }
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if hasattr(value, "iso_format"):  # neo4j temporal types
        return value.iso_format()
    return value


class Graph:
    """A connection to one graph database (embedded ArcadeDB or Neo4j); implements ``GraphAccess``."""

    def __init__(self, driver: Driver, database: str | None, flavor: Flavor, settings: Settings, uri: str) -> None:
        self.driver = driver
        self.database = database
        self.flavor = flavor
        self.settings = settings
        self.uri = uri

    # ------------------------------------------------------------------ connect

    @classmethod
    def connect(
        cls,
        settings: Settings | None = None,
        *,
        database: str | None = None,
        notify: Callable[[str], None] | None = None,
    ) -> Graph:
        """Connect (starting the embedded server when no URI is set) and verify the connection."""
        settings = settings or get_settings()
        if settings.embedded:
            from kgqa.graph.embedded import DATABASE, USER, server_for

            server = server_for(settings)
            state = server.ensure_started(notify=notify)
            uri, auth = state.uri, (USER, server.password())
            database = database or settings.graph_database or DATABASE
            where = f"the embedded graph server at {uri}"
        else:
            uri = settings.graph_uri or ""
            password = settings.graph_password.get_secret_value() if settings.graph_password else ""
            auth = (settings.graph_user, password)
            database = database or settings.graph_database
            where = f"the graph server at {uri}"
        try:
            driver = GraphDatabase.driver(
                uri, auth=auth, connection_timeout=10.0, max_transaction_retry_time=settings.graph_retry_time
            )
            driver.verify_connectivity()
            agent = driver.get_server_info().agent or ""
        except AuthError as exc:
            raise GraphUnavailable(
                f"{where} refused the credentials for user {auth[0]!r}",
                "check KGQA_GRAPH_USER and KGQA_GRAPH_PASSWORD",
            ) from exc
        except (ServiceUnavailable, SessionExpired, OSError) as exc:
            hint = (
                "run `kgqa graph status`, or `kgqa graph stop` then retry"
                if settings.embedded
                else "start the server (docker compose up -d neo4j) or fix KGQA_GRAPH_URI"
            )
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            raise GraphUnavailable(f"cannot reach {where}: {reason}", hint) from exc
        except (ConfigurationError, ValueError) as exc:
            raise GraphUnavailable(
                f"invalid graph URI {uri!r}: {exc}", "use bolt://host:7687 or neo4j://host:7687"
            ) from exc
        flavor: Flavor = "arcadedb" if "arcadedb" in agent.lower() else "neo4j"
        return cls(driver, database, flavor, settings, uri)

    def close(self) -> None:
        self.driver.close()

    def __enter__(self) -> Graph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ reads

    def read(
        self,
        cypher: str,
        params: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
        max_rows: int | None = None,
    ) -> ReadResult:
        """Run a query in a read transaction with a timeout and a row cap.

        The timeout really stops the server's work: Neo4j enforces the driver's transaction timeout itself;
        on the embedded ArcadeDB server a ``ReadGuard`` terminates the transaction when the time is up or the
        user presses Ctrl-C (``kgqa.graph.cancel``). Either way the caller gets ``QueryTimedOut``.
        The embedded server does not enforce read-only transactions: callers that run
        user-supplied Cypher must check it first (``kgqa.qa.cypher_checks``).
        """
        cap = self.settings.graph_max_rows if max_rows is None else max_rows
        seconds = timeout or self.settings.query_timeout
        guard = ReadGuard(self.driver, self.database, cypher, seconds) if self.flavor == "arcadedb" else None

        @unit_of_work(timeout=seconds)
        def work(tx: ManagedTransaction) -> tuple[list[dict[str, Any]], bool, list[str]]:
            if guard is not None:
                guard.start(tx)
            try:
                return _collect(tx.run(cypher, params or {}), cap)
            except KeyboardInterrupt:
                if guard is not None:
                    guard.cancel()  # before the session's cleanup, which would wait for the query to end
                raise
            finally:
                if guard is not None:
                    guard.stop()

        start = time.perf_counter()
        try:
            rows, truncated, keys = self._session_call("read", work)
        except QueryFailed as exc:
            if guard is not None and guard.cancelled:  # the session's cleanup saw the termination: still Ctrl-C
                raise KeyboardInterrupt from exc
            if (guard is not None and guard.fired) or any(c in (exc.code or "") for c in _TIMEOUT_CODES):
                raise QueryTimedOut(seconds, exc.code) from exc
            raise
        return ReadResult(rows, truncated, (time.perf_counter() - start) * 1000, keys)

    def value(self, cypher: str, params: dict[str, Any] | None = None, default: Any = None) -> Any:
        """First column of the first row of a read query (or ``default``)."""
        rows = self.read(cypher, params, max_rows=1).rows
        return next(iter(rows[0].values())) if rows else default

    # ------------------------------------------------------------------ writes

    def write(self, cypher: str, params: dict[str, Any] | None = None) -> dict[str, int]:
        """Run one write statement in a managed (retried) write transaction; return counters."""

        def work(tx: ManagedTransaction) -> dict[str, int]:
            summary = tx.run(cypher, params or {}).consume()
            return _counters(summary.counters)

        return self._session_call("write", work)

    def write_batches(
        self,
        cypher: str,
        rows: Sequence[Any] | Iterable[Any],
        *,
        batch_size: int | None = None,
        on_batch: Callable[[int], None] | None = None,
    ) -> int:
        """Send ``rows`` as ``$rows`` to an ``UNWIND $rows AS row ...`` statement, in batches."""
        size = batch_size or self.settings.graph_batch_size
        batch: list[Any] = []
        sent = 0
        for row in rows:
            batch.append(row)
            if len(batch) >= size:
                self.write(cypher, {"rows": batch})
                sent += len(batch)
                if on_batch:
                    on_batch(len(batch))
                batch = []
        if batch:
            self.write(cypher, {"rows": batch})
            sent += len(batch)
            if on_batch:
                on_batch(len(batch))
        return sent

    def write_together(self, statements: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """Run several write statements in one transaction: all land or none do."""

        def work(tx: ManagedTransaction) -> None:
            for cypher, params in statements:
                tx.run(cypher, params).consume()

        self._session_call("write", work)

    # ------------------------------------------------------------------ misc

    def explain(self, cypher: str, params: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """Ask the server to plan (not run) a query; raises QueryFailed on syntax/semantic errors."""

        def work(tx: ManagedTransaction) -> dict[str, Any] | None:
            summary = tx.run("EXPLAIN " + cypher, params or {}).consume()
            return summary.plan

        return self._session_call("read", work)

    def clear(self) -> None:
        """Delete every node and relationship (used by tests and ``kgqa graph clear``)."""
        while True:
            counters = self.write("MATCH (n) WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS c")
            if not counters.get("nodes_deleted"):
                break

    def _session_call(self, mode: str, work: Callable[[ManagedTransaction], Any]) -> Any:
        try:
            with self.driver.session(database=self.database) as session:
                if mode == "read":
                    return session.execute_read(work)
                try:
                    return session.execute_write(work)
                finally:  # a failed write may have landed in part: caches must not trust the old version
                    version.note_write(self)
        except (ServiceUnavailable, SessionExpired) as exc:
            raise GraphUnavailable(
                f"lost the connection to the graph server at {self.uri}: {exc}",
                "check that the graph server is running (`kgqa graph status`)",
            ) from exc
        except AuthError as exc:
            raise GraphUnavailable(
                "the graph server refused the credentials", "check KGQA_GRAPH_USER and KGQA_GRAPH_PASSWORD"
            ) from exc
        except ClientError as exc:
            raise QueryFailed(_describe(exc), exc.code) from exc
        except Neo4jError as exc:
            raise QueryFailed(_describe(exc), exc.code) from exc


def _collect(result: Any, cap: int) -> tuple[list[dict[str, Any]], bool, list[str]]:
    """Up to ``cap`` rows of a result as plain values; whether there were more; the column names."""
    rows: list[dict[str, Any]] = []
    truncated = False
    for record in result:
        if len(rows) >= cap:
            truncated = True
            break
        rows.append({k: plain(v) for k, v in record.items()})
    return rows, truncated, list(result.keys())


def _describe(exc: Neo4jError) -> str:
    message = exc.message or str(exc)
    if "Check the server log" in message and exc.code:
        message = f"{exc.code.rsplit('.', 1)[-1]} ({exc.code})"
    return message


def _counters(counters: Any) -> dict[str, int]:
    names = (
        "nodes_created",
        "nodes_deleted",
        "relationships_created",
        "relationships_deleted",
        "properties_set",
        "labels_added",
        "labels_removed",
    )
    return {name: getattr(counters, name, 0) for name in names}
