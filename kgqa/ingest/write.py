"""The graph writer: documents, chunks, entities, mentions and facts, in the model of ``docs/graph-model.md``.

Atomicity: every group of documents is written in **one transaction** (``graph.write_together``): the
retraction of the documents' previous version, their chunks, entities, mentions and facts, the orphan
clean-up and, as the very last statement, the ``Document.hash`` marker. A document therefore lands whole or
not at all — an interrupted run (Ctrl-C, kill -9, lost server) leaves the previous state, and the next run
sees the hash missing or stale and simply redoes that document. Because the marker is written last, even a
server without real transactions would only ever leave documents that the next run re-processes (their old
chunks and evidence are retracted before rewriting).

Speed: rows are grouped per statement and sent as ``UNWIND $rows``; entities are created with a guarded
``OPTIONAL MATCH … CREATE`` on the indexed ``Entity.id`` (``MERGE`` on two labels cannot use that index on
ArcadeDB and is ~10x slower); chunks and their relationships are created with ``CREATE`` (a document's old
chunks are always deleted first in the same transaction); fact relationships use ``MERGE … ON CREATE SET``
(a new relationship costs what a raw ``MERGE … SET`` costs) and, for existing ones only, a list filter that
appends the evidence keys not already present, so re-running adds nothing.

Relationship types and entity labels cannot be query parameters: they are grouped, checked against the
ontology (and the identifier pattern) and only then placed in the statement text.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kgqa.errors import InputError
from kgqa.ingest.constraints import FactRecord
from kgqa.ingest.model import Chunk, Document
from kgqa.ingest.resolve import EntityRecord
from kgqa.ontology import Ontology

_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_ROW_FIELDS = ("keys", "doc_ids", "chunk_ids", "sentences", "extractors", "confidences")


@dataclass
class DocumentPayload:
    """Everything one document contributes to the graph."""

    doc: Document
    chunks: list[Chunk]
    entities: list[EntityRecord] = field(default_factory=list)
    mentions: list[tuple[str, str]] = field(default_factory=list)  # (chunk_id, entity_id)
    facts: list[FactRecord] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return 1 + len(self.chunks) + len(self.entities) + len(self.mentions) + len(self.facts)


def _checked(name: str, allowed: Iterable[str], what: str) -> str:
    if name not in set(allowed) or not _IDENT.match(name):
        raise InputError(f"refusing to write {what} {name!r}: not in the ontology", "check the ontology file")
    return name


# --------------------------------------------------------------------------------------------- Cypher

RETRACT_FACTS = """
UNWIND $docs AS doc
MATCH (:Document {id: doc})<-[:PART_OF]-(:Chunk)-[:MENTIONS]->(e:Entity)
WITH DISTINCT e
MATCH (e)-[r]-(:Entity)
WITH DISTINCT r
WHERE any(x IN r.doc_ids WHERE x IN $docs)
WITH r, [i IN range(0, size(r.doc_ids) - 1) WHERE NOT r.doc_ids[i] IN $docs] AS keep
WITH r, keep, [i IN keep | r.confidences[i]] AS confidences
SET r.evidence_keys = [i IN keep | r.evidence_keys[i]],
    r.doc_ids = [i IN keep | r.doc_ids[i]],
    r.chunk_ids = [i IN keep | r.chunk_ids[i]],
    r.sentences = [i IN keep | r.sentences[i]],
    r.extractors = [i IN keep | r.extractors[i]],
    r.confidences = confidences,
    r.confidence = reduce(m = 0.0, c IN confidences | CASE WHEN c > m THEN c ELSE m END)
WITH r, keep WHERE size(keep) = 0
DELETE r
"""

DELETE_CHUNKS = """
UNWIND $docs AS doc
MATCH (:Document {id: doc})<-[:PART_OF]-(c:Chunk)
DETACH DELETE c
"""

MERGE_DOCUMENTS = """
UNWIND $rows AS row
MERGE (d:Document {id: row.id})
SET d.title = row.title, d.source = row.source, d.metadata = row.metadata
"""

CREATE_CHUNKS = """
UNWIND $rows AS row
MATCH (d:Document {id: row.doc_id})
CREATE (c:Chunk {id: row.id, doc_id: row.doc_id, index: row.index, text: row.text, start: row.start, end: row.end})
CREATE (c)-[:PART_OF]->(d)
"""

CREATE_NEXT = """
UNWIND $rows AS row
MATCH (a:Chunk {id: row.a})
MATCH (b:Chunk {id: row.b})
CREATE (a)-[:NEXT]->(b)
"""

CREATE_ENTITIES = """
UNWIND $rows AS row
OPTIONAL MATCH (x:Entity {{id: row.id}})
WITH row, x WHERE x IS NULL
CREATE (e:Entity{label} {{id: row.id, name: row.name, norm: row.norm, type: row.type, aliases: row.aliases}})
"""

UPDATE_ALIASES = """
UNWIND $rows AS row
MATCH (e:Entity {id: row.id})
SET e.aliases = row.aliases
"""

CREATE_MENTIONS = """
UNWIND $rows AS row
MATCH (c:Chunk {id: row.c})
MATCH (e:Entity {id: row.e})
CREATE (c)-[:MENTIONS]->(e)
"""

MERGE_FACTS = """
UNWIND $rows AS row
MATCH (s:Entity {{id: row.s}})
MATCH (o:Entity {{id: row.o}})
MERGE (s)-[r:{rel}]->(o)
ON CREATE SET r.evidence_keys = row.keys, r.doc_ids = row.doc_ids, r.chunk_ids = row.chunk_ids,
    r.sentences = row.sentences, r.extractors = row.extractors, r.confidences = row.confidences,
    r.confidence = row.confidence
WITH r, row WHERE coalesce(r.evidence_keys, []) <> row.keys
WITH r, row, coalesce(r.evidence_keys, []) AS have
WITH r, row, have, [i IN range(0, size(row.keys) - 1) WHERE NOT row.keys[i] IN have] AS add
WHERE size(add) > 0
WITH r, row, add, have, coalesce(r.confidences, []) + [i IN add | row.confidences[i]] AS confidences
SET r.doc_ids = coalesce(r.doc_ids, []) + [i IN add | row.doc_ids[i]],
    r.chunk_ids = coalesce(r.chunk_ids, []) + [i IN add | row.chunk_ids[i]],
    r.sentences = coalesce(r.sentences, []) + [i IN add | row.sentences[i]],
    r.extractors = coalesce(r.extractors, []) + [i IN add | row.extractors[i]],
    r.evidence_keys = have + [i IN add | row.keys[i]],
    r.confidences = confidences,
    r.confidence = reduce(m = 0.0, c IN confidences | CASE WHEN c > m THEN c ELSE m END)
"""

CREATE_FACTS = """
UNWIND $rows AS row
MATCH (s:Entity {{id: row.s}})
MATCH (o:Entity {{id: row.o}})
MERGE (s)-[r:{rel}]->(o)
ON CREATE SET r.evidence_keys = row.keys, r.doc_ids = row.doc_ids, r.chunk_ids = row.chunk_ids,
    r.sentences = row.sentences, r.extractors = row.extractors, r.confidences = row.confidences,
    r.confidence = row.confidence
"""

DELETE_ORPHANS = """
UNWIND $ids AS id
MATCH (e:Entity {id: id})
WHERE NOT EXISTS { (e)<-[:MENTIONS]-(:Chunk) } AND NOT EXISTS { (e)-[]-(:Entity) }
DETACH DELETE e
"""

MARK_DOCUMENTS = """
UNWIND $rows AS row
MATCH (d:Document {id: row.id})
SET d.hash = row.hash, d.ingested_at = row.ingested_at
"""

DELETE_DOCUMENTS = """
UNWIND $docs AS doc
MATCH (d:Document {id: doc})
DETACH DELETE d
"""

MENTIONED_ENTITIES = """
UNWIND $docs AS doc
MATCH (:Document {id: doc})<-[:PART_OF]-(:Chunk)-[:MENTIONS]->(e:Entity)
RETURN DISTINCT e.id AS id
"""


def fact_rows(facts: Sequence[FactRecord]) -> dict[str, list[dict[str, Any]]]:
    """Fact records → ``UNWIND`` rows grouped by relation type, exactly one row per relationship.

    One row per (subject, type, object) matters: a statement evaluates each clause for all rows before the
    next (eagerly, on ArcadeDB), so two rows for one relationship would both read its old evidence lists.
    """
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    seen: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for f in facts:
        k = (f.relation, f.subject_id, f.object_id)
        row = merged.get(k)
        if row is None:
            row = merged[k] = {"s": f.subject_id, "o": f.object_id, **{name: [] for name in _ROW_FIELDS}}
        for e in f.evidence:
            if e.key in seen[k]:
                continue
            seen[k].add(e.key)
            row["keys"].append(e.key)
            row["doc_ids"].append(e.doc_id)
            row["chunk_ids"].append(e.chunk_id)
            row["sentences"].append(e.sentence)
            row["extractors"].append(e.extractor)
            row["confidences"].append(float(e.confidence))
    by_rel: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (rel, _, _), row in merged.items():
        row["confidence"] = max(row["confidences"], default=0.0)
        by_rel[rel].append(row)
    return by_rel


class GraphWriter:
    """Writes document payloads (one transaction per group) and retracts documents."""

    def __init__(self, graph, ontology: Ontology) -> None:
        self.graph = graph
        self.ontology = ontology
        self._relations = set(ontology.relation_names)
        self._labels = set(ontology.entity_names)
        # Entity ids known to be in the graph (committed by us, or loaded at the start): no need to send them
        # again. Entities that an orphan clean-up may delete are dropped from this set first.
        self.known_entities: set[str] = set()

    # ------------------------------------------------------------------ statements

    def fact_statements(self, facts: Sequence[FactRecord]) -> list[tuple[str, dict[str, Any]]]:
        return [
            (MERGE_FACTS.format(rel=_checked(rel, self._relations, "relation type")), {"rows": rows})
            for rel, rows in sorted(fact_rows(facts).items())
        ]

    def entity_statements(self, entities: Iterable[EntityRecord]) -> list[tuple[str, dict[str, Any]]]:
        by_type: dict[str | None, dict[str, dict[str, Any]]] = defaultdict(dict)
        dirty: dict[str, dict[str, Any]] = {}
        for e in entities:
            if e.id in self.known_entities:
                if e.dirty:
                    dirty[e.id] = {"id": e.id, "aliases": list(e.aliases)}
                continue
            row = {"id": e.id, "name": e.name, "norm": e.norm, "type": e.type, "aliases": list(e.aliases)}
            by_type[e.type][e.id] = row
            if e.dirty:  # may exist already (guarded create skips it): aliases still need updating
                dirty[e.id] = {"id": e.id, "aliases": list(e.aliases)}
        statements = []
        for type_, rows in sorted(by_type.items(), key=lambda kv: str(kv[0])):
            label = "" if type_ is None else ":" + _checked(type_, self._labels, "entity type")
            statements.append((CREATE_ENTITIES.format(label=label), {"rows": list(rows.values())}))
        if dirty:
            statements.append((UPDATE_ALIASES, {"rows": list(dirty.values())}))
        return statements

    def document_statements(
        self, payloads: Sequence[DocumentPayload], orphan_candidates: Iterable[str] = ()
    ) -> list[tuple[str, dict[str, Any]]]:
        """All statements for a group of documents, marker last."""
        docs = [p.doc.id for p in payloads]
        now = datetime.now(UTC).isoformat(timespec="seconds")
        statements: list[tuple[str, dict[str, Any]]] = [
            (RETRACT_FACTS, {"docs": docs}),
            (DELETE_CHUNKS, {"docs": docs}),
            (
                MERGE_DOCUMENTS,
                {
                    "rows": [
                        {
                            "id": p.doc.id,
                            "title": p.doc.title,
                            "source": p.doc.source,
                            "metadata": json.dumps(p.doc.metadata or {}, ensure_ascii=False, sort_keys=True),
                        }
                        for p in payloads
                    ]
                },
            ),
        ]
        chunk_rows = [
            {"id": c.id, "doc_id": c.doc_id, "index": c.index, "text": c.text, "start": c.start, "end": c.end}
            for p in payloads
            for c in p.chunks
        ]
        if chunk_rows:
            statements.append((CREATE_CHUNKS, {"rows": chunk_rows}))
        next_rows = [{"a": a.id, "b": b.id} for p in payloads for a, b in zip(p.chunks, p.chunks[1:], strict=False)]
        if next_rows:
            statements.append((CREATE_NEXT, {"rows": next_rows}))
        entities: dict[str, EntityRecord] = {}
        for p in payloads:
            for e in p.entities:
                entities[e.id] = e
        statements.extend(self.entity_statements(entities.values()))
        mention_rows = [{"c": c, "e": e} for p in payloads for c, e in dict.fromkeys(p.mentions)]
        if mention_rows:
            statements.append((CREATE_MENTIONS, {"rows": mention_rows}))
        statements.extend(self.fact_statements([f for p in payloads for f in p.facts]))
        candidates = sorted(set(orphan_candidates))
        if candidates:
            statements.append((DELETE_ORPHANS, {"ids": candidates}))
        statements.append(
            (
                MARK_DOCUMENTS,
                {"rows": [{"id": p.doc.id, "hash": p.doc.content_hash, "ingested_at": now} for p in payloads]},
            )
        )
        return statements

    # ------------------------------------------------------------------ actions

    def mentioned_entities(self, doc_ids: Sequence[str]) -> list[str]:
        if not doc_ids:
            return []
        rows = self.graph.read(MENTIONED_ENTITIES, {"docs": list(doc_ids)}, max_rows=10_000_000, timeout=600).rows
        return [r["id"] for r in rows]

    def write_documents(self, payloads: Sequence[DocumentPayload], replacing: Sequence[str] = ()) -> None:
        """Write a group of documents in one transaction; ``replacing`` = ids already in the graph."""
        candidates = self.mentioned_entities(list(replacing))
        self.known_entities.difference_update(candidates)
        self.graph.write_together(self.document_statements(payloads, candidates))
        for p in payloads:  # committed: every entity of the payloads exists now (each is mentioned)
            for e in p.entities:
                e.dirty = False
                self.known_entities.add(e.id)

    def remove_documents(self, doc_ids: Sequence[str]) -> None:
        """Retract documents: evidence, emptied facts, chunks, the document nodes, orphaned entities."""
        docs = list(doc_ids)
        candidates = self.mentioned_entities(docs)
        self.known_entities.difference_update(candidates)
        statements: list[tuple[str, dict[str, Any]]] = [
            (RETRACT_FACTS, {"docs": docs}),
            (DELETE_CHUNKS, {"docs": docs}),
            (DELETE_DOCUMENTS, {"docs": docs}),
        ]
        if candidates:
            statements.append((DELETE_ORPHANS, {"ids": candidates}))
        self.graph.write_together(statements)

    def write_facts(self, facts: Sequence[FactRecord], batch_size: int = 1000) -> int:
        """Bulk fact loading (imports, benchmarks): batched ``UNWIND`` per relation type, one tx per batch.

        Each batch first runs the plain ``MERGE … ON CREATE SET`` (the cost of a raw ``UNWIND … MERGE``);
        only when the server reports fewer relationships created than rows — some existed already — does
        the evidence-merging statement run over the batch (new ones are skipped by their identical keys).
        Not atomic across the two statements, but idempotent: re-running completes a cut-off batch.
        """
        written = 0
        for rel, rows in sorted(fact_rows(facts).items()):
            rel = _checked(rel, self._relations, "relation type")
            create, merge = CREATE_FACTS.format(rel=rel), MERGE_FACTS.format(rel=rel)
            for i in range(0, len(rows), batch_size):
                batch = rows[i : i + batch_size]
                counters = self.graph.write(create, {"rows": batch})
                if counters.get("relationships_created", 0) < len(batch):
                    self.graph.write(merge, {"rows": batch})
                written += len(batch)
        return written
