"""Helpers over the dependency parse: trigger matching, subjects, objects, role-noun holders, irrealis."""

from __future__ import annotations

from kgqa.ingest.extract.offline.triggers import Trigger
from kgqa.ingest.extract.offline.words import CONTINUING, HOLD_VERBS, INTENT_VERBS, MODALS


def tok_forms(tok) -> set[str]:
    return {tok.lower_, tok.lemma_.lower()}


def match_at(doc, i: int, trig: Trigger, limit: int) -> list[int] | None:
    """Token indices matching the trigger's words contiguously from i (articles/possessives skipped)."""
    out = []
    j = i
    for k, (w, lm) in enumerate(zip(trig.words, trig.lemmas, strict=True)):
        while k > 0 and j < limit and doc[j].lower_ in {"a", "an", "the", "its", "his", "her", "their", "-"}:
            if w == doc[j].lower_:
                break
            j += 1
        if j >= limit:
            return None
        forms = tok_forms(doc[j])
        if w in forms or lm in forms or (doc[j].lower_.endswith("s") and doc[j].lower_[:-1] == w):
            out.append(j)
            j += 1
        else:
            return None
    return out


def anchor_of(doc, idxs: list[int]) -> object:
    """The syntactic head of the matched words (the token whose head lies outside the match)."""
    s = set(idxs)
    for i in idxs:
        if (doc[i].head.i not in s or doc[i].head.i == i) and doc[i].pos_ in {"VERB", "AUX", "NOUN", "PROPN", "ADJ"}:
            return doc[i]
    return doc[idxs[0]]


def subjects(tok, depth: int = 0) -> list:
    """Subject tokens of a verb (following conj/xcomp/advcl up to the governing verb; relcl/acl → head)."""
    subs = [c for c in tok.children if c.dep_ in {"nsubj", "nsubjpass", "csubj"}]
    # "X remains based in Y" parsed with "remains" as an auxiliary holding the subject
    subs = subs or [
        c for a in tok.children if a.dep_ in {"aux", "auxpass"} for c in a.children if c.dep_ in {"nsubj", "nsubjpass"}
    ]
    if subs:
        return subs
    if depth > 4 or tok.head.i == tok.i:
        return []
    if tok.dep_ in {"relcl", "acl"}:
        governing = _listed_verb_governor(tok)
        if governing is not None:
            return subjects(governing, depth + 1)
        if any(c.lower_ in {"both", "all"} for c in tok.children):
            return [tok.head, *tok.head.conjuncts]  # "X and Y, both published by Z"
        if tok.head.lower_ in {"both", "all"} and tok.head.dep_ == "appos":
            return [tok.head.head, *tok.head.head.conjuncts]  # the same, with "both" parsed as an apposition
        return [tok.head, *of_governor(tok.head)]
    if tok.dep_ in {"conj", "xcomp", "advcl", "pcomp", "prep", "ccomp", "dep", "acomp"}:
        return subjects(tok.head, depth + 1)
    return []


def of_governor(noun) -> list:
    """ "a history of the coast, published by Y": a clause on the object of an of-phrase may be about the noun
    that governs it (the argument's types decide)."""
    if noun.pos_ == "NOUN" and noun.dep_ == "pobj" and noun.head.lower_ == "of" and noun.head.head.pos_ == "NOUN":
        return [noun.head.head]
    return []


def _listed_verb_governor(tok):
    """ "A was born in X, graduated from Y and works for Z": a participle after a comma that is coordinated with a
    finite verb is a verb of the sentence's list, not a modifier of X; the verb governing X, else None."""
    if tok.tag_ != "VBN" or tok.i == 0 or tok.doc[tok.i - 1].text != ",":
        return None
    if not any(c.dep_ == "conj" and c.tag_ in {"VBZ", "VBD", "VBP"} for c in tok.children):
        return None
    gov = tok.head
    while gov.pos_ not in {"VERB", "AUX"} and gov.head.i != gov.i:
        gov = gov.head
    return gov if gov.pos_ in {"VERB", "AUX"} else None


def is_passive(tok) -> bool:
    if any(c.dep_ in {"nsubjpass", "auxpass"} for c in tok.children):
        return True
    if tok.tag_ == "VBN" and tok.dep_ in {"acl", "relcl"} and any(c.dep_ == "agent" for c in tok.children):
        return True
    return tok.tag_ == "VBN" and tok.dep_ == "conj" and is_passive(tok.head)


def pobjs(prep) -> list:
    return [c for c in prep.children if c.dep_ in {"pobj", "pcomp"}]


def agent_objs(verb) -> list:
    return [p for c in verb.children if c.dep_ == "agent" for p in pobjs(c)]


APPOINT_VERBS = {"appoint", "name", "hire", "elect", "choose", "select", "promote", "welcome", "install", "recruit"}


def holders(noun, depth: int = 0) -> list:
    """Tokens a role noun is predicated of: appositions, copulas, 'served as', compounds."""
    out = []
    if noun.dep_ == "appos":
        out.append(noun.head)
    out += [c for c in noun.children if c.dep_ == "appos"]
    if noun.dep_ in {"attr", "oprd", "acomp"}:
        out += subjects(noun.head)
    if noun.dep_ == "pobj" and noun.head.lower_ == "as":
        verb = noun.head.head
        named = [c for c in verb.children if c.dep_ == "dobj"] if verb.lemma_.lower() in APPOINT_VERBS else []
        # "X appointed A as director of Y", "we welcome A as our editor": the one appointed holds the role
        out += named or (subjects(verb) if verb.pos_ in {"VERB", "AUX"} else [verb])
    if noun.dep_ == "compound" and noun.head.pos_ == "PROPN":
        out.append(noun.head)
    if noun.dep_ == "dobj" and noun.head.lemma_.lower() in HOLD_VERBS:
        out += subjects(noun.head)  # "X has its head office in Y", "X holds a degree from Y"
    if noun.dep_ in {"nsubj", "nsubjpass"} and noun.head.lemma_ == "be":
        out += [c for c in noun.head.children if c.dep_ == "attr"]
    if not out and noun.dep_ == "conj" and depth < 3:
        out += holders(noun.head, depth + 1)
    return out


def noun_objects(noun, preps: set[str], depth: int = 0) -> list:
    out = []
    for c in noun.children:
        # "her mother, A, of X": an of-phrase after a comma says where someone is from, not whose mother
        if c.dep_ == "prep" and c.lower_ in preps and not (c.lower_ == "of" and c.doc[c.i - 1].text == ","):
            out += pobjs(c)
        elif c.dep_ == "poss" or (c.dep_ in {"compound", "nmod"} and c.pos_ == "PROPN"):
            out.append(c)
    if not out and depth < 3:
        # "founder and CEO of X": the object hangs on a coordinated noun
        for c in noun.children:
            if c.dep_ == "conj":
                out += noun_objects(c, preps, depth + 1)
        if not out and noun.dep_ == "conj":
            out += noun_objects(noun.head, preps, depth + 1)
    return out


def irrealis(tok) -> bool:
    """True when the trigger sits in a future, hypothetical, intended or negated clause."""
    cur = tok
    for _ in range(5):
        if any(c.dep_ == "neg" for c in cur.children) and cur.i != tok.i:
            return True
        if cur.pos_ in {"VERB", "AUX"}:
            modal = any(c.dep_ == "aux" and c.lower_ in MODALS for c in cur.children)
            if modal and cur.lemma_.lower() not in CONTINUING:
                return True
            if cur.dep_ == "xcomp" and cur.head.lemma_.lower() in INTENT_VERBS:
                return True
            if cur.dep_ not in {"xcomp", "conj"}:
                return False
        elif cur.dep_ not in {"attr", "pobj", "prep", "oprd", "dobj", "compound"}:
            return False
        if cur.head.i == cur.i:
            return False
        cur = cur.head
    return False
