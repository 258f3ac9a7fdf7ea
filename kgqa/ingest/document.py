"""One document's stage of the build: extractions → type consensus → constraints → resolution → a payload.

``process_document`` turns the extractions of one document's chunks into the ``DocumentPayload`` the
graph writer writes; ``corpus_type_votes`` gathers the types given to names across the documents
extracted together, so that a clear majority can correct one extractor's type.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from kgqa.errors import InputError
from kgqa.ingest.constraints import ConstraintReport, Evidence, FactRecord, check_facts, finalize
from kgqa.ingest.model import Chunk, Document, EntityMention, Extraction, Fact
from kgqa.ingest.resolve import EntityRegistry, Mention, MergeEvent, normalize
from kgqa.ingest.write import DocumentPayload, Supersession
from kgqa.ontology import Ontology

EntityIdOf = Callable[[str, str | None], str | None]  # (name, type) → resolved entity id


FACT_TYPE_WEIGHT = 3  # a fact whose relation allows one type only counts as three mentions of that type


def corpus_type_votes(extractions: list[list[Extraction]], ontology: Ontology) -> dict[str, Counter]:
    """Normalised name → Counter of type votes over several documents: one per mention with that type, and
    ``FACT_TYPE_WEIGHT`` per fact whose domain (or range) admits only that type ("X was born in Y": a person)."""
    votes: dict[str, Counter] = {}
    for per_doc in extractions:
        for ex in per_doc:
            for m in ex.mentions:
                if m.type and ontology.entity(m.type):
                    votes.setdefault(normalize(m.name, None), Counter())[m.type] += 1
            for f in ex.facts:
                rel = ontology.relation(f.relation)
                if rel is None:
                    continue
                for name, allowed in ((f.subject, rel.domain), (f.object, rel.range)):
                    if len(allowed) == 1:
                        votes.setdefault(normalize(name, None), Counter())[allowed[0]] += FACT_TYPE_WEIGHT
    return votes


def _apply_consensus(
    mentions: list, facts: list[Fact], ontology: Ontology, registry: EntityRegistry, corpus: dict[str, Counter]
) -> list[str]:
    """Re-type names whose type disagrees with a clear majority (corpus votes + entities already known)."""
    cache: dict[str, Counter] = {}
    changes: list[str] = []

    def votes(name: str) -> Counter:
        key = normalize(name, None)
        if key not in cache:
            c = Counter(corpus.get(key, {}))
            for t in ontology.entity_names:
                if registry.exact(normalize(name, t), t) is not None:
                    c[t] += 3
            cache[key] = c
        return cache[key]

    def consensus(name: str, given: str | None, allowed: list[str]) -> str | None:
        if given is None:
            return None
        c = votes(name)
        if not c:
            return None
        best, n = c.most_common(1)[0]
        if best == given or best not in allowed or n < 2 or n < 2 * c.get(given, 0):
            return None
        changes.append(f"{name!r}: {given} → {best} (type votes across documents: {dict(c)})")
        return best

    all_types = ontology.entity_names
    for m in mentions:
        m.type = consensus(m.name, m.type, all_types) or m.type
    for f in facts:
        rel = ontology.relation(f.relation)
        if rel is None:
            continue
        if len(rel.domain) > 1:
            f.subject_type = consensus(f.subject, f.subject_type, rel.domain) or f.subject_type
        if len(rel.range) > 1:
            f.object_type = consensus(f.object, f.object_type, rel.range) or f.object_type
    return list(dict.fromkeys(changes))


def _known_types(mentions: list, facts: list[Fact], ontology: Ontology, registry: EntityRegistry) -> dict[str, str]:
    """Surface name → entity type, from (by priority) typed mentions, unambiguously typed fact ends, and
    entities already known under the same normalised name (when exactly one type has it)."""
    votes: dict[str, Counter] = {}

    def vote(name: str, type_: str | None, weight: int) -> None:
        if type_ and ontology.entity(type_):
            votes.setdefault(normalize(name, None), Counter())[type_] += weight

    for m in mentions:
        vote(m.name, m.type, 3)
    for f in facts:
        rel = ontology.relation(f.relation)
        if rel is None:
            continue
        vote(f.subject, f.subject_type or (rel.domain[0] if len(rel.domain) == 1 else None), 1)
        vote(f.object, f.object_type or (rel.range[0] if len(rel.range) == 1 else None), 1)
    names = {normalize(n, None): n for f in facts for n in (f.subject, f.object)}
    known: dict[str, str] = {}
    for norm, name in names.items():
        if norm in votes:
            known[name] = votes[norm].most_common(1)[0][0]
            continue
        types = {t for t in ontology.entity_names if registry.exact(normalize(name, t), t) is not None}
        if len(types) == 1:
            known[name] = types.pop()
    return known


def _sentence_for(chunk: Chunk, fact: Fact) -> int | None:
    if fact.sentence_index is not None:
        return fact.sentence_index
    text = " ".join((fact.sentence or "").split())
    if text:
        for s in chunk.sentences:
            flat = " ".join(s.text.split())
            if text == flat or text in flat or flat in text:
                return s.index
    return None


@dataclass
class _Placed:
    """A document's mentions and facts, each placed in the chunk (and sentence) that holds it."""

    mentions: list[EntityMention]
    facts: list[Fact]
    chunk_by_id: dict[str, Chunk]


def _place(doc: Document, chunks: list[Chunk], extractions: list[Extraction], extractor_name: str) -> _Placed:
    """Give every mention a chunk and every fact its document, home chunk, sentence and extractor."""
    owner: dict[int, Chunk] = {}  # sentence index → first chunk holding it (overlapping sentences)
    sentence_text: dict[int, str] = {}
    for chunk in chunks:
        for s in chunk.sentences:
            owner.setdefault(s.index, chunk)
            sentence_text.setdefault(s.index, s.text)
    chunk_by_id = {c.id: c for c in chunks}
    facts: list[Fact] = []
    mentions: list[EntityMention] = []
    for chunk, extraction in zip(chunks, extractions, strict=True):
        for m in extraction.mentions:
            if m.chunk_id not in chunk_by_id:
                m.chunk_id = chunk.id
            mentions.append(m)
        for f in extraction.facts:
            home = chunk_by_id.get(f.chunk_id, chunk)
            index = _sentence_for(home, f)
            if index is not None and index in owner:
                home = owner[index]
            f.doc_id = doc.id
            f.chunk_id = home.id
            f.sentence_index = index
            f.sentence = f.sentence or (sentence_text.get(index, "") if index is not None else "")
            f.extractor = f.extractor or extractor_name
            facts.append(f)
    return _Placed(mentions, facts, chunk_by_id)


def _position_of_fact(f: Fact, chunk_by_id: dict[str, Chunk]) -> int:
    c = chunk_by_id[f.chunk_id]
    if f.sentence_index is not None:
        for s in c.sentences:
            if s.index == f.sentence_index:
                return s.start
    return c.start


def _fact_records(kept: list[Fact], doc: Document, eid: EntityIdOf) -> list[FactRecord]:
    """Kept facts whose two ends resolved → fact records with one evidence entry each."""
    records: list[FactRecord] = []
    for f in kept:
        s, o = eid(f.subject, f.subject_type), eid(f.object, f.object_type)
        if not s or not o:
            continue
        key = f"{f.chunk_id}/{f.sentence_index if f.sentence_index is not None else '-'}"
        records.append(
            FactRecord(
                s,
                f.relation,
                o,
                [Evidence(key, doc.id, f.chunk_id, f.sentence, f.extractor, float(f.confidence))],
            )
        )
    return records


def _mention_pairs(
    mentions: list[EntityMention],
    final: list[FactRecord],
    mention_type: Callable[[EntityMention], str | None],
    eid: EntityIdOf,
) -> list[tuple[str, str]]:
    """(chunk id, entity id) for every placed mention and both ends of every fact, once each."""
    mention_pairs: list[tuple[str, str]] = []
    for m in mentions:
        t = mention_type(m)
        e = eid(m.name, t) if t else None
        if e:
            mention_pairs.append((m.chunk_id, e))
    for fr in final:
        for ev in fr.evidence:
            mention_pairs.append((ev.chunk_id, fr.subject_id))
            mention_pairs.append((ev.chunk_id, fr.object_id))
    return list(dict.fromkeys(mention_pairs))


def process_document(
    doc: Document,
    chunks: list[Chunk],
    extractions: list[Extraction],
    ontology: Ontology,
    registry: EntityRegistry,
    extractor_name: str,
    corpus_votes: dict[str, Counter] | None = None,
) -> tuple[DocumentPayload, ConstraintReport, list[MergeEvent], int]:
    """Extractions of one document → a payload to write (resolving entities in ``registry``).

    ``corpus_votes`` (normalised name → type counts over the documents extracted together) lets a clear
    corpus-wide majority correct an extractor's type for a name (e.g. a person typed as an organisation in
    one sentence), in mentions and in fact slots whose domain/range allows that type."""
    if len(extractions) != len(chunks):
        raise InputError(f"the extractor returned {len(extractions)} results for {len(chunks)} chunks")
    placed = _place(doc, chunks, extractions, extractor_name)
    mentions, facts, chunk_by_id = placed.mentions, placed.facts, placed.chunk_by_id

    retyped = _apply_consensus(mentions, facts, ontology, registry, corpus_votes or {})
    known_types = _known_types(mentions, facts, ontology, registry)
    kept, report = check_facts(facts, ontology, known_types)
    report.retyped[:0] = retyped

    def mention_type(m: EntityMention) -> str | None:
        if m.type and ontology.entity(m.type):
            return m.type
        return known_types.get(m.name)  # an untyped mention typed by a fact about the same name

    resolve_mentions: list[Mention] = []
    for m in mentions:
        t = mention_type(m)
        if t is None:
            continue  # untyped mention no fact gave a type to: not an entity we can place
        pos = m.start if m.start is not None else chunk_by_id[m.chunk_id].start
        resolve_mentions.append(Mention(m.name, t, pos, full=m.canonical if m.canonical != m.name else None))
    for f in kept:
        pos = _position_of_fact(f, chunk_by_id)
        resolve_mentions.append(Mention(f.subject, f.subject_type, pos))
        resolve_mentions.append(Mention(f.object, f.object_type, pos))
        side = _replaced_side(f, ontology)
        if side is not None:
            resolve_mentions.append(Mention(f.replaces or "", f.subject_type if side == "s" else f.object_type, pos))
    mapping, merges = registry.resolve_document(doc.id, resolve_mentions, doc.title)

    def eid(name: str, type_: str | None) -> str | None:
        return mapping.get((" ".join(name.split()), type_))

    final, report2 = finalize(_fact_records(kept, doc, eid), ontology)
    report.extend(report2)
    mention_pairs = _mention_pairs(mentions, final, mention_type, eid)
    used = {e for _, e in mention_pairs}
    entities = [registry.by_id[e] for e in sorted(used)]
    payload = DocumentPayload(doc=doc, chunks=chunks, entities=entities, mentions=mention_pairs, facts=final)
    payload.supersessions = _supersessions(
        kept, ontology, eid, {(f.subject_id, f.relation, f.object_id) for f in final}
    )
    return payload, report, merges, len(mentions)


def _replaced_side(f: Fact, ontology: Ontology) -> str | None:
    """ "s" when the fact's statement replaced its subject (one CEO per company), "o" its object, else None."""
    rel = ontology.relation(f.relation)
    if not f.replaces or rel is None:
        return None
    return "s" if rel.inverse_functional else "o" if rel.functional else None


def _supersessions(kept: list[Fact], ontology: Ontology, eid: EntityIdOf, written: set) -> list[Supersession]:
    """The old facts that kept facts replaced, with the replacing statement's provenance."""
    out: list[Supersession] = []
    for f in kept:
        side = _replaced_side(f, ontology)
        s, o = eid(f.subject, f.subject_type), eid(f.object, f.object_type)
        if side is None or not s or not o or (s, f.relation, o) not in written:
            continue
        old = eid(f.replaces or "", f.subject_type if side == "s" else f.object_type)
        if not old or old in (s, o):
            continue
        by, by_name = (s, f.subject) if side == "s" else (o, f.object)
        key = f"{f.chunk_id}/{f.sentence_index if f.sentence_index is not None else '-'}"
        old_s, old_o = (old, o) if side == "s" else (s, old)
        out.append(Supersession(old_s, f.relation, old_o, by, by_name, f.doc_id, key, f.sentence))
    return out
