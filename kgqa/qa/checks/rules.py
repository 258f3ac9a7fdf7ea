"""The rule-based checks, in the order they run, each over graphglot's AST of one parsed statement.

Each rule returns a ``Check`` and, when it can repair the query, a list of precise edits (positions in the
canonical text). Edits of different rules never overlap: a direction flip only touches the arrow heads, a bound
only the ``*..`` quantifier inside the brackets, a LIMIT is appended, a literal is replaced by a ``$param``.

``RULES`` is the ordered table (``kgqa.qa.cypher_checks.CHECK_NAMES`` lists the same order, between ``parse``
and ``explain``); each rule lives in a module of its own:

1. ``read_only``  (``read_only.py``)  no write clause, admin command, plugin function or non-allow-listed procedure
2. ``schema``     (``schema.py``)     labels, relationship types and property keys exist
3. ``direction``  (``direction.py``)  relationship directions follow the schema's patterns (reversed ones fixed)
4. ``bounds``     (``bounds.py``)     variable-length patterns have an upper bound ≤ ``max_hops``
5. ``limit``      (``limit.py``)      a LIMIT ≤ ``limit`` on the result
6. ``parameters`` (``parameters.py``) literals compared with properties become parameters
7. ``cost``       (``cost.py``)       the estimated rows (AST + graph counts + EXPLAIN) stay within the budget
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kgqa.graph.schema import GraphSchema
from kgqa.graph.stats import GraphStats
from kgqa.qa.checks.bounds import check_bounds
from kgqa.qa.checks.cost import check_cost
from kgqa.qa.checks.direction import WILDCARD_LABELS, check_direction
from kgqa.qa.checks.limit import check_limit, result_statements
from kgqa.qa.checks.parameters import check_parameters
from kgqa.qa.checks.patterns import Bindings, edge_direction, path_triples
from kgqa.qa.checks.read_only import READ_FUNCTION_NAMESPACES, READ_PROCEDURES, check_read_only
from kgqa.qa.checks.rule import RuleResult
from kgqa.qa.checks.schema import check_schema
from kgqa.qa.checks.text import Parsed

__all__ = [
    "READ_FUNCTION_NAMESPACES",
    "READ_PROCEDURES",
    "RULES",
    "WILDCARD_LABELS",
    "Bindings",
    "Rule",
    "RuleInputs",
    "RuleResult",
    "check_bounds",
    "check_cost",
    "check_direction",
    "check_limit",
    "check_parameters",
    "check_read_only",
    "check_schema",
    "edge_direction",
    "path_triples",
    "result_statements",
]


@dataclass(frozen=True)
class RuleInputs:
    """What the rules check a query against."""

    schema: GraphSchema | None = None
    max_hops: int = 4
    limit: int = 100
    params: dict[str, Any] = field(default_factory=dict)
    allow_procedures: frozenset[str] = READ_PROCEDURES
    require_values: bool = True
    stats: GraphStats | None = None  # the graph's counts, for the cost rule
    budget: float = 1_000_000
    plan: dict[str, Any] | None = None  # the server's EXPLAIN plan, when it was asked
    param_labels: dict[str, frozenset[str]] = field(default_factory=dict)  # labels of the node a $param anchors


@dataclass(frozen=True)
class Rule:
    """One check: its name, the function that runs it, and whether it needs a schema (skipped without one)."""

    name: str
    run: Callable[[Parsed, RuleInputs], RuleResult]
    needs_schema: bool = False
    needs_stats: bool = False


RULES: tuple[Rule, ...] = (
    Rule("read_only", lambda parsed, given: check_read_only(parsed, given.allow_procedures)),
    Rule("schema", lambda parsed, given: check_schema(parsed, given.schema), needs_schema=True),
    Rule(
        "direction",
        lambda parsed, given: check_direction(parsed, given.schema, given.param_labels),
        needs_schema=True,
    ),
    Rule("bounds", lambda parsed, given: check_bounds(parsed, given.max_hops)),
    Rule("limit", lambda parsed, given: check_limit(parsed, given.limit, given.params)),
    Rule(
        "parameters",
        lambda parsed, given: check_parameters(parsed, given.params, require_values=given.require_values),
    ),
    Rule(
        "cost",
        lambda parsed, given: check_cost(parsed, given.stats, given.budget, given.params, given.plan),
        needs_stats=True,
    ),
)
