"""Data passed between the stages of one question: options, a checked candidate, one executed run."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from kgqa.graph.client import ReadResult
from kgqa.qa.generate import CypherCandidate
from kgqa.qa.model import (
    AnswerItem,
    Check,
)
from kgqa.qa.subgraph import _SubgraphBuilder


@dataclass
class AskOptions:
    max_hops: int = 4
    limit: int = 100
    timeout: float = 10.0  # seconds per query
    max_attempts: int = 3  # candidate queries per generator (failed checks count too)
    max_candidates: int = 10  # candidates looked at in all
    ontology: str | None = None
    fallback: bool = True
    llm_only: bool = False  # skip the parser and the example bank: the LLM writes every query (to measure it)


@dataclass
class _Outcome:
    ok: bool
    cypher: str
    params: dict[str, Any]
    checks: list[Check] = field(default_factory=list)


@dataclass
class _Run:
    candidate: CypherCandidate
    outcome: _Outcome
    result: ReadResult
    answers: list[AnswerItem]
    count: int | None
    builder: _SubgraphBuilder
    checks: list[Check]
    ok: bool
    stage: str = ""  # failure stage for feedback
    details: list[str] = field(default_factory=list)
    value: bool | int | None = None  # yes/no, or the count
    capped: bool = False  # the rows reached the limit: a count is "at least"
    measure: Any = None  # an ordered superlative: the property value the answers share


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)
