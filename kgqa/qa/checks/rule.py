"""What every rule shares: its result (a check, span edits, new parameters) and small AST helpers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kgqa.qa.checks.text import Edit, Parsed
from kgqa.qa.model import Check


@dataclass
class RuleResult:
    """A rule's verdict, with the edits that fix the query (canonical-text positions) and new parameters."""

    check: Check
    edits: list[Edit] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)


def make_check(name: str, status: str, detail: str = "") -> Check:
    """A ``Check`` record."""
    return Check(name=name, status=status, detail=detail)  # type: ignore[arg-type]


def verdict(
    name: str,
    problems: list[str],
    edits: list[Edit],
    fixed: str,
    passed: str,
    *,
    params: dict[str, Any] | None = None,
    note: str = "",
) -> RuleResult:
    """Failed when there are problems, fixed when there are edits, else passed; ``note`` ends every detail."""
    if problems:
        return RuleResult(make_check(name, "failed", "; ".join(problems) + note))
    if edits:
        return RuleResult(make_check(name, "fixed", fixed + note), edits, params or {})
    return RuleResult(make_check(name, "passed", passed + note))


def snippet(parsed: Parsed, node: Any, width: int = 60) -> str:
    """The node's text on one line, cut to ``width`` characters."""
    text = " ".join(parsed.slice(node).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def ancestors(node: Any) -> Iterator[Any]:
    """The node's parents, nearest first."""
    node = node._parent
    while node is not None:
        yield node
        node = node._parent


def nearest(node: Any, cls: type | tuple[type, ...]) -> Any:
    """The closest ancestor of type ``cls``, or None."""
    for a in ancestors(node):
        if isinstance(a, cls):
            return a
    return None
