"""Neo4j Browser queries: paste one into the Browser to see the same subgraph the API returned."""

from __future__ import annotations

import re

from kgqa.qa.model import Subgraph

_TYPE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _literal(value: str) -> str:
    """A single-quoted Cypher string literal."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r")
    return "'" + escaped + "'"


def browser_query_for(subgraph: Subgraph) -> str | None:
    """Self-contained Cypher (literals, no parameters) returning exactly ``subgraph``'s nodes and facts.

    Relationships are matched by (start id, type, end id), so the Browser draws the same edges; nodes with
    no relationship in the subgraph are returned on their own.
    """
    if not subgraph.nodes and not subgraph.relationships:
        return None
    parts: list[str] = []
    triples = sorted({(r.start, r.type, r.end) for r in subgraph.relationships if _TYPE.match(r.type)})
    if triples:
        listed = ", ".join(f"[{_literal(s)}, {_literal(t)}, {_literal(e)}]" for s, t, e in triples)
        parts.append(f"MATCH p = (a:Entity)-[r]->(b:Entity)\nWHERE [a.id, type(r), b.id] IN [{listed}]\nRETURN p")
    linked = {r.start for r in subgraph.relationships} | {r.end for r in subgraph.relationships}
    alone = sorted({n.id for n in subgraph.nodes} - linked)
    if alone:
        ids = ", ".join(_literal(i) for i in alone)
        parts.append(f"MATCH p = (n:Entity) WHERE n.id IN [{ids}]\nRETURN p")
    return "\nUNION\n".join(parts)
