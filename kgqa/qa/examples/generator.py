"""Turning examples into Cypher candidates: ``$entity`` parameters re-bound to the linked entities."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from kgqa.qa.examples.bank import ExampleBank, default_bank_dir
from kgqa.qa.generate import CypherCandidate, entity_params

if TYPE_CHECKING:
    from kgqa.graph.schema import GraphSchema
    from kgqa.qa.model import LinkedEntity

PARAM_RE = re.compile(r"\$entity(\d*)\b")
PARAM_KEY_RE = re.compile(r"^entity\d*$")


def rebind(cypher: str, linked_count: int) -> str | None:
    """``$entity`` → ``$e0``, ``$entity2`` → ``$e1``, ...; None unless the example uses exactly the question's
    entities (one that leaves a named entity out answers another question: "who lives in A" for "who lives in A
    but was not born in B")."""
    needed = 0

    def repl(match: re.Match[str]) -> str:
        nonlocal needed
        index = int(match.group(1)) - 1 if match.group(1) else 0
        needed = max(needed, index + 1)
        return f"$e{index}"

    out = PARAM_RE.sub(repl, cypher)
    if needed != linked_count:
        return None
    return out


def _rel_types(cypher: str) -> set[str]:
    """The relationship types a query names."""
    return set(re.findall(r"\[[a-zA-Z_0-9]*:`?([A-Z][A-Z0-9_]*)`?", cypher))


class _Candidates:
    """Examples → candidates for one question: re-bound, each query once, only types the graph has."""

    def __init__(self, linked: list[LinkedEntity], schema: GraphSchema | None) -> None:
        self.n_linked = len(linked)
        self.params = entity_params(linked)
        complete = schema is not None and (schema.types_complete or not schema.sampled)
        self.known_types = set(schema.relationship_types) if complete else None
        self.seen: set[str] = set()

    def make(self, example: Any) -> CypherCandidate | None:
        cypher = rebind(example.cypher, self.n_linked)
        if cypher is None or cypher in self.seen:
            return None
        if self.known_types is not None and not _rel_types(cypher) <= self.known_types:
            return None
        self.seen.add(cypher)
        params = self.params
        return CypherCandidate(
            cypher=cypher,
            params={
                **params,
                **{k: v for k, v in (example.params or {}).items() if k not in params and not PARAM_KEY_RE.match(k)},
            },
            source=f"example:{getattr(example, 'id', '') or 'given'}",
            description=getattr(example, "description", "") or f"like: {example.question}",
            answer_type_hint=None,
        )


class ExampleGenerator:
    """A ``CypherGenerator``: candidates from the most similar examples, linked entities re-bound.

    Exact template matches are yielded before any embedding is computed, so the common case costs
    a dictionary lookup; only when the question's template is not in the bank are similar templates
    (above ``min_score``) tried.
    """

    name = "examples"

    def __init__(self, bank: ExampleBank | None = None, *, k: int = 5, min_score: float = 0.75) -> None:
        self._bank = bank
        self.k = k
        self.min_score = min_score

    @property
    def bank(self) -> ExampleBank:
        """The bank given, else the default one (loaded on first use)."""
        if self._bank is None:
            self._bank = ExampleBank.cached()
        return self._bank

    def candidates(
        self,
        question: str,
        linked: list[LinkedEntity],
        schema: GraphSchema | None = None,
        examples: list[Any] | None = None,
        feedback: str | None = None,
    ) -> Iterator[CypherCandidate]:
        """The given examples first, then the bank's exact template matches, else its similar templates."""
        if not linked:
            return
        mentions = [e.mention for e in linked]
        make = _Candidates(linked, schema).make
        given = list(examples or [])
        for example in given:
            candidate = make(example)
            if candidate is not None:
                yield candidate
        if self._bank is None and not default_bank_dir().exists():
            return
        bank = self.bank
        exact = False
        for example in bank.exact(question, mentions):
            candidate = make(example)
            if candidate is not None:
                exact = True
                yield candidate
        if exact:
            # The question's own template is known: a merely similar template would answer a different
            # question (e.g. "...starred in which films" vs "...films directed by whom") when the right
            # query is refused for another reason (too many rows). No answer beats a wrong one.
            return
        for example in bank.search(question, mentions, self.k):
            if example.score < self.min_score:
                break
            candidate = make(example)
            if candidate is not None:
                yield candidate
