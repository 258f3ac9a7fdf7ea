"""The ``parameters`` rule: literals compared with properties become ``$parameters``; every parameter has a value.

Literals are collected by the sources in ``LITERAL_SOURCES`` (comparisons with a property, pattern property maps),
then moved in reading order, each into a fresh parameter named after its property.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from graphglot import ast
from graphglot.ast import cypher as gcy

from kgqa.qa.checks.literals import literal_list, literal_value, param_name
from kgqa.qa.checks.rule import RuleResult, nearest, verdict
from kgqa.qa.checks.text import Edit, Parsed, fresh_param

_PREDICATES = (ast.ComparisonPredicate, gcy.StringMatchPredicate, gcy.RegexMatchPredicate, gcy.InPredicate)
Literal = tuple[Any, Any, str]  # (AST node to replace, its value, the parameter's base name)


def _operands(pred: Any) -> list[Any]:
    if isinstance(pred, ast.ComparisonPredicate):
        return [pred.comparison_predicand, pred.comparison_predicate_part_2.comparison_predicand]
    return [c for c in pred.children() if isinstance(c, ast.Expression)]


def _predicate_literals(parsed: Parsed) -> Iterator[Literal]:
    """Literals compared with a property: ``n.name = 'Ada'``, ``n.age IN [1, 2]``, ``toLower('Ada')``."""
    for pred in parsed.ast.find_all(_PREDICATES, bfs=False):
        operands = _operands(pred)
        refs = [op for op in operands if op.find_first(ast.PropertyReference) is not None]
        if not refs:
            continue
        prop = refs[0].find_first(ast.PropertyReference)
        base = prop.property_name[-1].identifier.name if prop.property_name else "value"
        for op in operands:
            if op is refs[0]:
                continue
            value = literal_value(parsed, op)
            if value is None and isinstance(pred, gcy.InPredicate):
                value = literal_list(parsed, op)
            if value is not None:
                yield op, value, base
            else:  # e.g. toLower('Ada'): the string itself becomes the parameter
                for lit in op.find_all(ast.CharacterStringLiteral, bfs=False):
                    yield lit, lit.value, base


def _pattern_literals(parsed: Parsed) -> Iterator[Literal]:
    """Literals in pattern property maps: ``(n {name: 'Ada'})``."""
    for pair in parsed.ast.find_all(ast.PropertyKeyValuePair, bfs=False):
        if nearest(pair, ast.ElementPattern) is None:
            continue
        value = literal_value(parsed, pair.value_expression)
        key = pair.property_name.identifier.name
        if value is not None:
            yield pair.value_expression, value, key
        else:
            for lit in pair.value_expression.find_all(ast.CharacterStringLiteral, bfs=False):
                yield lit, lit.value, key


LITERAL_SOURCES: tuple[Callable[[Parsed], Iterator[Literal]], ...] = (_predicate_literals, _pattern_literals)


def check_parameters(parsed: Parsed, params: dict[str, Any], *, require_values: bool = True) -> RuleResult:
    params = dict(params)
    new: dict[str, Any] = {}
    edits: list[Edit] = []
    moved: list[str] = []
    taken: list[tuple[int, int]] = []
    candidates: list[tuple[tuple[int, int], Any, str]] = []
    for source in LITERAL_SOURCES:
        for node, value, base in source(parsed):
            sp = parsed.span(node)
            if sp is not None:
                candidates.append((sp, value, base))
    for sp, value, base in sorted(candidates, key=lambda c: c[0]):  # named in reading order
        if any(a < sp[1] and sp[0] < b for a, b in taken):
            continue
        name = fresh_param({**params, **new}, base)
        new[name] = value
        taken.append(sp)
        edits.append(Edit(sp[0], sp[1], f"${name}"))
        moved.append(f"{parsed.canonical[sp[0] : sp[1]]} → ${name}")
    missing = sorted(_used(parsed) - set(params) - _limit_params(parsed))
    problems = [f"no value given for {', '.join(f'${m}' for m in missing)}"] if missing and require_values else []
    fixed = "moved literals into parameters: " + "; ".join(moved)
    return verdict("parameters", problems, edits, fixed, "no literal compared with a property", params=new)


def _limit_params(parsed: Parsed) -> set[str]:
    """Parameters used as a LIMIT (the limit rule replaces those it cannot use)."""
    return {
        param_name(ref)
        for clause in parsed.ast.find_all(ast.LimitClause)
        for ref in clause.find_all(ast.GeneralParameterReference)
    }


def _used(parsed: Parsed) -> set[str]:
    return {param_name(ref) for ref in parsed.ast.find_all(ast.GeneralParameterReference)}


def used_parameters(cypher: str, params: dict[str, Any]) -> set[str] | None:
    """The ``$parameters`` a query reads (from its AST), or None when it does not parse (the checks say why)."""
    from kgqa.qa.checks.text import CypherSyntaxError, canonicalize, parse

    try:
        return _used(parse(canonicalize(cypher, params)))
    except (CypherSyntaxError, ValueError):
        return None
