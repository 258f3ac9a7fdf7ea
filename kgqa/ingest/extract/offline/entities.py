"""Grouping mentions into a document's entities: short names, shared surnames, family names."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from kgqa.ingest.extract.offline.mentions import descriptor_nouns, display_name, name_type, ner_type, type_noun_near
from kgqa.ingest.extract.offline.state import Analysis, Candidate, Entity, Mention
from kgqa.ingest.extract.offline.words import NER_PLACES, NER_TITLES, OF_NAME_HEADS, PLACE_PREPOSITIONS, REGION_NOUNS
from kgqa.ingest.resolve import is_abbreviation
from kgqa.ontology import Ontology

log = logging.getLogger("kgqa.ingest.extract")


def personish(ent: Entity, words: list[str], person: str) -> bool:
    """A person, or a weakly typed name shaped like one."""
    return ent.type == person or (not ent.strong and 2 <= len(words) <= 4 and "of" not in words)


@dataclass
class _Seen:
    """What the grouping has seen so far, per entity."""

    by_name: dict[str, int] = field(default_factory=dict)
    words_of: dict[int, list[str]] = field(default_factory=dict)
    last_subject: dict[int, int] = field(default_factory=dict)
    last_seen: dict[int, int] = field(default_factory=dict)
    seen_count: dict[int, int] = field(default_factory=dict)
    of_tails: set[str] = field(default_factory=set)  # "X" in "University of X": a place, never a short name


def _strong_type(d: Analysis, m: Mention, words: list[str]) -> str | None:
    """A sure type from a quoted title, the name's words or a type noun next to it."""
    if m.quoted and d.roles.work:
        return d.roles.work
    doc, trig = d.spacy_doc, d.trig
    strong_t = name_type(words, trig)
    near = type_noun_near(doc, m, trig)
    # "A is a publisher": a job noun does not make a person's name an organisation
    if strong_t is None and near is not None and not (m.ner == "PERSON" and near != d.roles.person):
        strong_t = near
    if d.roles.work and _titled_by_noun(doc, m, trig) == d.roles.work:  # "my novel, Kettle Harbour": a title
        strong_t = d.roles.work
    return strong_t


def _titled_by_noun(doc, m: Mention, trig) -> str | None:
    """The type of the noun a name is in apposition to ("his third novel, X"), whatever the name's own words."""
    head = doc[m.start : m.end].root
    noun = head.head if head.dep_ == "appos" and head.head.pos_ == "NOUN" and head.head.i < m.start else None
    if noun is None or noun.lemma_.lower() == "work":  # "a tile works"
        return None
    return trig.type_nouns.get(noun.lower_) or trig.type_nouns.get(noun.lemma_.lower())


def _pick_abbreviated(cands: list[tuple[int, int, int, int]], seen: _Seen) -> int:
    """Among full names a short name may abbreviate: a bare "X" where both the person A X and the organisation
    X Energy are known is the person unless the text has named the organisation more often so far."""
    orgs = [c for c in cands if c[0] == 0]
    if orgs and any(c[0] == 1 for c in cands):
        top_org = max(orgs, key=lambda c: (seen.seen_count.get(c[3], 0), c[2]))
        top_person = max((c for c in cands if c[0] == 1), key=lambda c: (seen.seen_count.get(c[3], 0), c[2]))
        if seen.seen_count.get(top_org[3], 0) > seen.seen_count.get(top_person[3], 0):
            cands = [top_org]
    return max(cands)[3]


def _place_context(doc, m: Mention, ner: bool = True) -> bool:
    """A short name used as a place: tagged as one (with ``ner``), after a place preposition ("X College is in
    X", "born in X") or a dateline ("X — ...")."""
    if (ner and m.ner in NER_PLACES) or (m.start > 0 and doc[m.start - 1].lower_ in PLACE_PREPOSITIONS):
        return True
    if m.end < len(doc) and doc[m.end].text in REGION_NOUNS:  # "the Esker region" is no short "Esker Mutual"
        return True
    dateline = m.text.isupper() and len(m.text) > 3 and doc[m.start].is_sent_start
    return dateline and m.end < len(doc) and doc[m.end].text in {"—", "–", "-"}


def _abbreviated(d: Analysis, m: Mention, words: list[str], seen: _Seen) -> int:
    """The earlier, longer entity a one- or two-word name abbreviates, else -1."""
    doc, person = d.spacy_doc, d.roles.person
    as_place = _place_context(doc, m)
    cands = []
    for cand_ei, pwords in seen.words_of.items():
        if len(pwords) <= len(words):
            continue
        ent = d.entities[cand_ei]
        last = seen.last_seen[cand_ei]
        surname = pwords[-len(words) :] == words
        if personish(ent, pwords, person) and (surname or pwords[: len(words)] == words):
            # "based in X" beside a weakly typed "X Glassworks" names the town, not a first name (NER's place tag
            # alone does not: it often takes a foreign first name for a town)
            if not surname and _place_context(doc, m, ner=False):
                continue
            cands.append((1 if surname else 0, seen.last_subject.get(cand_ei, -1), last, cand_ei))
        elif (
            not personish(ent, pwords, person)
            and pwords[: len(words)] == words
            and ent.type != d.roles.place
            and not as_place
            and " ".join(words) not in seen.of_tails
        ):
            cands.append((0, seen.last_subject.get(cand_ei, -1), last, cand_ei))
    return _pick_abbreviated(cands, seen) if cands else -1


def _update(d: Analysis, ent: Entity, m: Mention, words: list[str], strong_t: str | None, ner_t: str | None) -> None:
    doc = d.spacy_doc
    if strong_t and (not ent.strong or ent.type is None):
        ent.type, ent.strong = strong_t, True
    elif ent.type is None and ner_t:
        ent.type = ner_t
    # a mid-sentence capitalised "The" belongs to the name ("The Salt Ledger")
    if doc[m.start].text == "The" and not doc[m.start].is_sent_start and not ent.name.startswith("The "):
        ent.name = display_name(doc, m)
    # a dateline "PORT X" takes the ordinary spelling when one appears
    if ent.name.isupper() and len(ent.name) > 3 and not m.text.isupper() and len(words) == len(ent.name.split()):
        ent.name = display_name(doc, m)
    ent.descriptors |= descriptor_nouns(doc, m)


def build_entities(d: Analysis, ontology: Ontology) -> None:
    """Group mentions into document entities: a short name joins the full name it abbreviates.

    A one- or two-word name joins an earlier longer name when it is that person's surname or first name, or the
    first word(s) of an organisation/place/work name ("X" → "X Freight"); among several candidates
    persons win for surnames, then the entity most recently seen as a sentence subject, then the latest one.
    """
    doc = d.spacy_doc
    seen = _Seen()
    for m in d.mentions:
        words = [t.lower_ for t in doc[m.start : m.end]]
        if "of" in words[1:]:
            seen.of_tails.add(" ".join(words[words.index("of") + 1 :]))
    for mi, m in enumerate(d.mentions):
        words = [t.lower_ for t in doc[m.start : m.end]]
        if words and words[0] == "the":
            words = words[1:]
        key = " ".join(words)
        # spaCy's WORK_OF_ART/PRODUCT on an unquoted invented name is mostly noise
        ner_t = None if m.ner in NER_TITLES and not m.quoted else ner_type(m.ner, ontology)
        strong_t = _strong_type(d, m, words)
        if key in seen.by_name:
            ei = seen.by_name[key]
        else:
            ei = _abbreviated(d, m, words, seen) if len(words) <= 2 else -1
            if ei < 0:
                ei = len(d.entities)
                d.entities.append(Entity(name=display_name(doc, m), type=None, strong=False))
                seen.words_of[ei] = words
            seen.by_name[key] = ei
        m.entity = ei
        _update(d, d.entities[ei], m, words, strong_t, ner_t)
        seen.last_seen[ei] = m.start
        seen.seen_count[ei] = seen.seen_count.get(ei, 0) + 1
        root = doc[m.start : m.end].root
        if root.dep_ in {"nsubj", "nsubjpass"}:
            seen.last_subject[ei] = m.start
        for tok in doc[m.start : m.end]:
            d.tok2mention[tok.i] = mi


def join_later_full_names(d: Analysis) -> None:
    """A one-word person name seen before (or without) the full name joins the one full name it is part of.

    "A" in a bad parse of "Engineers A B" or a first mention "A" before "A B" is introduced: when
    exactly one person entity of two or more words starts or ends with that word, the short entity's mentions
    move to it.
    """
    person = d.roles.person
    full: dict[str, set[int]] = {}
    for ei, ent in enumerate(d.entities):
        words = ent.name.split()
        if ent.type == person and len(words) >= 2:
            for w in (words[0], words[-1]):
                full.setdefault(w.lower(), set()).add(ei)
    used = {m.entity for m in d.mentions}
    doc = d.spacy_doc
    as_place = {m.entity for m in d.mentions if _place_context(doc, m, ner=False)}  # "born in X" beside "X Mills"
    for ei, ent in enumerate(d.entities):
        words = ent.name.split()
        if ei not in used or ei in as_place or len(words) != 1 or (ent.strong and ent.type != person):
            continue
        targets = full.get(words[0].lower(), set()) - {ei}
        if len(targets) == 1:
            target = next(iter(targets))
            for m in d.mentions:
                if m.entity == ei:
                    m.entity = target
            log.debug("short name %r joined %r", ent.name, d.entities[target].name)


def join_earlier_short_names(d: Analysis) -> None:
    """A weakly typed name of two or more words ("X Cable" in a headline) seen before the one full organisation
    name it begins ("X Cable Company") is that organisation (a short name after the full one joins it already)."""
    org = d.roles.organization
    used = {m.entity for m in d.mentions}
    for ei, ent in enumerate(d.entities):
        words = ent.name.lower().split()
        if ei not in used or ent.strong or len(words) < 2:
            continue
        targets = [
            k
            for k, full in enumerate(d.entities)
            if k != ei
            and full.strong
            and full.type == org
            and full.name.lower().split()[: len(words)] == words
            and len(full.name.split()) > len(words)
        ]
        if len(targets) == 1:
            for m in d.mentions:
                if m.entity == ei:
                    m.entity = targets[0]
            log.debug("short name %r joined %r", ent.name, d.entities[targets[0]].name)


def shared_surnames(d: Analysis) -> None:
    """ "the brothers A and B X": a lone first name joined by "and" to a two-word person name shares
    its surname (as in "Pierre and Marie Curie"), unless the text names that first name in full elsewhere."""
    doc, person = d.spacy_doc, d.roles.person
    if not person:
        return
    by_start = {m.start: m for m in d.mentions}
    for m in d.mentions:
        ent = d.entities[m.entity]
        if m.end - m.start != 1 or len(ent.name.split()) != 1 or (ent.strong and ent.type != person):
            continue
        if m.end + 1 >= len(doc) or doc[m.end].lower_ not in {"and", "&"}:
            continue
        nxt = by_start.get(m.end + 1)
        if nxt is None or nxt.end - nxt.start != 2 or d.entities[nxt.entity].type not in {person, None}:
            continue
        surname = doc[nxt.end - 1].text
        if not any(e.name.split()[0] == ent.name and len(e.name.split()) >= 2 for e in d.entities):
            ent.name = f"{ent.name} {surname}"
            ent.type = person


def retype_family_names(d: Analysis) -> None:
    """A weakly typed two- or three-word name sharing its last word with a person's surname is a person.

    spaCy often tags an unfamiliar "A X" ORG; when "B X" is a person in the same text and no word
    of the name marks an organisation or place ("X Radio" keeps its type), the name is a relative's.
    """
    person = d.roles.person
    if not person:
        return
    surnames = {ent.name.split()[-1].lower() for ent in d.entities if ent.type == person and len(ent.name.split()) >= 2}
    heads = set(d.trig.name_words) | OF_NAME_HEADS
    for ent in d.entities:
        words = ent.name.lower().split()
        if ent.strong or ent.type in {person, None} or not 2 <= len(words) <= 3:
            continue
        if words[-1] in surnames and not any(w in heads for w in words) and all(w.isalpha() for w in words):
            log.debug("type corrected: %s: %s → %s (shares a person's surname)", ent.name, ent.type, person)
            ent.corrected_from, ent.type = ent.type, person


def family_surnames(d: Analysis, facts: list[Candidate]) -> None:
    """A first name alone that is a child or sibling of a named person takes the family's surname.

    "Our son A" in B X's interview is A X, as a reader would write it (spouses keep their own names).
    """
    kin = d.trig.relations_of_family("child", "sibling")
    for c in facts:
        if c.relation not in kin:
            continue
        for short, other in ((c.subj, c.obj), (c.obj, c.subj)):
            s_ent, o_ent = d.entities[short], d.entities[other]
            s_words, o_words = s_ent.name.split(), o_ent.name.split()
            if len(s_words) == 1 and len(o_words) >= 2 and s_ent.type == d.roles.person and s_words[0][:1].isupper():
                if any(e.name == f"{s_ent.name} {o_words[-1]}" for e in d.entities):
                    continue
                s_ent.name = f"{s_ent.name} {o_words[-1]}"


def parenthesised_abbreviations(d: Analysis) -> None:
    """ "Brightwater Robotics (BWR)": the bracketed abbreviation names the entity before it, here and wherever
    the document uses it again (persons excepted: "(TG)" after a name is rarely an alias)."""
    doc = d.spacy_doc
    for m1, m2 in zip(d.mentions, d.mentions[1:], strict=False):
        if m2.start != m1.end + 1 or doc[m1.end].text != "(" or m2.end - m2.start != 1:
            continue
        if m2.end >= len(doc) or doc[m2.end].text != ")" or m1.entity == m2.entity:
            continue
        full, short = d.entities[m1.entity], d.entities[m2.entity]
        if full.type == d.roles.person or not is_abbreviation(short.name, full.name):
            continue
        gone = m2.entity
        for m in d.mentions:
            if m.entity == gone:
                m.entity = m1.entity
        if full.type is None and short.type is not None:
            full.type = short.type
        log.debug("abbreviation %r joined %r", short.name, full.name)
