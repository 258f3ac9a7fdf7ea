"""Lines of a profile or CV headed by one person's name: "Senior Analyst — X" and "X — MSc, Economics"."""

from __future__ import annotations

from kgqa.ingest.extract.offline.state import Analysis, Reading

DASHES = {"—", "–", "-", "|", ","}
DEGREES = {"ba", "bsc", "bs", "ma", "msc", "ms", "mphil", "phd", "dphil", "mba", "beng", "meng", "llb", "llm", "bed"}
DEGREES |= {"bachelor", "master", "doctorate", "diploma"}


def profile_person(d: Analysis) -> int | None:
    """The person a profile or CV is about: the document's first line is just their name ("# A B")."""
    first = d.spacy_doc.text.lstrip().split("\n", 1)[0].strip(" #*_")
    for m in d.mentions[:1]:
        ent = d.entities[m.entity]
        if ent.name == first and ent.type in {d.roles.person, None} and 2 <= m.end - m.start <= 3:
            return m.entity
    return None


def _lines(doc):
    """(tokens) of each text line, without markup and spaces."""
    line: list = []
    for tok in doc:
        if "\n" in tok.text or (tok.is_space and "\n" in tok.text_with_ws):
            if line:
                yield line
            line = []
        elif not tok.is_space and tok.text not in {"*", "_", "#", "**"}:
            line.append(tok)
        if "\n" in tok.whitespace_ and line:
            yield line
            line = []
    if line:
        yield line


def _entities(d: Analysis, toks) -> list[int] | None:
    """The entities of tokens that are only names and punctuation, else None."""
    out: list[int] = []
    for t in toks:
        mi = d.tok2mention.get(t.i)
        if mi is not None:
            e = d.mentions[mi].entity
            if e not in out:
                out.append(e)
        elif not t.is_punct:
            return None
    return out


def _role_trigger(d: Analysis, words: list[str]):
    """The role-noun trigger a job title ends in ("senior data analyst" → analyst), longest first."""
    best = None
    for t in d.trig.triggers:
        n = len(t.words)
        fits = t.source == "noun" and not t.inverse and n <= len(words) and list(t.words) == words[-n:]
        if fits and (best is None or n > len(best.words)):
            best = t
    return best


def profile_readings(d: Analysis) -> list[Reading]:
    """Under "# A B": a line "<job title> — X" says A works for X (the title's role noun gives the relation), a
    line "X — MSc, Economics (2010 – 2012)" that A studied at X (the relation of the phrase "degree from")."""
    person = profile_person(d)
    if person is None:
        return []
    studied = next((t for t in d.trig.triggers if t.words == ("degree", "from") and not t.inverse), None)
    out = []
    for line in _lines(d.spacy_doc):
        cut = next((k for k, t in enumerate(line) if t.text in DASHES and k > 0), None)
        if cut is None or cut + 1 >= len(line):
            continue
        lead, rest = line[:cut], line[cut + 1 :]
        orgs = _entities(d, rest)
        trig = _role_trigger(d, [t.lower_ for t in lead]) if lead[-1].i not in d.tok2mention else None
        if orgs and trig is not None:
            out.append(Reading(trig, [person], orgs, lead[-1].i))
            continue
        orgs = _entities(d, lead)
        if orgs and studied is not None and rest[0].lower_.replace(".", "") in DEGREES:
            out.append(Reading(studied, [person], orgs, rest[0].i))
    return out
