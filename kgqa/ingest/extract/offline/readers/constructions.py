"""Constructions that no single ontology phrase covers, dispatched from a table.

Each construction is switched on by an entry in the ontology's ``constructions`` section, which names the relation
it yields; that relation's domain and range say which entities may fill it. A construction the ontology does not
list never fires. The plural role-noun list ("its members include A and B") reads the ontology's role nouns and
always runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kgqa.ingest.extract.offline.readers.notes import class_note
from kgqa.ingest.extract.offline.state import Analysis, Reading, mention_entity
from kgqa.ingest.extract.offline.syntax import is_passive, pobjs, subjects
from kgqa.ingest.extract.offline.triggers import ConstructionUse
from kgqa.ingest.extract.offline.words import AREA_NOUNS, PLACE_NOUNS

Matcher = Callable[[Analysis, Any, Any, ConstructionUse], list[Reading]]  # (d, token, sentence, use)


def _may_be(d: Analysis, e: int, types) -> bool:
    """A weak (NER) type may still be corrected by the relation."""
    return d.entities[e].type in types or not d.entities[e].strong


def _quoted_work_before(d: Analysis, i: int, sent) -> int | None:
    """The quoted title ending right before token ``i`` (past a closing quote and a parenthesis), else None."""
    doc = d.spacy_doc
    k = i - 1
    if k > sent.start and doc[k].text == ")":
        while k > sent.start and doc[k].text != "(" and i - k < 16:
            k -= 1
        if doc[k].text != "(":
            return None
        k -= 1
    if _is_closing_quote(k, d):
        k -= 1
    mi = d.tok2mention.get(k)
    return mi if mi is not None and d.mentions[mi].quoted else None


def _quoted_work_by(d: Analysis, tok, sent, use: ConstructionUse) -> list[Reading]:
    """'"X" by A', '"X" (Y, 2011) by A': read from the token order, since the parser often mangles a quoted
    title in a heading or a list."""
    if tok.lower_ != "by" or tok.i + 1 >= sent.end:
        return []
    work, author = _quoted_work_before(d, tok.i, sent), d.tok2mention.get(tok.i + 1)
    if work is None or author is None or d.entities[d.mentions[work].entity].type not in use.range:
        return []
    doc = d.spacy_doc
    w, a = d.mentions[work], d.mentions[author]
    return [Reading(use.trigger, [doc[a.start : a.end].root], [doc[w.start : w.end].root], tok.i)]


def _work_by(d: Analysis, tok, sent, use: ConstructionUse) -> list[Reading]:
    """ "the novel 'X' by Y", "'X' by Y": a by-phrase on a noun (not the agent of a passive verb)."""
    if tok.lower_ == "by" and _quoted_work_before(d, tok.i, sent) is not None:
        return _quoted_work_by(d, tok, sent, use)
    if tok.lower_ != "by" or tok.dep_ != "prep":
        return []
    head = tok.head
    if head.pos_ in {"VERB", "AUX"} and not is_passive(head):
        # "praised the novel X by Y": the parser hangs the by-phrase on the verb; take the object just before
        head = next(
            (c for c in head.children if c.dep_ == "dobj" and max(x.i for x in c.subtree) + 1 in (tok.i, tok.i - 1)),
            head,
        )
    if head.pos_ not in {"NOUN", "PROPN"}:
        return []
    is_work = d.trig.type_nouns.get(head.lemma_.lower()) in use.range
    if not is_work and head.i in d.tok2mention:
        is_work = d.entities[d.mentions[d.tok2mention[head.i]].entity].type in use.range
    return [Reading(use.trigger, pobjs(tok), [head], tok.i)] if is_work else []


def _role_noun_list(d: Analysis, tok, sent, use: ConstructionUse | None) -> list[Reading]:
    """ "Its members include A, B and C", "the founders were A and B", "its employees include A": a plural role
    noun as the subject of include/be; the listed names hold the role, the possessor (or of-object) is the other
    end."""
    if not (tok.dep_ == "nsubj" and tok.tag_ == "NNS" and tok.head.lemma_.lower() in {"include", "be", "comprise"}):
        return []
    lemma = tok.lemma_.lower()
    roles = [
        t for t in d.trig.by_first.get(lemma, []) if t.source == "noun" and len(t.words) == 1 and t.lemmas[0] == lemma
    ]
    listed = [c for c in tok.head.children if c.dep_ in {"dobj", "attr"}]
    other = [c for c in tok.children if c.dep_ == "poss"] or [
        p for c in tok.children if c.dep_ == "prep" and c.lower_ == "of" for p in pobjs(c)
    ]
    return [Reading(t, listed, other, tok.i) for t in roles[:1] if listed and other]


def _located_name(d: Analysis, tok, domain) -> int | None:
    """The entity whose mention has ``tok`` as its head, when it may be of a ``domain`` type and is not in a
    list (a name inside "in A, B, C and D" is not a container of its neighbours)."""
    ent = mention_entity(d, tok)
    if ent is None or not _may_be(d, ent, domain):
        return None
    m = d.mentions[d.tok2mention[tok.i]]
    if tok.i != d.spacy_doc[m.start : m.end].root.i:
        return None
    outside = [c for c in tok.subtree if not m.start <= c.i < m.end]
    in_list = tok.dep_ == "conj" or any(c.dep_ == "conj" and c.head.i == tok.i for c in outside)
    named_appos = any(c.dep_ == "appos" and c.i in d.tok2mention for c in outside if c.head.i == tok.i)
    in_list = in_list or (named_appos and any(c.dep_ == "conj" for c in outside))
    return None if in_list else ent


def _place_hosts(d: Analysis, tok) -> list:
    """The nouns a name's in-phrase may hang on: the name itself, its appositions ("X, a town in Y"), a copular
    place or type noun ("X is a province of Y") and the place noun it names ("the X district of Y")."""
    hosts = [tok] + [c for c in tok.children if c.dep_ == "appos" and c.i not in d.tok2mention]
    if tok.dep_ == "nsubj" and tok.head.lemma_ == "be":
        hosts += [
            c
            for c in tok.head.children
            if c.dep_ == "attr"
            and c.i not in d.tok2mention
            and (c.lemma_.lower() in PLACE_NOUNS or c.lemma_.lower() in d.trig.type_nouns)
        ]
    if tok.dep_ == "compound" and tok.head.i not in d.tok2mention and tok.head.lemma_.lower() in PLACE_NOUNS:
        hosts.append(tok.head)
    if tok.dep_ == "nsubj" and tok.head.lemma_ == "be":  # "X is one of Y's nine provinces / of the counties of Y"
        ones = [c for c in tok.head.children if c.dep_ == "attr" and c.lower_ == "one"]
        of = [p for c in ones for p in pobjs(next((x for x in c.children if x.lower_ == "of"), c))]
        hosts += [p for p in of if p.lemma_.lower() in PLACE_NOUNS and p.i not in d.tok2mention]
    if any(h.dep_ == "attr" and h.lemma_.lower() in PLACE_NOUNS for h in hosts[1:]):
        hosts.append(tok.head)  # "X is a town in the hills of Y, in the interior of Z": the copula's in-phrase too
    return hosts


def _area_of(tok):
    """ "the south of Y", "the northern coast of Y": the place an area noun is part of, else the token."""
    if tok.pos_ == "NOUN" and tok.lemma_.lower() in AREA_NOUNS:
        inner = [p for c in tok.children if c.dep_ == "prep" and c.lower_ == "of" for p in pobjs(c)]
        if inner:
            return inner[0]
    return tok


def _noun_in_place(d: Analysis, tok, sent, use: ConstructionUse) -> list[Reading]:
    """ "the X Institute in Y", "X, a Y start-up", "X, a software house in Y", "X is a port on the Y coast", "the
    X region of Y": an organisation or place with an in-phrase (on it, its apposition or its copular noun) or a
    place word before its apposition's noun."""
    ent = _located_name(d, tok, use.domain)
    if ent is None:
        return []

    def places(tokens) -> list:
        # "a town in the Y region": the name on a place noun stands for the place
        tokens = [
            next((c for c in t.children if c.dep_ == "compound" and c.i in d.tok2mention), t)
            if t.i not in d.tok2mention and t.lemma_.lower() in PLACE_NOUNS
            else t
            for t in map(_area_of, tokens)
        ]
        return [t for t in tokens if (e := mention_entity(d, t)) is not None and e != ent and _may_be(d, e, use.range)]

    out = []
    for h in _place_hosts(d, tok):
        place_noun = h.lemma_.lower() in PLACE_NOUNS
        for c in h.children:
            # "in Y"; "a coastal province of Y", "a port on Y" (of and on only after a place noun)
            if c.dep_ == "prep" and (c.lower_ == "in" or (c.lower_ in {"of", "on"} and place_noun)):
                objs = places(pobjs(c))
                if objs:
                    out.append(Reading(use.trigger, [tok], objs, c.i))
            if c.dep_ == "poss" and place_noun and h.tag_ == "NNS" and (objs := places([c])):
                out.append(Reading(use.trigger, [tok], objs, c.i))  # "one of Y's nine provinces"
        if h.dep_ == "appos" and h.pos_ == "NOUN":
            objs = places([c for c in h.children if c.dep_ in {"compound", "nmod", "amod"} and c.i < h.i])
            objs = [o for o in objs if d.entities[mention_entity(d, o)].type in use.range]  # not "the X crew"
            if objs:
                out.append(Reading(use.trigger, [tok], objs, h.i))
    return out or _place_apposition(d, tok, sent, use, ent)


APPOSITION_GAP = 5  # words between "X, a" and its place noun ("a small fishing town"), and after its preposition


def _place_apposition(d: Analysis, tok, sent, use: ConstructionUse, ent: int) -> list[Reading]:
    """ "X, a fishing town in northern Y", "X, capital of the Y region": read from the token order where the
    parser did not hang the apposition on X (it often does not after "Born in X, ...")."""
    doc = d.spacy_doc
    m = d.mentions[d.tok2mention[tok.i]]
    if d.entities[ent].type not in use.range and d.entities[ent].strong:
        return []
    k = m.end
    if k + 2 >= sent.end or doc[k].text != ",":
        return []
    k += 1 + (doc[k + 1].lower_ in {"a", "an", "the"})
    noun = next(
        (j for j in range(k, min(k + APPOSITION_GAP, sent.end)) if doc[j].lemma_.lower() in PLACE_NOUNS | {"capital"}),
        None,
    )
    if noun is None or any(j in d.tok2mention or doc[j].is_punct or doc[j].pos_ == "VERB" for j in range(k, noun)):
        return []
    if noun + 1 >= sent.end or doc[noun + 1].lower_ not in {"in", "on", "of"}:
        return []
    for j in range(noun + 2, min(noun + 2 + APPOSITION_GAP, sent.end)):
        mi = d.tok2mention.get(j)
        if mi is not None:
            other = d.mentions[mi]
            ok = other.entity != ent and _may_be(d, other.entity, use.range)
            return [Reading(use.trigger, [tok], [doc[other.start : other.end].root], noun)] if ok else []
        if doc[j].is_punct or doc[j].pos_ in {"VERB", "AUX", "PRON"}:
            return []
    return []


def _place_comma_place(d: Analysis, tok, sent, use: ConstructionUse) -> list[Reading]:
    """ "X, Y": a comma and a place right after a (surely typed) place, not part of a list."""
    ent = _located_name(d, tok, use.domain)
    if ent is None or d.entities[ent].type not in use.range:
        return []
    doc = d.spacy_doc
    m = d.mentions[d.tok2mention[tok.i]]
    if not (m.end + 1 < len(doc) and doc[m.end].text == ","):
        return []
    nxt = d.tok2mention.get(m.end + 1)
    prev_list = m.start >= 2 and doc[m.start - 1].text == "," and (m.start - 2) in d.tok2mention
    if nxt is None or prev_list:
        return []
    big = d.mentions[nxt]
    after = doc[big.end].lower_ if big.end < len(doc) else ""
    if after == "," and big.end + 1 < len(doc):
        more = d.tok2mention.get(big.end + 1)  # "A, B, C": a list goes on
        after = "list" if more is not None else ""
    if _may_be(d, big.entity, use.range) and big.entity != ent and after not in {"list", "and", "or", "&"}:
        return [Reading(use.trigger, [tok], [doc[big.start : big.end].root], m.end)]
    return []


def _person_of_place(d: Analysis, tok, sent, use: ConstructionUse) -> list[Reading]:
    """ "A of Y", "A, of Y": a person's home in announcements."""
    doc = d.spacy_doc
    mi = d.tok2mention.get(tok.i)
    if mi is None or tok.i != d.mentions[mi].end - 1:
        return []
    if d.entities[d.mentions[mi].entity].type not in {*use.domain, None}:
        return []
    k = tok.i + 1
    if k < sent.end and doc[k].text == ",":
        k += 1
    if k + 1 < sent.end and doc[k].lower_ == "of":
        home = d.tok2mention.get(k + 1)
        person_typed = d.entities[d.mentions[mi].entity].type in use.domain
        place = home is not None and d.entities[d.mentions[home].entity].type in use.range
        if home is not None and (place or (person_typed and _may_be(d, d.mentions[home].entity, use.range))):
            first = tok
            while first.dep_ == "conj" and first.head.i in d.tok2mention:
                first = first.head  # "A and B C, of Y": the whole coordination
            return [Reading(use.trigger, [first], [doc[d.mentions[home].start]], k)]
    return []


def _place_based(d: Analysis, tok, sent, use: ConstructionUse) -> list[Reading]:
    """ "a Y-based house", "the Y-based firm X": the organisation's base."""
    doc = d.spacy_doc
    if not (tok.lower_ == "based" and tok.i >= 2 and doc[tok.i - 1].text in {"-", "–"}):
        return []
    place = d.tok2mention.get(tok.i - 2)
    noun = tok.head
    org = noun if noun.i in d.tok2mention else None
    if org is None and noun.dep_ == "appos" and noun.head.i in d.tok2mention:
        org = noun.head
    if org is None:
        org = next((c for c in noun.children if c.dep_ == "appos" and c.i in d.tok2mention), None)
    if place is not None and org is not None:
        return [Reading(use.trigger, [org], [doc[d.mentions[place].start]], tok.i)]
    return []


def _acquisition_noun(d: Analysis, tok, sent, use: ConstructionUse) -> list[Reading]:
    """ "its acquisition of Y", "X completes acquisition of Y", "the purchase of Y by X" (nouns from the
    construction's ``words``)."""
    if not (tok.pos_ == "NOUN" and tok.lemma_.lower() in use.words):
        return []
    bought = [p for c in tok.children if c.dep_ == "prep" and c.lower_ == "of" for p in pobjs(c)]
    buyer = [c for c in tok.children if c.dep_ == "poss"]
    buyer = buyer or [p for c in tok.children if c.dep_ == "prep" and c.lower_ == "by" for p in pobjs(c)]
    if not buyer and tok.dep_ == "dobj":
        buyer = subjects(tok.head)
    return [Reading(use.trigger, buyer, bought, tok.i)] if bought and buyer else []


def _is_closing_quote(i: int, d: Analysis) -> bool:
    """True when token i is a closing quotation mark."""
    return i >= 0 and d.spacy_doc[i].text in {'"', "”", "'", "’"}


def _cited_publisher(d: Analysis, tok, sent, use: ConstructionUse) -> list[Reading]:
    """'"X" (Y, 2023)': a work followed by a parenthesis naming an organisation is a citation of its
    publisher."""
    doc = d.spacy_doc
    if not (tok.text == "(" and tok.i > sent.start and tok.i + 1 < sent.end):
        return []
    k = tok.i - 1
    while k > sent.start and doc[k].is_space:
        k -= 1
    before = d.tok2mention.get(k)
    if before is None and _is_closing_quote(k, d):
        before = d.tok2mention.get(k - 1)
    after = d.tok2mention.get(tok.i + 1)
    if before is None or after is None:
        return []
    work, org = d.mentions[before], d.mentions[after]
    closes = org.end < sent.end and doc[org.end].text in {",", ")"}
    if closes and d.entities[work.entity].type in use.domain and d.entities[org.entity].type in use.range:
        return [Reading(use.trigger, [doc[work.start]], [doc[org.start]], tok.i)]
    return []


def _possessive_work(d: Analysis, tok, sent, use: ConstructionUse) -> list[Reading]:
    """ "Her memoir, 'X'", "his novel 'X'", 'her "X"', 'A, whose "X" remains ...': a possessor of a work."""
    doc = d.spacy_doc
    out = []
    # a possessive before a work noun that names the work
    if tok.pos_ == "NOUN" and d.trig.type_nouns.get(tok.lemma_.lower()) in use.range:
        poss = [c for c in tok.children if c.dep_ == "poss" and (c.i in d.refs or c.i in d.tok2mention)]
        named = [c for c in tok.children if c.dep_ in {"appos", "compound", "nmod"} and c.i in d.tok2mention]
        if poss and named:
            out.append(Reading(use.trigger, poss, [tok], tok.i))
    # a possessor on a quoted title (the title is the noun phrase itself)
    mi = d.tok2mention.get(tok.i)
    if mi is not None and d.mentions[mi].quoted and tok.i == doc[d.mentions[mi].start : d.mentions[mi].end].root.i:
        poss = [c for c in tok.children if c.dep_ == "poss" and (c.i in d.refs or c.i in d.tok2mention)]
        if poss:
            out.append(Reading(use.trigger, poss, [tok], tok.i))
    # ', whose "X" remains ...': read from the token order, since the parser often mangles the quoted title
    if tok.lower_ == "whose" and tok.i >= 2:
        k = tok.i + 1
        while k < sent.end and doc[k].is_punct:
            k += 1
        work = d.tok2mention.get(k)
        j = tok.i - 1 if doc[tok.i - 1].text != "," else tok.i - 2
        owner = d.tok2mention.get(j)
        if work is not None and owner is not None and d.mentions[work].quoted:
            out.append(Reading(use.trigger, [doc[d.mentions[owner].start]], [doc[d.mentions[work].start]], tok.i))
    return out


@dataclass(frozen=True)
class _Pattern:
    name: str  # as named in the ontology's constructions section
    text: str  # the construction's shape, shown in a candidate's method ("con:<work> by <person>")
    match: Matcher
    always: bool = False  # relation-agnostic: runs whatever the ontology lists


# per token, in this order
_TABLE: tuple[_Pattern, ...] = (
    _Pattern("work_by", "<work> by <person>", _work_by),
    _Pattern("role_noun_list", "<role nouns> include <names>", _role_noun_list, always=True),
    _Pattern("noun_in_place", "<X>, <noun> in <place>", _noun_in_place),
    _Pattern("place_comma_place", "<place>, <larger place>", _place_comma_place),
    _Pattern("person_of_place", "<person> of <place>", _person_of_place),
    _Pattern("place_based", "<place>-based <org>", _place_based),
    _Pattern("acquisition_noun", "<X>'s acquisition of <Y>", _acquisition_noun),
    _Pattern("cited_publisher", "<work> (<publisher>, <year>)", _cited_publisher),
    _Pattern("possessive_work", "<her> <work noun>, <work>", _possessive_work),
    _Pattern("class_note", "<person> (<subject>, <year>) on a school's alumni page", class_note),
)
# the constructions an ontology may switch on → their shape
PATTERNS = {p.name: p.text for p in _TABLE if not p.always}


def construction_readings(d: Analysis, sent) -> list[Reading]:
    """(trigger, subject tokens, object tokens, anchor) of every construction the ontology switches on."""
    active = [(p.match, d.trig.constructions.get(p.name)) for p in _TABLE if p.always or p.name in d.trig.constructions]
    out: list[Reading] = []
    for tok in sent:
        for match, use in active:
            out += match(d, tok, sent, use)
    return out
