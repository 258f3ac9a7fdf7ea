"""Literal values and parameter names in the AST, for the ``limit`` and ``parameters`` rules."""

from __future__ import annotations

from typing import Any

from graphglot import ast

from kgqa.qa.checks.text import Parsed

_LITERALS = (ast.CharacterStringLiteral, ast.UnsignedNumericLiteral)
_WRAPPERS = (
    "ArithmeticValueExpression",
    "ArithmeticTerm",
    "ArithmeticFactor",
    "CharacterStringValueExpression",
    "NumericValueExpression",
    "Term",
    "Factor",
    "CommonValueExpression",
    "ValueExpressionPrimary",
)


def literal_value(parsed: Parsed, node: Any) -> Any:
    """The Python value of a plain string/number literal expression (optionally signed), else None."""
    lits = [n for n in node.dfs() if isinstance(n, _LITERALS)]
    if len(lits) != 1:
        return None
    for n in node.dfs():
        if n is lits[0] or isinstance(n, _LITERALS):
            continue
        if type(n).__name__ not in _WRAPPERS and not type(n).__name__.startswith("_"):
            return None
    lit = lits[0]
    if isinstance(lit, ast.CharacterStringLiteral):
        return lit.value
    text = parsed.slice(node).strip()
    try:
        return int(text, 0) if not any(c in text for c in ".eE") or text.lower().startswith("0x") else float(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return None


def literal_list(parsed: Parsed, node: Any) -> list[Any] | None:
    """The values of a list of plain literals that is the whole operand, else None."""
    ctor = node.find_first(ast.ListValueConstructorByEnumeration)
    if ctor is None or type(ctor) is not ast.ListValueConstructorByEnumeration:
        return None
    elements = ctor.find_first(ast.ListElementList)
    if elements is None:
        return None
    values = []
    for el in elements.children():
        v = literal_value(parsed, el)
        if v is None:
            return None
        values.append(v)
    # the list must be the whole operand
    outer = parsed.span(node)
    inner = parsed.span(ctor)
    if outer != inner:
        return None
    return values


def param_name(ref: Any) -> str:
    """The name of a ``$parameter`` reference."""
    ident = ref.find_first(ast.Identifier)
    if ident is not None:
        return ident.name
    name = getattr(ref, "parameter_name", None)
    return str(getattr(name, "name", name))
