"""The rule-based checks, each over graphglot's AST of one parsed statement.

Each rule returns a ``Check`` and, when it can repair the query, a list of precise edits (positions in the
canonical text). Edits of different rules never overlap: a direction flip only touches the arrow heads, a bound
only the ``*..`` quantifier inside the brackets, a LIMIT is appended, a literal is replaced by a ``$param``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from graphglot import ast
from graphglot.ast import cypher as gcy
from graphglot.ast import functions as gfun
from graphglot.lexer import TokenType

from kgqa.graph.schema import GraphSchema
from kgqa.qa.checks.text import Edit, Parsed, fresh_param
from kgqa.qa.model import Check

READ_PROCEDURES = frozenset({"db.labels", "db.relationshipTypes", "db.propertyKeys", "db.schema.visualization"})
# Namespaced functions that only compute values (temporal/spatial constructors); everything else namespaced
# (apoc.*, gds.*, db.*, custom plugins) is refused because plugins may write.
READ_FUNCTION_NAMESPACES = frozenset({"date", "datetime", "localdatetime", "localtime", "time", "duration", "point"})


@dataclass
class RuleResult:
    check: Check
    edits: list[Edit] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)


def _check(name: str, status: str, detail: str = "") -> Check:
    return Check(name=name, status=status, detail=detail)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------- read_only

_WRITE_NODES: tuple[tuple[type, str], ...] = (
    (ast.InsertStatement, "INSERT"),
    (gcy.CreateClause, "CREATE"),
    (gcy.MergeClause, "MERGE"),
    (ast.SetStatement, "SET"),
    (ast.SetItem, "SET"),
    (ast.RemoveStatement, "REMOVE"),
    (ast.RemoveItem, "REMOVE"),
    (ast.DeleteStatement, "DELETE"),
    (ast.DeleteItemList, "DELETE"),
    (ast.InsertPathPattern, "CREATE/INSERT pattern"),
    (ast.PrimitiveCatalogModifyingStatement, "schema/catalog command"),
    (ast.SessionSetCommand, "SESSION SET"),
    (ast.SessionResetCommand, "SESSION RESET"),
    (ast.SessionCloseCommand, "SESSION CLOSE"),
    (ast.StartTransactionCommand, "START TRANSACTION"),
    (ast.EndTransactionCommand, "COMMIT/ROLLBACK"),
    (ast.UseGraphClause, "USE"),
    (ast.AtSchemaClause, "AT schema"),
    (gcy.QueryPrefix, "EXPLAIN/PROFILE prefix"),
)


def check_read_only(parsed: Parsed, allow_procedures: frozenset[str]) -> RuleResult:
    allowed = {p.lower() for p in allow_procedures}
    for node in parsed.ast.dfs():
        for cls, what in _WRITE_NODES:
            if isinstance(node, cls):
                return RuleResult(_check("read_only", "failed", f"{what} is not allowed: {_snippet(parsed, node)}"))
        if isinstance(node, ast.NamedProcedureCall):
            name = _procedure_name(parsed, node)
            if name.lower() not in allowed:
                return RuleResult(
                    _check(
                        "read_only",
                        "failed",
                        f"procedure {name} is not on the read-only allow-list ({', '.join(sorted(allow_procedures))})",
                    )
                )
        if isinstance(node, gfun.Anonymous) and "." in (node.name or ""):
            namespace = node.name.split(".", 1)[0].strip("`").lower()
            if namespace not in READ_FUNCTION_NAMESPACES:
                return RuleResult(
                    _check("read_only", "failed", f"function {node.name}() is not allowed (plugin functions may write)")
                )
    return RuleResult(_check("read_only", "passed", "no write clause, admin command or non-allow-listed procedure"))


def _procedure_name(parsed: Parsed, call: Any) -> str:
    ref = call.find_first(ast.CatalogProcedureParentAndName) or call.find_first(ast.ProcedureReference)
    if ref is None:
        return "?"
    names = [i.name for i in ref.find_all(ast.Identifier, bfs=False)]
    return ".".join(names) if names else parsed.slice(ref)


def _snippet(parsed: Parsed, node: Any, width: int = 60) -> str:
    text = " ".join(parsed.slice(node).split())
    return text if len(text) <= width else text[: width - 1] + "…"


# ---------------------------------------------------------------------------------------------- pattern model

_EDGE_RIGHT = (ast.FullEdgePointingRight,)
_EDGE_LEFT = (ast.FullEdgePointingLeft,)
_Pat = ast.AbbreviatedEdgePattern.PatternType


def edge_direction(edge: Any) -> str:
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


def _names(node: Any) -> list[str]:
    return [n.identifier.name for n in node.find_all(ast.LabelName, bfs=False)] if node is not None else []


def _filler(element: Any) -> Any:
    return getattr(element, "element_pattern_filler", None)


def _var(element: Any) -> str | None:
    filler = _filler(element)
    decl = getattr(filler, "element_variable_declaration", None) if filler is not None else None
    return decl.element_variable.name if decl is not None else None


def _element_names(element: Any) -> list[str]:
    filler = _filler(element)
    return _names(getattr(filler, "is_label_expression", None)) if filler is not None else []


@dataclass
class Bindings:
    node_labels: dict[str, set[str]] = field(default_factory=dict)
    rel_types: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, root: Any) -> Bindings:
        b = cls()
        for node in root.dfs():
            if isinstance(node, ast.NodePattern):
                var = _var(node)
                if var:
                    b.node_labels.setdefault(var, set()).update(_element_names(node))
            elif isinstance(node, ast.EdgePattern) and not isinstance(node, ast.AbbreviatedEdgePattern):
                var = _var(node)
                if var:
                    b.rel_types.setdefault(var, set()).update(_element_names(node))
            elif isinstance(node, ast.LabeledPredicate):
                ref = node.element_variable_reference
                var = ref.find_first(ast.Identifier)
                if var is not None:
                    names = _names(node.labeled_predicate_part_2)
                    if var.name in b.rel_types:
                        b.rel_types[var.name].update(names)
                    else:
                        b.node_labels.setdefault(var.name, set()).update(names)
        return b

    def labels_of(self, node: Any) -> set[str]:
        labels = set(_element_names(node))
        var = _var(node)
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


# ---------------------------------------------------------------------------------------------- schema


def _suggest(name: str, choices: Iterable[str]) -> str:
    from rapidfuzz import fuzz, process

    choices = list(choices)
    if not choices:
        return ""
    best = process.extractOne(name, choices, scorer=fuzz.WRatio, processor=str.lower)
    return f" (did you mean {best[0]}?)" if best and best[1] >= 60 else ""


def check_schema(parsed: Parsed, schema: GraphSchema) -> RuleResult:
    labels, types = set(schema.labels), set(schema.relationship_types)
    all_node_props = {p for props in schema.node_properties.values() for p in props}
    all_rel_props = {p for props in schema.relationship_properties.values() for p in props}
    problems: list[str] = []
    seen: set[str] = set()

    def report(message: str) -> None:
        if message not in seen:
            seen.add(message)
            problems.append(message)

    edges = {id(e) for e in parsed.ast.find_all(ast.EdgePattern)}
    rel_vars = Bindings.of(parsed.ast)
    for node in parsed.ast.dfs():
        if isinstance(node, ast.LabelName):
            name = node.identifier.name
            in_edge = any(id(a) in edges for a in _ancestors(node))
            if not in_edge and isinstance(_nearest(node, ast.LabeledPredicate), ast.LabeledPredicate):
                ref = _nearest(node, ast.LabeledPredicate).element_variable_reference.find_first(ast.Identifier)
                in_edge = ref is not None and ref.name in rel_vars.rel_types and ref.name not in rel_vars.node_labels
            if in_edge and name not in types:
                report(f"unknown relationship type :{name}{_suggest(name, types)}")
            elif not in_edge and name not in labels:
                report(f"unknown label :{name}{_suggest(name, labels)}")
    bindings = rel_vars

    def known_props(element_names: set[str], is_edge: bool) -> tuple[set[str], str]:
        table = schema.relationship_properties if is_edge else schema.node_properties
        known = [n for n in element_names if n in table]
        if known:
            return {p for n in known for p in table[n]}, ":" + "|".join(sorted(known))
        return (all_rel_props if is_edge else all_node_props), ("relationships" if is_edge else "nodes")

    for node in parsed.ast.find_all(ast.ElementPropertySpecification, bfs=False):
        element = _nearest(node, ast.ElementPattern)
        if element is None:
            continue
        is_edge = isinstance(element, ast.EdgePattern)
        names = set(_element_names(element))
        var = _var(element)
        if var:
            names |= (bindings.rel_types if is_edge else bindings.node_labels).get(var, set())
        props, where = known_props(names, is_edge)
        for pair in node.find_all(ast.PropertyKeyValuePair, bfs=False):
            if _nearest(pair, ast.ElementPropertySpecification) is not node:
                continue
            key = pair.property_name.identifier.name
            if key not in props:
                report(f"unknown property {key} on {where}{_suggest(key, props)}")
    for ref in parsed.ast.find_all(ast.PropertyReference, bfs=False):
        source = ref.property_source
        if not isinstance(source, ast.BindingVariableReference) or not ref.property_name:
            continue
        var = source.binding_variable.name
        key = ref.property_name[0].identifier.name
        if var in bindings.node_labels and var not in bindings.rel_types:
            props, where = known_props(bindings.node_labels[var], False)
        elif var in bindings.rel_types and var not in bindings.node_labels:
            props, where = known_props(bindings.rel_types[var], True)
        else:
            continue  # not a pattern variable (a map, a row from UNWIND/WITH, a path): nothing to check
        if key not in props:
            report(f"unknown property {var}.{key} on {where}{_suggest(key, props)}")
    if problems and schema.sampled:
        # a sampled schema can miss rare names: report them, do not refuse on them
        return RuleResult(_check("schema", "passed", "not in the sampled schema: " + "; ".join(problems)))
    if problems:
        return RuleResult(_check("schema", "failed", "; ".join(problems)))
    return RuleResult(_check("schema", "passed", "labels, relationship types and property keys exist"))


def _ancestors(node: Any) -> Iterator[Any]:
    node = node._parent
    while node is not None:
        yield node
        node = node._parent


def _nearest(node: Any, cls: type | tuple[type, ...]) -> Any:
    for a in _ancestors(node):
        if isinstance(a, cls):
            return a
    return None


# ---------------------------------------------------------------------------------------------- direction

WILDCARD_LABELS = frozenset({"Entity"})


def check_direction(parsed: Parsed, schema: GraphSchema) -> RuleResult:
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
        types = _element_names(edge)
        var = _var(edge)
        if var and not types:
            types = sorted(bindings.rel_types.get(var, set()))
        if direction == "any" or not types or left is None or right is None:
            continue
        if any(t not in by_type for t in types):
            continue  # unknown type: the schema check reports it
        # every typed entity also carries :Entity, so :Entity says nothing about which pattern applies
        lab_l = (bindings.labels_of(left) & pattern_labels) - WILDCARD_LABELS
        lab_r = (bindings.labels_of(right) & pattern_labels) - WILDCARD_LABELS
        if not lab_l and not lab_r:
            continue
        start, end = (lab_l, lab_r) if direction == "right" else (lab_r, lab_l)
        verdicts = set()
        for t in types:
            forward = any(_fits(s, start) and _fits(e, end) for s, e in by_type[t])
            backward = any(_fits(s, end) and _fits(e, start) for s, e in by_type[t])
            verdicts.add("ok" if forward else "reverse" if backward else "none")
        checked += 1
        text = _snippet(parsed, edge)
        desc = f"({_fmt(lab_l)}){text}({_fmt(lab_r)})"
        if verdicts == {"reverse"}:
            sp = parsed.span(edge)
            if sp is None:
                problems.append(f"{desc} points the wrong way and could not be located to fix it")
                continue
            a, b = sp
            seg = parsed.canonical[a:b]
            if direction == "left" and seg.startswith("<") and seg.endswith("-"):
                edits += [Edit(a, a + 1, ""), Edit(b, b, ">")]
            elif direction == "right" and seg.startswith("-") and seg.endswith(">"):
                edits += [Edit(a, a, "<"), Edit(b - 1, b, "")]
            else:
                problems.append(f"{desc} points the wrong way and could not be rewritten")
                continue
            fixed.append(f"reversed {desc}")
        elif verdicts == {"reverse", "none"}:
            problems.append(f"{desc}: some of its types point the other way in the schema; write them separately")
        elif "ok" not in verdicts:
            # Neither way round is in the (sampled) schema: nodes may carry several labels, so this is noted,
            # not refused; an empty result is caught by the result checks.
            unseen.append(desc)
    note = f"; not in the schema either way: {', '.join(unseen)}" if unseen else ""
    if problems:
        return RuleResult(_check("direction", "failed", "; ".join(problems) + note))
    if edits:
        return RuleResult(_check("direction", "fixed", "; ".join(fixed) + note), edits)
    detail = f"{checked} relationship pattern(s) checked against the schema" if checked else "no directed pattern"
    detail += note
    return RuleResult(_check("direction", "passed", detail))


def _fits(label: str, labels: set[str]) -> bool:
    return not labels or label in labels


def _fmt(labels: set[str]) -> str:
    return ":" + ":".join(sorted(labels)) if labels else ""


# ---------------------------------------------------------------------------------------------- bounds


def check_bounds(parsed: Parsed, max_hops: int) -> RuleResult:
    edits: list[Edit] = []
    fixed: list[str] = []
    problems: list[str] = []
    count = 0
    for _left, edge, quant, _right in path_triples(parsed.ast):
        if quant is None:
            continue
        count += 1
        if isinstance(quant, ast.FixedQuantifier):
            lower = upper = quant.unsigned_integer.value
        elif isinstance(quant, ast.GeneralQuantifier):
            lower = quant.lower_bound.value if quant.lower_bound is not None else None
            upper = quant.upper_bound.value if quant.upper_bound is not None else None
        else:
            problems.append(f"unsupported path quantifier in {_snippet(parsed, edge)}")
            continue
        text = _snippet(parsed, edge)
        if upper is not None and upper > max_hops:
            problems.append(f"{text} allows up to {upper} hops (maximum {max_hops})")
            continue
        if lower is not None and lower > max_hops:
            problems.append(f"{text} needs at least {lower} hops (maximum {max_hops})")
            continue
        if upper is None:
            span = _quantifier_span(parsed, edge)
            if span is None:
                problems.append(f"unbounded {text} could not be located to bound it")
                continue
            original = parsed.canonical[span[0] : span[1]]
            low = _explicit_lower(parsed, span)
            new = f"*{low}..{max_hops}" if low is not None else f"*..{max_hops}"
            edits.append(Edit(span[0], span[1], new))
            fixed.append(f"bounded {original} to {new}")
    if problems:
        return RuleResult(_check("bounds", "failed", "; ".join(problems)))
    if edits:
        return RuleResult(_check("bounds", "fixed", "; ".join(fixed)), edits)
    detail = f"{count} variable-length pattern(s) within {max_hops} hops" if count else "no variable-length pattern"
    return RuleResult(_check("bounds", "passed", detail))


_QUANT_TOKENS = (TokenType.ASTERISK, TokenType.NUMBER, TokenType.DOUBLE_PERIOD)


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


# ---------------------------------------------------------------------------------------------- limit


def result_statements(root: Any) -> list[Any]:
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
        return RuleResult(_check("limit", "passed", f"no RETURN clause; the row cap of the read applies ({limit})"))
    edits: list[Edit] = []
    fixed: list[str] = []
    problems: list[str] = []
    for st in statements:
        clause = st.find_first(ast.LimitClause)
        if clause is None:
            sp = parsed.span(st)
            if sp is None:
                problems.append("could not locate the RETURN clause to add a LIMIT")
                continue
            edits.append(Edit(sp[1], sp[1], f"\nLIMIT {limit}"))
            fixed.append(f"added LIMIT {limit}")
            continue
        value_node = next(iter(clause.children()), None)
        sp = parsed.span(clause) if value_node is not None else None
        literal = _literal_value(parsed, value_node) if value_node is not None else None
        param = value_node.find_first(ast.GeneralParameterReference) if value_node is not None else None
        if isinstance(literal, int) and not isinstance(literal, bool):
            if literal > limit and sp is not None:
                edits.append(Edit(sp[0], sp[1], str(limit)))
                fixed.append(f"lowered LIMIT {literal} to {limit}")
        elif param is not None:
            name = _param_name(param)
            value = params.get(name)
            if not isinstance(value, int) or value > limit or value < 0:
                if sp is None:
                    problems.append(f"LIMIT ${name} could not be located")
                    continue
                edits.append(Edit(sp[0], sp[1], str(limit)))
                fixed.append(f"replaced LIMIT ${name} ({value!r}) by {limit}")
        else:
            if sp is None:
                problems.append("LIMIT is an expression that could not be located")
                continue
            edits.append(Edit(sp[0], sp[1], str(limit)))
            fixed.append(f"replaced LIMIT {parsed.canonical[sp[0] : sp[1]]} by {limit}")
    if problems:
        return RuleResult(_check("limit", "failed", "; ".join(problems)))
    if edits:
        return RuleResult(_check("limit", "fixed", "; ".join(fixed)), edits)
    return RuleResult(_check("limit", "passed", f"LIMIT ≤ {limit}"))


def _param_name(ref: Any) -> str:
    ident = ref.find_first(ast.Identifier)
    if ident is not None:
        return ident.name
    name = getattr(ref, "parameter_name", None)
    return str(getattr(name, "name", name))


# ---------------------------------------------------------------------------------------------- parameters

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


def _literal_value(parsed: Parsed, node: Any) -> Any:
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


def _literal_list(parsed: Parsed, node: Any) -> list[Any] | None:
    ctor = node.find_first(ast.ListValueConstructorByEnumeration)
    if ctor is None or type(ctor) is not ast.ListValueConstructorByEnumeration:
        return None
    elements = ctor.find_first(ast.ListElementList)
    if elements is None:
        return None
    values = []
    for el in elements.children():
        v = _literal_value(parsed, el)
        if v is None:
            return None
        values.append(v)
    # the list must be the whole operand
    outer = parsed.span(node)
    inner = parsed.span(ctor)
    if outer != inner:
        return None
    return values


def _operands(pred: Any) -> list[Any]:
    if isinstance(pred, ast.ComparisonPredicate):
        return [pred.comparison_predicand, pred.comparison_predicate_part_2.comparison_predicand]
    return [c for c in pred.children() if isinstance(c, ast.Expression)]


_PREDICATES = (ast.ComparisonPredicate, gcy.StringMatchPredicate, gcy.RegexMatchPredicate, gcy.InPredicate)


def check_parameters(parsed: Parsed, params: dict[str, Any], *, require_values: bool = True) -> RuleResult:
    params = dict(params)
    new: dict[str, Any] = {}
    edits: list[Edit] = []
    moved: list[str] = []
    taken: list[tuple[int, int]] = []

    candidates: list[tuple[tuple[int, int], Any, str]] = []

    def move(node: Any, value: Any, base: str) -> None:
        sp = parsed.span(node)
        if sp is not None:
            candidates.append((sp, value, base))

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
            value = _literal_value(parsed, op)
            if value is None and isinstance(pred, gcy.InPredicate):
                value = _literal_list(parsed, op)
            if value is not None:
                move(op, value, base)
            else:  # e.g. toLower('Ada'): the string itself becomes the parameter
                for lit in op.find_all(ast.CharacterStringLiteral, bfs=False):
                    move(lit, lit.value, base)
    for pair in parsed.ast.find_all(ast.PropertyKeyValuePair, bfs=False):
        if _nearest(pair, ast.ElementPattern) is None:
            continue
        value = _literal_value(parsed, pair.value_expression)
        key = pair.property_name.identifier.name
        if value is not None:
            move(pair.value_expression, value, key)
        else:
            for lit in pair.value_expression.find_all(ast.CharacterStringLiteral, bfs=False):
                move(lit, lit.value, key)
    for sp, value, base in sorted(candidates, key=lambda c: c[0]):  # named in reading order
        if any(a < sp[1] and sp[0] < b for a, b in taken):
            continue
        name = fresh_param({**params, **new}, base)
        new[name] = value
        taken.append(sp)
        edits.append(Edit(sp[0], sp[1], f"${name}"))
        moved.append(f"{parsed.canonical[sp[0] : sp[1]]} → ${name}")
    limit_params = {
        _param_name(ref)
        for clause in parsed.ast.find_all(ast.LimitClause)
        for ref in clause.find_all(ast.GeneralParameterReference)
    }
    used = {_param_name(ref) for ref in parsed.ast.find_all(ast.GeneralParameterReference)}
    missing = sorted(used - set(params) - limit_params)
    if missing and require_values:
        names = ", ".join(f"${m}" for m in missing)
        return RuleResult(_check("parameters", "failed", f"no value given for {names}"))
    if edits:
        return RuleResult(
            _check("parameters", "fixed", "moved literals into parameters: " + "; ".join(moved)), edits, new
        )
    return RuleResult(_check("parameters", "passed", "no literal compared with a property"))
