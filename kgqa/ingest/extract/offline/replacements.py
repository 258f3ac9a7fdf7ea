"""Statements that one holder replaced another in a single-valued relation.

"Marcus Ede is now its CEO, replacing Tomas Greer", "X succeeded Y as CEO of Z", "X replaced Y as ...",
"X took over from Y as ...", "Y was succeeded by X": the new holder's fact is marked as replacing the old
holder (``Candidate.replaces``), so the graph writer can mark the old fact superseded. Only relations the
ontology declares single-valued take part (``inverse_functional``: the subject is replaced, as for CEO_OF;
``functional``: the object is); the fact itself comes from the sentence or the one before it. When the
reader attached the role to the old holder ("X succeeded Y as CEO of Z" read as Y CEO_OF Z), the new
holder's fact is added; the old fact stays (it was true) and is marked superseded downstream.
"""

from __future__ import annotations

from dataclasses import replace

from kgqa.ingest.extract.offline.state import Analysis, Candidate, entities_of_token, mention_entity
from kgqa.ontology import Ontology

REPLACE_LEMMAS = frozenset({"replace", "succeed"})


def _first_entity(d: Analysis, tokens) -> int | None:
    """The entity an argument names: the token itself (a name, "he"), else the first name inside it
    ("his daughter, Klara Halas": Klara Halas, not the "his")."""
    for tok in tokens:
        found = entities_of_token(d, tok)
        if found:
            return found[0]
        for t in tok.subtree:
            e = mention_entity(d, t)
            if e is not None:
                return e
    return None


def _clause_subject(tok):
    """The subject of ``tok``'s clause, or of the clause a participle ("…, replacing Y") hangs on."""
    head = tok
    for _ in range(3):
        subj = [c for c in head.children if c.dep_ in {"nsubj", "nsubjpass"}]
        if subj:
            return subj
        if head.dep_ not in {"advcl", "xcomp", "conj", "acl", "ccomp"} or head.head.i == head.i:
            return []
        head = head.head
    return []


def _pairs(d: Analysis, sent) -> list[tuple[int, int, int]]:
    """(new holder, old holder, token) for each replacement verb of the sentence."""
    out: list[tuple[int, int, int]] = []
    for tok in sent:
        take_over = tok.lemma_ == "take" and any(c.dep_ == "prt" and c.lower_ == "over" for c in tok.children)
        if tok.pos_ != "VERB" or not (tok.lemma_ in REPLACE_LEMMAS or take_over):
            continue
        kids = list(tok.children)
        if any(c.dep_ in {"nsubjpass", "auxpass"} for c in kids):  # "Y was succeeded by X"
            old = _first_entity(d, [c for c in kids if c.dep_ == "nsubjpass"])
            new = _first_entity(d, [g for c in kids if c.dep_ == "agent" for g in c.children if g.dep_ == "pobj"])
        else:
            if take_over:
                objs = [g for c in kids if c.dep_ == "prep" and c.lower_ == "from" for g in c.children]
            else:
                objs = [c for c in kids if c.dep_ == "dobj"]
            old, new = _first_entity(d, objs), _first_entity(d, _clause_subject(tok))
        if old is not None and new is not None and old != new:
            out.append((new, old, tok.i))
    return out


def _retype(d: Analysis, new: int, old: int, allowed: list[str]) -> bool:
    """The new holder takes the old holder's type when only that one fits the slot ("X replacing <Person>")."""
    n, o = d.entities[new], d.entities[old]
    if n.type in allowed:
        return True
    if o.type in allowed and not n.strong:
        d.corrections.append(f"{n.name}: {n.type}→{o.type} (replaces {o.name})")
        n.type = o.type
        return True
    return False


def mark_replacements(d: Analysis, facts: list[Candidate], ontology: Ontology) -> list[Candidate]:
    """``facts`` with each replacement statement's new fact marked (added when missing)."""
    out = list(facts)
    for sent_i, sent in enumerate(d.spacy_doc.sents):
        for new, old, at in _pairs(d, sent):
            for c in [f for f in out if f.sent in (sent_i - 1, sent_i)]:
                rel = ontology.relation(c.relation)
                if rel is None:
                    continue
                if rel.inverse_functional and c.subj in (new, old) and c.obj not in (new, old):
                    key, allowed = (new, c.relation, c.obj), rel.domain
                elif rel.functional and c.obj in (new, old) and c.subj not in (new, old):
                    key, allowed = (c.subj, c.relation, new), rel.range
                else:
                    continue
                if not _retype(d, new, old, allowed):
                    continue
                hit = next(
                    (f for f in out if (f.subj, f.relation, f.obj) == key and f.sent in (sent_i - 1, sent_i)), None
                )
                if hit is None:
                    hit = replace(c, subj=key[0], obj=key[2], sent=sent_i, token=at, method=f"replace:{c.method}")
                    out.append(hit)
                hit.replaces = old
    return out
