"""One node per real entity: nodes that name one entity twice are merged in the graph after a build.

Two cases, both looked up only for the names a build touched:

- **one name, two types** ("Marcus Ede" read as an Organization in one document, as a Person in another): the
  type is decided by the evidence — a type is possible only when every fact on every node of that name admits it
  (domain for the subject side, range for the object side). The nodes merge only when exactly one type is
  possible: when no type fits every fact they are two real entities, and when several do, votes alone are no
  evidence that the readings name one entity. A place never merges into a node of another type (towns lend their
  names to people, companies and institutions);
- **an abbreviation** ("BWR" written before the document that says "Brightwater Robotics (BWR)" was built): a
  node of the same type whose name is another node's abbreviation alias.

The losing node's facts (with their evidence and supersession marks) and mentions move to the winner, its name
becomes an alias there, and the node is deleted — all in one transaction per merge.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from kgqa.graph.access import GraphAccess
from kgqa.ingest.constraints import Evidence, FactRecord
from kgqa.ingest.resolve import EntityRecord, is_abbreviation, normalize
from kgqa.ingest.write import GraphWriter
from kgqa.ontology import Ontology

SUPERSESSION_KEYS = ("superseded_by", "superseded_by_name", "superseded_in", "superseded_key", "superseded_evidence")

_NODES = """
UNWIND $norms AS n
MATCH (e:Entity {norm: n})
WHERE e.type IS NOT NULL
RETURN e.id AS id, e.name AS name, e.type AS type, e.norm AS norm, e.aliases AS aliases
"""
_FACTS = """
UNWIND $ids AS id
MATCH (e:Entity {id: id})-[r]-(o:Entity)
RETURN id, type(r) AS rel, startNode(r) = e AS out, o.id AS other, properties(r) AS p
"""
_MOVE_MENTIONS = """
MATCH (c:Chunk)-[:MENTIONS]->(:Entity {id: $loser})
MATCH (w:Entity {id: $winner})
MERGE (c)-[:MENTIONS]->(w)
"""
_SET_ALIASES = "MATCH (w:Entity {id: $winner}) SET w.aliases = $aliases"
_DELETE = "MATCH (l:Entity {id: $loser}) DETACH DELETE l"
_SUPERSEDED_BY = """
MATCH (:Entity)-[r]->(:Entity)
WHERE r.superseded_by = $loser
SET r.superseded_by = $winner
"""
_MARK = """
MATCH (s:Entity {{id: $s}})-[r:{rel}]->(o:Entity {{id: $o}})
SET r += $props
"""


@dataclass
class NodeMerge:
    """One node merged into another, and why (listed in the build summary)."""

    name: str
    loser: str
    winner: str
    reason: str
    facts_moved: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "from": self.loser,
            "into": self.winner,
            "reason": self.reason,
            "facts_moved": self.facts_moved,
        }


def _allows(ontology: Ontology, rel: str, out: bool, type_: str) -> bool:
    r = ontology.relation(rel)
    if r is None:
        return True
    return type_ in (r.domain if out else r.range) or (r.symmetric and type_ in r.range + r.domain)


def decide_type(ontology: Ontology, nodes: list[dict], facts: dict[str, list[dict]]) -> tuple[str | None, str]:
    """The type one name's nodes should share, or None (they are different entities), with the reason: the one
    type the facts of every node admit."""
    types = sorted({n["type"] for n in nodes})
    all_facts = [f for n in nodes for f in facts.get(n["id"], [])]
    possible = [t for t in types if all(_allows(ontology, f["rel"], f["out"], t) for f in all_facts)]
    if not possible:
        return None, "no type admits every fact of the name"
    if len(possible) > 1:
        # votes alone are no evidence that two readings name one entity: the facts must rule the others out
        return None, f"the facts fit {' and '.join(possible)}: no evidence the nodes are one entity"
    place = ontology.type_with_role("place")
    if place in types and possible[0] != place:
        # towns lend their names to people, companies and institutions: the place stays itself
        return None, f"the place keeps its own node beside the {possible[0]} of its name"
    return possible[0], f"re-typed mention: the facts admit only {possible[0]}"


def _records(rows: list[dict], loser: str, winner: str, ontology: Ontology) -> tuple[list[FactRecord], list]:
    """The loser's facts re-pointed at the winner (evidence kept), and the supersession marks to carry over."""
    records: list[FactRecord] = []
    marks: list[tuple[str, str, str, dict]] = []
    for row in rows:
        if row["other"] in (winner, loser):
            continue  # would become a self-loop
        s, o = (winner, row["other"]) if row["out"] else (row["other"], winner)
        rel = ontology.relation(row["rel"])
        if rel is not None and rel.symmetric and o < s:
            s, o = o, s
        p = row["p"] or {}
        fields = zip(
            p.get("evidence_keys") or [],
            p.get("doc_ids") or [],
            p.get("chunk_ids") or [],
            p.get("sentences") or [],
            p.get("extractors") or [],
            p.get("confidences") or [],
            strict=False,
        )
        records.append(FactRecord(s, row["rel"], o, [Evidence(*f) for f in fields]))
        props = {k: p[k] for k in SUPERSESSION_KEYS if p.get(k) is not None}
        if props:
            marks.append((s, row["rel"], o, props))
    return records, marks


def merge_node(graph: GraphAccess, writer: GraphWriter, loser: dict, winner: dict) -> int:
    """Move ``loser``'s facts and mentions to ``winner`` and delete it, in one transaction; returns facts moved."""
    ontology = writer.ontology
    assert ontology is not None
    rows = graph.read(_FACTS, {"ids": [loser["id"]]}, max_rows=1_000_000).rows
    records, marks = _records(rows, loser["id"], winner["id"], ontology)
    aliases = list(dict.fromkeys([*(winner.get("aliases") or []), *(loser.get("aliases") or [])]))
    if loser["name"] != winner["name"] and loser["name"] not in aliases:
        aliases.append(loser["name"])
    statements = writer.fact_statements(records)
    statements += [
        (_MARK.format(rel=writer.relation_type(rel)), {"s": s, "o": o, "props": props}) for s, rel, o, props in marks
    ]
    statements += [
        (_MOVE_MENTIONS, {"loser": loser["id"], "winner": winner["id"]}),
        (_SUPERSEDED_BY, {"loser": loser["id"], "winner": winner["id"]}),
        (_SET_ALIASES, {"winner": winner["id"], "aliases": aliases}),
        (_DELETE, {"loser": loser["id"]}),
    ]
    graph.write_together(statements)
    writer.known_entities.discard(loser["id"])
    return len(records)


def _typed_groups(nodes: list[dict]) -> list[list[dict]]:
    by_norm: dict[str, list[dict]] = defaultdict(list)
    for n in nodes:
        by_norm[n["norm"]].append(n)
    return [g for g in by_norm.values() if len({n["type"] for n in g}) > 1]


def _abbreviation_pairs(nodes: list[dict], owners: list[EntityRecord]) -> list[tuple[dict, dict]]:
    """(node named by an abbreviation, node that has it as an alias), same type, different nodes."""
    by_key = {(n["type"], n["norm"]): n for n in nodes}
    pairs = []
    for e in owners:
        owner = {"id": e.id, "name": e.name, "type": e.type, "norm": e.norm, "aliases": list(e.aliases)}
        for alias in e.aliases:
            other = by_key.get((e.type, normalize(alias, e.type)))
            if other and other["id"] != e.id and is_abbreviation(alias, e.name):
                pairs.append((other, owner))
    return pairs


def consolidate(graph: GraphAccess, writer: GraphWriter, touched: list[EntityRecord]) -> list[NodeMerge]:
    """Merge the nodes that name one entity twice among the names of ``touched`` entities."""
    ontology = writer.ontology
    if ontology is None or not touched:
        return []
    norms = {e.norm for e in touched} | {normalize(a, e.type) for e in touched for a in e.aliases}
    nodes = graph.read(_NODES, {"norms": sorted(norms)}, max_rows=1_000_000).rows
    nodes = [n for n in nodes if ontology.entity(n["type"])]
    done: list[NodeMerge] = []
    for group in _typed_groups(nodes):
        ids = [n["id"] for n in group]
        facts: dict[str, list[dict]] = defaultdict(list)
        for row in graph.read(_FACTS, {"ids": ids}, max_rows=1_000_000).rows:
            facts[row["id"]].append(row)
        winner_type, reason = decide_type(ontology, group, facts)
        if winner_type is None:
            done.append(NodeMerge(group[0]["name"], ", ".join(ids), "", f"kept apart: {reason}"))
            continue
        winner = next(n for n in group if n["type"] == winner_type)
        for loser in group:
            if loser["id"] != winner["id"]:
                moved = merge_node(graph, writer, loser, winner)
                done.append(NodeMerge(loser["name"], loser["id"], winner["id"], reason, moved))
    gone = {m.loser for m in done if m.winner}
    for short, owner in _abbreviation_pairs([n for n in nodes if n["id"] not in gone], touched):
        moved = merge_node(graph, writer, short, owner)
        done.append(NodeMerge(short["name"], short["id"], owner["id"], f"abbreviation of {owner['name']!r}", moved))
    return done
