// kgqa constraints and indexes (the same statements `kgqa graph start` / kgqa.graph.schema.ensure_constraints run).
// Paste into Neo4j Browser (multi-statement editor) or run with:
//   cypher-shell -u neo4j -p PASSWORD -f cypher/constraints.cypher
// Safe to run again: every statement uses IF NOT EXISTS.

CREATE CONSTRAINT document_id IF NOT EXISTS FOR (n:Document) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT chunk_id IF NOT EXISTS FOR (n:Chunk) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE;
CREATE INDEX entity_name IF NOT EXISTS FOR (n:Entity) ON (n.name);
CREATE INDEX entity_norm IF NOT EXISTS FOR (n:Entity) ON (n.norm);
