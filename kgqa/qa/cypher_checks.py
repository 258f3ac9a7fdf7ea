"""Rule-based checks between any Cypher (generated or hand-written) and the database.

The embedded graph server does not enforce read-only transactions, so these checks are what keeps writes out.
They work on graphglot's tokens and AST (see ``kgqa.qa.checks``), never on regexes over the text:

1. ``parse``      one statement that graphglot parses (unsupported syntax is refused, never passed through)
2. ``read_only``  no write clause, admin command, plugin function or non-allow-listed procedure, anywhere
3. ``schema``     labels, relationship types and property keys exist (closest known name suggested)
4. ``direction``  relationship directions follow the schema's (start, type, end) patterns (reversed ones fixed)
5. ``bounds``     variable-length patterns have an upper bound ≤ ``max_hops`` (unbounded ones fixed)
6. ``limit``      a LIMIT ≤ ``limit`` on the result (added or lowered)
7. ``parameters`` literals compared with properties become parameters
8. ``cost``       the estimated rows (from the AST, the graph's counts and the EXPLAIN plan) are within
                  ``KGQA_QUERY_COST_BUDGET``: cartesian products, unanchored and wide expansions are refused
9. ``explain``    the server plans the query (``EXPLAIN``) without an error (run before ``cost``, which reads
                  its plan)

The query that is finally run is the *fixed canonical text*: the original tokens without comments, with any fix
applied by a precise span edit. It is re-parsed and re-checked before it is returned.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from kgqa.config import get_settings
from kgqa.errors import KgqaError
from kgqa.qa.checks.rules import (
    READ_PROCEDURES,
    RULES,
    RuleInputs,
    RuleResult,
    check_cost,
    check_read_only,
)
from kgqa.qa.checks.text import CypherSyntaxError, Edit, apply_edits, canonicalize, deny_word, parse
from kgqa.qa.model import Check

if TYPE_CHECKING:
    from kgqa.graph.client import Graph, ReadResult
    from kgqa.graph.schema import GraphSchema
    from kgqa.graph.stats import GraphStats

log = logging.getLogger(__name__)

__all__ = ["READ_PROCEDURES", "CheckOutcome", "check_cypher", "run_checked"]

CHECK_NAMES = ("parse", "read_only", "schema", "direction", "bounds", "limit", "parameters", "cost", "explain")


@dataclass
class CheckOutcome:
    ok: bool  # False if any check failed
    cypher: str  # the query to run: canonical text with every fix applied
    params: dict[str, Any]
    checks: list[Check] = field(default_factory=list)
    parsed: Any = field(default=None, repr=False, compare=False)  # the parse of ``cypher`` (for the cost rule)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status == "failed"]

    @property
    def reason(self) -> str:
        """One line saying why the query was refused (empty when ok)."""
        return "; ".join(f"{c.name}: {c.detail}" for c in self.failed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "cypher": self.cypher,
            "params": self.params,
            "checks": [c.model_dump() for c in self.checks],
        }


def _c(name: str, status: str, detail: str = "") -> Check:
    return Check(name=name, status=status, detail=detail)  # type: ignore[arg-type]


def _refuse(cypher: str, params: dict[str, Any], checks: list[Check]) -> CheckOutcome:
    done = {c.name for c in checks}
    rest = [_c(n, "skipped", "not run: an earlier check failed") for n in CHECK_NAMES if n not in done]
    return CheckOutcome(False, cypher, params, checks + rest)


def check_cypher(
    cypher: str,
    params: dict | None,
    schema: GraphSchema | None,
    *,
    max_hops: int = 4,
    limit: int = 100,
    allow_procedures: frozenset[str] = READ_PROCEDURES,
    graph: Graph | None = None,
    require_values: bool = True,
    stats: GraphStats | None = None,
    budget: float | None = None,
    param_labels: dict[str, frozenset[str]] | None = None,
) -> CheckOutcome:
    """Check (and where safe, fix) one Cypher query; see the module docstring for the checks.

    ``param_labels`` gives the labels of the node a parameter anchors (``{id: $e0}`` on a linked Person), so the
    direction rule can judge an edge whose node pattern says only ``:Entity``.

    ``require_values=False`` accepts ``$parameters`` without values (query templates, e.g. datasets).
    The cost rule uses ``stats`` (read from ``graph`` when not given; skipped without either) and ``budget``
    (default ``KGQA_QUERY_COST_BUDGET``).
    """
    params = dict(params or {})
    try:
        outcome = _check(
            cypher, params, schema, max_hops, limit, allow_procedures, graph, require_values, param_labels or {}
        )
        return _cost(outcome, graph, stats, budget) if outcome.ok else outcome
    except KgqaError:  # e.g. the graph server went away during EXPLAIN: say so, as everywhere else
        raise
    except Exception as exc:  # a bug in a check refuses the query (refusing is always safe) and is logged
        log.exception("internal error while checking Cypher")
        return _refuse(cypher, params, [_c("parse", "failed", f"{INTERNAL_ERROR} ({type(exc).__name__}: {exc})")])


INTERNAL_ERROR = "internal error in the Cypher checks"


def _check(
    cypher: str,
    params: dict[str, Any],
    schema: GraphSchema | None,
    max_hops: int,
    limit: int,
    allow_procedures: frozenset[str],
    graph: Graph | None,
    require_values: bool = True,
    param_labels: dict[str, frozenset[str]] | None = None,
) -> CheckOutcome:
    first = _static_checks(cypher, params, schema, max_hops, limit, allow_procedures, require_values, param_labels)
    if not first.ok:
        return first
    outcome = first
    if any(c.status == "fixed" for c in first.checks if c.name != "parse"):
        # the fixed query must re-parse and re-pass every check, with nothing left to fix
        again = _static_checks(
            outcome.cypher, outcome.params, schema, max_hops, limit, allow_procedures, require_values, param_labels
        )
        leftover = [c for c in again.checks if c.status in ("failed", "fixed") and c.name != "parse"]
        if leftover:
            detail = "; ".join(f"{c.name} {c.status}: {c.detail}" for c in leftover)
            checks = [c for c in first.checks if c.name != "explain"]
            checks.append(_c("explain", "failed", f"the fixed query did not re-pass the checks ({detail})"))
            return _refuse(outcome.cypher, outcome.params, checks)
        outcome.parsed = again.parsed
    checks = list(outcome.checks)
    if graph is None:
        checks.append(_c("explain", "skipped", "no graph connection"))
        return CheckOutcome(True, outcome.cypher, outcome.params, checks, parsed=outcome.parsed)
    from kgqa.graph.client import QueryFailed

    try:
        plan = graph.explain(outcome.cypher, outcome.params)
    except QueryFailed as exc:
        checks.append(_c("explain", "failed", f"the server rejected the query: {exc.message}"))
        return CheckOutcome(False, outcome.cypher, outcome.params, checks)
    checks.append(_c("explain", "passed", "the server planned the query"))
    return CheckOutcome(True, outcome.cypher, outcome.params, checks, parsed=(outcome.parsed, plan))


def _cost(outcome: CheckOutcome, graph: Graph | None, stats: GraphStats | None, budget: float | None) -> CheckOutcome:
    """The cost rule, on the final query text, with the EXPLAIN plan when there was one."""
    parsed, plan = outcome.parsed if isinstance(outcome.parsed, tuple) else (outcome.parsed, None)
    from kgqa.graph.stats import graph_stats, node_degree

    if stats is None and graph is not None:
        stats = graph_stats(graph)
    if budget is None:
        budget = (graph.settings if graph is not None else get_settings()).query_cost_budget
    if stats is None:
        check = _c("cost", "skipped", "no graph statistics (no graph connection)")
    else:
        try:
            parsed = parsed or parse(canonicalize(outcome.cypher, outcome.params))
            degree = partial(node_degree, graph) if graph is not None else None
            check = check_cost(parsed, stats, budget, outcome.params, plan, degree).check
        except CypherSyntaxError as exc:  # cannot happen for a query that passed parse; refusing is safe
            check = _c("cost", "failed", f"could not estimate the cost: {exc}")
    checks = sorted([*outcome.checks, check], key=lambda c: CHECK_NAMES.index(c.name))
    ok = outcome.ok and check.status != "failed"
    return CheckOutcome(ok, outcome.cypher, outcome.params, checks, parsed=parsed)


def _static_checks(
    cypher: str,
    params: dict[str, Any],
    schema: GraphSchema | None,
    max_hops: int,
    limit: int,
    allow_procedures: frozenset[str],
    require_values: bool = True,
    param_labels: dict[str, frozenset[str]] | None = None,
) -> CheckOutcome:
    checks: list[Check] = []
    if not isinstance(cypher, str) or not cypher.strip():
        return _refuse(cypher or "", params, [_c("parse", "failed", "empty query")])
    try:
        canonical = canonicalize(cypher, params)
    except CypherSyntaxError as exc:
        return _refuse(cypher, params, [_c("parse", "failed", str(exc))])
    params = canonical.params
    # Defence in depth: a word that only writes/admin commands use refuses the query before any parsing.
    bad = deny_word(canonical.tokens)
    if bad is not None:
        checks.append(_c("parse", "skipped", "not parsed: refused on its tokens"))
        checks.append(
            _c(
                "read_only",
                "failed",
                f"{bad.raw.upper()} is not allowed in a read-only query (at {_where(canonical.text, bad.start)}); "
                "escape names that are keywords with backticks",
            )
        )
        return _refuse(canonical.text, params, checks)
    try:
        parsed = parse(canonical)
    except CypherSyntaxError as exc:
        return _refuse(canonical.text, params, [_c("parse", "failed", f"unsupported or invalid syntax: {exc}")])
    notes = parsed.notes
    checks.append(_c("parse", "fixed" if notes else "passed", "; ".join(notes) if notes else "one statement"))
    ro = check_read_only(parsed, allow_procedures)
    checks.append(ro.check)
    if ro.check.status == "failed":
        return _refuse(parsed.canonical, params, checks)
    given = RuleInputs(
        schema=schema,
        max_hops=max_hops,
        limit=limit,
        params=params,
        allow_procedures=allow_procedures,
        require_values=require_values,
        param_labels=param_labels or {},
    )
    results: list[RuleResult] = []
    for rule in RULES:
        if rule.name == "read_only" or rule.needs_stats:
            continue  # read_only ran first (it can refuse at once); cost runs on the final text (``_cost``)
        if rule.needs_schema and schema is None:
            checks.append(_c(rule.name, "skipped", "no schema given"))
            continue
        results.append(rule.run(parsed, given))
    edits: list[Edit] = []
    for r in results:
        checks.append(r.check)
        edits.extend(r.edits)
        params.update(r.params)
    checks.sort(key=lambda c: CHECK_NAMES.index(c.name))
    text = parsed.canonical
    if edits:
        try:
            text = apply_edits(text, edits)
        except ValueError as exc:  # overlapping fixes: refuse rather than guess
            checks.append(_c("explain", "failed", f"could not apply the fixes together: {exc}"))
            return CheckOutcome(False, parsed.canonical, params, checks)
    ok = not any(c.status == "failed" for c in checks)
    return CheckOutcome(ok, text, params, checks, parsed=parsed) if ok else _refuse(text, params, checks)


def _where(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {col}"


def run_checked(
    graph: Graph,
    cypher: str,
    params: dict | None,
    schema: GraphSchema | None,
    *,
    max_hops: int = 4,
    limit: int = 100,
    timeout: float | None = None,
    max_rows: int | None = None,
    allow_procedures: frozenset[str] = READ_PROCEDURES,
) -> tuple[CheckOutcome, ReadResult | None]:
    """Check a query (with EXPLAIN) and run it in a read transaction only if every check passed."""
    outcome = check_cypher(
        cypher, params, schema, max_hops=max_hops, limit=limit, allow_procedures=allow_procedures, graph=graph
    )
    if not outcome.ok:
        return outcome, None
    result = graph.read(outcome.cypher, outcome.params, timeout=timeout, max_rows=max_rows or limit)
    return outcome, result
