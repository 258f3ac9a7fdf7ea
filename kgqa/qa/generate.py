"""Cypher generation: the interface every generator (offline parser, example bank, LLM) implements.

A generator turns a question plus its linked entities into a stream of candidate Cypher queries,
best first. The pipeline (``kgqa.qa.pipeline``) checks each candidate (``kgqa.qa.cypher_checks``),
runs the first that passes, checks the result and, when something fails, asks the generator again
with ``feedback`` describing what went wrong.

Query contract (what a candidate's Cypher must look like):

- read-only, bounded (no unbounded ``*``), ends with ``LIMIT`` (≤ 100);
- linked entities are referenced through parameters ``$e0``, ``$e1``, ... in the order of the
  ``linked`` list (see :func:`entity_params`), e.g. ``MATCH (s:Entity {id: $e0})``; never splice ids
  or names into the query text;
- ``RETURN`` an ``answer`` column holding the answer node (an ``:Entity``), and a ``path`` column
  holding the path (or a list of paths) from the linked entity to the answer, so the pipeline can
  build the answer subgraph, cite the evidence on its relationships and check grounding;
- "how many" questions return the counted nodes the same way (``answer`` + ``path``) — the pipeline
  counts distinct answers; a bare ``count`` column is accepted but cannot be grounded;
- symmetric relations (``MARRIED_TO``, ``SIBLING_OF``) are stored once: match them undirected.

Example::

    MATCH path = (s:Entity {id: $e0})<-[:CEO_OF]-(answer:Entity)
    RETURN DISTINCT answer, path LIMIT 100
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from kgqa.graph.schema import GraphSchema
from kgqa.qa.model import LinkedEntity, TraceStep

ANSWER_COLUMN = "answer"
PATH_COLUMN = "path"
COUNT_COLUMN = "count"
DEFAULT_LIMIT = 100


@dataclass
class CypherCandidate:
    """One candidate query for a question.

    ``source``: who made it — ``"parser"``, ``"example:<id>"``, ``"llm:openai:gpt-4o-mini"``.
    ``answer_type_hint``: the ontology entity type the answers should have (``"Person"``), ``"count"``
    for how-many questions, or None when unknown; the pipeline checks answers against it.
    ``description``: a one-line human reading of the query ("CEO of Acme").
    ``trace``: steps the generator wants recorded (LLM calls: provider, model, prompt, tokens).
    ``kind``: ``yes_no``/``same`` read rows as true and none as false (closed world), ``count`` counts them,
    ``summary`` lists an entity's facts.
    """

    cypher: str
    params: dict[str, Any] = field(default_factory=dict)
    source: str = "parser"
    answer_type_hint: str | None = None
    description: str = ""
    trace: list[TraceStep] = field(default_factory=list)
    kind: str = "list"  # list, count, yes_no, same, summary: how the rows answer the question
    asked: str = ""  # what the question asked for beyond a type: "country (top of the LOCATED_IN chain)"
    measure: str = ""  # superlatives: what is counted ("graduates") or the property ordered by ("founding dates")
    # "same X": (Cypher, what it finds) per side; a "no" needs each to find its X, else the graph cannot tell
    premises: list[tuple[str, str]] = field(default_factory=list)
    description_one: str = ""  # a count's reading for exactly one answer ("book that was published by X")
    description_many: str = ""  # a list's reading for several answers ("the people that were born in X")
    # the asked level, its relation and its noun: ("top", "LOCATED_IN", "country")
    level: tuple[str, str, str] | None = None


@runtime_checkable
class ExampleLike(Protocol):
    """What generators read from an example (``kgqa.qa.examples.Example``)."""

    question: str
    cypher: str
    params: dict[str, Any]


@runtime_checkable
class CypherGenerator(Protocol):
    """Produces candidate Cypher queries for a question, best first.

    ``feedback`` is None on the first call. On a repair call it is a structured description of the
    previous attempt's failure (see :func:`format_feedback`): the failed Cypher, the stage that
    failed (``check``/``server``/``empty``/``too_many``/``answer_type``) and the details. A generator
    that cannot use feedback (the offline parser) may ignore it; the pipeline then moves on to the
    next candidate it already yielded.
    """

    name: str
    # True when the generator uses ``feedback``: on a failure the pipeline calls ``candidates`` again
    # with the feedback instead of taking the next candidate of the earlier stream. Optional attribute.
    # uses_feedback: bool
    # True when every query it yields reads the whole question, so an empty result is the answer and
    # looser generators are not tried after it (the parser). Optional attribute, default False.
    # reads_whole_question: bool

    def candidates(
        self,
        question: str,
        linked: list[LinkedEntity],
        schema: GraphSchema,
        examples: list[ExampleLike],
        feedback: str | None = None,
    ) -> Iterator[CypherCandidate]: ...


def entity_params(linked: list[LinkedEntity]) -> dict[str, str]:
    """The parameters naming the linked entities: ``{"e0": id0, "e1": id1, ...}``."""
    return {f"e{i}": entity.id for i, entity in enumerate(linked)}


def format_feedback(stage: str, cypher: str, details: list[str]) -> str:
    """The feedback string handed to a generator on a repair attempt.

    ``stage`` is one of ``check`` (a rule-based check failed; the query was not run), ``server`` (the
    server refused it), ``empty`` (it ran and returned nothing), ``too_many`` (the row cap was hit),
    ``answer_type`` (answers have the wrong entity type) or ``grounding``.
    """
    lines = [f"The previous query failed at stage '{stage}'.", "Query:", cypher.strip(), "Problems:"]
    lines += [f"- {d}" for d in details] or ["- (no details)"]
    hints = {
        "check": "Fix the listed problems; use only the relationship types and directions of the schema.",
        "server": "The server could not run the query; keep to plain MATCH/WHERE/RETURN Cypher.",
        "empty": "It returned no rows: check relationship direction, try the inverse relation or an "
        "undirected pattern for symmetric relations.",
        "too_many": "It returned too many rows: add the missing constraint from the question.",
        "answer_type": "The answers have the wrong type: return the entity the question asks for.",
        "grounding": "Return the path from the linked entity to the answer.",
    }
    if stage in hints:
        lines.append(hints[stage])
    return "\n".join(lines)
