"""Ranking parses: how well a parse fits the graph schema, the relations' types and the question word."""

from __future__ import annotations

from kgqa.graph.schema import GraphSchema
from kgqa.qa.model import LinkedEntity
from kgqa.qa.parser.lexicon import Lexicon, lexicon
from kgqa.qa.parser.tree import Edge, Parse, Var, size


def types_of(var: Var, linked: list[LinkedEntity], lex: Lexicon) -> set[str] | None:
    """Types a variable can have, from its type noun, its constant's type and its relations."""
    if var.const is not None:
        t = linked[var.const].type if 0 <= var.const < len(linked) else None
        return {t} if t else None
    allowed: set[str] | None = set(var.types) if var.types else None
    for e in var.edges:
        side = lex.domain.get(e.rel) if e.out else lex.range.get(e.rel)
        if e.rel in lex.symmetric:
            side = lex.domain.get(e.rel, set()) | lex.range.get(e.rel, set())
        if side:
            allowed = set(side) if allowed is None else allowed & side
    return allowed


def _expected(e: Edge, lex: Lexicon) -> set[str] | None:
    """The types the other end of ``e`` may have (its range, its domain, both for symmetric relations)."""
    if e.rel in lex.symmetric:
        return lex.domain.get(e.rel, set()) | lex.range.get(e.rel, set())
    return lex.range.get(e.rel) if e.out else lex.domain.get(e.rel)


def misfit(parse: Parse, linked: list[LinkedEntity], lex: Lexicon) -> bool:
    """True when a linked entity's type cannot play its role (a Location as the object of CEO_OF): the
    reading cannot hold, whatever the graph says, so it is no answer (another linking may be)."""

    def clash(var: Var) -> bool:
        for e in var.edges:
            other = types_of(e.other, linked, lex) if e.other.const is not None else None
            expected = _expected(e, lex)
            if (other and expected and not other & expected) or clash(e.other):
                return True
        return False

    if parse.subject is not None and 0 <= parse.subject < len(linked):  # yes/no: the answer is this entity
        own = types_of(parse.answer, linked, lex)
        subject_type = linked[parse.subject].type
        if own is not None and subject_type and subject_type not in own:
            return True
    return clash(parse.answer)


def score(parse: Parse, linked: list[LinkedEntity], schema: GraphSchema, lex: Lexicon) -> float:
    """Lower is better: schema misfits, type clashes, parse penalties."""
    cost = parse.penalty
    rels = set(schema.relationship_types)

    def walk(var: Var) -> None:
        nonlocal cost
        own = types_of(var, linked, lex)
        if own is not None and not own:
            cost += 3  # contradictory constraints (type noun vs relation domain)
        for e in var.edges:
            if rels and e.rel not in rels:
                cost += 5
            other = types_of(e.other, linked, lex)
            expected = lex.range.get(e.rel) if e.out else lex.domain.get(e.rel)
            if e.rel in lex.symmetric:
                expected = lex.domain.get(e.rel, set()) | lex.range.get(e.rel, set())
            if other and expected and not (other & expected):
                cost += 4  # the linked entity cannot play this role
            walk(e.other)

    walk(parse.answer)
    found = types_of(parse.answer, linked, lex)
    if parse.qtypes and found and not (found & parse.qtypes):
        cost += 2
    cost += 0.01 * size(parse.answer)
    return cost


def answer_types(parse: Parse, linked: list[LinkedEntity], ontology: str | None = None) -> set[str] | None:
    """The entity types the answers of a parse should have (question word ∩ relation ranges)."""
    lex = lexicon(ontology)
    own = types_of(parse.answer, linked, lex)
    if parse.qtypes and own:
        both = own & parse.qtypes
        return both or own
    return own or (set(parse.qtypes) if parse.qtypes else None)
