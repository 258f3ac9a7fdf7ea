"""Domain and range: keep candidates whose entity types fit their relation, correcting weak types by vote."""

from __future__ import annotations

import logging

from kgqa.ingest.extract.offline.state import Analysis, Candidate
from kgqa.ontology import Ontology

log = logging.getLogger("kgqa.ingest.extract")


def check_types(d: Analysis, cands: list[Candidate], ontology: Ontology, doc_id: str) -> list[Candidate]:
    """Keep candidates whose types fit; correct weak entity types where a relation demands it."""

    def fits(c: Candidate) -> bool:
        rel = ontology.relation(c.relation)
        s, o = d.entities[c.subj], d.entities[c.obj]
        return rel is not None and s.type in rel.domain and o.type in rel.range

    # Each candidate votes, per sentence, for the type it needs at each end (when the other end fits or is
    # untyped). A weak type (NER or none) changes when another type has more sentences voting for it.
    votes: dict[int, dict[str, dict[int, float]]] = {}  # entity → type → trigger token → weight
    for c in cands:
        rel = ontology.relation(c.relation)
        if rel is None or c.subj == c.obj:
            continue
        ends = ((c.subj, rel.domain, c.obj, rel.range), (c.obj, rel.range, c.subj, rel.domain))
        for ei, allowed, other, other_allowed in ends:
            ent, oth = d.entities[ei], d.entities[other]
            if oth.type is not None and oth.type not in other_allowed:
                continue
            # a relation with one allowed type demands it; one with several only hints at them. A phrase shared
            # by several relations (in the default ontology "belongs to": MEMBER_OF, SUBSIDIARY_OF) hints at the
            # types of all of them.
            wants = list(allowed)
            for alt in c.options:
                alt_rel = ontology.relation(alt)
                if alt_rel is not None and alt != c.relation:
                    alt_types = alt_rel.domain if ei == c.subj else alt_rel.range
                    wants += [x for x in alt_types if x not in wants]
            for want in wants:
                w = 1.0 / len(wants)
                # alternatives of one trigger (same anchor token) vote once; separate triggers add up
                per_sent = votes.setdefault(ei, {}).setdefault(want, {})
                per_sent[c.token] = max(per_sent.get(c.token, 0.0), w)
    # "X, the dye house based in Y": a type noun the name is equated with votes once for its type
    for ei in list(votes):
        for noun in sorted(d.entities[ei].descriptors):
            want = d.trig.type_nouns.get(noun)
            if want:
                votes[ei].setdefault(want, {})[-1] = 1.0  # -1: no trigger token
                break
    for ei, by_type in sorted(votes.items()):
        ent = d.entities[ei]
        if ent.strong:
            continue
        score = {t: sum(v.values()) for t, v in by_type.items()}
        best = max(sorted(score), key=lambda t: score[t])
        if best != ent.type and score[best] > score.get(ent.type or "", 0.0):
            why = sorted({c.relation for c in cands if ei in (c.subj, c.obj)})
            msg = f"{doc_id}: {ent.name}: {ent.type or 'untyped'} → {best} (from {', '.join(why)})"
            log.info("type corrected: %s", msg)
            d.corrections.append(msg)
            ent.corrected_from = ent.type or "untyped"
            ent.type = best
    kept = [c for c in cands if c.subj != c.obj and fits(c)]

    # one phrase, several relations that all fit the types ("belongs to": MEMBER_OF or SUBSIDIARY_OF): the
    # relation with the narrower signature wins (Organization → Organization ownership is SUBSIDIARY_OF)
    def width(name: str) -> int:
        rel = ontology.relation(name)
        return len(rel.domain) + len(rel.range) if rel is not None else 99

    by_slot: dict[tuple, list[Candidate]] = {}
    for c in kept:
        by_slot.setdefault((c.subj, c.obj, c.token), []).append(c)
    out = []
    for c in kept:
        rivals = [x for x in by_slot[(c.subj, c.obj, c.token)] if x.relation != c.relation and x.relation in c.options]
        if any(width(x.relation) < width(c.relation) for x in rivals):
            continue
        out.append(c)
    return out
