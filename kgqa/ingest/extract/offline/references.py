"""References inside a document: pronouns, "the company", they/their, the first-person speaker, gender."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from kgqa.ingest.extract.offline.entities import personish
from kgqa.ingest.extract.offline.readers.profile import profile_person
from kgqa.ingest.extract.offline.state import Analysis, entities_of_token
from kgqa.ingest.extract.offline.syntax import pobjs, subjects
from kgqa.ingest.extract.offline.words import (
    BYLINE_HEADS,
    FEMALE_WORDS,
    FIRST_PERSON,
    GROUP_PRONOUNS,
    KIN_NOUNS,
    MALE_WORDS,
    PERSON_PRONOUNS,
    THING_PRONOUNS,
)

History = list[tuple[int, int, bool]]  # (token index, entity, is_subject) in text order
SUBJECT_DEPS = {"nsubj", "nsubjpass"}


@dataclass
class _Context:
    sents: list
    speaker: int | None
    history: History = field(default_factory=list)
    last_person_group: list[int] = field(default_factory=list)


def _is_heading(sents) -> bool:
    """The first line is a heading ("# Five questions for A"), or the same after markdown is reduced to text."""
    return bool(sents) and (
        sents[0].text.lstrip().startswith("#")
        or (len(sents[0]) <= 16 and not sents[0].text.strip().endswith((".", "!", "?", '"', "”", ",", ";", ":")))
    )


def _byline_speaker(d: Analysis, sents) -> int | None:
    """A byline near the top: "Posted on <date> by A", "Best answer (by A):"."""
    for sent in sents[:3]:
        by = [
            p
            for t in sent
            if t.lower_ == "by" and t.dep_ in {"prep", "agent"} and t.head.lemma_.lower() in BYLINE_HEADS
            for p in pobjs(t)
        ]
        ents = {d.mentions[d.tok2mention[p.i]].entity for p in by if p.i in d.tok2mention}
        ents = {e for e in ents if d.entities[e].type in {d.roles.person, None} or not d.entities[e].strong}
        if len(ents) == 1:
            return ents.pop()
    return None


INTERVIEW_HEADS = {"conversation", "interview", "chat", "talk", "speak", "sit", "q&a", "questions"}


def _interviewee(d: Analysis, sents) -> int | None:
    """ "a conversation with A", "We spoke to A", "Five questions for A" near the top: the one person asked."""
    found = set()
    for sent in sents[:4]:
        for t in sent:
            if t.lower_ in {"with", "to", "for"} and t.head.lemma_.lower() in INTERVIEW_HEADS:
                found |= {
                    d.mentions[d.tok2mention[p.i]].entity
                    for p in pobjs(t)
                    if p.i in d.tok2mention and d.entities[d.mentions[d.tok2mention[p.i]].entity].type == d.roles.person
                }
    return found.pop() if len(found) == 1 else None


def _speaker(d: Analysis, sents) -> int | None:
    """Whom first-person pronouns name: the one person of a heading, else the one person asked in an interview's
    opening lines, else the one person of a byline."""
    if not any(t.lower_ in {"i", "me", "my"} and t.pos_ == "PRON" for t in d.spacy_doc):
        return None
    if not _is_heading(sents):
        return _interviewee(d, sents) or _byline_speaker(d, sents)
    persons = {
        d.mentions[d.tok2mention[t.i]].entity
        for t in sents[0]
        if t.i in d.tok2mention and d.entities[d.mentions[d.tok2mention[t.i]].entity].type == d.roles.person
    }
    if not persons and (named := profile_person(d)) is not None:  # "# A B" over a profile: an untyped name
        persons = {named}
    return persons.pop() if len(persons) == 1 else _interviewee(d, sents)


SPEECH_VERBS = {"say", "add", "recall", "remember", "tell", "note", "explain", "write"}


def _is_subject(tok) -> bool:
    """A clause subject that later pronouns may prefer; not the speaker after a quotation ('"...," said A')."""
    inverted_speech = tok.head.lemma_.lower() in SPEECH_VERBS and tok.i > tok.head.i
    return tok.dep_ in SUBJECT_DEPS and not inverted_speech


def _sentence_subjects(d: Analysis, sent) -> set[int]:
    subj_ents = set()
    for tok in sent:
        if _is_subject(tok):
            # "Our president, A, founded ...": an apposition of the subject is the subject
            appos = [c for c in tok.children if c.dep_ == "appos"]
            for t in [tok, *tok.conjuncts, *appos]:
                mi = d.tok2mention.get(t.i)
                if mi is not None:
                    subj_ents.add(d.mentions[mi].entity)
    return subj_ents


def _coordinated_persons(d: Analysis, sent) -> list[int]:
    """Coordinated person subjects of a sentence: the referent of a later "they"."""
    sent_group: list[int] = []
    for tok in sent:
        if tok.dep_ in SUBJECT_DEPS and tok.conjuncts:
            group = []
            for t in [tok, *tok.conjuncts]:
                for e in entities_of_token(d, t):
                    if d.entities[e].type == d.roles.person and e not in group:
                        group.append(e)
            if len(group) > 1:
                sent_group = group
    return sent_group


def _refer(d: Analysis, ctx: _Context, tok, target: int | None, subject: bool) -> None:
    if target is not None:
        d.refs[tok.i] = [target]
        if subject:
            ctx.history.append((tok.i, target, True))


def _person_pronoun(d: Analysis, ctx: _Context, tok) -> None:
    gender = PERSON_PRONOUNS[tok.lower_]
    # he/she/his/her never point at the document's first-person speaker
    visible = [h for h in ctx.history if h[1] != ctx.speaker]
    target = pick_person(d, visible, gender, tok)
    if target is not None and d.entities[target].gender is None:
        # later pronouns of the other gender then skip this person ("She married him ... he")
        d.entities[target].gender = gender
    _refer(d, ctx, tok, target, tok.dep_ in SUBJECT_DEPS)


def _our_organisation(d: Analysis, ctx: _Context, tok) -> None:
    """ "our chief executive, A" on a company's page or in a staff letter: the organisation the text has named
    most so far (the latest of equals)."""
    seen_orgs = Counter(e for _ti, e, _s in ctx.history if d.entities[e].type == d.roles.organization)
    if seen_orgs:
        last = {e: k for k, (_ti, e, _s) in enumerate(ctx.history)}
        d.refs[tok.i] = [max(seen_orgs, key=lambda e: (seen_orgs[e], last[e]))]


def _group_pronoun(d: Analysis, ctx: _Context, tok, sent) -> None:
    """they/their: two or more persons earlier in this sentence, else the two persons of the previous sentence,
    else the latest coordinated group of persons."""

    def persons(lo: int, hi: int) -> list[int]:
        out: list[int] = []
        for ti, e, _s in ctx.history:
            if lo <= ti < hi and d.entities[e].type == d.roles.person and e not in out:
                out.append(e)
        return out

    here = persons(sent.start, tok.i)
    prev_start = next((p.start for p in reversed(ctx.sents) if p.start < sent.start), sent.start)
    before = persons(prev_start, sent.start)
    group = here if len(here) >= 2 else before if len(before) == 2 else ctx.last_person_group
    if group:
        d.refs[tok.i] = list(group)


def _is_definite_noun(d: Analysis, tok) -> bool:
    # "the Society" (tagged a proper noun, not read as a name): the head word of an organisation's name
    org_word = tok.pos_ == "PROPN" and (tok.lower_ in d.trig.name_words or tok.lower_ in d.trig.type_nouns)
    return (
        (tok.pos_ == "NOUN" or org_word)
        and any(c.lower_ in {"the", "this"} for c in tok.children)
        # "the hydrodynamics lab", "the research unit": a named part, not the organisation itself
        and not any(c.dep_ == "compound" and c.pos_ == "NOUN" and c.i not in d.tok2mention for c in tok.children)
    )


def _fronted_owner(d: Analysis, tok) -> int | None:
    """ "From its head office in X, A employs ...": "its" in a phrase fronted before the clause's subject is the
    subject (when the subject is a named non-person)."""
    if tok.lower_ != "its" or tok.dep_ != "poss" or tok.head.dep_ != "pobj":
        return None
    prep = tok.head.head
    verb = prep.head
    if prep.dep_ != "prep" or verb.pos_ not in {"VERB", "AUX"}:
        return None
    subj = [c for c in verb.children if c.dep_ in SUBJECT_DEPS and c.i > tok.i]
    ents = [e for c in subj[:1] for e in entities_of_token(d, c)]
    if len(ents) == 1 and d.entities[ents[0]].type not in (None, d.roles.person):
        return ents[0]
    return None


def _resolve_token(d: Analysis, ctx: _Context, tok, sent) -> None:
    """Resolve one non-name token that may refer to an entity."""
    low, head_lemma = tok.lower_, tok.head.lemma_.lower()
    if tok.pos_ == "PRON" and low in PERSON_PRONOUNS:
        _person_pronoun(d, ctx, tok)
    elif tok.pos_ == "PRON" and low in THING_PRONOUNS:
        target = _fronted_owner(d, tok)
        _refer(d, ctx, tok, pick_thing(d, ctx.history) if target is None else target, tok.dep_ in SUBJECT_DEPS)
    elif low in FIRST_PERSON and tok.pos_ == "PRON" and ctx.speaker is not None:
        d.refs[tok.i] = [ctx.speaker]
    elif low == "our" and ctx.speaker is not None and head_lemma in KIN_NOUNS:
        d.refs[tok.i] = [ctx.speaker]  # "our son A" in B's interview (but "our company" is not B)
    elif low == "our" and head_lemma in d.trig.role_words and head_lemma not in KIN_NOUNS:
        _our_organisation(d, ctx, tok)
    elif low in {"we", "us"} and tok.pos_ == "PRON" and ctx.speaker is None:
        _our_organisation(d, ctx, tok)  # "we bought X" on a company's own page
    elif low in GROUP_PRONOUNS and tok.pos_ == "PRON":
        _group_pronoun(d, ctx, tok, sent)
    elif _is_definite_noun(d, tok):
        target = pick_by_noun(d, ctx.history, tok)
        if target is not None:
            d.refs[tok.i] = [target]
            ctx.history.append((tok.i, target, tok.dep_ in SUBJECT_DEPS))


def resolve_references(d: Analysis) -> None:
    """Fill ``d.refs``: he/she → a compatible person, it → a thing, "the company" → an organisation, they →
    a group of persons, I/my → the speaker a heading or byline names."""
    sents = list(d.spacy_doc.sents)
    ctx = _Context(sents, _speaker(d, sents))
    for sent in sents:
        subj_ents = _sentence_subjects(d, sent)
        for tok in sent:
            mi = d.tok2mention.get(tok.i)
            if mi is None:
                _resolve_token(d, ctx, tok, sent)
                continue
            m = d.mentions[mi]
            if m.end - 1 == tok.i or m.start == tok.i:
                if m.start == tok.i:
                    root = d.spacy_doc[m.start : m.end].root
                    ctx.history.append((tok.i, m.entity, _is_subject(root) or m.entity in subj_ents))
                # learn gender from role nouns attached to the name ("his sister A")
                learn_gender(d, tok, m.entity)
        sent_group = _coordinated_persons(d, sent)
        if len(sent_group) > 1:
            ctx.last_person_group = sent_group


def _latest_person(d: Analysis, history: History, tok, clause_subjects: set[int]) -> int | None:
    """ "the author" → the latest person that was a subject, else the latest person."""
    persons = [(ti, e, s) for ti, e, s in history if ti < tok.i and e not in clause_subjects]
    persons = [p for p in persons if d.entities[p[1]].type == d.roles.person]
    as_subject = [p for p in persons if p[2]]
    return (as_subject or persons or [(0, None, False)])[-1][1]


def pick_by_noun(d: Analysis, history: History, tok) -> int | None:
    """'the company' → the latest organisation; 'the press' → the latest entity whose name ends in 'Press'.

    Not an entity that is the subject of the same clause ("A established the firm"), and entities
    with a sure type (from their name or a type noun) before those typed by NER alone.
    """
    doc, trig, person = d.spacy_doc, d.trig, d.roles.person
    if any(c.dep_ in {"compound", "amod", "prep", "poss"} and c.i > tok.i for c in tok.children):
        return None  # "the company's founder" is fine, "the company in X" names something new
    if any(c.i in d.tok2mention for c in tok.children) or (tok.i + 1 < len(doc) and tok.i + 1 in d.tok2mention):
        return None  # "the company X": the name itself is the mention
    low, lemma = tok.lower_, tok.lemma_.lower()
    want = trig.type_nouns.get(low) or trig.type_nouns.get(lemma) or trig.role_types.get(lemma)
    clause_subjects: set[int] = set()
    if tok.dep_ in {"dobj", "pobj", "attr"}:
        verb = tok.head.head if tok.dep_ == "pobj" else tok.head
        for st in subjects(verb):
            for x in (st, *st.conjuncts):  # "A and B founded the firm": neither is the firm
                clause_subjects.update(entities_of_token(d, x))
    window_start = tok.sent.start
    for sents_back, sent in enumerate(reversed(list(doc[: tok.sent.start].sents)), start=1):
        window_start = sent.start
        if sents_back >= 3:
            break
    if want and want == person:
        return _latest_person(d, history, tok, clause_subjects)
    best_weak = best_strong = best_subject = None
    for ti, ent_i, _s in reversed(history):
        if ti >= tok.i or ent_i in clause_subjects:
            continue
        ent = d.entities[ent_i]
        # the name's head word: "X Press" → press, "Guild of X" → guild
        name_words = ent.name.lower().split()
        head_word = name_words[name_words.index("of") - 1] if "of" in name_words[1:] else (name_words or [""])[-1]
        if (head_word in {low, lemma} or lemma in ent.descriptors) and ent.type != person:
            return ent_i
        if want and ent.type == want:
            if _s and ent.strong and ti >= tok.sent.start - 80 and best_subject is None:
                best_subject = ent_i  # "X Labs ... named A B ... B joined the company"
            if ent.strong and ti >= window_start and best_strong is None:
                best_strong = ent_i
            if best_weak is None:
                best_weak = ent_i
    return best_subject if best_subject is not None else best_strong if best_strong is not None else best_weak


def learn_gender(d: Analysis, tok, ent_i: int) -> None:
    """A person's gender from a noun attached to the name: "his sister A", "Mr B"."""
    ent = d.entities[ent_i]
    if ent.gender:
        return
    for c in [*tok.children, tok.head]:
        w = c.lemma_.lower()
        if c.dep_ in {"compound", "appos", "attr"} or c.i == tok.head.i:
            if w in FEMALE_WORDS and (c.head.i == tok.i or (c.i == tok.head.i and tok.dep_ in {"appos", "compound"})):
                ent.gender = ent.noun_gender = "f"
            elif w in MALE_WORDS and (c.head.i == tok.i or (c.i == tok.head.i and tok.dep_ in {"appos", "compound"})):
                ent.gender = ent.noun_gender = "m"


def pick_person(d: Analysis, history: History, gender: str, tok) -> int | None:
    """The person a he/she/his/her pronoun refers to."""
    person = d.roles.person
    cands = [
        (ti, e, s)
        for ti, e, s in history
        if ti < tok.i
        and (
            d.entities[e].type == person
            or (d.entities[e].type is None and personish(d.entities[e], d.entities[e].name.split(), person))
        )
    ]
    cands = [(ti, e, s) for ti, e, s in cands if d.entities[e].gender in (None, gender)]
    if tok.dep_ in {"dobj", "pobj", "dative"}:
        # "She married him": an object pronoun is not the subject of its own clause
        verb = tok.head.head if tok.dep_ == "pobj" else tok.head
        bound = {e for st in subjects(verb) for e in entities_of_token(d, st)}
        cands = [c for c in cands if c[1] not in bound]
    if tok.dep_ == "poss" and tok.head.dep_ in {"attr", "appos"}:
        # "A is his daughter", "A, his daughter,": his is not A
        owners = subjects(tok.head.head) if tok.head.dep_ == "attr" else [tok.head.head]
        bound = {e for st in owners for e in entities_of_token(d, st)}
        cands = [c for c in cands if c[1] not in bound]
    if tok.dep_ == "poss" and tok.head.dep_ == "conj":
        # "A and her brother B": her is the person just joined by "and"
        joined = [c for c in cands if c[1] in entities_of_token(d, tok.head.head)]
        if joined:
            return joined[-1][1]
    if not cands:
        return None
    # subject and possessive pronouns prefer the latest person that was a subject (centering); object pronouns
    # take the latest person
    if tok.dep_ in {"nsubj", "nsubjpass", "poss"}:
        as_subject = [c for c in cands if c[2]]
        if as_subject:
            return as_subject[-1][1]
    return cands[-1][1]


def pick_thing(d: Analysis, history: History) -> int | None:
    """The non-person an it/its refers to: a recent subject, else the latest one."""
    cands = [(ti, e, s) for ti, e, s in history if d.entities[e].type not in (None, d.roles.person)]
    if not cands:
        return None
    subj = [c for c in cands[-6:] if c[2]]
    return (subj or cands)[-1][1]
