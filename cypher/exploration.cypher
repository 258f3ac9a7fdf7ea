// kgqa exploration queries for Neo4j Browser (graph model: docs/graph-model.md).
// Run one block at a time: set its :param lines first, then run the query.
// Every query here is read-only.

// ---------------------------------------------------------------- 1. schema overview
// Labels with counts.
MATCH (n)
UNWIND labels(n) AS label
RETURN label, count(*) AS nodes
ORDER BY nodes DESC;

// Relationship patterns with counts: (start type)-[TYPE]->(end type).
MATCH (a)-[r]->(b)
WITH [l IN labels(a) WHERE NOT l IN ['Entity']][0] AS start, type(r) AS type,
     [l IN labels(b) WHERE NOT l IN ['Entity']][0] AS end
RETURN start, type, end, count(*) AS relationships
ORDER BY relationships DESC;

// The schema as a graph (Neo4j only: APOC-free built-in procedure).
CALL db.schema.visualization();

// ---------------------------------------------------------------- 2. find an entity
:param name => 'ada';

MATCH (e:Entity)
WHERE toLower(e.name) CONTAINS toLower($name)
   OR any(a IN coalesce(e.aliases, []) WHERE toLower(a) CONTAINS toLower($name))
RETURN e.id AS id, e.name AS name, e.type AS type, e.aliases AS aliases
ORDER BY size(e.name) LIMIT 25;

// ---------------------------------------------------------------- 3. an entity's neighbourhood
:param id => 'person:ada-lovelace';

MATCH p = (e:Entity {id: $id})-[r]-(other:Entity)
RETURN p LIMIT 100;

// ... with the evidence of each fact as a table.
MATCH (e:Entity {id: $id})-[r]-(other:Entity)
RETURN startNode(r).name AS subject, type(r) AS relation, endNode(r).name AS object,
       r.confidence AS confidence, r.sentences AS sentences, r.doc_ids AS documents
ORDER BY relation, object;

// Two hops out (entities only).
MATCH p = (e:Entity {id: $id})-[*1..2]-(:Entity)
WHERE all(n IN nodes(p) WHERE n:Entity)
RETURN p LIMIT 200;

// ---------------------------------------------------------------- 4. facts of a document
:param doc => 'acme.txt';

// The document, its chunks and the entities they mention.
MATCH p = (d:Document {id: $doc})<-[:PART_OF]-(c:Chunk)-[:MENTIONS]->(e:Entity)
RETURN p LIMIT 300;

// The facts it supports (a fact may also be supported by other documents).
MATCH (s:Entity)-[r]->(o:Entity)
WHERE $doc IN r.doc_ids
RETURN s.name AS subject, type(r) AS relation, o.name AS object,
       [i IN range(0, size(r.doc_ids) - 1) WHERE r.doc_ids[i] = $doc | r.sentences[i]] AS sentences,
       size(r.doc_ids) AS supporting_sentences
ORDER BY subject, relation;

// The same facts as a graph.
MATCH p = (s:Entity)-[r]->(o:Entity)
WHERE $doc IN r.doc_ids
RETURN p;

// ---------------------------------------------------------------- 5. evidence of one fact
:param subject => 'person:ada-lovelace';
:param relation => 'WORKS_FOR';
:param object => 'organization:acme-corp';

MATCH (s:Entity {id: $subject})-[r]->(o:Entity {id: $object})
WHERE type(r) = $relation
UNWIND range(0, size(r.sentences) - 1) AS i
RETURN s.name AS subject, type(r) AS relation, o.name AS object,
       r.sentences[i] AS sentence, r.doc_ids[i] AS document, r.chunk_ids[i] AS chunk,
       r.extractors[i] AS extractor, r.confidences[i] AS confidence;

// The chunks behind it, with their documents, as a graph.
MATCH (s:Entity {id: $subject})-[r]->(o:Entity {id: $object})
WHERE type(r) = $relation
MATCH p = (c:Chunk)-[:PART_OF]->(d:Document)
WHERE c.id IN r.chunk_ids
RETURN s, r, o, p;

// ---------------------------------------------------------------- 6. multi-hop paths between two entities
:param from => 'person:charles-babbage';
:param to => 'location:london';

// Every path of up to 3 facts (direction ignored), shortest first.
MATCH p = (a:Entity {id: $from})-[*1..3]-(b:Entity {id: $to})
WHERE all(n IN nodes(p) WHERE n:Entity)
RETURN p ORDER BY length(p) LIMIT 25;

// One shortest path.
MATCH (a:Entity {id: $from}), (b:Entity {id: $to})
MATCH p = shortestPath((a)-[*..6]-(b))
RETURN p;

// ---------------------------------------------------------------- 7. quality checks
// Facts supported by a single sentence, weakest first.
MATCH (s:Entity)-[r]->(o:Entity)
WHERE size(r.sentences) = 1
RETURN s.name AS subject, type(r) AS relation, o.name AS object, r.confidence AS confidence, r.sentences[0] AS sentence
ORDER BY confidence ASC LIMIT 50;

// Entities that nothing mentions and no fact touches (should be none).
MATCH (e:Entity)
WHERE NOT (e)--()
RETURN e.id, e.name LIMIT 50;
