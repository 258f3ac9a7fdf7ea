"""Parse → Cypher: parameterised, written from the linked entities towards the answer.

Entity ids are ``$e0``, ``$e1``, ...; patterns have fixed lengths except along transitive relations
(``LOCATED_IN*1..4``, and ``*0..4`` after a relation carried ``through`` one when the place is named or is a
country/region), symmetric relations are undirected, relations that imply the asked one (where the graph has
them) are matched too, negated edges are ``NOT`` pattern predicates, and there is a LIMIT.
"""

from __future__ import annotations

from kgqa.graph.schema import GraphSchema
from kgqa.ontology import Kind
from kgqa.qa.generate import DEFAULT_LIMIT
from kgqa.qa.parser.lexicon import Lexicon, phrase_key
from kgqa.qa.parser.tree import Edge, Parse, Var, find, is_bare, leaf_paths


def _label(name: str) -> str:
    """A label or relationship type, backtick-quoted."""
    return "`" + name.replace("`", "``") + "`"


class Compiler:
    """Variable names, node patterns and arrows for one parse."""

    def __init__(self, schema: GraphSchema, lex: Lexicon, chain: int = 4, subject: int | None = None) -> None:
        self.labels = set(schema.labels)
        self.rel_types = set(schema.relationship_types)
        self.lex = lex
        self.chain = chain  # upper bound of a transitive chain
        self.subject = subject  # yes/no: the linked entity the answer is
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
        if is_answer and self.subject is not None:
            return f"({name}:Entity {{id: $e{self.subject}}})"
        labels = [t for t in sorted(var.types or []) if t in self.labels]
        if var.types and len(labels) == 1 and len(var.types) == 1:
            return f"({name}:Entity:{_label(labels[0])})"
        return f"({name}:Entity)"

    def arrow(self, rel: str, out: bool, quant: str = "") -> str:
        """The relationship written from ``other`` towards the owner (leaf → root direction)."""
        # relations that imply this one answer too ("located in" ← HEADQUARTERED_IN), where the graph has them
        implied = [r for r in self.lex.ontology.implied_by(rel) if r in self.rel_types]
        types = "|".join(_label(r) for r in [rel, *implied]) + quant
        if rel in self.lex.symmetric:
            return f"-[:{types}]-"
        # owner -[rel]-> other  ⇒ written other <-[rel]- owner
        return f"<-[:{types}]-" if out else f"-[:{types}]->"

    def hop(self, edge: Edge, owner: Var, anonymous: bool = False) -> str:
        """``edge`` written from its other end towards ``owner``, following transitive chains where asked."""
        rel, out = edge.rel, edge.out
        place = edge.other if out else owner  # the containing end
        # a chain only towards a named place or a country/region: "where is X" stays one hop
        wide = place.const is not None or place.level in {"top", "middle"}
        if rel in self.lex.transitive and rel not in self.lex.symmetric and wide:
            return self.arrow(rel, out, f"*1..{self.chain}")
        via = self.lex.through.get(rel)
        if via in self.rel_types and wide:
            self.counter += 1
            mid = "(:Entity)" if anonymous else f"(v{self.counter}:Entity)"
            chain = f"{_label(via)}*0..{self.chain}"
            if out:  # owner -[rel]-> (mid) -[via*]-> place: written place <-[via*]- mid <-[rel]- owner
                return f"<-[:{chain}]-{mid}" + self.arrow(rel, out)
            return self.arrow(rel, out) + f"{mid}-[:{chain}]->"
        return self.arrow(rel, out)


SUMMARY_FACTS = 25


def compile_parse(
    parse: Parse, schema: GraphSchema, lex: Lexicon, limit: int = DEFAULT_LIMIT, chain: int = 4
) -> str | None:
    """Cypher for a parse, or None when it has no linked entity to start from."""
    if parse.kind == "summary" and parse.answer.const is not None:
        return (
            f"MATCH p = (answer:Entity {{id: $e{parse.answer.const}}})-[r]-(n:Entity)\n"
            f"RETURN answer, p AS path\nORDER BY type(r), n.name LIMIT {min(limit, SUMMARY_FACTS)}"
        )
    if parse.kind == "type":
        from kgqa.qa.parser.whole import compile_type  # it builds on this module

        return compile_type(parse, lex, limit, set(schema.relationship_types))
    if parse.kind in {"superlative", "ordered"}:
        from kgqa.qa.parser.superlative import compile_superlative  # it builds on this module

        return compile_superlative(parse, schema, lex, limit, max(1, min(chain, 4)))
    # chains from the linked entities first; then those to a bare variable ("founded a company"), written from it
    chains = sorted(leaf_paths(parse.answer, [], bare=True), key=lambda c: c[-1][1].other.const is None)
    subject = parse.subject if parse.kind == "yes_no" else None
    if not chains or (chains[0][-1][1].other.const is None and subject is None):
        return None
    comp = Compiler(schema, lex, max(1, min(chain, 4)), subject)
    comp.name(parse.answer, is_answer=True)
    patterns = chain_patterns(comp, parse, chains)
    where = _where(comp, parse)
    lines = [f"MATCH p{k} = {p}" for k, p in enumerate(patterns)]
    if where:
        lines.append("WHERE " + " AND ".join(where))
    paths = ", ".join(f"p{k}" for k in range(len(patterns)))
    lines.append(f"WITH answer, collect([{paths}]) AS paths")
    lines.append("RETURN answer, paths[0..3] AS path")
    lines.append(f"ORDER BY answer.name LIMIT {limit}")
    return "\n".join(lines)


def chain_patterns(comp: Compiler, parse: Parse, chains: list[list[tuple[Var, Edge]]]) -> list[str]:
    """The MATCH patterns of the chains, each written from its constant (leaf) up to the root."""
    return [pattern for chain in chains for pattern in _chain_pattern(comp, parse, chain)]


def _chain_pattern(comp: Compiler, parse: Parse, chain: list[tuple[Var, Edge]]) -> list[str]:
    """One chain from the constant (leaf) up to the root, stopping at an already-bound variable; split where a
    variable-length hop follows another ("born in the same country as P": up P's chain and down the answer's,
    which share relationships that one MATCH would not walk twice)."""
    below = chain[-1][1].other
    patterns = [comp.node(below)]
    chained = False
    for owner, edge in reversed(chain):
        owner_name = comp.name(owner, owner is parse.answer)
        already = owner_name in comp.bound
        hop = comp.hop(edge, owner)
        if chained and "*" in hop:
            patterns.append(comp.node(below))
        patterns[-1] += hop + comp.node(owner, owner is parse.answer)
        chained, below = "*" in hop, owner
        if already:
            break
    return patterns


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
    if parse.kind != "yes_no":
        where.extend(f"answer <> {c}" for c in const_names)
    for var_id, name in list(comp.names.items()):
        var = find(parse.answer, var_id)
        if var is not None and var.const is None:
            where.extend(_level(comp, var, name))
            where.extend(_negated(comp, var, name))
            kind = kind_filter(comp.lex, var, name, comp.rel_types, rest=False)  # "what company employs X": loose
            if kind:
                where.append(kind)
    return where


def _level(comp: Compiler, var: Var, name: str) -> list[str]:
    """A country / region / city: where the variable sits in its type's transitive chain."""
    types = sorted(var.types or [])
    rel = comp.lex.level_rel.get(types[0]) if var.level and len(types) == 1 else None
    if rel is None or rel not in comp.rel_types:
        return []
    up = f"({name})-[:{_label(rel)}]->(:Entity:{_label(types[0])})"
    down = f"({name})<-[:{_label(rel)}]-(:Entity{':' + _label(types[0]) if var.level != 'top' else ''})"
    if var.level == "middle":  # "the Halvik Region" at the top of an incomplete chain is still a region
        named = _named_level(comp, types[0], name, "middle")
        return [f"({up} OR {named})" if named else up, down]
    return {"top": [f"NOT {up}", down], "leaf": [f"NOT {down}"]}[var.level or ""]


def _named_level(comp: Compiler, etype: str, name: str, level: str) -> str:
    """A Cypher test that the node's name ends in a word naming ``level`` ("... Region", "... Province"), or ""."""
    kind = comp.lex.ontology.entity(etype)
    if kind is None:
        return ""
    nouns = [n for n, lvl in kind.levels.items() if lvl == level]
    nouns += [w for w, lvls in kind.name_levels.items() if lvls == [level]]
    tests = [f"toLower({name}.name) ENDS WITH ' {n}'" for n in sorted(set(nouns))]
    return "(" + " OR ".join(tests) + ")" if tests else ""


def noun_kind(lex: Lexicon, var: Var) -> Kind | None:
    """The kind of its type that the variable's noun asks for ("companies" among organizations), if any."""
    found = lex.kinds.get(phrase_key(var.noun)) if var.noun else None
    return found[1] if found and var.types and var.types == {found[0]} else None


def kind_filter(lex: Lexicon, var: Var, name: str, rel_types: set[str], rest: bool = True) -> str:
    """A Cypher test that ``name`` is of the kind its noun asks for, or "": a school has a school's name word or
    someone studied at it; a company (a ``rest`` kind, tested only when ``rest``: people say "the company that
    employs X" of any employer) is an organization that no name word or fact puts in another kind."""
    kind = noun_kind(lex, var)
    etype = lex.ontology.entity(next(iter(var.types or {""})))
    if kind is None or etype is None or (kind.rest and not rest):
        return ""

    def test(k: Kind) -> str:
        listed = ", ".join(f"'{w}'" for w in k.name_words)
        said = f"any(w IN [{listed}] WHERE (' ' + toLower({name}.name) + ' ') CONTAINS (' ' + w + ' '))"
        parts = [said] if k.name_words else []
        parts += [f"(:Entity)-[:{_label(r)}]->({name})" for r in k.object_of if r in rel_types]
        return "(" + " OR ".join(parts) + ")" if parts else ""

    if kind.rest:
        others = [t for k in etype.kinds if not k.rest and (t := test(k))]
        return "NOT (" + " OR ".join(others) + ")" if others else ""
    return test(kind)


def _negated(comp: Compiler, var: Var, name: str) -> list[str]:
    """``NOT (owner)-[rel]->(:Entity {id: $eK})`` for each negated edge of ``var`` (closed world); to a bare
    variable ("not founded by anyone", "no CEO"): ``NOT (owner)<-[rel]-(:Entity)``."""
    out: list[str] = []
    for e in var.edges:
        if not e.negated:
            continue
        if e.other.const is not None:
            out.append(f"NOT (:Entity {{id: $e{e.other.const}}}){comp.hop(e, var, anonymous=True)}({name})")
        elif is_bare(e.other):
            labels = [t for t in sorted(e.other.types or []) if t in comp.labels]
            other = f"(:Entity:{_label(labels[0])})" if len(labels) == 1 == len(e.other.types or []) else "(:Entity)"
            out.append(f"NOT {other}{comp.hop(e, var, anonymous=True)}({name})")
    return out
