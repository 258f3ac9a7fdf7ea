"""An in-process LRU cache of answers, keyed by the normalised question, the options and the graph version.

Any write to the graph changes its version (``kgqa.graph.version``), so a cached answer never outlives the
facts it was read from: at once for writes by this process, within a second for writes by another one
whose node or relationship count differs, and within ``ttl`` seconds in every case. Only settled outcomes
are kept (answered / no_answer / ambiguous / fallback), never errors, so a failure is retried on the next request.
A hit returns a copy with a ``cache`` trace step, so callers can tell.
"""

from __future__ import annotations

import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from kgqa.graph.version import fresh_version, graph_version
from kgqa.qa.model import AskResult, TraceStep

CACHEABLE = {"answered", "no_answer", "ambiguous", "fallback"}


def normalise_question(question: str) -> str:
    """Case, width and spacing folded, trailing punctuation dropped: ``Who founded X ?`` ≡ ``who founded x``."""
    text = unicodedata.normalize("NFKC", question).casefold()
    return " ".join(text.split()).rstrip(" ?!.")


class AnswerCache:
    """Thread-safe LRU of AskResults; ``size`` 0 disables it."""

    def __init__(self, size: int = 1024, ttl: float = 300.0) -> None:
        self.size = size
        self.ttl = ttl
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[Hashable, tuple[float, AskResult]] = OrderedDict()
        self._lock = threading.Lock()

    def peek(self, question: str, options: Hashable, graph: Any) -> AskResult | None:
        """The cached answer when it is known without touching the graph (for an event loop), else ``None``.

        A ``None`` is not counted as a miss: the caller goes on to ``get_or_compute``.
        """
        if self.size <= 0:
            return None
        started = time.perf_counter()
        version = fresh_version(graph)
        if version is None:
            return None
        hit = self._lookup(_key(question, options, graph, version), count=False)
        return None if hit is None else _as_hit(hit, question, (time.perf_counter() - started) * 1000)

    def get_or_compute(
        self, question: str, options: Hashable, graph: Any, compute: Callable[[], AskResult]
    ) -> AskResult:
        """The cached answer for (question, options, graph version), or ``compute()`` stored when settled."""
        if self.size <= 0:
            return compute()
        started = time.perf_counter()
        key = _key(question, options, graph, graph_version(graph))
        now = time.monotonic()
        hit = self._lookup(key)
        if hit is not None:
            return _as_hit(hit, question, (time.perf_counter() - started) * 1000)
        result = compute()
        if result.status in CACHEABLE:
            with self._lock:
                self._items[key] = (now, result.model_copy(deep=True))
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return result

    def _lookup(self, key: Hashable, count: bool = True) -> AskResult | None:
        """The live entry for ``key`` (moved to the LRU end), counting a hit or a miss."""
        with self._lock:
            entry = self._items.get(key)
            if entry is not None and time.monotonic() - entry[0] < self.ttl:
                self._items.move_to_end(key)
                self.hits += 1
                return entry[1]
            if count:
                self.misses += 1
            return None

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"size": len(self._items), "capacity": self.size, "hits": self.hits, "misses": self.misses}


def _key(question: str, options: Hashable, graph: Any, version: tuple[int, int, int]) -> Hashable:
    return (normalise_question(question), options, graph.uri, graph.database, version)


def _as_hit(result: AskResult, question: str, ms: float) -> AskResult:
    # Shallow: the stored answer is never handed out itself, and callers only set top-level fields.
    step = TraceStep(stage="cache", ms=round(ms, 2), cached=True, detail="answer from the answer cache")
    return result.model_copy(update={"question": question, "trace": [step]})
