"""From an analysed document to one ``Extraction`` (mentions and facts) per chunk."""

from __future__ import annotations

from kgqa.ingest.extract.offline.state import Analysis, Candidate
from kgqa.ingest.model import Chunk, Document, EntityMention, Extraction, Fact
from kgqa.ontology import Ontology


def _chunk_of(chunks: list[Chunk], char: int) -> int:
    for k, ch in enumerate(chunks):
        if ch.start <= char < ch.end:
            return k
    return max(0, min(len(chunks) - 1, next((k for k, ch in enumerate(chunks) if ch.start > char), 0) - 1))


def _sentence_of(chunk: Chunk, char: int, sents: list, sent_i: int) -> tuple[str, int]:
    for s in chunk.sentences:
        if s.start <= char < s.end:
            return s.text, s.index
    sp = sents[sent_i]
    return sp.text.strip(), sent_i


def _add_mentions(doc: Document, d: Analysis, chunks: list[Chunk], extractions: list[Extraction]) -> None:
    sdoc = d.spacy_doc
    for m in d.mentions:
        ent = d.entities[m.entity]
        start, end = sdoc[m.start].idx, sdoc[m.end - 1].idx + len(sdoc[m.end - 1].text)
        for k, ch in enumerate(chunks):
            if ch.start <= start and end <= ch.end:
                extractions[k].mentions.append(
                    EntityMention(
                        name=doc.text[start:end],
                        type=ent.type,
                        chunk_id=ch.id,
                        start=start,
                        end=end,
                        canonical=ent.name,
                    )
                )


def _best(d: Analysis, cands: list[Candidate], ontology: Ontology) -> dict[tuple, Candidate]:
    """One candidate per (subject, relation, object, sentence): the most confident, the first of equals; a
    symmetric relation's ends in name order."""
    best: dict[tuple, Candidate] = {}
    for c in cands:
        rel = ontology.relation(c.relation)
        s, o = c.subj, c.obj
        if rel is not None and rel.symmetric and d.entities[s].name > d.entities[o].name:
            s, o = o, s
        key = (s, c.relation, o, c.sent)
        if key not in best or c.confidence > best[key].confidence:
            replaces = c.replaces if c.replaces is not None else (best[key].replaces if key in best else None)
            best[key] = Candidate(c.relation, s, o, c.sent, c.token, c.confidence, c.method, c.options, replaces)
        elif c.replaces is not None:
            best[key].replaces = c.replaces
    return _without_implied(best, ontology)


def _without_implied(best: dict[tuple, Candidate], ontology: Ontology) -> dict[tuple, Candidate]:
    """Drop a fact that another fact between the same ends implies: "spent years at X in Y" (LOCATED_IN) beside
    "the Y-based X" (HEADQUARTERED_IN, which questions read as located in too)."""
    stated = {(s, r, o) for s, r, o, _ in best}
    implied = {
        (s, other, o) for s, r, o in stated if (rel := ontology.relation(r)) is not None for other in rel.implies
    }
    return {k: c for k, c in best.items() if (k[0], k[1], k[2]) not in implied}


def package(
    doc: Document, d: Analysis, cands: list[Candidate], chunks: list[Chunk], ontology: Ontology, extractor: str
) -> list[Extraction]:
    """Mentions go to every chunk that holds them; a fact to the chunk holding its trigger."""
    sdoc = d.spacy_doc
    sents = list(sdoc.sents)
    extractions = [Extraction() for _ in chunks]
    _add_mentions(doc, d, chunks, extractions)
    for (s, rel_name, o, sent_i), c in sorted(
        _best(d, cands, ontology).items(), key=lambda kv: (kv[0][3], kv[1].token)
    ):
        char = sdoc[c.token].idx
        k = _chunk_of(chunks, char)
        text, idx = _sentence_of(chunks[k], char, sents, sent_i)
        se, oe = d.entities[s], d.entities[o]
        extractions[k].facts.append(
            Fact(
                subject=se.name,
                relation=rel_name,
                object=oe.name,
                subject_type=se.type,
                object_type=oe.type,
                doc_id=doc.id,
                chunk_id=chunks[k].id,
                sentence=text,
                sentence_index=idx,
                extractor=extractor,
                confidence=c.confidence,
                replaces=d.entities[c.replaces].name if c.replaces is not None else None,
            )
        )
    return extractions
