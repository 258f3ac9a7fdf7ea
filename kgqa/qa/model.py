"""The shape of an answer: what ``kgqa ask --json`` prints and ``POST /v1/ask`` returns."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

CheckStatus = Literal["passed", "fixed", "failed", "skipped"]


class Check(BaseModel):
    """One rule-based check on the Cypher or on the result."""

    name: str
    status: CheckStatus
    detail: str = ""


class LinkedEntity(BaseModel):
    """A question mention linked to a graph entity."""

    mention: str
    id: str
    name: str
    type: str | None = None
    method: Literal["given", "exact", "alias", "fuzzy", "embedding"] = "exact"
    score: float = 1.0
    alternatives: list[dict[str, Any]] = Field(default_factory=list)  # other candidates when ambiguous


class AnswerItem(BaseModel):
    id: str
    name: str
    type: str | None = None


class Evidence(BaseModel):
    doc_id: str
    chunk_id: str | None = None
    sentence: str
    fact: str | None = None  # "Ada Lovelace -[WORKS_FOR]-> Acme"


class SubgraphNode(BaseModel):
    id: str
    name: str
    labels: list[str] = Field(default_factory=list)


class SubgraphRelationship(BaseModel):
    start: str  # node id
    end: str
    type: str
    evidence: list[Evidence] = Field(default_factory=list)
    superseded_by: str | None = None  # the name that replaced this fact's holder, by a later statement
    superseded_in: str | None = None  # the document of that statement


class Subgraph(BaseModel):
    nodes: list[SubgraphNode] = Field(default_factory=list)
    relationships: list[SubgraphRelationship] = Field(default_factory=list)


class TraceStep(BaseModel):
    stage: str
    ms: float
    provider: str | None = None
    model: str | None = None
    prompt: str | None = None  # prompt name@version
    tokens: dict[str, int] | None = None
    cached: bool | None = None
    detail: str | None = None


class AskResult(BaseModel):
    """Everything about one answered (or refused) question."""

    question: str
    answer: str
    # true/false for yes/no questions, an integer for "how many", None otherwise
    value: bool | int | None = None
    answers: list[AnswerItem] = Field(default_factory=list)
    cypher: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    checks: list[Check] = Field(default_factory=list)
    linked_entities: list[LinkedEntity] = Field(default_factory=list)
    subgraph: Subgraph = Field(default_factory=Subgraph)
    evidence: list[Evidence] = Field(default_factory=list)
    browser_query: str | None = None
    trace: list[TraceStep] = Field(default_factory=list)
    status: Literal["answered", "no_answer", "ambiguous", "error", "fallback"] = "answered"

    def to_dict(self) -> dict[str, Any]:
        """The JSON object that ``kgqa ask --json`` and ``POST /v1/ask`` return."""
        return self.model_dump(mode="json")
