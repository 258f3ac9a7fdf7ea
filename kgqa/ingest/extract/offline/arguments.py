"""From argument tokens to entities: relative pronouns, conjunctions, appositions and nouns standing for names."""

from __future__ import annotations

from kgqa.ingest.extract.offline.state import Analysis, entities_of_token
from kgqa.ingest.extract.offline.syntax import of_governor, pobjs
from kgqa.ingest.extract.offline.words import (
    AREA_NOUNS,
    GROUP_NOUNS,
    PART_NOUNS,
    PLACE_NOUNS,
    REGION_NOUNS,
    REL_PRONOUNS,
)


def _relative_head(tok) -> list:
    """ "X, which ...", "X, whose founder is ...": the clause's head noun (and a coordinated one)."""
    up = tok.head
    for _ in range(3):
        if up.dep_ in {"relcl", "acl"}:
            if up.head.dep_ == "conj" and any(c.lower_ in {"both", "all"} for c in up.subtree):
                return [up.head.head, up.head]  # "A and B, who both studied at ..."
            head = _person_for_who(tok, up.head)
            return [head, *of_governor(head)]  # 'X, a history of the coast, which was published by Y': X too
        if up.head.i == up.i:
            break
        up = up.head
    return []


def _person_for_who(tok, head):
    """ "A, an engineer at X Company who lives in Y": "who" on a named organisation or place refers to the
    person noun whose prepositional phrase holds the name."""
    if tok.lower_ not in {"who", "whom"} or head.ent_type_ not in {"ORG", "GPE", "LOC", "FAC"}:
        return head
    up = head
    while up.dep_ in {"pobj", "prep", "compound", "conj"} and up.head.i != up.i:
        up = up.head
    return up if up is not head and up.pos_ in {"NOUN", "PROPN"} else head


def _named_by(d: Analysis, tok) -> list:
    """ "the startup X", "two engineers, A and B": a name after a common noun (not before it: "the X imprint"
    is not X, unless the name is an organisation or a work: "the BBC headquarters")."""
    named = [c for c in tok.children if c.dep_ in {"appos", "compound", "nmod"}]
    named = [c for c in named if c.i in d.tok2mention or c.i in d.refs]
    before_ok = {d.roles.organization, d.roles.work} - {""}
    named = [c for c in named if c.i > tok.i or any(d.entities[e].type in before_ok for e in entities_of_token(d, c))]
    return named or _listed_after_comma(d, tok)


def _listed_after_comma(d: Analysis, tok) -> list:
    """ "by two engineers, A and B": names right after a plural noun and a comma, read from the token order when
    the parser has not hung them on the noun (their conjuncts follow in ``expand``)."""
    doc = d.spacy_doc
    if tok.tag_ != "NNS" or tok.i + 2 >= len(doc) or doc[tok.i + 1].text != ",":
        return []
    mi = d.tok2mention.get(tok.i + 2)
    if mi is None:
        return []
    m = d.mentions[mi]
    return [doc[m.start : m.end].root]


def _listed(tok) -> list:
    """ "several novels, including X and Y", "firms such as X": the named examples."""
    if not (tok.pos_ == "NOUN" and tok.tag_ == "NNS"):
        return []
    listed = [p for c in tok.children if c.dep_ == "prep" and c.lower_ in {"including", "like"} for p in pobjs(c)]
    listed += [
        p
        for c in tok.children
        if c.dep_ == "amod" and c.lower_ == "such"
        for a in c.children
        if a.lower_ == "as"
        for p in pobjs(a)
    ]
    return listed


def _inner(tok) -> list:
    """ "born in the fishing village of X": the place the noun names; "sits on the advisory council of X",
    "joined the staff at X", "part of Y's division": the organisation behind the body."""
    lemma = tok.lemma_.lower()
    inner = []
    if lemma in PLACE_NOUNS:
        # "the X district of Y" is X (but "the Y village" is a village in Y); "the fishing village of X" is X
        named = lemma in REGION_NOUNS
        inner = [c for c in tok.children if named and c.dep_ == "compound" and c.pos_ == "PROPN"]
        inner = inner or [p for c in tok.children if c.dep_ == "prep" and c.lower_ == "of" for p in pobjs(c)]
    if not inner and lemma in AREA_NOUNS and tok.dep_ == "pobj":  # "lies in the west of Y" is in Y
        inner = [p for c in tok.children if c.dep_ == "prep" and c.lower_ == "of" for p in pobjs(c)]
    if not inner and lemma in GROUP_NOUNS:
        inner = [p for c in tok.children if c.dep_ == "prep" and c.lower_ in {"of", "at"} for p in pobjs(c)]
    if not inner and (lemma in GROUP_NOUNS or lemma in PART_NOUNS) and tok.dep_ != "dobj":
        # "now part of Y's division", "Y's research unit employs A": the possessor ("bought Y's unit" is not Y)
        inner = [c for c in tok.children if c.dep_ == "poss"]
    return inner


def expand(d: Analysis, tokens: list) -> list[int]:
    """Entities behind argument tokens, following relative pronouns, conjunctions and appositions."""
    ents: list[int] = []
    seen = set()
    stack = list(tokens)
    while stack:
        tok = stack.pop(0)
        if tok.i in seen:
            continue
        seen.add(tok.i)
        if (tok.lower_ in REL_PRONOUNS and tok.tag_ in {"WDT", "WP", "IN"}) or tok.tag_ == "WP$":
            stack[0:0] = _relative_head(tok)
            continue
        found = entities_of_token(d, tok)
        if not found:
            stand_in = _named_by(d, tok) or _listed(tok) or _inner(tok)
            if stand_in:
                stack[0:0] = stand_in[:1]
                continue
            if tok.pos_ in {"NOUN", "PROPN", "ADJ"}:
                # "X is a publisher headquartered in Y", "X, a memoir written by Y": the noun stands for X
                if tok.dep_ == "appos":
                    stack.insert(0, tok.head)
                elif tok.dep_ in {"attr"} and tok.head.lemma_ == "be":
                    stack[0:0] = [c for c in tok.head.children if c.dep_ in {"nsubj", "nsubjpass"}]
        for e in found:
            if e not in ents:
                ents.append(e)
        for c in tok.children:
            if c.dep_ == "conj":
                stack.append(c)
    return ents
