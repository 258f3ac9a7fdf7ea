"""The ``schema`` rule: labels, relationship types and property keys exist (the closest known name suggested).

Three name rules run in order (``NAME_RULES``), each yielding problems; on a sampled schema problems are only
reported, never refused on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from graphglot import ast

from kgqa.graph.schema import GraphSchema
from kgqa.qa.checks.patterns import Bindings, element_names, element_var
from kgqa.qa.checks.rule import RuleResult, ancestors, make_check, nearest
from kgqa.qa.checks.text import Parsed


def _suggest(name: str, choices: Iterable[str]) -> str:
    from rapidfuzz import fuzz, process

    choices = list(choices)
    if not choices:
        return ""
    best = process.extractOne(name, choices, scorer=fuzz.WRatio, processor=str.lower)
    return f" (did you mean {best[0]}?)" if best and best[1] >= 60 else ""


@dataclass
class _View:
    """One parsed query against one schema."""

    parsed: Parsed
    schema: GraphSchema
    bindings: Bindings

    def known_props(self, names: set[str], is_edge: bool) -> tuple[set[str], str]:
        """The property keys elements with these labels (or types) have, and how to name them."""
        schema = self.schema
        table = schema.relationship_properties if is_edge else schema.node_properties
        known = [n for n in names if n in table]
        if known:
            return {p for n in known for p in table[n]}, ":" + "|".join(sorted(known))
        everything = {p for props in table.values() for p in props}
        return everything, ("relationships" if is_edge else "nodes")


def _label_problems(view: _View) -> Iterator[str]:
    """Unknown labels, and unknown relationship types (in edge patterns or ``WHERE r:TYPE``)."""
    labels, types = set(view.schema.labels), set(view.schema.relationship_types)
    root = view.parsed.ast
    edges = {id(e) for e in root.find_all(ast.EdgePattern)}
    rel_vars = view.bindings
    for node in root.dfs():
        if isinstance(node, ast.LabelName):
            name = node.identifier.name
            in_edge = any(id(a) in edges for a in ancestors(node))
            if not in_edge and isinstance(nearest(node, ast.LabeledPredicate), ast.LabeledPredicate):
                ref = nearest(node, ast.LabeledPredicate).element_variable_reference.find_first(ast.Identifier)
                in_edge = ref is not None and ref.name in rel_vars.rel_types and ref.name not in rel_vars.node_labels
            if in_edge and name not in types:
                yield f"unknown relationship type :{name}{_suggest(name, types)}"
            elif not in_edge and name not in labels:
                yield f"unknown label :{name}{_suggest(name, labels)}"


def _map_property_problems(view: _View) -> Iterator[str]:
    """Unknown keys in pattern property maps: ``(n:Person {nmae: ...})``."""
    bindings = view.bindings
    for node in view.parsed.ast.find_all(ast.ElementPropertySpecification, bfs=False):
        element = nearest(node, ast.ElementPattern)
        if element is None:
            continue
        is_edge = isinstance(element, ast.EdgePattern)
        names = set(element_names(element))
        var = element_var(element)
        if var:
            names |= (bindings.rel_types if is_edge else bindings.node_labels).get(var, set())
        props, where = view.known_props(names, is_edge)
        for pair in node.find_all(ast.PropertyKeyValuePair, bfs=False):
            if nearest(pair, ast.ElementPropertySpecification) is not node:
                continue
            key = pair.property_name.identifier.name
            if key not in props:
                yield f"unknown property {key} on {where}{_suggest(key, props)}"


def _reference_property_problems(view: _View) -> Iterator[str]:
    """Unknown keys in property references of pattern variables: ``n.nmae``."""
    bindings = view.bindings
    for ref in view.parsed.ast.find_all(ast.PropertyReference, bfs=False):
        source = ref.property_source
        if not isinstance(source, ast.BindingVariableReference) or not ref.property_name:
            continue
        var = source.binding_variable.name
        key = ref.property_name[0].identifier.name
        if var in bindings.node_labels and var not in bindings.rel_types:
            props, where = view.known_props(bindings.node_labels[var], False)
        elif var in bindings.rel_types and var not in bindings.node_labels:
            props, where = view.known_props(bindings.rel_types[var], True)
        else:
            continue  # not a pattern variable (a map, a row from UNWIND/WITH, a path): nothing to check
        if key not in props:
            yield f"unknown property {var}.{key} on {where}{_suggest(key, props)}"


NAME_RULES: tuple[Callable[[_View], Iterator[str]], ...] = (
    _label_problems,
    _map_property_problems,
    _reference_property_problems,
)


def check_schema(parsed: Parsed, schema: GraphSchema) -> RuleResult:
    view = _View(parsed, schema, Bindings.of(parsed.ast))
    problems = list(dict.fromkeys(message for rule in NAME_RULES for message in rule(view)))
    if problems and schema.sampled:
        # a sampled schema can miss rare names: report them, do not refuse on them
        return RuleResult(make_check("schema", "passed", "not in the sampled schema: " + "; ".join(problems)))
    if problems:
        return RuleResult(make_check("schema", "failed", "; ".join(problems)))
    return RuleResult(make_check("schema", "passed", "labels, relationship types and property keys exist"))
