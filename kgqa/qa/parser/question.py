"""The question level: the question word decides the answer's head, the grammar parses the rest.

Question words are dispatched from a table (``OPENINGS``); each opening says which heads the answer may
have, whether the question counts, and which types the question word allows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kgqa.qa.parser.grammar import Grammar
from kgqa.qa.parser.lexicon import AUX, DET, IMPERATIVE, PREPS, REL_WORDS
from kgqa.qa.parser.superlative import asks_superlative, superlatives
from kgqa.qa.parser.tree import Edge, Parse, Var
from kgqa.qa.parser.whole import type_questions

Heads = list[tuple[Var, int, bool]]  # (head, index after it, relational: "how many employees does X have")
# "who is X", "tell me about X", "what do you know about X": a summary of the entity's facts
SUMMARY_OPENINGS = (("who", "is"), ("who", "was"), ("what", "is"), ("tell", "me", "about"), ("describe",))
SUMMARY_OPENINGS += (("what", "do", "you", "know", "about"), ("who", "are"), ("what", "are"))
SUMMARY_OPENINGS += (("what", "can", "you", "tell", "me", "about"),)


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
    heads = [*p.qheads(i + 1), (Var(), i + 1, False)]
    if p.word(i + 1) == "of":  # "which of X's children ...", "which of the people born in Y ..."
        heads += [(v, j, False) for v, j in p.np(i + 2, 1) if v.const is None and (v.edges or v.types)]
    return Opening(heads)


def _number(p: QuestionParser, i: int) -> Opening | None:
    """ "Number of people who live in X", "the total number of ..."."""
    return Opening(p.qheads(i + 2), count=True) if p.word(i + 1) == "of" else None


def _count(p: QuestionParser, i: int) -> Opening:
    """ "Count the people who studied at X"."""
    return Opening(p.qheads(p.skip(i + 1, DET | {"all", "every"})), count=True)


OPENINGS: dict[str, Callable[[QuestionParser, int], Opening | None]] = {
    "how": _how_many,
    "who": _who,
    "whom": _who,
    "whose": _who,
    "where": _where,
    "which": _which,
    "what": _which,
    "number": _number,
    "count": _count,
}
STATEMENT_OPENINGS = (("is", "it", "true", "that"), ("is", "it", "the", "case", "that"), ("true", "or", "false"))
STATEMENT_OPENINGS += (("whether",), ("if",))  # "do you know whether X was born in Y" (courtesy set aside)
# "what is the name of X", "what are the names of ...": the noun phrase is the question
NAME_OPENINGS = (("what", "is", "the", "name", "of"), ("what", "are", "the", "names", "of"))
NAME_OPENINGS += (("what", "was", "the", "name", "of"), ("give", "me", "the", "name", "of"), ("the", "name", "of"))
ANYONE_HEADS = {"anyone", "anybody", "everyone", "everybody", "someone", "somebody", "those"}


class QuestionParser(Grammar):
    """Every parse of a whole question (placeholders for its linked entities)."""

    def question(self) -> list[Parse]:
        summary = self._summary()
        if summary:
            return summary
        statement = next((len(o) for o in STATEMENT_OPENINGS if tuple(self.raw[: len(o)]) == o), 0)
        if statement:  # "Is it true that X is based in Y?"
            return self._yes_no(statement)
        if self.word(0) in AUX:
            return self._yes_no() + self._same() + self._exists()
        named = next((len(o) for o in NAME_OPENINGS if tuple(self.raw[: len(o)]) == o), 0)
        if named:
            return [Parse(v) for v, k in self.np(named) if k == self.n and v.const is None and v.edges]
        whole = type_questions(self)  # "how many people are in the graph", "list all companies"
        if whole:
            return whole
        i = 0
        fronted = False
        w = self.word(0)
        if w in {"the", "total"} or tuple(self.raw[:3]) == ("what", "is", "the"):  # "what is the number of ..."
            k = self.skip(3 if w == "what" else 0, {"the", "total"})
            if self.word(k) == "number" or w != "what":
                i, w = k, self.word(k)
        if w == "where" and self.word(1) == "in":
            return self._where_in()
        if w in PREPS and self.word(1) in {"which", "what", "whom"}:  # "for which company does X work"
            fronted = True
            i = 1
            w = self.word(1)
        if asks_superlative(self.raw, self.lex):  # "the most", "the oldest": nothing else reads it
            return superlatives(self, i)
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

    def _summary(self) -> list[Parse]:
        """ "Who is X?", "Tell me about X.": X alone after a summary opening."""
        for opening in SUMMARY_OPENINGS:
            k = len(opening)
            if tuple(self.raw[:k]) == opening and self.n == k + 1 and self.at(k).startswith("@e"):
                return [Parse(Var(const=int(self.at(k)[2:])), kind="summary")]
        return []

    def _yes_no(self, start: int = 1) -> list[Parse]:
        """ "Was X born in Y?", "Is X a subsidiary of Y?", "Is X in Y?", "Does X have a sibling?", and a
        statement after "is it true that" (from ``start``): does the graph hold the statement? "Isn't X ...?"
        asks the same as "Is X ...?"."""
        out: list[Parse] = []
        if start == 1 and self.word(1) == "not":
            start = 2
        for subj, j in self.np(start):
            if subj.const is None:
                continue
            bodies = [(edges, k) for edges, k in self.vp(j, 1)]
            bodies += [(v.edges, k) for v, k in self.np(j, 1) if v.const is None and v.edges]
            for sense in self.lex.bare_preps.get((self.word(j),), []):  # "is X in Y"
                bodies += [
                    ([Edge(sense.rel, sense.forward, o)], k) for o, k in self.np(j + 1, 1) if o.const is not None
                ]
            for edges, k in bodies:
                if k == self.n and not any(e.negated for e in edges):
                    out.append(Parse(Var(edges=list(edges)), kind="yes_no", subject=subj.const))
        return out

    def _exists(self) -> list[Parse]:
        """ "Are there any people born in Y?": yes when the graph has one (closed world)."""
        if self.word(1) != "there":
            return []
        return [
            Parse(v, kind="yes_no")
            for v, k in self.np(self.skip(2, {"any", "some"}), 1)
            if k == self.n and v.const is None and v.edges
        ]

    def _where_in(self) -> list[Parse]:
        """ "Where in Y is X?": the places X is directly in that are themselves (transitively) in Y."""
        out: list[Parse] = []
        for place, j in self.np(2):
            k = self.skip(j, AUX)
            if place.const is None or k == j:
                continue
            for thing, m in self.np(k):
                if m != self.n or thing.const is None:
                    continue
                for sense in self.lex.bare_preps.get(("in",), []):
                    edges = [Edge(sense.rel, not sense.forward, thing), Edge(sense.rel, sense.forward, place)]
                    out.append(Parse(Var(types=frozenset({"Location"}), edges=edges), qtypes=frozenset({"Location"})))
        return out

    def _same(self) -> list[Parse]:
        """ "Were X and Y born in the same city?": an entity of the asked type both are related to."""
        out: list[Parse] = []
        for a, j in self.np(1):
            if a.const is None or self.word(j) != "and":
                continue
            for b, k in self.np(j + 1):
                if b.const is None:
                    continue
                for m, sense in self.verbs_at(self.skip(k, AUX)):
                    m = self.skip(m, DET)
                    if self.word(m) != "same":
                        continue
                    for e, etype in self.match(self.lex.types, m + 1):
                        if e == self.n:
                            head = self.type_head(m + 1, e, etype)
                            edges = [Edge(sense.rel, not sense.forward, a), Edge(sense.rel, not sense.forward, b)]
                            out.append(Parse(head.with_edges(edges), kind="same"))
        return out

    def _imperative(self, i: int) -> list[Parse]:
        """Imperatives ("list the employees of X"): a relational noun phrase up to the end."""
        j = self.skip(i + 1, {"me", "us", "all", "every"})
        if self.word(j) in ANYONE_HEADS and self.word(j + 1) in REL_WORDS:  # "name anyone who works for X"
            return [Parse(Var(edges=edges)) for edges, k in self.clause(j + 2, 1) if k == self.n]
        return [Parse(v) for v, k in self.np(j) if k == self.n and v.const is None and v.edges]

    def qheads(self, i: int) -> Heads:
        """What follows which/what/how many: a type noun, a relational NP, or a bare relational noun."""
        out: Heads = []
        for j, etype in self.match(self.lex.types, i):
            out.append((self.type_head(i, j, etype), j, False))
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
        if fronted and j > i:
            out.extend(Parse(head.with_edges(edges), count, qtypes) for edges in self._fronted_gap(j))
        return out

    def _fronted_gap(self, j: int) -> list[list[Edge]]:
        """ "In which country is X?": the fronted preposition is the relation ("is in"), X ends the question."""
        senses = self.lex.bare_preps.get((self.word(0),), [])
        return [
            [Edge(s.rel, not s.forward, subj)]
            for subj, k in self.np(j)
            if k == self.n and subj.const is not None
            for s in senses
        ]

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
