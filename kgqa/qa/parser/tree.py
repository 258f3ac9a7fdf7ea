"""Parse trees: a tree of constraints rooted at the answer, and the walks over it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from kgqa.qa.model import LinkedEntity


@dataclass
class Var:
    """A set of entities: a linked entity (``const``) or a variable with constraints."""

    const: int | None = None
    types: frozenset[str] | None = None
    edges: list[Edge] = field(default_factory=list)
    level: str | None = None  # "top"/"middle"/"leaf": a country, region or city (ontology ``levels``)
    noun: str = ""  # the type noun the question used ("country"), for answer texts

    def with_edges(self, edges: list[Edge]) -> Var:
        return Var(self.const, self.types, [*self.edges, *edges], self.level, self.noun)

    def describe(self, linked: list[LinkedEntity]) -> str:
        if self.const is not None:
            return linked[self.const].name if self.const < len(linked) else f"$e{self.const}"
        parts = [e.describe(linked) for e in self.edges]
        head = "/".join(sorted(self.types)) if self.types else "?"
        return f"{head}[{'; '.join(parts)}]" if parts else head


@dataclass
class Edge:
    """A constraint on its owner: a relation to another variable or entity."""

    rel: str
    out: bool  # (owner)-[rel]->(other) when True
    other: Var
    negated: bool = False  # "did not study at X": the owner has no such edge (closed world); ``other`` is a constant

    def describe(self, linked: list[LinkedEntity]) -> str:
        arrow = f"-{self.rel}->" if self.out else f"<-{self.rel}-"
        arrow = f"NOT {arrow}" if self.negated else arrow
        return f"{arrow}{self.other.describe(linked)}"


@dataclass
class Parse:
    """One reading of a question: the answer's tree, and how the question asks for it."""

    answer: Var
    count: bool = False
    qtypes: frozenset[str] | None = None  # types the question word allows
    penalty: float = 0.0
    generic: bool = False  # "where is X": a guess over location relations
    # list, count, yes_no ("was A born in B"), same ("were A and B born in the same city"), superlative
    # ("which university has the most graduates": ``counted`` per answer), ordered ("the oldest company")
    kind: str = "list"
    subject: int | None = None  # yes_no: the linked entity the answer must be
    counted: Edge | None = None  # superlative: the answer's edge whose other ends are counted
    order: str = ""  # superlative: "most" or "fewest"; ordered: "asc" or "desc"
    prop: str = ""  # ordered: the node property ordered by
    prop_what: str = ""  # ordered: the property's name in answers ("founding dates")
    word: str = ""  # the superlative as asked: "most", "oldest"
    phrase: str = ""  # superlative: what the answer does, as asked: "with the most graduates"


def leaf_paths(var: Var, trail: list[tuple[Var, Edge]], bare: bool = False) -> Iterator[list[tuple[Var, Edge]]]:
    """Every root → constant chain: [(owner, edge), ...] (negated edges are filters, not chains); with ``bare``
    also the chains that end at a bare variable ("founded a company": some entity at the other end)."""
    for edge in var.edges:
        if edge.negated:
            continue
        step = [*trail, (var, edge)]
        if edge.other.const is not None or (bare and is_bare(edge.other)):
            yield step
        elif edge.other.edges:
            yield from leaf_paths(edge.other, step, bare)


def is_bare(var: Var) -> bool:
    """A variable with neither an entity nor constraints of its own: "a company", "anyone"."""
    return var.const is None and not var.edges


def anchored(var: Var) -> bool:
    """True when the tree names a linked entity somewhere."""
    return var.const is not None or any(anchored(e.other) for e in var.edges)


def find(var: Var, var_id: int) -> Var | None:
    """The variable in the tree whose ``id()`` is ``var_id``."""
    if id(var) == var_id:
        return var
    for e in var.edges:
        found = find(e.other, var_id)
        if found is not None:
            return found
    return None


def has_bare_edge(var: Var) -> bool:
    """An edge to a variable with neither an entity nor constraints of its own."""
    return any(is_bare(e.other) or has_bare_edge(e.other) for e in var.edges)


def relations(var: Var) -> set[str]:
    """Every relation type in the tree."""
    out: set[str] = set()
    for e in var.edges:
        out.add(e.rel)
        out |= relations(e.other)
    return out


def size(var: Var) -> int:
    """The number of edges in the tree."""
    return sum(1 + size(e.other) for e in var.edges)


def depth(var: Var) -> int:
    """The longest root → leaf chain, in edges."""
    return max((1 + depth(e.other) for e in var.edges), default=0)


def uses_all(var: Var, n: int, subject: int | None = None) -> bool:
    """True when the tree (and a yes/no question's ``subject``) mentions each of the ``n`` linked entities."""
    seen: set[int] = set() if subject is None else {subject}

    def walk(v: Var) -> None:
        if v.const is not None:
            seen.add(v.const)
        for e in v.edges:
            walk(e.other)

    walk(var)
    return seen == set(range(n))


def fingerprint(var: Var) -> str:
    """A canonical text of the tree (edge order ignored), to drop duplicate parses."""
    if var.const is not None:
        return f"@{var.const}"
    inner = ",".join(
        sorted(f"{'!' if e.negated else ''}{e.rel}{'>' if e.out else '<'}{fingerprint(e.other)}" for e in var.edges)
    )
    return f"{sorted(var.types or [])}{var.level or ''}({inner})"
