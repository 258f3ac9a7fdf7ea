"""Bounded reads on the embedded ArcadeDB server: stop the server's work when a read's time is up.

ArcadeDB's Bolt plugin ignores the driver's transaction timeout (``tx_timeout``), and closing the client's
connection does not stop a running query either: the server keeps a core busy until the query ends, which
can take hours. What does stop it (measured on the MetaQA graph, see docs/benchmarks.md) is Cypher's
``TERMINATE TRANSACTIONS``, sent from another connection: the query fails with
``Neo.ClientError.Transaction.Terminated`` within milliseconds and the server's CPU drops at once.

So each read gets a ``ReadGuard``: a timer that, when the read's deadline passes (or when the user presses
Ctrl-C), finds the read's transaction in ``SHOW TRANSACTIONS`` (by the client port of its connection and
its query text) and terminates it. The server's own ``arcadedb.command.timeout`` (set when kgqa starts
the server, ``KGQA_EMBEDDED_COMMAND_TIMEOUT``) is the ceiling for work whose client died before it
could cancel. Neo4j needs none of this: it enforces the driver's timeout server-side.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from neo4j import Driver
from neo4j.exceptions import Neo4jError, ServiceUnavailable, SessionExpired

log = logging.getLogger(__name__)

SHOW = "SHOW TRANSACTIONS"
TERMINATE = "TERMINATE TRANSACTIONS $ids"


def client_port(tx: Any) -> int | None:
    """The local port of the connection a managed transaction runs on (how the server names its client)."""
    connection = getattr(tx, "_connection", None)
    port = getattr(connection, "local_port", None)
    return port if isinstance(port, int) else None


def terminate_reads(driver: Driver, database: str | None, cypher: str, port: int | None) -> list[str]:
    """Terminate the server's transactions running ``cypher`` for the client on ``port``; their ids."""
    with driver.session(database=database) as session:
        running = [dict(r) for r in session.run(SHOW)]
        ids = [
            str(r["transactionId"])
            for r in running
            if r.get("currentQuery") == cypher
            and (port is None or str(r.get("clientAddress", "")).endswith(f":{port}"))
        ]
        if ids:
            session.run(TERMINATE, ids=ids).consume()
    return ids


class ReadGuard:
    """Terminates one read on the server when its deadline passes, or at once on ``cancel()`` (Ctrl-C)."""

    def __init__(self, driver: Driver, database: str | None, cypher: str, timeout: float) -> None:
        self.driver = driver
        self.database = database
        self.cypher = cypher
        self.timeout = timeout
        self.port: int | None = None
        self.fired = False  # the deadline passed and the read was terminated (or tried to be)
        self.cancelled = False  # the user interrupted the read and it was terminated
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def start(self, tx: Any) -> None:
        """Arm the deadline for the transaction ``tx`` (call before running the query in it)."""
        self.port = client_port(tx)
        self._timer = threading.Timer(self.timeout, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def stop(self) -> None:
        """Disarm the deadline (the read finished or failed by itself)."""
        if self._timer is not None:
            self._timer.cancel()

    def cancel(self) -> list[str]:
        """Terminate the read now (the user interrupted it); returns the terminated transaction ids."""
        self.stop()
        self.cancelled = True
        return self._terminate()

    def _expire(self) -> None:
        self.fired = True
        ids = self._terminate()
        log.info("read timed out after %.1fs; terminated %s", self.timeout, ids or "nothing (it had finished)")

    def _terminate(self) -> list[str]:
        with self._lock:
            try:
                return terminate_reads(self.driver, self.database, self.cypher, self.port)
            except (Neo4jError, ServiceUnavailable, SessionExpired, OSError) as exc:
                log.warning("could not terminate a read on the graph server: %s", exc)
                return []
