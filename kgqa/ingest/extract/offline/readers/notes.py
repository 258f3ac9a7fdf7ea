"""Alumni class notes: "**A B** (Law, 2003) tells us ..." on a page of one school's alumni news.

The bracket after a person's name, holding a subject and a year of graduation, says the person studied at the
school whose alumni page it is. A page counts as one when it speaks of alumni or class notes; its school is the
first school-like organisation (its name holds a word such as "University" or "College") its opening sentences name.
"""

from __future__ import annotations

import re

from kgqa.ingest.extract.offline.state import Analysis, Reading
from kgqa.ingest.extract.offline.triggers import ConstructionUse

ALUMNI_WORDS = re.compile(r"\b(alumni|alumnus|alumna|alumnae|class notes|graduates? of|old students)\b", re.IGNORECASE)
SCHOOL_WORDS = {"university", "college", "polytechnic", "academy", "conservatory", "seminary", "school", "institute"}
YEAR = re.compile(r"^(?:1[89]\d\d|20\d\d|[’']\d\d)$")
HEAD_SENTENCES = 4  # the page's own school is named in its title lines
MAX_INSIDE = 8  # tokens inside the bracket: "(PhD Marine History, 2012)"


def _school(d: Analysis):
    """The root token of the first mention of the school whose alumni page the document is, else None."""
    if not ALUMNI_WORDS.search(d.spacy_doc.text):
        return None
    org = d.roles.organization
    head = list(d.spacy_doc.sents)[:HEAD_SENTENCES]
    end = head[-1].end if head else 0
    firsts = {}
    for m in d.mentions:
        ent = d.entities[m.entity]
        if m.start < end and ent.type == org and SCHOOL_WORDS & set(ent.name.lower().split()):
            firsts.setdefault(m.entity, d.spacy_doc[m.start : m.end].root)
    return next(iter(firsts.values()), None)  # the first school named: the page's own


def _note_bracket(d: Analysis, tok) -> tuple[int, int] | None:
    """(the mention before, the closing token) when ``tok`` opens "(Subject, 1999)" right after a name, else None."""
    doc = d.spacy_doc
    if tok.text != "(" or tok.i == 0:
        return None
    k = tok.i - 1
    while k > 0 and doc[k].text in {"*", "**", "_"}:
        k -= 1
    mi = d.tok2mention.get(k)
    if mi is None:
        return None
    close = next((j for j in range(tok.i + 1, min(tok.i + MAX_INSIDE, len(doc))) if doc[j].text == ")"), None)
    if close is None or close - tok.i < 2 or not YEAR.match(doc[close - 1].text.replace("’", "'")):
        return None
    return mi, close


def class_note(d: Analysis, tok, sent, use: ConstructionUse) -> list[Reading]:
    """ "A B (Subject, 1999)": A B studied at the page's school."""
    found = _note_bracket(d, tok)
    if found is None:
        return []
    person = d.mentions[found[0]]
    ent = d.entities[person.entity]
    if ent.type not in use.domain and ent.strong:  # a weak type gives way to the bracket
        return []
    school = _school(d)
    if school is None:
        return []
    return [Reading(use.trigger, [d.spacy_doc[person.start : person.end].root], [school], tok.i)]


def drop_note_brackets(d: Analysis) -> None:
    """On an alumni page, the subject and year in "A B (PhD History, 2012)" name no entity: their mentions go (so
    "PhD History" is neither a person nor the antecedent of a later "she")."""
    doc = d.spacy_doc
    if not ALUMNI_WORDS.search(doc.text):
        return
    person = d.roles.person
    inside: set[int] = set()
    for tok in doc:
        found = _note_bracket(d, tok)
        if found is None:
            continue
        ent = d.entities[d.mentions[found[0]].entity]
        if ent.strong and ent.type != person:
            continue  # "Under Pellowen Hills (Lantern Hill Press, 2011)": a publisher cited after a title
        inside.update(range(tok.i + 1, found[1]))
    if not inside:
        return
    d.mentions = [m for m in d.mentions if not inside & set(range(m.start, m.end))]
    d.tok2mention = {k: i for i, m in enumerate(d.mentions) for k in range(m.start, m.end)}
