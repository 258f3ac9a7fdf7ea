"""Candidates from the dependency parse: ontology triggers with their subjects and objects.

Active and passive voice, relative and reduced relative clauses, coordination, copular role nouns, appositions,
possessives, "served as", loose verb + preposition ("studied law at X") and where-clauses.
"""

from __future__ import annotations

from kgqa.ingest.extract.offline.state import Analysis, Reading
from kgqa.ingest.extract.offline.syntax import (
    agent_objs,
    anchor_of,
    holders,
    is_passive,
    match_at,
    noun_objects,
    pobjs,
    subjects,
    tok_forms,
)
from kgqa.ingest.extract.offline.triggers import Trigger, TriggerSet
from kgqa.ingest.extract.offline.words import AUX, REL_PRONOUNS, STATIVE_PARTICIPLES


def _noun_roles(t: Trigger, idxs: list[int], anchor, last):
    role_holders = holders(anchor)
    if last.pos_ == "ADP" and last.i != anchor.i:
        objs = pobjs(last)
    else:
        objs = noun_objects(anchor, {"of", "at", "for", "with"} if t.noun else {"of"})
    if not objs and anchor.dep_ == "compound":
        # "his sister A": the possessive hangs on the name the role noun is a compound of
        objs = [c for c in anchor.head.children if c.dep_ == "poss"]
    objs = [o for o in objs if o.i not in idxs]
    return (role_holders, objs, anchor) if role_holders and objs else None


def _prep_roles(doc, t: Trigger, anchor, last):
    subj = subjects(anchor)
    dobjs = [c for c in anchor.children if c.dep_ == "dobj"]
    if t.text.split()[0] in {"was", "were"} and dobjs and not is_passive(anchor) and last.lower_ != "by":
        subj = dobjs  # a passive phrase used actively: "A sold X to B" is "X was sold to B"
    passive_like = last.lower_ == "by" or anchor.lemma_.lower() in STATIVE_PARTICIPLES
    if anchor.tag_ == "VBN" and anchor.dep_ == "advcl" and doc[anchor.i - 1].text == "," and passive_like:
        # '... the "X Atlas", compiled by A': the phrase before the comma (not in "born in X, graduated from Y")
        k = anchor.i - 2
        while k > 0 and doc[k].is_punct:
            k -= 1
        if doc[k].pos_ in {"PROPN", "NOUN"}:
            subj = [doc[k]]
    objs = pobjs(last)
    if last.lower_ == "by" and not objs:
        objs = agent_objs(anchor)
    return (subj, objs, anchor) if subj and objs else None


def _verb_roles(verb, last):
    if is_passive(verb):
        subj = agent_objs(verb)
        objs = [c for c in verb.children if c.dep_ == "nsubjpass"] or (
            [verb.head] if verb.dep_ in {"acl", "relcl"} else []
        )
        if not objs and verb.dep_ == "conj":
            objs = [c for c in verb.head.children if c.dep_ == "nsubjpass"]
        return (subj, objs, verb) if subj and objs else None
    subj = subjects(verb)
    # "A co-founded X with B": a with-phrase adds a subject
    subj = subj + [p for c in verb.children if c.dep_ == "prep" and c.lower_ == "with" for p in pobjs(c)]
    objs = [c for c in verb.children if c.dep_ in {"dobj", "attr", "oprd"}]
    # "the company that A founded": the relative pronoun is the object
    if (
        not objs
        and verb.dep_ == "relcl"
        and (
            any(c.dep_ == "dobj" and c.lower_ in REL_PRONOUNS for c in verb.children)
            or not any(c.lower_ in REL_PRONOUNS for c in verb.children)
        )
    ):
        objs = [verb.head]
        subj = [c for c in verb.children if c.dep_ == "nsubj"]
    if last.pos_ in {"NOUN", "PROPN"} and last.i != verb.i:
        objs = [p for c in last.children if c.dep_ == "prep" for p in pobjs(c)] or objs
    return (subj, objs, verb) if subj and objs else None


def _roles(doc, t: Trigger, idxs: list[int]):
    """(subject tokens, object tokens, anchor) of a matched trigger, or None."""
    anchor = anchor_of(doc, idxs)
    last = doc[idxs[-1]]
    if any(c.dep_ == "neg" for c in anchor.children) or (
        anchor.dep_ in {"attr", "oprd"} and any(c.dep_ == "neg" for c in anchor.head.children)
    ):
        return None  # "never worked for", "is not the CEO of"
    if anchor.pos_ in {"NOUN", "PROPN"} or (t.noun and anchor.pos_ not in {"VERB", "AUX"}):
        return _noun_roles(t, idxs, anchor, last)
    if last.pos_ == "ADP" and last.i != anchor.i and last.dep_ != "prt":
        return _prep_roles(doc, t, anchor, last)
    if last.dep_ == "prt" or last.i == anchor.i or last.pos_ in {"NOUN", "PROPN"}:
        return _verb_roles(anchor, last)
    return None


def _triggers_at(trig: TriggerSet, tok) -> list[Trigger]:
    triggers = trig.by_first.get(tok.lower_, []) + [
        t for t in trig.by_first.get(tok.lemma_.lower(), []) if tok.lower_ not in (t.words[0],)
    ]
    if tok.lower_.endswith("s"):
        triggers += trig.by_first.get(tok.lower_[:-1], [])
    return list(dict.fromkeys(triggers))


DWELLINGS = {"home", "house", "farm", "flat", "apartment", "residence", "hospital", "cottage", "estate", "clinic"}


def _loose_match(d: Analysis, tok, t: Trigger) -> list[int] | None:
    """A verb + preposition trigger with words between: "studied law at X", "came out this spring from X"."""
    particle = len(t.words) == 3 and any(c.dep_ == "prt" and c.lower_ == t.words[1] for c in tok.children)
    if t.noun or not (len(t.words) == 2 or particle) or tok.pos_ not in {"VERB", "AUX"}:
        return None
    forms = tok_forms(tok)
    if t.words[0] not in forms and t.lemmas[0] not in forms:
        return None
    # the preposition may hang on a common-noun object ("studied economics at X") or on a copular type noun
    # ("X is a harbor city in Y" ≈ "X is in Y")
    hosts = [tok] + [
        c
        for c in tok.children
        if c.i not in d.tok2mention
        and c.pos_ == "NOUN"
        and (c.dep_ == "dobj" or (c.dep_ == "attr" and c.lemma_.lower() in d.trig.type_nouns))
    ]
    # ... or on the noun of a with-phrase ("lives with her family in X", "works as a naval architect at X")
    hosts += [
        p
        for c in tok.children
        if c.dep_ == "prep" and c.lower_ in {"with", "as"}
        for p in pobjs(c)
        if p.pos_ == "NOUN" and p.i not in d.tok2mention
    ]
    # ... or on a dwelling ("died on 3 March at his home in X", "was born at the hospital in X")
    hosts += [
        p
        for c in tok.children
        if c.dep_ == "prep" and c.lower_ in {"at", "on"}
        for p in pobjs(c)
        if p.lemma_.lower() in DWELLINGS and p.i not in d.tok2mention
    ]
    # ... or on a date in between ("born on May 2, 1908 in X")
    hosts += [
        x
        for c in tok.children
        if c.dep_ == "prep"
        for x in c.subtree
        if x.ent_type_ in {"DATE", "CARDINAL"} and x.i not in d.tok2mention
    ]
    preps = [c for h in hosts for c in h.children if c.lower_ == t.words[-1] and c.dep_ in {"prep", "agent", "dative"}]
    if preps and (t.words[-1] != "by" or is_passive(tok)):
        return [tok.i, preps[0].i]
    return None


def _where_clause(d: Analysis, t: Trigger, i: int, sent) -> Reading | None:
    """ "X, the town where she was born": a locative phrase without its preposition in a where-clause."""
    if t.noun or len(t.words) < 2 or t.words[-1] not in {"in", "at"}:
        return None
    if all(w in AUX for w in t.words[:-1]):
        return None  # "is in" without "in" is just "is"
    doc = d.spacy_doc
    short = Trigger(t.relation, t.words[:-1], t.lemmas[:-1], t.inverse, t.noun, t.source, t.text)
    idxs = match_at(doc, i, short, sent.end)
    if idxs is None or any(k in d.tok2mention for k in idxs):
        return None
    verb = anchor_of(doc, idxs)
    if verb.dep_ == "relcl" and any(c.lower_ == "where" for c in verb.children):
        subj = subjects(verb)
        if subj and not any(c.dep_ == "neg" for c in verb.children):
            return Reading(t, subj, [verb.head], verb.i)
    return None


def _match_readings(d: Analysis, matches: list[tuple[Trigger, list[int]]]) -> list[Reading]:
    doc = d.spacy_doc
    out = []
    longest = max(len(m[1]) for m in matches)
    for t, idxs in matches:
        if len(idxs) < longest and idxs[-1] < max(m[1][-1] for m in matches if len(m[1]) == longest):
            continue  # a longer phrase covers this one ("joined the board of" over "joined")
        res = _roles(doc, t, idxs)
        if res:
            out.append(Reading(t, res[0], res[1], res[2].i))
        elif t.relation in d.trig.symmetric:
            # "A and I got married", "A and B are siblings": a coordinated subject, no object
            anchor = anchor_of(doc, idxs)
            if any(c.dep_ == "neg" for c in anchor.children):
                continue
            subj = holders(anchor) if anchor.pos_ == "NOUN" else subjects(anchor)
            if any(h.conjuncts for h in subj):
                out.append(Reading(t, subj, [], anchor.i))
    return out


def _covered(covered: dict[int, str], idxs: list[int], t: Trigger) -> bool:
    """All the match's tokens lie in an earlier, longer match of another relation."""
    return all(k in covered and covered[k] != t.relation for k in idxs)


def dependency_readings(d: Analysis, sent) -> list[Reading]:
    """(trigger, subject tokens, object tokens, anchor) from the dependency parse of one sentence."""
    doc = d.spacy_doc
    out: list[Reading] = []
    # tokens of multi-word matches: "director" (WORKS_FOR) inside "managing director of" (CEO_OF) is not read apart
    covered: dict[int, str] = {}
    for i in range(sent.start, sent.end):
        tok = doc[i]
        if i in d.tok2mention:
            continue
        triggers = _triggers_at(d.trig, tok)
        matches = []
        for t in triggers:
            idxs = match_at(doc, i, t, sent.end)
            if idxs is None:
                idxs = _loose_match(d, tok, t)
                if idxs is not None:
                    matches.append((t, idxs))
            elif not any(k in d.tok2mention for k in idxs) and not (t.noun and _covered(covered, idxs, t)):
                matches.append((t, idxs))
        covered.update((k, t.relation) for t, idxs in matches if len(idxs) > 1 for k in idxs)
        out += [r for t in triggers if (r := _where_clause(d, t, i, sent)) is not None]
        if matches:
            out += _match_readings(d, matches)
    return out
