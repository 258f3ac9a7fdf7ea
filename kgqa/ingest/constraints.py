"""Rule-based constraints on extracted facts, in two phases.

``check_facts`` (before entity resolution, on surface names):
  - ``unknown_relation``: relation types the ontology does not define are dropped;
  - ``domain`` / ``range``: an untyped or mistyped endpoint is re-typed when the relation's domain/range
    allows exactly one type, otherwise the fact is dropped with the reason;
  - ``self_loop`` / ``empty``: a fact whose subject and object are the same name, or that lacks a name.

``finalize`` (after resolution, on entity ids):
  - ``self_loop``: subject and object resolved to the same entity;
  - symmetric relations are stored once, subject = the smaller entity id;
  - duplicates are merged, their evidence accumulated (one entry per evidence key).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

from kgqa.ingest.model import Fact, PrunedFact
from kgqa.ontology import Ontology


@dataclass
class Evidence:
    """One supporting sentence of a fact."""

    key: str  # f"{chunk_id}/{sentence_index}"
    doc_id: str
    chunk_id: str
    sentence: str
    extractor: str
    confidence: float


@dataclass
class FactRecord:
    """A fact between resolved entities, ready to be written."""

    subject_id: str
    relation: str
    object_id: str
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def confidence(self) -> float:
        return max((e.confidence for e in self.evidence), default=0.0)


@dataclass
class ConstraintReport:
    """What the rules did: pruned facts with reasons, re-typings, merged duplicates."""

    pruned: list[PrunedFact] = field(default_factory=list)
    retyped: list[str] = field(default_factory=list)
    duplicates_merged: int = 0
    symmetric_flipped: int = 0

    def counts(self) -> dict[str, int]:
        counts = Counter(p.rule for p in self.pruned)
        return dict(sorted(counts.items()))

    def extend(self, other: ConstraintReport) -> None:
        self.pruned.extend(other.pruned)
        self.retyped.extend(other.retyped)
        self.duplicates_merged += other.duplicates_merged
        self.symmetric_flipped += other.symmetric_flipped


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def _fit(given: str | None, allowed: list[str], side: str, fact: Fact, relation: str) -> tuple[str | None, str | None]:
    """(type to use, problem) for one endpoint."""
    if given in allowed:
        return given, None
    if len(allowed) == 1:
        return allowed[0], None
    name = fact.subject if side == "subject" else fact.object
    if given is None:
        return None, f"{relation} allows {side} types {', '.join(allowed)}; the type of {name!r} is unknown"
    return None, f"{relation} needs a {side} of type {' or '.join(allowed)}; {name!r} is a {given}"


def check_facts(
    facts: list[Fact], ontology: Ontology, known_types: dict[str, str] | None = None
) -> tuple[list[Fact], ConstraintReport]:
    """Type and sanity rules on facts with surface names; returns kept (possibly re-typed) facts + report."""
    known_types = known_types or {}
    report = ConstraintReport()
    kept: list[Fact] = []
    for fact in facts:
        if not fact.subject.strip() or not fact.object.strip():
            report.pruned.append(PrunedFact(fact, "empty", "subject or object name is empty"))
            continue
        rel = ontology.relation(fact.relation)
        if rel is None:
            report.pruned.append(
                PrunedFact(fact, "unknown_relation", f"relation type {fact.relation!r} is not in the ontology")
            )
            continue
        if _same_name(fact.subject, fact.object):
            report.pruned.append(PrunedFact(fact, "self_loop", f"{fact.subject!r} {fact.relation} itself"))
            continue
        s_given = fact.subject_type or known_types.get(fact.subject)
        o_given = fact.object_type or known_types.get(fact.object)
        s_type, s_problem = _fit(s_given, rel.domain, "subject", fact, rel.name)
        if s_problem:
            report.pruned.append(PrunedFact(fact, "domain", s_problem))
            continue
        o_type, o_problem = _fit(o_given, rel.range, "object", fact, rel.name)
        if o_problem:
            report.pruned.append(PrunedFact(fact, "range", o_problem))
            continue
        if s_given is not None and s_type != s_given:
            report.retyped.append(f"{fact.subject!r}: {s_given} → {s_type} (domain of {rel.name})")
        if o_given is not None and o_type != o_given:
            report.retyped.append(f"{fact.object!r}: {o_given} → {o_type} (range of {rel.name})")
        kept.append(replace(fact, subject_type=s_type, object_type=o_type))
    return kept, report


def finalize(records: list[FactRecord], ontology: Ontology) -> tuple[list[FactRecord], ConstraintReport]:
    """Rules on resolved facts: self-loops, symmetric canonical direction, duplicate merging."""
    report = ConstraintReport()
    merged: dict[tuple[str, str, str], FactRecord] = {}
    for record in records:
        if record.subject_id == record.object_id:
            ev = record.evidence[0] if record.evidence else None
            fact = Fact(
                subject=record.subject_id,
                relation=record.relation,
                object=record.object_id,
                doc_id=ev.doc_id if ev else "",
                chunk_id=ev.chunk_id if ev else "",
                sentence=ev.sentence if ev else "",
            )
            report.pruned.append(
                PrunedFact(fact, "self_loop", f"both ends resolved to the same entity {record.subject_id}")
            )
            continue
        rel = ontology.relation(record.relation)
        s, o = record.subject_id, record.object_id
        if rel is not None and rel.symmetric and o < s:
            s, o = o, s
            report.symmetric_flipped += 1
        key = (s, record.relation, o)
        target = merged.get(key)
        if target is None:
            merged[key] = FactRecord(s, record.relation, o, [])
            target = merged[key]
        else:
            report.duplicates_merged += 1
        have = {e.key: i for i, e in enumerate(target.evidence)}
        for ev in record.evidence:
            if ev.key in have:
                # same sentence found twice: keep the more confident reading
                i = have[ev.key]
                if ev.confidence > target.evidence[i].confidence:
                    target.evidence[i] = ev
            else:
                have[ev.key] = len(target.evidence)
                target.evidence.append(ev)
    return list(merged.values()), report
