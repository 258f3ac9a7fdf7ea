"""Superseded and conflicting facts behind an answer (single-valued relations of the ontology).

An answer held only by facts a later statement replaced ("Marcus Ede is now its CEO, replacing Tomas Greer")
is not a current answer while another one is: it is dropped and the text says who replaced whom, and where.
Two current answers of a single-valued relation (two CEOs of one company, no replacement statement) are a
conflict: both stay, and the text says the graph has conflicting facts.
"""

from __future__ import annotations

from kgqa.qa.model import AnswerItem, Subgraph, SubgraphRelationship
from kgqa.qa.parser.lexicon import lexicon
from kgqa.qa.parser.reading import statement


def _incident(rels: list[SubgraphRelationship], node: str) -> list[SubgraphRelationship]:
    return [r for r in rels if node in (r.start, r.end)]


def current_answers(answers: list[AnswerItem], subgraph: Subgraph) -> tuple[list[AnswerItem], str]:
    """Answers without those held only by superseded facts (when others remain), and the note to add."""
    rels = subgraph.relationships
    old = [a for a in answers if (inc := _incident(rels, a.id)) and all(r.superseded_by for r in inc)]
    if not old:
        return answers, ""
    notes = []
    for a in old:
        r = _incident(rels, a.id)[0]
        notes.append(f"{r.superseded_by} replaced {a.name}, per {r.superseded_in}")
    current = [a for a in answers if a not in old]
    if not current:
        return answers, f" (superseded: {'; '.join(notes)})"
    return current, f" ({'; '.join(notes)})"


def conflicts(answers: list[AnswerItem], subgraph: Subgraph, ontology: str | None) -> str:
    """ "The graph has 2 conflicting facts: ..." for current answers of one single-valued relation, else ""."""
    onto = lexicon(ontology).ontology
    names = {n.id: n.name for n in subgraph.nodes}
    ids = {a.id for a in answers}
    groups: dict[tuple[str, str], list[SubgraphRelationship]] = {}
    for r in subgraph.relationships:
        rel = onto.relation(r.type)
        if rel is None or r.superseded_by:
            continue
        if rel.inverse_functional and r.start in ids:
            groups.setdefault((r.type, r.end), []).append(r)
        elif rel.functional and r.end in ids:
            groups.setdefault((r.type, r.start), []).append(r)
    out = []
    for group in groups.values():
        if len(group) > 1:
            facts = [statement(onto, r.type, names.get(r.start, r.start), names.get(r.end, r.end)) for r in group]
            docs = sorted({e.doc_id for r in group for e in r.evidence if e.doc_id})
            out.append(f"the graph has {len(group)} conflicting facts: {'; '.join(facts)} (from {', '.join(docs)})")
    return (" Note: " + ". ".join(out) + ".") if out else ""
