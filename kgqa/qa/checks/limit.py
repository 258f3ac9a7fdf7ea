"""The ``limit`` rule: every result statement has a LIMIT ≤ ``limit`` (added, lowered or replaced)."""

from __future__ import annotations

from typing import Any

from graphglot import ast

from kgqa.qa.checks.literals import literal_value, param_name
from kgqa.qa.checks.rule import RuleResult, make_check, verdict
from kgqa.qa.checks.text import Edit, Parsed


def result_statements(root: Any) -> list[Any]:
    """The statements whose RETURN is the query's result (not those of subqueries or procedure calls)."""
    top = root.find_first(ast.CompositeQueryExpression)
    if top is None:
        return []
    nested = (ast.CompositeQueryExpression, ast.NestedProcedureSpecification, ast.ProcedureCall)
    return [
        n
        for n in top.dfs(prune=lambda n: n is not top and isinstance(n, nested))
        if isinstance(n, ast.PrimitiveResultStatement) and n.find_first(ast.ReturnStatement) is not None
    ]


def check_limit(parsed: Parsed, limit: int, params: dict[str, Any]) -> RuleResult:
    statements = result_statements(parsed.ast)
    if not statements:
        return RuleResult(make_check("limit", "passed", f"no RETURN clause; the row cap of the read applies ({limit})"))
    edits: list[Edit] = []
    fixed: list[str] = []
    problems: list[str] = []
    for st in statements:
        _limit(parsed, st, limit, params, edits, fixed, problems)
    return verdict("limit", problems, edits, "; ".join(fixed), f"LIMIT ≤ {limit}")


def _limit(
    parsed: Parsed,
    st: Any,
    limit: int,
    params: dict[str, Any],
    edits: list[Edit],
    fixed: list[str],
    problems: list[str],
) -> None:
    """One result statement: add a missing LIMIT, lower a literal one, replace a parameter or an expression."""
    clause = st.find_first(ast.LimitClause)
    if clause is None:
        sp = parsed.span(st)
        if sp is None:
            problems.append("could not locate the RETURN clause to add a LIMIT")
            return
        edits.append(Edit(sp[1], sp[1], f"\nLIMIT {limit}"))
        fixed.append(f"added LIMIT {limit}")
        return
    value_node = next(iter(clause.children()), None)
    sp = parsed.span(clause) if value_node is not None else None
    literal = literal_value(parsed, value_node) if value_node is not None else None
    param = value_node.find_first(ast.GeneralParameterReference) if value_node is not None else None
    if isinstance(literal, int) and not isinstance(literal, bool):
        if literal > limit and sp is not None:
            edits.append(Edit(sp[0], sp[1], str(limit)))
            fixed.append(f"lowered LIMIT {literal} to {limit}")
    elif param is not None:
        name = param_name(param)
        value = params.get(name)
        if not isinstance(value, int) or value > limit or value < 0:
            if sp is None:
                problems.append(f"LIMIT ${name} could not be located")
                return
            edits.append(Edit(sp[0], sp[1], str(limit)))
            fixed.append(f"replaced LIMIT ${name} ({value!r}) by {limit}")
    else:
        if sp is None:
            problems.append("LIMIT is an expression that could not be located")
            return
        edits.append(Edit(sp[0], sp[1], str(limit)))
        fixed.append(f"replaced LIMIT {parsed.canonical[sp[0] : sp[1]]} by {limit}")
