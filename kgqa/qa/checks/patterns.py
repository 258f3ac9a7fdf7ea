"""The pattern model the rules share: edge directions, element variables and names, path triples."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from graphglot import ast

_EDGE_RIGHT = (ast.FullEdgePointingRight,)
_EDGE_LEFT = (ast.FullEdgePointingLeft,)
_Pat = ast.AbbreviatedEdgePattern.PatternType


def edge_direction(edge: Any) -> str:
    """The way an edge pattern points: "right", "left" or "any"."""
    if isinstance(edge, _EDGE_RIGHT):
        return "right"
    if isinstance(edge, _EDGE_LEFT):
        return "left"
    if isinstance(edge, ast.AbbreviatedEdgePattern):
        if edge.pattern == _Pat.RIGHT_ARROW:
            return "right"
        if edge.pattern == _Pat.LEFT_ARROW:
            return "left"
    return "any"


def label_names(node: Any) -> list[str]:
    """The label (or relationship type) names under ``node``."""
    return [n.identifier.name for n in node.find_all(ast.LabelName, bfs=False)] if node is not None else []


def _filler(element: Any) -> Any:
    return getattr(element, "element_pattern_filler", None)


def element_var(element: Any) -> str | None:
    """The variable a node or edge pattern declares, if any."""
    filler = _filler(element)
    decl = getattr(filler, "element_variable_declaration", None) if filler is not None else None
    return decl.element_variable.name if decl is not None else None


def element_names(element: Any) -> list[str]:
    """The labels (or types) written in a node or edge pattern itself."""
    filler = _filler(element)
    return label_names(getattr(filler, "is_label_expression", None)) if filler is not None else []


@dataclass
class Bindings:
    """Labels per node variable and types per relationship variable, from patterns and ``WHERE n:Label``."""

    node_labels: dict[str, set[str]] = field(default_factory=dict)
    rel_types: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, root: Any) -> Bindings:
        b = cls()
        for node in root.dfs():
            if isinstance(node, ast.NodePattern):
                var = element_var(node)
                if var:
                    b.node_labels.setdefault(var, set()).update(element_names(node))
            elif isinstance(node, ast.EdgePattern) and not isinstance(node, ast.AbbreviatedEdgePattern):
                var = element_var(node)
                if var:
                    b.rel_types.setdefault(var, set()).update(element_names(node))
            elif isinstance(node, ast.LabeledPredicate):
                b._add_predicate(node)
        return b

    def _add_predicate(self, node: Any) -> None:
        ref = node.element_variable_reference
        var = ref.find_first(ast.Identifier)
        if var is not None:
            names = label_names(node.labeled_predicate_part_2)
            if var.name in self.rel_types:
                self.rel_types[var.name].update(names)
            else:
                self.node_labels.setdefault(var.name, set()).update(names)

    def labels_of(self, node: Any) -> set[str]:
        """A node pattern's own labels and those bound to its variable."""
        labels = set(element_names(node))
        var = element_var(node)
        if var:
            labels |= self.node_labels.get(var, set())
        return labels


def path_triples(root: Any) -> Iterator[tuple[Any, Any, Any, Any]]:
    """(left node, edge, quantifier or None, right node) for every edge in every path term."""
    for term in root.find_all(ast.PathTerm, bfs=False):
        factors = term.factors
        for i, factor in enumerate(factors):
            edge, quant = factor, None
            if isinstance(factor, ast.QuantifiedPathPrimary):
                edge, quant = factor.path_primary, factor.graph_pattern_quantifier
            if not isinstance(edge, ast.EdgePattern):
                continue
            left = factors[i - 1] if i > 0 and isinstance(factors[i - 1], ast.NodePattern) else None
            right = factors[i + 1] if i + 1 < len(factors) and isinstance(factors[i + 1], ast.NodePattern) else None
            yield left, edge, quant, right
