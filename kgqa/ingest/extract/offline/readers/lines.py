"""Line-shaped text: infobox tables, verbless list fragments and role lines under a person's heading."""

from __future__ import annotations

import re

from kgqa.ingest.extract.offline.readers.lexical import lex_norm
from kgqa.ingest.extract.offline.state import Analysis, Reading
from kgqa.ingest.extract.offline.words import FRAGMENT_SKIP, PLACE_NOUNS, SKIP_IN_PHRASE


def table_readings(d: Analysis) -> list[Reading]:
    """Infobox tables ("| Founder | A B |" under a header row naming the subject): a row whose label is a
    role noun relates the row's first name to the table's subject."""
    doc, trig = d.spacy_doc, d.trig
    spans = [(doc[m.start].idx, doc[m.end - 1].idx + len(doc[m.end - 1]), m.entity, m.start) for m in d.mentions]

    def names_in(a: int, b: int) -> list[tuple[int, int]]:
        return [(e, tok) for s, en, e, tok in spans if s >= a and en <= b]

    out = []
    subject: int | None = None
    in_table = False
    pos = 0
    for line in doc.text.split("\n"):
        start, pos = pos, pos + len(line) + 1
        body = line.strip()
        if not (body.startswith("|") and body.endswith("|") and len(body) > 1):
            in_table, subject = False, None
            continue
        cells, offs = [], []
        o = start + line.index("|") + 1
        for cell in body[1:-1].split("|"):
            cells.append(cell)
            offs.append((o, o + len(cell)))
            o += len(cell) + 1
        if all(set(c) <= set("-: ") for c in cells):
            continue  # the |---|---| separator
        if not in_table:
            in_table = True
            header = [n for a, b in offs for n in names_in(a, b)]
            subject = header[0][0] if header else None
            continue
        if subject is None or len(cells) < 2:
            continue
        label = [w for w in re.findall(r"[a-z]+(?:-[a-z]+)?", cells[0].lower()) if w not in SKIP_IN_PHRASE]
        values = names_in(*offs[1])
        if not label or not values:
            continue
        value, tok = values[0]
        placed = trig.constructions.get("noun_in_place")
        if placed and len(label) == 1 and label[0] in PLACE_NOUNS and value != subject:
            out.append(Reading(placed.trigger, [subject], [value], tok))  # "| Province | Y |": the subject is in Y
        for t in trig.triggers:
            if not t.noun:
                continue
            forms = (list(t.words), list(t.lemmas), [*t.words[:-1], t.words[-1] + "s"])
            if label in forms:
                out.append(Reading(t, [value], [subject], tok))
        out += _cell_place_pair(d, values)
    return out


def _cell_place_pair(d: Analysis, values: list[tuple[int, int]]) -> list[Reading]:
    """ "| Headquarters | X, Y |": a cell holding just two names joined by a comma names a place in a place."""
    use = d.trig.constructions.get("place_comma_place")
    if use is None or len(values) != 2:
        return []
    doc = d.spacy_doc
    (first, tok), (second, tok2) = values
    m1 = d.mentions[d.tok2mention[tok]]
    between = doc[m1.end : tok2].text.strip()
    places = all(d.entities[e].type in use.range or not d.entities[e].strong for e in (first, second))
    return [Reading(use.trigger, [first], [second], tok)] if between == "," and places and first != second else []


def fragment_readings(d: Analysis, sent) -> list[Reading]:
    """Verbless list/infobox fragments whose subject is the line's first name:
    "X Logistics - freight. Headquarters: Y. Chief executive: A B. Owner of Z Press."."""
    doc, trig = d.spacy_doc, d.trig
    first = next((t for t in sent if not t.is_punct and not t.is_space), None)
    if first is None:
        return []
    j = first.i
    if first.i in d.tok2mention:
        # a capitalised role word taken for a name ("Owner of X.") is still the fragment's first word
        m0 = d.mentions[d.tok2mention[first.i]]
        if d.entities[m0.entity].type is not None or first.lower_ not in trig.by_first or m0.end - m0.start > 1:
            return []
        j = m0.end
    line_start = doc.text.rfind("\n", 0, sent.start_char) + 1
    head = None
    for m in d.mentions:
        if doc[m.start].idx >= line_start and m.end <= sent.start:
            head = m.entity
            break
    if head is None:
        return []
    # the words up to the first name, then one group of names, then only punctuation to the end
    while j < sent.end and j not in d.tok2mention:
        j += 1
    if j >= sent.end:
        return []
    lead = [w for w in lex_norm(doc[first.i : j]) if w not in FRAGMENT_SKIP]
    if lead and lead[-1] == ":":
        lead = lead[:-1]
    if not lead or any(t.pos_ in {"VERB", "AUX"} and t.tag_ not in {"VBN"} for t in doc[first.i : j]):
        return []
    objs: list[int] = []
    k = j
    while k < sent.end:
        mi = d.tok2mention.get(k)
        if mi is not None:
            e = d.mentions[mi].entity
            if e not in objs:
                objs.append(e)
            k = d.mentions[mi].end
        elif doc[k].lower_ in {",", "and", "&"}:
            k += 1
        else:
            break
    if any(not t.is_punct and not t.is_space for t in doc[k : sent.end]):
        return []
    out = []
    for t in trig.triggers:
        for f in (list(t.words), list(t.lemmas)):
            if t.noun:
                # "Owner of X" (the line's name holds the role); "Chief executive: X" (X holds it)
                if lead in ([*f, "of"], [*f, "at"]):
                    out.append(Reading(t, [head], objs, first.i))
                elif lead in (f, [*f[:-1], f[-1] + "s"]):
                    out.append(Reading(t, objs, [head], first.i))
            elif lead == f:
                out.append(Reading(t, [head], objs, first.i))
        # one form is enough
    seen = set()
    uniq = []
    for x in out:
        key = (x[0].relation, x[0].inverse, tuple(x[1]), tuple(x[2]))
        if key not in seen:
            seen.add(key)
            uniq.append(x)
    return uniq


def role_line_readings(d: Analysis, sent) -> list[Reading]:
    """A byline under a person's heading: "## A B" then "*Co-founder and CEO, X*".

    The line holds only role nouns (joined by "and"/"&"/"/"), a comma and organisation names; the person is the
    name that made up the whole previous line.
    """
    doc, trig = d.spacy_doc, d.trig
    toks = [t for t in sent if not t.is_space and t.text not in {"*", "_", "#"}]
    comma = next((k for k, t in enumerate(toks) if t.text in {",", "|", "—", "–"}), None)
    if comma is None or comma == 0 or comma + 1 >= len(toks):
        return []
    lead, rest = toks[:comma], toks[comma + 1 :]
    orgs: list[int] = []
    k = 0
    while k < len(rest):
        mi = d.tok2mention.get(rest[k].i)
        if mi is not None:
            e = d.mentions[mi].entity
            if d.entities[e].type not in {d.roles.organization, None}:
                return []
            orgs.append(e)
            end = d.mentions[mi].end
            while k < len(rest) and rest[k].i < end:
                k += 1
        elif rest[k].is_punct:
            k += 1
        else:
            return []
    if not orgs:
        return []
    # the previous line: one person's name and nothing else
    line_start = doc.text.rfind("\n", 0, sent.start_char)
    prev_end = line_start
    while prev_end > 0 and doc.text[prev_end - 1] in " \t\n":
        prev_end -= 1
    prev_start = doc.text.rfind("\n", 0, prev_end) + 1
    prev_text = doc.text[prev_start:prev_end].strip(" #*_")
    person = next(
        (
            m.entity
            for m in d.mentions
            if doc[m.start].idx >= prev_start
            and doc[m.end - 1].idx < prev_end
            and d.entities[m.entity].name == prev_text
            and d.entities[m.entity].type == d.roles.person
        ),
        None,
    )
    if person is None:
        return []
    # role nouns: split the lead at "and"/"&"/"/" and match each part against the role-noun triggers
    parts: list[list[str]] = [[]]
    for t in lead:
        if t.lower_ in {"and", "&", "/"}:
            parts.append([])
        else:
            parts[-1].append(t.lower_)
    out = []
    for part in parts:
        for t in trig.triggers:
            if t.source == "noun" and (list(t.words) == part or list(t.lemmas) == part):
                out.append(Reading(t, [person], orgs, lead[0].i))
                break
    return out
