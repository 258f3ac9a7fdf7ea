"""The phrase grammar: noun phrases, verb phrases and relative clauses over a question's tokens.

A small backtracking grammar: every rule returns all its (result, next token index) alternatives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from kgqa.qa.parser.lexicon import AUX, DET, PREPS, REL_WORDS, Lexicon, VerbSense, stem
from kgqa.qa.parser.tree import Edge, Var, is_bare

MAX_DEPTH = 6
Clauses = list[tuple[list[Edge], int]]
POSSESSIVE_PRONOUNS = {"its", "his", "her", "their"}
CONJUNCTIONS = {"and", "but", "yet"}
ANYONE = {"anyone", "anybody", "someone", "somebody", "anything", "something"}  # some entity, of any type
NOBODY = {"nobody", "noone"}  # "the companies nobody founded"
HAVE = {"have", "has", "had"}
SOME = {"a", "an", "any", "some"}  # "has a CEO", "have any children"
COPULA = {"is", "was", "are", "were"}


class Grammar:
    """The phrase-level rules over one question's tokens (linked entities as ``@e<k>``)."""

    def __init__(self, toks: list[str], lex: Lexicon) -> None:
        self.raw = toks
        self.t = [tok if tok.startswith("@e") else stem(tok) for tok in toks]
        self.n = len(toks)
        self.lex = lex

    # token helpers
    def at(self, i: int) -> str:
        return self.t[i] if i < self.n else ""

    def word(self, i: int) -> str:
        return self.raw[i] if i < self.n else ""

    def skip(self, i: int, words_: set[str]) -> int:
        while i < self.n and self.raw[i] in words_:
            i += 1
        return i

    def match(self, table: dict, i: int) -> Iterator[tuple[int, object]]:
        """Entries of ``table`` whose stemmed key starts at i, longest first."""
        for size in range(min(self.lex.max_len, self.n - i), 0, -1):
            key = tuple(self.t[i : i + size])
            if key in table:
                yield i + size, table[key]

    def type_head(self, i: int, j: int, etype: str) -> Var:
        """The variable a type noun at i..j names, with its level ("country": top of the chain)."""
        key = tuple(self.t[i:j])
        level = self.lex.levels.get(key) if etype in self.lex.level_rel else None
        return Var(types=frozenset([etype]), level=level, noun=" ".join(self.raw[i:j]))

    def antecedent(self, i: int) -> int | None:
        """The linked entity a pronoun at i refers to: the nearest one before it."""
        for k in range(i - 1, -1, -1):
            if self.t[k].startswith("@e"):
                return int(self.t[k][2:])
        return None

    def verbs_at(self, i: int, *, gap_end: bool = False) -> Iterator[tuple[int, VerbSense]]:
        """Verb phrases at i; with ``gap_end`` also phrases whose final preposition is dropped."""
        for j, senses in self.match(self.lex.verbs, i):
            for s in senses:
                yield j, s
        if gap_end:
            for size in range(1, min(self.lex.max_len, self.n - i) + 1):
                j = i + size
                if j < self.n and self.raw[j] not in {"and"}:
                    continue
                prefix = tuple(self.t[i:j])
                for k, senses in self.lex.verbs.items():
                    # "where was X born [in]" drops its preposition; a passive agent "by" only when
                    # it was fronted ("by which company was X acquired"), never in "did X acquire"
                    fronted = k[-1] != "by" or (self.n > 0 and self.raw[0] == "by")
                    if len(k) == size + 1 and k[:size] == prefix and k[-1] in PREPS and fronted:
                        for s in senses:
                            yield j, s

    # grammar: every function returns (result, next index) alternatives
    def np(self, i: int, depth: int = 0) -> list[tuple[Var, int]]:
        """Noun phrases: "X", "X's CEO", "the CEO of X", "the company that/where/X ...", a type noun."""
        if depth > MAX_DEPTH or i >= self.n:
            return []
        out: list[tuple[Var, int]] = []
        i = self.skip(i, DET | {"any"})
        tok = self.at(i)
        if tok.startswith("@e"):
            base = Var(const=int(tok[2:]))
            out.extend(self._possessive(base, i + 1, depth))
            if self.word(i + 1) != "'s":  # "University of Essendine alumni": the alumni of X
                for j, senses in self.match(self.lex.nouns, i + 1):
                    if self.word(j) != "of":
                        out.extend((Var(edges=[Edge(s.rel, s.subject_role, base)]), j) for s in senses)
        if self.word(i) in ANYONE:  # "founded by anyone": some entity at the other end
            out.append((Var(), i + 1))
            if self.word(i + 1) in REL_WORDS:  # "anyone who lives in X"
                out.extend((Var(edges=edges), k) for edges, k in self.clause(i + 2, depth + 1))
        if self.word(i) in POSSESSIVE_PRONOUNS and (ref := self.antecedent(i)) is not None:
            for j, senses in self.match(self.lex.nouns, i + 1):  # "its CEO": the CEO of the entity named before
                out.extend((Var(edges=[Edge(s.rel, s.subject_role, Var(const=ref))]), j) for s in senses)
        for j, senses in self.match(self.lex.nouns, i):
            if self.word(j) in {"of", "at", "for", "in"}:
                for inner, k in self.np(j + 1, depth + 1):
                    for s in senses:
                        out.append((Var(edges=[Edge(s.rel, s.subject_role, inner)]), k))
        for j, etype in self.match(self.lex.types, i):
            head = self.type_head(i, j, etype)
            out.append((head, j))
            for sense in self.lex.bare_preps.get((self.word(j),), []):  # "towns in Y", "the towns on the coast"
                for obj, k in self.np(j + 1, depth + 1):
                    if obj.const is not None:
                        out.append((head.with_edges([Edge(sense.rel, sense.forward, obj)]), k))
            if self.word(j) in REL_WORDS:
                for edges, k in self.clause(j + 1, depth + 1):
                    out.append((head.with_edges(edges), k))
            elif self.word(j) == "where":  # "the company where X works": object gap, preposition dropped
                for edges, k in self.object_gap(j + 1, depth + 1):
                    out.append((head.with_edges(edges), k))
            for edges, k in self.vp(j, depth + 1, allow_aux=False):
                out.append((head.with_edges(edges), k))
            for edges, k in self.object_gap(j, depth + 1):
                out.append((head.with_edges(edges), k))
        # trailing relative clause filters a relational NP: "the employees of X who live in Y"
        more: list[tuple[Var, int]] = []
        for v, k in out:
            if v.const is None and v.edges and self.word(k) in REL_WORDS:
                for edges, m in self.clause(k + 1, depth + 1):
                    more.append((v.with_edges(edges), m))
        return out + more

    def _possessive(self, base: Var, i: int, depth: int) -> list[tuple[Var, int]]:
        """``base`` and its possessive chains: "X's CEO", "X's CEO's sibling"."""
        out = [(base, i)]
        if self.word(i) == "'s":
            for j, senses in self.match(self.lex.nouns, i + 1):
                for s in senses:
                    out.extend(self._possessive(Var(edges=[Edge(s.rel, s.subject_role, base)]), j, depth + 1))
            for j, etype in self.match(self.lex.types, i + 1):  # "X's books": whatever relation joins them
                head = self.type_head(i + 1, j, etype)
                for rel in self.lex.domain:
                    if rel in self.lex.symmetric:
                        continue
                    if etype in self.lex.range[rel]:
                        out.append((head.with_edges([Edge(rel, False, base)]), j))
                    if etype in self.lex.domain[rel]:
                        out.append((head.with_edges([Edge(rel, True, base)]), j))
        return out

    def vp(self, i: int, depth: int, *, allow_aux: bool = True) -> Clauses:
        """Subject-gap verb phrase: "works for X", "was acquired by X", "is the CEO of X"."""
        if depth > MAX_DEPTH:
            return []
        out: Clauses = []
        i0 = self.skip(i, AUX) if allow_aux else i
        negated = i0 > i and self.word(i0) == "not"  # "did not study at X", "is not its CEO"
        i0 += int(negated)
        if self.word(i0) == "never":  # "never studied at X", "has never lived in X"
            negated, i0 = True, i0 + 1
        for j, sense in self.verbs_at(i0):
            for obj, k in self.np(j, depth + 1):
                out.append(([Edge(sense.rel, sense.forward, obj, negated)], k))
                if obj.const is not None and self.word(k) == "and":  # "lives in (both) A and B"
                    out.extend(
                        ([Edge(sense.rel, sense.forward, obj, negated), Edge(sense.rel, sense.forward, o2, negated)], m)
                        for o2, m in self.np(k + 1, depth + 1)
                        if o2.const is not None
                    )
            out.extend(self._same_as(j, sense, negated, depth))
        out.extend(self._have(i, i0, negated))
        for sense in self.lex.bare_preps.get((self.word(i0),), []) if i0 > i else []:  # "are in X"
            out.extend(([Edge(sense.rel, sense.forward, obj, negated)], k) for obj, k in self.np(i0 + 1, depth + 1))
        if allow_aux and i0 > i:  # copula + relational NP: "is the CEO of X" / "is X's CEO"
            for v, k in self.np(i0, depth + 1):
                if v.const is None and v.edges and not (negated and len(v.edges) > 1):
                    out.append(([Edge(e.rel, e.out, e.other, negated) for e in v.edges] if negated else v.edges, k))
        # a negated edge is a filter on a named entity or on any entity ("not founded by anyone"), never on
        # one with constraints of its own ("not founded by someone born in X")
        out = [
            (edges, k)
            for edges, k in out
            if all(e.other.const is not None or is_bare(e.other) for e in edges if e.negated)
        ]
        return self._conj(out, depth, self.vp)

    def _same_as(self, j: int, sense: VerbSense, negated: bool, depth: int) -> Clauses:
        """ "(was born in) the same town as P": the answer shares with P an entity of the asked type."""
        out: Clauses = []
        m = self.skip(j, DET)
        if self.word(m) != "same" or negated:
            return out
        for e, etype in self.match(self.lex.types, m + 1):
            if self.word(e) != "as":
                continue
            for other, k in self.np(e + 1, depth + 1):
                if other.const is not None:
                    shared = self.type_head(m + 1, e, etype).with_edges([Edge(sense.rel, not sense.forward, other)])
                    out.append(([Edge(sense.rel, sense.forward, shared)], k))
        return out

    def _have(self, i: int, i0: int, negated: bool) -> Clauses:
        """ "has a CEO", "have no CEO", "does not have a sibling": an edge to some entity, or to none."""
        j = i0
        if self.word(j) in HAVE:
            j += 1
        elif not (i0 > i and self.word(i0 - 1) in HAVE):
            return []
        det = self.word(j)
        if det not in SOME | {"no"} or (negated and det == "no"):
            return []
        out: Clauses = []
        for k, senses in self.match(self.lex.nouns, j + 1):
            if self.word(k) not in {"of", "at", "for", "in"}:  # "has a CEO of its own" is not this
                out.extend(([Edge(s.rel, not s.subject_role, Var(), negated or det == "no")], k) for s in senses)
        return out

    def object_gap(self, i: int, depth: int) -> Clauses:
        """Object-gap clause: "X acquired", "X works for", "does X work", "was X born"."""
        if depth > MAX_DEPTH:
            return []
        out: Clauses = []
        i0 = self.skip(i, AUX)
        nobody = 1 if self.word(i0) in NOBODY else 2 if (self.word(i0), self.word(i0 + 1)) == ("no", "one") else 0
        if nobody:  # "the companies nobody founded": no such edge at all
            for k, sense in self.verbs_at(self.skip(i0 + nobody, AUX), gap_end=True):
                out.append(([Edge(sense.rel, not sense.forward, Var(), True)], k))
        for subj, j0 in self.np(i0, depth + 1):
            j = self.skip(j0, AUX)
            # "does X have" (an auxiliary that is the verb itself) before "was X born"
            for k, sense in [*(self.verbs_at(j0) if j > j0 else []), *self.verbs_at(j, gap_end=True)]:
                # (subj) verb (gap): forward → (subj)-[rel]->(gap), the gap's edge points in
                out.append(([Edge(sense.rel, not sense.forward, subj)], k))
            if j == self.n - 1 and j > i0 and (self.word(j),) in self.lex.bare_preps:
                for sense in self.lex.bare_preps[(self.word(j),)]:  # "which country is X in"
                    out.append(([Edge(sense.rel, not sense.forward, subj)], j + 1))
            if i0 > i and self.word(i0 - 1) in COPULA:  # "what country is X part of", "which firm is X the CEO of"
                for e, senses in self.match(self.lex.nouns, self.skip(j0, DET)):
                    if self.word(e) == "of" and e + 1 == self.n:
                        out.extend(([Edge(s.rel, not s.subject_role, subj)], e + 1) for s in senses)
        return out

    def clause(self, i: int, depth: int) -> Clauses:
        """A relative clause with its subject or its object gapped."""
        return self.vp(i, depth) + self.object_gap(i, depth)

    def _conj(self, results: Clauses, depth: int, fn: Callable[[int, int], Clauses]) -> Clauses:
        """Each result, and each extended by "and" + another phrase of the same kind."""
        out = list(results)
        for edges, k in results:
            if self.word(k) in CONJUNCTIONS:
                nxt = self.skip(k + 1, REL_WORDS)
                for more, m in fn(nxt, depth + 1):
                    out.append(([*edges, *more], m))
        return out
