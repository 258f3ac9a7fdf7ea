"""The ``read_only`` rule: no write clause, admin command, plugin function or non-allow-listed procedure.

Every AST node is put to each node rule in ``NODE_RULES`` in turn; the first that objects refuses the query.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphglot import ast
from graphglot.ast import cypher as gcy
from graphglot.ast import functions as gfun

from kgqa.qa.checks.rule import RuleResult, make_check, snippet
from kgqa.qa.checks.text import Parsed

READ_PROCEDURES = frozenset({"db.labels", "db.relationshipTypes", "db.propertyKeys", "db.schema.visualization"})
# Namespaced functions that only compute values (temporal/spatial constructors); everything else namespaced
# (apoc.*, gds.*, db.*, custom plugins) is refused because plugins may write.
READ_FUNCTION_NAMESPACES = frozenset({"date", "datetime", "localdatetime", "localtime", "time", "duration", "point"})

WRITE_NODES: tuple[tuple[type, str], ...] = (
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


def _write_clause(parsed: Parsed, node: Any, allow_procedures: frozenset[str]) -> str | None:
    for cls, what in WRITE_NODES:
        if isinstance(node, cls):
            return f"{what} is not allowed: {snippet(parsed, node)}"
    return None


def _procedure(parsed: Parsed, node: Any, allow_procedures: frozenset[str]) -> str | None:
    if not isinstance(node, ast.NamedProcedureCall):
        return None
    name = _procedure_name(parsed, node)
    if name.lower() in {p.lower() for p in allow_procedures}:
        return None
    return f"procedure {name} is not on the read-only allow-list ({', '.join(sorted(allow_procedures))})"


def _plugin_function(parsed: Parsed, node: Any, allow_procedures: frozenset[str]) -> str | None:
    if not (isinstance(node, gfun.Anonymous) and "." in (node.name or "")):
        return None
    namespace = node.name.split(".", 1)[0].strip("`").lower()
    if namespace in READ_FUNCTION_NAMESPACES:
        return None
    return f"function {node.name}() is not allowed (plugin functions may write)"


NODE_RULES: tuple[Callable[[Parsed, Any, frozenset[str]], str | None], ...] = (
    _write_clause,
    _procedure,
    _plugin_function,
)


def check_read_only(parsed: Parsed, allow_procedures: frozenset[str]) -> RuleResult:
    for node in parsed.ast.dfs():
        for rule in NODE_RULES:
            problem = rule(parsed, node, allow_procedures)
            if problem is not None:
                return RuleResult(make_check("read_only", "failed", problem))
    return RuleResult(make_check("read_only", "passed", "no write clause, admin command or non-allow-listed procedure"))


def _procedure_name(parsed: Parsed, call: Any) -> str:
    ref = call.find_first(ast.CatalogProcedureParentAndName) or call.find_first(ast.ProcedureReference)
    if ref is None:
        return "?"
    names = [i.name for i in ref.find_all(ast.Identifier, bfs=False)]
    return ".".join(names) if names else parsed.slice(ref)
