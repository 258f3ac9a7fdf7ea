"""Entity search and neighbourhoods: ``GET /v1/entities?q=`` and ``GET /v1/entities/{id}``.

Plain read queries over the graph model (docs/graph-model.md): entities are ``:Entity`` nodes keyed by
``id``; every ``(:Entity)-[]->(:Entity)`` relationship is a fact carrying parallel evidence lists.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from kgqa.api.browser import browser_query_for
from kgqa.api.errors import ApiError, responses
from kgqa.api.security import require_key
from kgqa.graph.schema import STRUCTURAL_LABELS
from kgqa.qa.model import Evidence, Subgraph, SubgraphNode, SubgraphRelationship

router = APIRouter(prefix="/v1/entities", tags=["graph"], dependencies=[Depends(require_key)])


class EntitySummary(BaseModel):
    id: str
    name: str
    type: str | None = None
    labels: list[str] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list)


class EntitySearch(BaseModel):
    query: str
    entities: list[EntitySummary]
    truncated: bool = Field(description="True when more entities matched than `limit`.")


class DocumentMention(BaseModel):
    id: str
    title: str | None = None
    mentions: int


class Fact(BaseModel):
    start: str
    type: str
    end: str
    text: str = Field(description='Readable form: "Ada Lovelace -[WORKS_FOR]-> Acme Corp".')
    confidence: float | None = None
    evidence: list[Evidence] = Field(default_factory=list)


class EntityDetail(BaseModel):
    entity: EntitySummary
    facts: list[Fact] = Field(description="Facts with this entity as subject or object, with their evidence.")
    subgraph: Subgraph = Field(description="The entity and its neighbours, in the same shape as an answer's.")
    documents: list[DocumentMention] = Field(description="Documents whose chunks mention the entity.")
    truncated: bool = Field(description="True when the entity has more facts than `limit`.")
    browser_query: str | None = Field(default=None, description="Cypher that shows this subgraph in Neo4j Browser.")


SEARCH = """
MATCH (e:Entity)
WHERE toLower(e.name) CONTAINS $q OR any(a IN coalesce(e.aliases, []) WHERE toLower(a) CONTAINS $q)
WITH e, CASE
  WHEN toLower(e.name) = $q OR any(a IN coalesce(e.aliases, []) WHERE toLower(a) = $q) THEN 0
  WHEN toLower(e.name) STARTS WITH $q THEN 1
  ELSE 2 END AS rank
WHERE $type IS NULL OR e.type = $type OR $type IN labels(e)
RETURN e.id AS id, e.name AS name, e.type AS type, labels(e) AS labels, coalesce(e.aliases, []) AS aliases
ORDER BY rank, size(e.name), e.name, e.id
LIMIT $limit
"""

ENTITY = """
MATCH (e:Entity {id: $id})
RETURN e.id AS id, e.name AS name, e.type AS type, labels(e) AS labels, coalesce(e.aliases, []) AS aliases
"""

FACTS = """
MATCH (e:Entity {id: $id})-[r]-(o:Entity)
WITH r, startNode(r) AS s, endNode(r) AS t, o
RETURN s.id AS start, s.name AS start_name, type(r) AS type, t.id AS end, t.name AS end_name,
       o.id AS other, o.name AS other_name, o.type AS other_type, labels(o) AS other_labels,
       r.confidence AS confidence, r.doc_ids AS doc_ids, r.chunk_ids AS chunk_ids, r.sentences AS sentences
ORDER BY type, other_name, other
LIMIT $limit
"""

DOCUMENTS = """
MATCH (c:Chunk)-[:MENTIONS]->(e:Entity {id: $id})
MATCH (c)-[:PART_OF]->(d:Document)
RETURN d.id AS id, d.title AS title, count(c) AS mentions
ORDER BY mentions DESC, id
LIMIT 50
"""


def _type(labels: list[str], declared: Any) -> str | None:
    if isinstance(declared, str) and declared:
        return declared
    specific = sorted(label for label in labels if label not in STRUCTURAL_LABELS)
    return specific[0] if specific else None


def _summary(row: dict[str, Any]) -> EntitySummary:
    labels = [str(x) for x in row.get("labels") or []]
    aliases = row.get("aliases") or []
    return EntitySummary(
        id=str(row["id"]),
        name=str(row.get("name") or row["id"]),
        type=_type(labels, row.get("type")),
        labels=sorted(labels),
        aliases=[str(a) for a in aliases] if isinstance(aliases, list) else [str(aliases)],
    )


def evidence_of(row: dict[str, Any], fact_text: str) -> list[Evidence]:
    """Evidence entries from a fact's parallel lists (tolerating missing or short lists)."""
    sentences = row.get("sentences") or []
    doc_ids = row.get("doc_ids") or []
    chunk_ids = row.get("chunk_ids") or []
    out = []
    for i, sentence in enumerate(sentences):
        out.append(
            Evidence(
                doc_id=str(doc_ids[i]) if i < len(doc_ids) else "",
                chunk_id=str(chunk_ids[i]) if i < len(chunk_ids) and chunk_ids[i] is not None else None,
                sentence=str(sentence),
                fact=fact_text,
            )
        )
    return out


@router.get(
    "",
    response_model=EntitySearch,
    summary="Search entities by name or alias (case-insensitive)",
    responses=responses(401, 422, 429, 503),
)
def search_entities(
    request: Request,
    q: str = Query(..., min_length=1, max_length=200, pattern=r"\S", description="Part of a name or alias."),
    type: str | None = Query(None, max_length=100, description="Only entities of this type, e.g. Person."),
    limit: int = Query(20, ge=1, le=200),
) -> EntitySearch:
    term = q.strip().lower()
    if not term:
        raise ApiError(422, "invalid-request", "Invalid request", "q: must not be blank", "search for part of a name")
    rows = request.app.state.graphs.run(
        lambda g: g.read(SEARCH, {"q": term, "type": type, "limit": limit + 1}, max_rows=limit + 1).rows
    )
    return EntitySearch(query=q, entities=[_summary(r) for r in rows[:limit]], truncated=len(rows) > limit)


@router.get(
    "/{entity_id:path}",
    response_model=EntityDetail,
    summary="An entity with its neighbourhood and the evidence of each fact",
    responses=responses(401, 404, 422, 429, 503),
)
def get_entity(
    request: Request,
    entity_id: str = Path(..., min_length=1, max_length=500, description="Entity id, e.g. person:ada-lovelace"),
    limit: int = Query(100, ge=1, le=1000, description="At most this many facts."),
) -> EntityDetail:
    def work(g):
        found = g.read(ENTITY, {"id": entity_id}, max_rows=1).rows
        if not found:
            return None, [], []
        facts = g.read(FACTS, {"id": entity_id, "limit": limit + 1}, max_rows=limit + 1).rows
        docs = g.read(DOCUMENTS, {"id": entity_id}, max_rows=50).rows
        return found[0], facts, docs

    row, fact_rows, doc_rows = request.app.state.graphs.run(work)
    if row is None:
        raise ApiError(
            404,
            "entity-not-found",
            "Entity not found",
            f"no entity with id {entity_id!r}",
            "find ids with GET /v1/entities?q=NAME",
        )
    entity = _summary(row)
    truncated = len(fact_rows) > limit
    nodes: dict[str, SubgraphNode] = {entity.id: SubgraphNode(id=entity.id, name=entity.name, labels=entity.labels)}
    facts: list[Fact] = []
    rels: list[SubgraphRelationship] = []
    for fr in fact_rows[:limit]:
        other = str(fr["other"])
        if other not in nodes:
            nodes[other] = SubgraphNode(
                id=other, name=str(fr.get("other_name") or other), labels=sorted(fr.get("other_labels") or [])
            )
        text = f"{fr.get('start_name') or fr['start']} -[{fr['type']}]-> {fr.get('end_name') or fr['end']}"
        evidence = evidence_of(fr, text)
        confidence = fr.get("confidence")
        facts.append(
            Fact(
                start=str(fr["start"]),
                type=str(fr["type"]),
                end=str(fr["end"]),
                text=text,
                confidence=float(confidence) if isinstance(confidence, int | float) else None,
                evidence=evidence,
            )
        )
        rels.append(
            SubgraphRelationship(start=str(fr["start"]), end=str(fr["end"]), type=str(fr["type"]), evidence=evidence)
        )
    subgraph = Subgraph(nodes=list(nodes.values()), relationships=rels)
    documents = [
        DocumentMention(id=str(d["id"]), title=d.get("title"), mentions=int(d.get("mentions") or 0)) for d in doc_rows
    ]
    return EntityDetail(
        entity=entity,
        facts=facts,
        subgraph=subgraph,
        documents=documents,
        truncated=truncated,
        browser_query=browser_query_for(subgraph),
    )
