"""kgqa's shared Cypher: the graph writer's statements and the statements more than one module runs.

The graph model is in docs/graph-model.md. Every statement here runs on both Neo4j 5 and the embedded
ArcadeDB server (no APOC). Templates with ``{rel}`` / ``{label}`` take a relationship type or entity label
that the caller has checked (ontology, identifier pattern): types and labels cannot be parameters.

Documents (``kgqa.ingest.write.GraphWriter.write_documents``): rows are maps, one transaction per group of
documents. Imported triples (``GraphWriter.write_import``): rows are lists, not maps — the embedded
server reads list items several times faster than map keys (docs/benchmarks.md).
"""

from __future__ import annotations

# ------------------------------------------------------------------------------------------------ counts

# Two plain counts: both servers answer them from their counters (one combined query is ~3× slower on ArcadeDB).
COUNT_NODES = "MATCH (n) RETURN count(n) AS c"
COUNT_RELATIONSHIPS = "MATCH ()-[r]->() RETURN count(r) AS c"
COUNT_DOCUMENTS = "MATCH (d:Document) RETURN count(d) AS c"
COUNT_CHUNKS = "MATCH (c:Chunk) RETURN count(c) AS c"
COUNT_ENTITIES = "MATCH (e:Entity) RETURN count(e) AS c"
COUNT_FACTS = "MATCH (:Entity)-[r]->(:Entity) RETURN count(r) AS c"
ANY_RELATIONSHIP = "MATCH ()-[r:{rel}]->() WITH r LIMIT 1 RETURN count(r) AS c"  # 1 if the type is present

DOCUMENT_HASHES = "UNWIND $ids AS id MATCH (d:Document {id: id}) RETURN d.id AS id, d.hash AS hash"
SET_DOCUMENT_SOURCE = "MATCH (d:Document) WHERE d.id IN $ids SET d.source = $source"

# ------------------------------------------------------------------------------------------------ documents
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

# An old fact replaced by a later statement ("now its CEO, replacing X") keeps its evidence and gains these marks.
MARK_SUPERSEDED = """
UNWIND $rows AS row
MATCH (s:Entity {{id: row.s}})-[r:{rel}]->(o:Entity {{id: row.o}})
SET r.superseded_by = row.by, r.superseded_by_name = row.by_name, r.superseded_in = row.doc,
    r.superseded_key = row.key, r.superseded_evidence = row.sentence
"""

# Retracting (or rebuilding) a document takes back the supersession marks its statements made.
CLEAR_SUPERSEDED = """
UNWIND $docs AS doc
MATCH (:Document {id: doc})<-[:PART_OF]-(:Chunk)-[:MENTIONS]->(e:Entity)
WITH DISTINCT e
MATCH (e)-[r]-(:Entity)
WHERE r.superseded_in IN $docs
SET r.superseded_by = null, r.superseded_by_name = null, r.superseded_in = null,
    r.superseded_key = null, r.superseded_evidence = null
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

# ------------------------------------------------------------------------------------------------ imports

# An imported file's Document node (no chunks): everything in one statement.
MERGE_SOURCE = (
    "MERGE (d:Document {id: $id}) "
    "SET d.title = $title, d.source = $source, d.hash = $hash, d.ingested_at = $at, d.metadata = $metadata"
)

# Row: [id, name, norm, source]. Imported entities carry no type label (triples carry no types); like
# CREATE_ENTITIES, an entity is created only when no Entity has its id, and never overwritten.
IMPORT_ENTITIES = (
    "UNWIND $rows AS row "
    "OPTIONAL MATCH (x:Entity {id: row[0]}) "
    "WITH row, x WHERE x IS NULL "
    "CREATE (e:Entity {id: row[0], name: row[1], norm: row[2], aliases: [], source: row[3]})"
)

# Row: [subject id, object id, relation, keys, sentences, doc id, extractor]. For a type the graph does not
# hold yet: plain CREATE (much cheaper than MERGE on the embedded server).
IMPORT_CREATE_FACTS = (
    "UNWIND $rows AS row "
    "MATCH (a:Entity {{id: row[0]}}) MATCH (b:Entity {{id: row[1]}}) "
    "CREATE (a)-[r:{rel} {{relation: row[2], evidence_keys: row[3], "
    "doc_ids: [k IN row[3] | row[5]], chunk_ids: row[3], sentences: row[4], "
    "extractors: [k IN row[3] | row[6]], confidences: [k IN row[3] | 1.0], confidence: 1.0}}]->(b)"
)

# Same rows, for a type the graph holds: MERGE, appending only evidence entries whose keys are new.
IMPORT_MERGE_FACTS = (
    "UNWIND $rows AS row "
    "MATCH (a:Entity {{id: row[0]}}) MATCH (b:Entity {{id: row[1]}}) "
    "MERGE (a)-[r:{rel}]->(b) "
    "ON CREATE SET r.relation = row[2], r.evidence_keys = [], r.doc_ids = [], r.chunk_ids = [], "
    "r.sentences = [], r.extractors = [], r.confidences = [], r.confidence = 1.0 "
    "WITH r, row, [i IN range(0, size(row[3]) - 1) WHERE NOT row[3][i] IN coalesce(r.evidence_keys, [])] AS new "
    "WHERE size(new) > 0 "
    "SET r.evidence_keys = coalesce(r.evidence_keys, []) + [i IN new | row[3][i]], "
    "r.doc_ids = coalesce(r.doc_ids, []) + [i IN new | row[5]], "
    "r.chunk_ids = coalesce(r.chunk_ids, []) + [i IN new | row[3][i]], "
    "r.sentences = coalesce(r.sentences, []) + [i IN new | row[4][i]], "
    "r.extractors = coalesce(r.extractors, []) + [i IN new | row[6]], "
    "r.confidences = coalesce(r.confidences, []) + [i IN new | 1.0]"
)
