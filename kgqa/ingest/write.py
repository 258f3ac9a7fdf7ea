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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kgqa.errors import InputError
from kgqa.graph import queries
from kgqa.graph.access import GraphAccess
from kgqa.ingest.constraints import FactRecord
from kgqa.ingest.model import Chunk, Document
from kgqa.ingest.resolve import EntityRecord
from kgqa.names import RELATION_TYPE_RE, normalize_name
from kgqa.ontology import Ontology

_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_ROW_FIELDS = ("keys", "doc_ids", "chunk_ids", "sentences", "extractors", "confidences")
# kgqa's own structural relationship types: an import must not forge them.
RESERVED_TYPES = frozenset({"PART_OF", "NEXT", "MENTIONS"})
OnBatch = Callable[[int], None]


@dataclass(frozen=True)
class FactStatements:
    """The ``{rel}`` templates one row layout of facts is written with (see ``GraphWriter.write_typed``)."""

    merge: str  # MERGE, appending only the evidence entries whose keys are new: always safe
    fresh: str | None = None  # for a type the graph does not hold yet (plain CREATE); None: no such check
    create: str | None = None  # MERGE … ON CREATE SET, tried before ``merge`` batch by batch; None: merge only


DOCUMENT_FACTS = FactStatements(queries.MERGE_FACTS, create=queries.CREATE_FACTS)
IMPORTED_FACTS = FactStatements(queries.IMPORT_MERGE_FACTS, fresh=queries.IMPORT_CREATE_FACTS)


@dataclass(frozen=True)
class Supersession:
    """An old fact a later statement replaced: (subject, relation, object) and the replacing statement."""

    subject_id: str
    relation: str
    object_id: str
    by: str  # the entity that now holds the place ("Marcus Ede")
    by_name: str
    doc_id: str
    key: str  # the replacing statement's evidence key (chunk/sentence)
    sentence: str


@dataclass
class DocumentPayload:
    """Everything one document contributes to the graph."""

    doc: Document
    chunks: list[Chunk]
    entities: list[EntityRecord] = field(default_factory=list)
    mentions: list[tuple[str, str]] = field(default_factory=list)  # (chunk_id, entity_id)
    facts: list[FactRecord] = field(default_factory=list)
    supersessions: list[Supersession] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return (
            1 + len(self.chunks) + len(self.entities) + len(self.mentions) + len(self.facts) + len(self.supersessions)
        )


def _checked(name: str, allowed: Iterable[str], what: str) -> str:
    if name not in set(allowed) or not _IDENT.match(name):
        raise InputError(f"refusing to write {what} {name!r}: not in the ontology", "check the ontology file")
    return name


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


def imported_fact_rows(
    relationships: dict[tuple[str, str, str], dict[str, Any]], doc_id: str, extractor: str
) -> dict[str, list[list[Any]]]:
    """Imported relationships ``{(type, s, o): {relation, keys, sentences}}`` → list rows grouped by type.

    The row layout of ``queries.IMPORT_CREATE_FACTS``: [s, o, relation, keys, sentences, doc id, extractor];
    the chunk ids are the evidence keys (an imported line has no chunk) and every confidence is 1.0.
    """
    by_type: dict[str, list[list[Any]]] = {}
    for (rel_type, sid, oid), rel in relationships.items():
        by_type.setdefault(rel_type, []).append(
            [sid, oid, rel["relation"], rel["keys"], rel["sentences"], doc_id, extractor]
        )
    return by_type


class GraphWriter:
    """The one graph writer: document payloads (one transaction per group), retraction, bulk facts, imports.

    With an ontology, relation types and labels must be the ontology's; without one (imported triples),
    any relationship type of the identifier pattern that is not one of kgqa's own (``RESERVED_TYPES``).
    Entities follow one rule everywhere: created when no ``Entity`` has their id, never overwritten.
    """

    def __init__(self, graph: GraphAccess, ontology: Ontology | None) -> None:
        self.graph = graph
        self.ontology = ontology
        self._relations = set(ontology.relation_names) if ontology is not None else None
        self._labels = set(ontology.entity_names) if ontology is not None else set()
        # Entity ids known to be in the graph (committed by us, or loaded at the start): no need to send them
        # again. Entities that an orphan clean-up may delete are dropped from this set first.
        self.known_entities: set[str] = set()

    # ------------------------------------------------------------------ statements

    def relation_type(self, rel: str) -> str:
        """``rel`` when it may be placed in a statement as a relationship type; InputError otherwise."""
        if self._relations is not None:
            return _checked(rel, self._relations, "relation type")
        if not RELATION_TYPE_RE.match(rel) or rel in RESERVED_TYPES:
            raise InputError(f"refusing relationship type {rel!r}", "relation types are UPPER_SNAKE_CASE")
        return rel

    def fact_statements(self, facts: Sequence[FactRecord]) -> list[tuple[str, dict[str, Any]]]:
        return [
            (queries.MERGE_FACTS.format(rel=self.relation_type(rel)), {"rows": rows})
            for rel, rows in sorted(fact_rows(facts).items())
        ]

    def supersession_statements(self, marks: Sequence[Supersession]) -> list[tuple[str, dict[str, Any]]]:
        """Mark old facts superseded (they stay in the graph); a missing old fact is left alone."""
        by_rel: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for m in marks:
            by_rel[m.relation].append(
                {"s": m.subject_id, "o": m.object_id, "by": m.by, "by_name": m.by_name, "doc": m.doc_id}
                | {"key": m.key, "sentence": m.sentence}
            )
        return [
            (queries.MARK_SUPERSEDED.format(rel=self.relation_type(rel)), {"rows": rows})
            for rel, rows in sorted(by_rel.items())
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
            statements.append((queries.CREATE_ENTITIES.format(label=label), {"rows": list(rows.values())}))
        if dirty:
            statements.append((queries.UPDATE_ALIASES, {"rows": list(dirty.values())}))
        return statements

    def document_statements(
        self, payloads: Sequence[DocumentPayload], orphan_candidates: Iterable[str] = ()
    ) -> list[tuple[str, dict[str, Any]]]:
        """All statements for a group of documents, marker last."""
        docs = [p.doc.id for p in payloads]
        now = datetime.now(UTC).isoformat(timespec="seconds")
        statements: list[tuple[str, dict[str, Any]]] = [
            (queries.CLEAR_SUPERSEDED, {"docs": docs}),
            (queries.RETRACT_FACTS, {"docs": docs}),
            (queries.DELETE_CHUNKS, {"docs": docs}),
            (
                queries.MERGE_DOCUMENTS,
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
            statements.append((queries.CREATE_CHUNKS, {"rows": chunk_rows}))
        next_rows = [{"a": a.id, "b": b.id} for p in payloads for a, b in zip(p.chunks, p.chunks[1:], strict=False)]
        if next_rows:
            statements.append((queries.CREATE_NEXT, {"rows": next_rows}))
        entities: dict[str, EntityRecord] = {}
        for p in payloads:
            for e in p.entities:
                entities[e.id] = e
        statements.extend(self.entity_statements(entities.values()))
        mention_rows = [{"c": c, "e": e} for p in payloads for c, e in dict.fromkeys(p.mentions)]
        if mention_rows:
            statements.append((queries.CREATE_MENTIONS, {"rows": mention_rows}))
        statements.extend(self.fact_statements([f for p in payloads for f in p.facts]))
        statements.extend(self.supersession_statements([m for p in payloads for m in p.supersessions]))
        candidates = sorted(set(orphan_candidates))
        if candidates:
            statements.append((queries.DELETE_ORPHANS, {"ids": candidates}))
        statements.append(
            (
                queries.MARK_DOCUMENTS,
                {"rows": [{"id": p.doc.id, "hash": p.doc.content_hash, "ingested_at": now} for p in payloads]},
            )
        )
        return statements

    # ------------------------------------------------------------------ actions

    def mentioned_entities(self, doc_ids: Sequence[str]) -> list[str]:
        if not doc_ids:
            return []
        rows = self.graph.read(
            queries.MENTIONED_ENTITIES, {"docs": list(doc_ids)}, max_rows=10_000_000, timeout=600
        ).rows
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
            (queries.CLEAR_SUPERSEDED, {"docs": docs}),
            (queries.RETRACT_FACTS, {"docs": docs}),
            (queries.DELETE_CHUNKS, {"docs": docs}),
            (queries.DELETE_DOCUMENTS, {"docs": docs}),
        ]
        if candidates:
            statements.append((queries.DELETE_ORPHANS, {"ids": candidates}))
        self.graph.write_together(statements)

    def write_facts(self, facts: Sequence[FactRecord], batch_size: int = 1000) -> int:
        """Bulk fact loading (benchmarks, tests): batched ``UNWIND`` per relation type, one tx per batch.

        Each batch first runs the plain ``MERGE … ON CREATE SET`` (the cost of a raw ``UNWIND … MERGE``);
        only when the server reports fewer relationships created than rows — some existed already — does
        the evidence-merging statement run over the batch (new ones are skipped by their identical keys).
        Not atomic across the two statements, but idempotent: re-running completes a cut-off batch.
        """
        by_type = fact_rows(facts)
        self.write_typed(by_type, DOCUMENT_FACTS, batch_size)
        return sum(len(rows) for rows in by_type.values())

    def write_typed(
        self,
        by_type: dict[str, list[Any]],
        statements: FactStatements,
        batch_size: int,
        on_batch: OnBatch | None = None,
    ) -> tuple[int, int]:
        """Write fact rows grouped by relationship type; returns (rows of types new to the graph, other rows)."""
        fresh = merged = 0
        for rel in sorted(by_type):
            rows, rel_type = by_type[rel], self.relation_type(rel)
            merge = statements.merge.format(rel=rel_type)
            if statements.fresh and not self.graph.value(queries.ANY_RELATIONSHIP.format(rel=rel_type), default=0):
                self.graph.write_batches(
                    statements.fresh.format(rel=rel_type), rows, batch_size=batch_size, on_batch=on_batch
                )
                fresh += len(rows)
                continue
            merged += len(rows)
            if statements.create is None:
                self.graph.write_batches(merge, rows, batch_size=batch_size, on_batch=on_batch)
                continue
            create = statements.create.format(rel=rel_type)
            for i in range(0, len(rows), batch_size):
                batch = rows[i : i + batch_size]
                if self.graph.write(create, {"rows": batch}).get("relationships_created", 0) < len(batch):
                    self.graph.write(merge, {"rows": batch})
                if on_batch:
                    on_batch(len(batch))
        return fresh, merged

    # ------------------------------------------------------------------ imports

    def write_source(self, doc: Document) -> None:
        """The ``Document`` node of an imported file (no chunks), hash marker included."""
        self.graph.write(
            queries.MERGE_SOURCE,
            {
                "id": doc.id,
                "title": doc.title,
                "source": doc.source,
                "hash": doc.content_hash,
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "metadata": json.dumps(doc.metadata),
            },
        )

    def write_imported_entities(
        self, names: dict[str, str], source: str, batch_size: int, on_batch: OnBatch | None = None
    ) -> int:
        """Untyped entities ``{id: name}`` of an imported file (``source`` = its name), in batches."""
        rows = [[eid, name, normalize_name(name), source] for eid, name in names.items()]
        return self.graph.write_batches(queries.IMPORT_ENTITIES, rows, batch_size=batch_size, on_batch=on_batch)
