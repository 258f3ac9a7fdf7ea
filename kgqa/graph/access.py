"""The graph access protocol: what callers need from a graph connection (``Graph`` implements it).

Code that only reads and writes Cypher is typed against ``GraphAccess``, so it depends on five methods
and the settings, not on the neo4j driver; ``kgqa.graph.client.Graph`` is the one implementation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from kgqa.config import Settings

Params = dict[str, Any] | None
OnBatch = Callable[[int], None] | None


@dataclass
class ReadResult:
    """Rows of a read query, converted to plain Python values."""

    rows: list[dict[str, Any]]
    truncated: bool = False
    elapsed_ms: float = 0.0
    keys: list[str] = field(default_factory=list)


class GraphAccess(Protocol):
    """Reads with a timeout and a row cap; writes in managed transactions, batched or all together."""

    settings: Settings

    def read(
        self, cypher: str, params: Params = None, *, timeout: float | None = None, max_rows: int | None = None
    ) -> ReadResult:
        """Run a query in a read transaction."""
        ...

    def value(self, cypher: str, params: Params = None, default: Any = None) -> Any:
        """First column of the first row of a read query (or ``default``)."""
        ...

    def write(self, cypher: str, params: Params = None) -> dict[str, int]:
        """Run one write statement; return the server's counters."""
        ...

    def write_batches(
        self, cypher: str, rows: Iterable[Any], *, batch_size: int | None = None, on_batch: OnBatch = None
    ) -> int:
        """Send ``rows`` as ``$rows`` to an ``UNWIND $rows AS row ...`` statement, in batches."""
        ...

    def write_together(self, statements: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """Run several write statements in one transaction: all land or none do."""
        ...
