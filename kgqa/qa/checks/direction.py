"""The ``direction`` rule: relationship directions follow the schema's (start, type, end) patterns.

An edge whose every type exists only the other way round is reversed by editing its arrow heads.
"""

from __future__ import annotations

from typing import Any

from graphglot import ast

from kgqa.graph.schema import GraphSchema
from kgqa.qa.checks.patterns import Bindings, edge_direction, element_names, element_var, path_triples
from kgqa.qa.checks.rule import RuleResult, snippet, verdict
from kgqa.qa.checks.text import Edit, Parsed

WILDCARD_LABELS = frozenset({"Entity"})


def _fits(label: str, labels: set[str]) -> bool:
    return not labels or label in labels


def _fmt(labels: set[str]) -> str:
    return ":" + ":".join(sorted(labels)) if labels else ""


def _verdicts(types: list[str], start: set[str], end: set[str], by_type: dict[str, list[tuple[str, str]]]) -> set[str]:
    """Per type: "ok" (the schema has it this way), "reverse" (only the other way) or "none"."""
    verdicts = set()
    for t in types:
        forward = any(_fits(s, start) and _fits(e, end) for s, e in by_type[t])
        backward = any(_fits(s, end) and _fits(e, start) for s, e in by_type[t])
        verdicts.add("ok" if forward else "reverse" if backward else "none")
    return verdicts


def _reverse(parsed: Parsed, edge: Any, direction: str) -> list[Edit] | None:
    """Edits that turn the edge's arrow round, or None when its text is not a plain arrow."""
    sp = parsed.span(edge)
    if sp is None:
        return None
    a, b = sp
    seg = parsed.canonical[a:b]
    if direction == "left" and seg.startswith("<") and seg.endswith("-"):
        return [Edit(a, a + 1, ""), Edit(b, b, ">")]
    if direction == "right" and seg.startswith("-") and seg.endswith(">"):
        return [Edit(a, a, "<"), Edit(b - 1, b, "")]
    return []


def _anchored_labels(node: Any, param_labels: dict[str, frozenset[str]]) -> set[str]:
    """Labels of the entity an ``{id: $p}`` property map pins this node to, from ``param_labels``."""
    if not param_labels or not isinstance(node, ast.NodePattern):
        return set()
    for pair in node.find_all(ast.PropertyKeyValuePair):
        key = pair.find_first(ast.PropertyName)
        ref = pair.find_first(ast.GeneralParameterReference)
        if key is not None and ref is not None and _name(key) == "id":
            return set(param_labels.get(_name(ref), ()))
    return set()


def _name(node: Any) -> str | None:
    ident = node.find_first(ast.Identifier)
    return ident.name if ident is not None else None


def check_direction(
    parsed: Parsed, schema: GraphSchema, param_labels: dict[str, frozenset[str]] | None = None
) -> RuleResult:
    """Every typed, directed edge between labelled nodes must match a schema pattern (or is turned round).

    ``param_labels``: a node pinned by ``{id: $p}`` also carries the labels of the entity ``$p`` names.
    """
    param_labels = param_labels or {}
    bindings = Bindings.of(parsed.ast)
    pattern_labels = {p[0] for p in schema.patterns} | {p[2] for p in schema.patterns}
    by_type: dict[str, list[tuple[str, str]]] = {}
    for s, t, e in schema.patterns:
        by_type.setdefault(t, []).append((s, e))
    edits: list[Edit] = []
    fixed: list[str] = []
    problems: list[str] = []
    unseen: list[str] = []
    checked = 0
    for left, edge, _quant, right in path_triples(parsed.ast):
        direction = edge_direction(edge)
        types = element_names(edge)
        var = element_var(edge)
        if var and not types:
            types = sorted(bindings.rel_types.get(var, set()))
        if direction == "any" or not types or left is None or right is None:
            continue
        if any(t not in by_type for t in types):
            continue  # unknown type: the schema check reports it
        # every typed entity also carries :Entity, so :Entity says nothing about which pattern applies
        lab_l = ((bindings.labels_of(left) | _anchored_labels(left, param_labels)) & pattern_labels) - WILDCARD_LABELS
        lab_r = ((bindings.labels_of(right) | _anchored_labels(right, param_labels)) & pattern_labels) - WILDCARD_LABELS
        if not lab_l and not lab_r:
            continue
        start, end = (lab_l, lab_r) if direction == "right" else (lab_r, lab_l)
        verdicts = _verdicts(types, start, end, by_type)
        checked += 1
        desc = f"({_fmt(lab_l)}){snippet(parsed, edge)}({_fmt(lab_r)})"
        if verdicts == {"reverse"}:
            flip = _reverse(parsed, edge, direction)
            if not flip:
                how = "could not be located to fix it" if flip is None else "could not be rewritten"
                problems.append(f"{desc} points the wrong way and {how}")
                continue
            edits += flip
            fixed.append(f"reversed {desc}")
        elif verdicts == {"reverse", "none"}:
            problems.append(f"{desc}: some of its types point the other way in the schema; write them separately")
        elif "ok" not in verdicts:
            # Neither way round is in the (sampled) schema: nodes may carry several labels, so this is noted,
            # not refused; an empty result is caught by the result checks.
            unseen.append(desc)
    note = f"; not in the schema either way: {', '.join(unseen)}" if unseen else ""
    detail = f"{checked} relationship pattern(s) checked against the schema" if checked else "no directed pattern"
    return verdict("direction", problems, edits, "; ".join(fixed), detail, note=note)
