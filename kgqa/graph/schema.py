"""Schema introspection and constraint/index set-up that work on Neo4j 5 and the embedded server."""

from __future__ import annotations

from dataclasses import dataclass, field

from kgqa.graph.access import GraphAccess

# Labels kgqa itself manages; every extracted entity also carries :Entity.
STRUCTURAL_LABELS = ("Document", "Chunk", "Entity")


@dataclass
class GraphSchema:
    """Labels, relationship types, property keys and the (start, type, end) patterns present."""

    labels: list[str] = field(default_factory=list)
    relationship_types: list[str] = field(default_factory=list)
    node_properties: dict[str, list[str]] = field(default_factory=dict)
    relationship_properties: dict[str, list[str]] = field(default_factory=dict)
    patterns: list[tuple[str, str, str]] = field(default_factory=list)
    label_counts: dict[str, int] = field(default_factory=dict)
    relationship_counts: dict[str, int] = field(default_factory=dict)
    sampled: bool = False  # patterns and property keys come from a sample of a large graph
    types_complete: bool = False  # labels and relationship types are complete (read from the catalogue)

    def has_pattern(self, start: str, rel: str, end: str) -> bool:
        return (start, rel, end) in set(self.patterns)

    def to_dict(self) -> dict:
        return {
            "labels": self.labels,
            "relationship_types": self.relationship_types,
            "node_properties": self.node_properties,
            "relationship_properties": self.relationship_properties,
            "patterns": [list(p) for p in self.patterns],
            "label_counts": self.label_counts,
            "relationship_counts": self.relationship_counts,
            "sampled": self.sampled,
            "types_complete": self.types_complete,
        }


def _type_label(labels: list[str]) -> str:
    """The most specific label of a node: its entity type, else its structural label."""
    specific = [label for label in labels if label not in STRUCTURAL_LABELS]
    if specific:
        return sorted(specific)[0]
    return labels[0] if labels else ""


def introspect(graph: GraphAccess, sample: int = 5000) -> GraphSchema:
    """Read the schema from the data itself, sampling ``sample`` relationships and nodes.

    Both servers answer these plain MATCH queries; ``db.*`` procedures differ between them.
    """
    schema = GraphSchema()
    node_rows = graph.read(
        "MATCH (n) WITH n LIMIT $sample RETURN labels(n) AS labels, keys(n) AS keys",
        {"sample": sample},
        max_rows=sample,
    ).rows
    rel_rows = graph.read(
        "MATCH (a)-[r]->(b) WITH a, r, b LIMIT $sample "
        "RETURN labels(a) AS a, type(r) AS t, labels(b) AS b, keys(r) AS keys",
        {"sample": sample},
        max_rows=sample,
    ).rows
    schema.sampled = len(node_rows) >= sample or len(rel_rows) >= sample
    labels: set[str] = set()
    node_props: dict[str, set[str]] = {}
    for row in node_rows:
        for label in row["labels"]:
            labels.add(label)
            node_props.setdefault(label, set()).update(row["keys"] or [])
    rel_props: dict[str, set[str]] = {}
    patterns: set[tuple[str, str, str]] = set()
    for row in rel_rows:
        rel_props.setdefault(row["t"], set()).update(row["keys"] or [])
        patterns.add((_type_label(row["a"]), row["t"], _type_label(row["b"])))
        labels.update(row["a"])
        labels.update(row["b"])
    # The sample can miss rare labels and types: complete the lists from the catalogue, then keep only
    # what the data holds (ArcadeDB keeps a type in its catalogue after its last instance is deleted).
    catalogue_labels = _catalogue(graph, "CALL db.labels() YIELD label RETURN label AS name")
    catalogue_types = _catalogue(
        graph, "CALL db.relationshipTypes() YIELD relationshipType RETURN relationshipType AS name"
    )
    schema.types_complete = catalogue_labels is not None and catalogue_types is not None
    labels.update(catalogue_labels or [])
    for rel in catalogue_types or []:
        if rel in rel_props:
            continue
        rows = graph.read(
            f"MATCH (a)-[r:`{_escape(rel)}`]->(b) WITH a, r, b LIMIT 50 "
            "RETURN labels(a) AS a, labels(b) AS b, keys(r) AS keys",
            max_rows=50,
        ).rows
        if rows:
            schema.sampled = True
            rel_props[rel] = {k for row in rows for k in row["keys"] or []}
            patterns.update((_type_label(row["a"]), rel, _type_label(row["b"])) for row in rows)
    schema.relationship_types = sorted(rel_props)
    schema.node_properties = {k: sorted(v) for k, v in sorted(node_props.items())}
    schema.relationship_properties = {k: sorted(v) for k, v in sorted(rel_props.items())}
    schema.patterns = sorted(patterns)
    for label in sorted(labels):
        count = graph.value(f"MATCH (n:`{_escape(label)}`) RETURN count(n) AS c", default=0)
        if count:
            schema.label_counts[label] = count
    schema.labels = sorted(schema.label_counts)
    for rel in schema.relationship_types:
        schema.relationship_counts[rel] = graph.value(
            f"MATCH ()-[r:`{_escape(rel)}`]->() RETURN count(r) AS c", default=0
        )
    return schema


def _catalogue(graph: GraphAccess, cypher: str) -> list[str] | None:
    """Names from a db.* catalogue procedure; None when the server does not offer it."""
    from kgqa.graph.client import QueryFailed

    try:
        return [row["name"] for row in graph.read(cypher, max_rows=100_000).rows if row.get("name")]
    except QueryFailed:
        return None


def _escape(name: str) -> str:
    return name.replace("`", "``")


CONSTRAINTS = [
    ("document_id", "Document", "id"),
    ("chunk_id", "Chunk", "id"),
    ("entity_id", "Entity", "id"),
]
INDEXES = [
    ("entity_name", "Entity", "name"),
    ("entity_norm", "Entity", "norm"),
]


def ensure_constraints(graph: GraphAccess) -> list[str]:
    """Create kgqa's uniqueness constraints and indexes if missing; return the statements run.

    ``IF NOT EXISTS`` syntax is accepted by Neo4j 5 and the embedded ArcadeDB server alike.
    """
    statements = [
        f"CREATE CONSTRAINT {name} IF NOT EXISTS FOR (n:{label}) REQUIRE n.{prop} IS UNIQUE"
        for name, label, prop in CONSTRAINTS
    ] + [f"CREATE INDEX {name} IF NOT EXISTS FOR (n:{label}) ON (n.{prop})" for name, label, prop in INDEXES]
    for statement in statements:
        graph.write(statement)
    return statements
