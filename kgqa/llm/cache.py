"""Response cache: an in-memory LRU in front of a sqlite file under ``KGQA_HOME/llm-cache``.

Keyed by provider, model, base URL, prompt name@version, generation parameters, JSON schema and messages, so a
changed prompt file (new version), model or parameter never returns a stale reply.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

from kgqa.llm.base import LLM, Completion, GenParams, LLMError, Message, UsageMeter

log = logging.getLogger(__name__)


def cache_key(
    provider: str,
    model: str,
    endpoint: str,
    prompt: str | None,
    params: GenParams,
    json_schema: dict[str, Any] | None,
    messages: list[Message],
) -> str:
    payload = {
        "v": 1,
        "provider": provider,
        "model": model,
        "endpoint": endpoint,
        "prompt": prompt,
        "params": params.to_dict(),
        "schema": json_schema,
        "messages": messages,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class LLMCache:
    """Thread-safe two-level cache of completions."""

    def __init__(self, directory: Path | None, max_memory: int = 1024) -> None:
        self._lock = threading.Lock()
        self._memory: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._max_memory = max_memory
        self._db: sqlite3.Connection | None = None
        self.path: Path | None = None
        if directory is not None:
            try:
                directory.mkdir(parents=True, exist_ok=True)
                self.path = directory / "completions.sqlite"
                self._db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS completions (key TEXT PRIMARY KEY, value TEXT NOT NULL, "
                    "created REAL NOT NULL, prompt TEXT, model TEXT)"
                )
                self._db.commit()
            except (OSError, sqlite3.Error) as exc:
                log.warning("LLM disk cache unavailable at %s (%s); using memory only", directory, exc)
                self._db = None

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            if key in self._memory:
                self._memory.move_to_end(key)
                return self._memory[key]
            if self._db is None:
                return None
            try:
                row = self._db.execute("SELECT value FROM completions WHERE key = ?", (key,)).fetchone()
            except sqlite3.Error as exc:
                log.warning("LLM cache read failed: %s", exc)
                return None
            if row is None:
                return None
            value = json.loads(row[0])
            self._remember(key, value)
            return value

    def put(self, key: str, value: dict[str, Any]) -> None:
        with self._lock:
            self._remember(key, value)
            if self._db is None:
                return
            try:
                self._db.execute(
                    "INSERT OR REPLACE INTO completions (key, value, created, prompt, model) VALUES (?, ?, ?, ?, ?)",
                    (key, json.dumps(value, ensure_ascii=False), time.time(), value.get("prompt"), value.get("model")),
                )
                self._db.commit()
            except sqlite3.Error as exc:
                log.warning("LLM cache write failed: %s", exc)

    def _remember(self, key: str, value: dict[str, Any]) -> None:
        self._memory[key] = value
        self._memory.move_to_end(key)
        while len(self._memory) > self._max_memory:
            self._memory.popitem(last=False)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            rows = 0
            if self._db is not None:
                rows = int(self._db.execute("SELECT COUNT(*) FROM completions").fetchone()[0])
            return {"path": str(self.path) if self.path else None, "entries": rows, "memory": len(self._memory)}

    def counts_by_prompt(self) -> dict[str, int]:
        """Cached replies per prompt name@version (and model)."""
        with self._lock:
            if self._db is None:
                return {}
            rows = self._db.execute(
                "SELECT COALESCE(prompt, '-'), COALESCE(model, '-'), COUNT(*) FROM completions GROUP BY 1, 2"
            ).fetchall()
            return {f"{prompt} ({model})": int(n) for prompt, model, n in rows}

    def clear(self) -> int:
        with self._lock:
            self._memory.clear()
            if self._db is None:
                return 0
            n = self._db.execute("DELETE FROM completions").rowcount
            self._db.commit()
            return int(n)

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


class ManagedLLM(LLM):
    """What ``get_llm`` returns: a provider with caching and usage metering around it."""

    def __init__(self, inner: LLM, cache: LLMCache | None, meter: UsageMeter, endpoint: str = "") -> None:
        self.inner = inner
        self.provider = inner.provider
        self.model = inner.model
        self.cache = cache
        self.meter = meter
        self.endpoint = endpoint

    @property
    def supports_json_schema(self) -> bool | None:
        return self.inner.supports_json_schema

    def complete(
        self,
        messages: list[Message],
        params: GenParams | None = None,
        json_schema: dict[str, Any] | None = None,
        *,
        prompt: str | None = None,
    ) -> Completion:
        params = params or GenParams()
        key = None
        if self.cache is not None:
            key = cache_key(self.provider, self.model, self.endpoint, prompt, params, json_schema, messages)
            hit = self.cache.get(key)
            if hit is not None:
                completion = Completion.from_dict(hit)
                completion.cached = True
                completion.latency_ms = 0.0
                completion.prompt = prompt
                self.meter.record(completion)
                return completion
        try:
            completion = self.inner.complete(messages, params, json_schema, prompt=prompt)
        except LLMError:
            self.meter.record_error(prompt)
            raise
        completion.prompt = prompt
        self.meter.record(completion)
        if key is not None and self.cache is not None:
            self.cache.put(key, completion.to_dict())
        return completion

    def close(self) -> None:
        self.inner.close()
