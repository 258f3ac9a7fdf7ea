"""A small hand-written graph for the question-answering tests (shape per docs/graph-model.md)."""

from __future__ import annotations

from kgqa.graph.client import Graph

# id, name, type, aliases
ENTITIES = [
    ("person:ada-lovelace", "Ada Lovelace", "Person", ["Ada", "Augusta Ada King"]),
    ("person:charles-babbage", "Charles Babbage", "Person", []),
    ("person:grace-hopper", "Grace Hopper", "Person", []),
    ("person:alan-turing", "Alan Turing", "Person", []),
    ("person:william-king", "William King", "Person", []),
    ("person:mary-somerville", "Mary Somerville", "Person", []),
    ("org:acme", "Acme Corp", "Organization", ["Acme", "Acme Corporation"]),
    ("org:globex", "Globex", "Organization", ["Globex Corporation"]),
    ("org:initech", "Initech", "Organization", []),
    ("org:cambridge", "University of Cambridge", "Organization", ["Cambridge University"]),
    ("loc:london", "London", "Location", []),
    ("loc:england", "England", "Location", []),
    ("loc:springfield", "Springfield", "Location", []),
    ("loc:paris", "Paris", "Location", []),
    ("work:notes", "Notes on the Analytical Engine", "Work", ["Notes"]),
]

# subject, relation, object, sentence
FACTS = [
    ("person:ada-lovelace", "CEO_OF", "org:acme", "Ada Lovelace is the chief executive of Acme Corp."),
    ("person:ada-lovelace", "BORN_IN", "loc:london", "Ada Lovelace was born in London."),
    ("person:ada-lovelace", "STUDIED_AT", "org:cambridge", "Ada studied at the University of Cambridge."),
    ("person:ada-lovelace", "SIBLING_OF", "person:grace-hopper", "Grace Hopper is the sister of Ada Lovelace."),
    ("person:ada-lovelace", "MARRIED_TO", "person:william-king", "Ada Lovelace married William King in 1835."),
    ("person:ada-lovelace", "AUTHOR_OF", "work:notes", "Ada Lovelace wrote the Notes on the Analytical Engine."),
    ("person:charles-babbage", "WORKS_FOR", "org:acme", "Charles Babbage works for Acme Corp."),
    ("person:charles-babbage", "LIVES_IN", "loc:london", "Charles Babbage lives in London."),
    ("person:mary-somerville", "WORKS_FOR", "org:acme", "Mary Somerville joined Acme Corp in 2020."),
    ("person:mary-somerville", "LIVES_IN", "loc:paris", "Mary Somerville lives in Paris."),
    ("person:grace-hopper", "CEO_OF", "org:globex", "Grace Hopper runs Globex."),
    ("person:grace-hopper", "BORN_IN", "loc:springfield", "Grace Hopper was born in Springfield."),
    ("person:alan-turing", "FOUNDED", "org:initech", "Alan Turing founded Initech."),
    ("person:alan-turing", "WORKS_FOR", "org:globex", "Alan Turing works for Globex."),
    ("person:alan-turing", "STUDIED_AT", "org:cambridge", "Alan Turing graduated from the University of Cambridge."),
    ("org:globex", "ACQUIRED", "org:initech", "Globex acquired Initech in 2019."),
    ("org:acme", "HEADQUARTERED_IN", "loc:london", "Acme Corp is headquartered in London."),
    ("org:globex", "HEADQUARTERED_IN", "loc:springfield", "Globex has its headquarters in Springfield."),
    ("loc:london", "LOCATED_IN", "loc:england", "London is in England."),
]


def norm(name: str) -> str:
    return " ".join(name.lower().replace(".", " ").split())


def load_world(graph: Graph) -> None:
    """Write the entities, facts (with evidence lists) and one document + chunk per fact."""
    graph.write_batches(
        "UNWIND $rows AS row MERGE (d:Document {id: row.doc}) SET d.title = row.doc "
        "MERGE (c:Chunk {id: row.chunk}) SET c.doc_id = row.doc, c.index = 0, c.text = row.sentence "
        "MERGE (c)-[:PART_OF]->(d)",
        [{"doc": f"doc{i}.txt", "chunk": f"doc{i}.txt#0", "sentence": f[3]} for i, f in enumerate(FACTS)],
    )
    for etype in {e[2] for e in ENTITIES}:
        graph.write_batches(
            f"UNWIND $rows AS row MERGE (e:Entity:{etype} {{id: row.id}}) "
            "SET e.name = row.name, e.norm = row.norm, e.type = row.type, e.aliases = row.aliases",
            [{"id": i, "name": n, "norm": norm(n), "type": t, "aliases": a} for i, n, t, a in ENTITIES if t == etype],
        )
    for rel in {f[1] for f in FACTS}:
        graph.write_batches(
            f"UNWIND $rows AS row MATCH (s:Entity {{id: row.s}}) MATCH (o:Entity {{id: row.o}}) "
            f"MERGE (s)-[r:{rel}]->(o) "
            "SET r.evidence_keys = [row.chunk + '/0'], r.doc_ids = [row.doc], r.chunk_ids = [row.chunk], "
            "r.sentences = [row.sentence], r.extractors = ['test'], r.confidences = [0.9], r.confidence = 0.9 "
            "WITH row, s MATCH (c:Chunk {id: row.chunk}) MERGE (c)-[:MENTIONS]->(s)",
            [
                {"s": s, "o": o, "sentence": sent, "doc": f"doc{i}.txt", "chunk": f"doc{i}.txt#0"}
                for i, (s, r, o, sent) in enumerate(FACTS)
                if r == rel
            ],
        )


def fingerprint(graph: Graph) -> tuple:
    """Counts that change when anything is written (to assert the graph is unchanged)."""
    nodes = graph.value("MATCH (n) RETURN count(n) AS c")
    rels = graph.value("MATCH ()-[r]->() RETURN count(r) AS c")
    names = graph.read("MATCH (e:Entity) RETURN e.id AS id, e.name AS name ORDER BY id").rows
    return nodes, rels, tuple((r["id"], r["name"]) for r in names)


def _slug(name: str) -> str:
    return "-".join(norm(name).replace("'", "").split())


def load_gold_triples(graph: Graph, path) -> int:
    """Load a gold-fact TSV (``subject<TAB>RELATION<TAB>object``) as a graph per docs/graph-model.md.

    Entity types come from the ontology's domain/range (the unambiguous ones win); each fact gets
    one evidence entry quoting the triple.
    """
    from pathlib import Path

    from kgqa.ontology import load_ontology

    onto = load_ontology()
    triples = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        s, r, o = (x.strip() for x in line.split("\t")[:3])
        triples.append((s, r, o))
    votes: dict[str, dict[str, int]] = {}
    for s, r, o in triples:
        rel = onto.relation(r)
        for name, types in ((s, rel.domain), (o, rel.range)):
            for t in types:
                votes.setdefault(name, {}).setdefault(t, 0)
                votes[name][t] += 2 if len(types) == 1 else 1
    types = {name: max(v.items(), key=lambda kv: kv[1])[0] for name, v in votes.items()}
    ids = {name: f"{t.lower()}:{_slug(name)}" for name, t in types.items()}
    for etype in set(types.values()):
        graph.write_batches(
            f"UNWIND $rows AS row MERGE (e:Entity:{etype} {{id: row.id}}) "
            "SET e.name = row.name, e.norm = row.norm, e.type = row.type, e.aliases = []",
            [{"id": ids[n], "name": n, "norm": norm(n), "type": t} for n, t in types.items() if t == etype],
        )
    for k, (s, r, o) in enumerate(triples):
        a, b = sorted([ids[s], ids[o]]) if onto.relation(r).symmetric else (ids[s], ids[o])
        graph.write(
            f"MATCH (s:Entity {{id: $s}}) MATCH (o:Entity {{id: $o}}) MERGE (s)-[r:{r}]->(o) "
            "SET r.sentences = [$sentence], r.doc_ids = ['gold.tsv'], r.chunk_ids = [$chunk], "
            "r.evidence_keys = [$chunk + '/0'], r.extractors = ['gold'], r.confidences = [1.0], r.confidence = 1.0",
            {"s": a, "o": b, "sentence": f"{s} {r} {o}.", "chunk": f"gold.tsv#{k}"},
        )
    return len(triples)


def gold_world(graph: Graph, tmp_path, text: str) -> Graph:
    """``graph`` holding the gold-fact TSV ``text`` (see ``load_gold_triples``), with the ask caches dropped."""
    from kgqa.qa.pipeline import invalidate_caches

    gold = tmp_path / "world.tsv"
    gold.write_text(text.strip() + "\n", encoding="utf-8")
    load_gold_triples(graph, gold)
    invalidate_caches(graph)
    return graph


def imported_world(graph: Graph, folder, kb: str) -> Graph:
    """``graph`` cleared and holding the pipe-separated triples ``kb`` (MetaQA's kb.txt format), caches dropped."""
    from pathlib import Path

    from kgqa.ingest.triples import import_triples
    from kgqa.qa import linking
    from kgqa.qa.pipeline import invalidate_caches

    graph.clear()
    path = Path(folder) / "kb.txt"
    path.write_text(kb, encoding="utf-8")
    import_triples(graph, path, "pipe")
    invalidate_caches(graph)
    linking.invalidate(graph)
    return graph


def answer_names(res) -> set[str]:
    """The names of an AskResult's answers."""
    return {a.name for a in res.answers}
