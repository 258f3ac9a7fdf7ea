"""The ``cost`` rule: refuse reads whose estimated size is over a budget, saying which part is too big.

The estimate follows the query clause by clause, the way a planner would run it, from the parsed AST and the
graph's counts (``kgqa.graph.stats``):

* a node pattern starts from 1 node when it is *anchored* (bound by an earlier clause, or compared for equality
  on a property or its id: ``{id: $id}``, ``WHERE n.name = $name``, ``n.id IN $ids`` counts the list), from
  its label's count when it has a label, else from every node;
* each relationship step multiplies by its average fan-out: the relationships of its types per node of the
  smaller end label (both ends when it has no direction), at least 1; a ``*a..b`` step by the sum of
  fan-out^k for k in a..b (avg degree^k, as planners without degree histograms estimate it) — except that an
  untyped ``*a..b`` step grows by the graph's *excess degree* (``E[d²]/E[d] − 1``) after its first step, since
  a walk lands on hubs more often than on average nodes;
* a path starts from its cheapest node; a path sharing no variable with what came before multiplies the rows
  (a cartesian product); ``UNWIND`` multiplies by the list's length; a ``WITH`` of aggregates only gives one row;
* a final LIMIT caps the estimate when nothing before it must see every row (no aggregation, DISTINCT,
  ORDER BY or WHERE filter): the server streams and stops early.

The server's EXPLAIN refines it where it knows better: an ArcadeDB plan that uses *count push-down* is answered
from counters (cheap whatever the pattern), and a plan's own row estimate (Neo4j's ``EstimatedRows``, ArcadeDB's
``Total Estimated Rows``) raises the estimate when it is higher. Hubs make real expansions larger than the
average degree says: when a ``*..k`` expansion starts from a node pinned to one value and the checker has the
graph, the first step uses that node's real degree (one indexed count); the read timeout
(``KGQA_QUERY_TIMEOUT``) stops what is still underestimated.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphglot import ast
from graphglot.ast import cypher as gcy

from kgqa.graph.stats import GraphStats
from kgqa.qa.checks.literals import literal_list, literal_value, param_name
from kgqa.qa.checks.patterns import Bindings, edge_direction, element_names, element_var
from kgqa.qa.checks.rule import RuleResult, make_check, snippet
from kgqa.qa.checks.text import Parsed

UNKNOWN_LIST = 100  # rows assumed for UNWIND / IN over a list whose length is not known
HINT = (
    "anchor a node on a property (e.g. {id: $id} or WHERE n.name = $name), give labels and relationship types, "
    "lower the *..k bound, or connect the patterns; KGQA_QUERY_COST_BUDGET sets the budget"
)
_MATCHES = (ast.SimpleMatchStatement,)
Degree = Callable[[frozenset[str], str, Any, frozenset[str]], "int | None"]
"""(labels, property, value, relationship types) → the relationships on that node (``kgqa.graph.stats.node_degree``)."""
_BLOCKING = (ast.AggregateFunction, ast.OrderByClause, ast.SetQuantifier)


@dataclass
class Part:
    """One step of the estimate: rows after it, what it is, and how it was reckoned."""

    rows: float
    kind: str  # scan | expansion | varlength-unanchored | cartesian | unwind
    text: str


@dataclass(frozen=True)
class _Ctx:
    """What every step of one statement's estimate reads."""

    parsed: Parsed
    stats: GraphStats
    params: dict[str, Any]
    bindings: Bindings
    degree: Degree | None = None
    keys: dict[str, tuple[str, Any]] = field(default_factory=dict)  # variable → (property, value) a WHERE pins


@dataclass
class Estimate:
    rows: float = 1.0
    parts: list[Part] = field(default_factory=list)
    peak: float = 1.0

    def add(self, part: Part) -> None:
        self.parts.append(part)
        self.peak = max(self.peak, part.rows)


def check_cost(
    parsed: Parsed,
    stats: GraphStats | None,
    budget: float,
    params: dict[str, Any],
    plan: dict[str, Any] | None = None,
    degree: Degree | None = None,
) -> RuleResult:
    """Refuse a query whose estimated rows exceed ``budget``; skipped without the graph's counts.

    ``degree`` looks up the real degree of the node a ``*..k`` expansion starts from (hubs).
    """
    if stats is None:
        return RuleResult(make_check("cost", "skipped", "no graph statistics (no graph connection)"))
    if plan_uses_counters(plan):
        return RuleResult(make_check("cost", "passed", "the server answers it from its counters (EXPLAIN)"))
    parts: list[Part] = []
    total = 0.0
    for statement in parsed.ast.find_all(ast.SimpleLinearQueryStatement, bfs=False):
        est = _statement(_Ctx(parsed, stats, params, Bindings.of(statement), degree), statement)
        parts.extend(est.parts)
        total += est.peak
    server = plan_rows(plan)
    source = f"; the server's plan estimates {_n(server)} rows" if server is not None else ""
    if server is not None and server > total:
        total = server
    if total <= budget:
        return RuleResult(make_check("cost", "passed", f"estimated {_n(total)} rows (budget {_n(budget)}){source}"))
    worst = sorted((p for p in parts if p.rows > budget), key=lambda p: -p.rows) or sorted(parts, key=lambda p: -p.rows)
    reasons = "; ".join(p.text for p in worst[:2]) or "the server's plan"
    detail = f"estimated {_n(total)} rows, over the budget of {_n(budget)}: {reasons}{source} (hint: {HINT})"
    return RuleResult(make_check("cost", "failed", detail))


def _statement(ctx: _Ctx, statement: Any) -> Estimate:
    """Walk one linear statement clause by clause."""
    parsed, params = ctx.parsed, ctx.params
    est = Estimate()
    bound: set[str] = set()
    for clause in statement.children():
        if isinstance(clause, ast.ForStatement):
            size = _list_size(parsed, clause, params)
            est.rows *= size
            est.add(Part(est.rows, "unwind", f"UNWIND of {_n(size)} values"))
            bound.update(i.name for i in clause.find_all(ast.Identifier) if _is_alias(i))
        elif isinstance(clause, ast.OptionalMatchStatement | ast.SimpleMatchStatement):
            match = clause.find_first(ast.SimpleMatchStatement) or clause
            _match(ctx, match, bound, est)
        elif isinstance(clause, gcy.CypherWithStatement):
            _with(clause, est)
    result = _result_of(statement)
    final = result.find_first(ast.LimitClause) if result is not None else None
    limit = literal_value(parsed, next(iter(final.children()))) if final is not None else None
    if isinstance(limit, int) and _streams(statement) and result.find_first(_BLOCKING) is None:
        est.peak = min(est.peak, float(limit))
    return est


def _result_of(statement: Any) -> Any:
    """The RETURN (with its ORDER BY and LIMIT) that follows a linear statement, if any."""
    parent = statement._parent
    siblings = parent.children() if parent is not None else []
    return next((c for c in siblings if isinstance(c, ast.PrimitiveResultStatement)), None)


def _match(ctx: _Ctx, match: Any, bound: set[str], est: Estimate) -> None:
    """One MATCH: its path terms in order (products of disconnected ones), then the patterns in its WHERE."""
    parsed = ctx.parsed
    pattern = match.find_first(ast.GraphPattern)
    if pattern is None:
        return
    where = next((c for c in pattern.children() if isinstance(c, ast.GraphPatternWhereClause)), None)
    anchors = _where_anchors(parsed, where, ctx.params) if where is not None else {}
    if where is not None:
        ctx.keys.update(_where_keys(parsed, where, ctx.params))
    plist = next((c for c in pattern.children() if isinstance(c, ast.PathPatternList)), None)
    terms = [t for p in (plist.children() if plist else []) for t in p.children() if isinstance(t, ast.PathTerm)]
    for term in terms:
        before = est.rows
        connected = bool(_term_vars(term) & bound)
        rows, part = _term(ctx, term, bound, anchors)
        est.rows = before * rows
        if not connected and before > 1 and rows > 1:
            part = Part(est.rows, "cartesian", f"cartesian product: {snippet(parsed, term)} is not connected to "
                        f"the earlier patterns ({_n(before)} × {_n(rows)} rows)")  # fmt: skip
        elif before > 1:
            part.text = f"for each of {_n(before)} rows, {part.text}"
        part.rows = est.rows
        est.add(part)
        bound |= _term_vars(term)
    for nested in where.find_all(ast.PathTerm, bfs=False) if where is not None else ():
        rows, part = _term(ctx, nested, bound, anchors)
        est.add(Part(est.rows * rows, "expansion", f"for each of {_n(est.rows)} rows, the WHERE pattern {part.text}"))


def _term(ctx: _Ctx, term: Any, bound: set[str], anchors: dict[str, float]) -> tuple[float, Part]:
    """Rows one path term yields per incoming row, from its cheapest node, and how that was reckoned."""
    parsed, stats, bindings = ctx.parsed, ctx.stats, ctx.bindings
    nodes = [f for f in term.factors if isinstance(f, ast.NodePattern)]
    cards = [_card(n, stats, bindings, bound, anchors) for n in nodes] or [float(stats.nodes)]
    start = min(cards)
    fan = 1.0
    varlength: list[str] = []
    for i, factor in enumerate(term.factors):
        edge, quant = factor, None
        if isinstance(factor, ast.QuantifiedPathPrimary):
            edge, quant = factor.path_primary, factor.graph_pattern_quantifier
        if not isinstance(edge, ast.EdgePattern):
            continue
        ends = [term.factors[j] for j in (i - 1, i + 1) if 0 <= j < len(term.factors)]
        step = _fanout(edge, ends, stats, bindings)
        if quant is None:
            fan *= step
            continue
        low, high = _bounds(quant)
        onward = _onward(edge, step, stats)
        fan *= sum(step * onward ** (k - 1) if k else 1.0 for k in range(low, high + 1)) or 1.0
        beyond = f", {onward:.1f} beyond the first step" if onward > step else ""
        varlength.append(f"*{low}..{high} (average fan-out {step:.1f}{beyond})")
    rows = start * fan
    hub = _hub_factor(ctx, term, nodes[cards.index(start)]) if varlength and start <= 1 else None
    if hub is not None:
        rows *= hub[0]
        varlength.append(hub[1])
    text = snippet(parsed, term)
    if varlength and start >= stats.nodes > 1:
        kind, why = "varlength-unanchored", f"{text} expands {', '.join(varlength)} from every one of {_n(start)} nodes"
    elif varlength:
        kind, why = "expansion", f"{text} expands {', '.join(varlength)} from {_n(start)} start node(s)"
    else:
        kind, why = ("expansion" if len(nodes) > 1 else "scan"), f"{text} yields about {_n(rows)} rows"
    return rows, Part(rows, kind, f"{why}: about {_n(rows)} paths" if varlength else why)


def _onward(edge: Any, step: float, stats: GraphStats) -> float:
    """Fan-out after the first step of an untyped expansion: a node reached by following a relationship has
    ``E[d²]/E[d] − 1`` further ones on average (hubs are reached more often), not the plain average."""
    if element_names(edge) or not stats.excess_degree:
        return step
    return max(step, stats.excess_degree - 1.0)


def _hub_factor(ctx: _Ctx, term: Any, node: Any) -> tuple[float, str] | None:
    """How many times more the first step from an anchored start node yields than the average says (hubs)."""
    key = _node_key(ctx, node) or ctx.keys.get(element_var(node) or "")
    if ctx.degree is None or key is None:
        return None
    factors = term.factors
    i = next(j for j, f in enumerate(factors) if f is node)
    j = next((k for k in (i + 1, i - 1) if 0 <= k < len(factors) and not isinstance(factors[k], ast.NodePattern)), None)
    if j is None:
        return None
    edge = factors[j].path_primary if isinstance(factors[j], ast.QuantifiedPathPrimary) else factors[j]
    if not isinstance(edge, ast.EdgePattern):
        return None
    ends = [factors[k] for k in (j - 1, j + 1) if 0 <= k < len(factors)]
    step = _fanout(edge, ends, ctx.stats, ctx.bindings)
    labels = frozenset(ctx.bindings.labels_of(node))
    found = ctx.degree(labels, key[0], key[1], frozenset(element_names(edge)))
    if found is None or found <= step:
        return None
    return found / step, f"from a start node with {found:,} relationships (not {step:.1f})"


def _node_key(ctx: _Ctx, node: Any) -> tuple[str, Any] | None:
    """The (property, value) a node pattern's map pins it with: ``{name: 'Drama'}``, ``{id: $e0}``."""
    pair = node.find_first(ast.PropertyKeyValuePair)
    if pair is None:
        return None
    name, expr = list(pair.children())[:2]
    value = _value_of(ctx.parsed, expr, ctx.params)
    return (ctx.parsed.slice(name).strip("`"), value) if value is not None else None


def _where_keys(parsed: Parsed, where: Any, params: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    """Variables a WHERE pins by ``v.prop = value`` (a literal or a parameter), with that property and value."""
    keys: dict[str, tuple[str, Any]] = {}
    for pred in where.find_all(ast.ComparisonPredicate, bfs=False):
        if pred.comparison_predicate_part_2.comp_op != ast.ComparisonPredicatePart2.CompOp.EQUALS:
            continue
        if not _conjunctive(pred, where):
            continue
        sides = [pred.comparison_predicand, pred.comparison_predicate_part_2.comparison_predicand]
        for one, other in (sides, sides[::-1]):
            ref = one.find_first(ast.PropertyReference)
            value = _value_of(parsed, other, params)
            if ref is not None and _identity_of(one) and value is not None:
                prop = ref.find_first(ast.PropertyName)
                keys.setdefault(_identity_of(one) or "", (parsed.slice(prop).strip("`"), value))
    return keys


def _value_of(parsed: Parsed, expr: Any, params: dict[str, Any]) -> Any:
    """A plain literal's value, or a parameter's value from ``params``; None otherwise."""
    value = literal_value(parsed, expr)
    if value is not None:
        return value
    ref = expr.find_first(ast.GeneralParameterReference)
    if ref is None or parsed.slice(expr).strip() != f"${param_name(ref)}":
        return None
    return params.get(param_name(ref))


def _card(node: Any, stats: GraphStats, bindings: Bindings, bound: set[str], anchors: dict[str, float]) -> float:
    """How many nodes a node pattern can start from."""
    var = element_var(node)
    if var and var in bound:
        return 1.0
    if var and var in anchors:
        return anchors[var]
    if node.find_first(ast.PropertyKeyValuePair) is not None:
        return 1.0
    count = stats.label_count(bindings.labels_of(node))
    return float(count if count is not None else stats.nodes)


def _fanout(edge: Any, ends: list[Any], stats: GraphStats, bindings: Bindings) -> float:
    """Average relationships per node for one step: its types' count over the smaller end's population."""
    count = stats.type_count(set(element_names(edge)))
    sizes = [stats.label_count(bindings.labels_of(n)) for n in ends if isinstance(n, ast.NodePattern)]
    known = [s for s in sizes if s]
    population = min(known) if known else stats.nodes
    both = 2 if edge_direction(edge) == "any" else 1
    return max(1.0, both * count / population) if population else 1.0


def _bounds(quant: Any) -> tuple[int, int]:
    if isinstance(quant, ast.FixedQuantifier):
        n = int(quant.unsigned_integer.value)
        return n, n
    low = int(quant.lower_bound.value) if getattr(quant, "lower_bound", None) is not None else 1
    high = int(quant.upper_bound.value) if getattr(quant, "upper_bound", None) is not None else max(low, 10)
    return low, high


def _where_anchors(parsed: Parsed, where: Any, params: dict[str, Any]) -> dict[str, float]:
    """Variables a WHERE pins to a few nodes: ``n.p = x``, ``id(n) = x``, ``elementId(n) = x``, ``n.p IN list``.

    A disjunction anchors a variable when each of its terms does (``n.name = $x OR n.alias = $x``: 2 nodes).
    """
    anchors: dict[str, float] = {}
    for pred in where.find_all((ast.ComparisonPredicate, gcy.InPredicate), bfs=False):
        if _conjunctive(pred, where):
            for var, size in _pinned(parsed, pred, params).items():
                anchors[var] = min(anchors.get(var, size), size)
    for expr in where.find_all(ast.BooleanValueExpression, bfs=False):
        terms = _disjuncts(expr)
        if len(terms) < 2 or not _conjunctive(expr, where):
            continue
        pins = [_term_pins(parsed, t, params) for t in terms]
        for var in set.intersection(*(set(p) for p in pins)):
            anchors.setdefault(var, sum(p[var] for p in pins))
    return anchors


def _disjuncts(expr: Any) -> list[Any]:
    """The OR-ed terms of a boolean expression (one when it has no OR)."""
    terms = []
    for child in expr.children():
        if isinstance(child, ast.BooleanTerm):
            terms.append(child)
        elif type(child).__name__ == "_OpBooleanTerm":
            terms.extend(c for c in child.children() if isinstance(c, ast.BooleanTerm))
    return terms


def _term_pins(parsed: Parsed, term: Any, params: dict[str, Any]) -> dict[str, float]:
    pins: dict[str, float] = {}
    for pred in term.find_all((ast.ComparisonPredicate, gcy.InPredicate), bfs=False):
        if _conjunctive(pred, term):
            pins.update(_pinned(parsed, pred, params))
    return pins


def _pinned(parsed: Parsed, pred: Any, params: dict[str, Any]) -> dict[str, float]:
    """The variable one equality or IN predicate pins, with how many nodes it leaves."""
    if isinstance(pred, ast.ComparisonPredicate):
        if pred.comparison_predicate_part_2.comp_op != ast.ComparisonPredicatePart2.CompOp.EQUALS:
            return {}
        sides = [pred.comparison_predicand, pred.comparison_predicate_part_2.comparison_predicand]
        for one, other in (sides, sides[::-1]):
            var = _identity_of(one)
            if var and var not in _vars(other):
                return {var: 1.0}
        return {}
    operands = [c for c in pred.children() if isinstance(c, ast.Expression)]
    var = _identity_of(operands[0]) if operands else None
    return {var: _size_of(parsed, operands[1], params)} if var and len(operands) > 1 else {}


def _identity_of(expr: Any) -> str | None:
    """The variable when ``expr`` is just ``v.prop``, ``id(v)`` or ``elementId(v)``."""
    refs = list(expr.find_all(ast.BindingVariableReference, bfs=False))
    if len(refs) != 1:
        return None
    if expr.find_first(ast.PropertyReference) is not None or expr.find_first(ast.ElementIdFunction) is not None:
        return refs[0].find_first(ast.Identifier).name
    call = next((n for n in expr.dfs() if type(n).__name__ == "Anonymous"), None)
    if call is not None and str(getattr(call, "name", "")).lower() in ("id", "elementid"):
        return refs[0].find_first(ast.Identifier).name
    return None


def _conjunctive(pred: Any, where: Any) -> bool:
    """True when the predicate must hold for a row to pass (not under OR, XOR, NOT or a subquery)."""
    node = pred._parent
    while node is not None and node is not where:
        if isinstance(node, ast.BooleanFactor) and node.not_:
            return False
        if isinstance(node, ast.BooleanValueExpression) and any(
            type(c).__name__ == "_OpBooleanTerm" for c in node.children()
        ):
            return False
        if isinstance(node, gcy.CypherPatternPredicate | ast.ExistsPredicate):
            return False
        node = node._parent
    return True


def _size_of(parsed: Parsed, expr: Any, params: dict[str, Any]) -> float:
    """The length of a list literal or list parameter (``UNKNOWN_LIST`` when it is not known)."""
    values = literal_list(parsed, expr)
    if isinstance(values, list):
        return float(max(1, len(values)))
    ref = expr.find_first(ast.GeneralParameterReference)
    value = params.get(param_name(ref)) if ref is not None else None
    return float(max(1, len(value))) if isinstance(value, list | tuple) else float(UNKNOWN_LIST)


def _list_size(parsed: Parsed, clause: Any, params: dict[str, Any]) -> float:
    item = clause.find_first(ast.ForItem)
    exprs = [c for c in item.children() if not isinstance(c, ast.ForItemAlias)] if item is not None else []
    return _size_of(parsed, exprs[0], params) if exprs else float(UNKNOWN_LIST)


def _with(clause: Any, est: Estimate) -> None:
    """A WITH of aggregates only leaves one row; a WITH ... LIMIT n at most n."""
    items = list(clause.find_all(ast.ReturnItem, bfs=False))
    if items and all(i.find_first(ast.AggregateFunction) is not None for i in items):
        est.rows = 1.0
    limit = clause.find_first(ast.LimitClause)
    value = next(iter(limit.children()), None) if limit is not None else None
    number = getattr(value.find_first(ast.UnsignedNumericLiteral), "value", None) if value is not None else None
    if isinstance(number, int):
        est.rows = min(est.rows, float(number))


def _streams(statement: Any) -> bool:
    """Nothing in the statement has to see every row before the first result (so a LIMIT stops it early)."""
    return statement.find_first(_BLOCKING) is None and statement.find_first(ast.GraphPatternWhereClause) is None


def plan_uses_counters(plan: dict[str, Any] | None) -> bool:
    """An ArcadeDB plan answered from counters (``Using Count Push-Down``)."""
    return "Using Count Push-Down" in _plan_text(plan)


def plan_rows(plan: dict[str, Any] | None) -> float | None:
    """The largest row estimate in a plan: Neo4j's ``EstimatedRows``, ArcadeDB's ``Total Estimated Rows``."""
    if not plan:
        return None
    found: list[float] = []
    stack = [plan]
    while stack:
        node = stack.pop()
        value = (node.get("args") or {}).get("EstimatedRows")
        if isinstance(value, int | float):
            found.append(float(value))
        stack.extend(node.get("children") or [])
    match = re.search(r"Total Estimated Rows: ([0-9.]+)", _plan_text(plan))
    if match and "superseded" not in _plan_text(plan):
        found.append(float(match.group(1)))
    return max(found) if found else None


def _plan_text(plan: dict[str, Any] | None) -> str:
    return str(((plan or {}).get("args") or {}).get("string-representation") or "")


def _term_vars(term: Any) -> set[str]:
    return {v for f in term.factors if (v := element_var(f))}


def _vars(expr: Any) -> set[str]:
    return {r.find_first(ast.Identifier).name for r in expr.find_all(ast.BindingVariableReference, bfs=False)}


def _is_alias(node: Any) -> bool:
    return isinstance(node._parent, ast.ForItemAlias)


def _n(value: float | None) -> str:
    """A count for people: 43,234 or 1.9e+09."""
    if value is None:
        return "?"
    return f"{value:,.0f}" if value < 1e7 else f"{value:.1e}"
