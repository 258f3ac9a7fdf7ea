"""Parse → Cypher: parameterised, written from the linked entities towards the answer.

Entity ids are ``$e0``, ``$e1``, ...; patterns have fixed lengths, symmetric relations are undirected,
relations that imply the asked one (where the graph has them) are matched too, and there is a LIMIT.
"""

from __future__ import annotations

from kgqa.graph.schema import GraphSchema
from kgqa.qa.generate import DEFAULT_LIMIT
from kgqa.qa.parser.lexicon import Lexicon
from kgqa.qa.parser.tree import Edge, Parse, Var, find, leaf_paths


def _label(name: str) -> str:
    """A label or relationship type, backtick-quoted."""
    return "`" + name.replace("`", "``") + "`"


class Compiler:
    """Variable names, node patterns and arrows for one parse."""

    def __init__(self, schema: GraphSchema, lex: Lexicon) -> None:
        self.labels = set(schema.labels)
        self.rel_types = set(schema.relationship_types)
        self.lex = lex
        self.names: dict[int, str] = {}
        self.bound: set[str] = set()
        self.counter = 0

    def name(self, var: Var, is_answer: bool = False) -> str:
        """The Cypher variable of ``var``: ``answer``, ``c<k>`` for an entity, ``v<k>`` otherwise."""
        if id(var) not in self.names:
            if is_answer:
                self.names[id(var)] = "answer"
            elif var.const is not None:
                self.counter += 1
                self.names[id(var)] = f"c{self.counter}"
            else:
                self.counter += 1
                self.names[id(var)] = f"v{self.counter}"
        return self.names[id(var)]

    def node(self, var: Var, is_answer: bool = False) -> str:
        """The node pattern of ``var``: with its id or label the first time, the bare variable after."""
        name = self.name(var, is_answer)
        if name in self.bound:
            return f"({name})"
        self.bound.add(name)
        if var.const is not None:
            return f"({name}:Entity {{id: $e{var.const}}})"
        labels = [t for t in sorted(var.types or []) if t in self.labels]
        if var.types and len(labels) == 1 and len(var.types) == 1:
            return f"({name}:Entity:{_label(labels[0])})"
        return f"({name}:Entity)"

    def arrow(self, rel: str, out: bool) -> str:
        """The relationship written from ``other`` towards the owner (leaf → root direction)."""
        # relations that imply this one answer too ("located in" ← HEADQUARTERED_IN), where the graph has them
        implied = [r for r in self.lex.ontology.implied_by(rel) if r in self.rel_types]
        types = "|".join(_label(r) for r in [rel, *implied])
        if rel in self.lex.symmetric:
            return f"-[:{types}]-"
        # owner -[rel]-> other  ⇒ written other <-[rel]- owner
        return f"<-[:{types}]-" if out else f"-[:{types}]->"


def compile_parse(parse: Parse, schema: GraphSchema, lex: Lexicon, limit: int = DEFAULT_LIMIT) -> str | None:
    """Cypher for a parse, or None when it has no linked entity to start from."""
    chains = list(leaf_paths(parse.answer, []))
    if not chains:
        return None
    comp = Compiler(schema, lex)
    comp.name(parse.answer, is_answer=True)
    patterns = [_chain_pattern(comp, parse, chain) for chain in chains]
    where = _where(comp, parse)
    lines = [f"MATCH p{k} = {p}" for k, p in enumerate(patterns)]
    if where:
        lines.append("WHERE " + " AND ".join(where))
    paths = ", ".join(f"p{k}" for k in range(len(patterns)))
    lines.append(f"WITH answer, collect([{paths}]) AS paths")
    lines.append("RETURN answer, paths[0..3] AS path")
    lines.append(f"ORDER BY answer.name LIMIT {limit}")
    return "\n".join(lines)


def _chain_pattern(comp: Compiler, parse: Parse, chain: list[tuple[Var, Edge]]) -> str:
    """One chain written from the constant (leaf) up to the root, stopping at an already-bound variable."""
    leaf = chain[-1][1].other
    text = comp.node(leaf)
    for owner, edge in reversed(chain):
        owner_name = comp.name(owner, owner is parse.answer)
        already = owner_name in comp.bound
        text += comp.arrow(edge.rel, edge.out) + comp.node(owner, owner is parse.answer)
        if already:
            break
    return text


def _where(comp: Compiler, parse: Parse) -> list[str]:
    """Label alternatives of multi-typed variables, and: the answer is none of the linked entities."""
    where: list[str] = []
    for var_id, name in comp.names.items():
        var = find(parse.answer, var_id)
        if var is None or var.const is not None or not var.types or len(var.types) < 2:
            continue
        labels = [t for t in sorted(var.types) if t in comp.labels]
        if labels:
            where.append("(" + " OR ".join(f"{name}:{_label(t)}" for t in labels) + ")")
    const_names = [n for vid, n in comp.names.items() if (v := find(parse.answer, vid)) and v.const is not None]
    for c in const_names:
        where.append(f"answer <> {c}")
    return where
