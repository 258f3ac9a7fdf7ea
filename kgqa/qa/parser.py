"""Offline question → Cypher: a compositional parser over the ontology's relation phrases and nouns.

The question's linked entities are replaced by placeholders, words are stemmed, and a small
backtracking grammar builds a tree of constraints rooted at the answer:

- noun chains: "the sibling of the CEO of X", "X's CEO", "the birthplace of X"
- relative clauses: "the company that acquired X", "the firm that X bought", "the company X founded",
  participles: "the company founded by X"
- subject and object questions: "who works for X", "where does X work", "which company did X acquire"
- filters: "people who work for X and live in Y"; question words who/which/what/where/how many

Each parse compiles to parameterised Cypher (entity ids as ``$e0``, ``$e1``), written from the linked
entities towards the answer, with fixed-length patterns, symmetric relations undirected, and a LIMIT.
Parses are ranked by how well they fit the graph schema and the question word.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from kgqa.graph.schema import GraphSchema
from kgqa.ontology import Ontology, load_ontology
from kgqa.qa.generate import DEFAULT_LIMIT, CypherCandidate, ExampleLike, entity_params
from kgqa.qa.model import LinkedEntity

AUX = {"is", "was", "are", "were", "be", "been", "being", "does", "did", "do", "has", "have", "had", "will"}
DET = {"the", "a", "an"}
REL_WORDS = {"that", "which", "who", "whom"}
PREPS = {"in", "at", "for", "from", "to", "by", "of", "on", "with"}
FILLER = {"please", "currently", "also", "actually", "exactly", "still", "ever", "now", "today", "all", "both"}
IMPERATIVE = {"list", "name", "show", "give", "find", "tell", "return", "get"}
IRREGULAR = {
    "bought": "buy",
    "died": "die",
    "wrote": "write",
    "written": "write",
    "led": "lead",
    "ran": "run",
    "took": "take",
    "taken": "take",
    "people": "person",
    "men": "man",
    "women": "woman",
    "children": "child",
    "wives": "wife",
    "founders": "founder",
    "alumni": "alumnus",
    "alumnae": "alumna",
    "grew": "grow",
    "began": "begin",
}


def stem(word: str) -> str:
    """A crude, consistent stem: the same function runs over the lexicon and the question."""
    w = IRREGULAR.get(word, word)
    for _ in range(2):
        if (w.endswith("ies") and len(w) > 4) or (w.endswith("ied") and len(w) > 4):
            w = w[:-3] + "y"
        elif w.endswith("ing") and len(w) > 5:
            w = w[:-3]
        elif (w.endswith("ed") and len(w) > 4) or (w.endswith("es") and len(w) > 4 and not w.endswith("ses")):
            w = w[:-2]
        elif w.endswith("s") and not w.endswith("ss") and len(w) > 3:
            w = w[:-1]
        else:
            break
    while w.endswith("e") and len(w) > 3:
        w = w[:-1]
    return w


def words(text: str) -> list[str]:
    return re.findall(r"@e\d+|'s|[a-z0-9][a-z0-9\-]*", text.lower().replace("’", "'"))


# ------------------------------------------------------------------------------------------- lexicon


@dataclass(frozen=True)
class VerbSense:
    rel: str
    forward: bool  # "S phrase O" means (S)-[rel]->(O); False: (O)-[rel]->(S)
    prep_final: bool  # the phrase ends with a preposition (droppable at the end of a question)


@dataclass(frozen=True)
class NounSense:
    rel: str
    subject_role: bool  # "the CEO of X": answer is the subject (answer)-[rel]->(X); False: (X)-[rel]->(answer)


@dataclass
class Lexicon:
    ontology: Ontology
    verbs: dict[tuple[str, ...], list[VerbSense]] = field(default_factory=dict)
    nouns: dict[tuple[str, ...], list[NounSense]] = field(default_factory=dict)
    types: dict[tuple[str, ...], str] = field(default_factory=dict)
    qwords: dict[str, set[str]] = field(default_factory=dict)
    bare_preps: dict[tuple[str, ...], list[VerbSense]] = field(default_factory=dict)
    symmetric: set[str] = field(default_factory=set)
    domain: dict[str, set[str]] = field(default_factory=dict)
    range: dict[str, set[str]] = field(default_factory=dict)
    max_len: int = 1

    def reserved_words(self) -> set[str]:
        """Every word of the grammar, for the linker (a span made only of these is not an entity)."""
        out: set[str] = set()
        for phrase in self.ontology.relation_types:
            for p in [*phrase.phrases, *phrase.inverse_phrases, *phrase.nouns, *phrase.inverse_nouns]:
                out.update(p.split())
        for t in self.ontology.entity_types:
            out.update(w for n in t.nouns for w in n.split())
            out.update(t.question_words)
        return out


def _add(table: dict, key: tuple[str, ...], value: object) -> None:
    bucket = table.setdefault(key, [])
    if value not in bucket:
        bucket.append(value)


@lru_cache(maxsize=8)
def lexicon(ontology_path: str | None = None) -> Lexicon:
    """The parser's lexicon for an ontology (built once per process)."""
    onto = load_ontology(ontology_path)
    lex = Lexicon(onto)

    def key(text: str) -> tuple[str, ...]:
        return tuple(stem(w) for w in words(text))

    def verb(text: str, rel: str, forward: bool) -> None:
        toks = words(text)
        while toks and toks[0] in AUX:
            toks = toks[1:]
        if toks and len(toks) == 1 and toks[0] in PREPS and len(words(text)) > 1:
            # "is in": only usable as a question-final preposition ("which country is X in?")
            _add(lex.bare_preps, (toks[0],), VerbSense(rel, forward, True))
            return
        if not toks:
            return
        if toks[-1] == "of":  # "ceo of", "employee of": a noun, see below
            return
        _add(lex.verbs, tuple(stem(w) for w in toks), VerbSense(rel, forward, toks[-1] in PREPS))

    def noun(text: str, rel: str, subject_role: bool) -> None:
        k = key(text)
        if k:
            _add(lex.nouns, k, NounSense(rel, subject_role))

    for r in onto.relation_types:
        lex.domain[r.name] = set(r.domain)
        lex.range[r.name] = set(r.range)
        if r.symmetric:
            lex.symmetric.add(r.name)
        for p in r.phrases:
            verb(p, r.name, True)
            if p.endswith(" of"):
                noun(p[:-3], r.name, True)
        for p in r.inverse_phrases:
            verb(p, r.name, False)
            if p.endswith(" of"):
                noun(p[:-3], r.name, False)
        if r.inverse:
            if r.inverse.endswith(" of"):
                noun(r.inverse[:-3], r.name, False)
            else:
                verb(r.inverse, r.name, r.symmetric)
        for n in r.nouns:
            noun(n, r.name, True)
        for n in r.inverse_nouns:
            noun(n, r.name, False)
    for t in onto.entity_types:
        for n in t.nouns:
            lex.types.setdefault(key(n), t.name)
        for q in t.question_words:
            lex.qwords.setdefault(q, set()).add(t.name)
    lex.max_len = max(len(k) for k in [*lex.verbs, *lex.nouns, *lex.types])
    return lex


# ------------------------------------------------------------------------------------------- parse trees


@dataclass
class Var:
    """A set of entities: a linked entity (``const``) or a variable with constraints."""

    const: int | None = None
    types: frozenset[str] | None = None
    edges: list[Edge] = field(default_factory=list)

    def with_edges(self, edges: list[Edge]) -> Var:
        return Var(self.const, self.types, [*self.edges, *edges])

    def describe(self, linked: list[LinkedEntity]) -> str:
        if self.const is not None:
            return linked[self.const].name if self.const < len(linked) else f"$e{self.const}"
        parts = [e.describe(linked) for e in self.edges]
        head = "/".join(sorted(self.types)) if self.types else "?"
        return f"{head}[{'; '.join(parts)}]" if parts else head


@dataclass
class Edge:
    rel: str
    out: bool  # (owner)-[rel]->(other) when True
    other: Var

    def describe(self, linked: list[LinkedEntity]) -> str:
        arrow = f"-{self.rel}->" if self.out else f"<-{self.rel}-"
        return f"{arrow}{self.other.describe(linked)}"


@dataclass
class Parse:
    answer: Var
    count: bool = False
    qtypes: frozenset[str] | None = None  # types the question word allows
    penalty: float = 0.0
    generic: bool = False  # "where is X": a guess over location relations


class _Parser:
    def __init__(self, toks: list[str], lex: Lexicon, n_entities: int) -> None:
        self.raw = toks
        self.t = [tok if tok.startswith("@e") else stem(tok) for tok in toks]
        self.n = len(toks)
        self.lex = lex
        self.n_entities = n_entities

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
        for size in range(min(self.lex.max_len, self.n - i), 0, -1):
            key = tuple(self.t[i : i + size])
            if key in table:
                yield i + size, table[key]

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
        if depth > 6 or i >= self.n:
            return []
        out: list[tuple[Var, int]] = []
        i = self.skip(i, DET)
        tok = self.at(i)
        if tok.startswith("@e"):
            base = Var(const=int(tok[2:]))
            out.extend(self._possessive(base, i + 1, depth))
        for j, senses in self.match(self.lex.nouns, i):
            if self.word(j) in {"of", "at", "for", "in"}:
                for inner, k in self.np(j + 1, depth + 1):
                    for s in senses:
                        out.append((Var(edges=[Edge(s.rel, s.subject_role, inner)]), k))
        for j, etype in self.match(self.lex.types, i):
            head = Var(types=frozenset([etype]))
            out.append((head, j))
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
        out = [(base, i)]
        if self.word(i) == "'s":
            for j, senses in self.match(self.lex.nouns, i + 1):
                for s in senses:
                    out.extend(self._possessive(Var(edges=[Edge(s.rel, s.subject_role, base)]), j, depth + 1))
        return out

    def vp(self, i: int, depth: int, *, allow_aux: bool = True) -> list[tuple[list[Edge], int]]:
        """Subject-gap verb phrase: "works for X", "was acquired by X", "is the CEO of X"."""
        if depth > 6:
            return []
        out: list[tuple[list[Edge], int]] = []
        i0 = self.skip(i, AUX) if allow_aux else i
        for j, sense in self.verbs_at(i0):
            for obj, k in self.np(j, depth + 1):
                out.append(([Edge(sense.rel, sense.forward, obj)], k))
        if allow_aux and i0 > i:  # copula + relational NP: "is the CEO of X" / "is X's CEO"
            for v, k in self.np(i0, depth + 1):
                if v.const is None and v.edges:
                    out.append((v.edges, k))
        return self._conj(out, depth, self.vp)

    def object_gap(self, i: int, depth: int) -> list[tuple[list[Edge], int]]:
        """Object-gap clause: "X acquired", "X works for", "does X work", "was X born"."""
        if depth > 6:
            return []
        out: list[tuple[list[Edge], int]] = []
        i0 = self.skip(i, AUX)
        for subj, j in self.np(i0, depth + 1):
            j = self.skip(j, AUX)
            for k, sense in self.verbs_at(j, gap_end=True):
                # (subj) verb (gap): forward → (subj)-[rel]->(gap), the gap's edge points in
                out.append(([Edge(sense.rel, not sense.forward, subj)], k))
            if j == self.n - 1 and j > i0 and (self.word(j),) in self.lex.bare_preps:
                for sense in self.lex.bare_preps[(self.word(j),)]:  # "which country is X in"
                    out.append(([Edge(sense.rel, not sense.forward, subj)], j + 1))
            if self.word(j) in {"have", "has"} and depth == 0:
                pass
        return out

    def clause(self, i: int, depth: int) -> list[tuple[list[Edge], int]]:
        return self.vp(i, depth) + self.object_gap(i, depth)

    def _conj(self, results: list[tuple[list[Edge], int]], depth: int, fn) -> list[tuple[list[Edge], int]]:
        out = list(results)
        for edges, k in results:
            if self.word(k) == "and":
                nxt = self.skip(k + 1, REL_WORDS)
                for more, m in fn(nxt, depth + 1):
                    out.append(([*edges, *more], m))
        return out

    # question level
    def question(self) -> list[Parse]:
        i = 0
        parses: list[Parse] = []
        count = False
        qtypes: frozenset[str] | None = None
        head = Var()
        fronted = False
        w = self.word(0)
        if w in PREPS and self.word(1) in {"which", "what", "whom"}:  # "for which company does X work"
            fronted = True
            i = 1
            w = self.word(1)
        heads: list[tuple[Var, int, bool]] = []
        if w == "how" and self.word(i + 1) == "many":
            count = True
            i += 2
            heads = self._qheads(i)
        elif w in {"who", "whom", "whose"}:
            qtypes = frozenset(self.lex.qwords.get(w, set()) or {"Person", "Organization"})
            heads = [(Var(), i + 1, False)]
        elif w == "where":
            qtypes = frozenset(self.lex.qwords.get("where", set()) | {"Organization"})
            heads = [(Var(), i + 1, False)]
        elif w in {"which", "what"}:
            heads = [*self._qheads(i + 1), (Var(), i + 1, False)]
        elif w in IMPERATIVE:
            j = self.skip(i + 1, {"me", "us", "all", "every"})
            for v, k in self.np(j):
                if k == self.n and v.const is None and v.edges:
                    parses.append(Parse(v))
            return parses
        else:
            return parses
        for head, j, relational in heads:
            parses.extend(self._bodies(head, j, relational, count, qtypes, fronted))
        return parses

    def _qheads(self, i: int) -> list[tuple[Var, int, bool]]:
        """What follows which/what/how many: a type noun, a relational NP, or a bare relational noun."""
        out: list[tuple[Var, int, bool]] = []
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
        out: list[Parse] = []
        if relational:  # "... does X have"
            j = self.skip(i, AUX)
            for subj, k in self.np(j):
                if self.word(k) in {"have", "has"} and k + 1 == self.n and subj.const is not None:
                    edge = head.edges[0]
                    out.append(Parse(Var(head.const, head.types, [Edge(edge.rel, edge.out, subj)]), count, qtypes))
            return out
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
                            out.append(
                                Parse(Var(edges=[Edge(rel, False, v)]), count, frozenset({"Location"}), 1.0, True)
                            )
        return out


# ------------------------------------------------------------------------------------------- compile


def _label(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


class _Compiler:
    def __init__(self, schema: GraphSchema, lex: Lexicon) -> None:
        self.labels = set(schema.labels)
        self.rel_types = set(schema.relationship_types)
        self.lex = lex
        self.names: dict[int, str] = {}
        self.bound: set[str] = set()
        self.counter = 0

    def name(self, var: Var, is_answer: bool = False) -> str:
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


def _leaf_paths(var: Var, trail: list[tuple[Var, Edge]]) -> Iterator[list[tuple[Var, Edge]]]:
    """Every root → constant chain: [(owner, edge), ...]."""
    for edge in var.edges:
        step = [*trail, (var, edge)]
        if edge.other.const is not None:
            yield step
        elif edge.other.edges:
            yield from _leaf_paths(edge.other, step)


def compile_parse(parse: Parse, schema: GraphSchema, lex: Lexicon, limit: int = DEFAULT_LIMIT) -> str | None:
    """Cypher for a parse, or None when it has no linked entity to start from."""
    chains = list(_leaf_paths(parse.answer, []))
    if not chains:
        return None
    comp = _Compiler(schema, lex)
    comp.name(parse.answer, is_answer=True)
    patterns: list[str] = []
    for chain in chains:
        # write from the constant (leaf) up to the root, stopping at an already-bound variable
        leaf = chain[-1][1].other
        text = comp.node(leaf)
        for owner, edge in reversed(chain):
            owner_name = comp.name(owner, owner is parse.answer)
            already = owner_name in comp.bound
            text += comp.arrow(edge.rel, edge.out) + comp.node(owner, owner is parse.answer)
            if already:
                break
        patterns.append(text)
    where: list[str] = []
    for var_id, name in comp.names.items():
        var = _find(parse.answer, var_id)
        if var is None or var.const is not None or not var.types or len(var.types) < 2:
            continue
        labels = [t for t in sorted(var.types) if t in comp.labels]
        if labels:
            where.append("(" + " OR ".join(f"{name}:{_label(t)}" for t in labels) + ")")
    const_names = [n for vid, n in comp.names.items() if (v := _find(parse.answer, vid)) and v.const is not None]
    for c in const_names:
        where.append(f"answer <> {c}")
    lines = [f"MATCH p{k} = {p}" for k, p in enumerate(patterns)]
    if where:
        lines.append("WHERE " + " AND ".join(where))
    paths = ", ".join(f"p{k}" for k in range(len(patterns)))
    lines.append(f"WITH answer, collect([{paths}]) AS paths")
    lines.append("RETURN answer, paths[0..3] AS path")
    lines.append(f"ORDER BY answer.name LIMIT {limit}")
    return "\n".join(lines)


def _find(var: Var, var_id: int) -> Var | None:
    if id(var) == var_id:
        return var
    for e in var.edges:
        found = _find(e.other, var_id)
        if found is not None:
            return found
    return None


# ------------------------------------------------------------------------------------------- ranking


def _types_of(var: Var, linked: list[LinkedEntity], lex: Lexicon) -> set[str] | None:
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


def _score(parse: Parse, linked: list[LinkedEntity], schema: GraphSchema, lex: Lexicon) -> float:
    """Lower is better: schema misfits, type clashes, parse penalties."""
    cost = parse.penalty
    rels = set(schema.relationship_types)

    def walk(var: Var) -> None:
        nonlocal cost
        own = _types_of(var, linked, lex)
        if own is not None and not own:
            cost += 3  # contradictory constraints (type noun vs relation domain)
        for e in var.edges:
            if rels and e.rel not in rels:
                cost += 5
            other = _types_of(e.other, linked, lex)
            expected = lex.range.get(e.rel) if e.out else lex.domain.get(e.rel)
            if e.rel in lex.symmetric:
                expected = lex.domain.get(e.rel, set()) | lex.range.get(e.rel, set())
            if other and expected and not (other & expected):
                cost += 4  # the linked entity cannot play this role
            walk(e.other)

    walk(parse.answer)
    answer_types = _types_of(parse.answer, linked, lex)
    if parse.qtypes and answer_types and not (answer_types & parse.qtypes):
        cost += 2
    cost += 0.01 * _size(parse.answer)
    return cost


def _has_bare_edge(var: Var) -> bool:
    """An edge to a variable with neither an entity nor constraints of its own."""
    return any((e.other.const is None and not e.other.edges) or _has_bare_edge(e.other) for e in var.edges)


def _relations(var: Var) -> set[str]:
    out: set[str] = set()
    for e in var.edges:
        out.add(e.rel)
        out |= _relations(e.other)
    return out


def _size(var: Var) -> int:
    return sum(1 + _size(e.other) for e in var.edges)


def _uses_all(var: Var, n: int) -> bool:
    seen: set[int] = set()

    def walk(v: Var) -> None:
        if v.const is not None:
            seen.add(v.const)
        for e in v.edges:
            walk(e.other)

    walk(var)
    return seen == set(range(n))


def _fingerprint(var: Var) -> str:
    if var.const is not None:
        return f"@{var.const}"
    inner = ",".join(sorted(f"{e.rel}{'>' if e.out else '<'}{_fingerprint(e.other)}" for e in var.edges))
    return f"{sorted(var.types or [])}({inner})"


@dataclass
class ParsedQuery:
    parse: Parse
    cypher: str
    score: float
    description: str


def placeholder_question(question: str, spans: list[tuple[int, int]]) -> str:
    """The question with each linked span replaced by ``@e<k>`` (k = order in ``spans``)."""
    out = question
    for k, (start, end) in sorted(enumerate(spans), key=lambda x: -x[1][0]):
        out = out[:start] + f" @e{k} " + out[end:]
    return out


def parse_question(
    question: str,
    spans: list[tuple[int, int]],
    linked: list[LinkedEntity],
    schema: GraphSchema,
    *,
    ontology: str | None = None,
    limit: int = DEFAULT_LIMIT,
    max_hops: int = 4,
) -> list[ParsedQuery]:
    """All parses of a question whose linked entities sit at ``spans``, best first."""
    lex = lexicon(ontology)
    text = placeholder_question(question, spans)
    toks = [w for w in words(text) if w not in FILLER]
    parser = _Parser(toks, lex, len(linked))
    results: list[ParsedQuery] = []
    seen: set[str] = set()
    for parse in parser.question():
        if _has_bare_edge(parse.answer):  # "works for a company": no anchor; compiling it would drop it
            continue
        if not _uses_all(parse.answer, len(linked)) or _size(parse.answer) > max_hops + len(linked) - 1:
            continue
        if _depth(parse.answer) > max_hops:
            continue
        key = _fingerprint(parse.answer) + str(parse.count)
        if key in seen:
            continue
        seen.add(key)
        cypher = compile_parse(parse, schema, lex, limit)
        if cypher is None:
            continue
        results.append(ParsedQuery(parse, cypher, _score(parse, linked, schema, lex), parse.answer.describe(linked)))
    results.sort(key=lambda r: r.score)
    return results


def _depth(var: Var) -> int:
    return max((1 + _depth(e.other) for e in var.edges), default=0)


def answer_types(parse: Parse, linked: list[LinkedEntity], ontology: str | None = None) -> set[str] | None:
    """The entity types the answers of a parse should have (question word ∩ relation ranges)."""
    lex = lexicon(ontology)
    own = _types_of(parse.answer, linked, lex)
    if parse.qtypes and own:
        both = own & parse.qtypes
        return both or own
    return own or (set(parse.qtypes) if parse.qtypes else None)


GENDERED = {"wife", "husband", "son", "daughter", "brother", "sister", "father", "mother", "man", "woman"}
ACRONYMS = {"ceo": "CEO", "cto": "CTO", "cfo": "CFO"}


def _pretty(text: str) -> str:
    return " ".join(ACRONYMS.get(w, w) for w in text.split())


def humanise(parse: Parse, linked: list[LinkedEntity], ontology: str | None = None) -> str:
    """A short reading of a parse for the answer text: "the CEO of Acme Corp"."""
    lex = lexicon(ontology)
    onto = lex.ontology

    def noun_phrase(var: Var) -> str:
        if var.const is not None:
            return linked[var.const].name if 0 <= var.const < len(linked) else "?"
        if len(var.edges) == 1:
            e = var.edges[0]
            rel = onto.relation(e.rel)
            if rel is not None:
                nouns = rel.nouns if (e.out or rel.symmetric) else rel.inverse_nouns
                nouns = [n for n in nouns if n not in GENDERED]
                if nouns:
                    return f"the {_pretty(nouns[0])} of {noun_phrase(e.other)}"
        types = var.types or _types_of(var, linked, lex)
        head = sorted(types)[0].lower() if types and len(types) == 1 else "the one"
        head = head if head == "the one" else f"the {head}"
        return f"{head} that " + " and ".join(verb_phrase(e) for e in var.edges)

    def verb_phrase(e: Edge) -> str:
        rel = onto.relation(e.rel)
        other = noun_phrase(e.other)
        if rel is None:
            return f"{e.rel} {other}"
        if e.out or rel.symmetric:
            words_ = rel.phrases[0] if rel.phrases else e.rel.lower().replace("_", " ")
            return f"{_pretty(words_)} {other}"
        if rel.inverse and not rel.inverse.endswith(" of"):
            return f"is {_pretty(rel.inverse)} {other}"
        words_ = rel.phrases[0] if rel.phrases else e.rel.lower().replace("_", " ")
        return f"{other} {_pretty(words_)}"

    text = noun_phrase(parse.answer)
    return text[:1].upper() + text[1:]


class ParserGenerator:
    """The offline :class:`~kgqa.qa.generate.CypherGenerator`: parses first, then example templates."""

    name = "parser"

    def __init__(self, spans: list[tuple[int, int]], *, ontology: str | None = None, max_hops: int = 4) -> None:
        self.spans = spans
        self.ontology = ontology
        self.max_hops = max_hops
        self.parses: list[ParsedQuery] = []

    def candidates(
        self,
        question: str,
        linked: list[LinkedEntity],
        schema: GraphSchema,
        examples: list[ExampleLike],
        feedback: str | None = None,
    ) -> Iterator[CypherCandidate]:
        self.parses = parse_question(
            question, self.spans, linked, schema, ontology=self.ontology, max_hops=self.max_hops
        )
        params = entity_params(linked)
        known = set(schema.relationship_types)
        for pq in self.parses:
            complete = schema.types_complete or not schema.sampled
            if known and complete and not _relations(pq.parse.answer) <= known:
                continue  # the graph has no such relationship type: the query cannot answer
            types = answer_types(pq.parse, linked, self.ontology)
            hint = "count" if pq.parse.count else (sorted(types)[0] if types and len(types) == 1 else None)
            yield CypherCandidate(
                cypher=pq.cypher,
                params=dict(params),
                source="parser",
                answer_type_hint=hint,
                description=humanise(pq.parse, linked, self.ontology),
            )
        for k, ex in enumerate(examples):
            rebound = rebind_example(ex, linked)
            if rebound is not None:
                yield CypherCandidate(
                    cypher=rebound[0],
                    params=rebound[1],
                    source=f"example:{getattr(ex, 'id', k)}",
                    description=f"like “{ex.question}”",
                )


def rebind_example(example: ExampleLike, linked: list[LinkedEntity]) -> tuple[str, dict] | None:
    """An example's Cypher with its entity parameters re-bound to the linked entities (in order)."""
    params = dict(example.params or {})
    entity_keys = [k for k in params if re.fullmatch(r"e\d+|entity\d*|topic|id\d*", k)]
    if not entity_keys or len(entity_keys) > len(linked):
        return None
    for k, key in enumerate(sorted(entity_keys)):
        params[key] = linked[k].id
    return example.cypher, params
