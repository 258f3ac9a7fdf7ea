"""A small graph following docs/graph-model.md, written with plain Cypher (for the API tests)."""

from __future__ import annotations

import itertools

from kgqa.graph.client import Graph

DOC = {
    "id": "acme.txt",
    "title": "Acme",
    "source": "tests",
    "hash": "0" * 64,
    "ingested_at": "2026-11-22T15:00:00Z",
    "metadata": "{}",
}
SENTENCES = [
    "Ada Lovelace works for Acme Corp.",
    "Acme Corp is headquartered in London.",
    "Ada Lovelace was born in London.",
    "Charles Babbage founded Acme Corp.",
    "Ada Lovelace wrote Notes on the Analytical Engine.",
]
ENTITIES = [
    ("person:ada-lovelace", "Ada Lovelace", "Person", ["Ada", "Augusta Ada King"]),
    ("person:charles-babbage", "Charles Babbage", "Person", ["Babbage"]),
    ("organization:acme-corp", "Acme Corp", "Organization", ["Acme", "ACME Corporation"]),
    ("location:london", "London", "Location", []),
    ("work:notes", "Notes on the Analytical Engine", "Work", ["Notes"]),
]
FACTS = [  # (subject, type, object, sentence index)
    ("person:ada-lovelace", "WORKS_FOR", "organization:acme-corp", 0),
    ("organization:acme-corp", "HEADQUARTERED_IN", "location:london", 1),
    ("person:ada-lovelace", "BORN_IN", "location:london", 2),
    ("person:charles-babbage", "FOUNDED", "organization:acme-corp", 3),
    ("person:ada-lovelace", "AUTHOR_OF", "work:notes", 4),
]


def seed(graph: Graph) -> None:
    """Write one document, one chunk per sentence, five entities and five facts with evidence."""
    graph.write(
        "MERGE (d:Document {id: $id}) SET d.title = $title, d.source = $source, d.hash = $hash, "
        "d.ingested_at = $ingested_at, d.metadata = $metadata",
        DOC,
    )
    chunks = []
    offset = 0
    for index, sentence in enumerate(SENTENCES):
        chunks.append(
            {
                "id": f"{DOC['id']}#{index}",
                "doc_id": DOC["id"],
                "index": index,
                "text": sentence,
                "start": offset,
                "end": offset + len(sentence),
            }
        )
        offset += len(sentence) + 1
    graph.write_batches(
        "UNWIND $rows AS row MERGE (c:Chunk {id: row.id}) SET c.doc_id = row.doc_id, c.index = row.index, "
        "c.text = row.text, c.start = row.start, c.end = row.end "
        "WITH c, row MATCH (d:Document {id: row.doc_id}) MERGE (c)-[:PART_OF]->(d)",
        chunks,
    )
    for a, b in itertools.pairwise(chunks):
        graph.write("MATCH (a:Chunk {id: $a}), (b:Chunk {id: $b}) MERGE (a)-[:NEXT]->(b)", {"a": a["id"], "b": b["id"]})
    for entity_id, name, type_, aliases in ENTITIES:
        graph.write(
            f"MERGE (e:Entity:{type_} {{id: $id}}) SET e.name = $name, e.norm = $norm, e.type = $type, "
            "e.aliases = $aliases",
            {"id": entity_id, "name": name, "norm": name.lower(), "type": type_, "aliases": aliases},
        )

    for subject, rel, obj, index in FACTS:
        chunk_id = f"{DOC['id']}#{index}"
        graph.write(
            f"MATCH (s:Entity {{id: $s}}), (o:Entity {{id: $o}}) MERGE (s)-[r:{rel}]->(o) "
            "SET r.evidence_keys = [$key], r.doc_ids = [$doc], r.chunk_ids = [$chunk], r.sentences = [$sentence], "
            "r.extractors = ['rules'], r.confidences = [0.9], r.confidence = 0.9",
            {
                "s": subject,
                "o": obj,
                "key": f"{chunk_id}/0",
                "doc": DOC["id"],
                "chunk": chunk_id,
                "sentence": SENTENCES[index],
            },
        )
        for entity_id in (subject, obj):
            graph.write(
                "MATCH (c:Chunk {id: $c}), (e:Entity {id: $e}) MERGE (c)-[:MENTIONS]->(e)",
                {"c": chunk_id, "e": entity_id},
            )
