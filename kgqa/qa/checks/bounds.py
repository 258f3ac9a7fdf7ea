"""The ``bounds`` rule: variable-length patterns have an upper bound ≤ ``max_hops`` (unbounded ones get one)."""

from __future__ import annotations

from typing import Any

from graphglot import ast
from graphglot.lexer import TokenType

from kgqa.qa.checks.patterns import path_triples
from kgqa.qa.checks.rule import RuleResult, snippet, verdict
from kgqa.qa.checks.text import Edit, Parsed

_QUANT_TOKENS = (TokenType.ASTERISK, TokenType.NUMBER, TokenType.DOUBLE_PERIOD)


def check_bounds(parsed: Parsed, max_hops: int) -> RuleResult:
    edits: list[Edit] = []
    fixed: list[str] = []
    problems: list[str] = []
    count = 0
    for _left, edge, quant, _right in path_triples(parsed.ast):
        if quant is None:
            continue
        count += 1
        _bound(parsed, edge, quant, max_hops, edits, fixed, problems)
    detail = f"{count} variable-length pattern(s) within {max_hops} hops" if count else "no variable-length pattern"
    return verdict("bounds", problems, edits, "; ".join(fixed), detail)


def _bound(
    parsed: Parsed, edge: Any, quant: Any, max_hops: int, edits: list[Edit], fixed: list[str], problems: list[str]
) -> None:
    """Check one quantified edge: a problem when it allows too many hops, an edit when it has no upper bound."""
    if isinstance(quant, ast.FixedQuantifier):
        lower = upper = quant.unsigned_integer.value
    elif isinstance(quant, ast.GeneralQuantifier):
        lower = quant.lower_bound.value if quant.lower_bound is not None else None
        upper = quant.upper_bound.value if quant.upper_bound is not None else None
    else:
        problems.append(f"unsupported path quantifier in {snippet(parsed, edge)}")
        return
    text = snippet(parsed, edge)
    if upper is not None and upper > max_hops:
        problems.append(f"{text} allows up to {upper} hops (maximum {max_hops})")
        return
    if lower is not None and lower > max_hops:
        problems.append(f"{text} needs at least {lower} hops (maximum {max_hops})")
        return
    if upper is None:
        span = _quantifier_span(parsed, edge)
        if span is None:
            problems.append(f"unbounded {text} could not be located to bound it")
            return
        original = parsed.canonical[span[0] : span[1]]
        low = _explicit_lower(parsed, span)
        new = f"*{low}..{max_hops}" if low is not None else f"*..{max_hops}"
        edits.append(Edit(span[0], span[1], new))
        fixed.append(f"bounded {original} to {new}")


def _quantifier_span(parsed: Parsed, edge: Any) -> tuple[int, int] | None:
    sp = parsed.span(edge)
    if sp is None:
        return None
    toks = parsed.tokens_in(*sp)
    for i, tok in enumerate(toks):
        if tok.type == TokenType.ASTERISK:
            j = i + 1
            while j < len(toks) and toks[j].type in _QUANT_TOKENS[1:]:
                j += 1
            return tok.start, toks[j - 1].end
    return None


def _explicit_lower(parsed: Parsed, span: tuple[int, int]) -> int | None:
    toks = parsed.tokens_in(*span)
    if len(toks) >= 2 and toks[1].type == TokenType.NUMBER:
        try:
            return int(toks[1].raw, 0)
        except ValueError:
            return None
    return None
