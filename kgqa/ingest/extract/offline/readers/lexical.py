"""Lexical fallback for bad parses: the words between two mention groups ("A and B founded C", "C's founder A")."""

from __future__ import annotations

import itertools

from kgqa.ingest.extract.offline.state import Analysis, Reading
from kgqa.ingest.extract.offline.triggers import Trigger, strip_aux
from kgqa.ingest.extract.offline.words import LEX_SKIP, MODALS

Group = tuple[int, int, list[int]]  # start, end (token indices), entities


def lex_norm(tokens) -> list[str]:
    """Lower-case words without articles, filler adverbs and quotation marks."""
    out = []
    for t in tokens:
        low = t.lower_
        if low in LEX_SKIP or low in {'"', "“", "”"}:
            continue
        if low == "’s":
            low = "'s"
        out.append(low)
    return out


def _items(d: Analysis, sent) -> list[Group]:
    """Mention tokens and resolved pronouns in order."""
    doc = d.spacy_doc
    items: list[Group] = []
    i = sent.start
    while i < sent.end:
        mi = d.tok2mention.get(i)
        if mi is not None:
            m = d.mentions[mi]
            items.append((m.start, m.end, [m.entity]))
            i = m.end
            continue
        if i in d.refs and doc[i].pos_ == "PRON":
            items.append((i, i + 1, d.refs[i]))
        i += 1
    return items


def _groups(d: Analysis, items: list[Group]) -> list[Group]:
    """Coordinated mentions as one group: "A, B and C"."""
    doc = d.spacy_doc
    groups: list[Group] = []
    for s, e, ents in items:
        if groups:
            gs, ge, gents = groups[-1]
            between = [t.lower_ for t in doc[ge:s]]
            if (between and all(w in {",", "and", "&"} for w in between) and "and" in between) or between == [","]:
                if between == [","]:
                    # "A, X's CEO" is not a list; only join same-type neighbours, and "X, Y" of two places is a
                    # place in a place unless a list goes on ("X, Y and Z")
                    types = {d.entities[x].type for x in gents} | {d.entities[x].type for x in ents}
                    goes_on = e < len(doc) and (
                        doc[e].lower_ == "and" or (doc[e].lower_ == "," and e + 1 in d.tok2mention)
                    )  # "X, Y, Z" or "X, Y and Z"; "Kelbrook, Corvenne, close to ..." is a town in a country
                    town_country = types == {d.roles.place} and not goes_on
                    if len(types) != 1 or town_country:
                        groups.append((s, e, list(ents)))
                        continue
                groups[-1] = (gs, e, gents + [x for x in ents if x not in gents])
                continue
        groups.append((s, e, list(ents)))
    return groups


def _between(d: Analysis, ae: int, bs: int) -> tuple[list[str], list[str]] | None:
    """The normalised words between two groups and the same without commas, or None when they say nothing."""
    doc = d.spacy_doc
    words = lex_norm(doc[ae:bs])
    if not words or len(words) > 8:
        return None
    if any(w in MODALS or w in {"not", "never", "n't"} for w in words):
        return None  # "A will join B", "A never worked for B"
    core = [w for w in words if w != ","]
    if not core:
        return None
    # "X, a river city in Y" reads as "X is in Y"
    between = doc[ae:bs]
    if (
        words[0] == ","
        and "," not in words[1:]
        and len(between) >= 3
        and between[-1].pos_ == "ADP"
        and between[-2].lemma_.lower() in d.trig.type_nouns
    ):
        words = ["is", between[-1].lower_]
        core = list(words)
    return words, core


def _hit(t: Trigger, words: list[str], core: list[str], b_possessive: bool) -> str | None:
    """How the between-words express the trigger: holder_first, holder_second, subject_first, passive."""
    forms = [list(t.words), list(t.lemmas)]
    hit = None
    c2 = strip_aux(core)
    if t.noun:
        for f in forms:
            for prep in ("of", "at", "for"):
                if c2 in ([*f, prep], [*f[:-1], f[-1] + "s", prep]) or core in (
                    ["as", *f, prep],
                    ["became", *f, prep],
                    ["served", "as", *f, prep],
                ):
                    hit = "holder_first"
            if core in (["'s", *f], ["'s", *f[:-1], f[-1] + "s"]):
                hit = "holder_second"
    elif "," not in words and not b_possessive:
        for f in forms:
            if c2 == f or core == f:
                hit = "subject_first"
            elif len(f) == 1 and c2 in ([f[0], "by"],) and t.source in {"phrase", "inverse_phrase"}:
                hit = "passive"
    return hit


def lexical_readings(d: Analysis, sent) -> list[Reading]:
    """Between-text patterns: 'A and B founded C', 'C's founder A', 'A, CEO of C', 'A was born in C'."""
    doc, trig = d.spacy_doc, d.trig
    out = []
    prev_end = sent.start
    for (as_, ae, aents), (bs, be, bents) in itertools.pairwise(_groups(d, _items(d, sent))):
        # "The founder of A, B, ...": a role noun before A, B in apposition after it
        before = [w for w in lex_norm(doc[max(prev_end, as_ - 6) : as_]) if w != ","]
        prev_end = ae
        if [t.lower_ for t in doc[ae:bs]] == [","] and before and before[-1] == "of":
            for t in trig.triggers:
                if t.noun and before[-1 - len(t.words) : -1] in (list(t.words), list(t.lemmas)):
                    s_ents, o_ents = (aents, bents) if t.inverse else (bents, aents)
                    out.append(Reading(t, s_ents, o_ents, as_ - 1))
        b_possessive = be < len(doc) and doc[be].tag_ == "POS"
        between = _between(d, ae, bs)
        if between is None:
            continue
        words, core = between
        for t in trig.triggers:
            hit = _hit(t, words, core, b_possessive)
            if hit is None:
                continue
            if hit in {"holder_first", "subject_first"}:
                out.append(Reading(t, aents, bents, ae))
            else:  # holder_second, or the passive of an active phrase: "C was founded by A"
                out.append(Reading(t, bents, aents, ae))
    return out
