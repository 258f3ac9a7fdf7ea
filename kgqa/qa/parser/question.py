"""The question level: the question word decides the answer's head, the grammar parses the rest.

Question words are dispatched from a table (``OPENINGS``); each opening says which heads the answer may
have, whether the question counts, and which types the question word allows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kgqa.qa.parser.grammar import Grammar
from kgqa.qa.parser.lexicon import AUX, IMPERATIVE, PREPS
from kgqa.qa.parser.tree import Edge, Parse, Var

Heads = list[tuple[Var, int, bool]]  # (head, index after it, relational: "how many employees does X have")


@dataclass
class Opening:
    """What a question word sets up: candidate heads, counting, the types it allows."""

    heads: Heads
    count: bool = False
    qtypes: frozenset[str] | None = None


def _how_many(p: QuestionParser, i: int) -> Opening | None:
    if p.word(i + 1) != "many":
        return None
    return Opening(p.qheads(i + 2), count=True)


def _who(p: QuestionParser, i: int) -> Opening:
    qtypes = frozenset(p.lex.qwords.get(p.word(i), set()) or {"Person", "Organization"})
    return Opening([(Var(), i + 1, False)], qtypes=qtypes)


def _where(p: QuestionParser, i: int) -> Opening:
    qtypes = frozenset(p.lex.qwords.get("where", set()) | {"Organization"})
    return Opening([(Var(), i + 1, False)], qtypes=qtypes)


def _which(p: QuestionParser, i: int) -> Opening:
    return Opening([*p.qheads(i + 1), (Var(), i + 1, False)])


OPENINGS: dict[str, Callable[[QuestionParser, int], Opening | None]] = {
    "how": _how_many,
    "who": _who,
    "whom": _who,
    "whose": _who,
    "where": _where,
    "which": _which,
    "what": _which,
}


class QuestionParser(Grammar):
    """Every parse of a whole question (placeholders for its linked entities)."""

    def question(self) -> list[Parse]:
        i = 0
        fronted = False
        w = self.word(0)
        if w in PREPS and self.word(1) in {"which", "what", "whom"}:  # "for which company does X work"
            fronted = True
            i = 1
            w = self.word(1)
        opening_of = OPENINGS.get(w)
        if opening_of is None:
            return self._imperative(i) if w in IMPERATIVE else []
        opening = opening_of(self, i)
        if opening is None:
            return []
        parses: list[Parse] = []
        for head, j, relational in opening.heads:
            parses.extend(self._bodies(head, j, relational, opening.count, opening.qtypes, fronted))
        return parses

    def _imperative(self, i: int) -> list[Parse]:
        """Imperatives ("list the employees of X"): a relational noun phrase up to the end."""
        j = self.skip(i + 1, {"me", "us", "all", "every"})
        return [Parse(v) for v, k in self.np(j) if k == self.n and v.const is None and v.edges]

    def qheads(self, i: int) -> Heads:
        """What follows which/what/how many: a type noun, a relational NP, or a bare relational noun."""
        out: Heads = []
        for j, etype in self.match(self.lex.types, i):
            out.append((Var(types=frozenset([etype])), j, False))
        for v, j in self.np(i, 1):
            if v.const is None and v.edges:
                out.append((v, j, False))
        for j, senses in self.match(self.lex.nouns, i):
            for s in senses:  # "how many employees does X have": edge to be filled by the body
                out.append((Var(edges=[Edge(s.rel, s.subject_role, Var(const=-1))]), j, True))
        return out

    def _bodies(
        self, head: Var, i: int, relational: bool, count: bool, qtypes: frozenset[str] | None, fronted: bool
    ) -> list[Parse]:
        """Parses of the rest of the question (from i) that fill in ``head``."""
        if relational:  # "... does X have"
            return self._have_body(head, i, count, qtypes)
        out: list[Parse] = []
        if i == self.n and head.edges:
            out.append(Parse(head, count, qtypes))
        for edges, k in self.vp(i, 0):
            if k == self.n:
                out.append(Parse(head.with_edges(edges), count, qtypes))
        for edges, k in self.object_gap(i, 0):
            if k == self.n:
                out.append(Parse(head.with_edges(edges), count, qtypes, penalty=0.5 if fronted else 0.0))
        j = self.skip(i, AUX)
        if j > i:
            out.extend(self._copula_bodies(head, j, count, qtypes))
        return out

    def _have_body(self, head: Var, i: int, count: bool, qtypes: frozenset[str] | None) -> list[Parse]:
        """A relational head filled by "does X have": "how many employees does X have"."""
        out: list[Parse] = []
        j = self.skip(i, AUX)
        for subj, k in self.np(j):
            if self.word(k) in {"have", "has"} and k + 1 == self.n and subj.const is not None:
                edge = head.edges[0]
                out.append(Parse(Var(head.const, head.types, [Edge(edge.rel, edge.out, subj)]), count, qtypes))
        return out

    def _copula_bodies(self, head: Var, j: int, count: bool, qtypes: frozenset[str] | None) -> list[Parse]:
        """After a copula: "who is the CEO of X" (a relational NP), "where is X" (a guess over location relations)."""
        out: list[Parse] = []
        for v, k in self.np(j):
            if k != self.n:
                continue
            if v.const is None and v.edges:  # "who is the CEO of X"
                types = v.types if head.types is None else (head.types if v.types is None else v.types)
                out.append(Parse(Var(None, types, [*head.edges, *v.edges]), count, qtypes))
            elif v.const is not None and qtypes and "Location" in qtypes and not head.edges:
                # "where is X": any relation from X to a location
                for rel, rng in self.lex.range.items():
                    if "Location" in rng:
                        out.append(Parse(Var(edges=[Edge(rel, False, v)]), count, frozenset({"Location"}), 1.0, True))
        return out
