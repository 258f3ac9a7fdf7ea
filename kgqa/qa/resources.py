"""Per-process resources of the ask pipeline: the cached schema, the example bank, the candidate check."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from typing import Any

from kgqa.graph.client import Graph
from kgqa.graph.schema import GraphSchema, introspect
from kgqa.graph.version import graph_version
from kgqa.qa import linking
from kgqa.qa.cypher_checks import check_cypher
from kgqa.qa.examples import ExampleBank, default_bank_dir
from kgqa.qa.model import (
    Check,
)
from kgqa.qa.runs import _Outcome

log = logging.getLogger(__name__)

SCHEMA_TTL = 120.0  # seconds; kgqa build and tests call invalidate_caches()


_schemas: dict[tuple[str, str | None], tuple[float, GraphSchema, tuple[int, int, int]]] = {}
_lock = threading.Lock()
_bank_cache: dict[str, Any] = {}
_check_cache: OrderedDict[tuple, _Outcome] = OrderedDict()
CHECK_CACHE_SIZE = 4096


def graph_schema(graph: Graph, *, refresh: bool = False) -> tuple[GraphSchema, bool]:
    """The graph's schema, introspected again after any write (the graph version) or ``SCHEMA_TTL`` seconds."""
    key = (graph.uri, graph.database)
    now = time.monotonic()
    version = graph_version(graph)
    with _lock:
        hit = _schemas.get(key)
    if hit and not refresh and now - hit[0] < SCHEMA_TTL and hit[2] == version:
        return hit[1], True
    schema = introspect(graph, sample=2000)
    with _lock:
        _schemas[key] = (now, schema, version)
    return schema, False


def invalidate_caches(graph: Graph | None = None) -> None:
    """Forget cached schemas and name indexes (after writes to the graph)."""
    with _lock:
        if graph is None:
            _schemas.clear()
        else:
            _schemas.pop((graph.uri, graph.database), None)
    linking.invalidate(graph)


def default_examples() -> Any:
    """The default example bank (``kgqa.qa.examples``) when that module and its directory exist."""
    if "bank" in _bank_cache:
        return _bank_cache["bank"]
    bank = None
    if default_bank_dir().exists():
        try:
            bank = ExampleBank.cached()
        except (OSError, ValueError) as exc:  # an unreadable bank: answer without it
            log.warning("example bank not loaded: %s", exc)
    _bank_cache["bank"] = bank
    return bank


def _schema_key(schema: GraphSchema) -> tuple:
    return (tuple(schema.labels), tuple(schema.relationship_types), tuple(schema.patterns))


def param_labels(params: dict[str, Any], linked: list[Any]) -> dict[str, frozenset[str]]:
    """The labels of the entity each parameter names (``$e0`` → the linked entity's type), for the checks."""
    types = {e.id: e.type for e in linked if getattr(e, "type", None)}
    return {k: frozenset({types[v]}) for k, v in params.items() if isinstance(v, str) and v in types}


def check_candidate(
    cypher: str,
    params: dict[str, Any],
    schema: GraphSchema,
    graph: Graph | None,
    *,
    max_hops: int,
    limit: int,
    stats: Any = None,
    param_labels: dict[str, frozenset[str]] | None = None,
) -> tuple[_Outcome, bool]:
    """Run the shared Cypher checks (``kgqa.qa.cypher_checks``); returns (outcome, from cache).

    The static checks depend on the query text, the parameter names and types and the schema, not
    on the parameter values, so a passing outcome that changed no parameter is cached per process
    (the same question shape with another entity costs a dictionary lookup). Outcomes that needed
    the server (EXPLAIN) are cached only for the same server. ``stats`` (the graph's counts) feed the
    cost rule even without EXPLAIN; list parameters' lengths are in the key, since they change the cost.
    """
    key = (
        cypher,
        # integer values (e.g. a $limit) change the outcome of the bounds/limit checks: keep them in the key
        tuple(sorted((k, type(v).__name__, _size_key(v)) for k, v in params.items())),
        _schema_key(schema),
        max_hops,
        limit,
        None if graph is None else (graph.uri, graph.database),
        None if stats is None else (stats.nodes, stats.relationships),
        tuple(sorted((param_labels or {}).items())),
    )
    with _lock:
        hit = _check_cache.get(key)
        if hit is not None:
            _check_cache.move_to_end(key)
    if hit is not None:
        return _Outcome(hit.ok, hit.cypher, dict(params), list(hit.checks)), True
    outcome = check_cypher(
        cypher, params, schema, max_hops=max_hops, limit=limit, graph=graph, stats=stats, param_labels=param_labels
    )
    checks = [c if isinstance(c, Check) else Check.model_validate(c, from_attributes=True) for c in outcome.checks]
    result = _Outcome(bool(outcome.ok), outcome.cypher, dict(outcome.params), checks)
    if result.ok and dict(outcome.params) == dict(params):
        with _lock:
            _check_cache[key] = result
            while len(_check_cache) > CHECK_CACHE_SIZE:
                _check_cache.popitem(last=False)
    return result, False


def _size_key(value: Any) -> Any:
    """What of a parameter's value the checks depend on: an integer itself, a list's length."""
    if isinstance(value, int):
        return value
    return len(value) if isinstance(value, list | tuple) else None
