"""The subgraph behind an answer: nodes and relationships collected from a query's returned rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kgqa.graph.schema import STRUCTURAL_LABELS
from kgqa.qa.model import (
    Evidence,
    Subgraph,
    SubgraphNode,
    SubgraphRelationship,
)


def _walk(value: Any) -> Iterator[dict[str, Any]]:
    """Every node/relationship/path dict inside a row value."""
    if isinstance(value, dict):
        kind = value.get("_kind")
        if kind in {"node", "relationship", "path"}:
            yield value
            return
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)


def _node_type(labels: list[str]) -> str | None:
    specific = sorted(lb for lb in labels if lb not in STRUCTURAL_LABELS)
    return specific[0] if specific else None


class _SubgraphBuilder:
    def __init__(self) -> None:
        self.nodes: dict[str, SubgraphNode] = {}
        self.rels: dict[tuple[str, str, str], SubgraphRelationship] = {}
        self.evidence: list[Evidence] = []
        self._seen_sentences: set[tuple[str, str]] = set()

    def node(self, n: dict[str, Any]) -> str | None:
        nid = n.get("id")
        if nid is None:
            return None
        nid = str(nid)
        if nid not in self.nodes:
            labels = [lb for lb in n.get("labels") or [] if lb]
            self.nodes[nid] = SubgraphNode(id=nid, name=str(n.get("name") or nid), labels=labels)
        return nid

    def rel(self, r: dict[str, Any]) -> None:
        start, end = r.get("start") or {}, r.get("end") or {}
        s, e = self.node(start), self.node(end)
        if s is None or e is None:
            return
        key = (s, r.get("type", ""), e)
        if key in self.rels:
            return
        props = r.get("properties") or {}
        fact = f"{self.nodes[s].name} -[{r.get('type')}]-> {self.nodes[e].name}"
        ev: list[Evidence] = []
        sentences = props.get("sentences") or []
        doc_ids = props.get("doc_ids") or []
        chunk_ids = props.get("chunk_ids") or []
        for k, sentence in enumerate(sentences if isinstance(sentences, list) else [sentences]):
            doc = str(doc_ids[k]) if k < len(doc_ids) else ""
            chunk = str(chunk_ids[k]) if k < len(chunk_ids) else None
            ev.append(Evidence(doc_id=doc, chunk_id=chunk, sentence=str(sentence), fact=fact))
        self.rels[key] = SubgraphRelationship(
            start=s,
            end=e,
            type=str(r.get("type", "")),
            evidence=ev,
            superseded_by=props.get("superseded_by_name"),
            superseded_in=props.get("superseded_in"),
        )
        for item in ev:
            mark = (item.sentence, item.doc_id)
            if mark not in self._seen_sentences:
                self._seen_sentences.add(mark)
                self.evidence.append(item)

    def add(self, value: Any) -> list[list[str]]:
        """Add every node/relationship/path in ``value``; return the node-id sequences of its paths."""
        paths: list[list[str]] = []
        for item in _walk(value):
            kind = item["_kind"]
            if kind == "node":
                self.node(item)
            elif kind == "relationship":
                self.rel(item)
                ids = [self.node(item.get("start") or {}), self.node(item.get("end") or {})]
                paths.append([x for x in ids if x])
            else:
                for r in item.get("relationships", []):
                    self.rel(r)
                paths.append([x for n in item.get("nodes", []) if (x := self.node(n))])
        return paths

    def build(self) -> Subgraph:
        return Subgraph(nodes=list(self.nodes.values()), relationships=list(self.rels.values()))
