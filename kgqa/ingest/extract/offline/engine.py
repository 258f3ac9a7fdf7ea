"""The candidate readers as an ordered table, and how their readings become candidate facts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kgqa.ingest.extract.offline.arguments import expand
from kgqa.ingest.extract.offline.readers.constructions import construction_readings
from kgqa.ingest.extract.offline.readers.dependency import dependency_readings
from kgqa.ingest.extract.offline.readers.lexical import lexical_readings
from kgqa.ingest.extract.offline.readers.lines import fragment_readings, role_line_readings, table_readings
from kgqa.ingest.extract.offline.readers.profile import profile_readings
from kgqa.ingest.extract.offline.state import Analysis, Candidate, Reading
from kgqa.ingest.extract.offline.syntax import irrealis


@dataclass(frozen=True)
class Reader:
    """A candidate reader and how its readings become candidates."""

    name: str
    read: Callable[..., list[Reading]]  # (d) for the whole document, (d, sentence) per sentence
    method: str  # candidate method, formatted with the trigger's source and text
    per_sentence: bool = True
    tokens: bool = False  # arguments are tokens (expanded to entities), else entity indices
    confidence: tuple[float, float] = (0.75, 0.75)  # (through a reference, direct)
    options: bool = True  # record the other relations the trigger's words could mean
    irrealis: bool = True  # drop readings in future, intended or negated clauses
    couples: bool = False  # "the couple" / "the pair" as a subject: the latest married pair


# run in this order: the whole-document readers first, then every per-sentence reader on each sentence in turn
READERS: tuple[Reader, ...] = (
    Reader("table", table_readings, "table:{text}", per_sentence=False, options=False, irrealis=False),
    Reader("profile", profile_readings, "cv:{text}", per_sentence=False, options=False, irrealis=False),
    Reader("dependency", dependency_readings, "dep:{source}:{text}", tokens=True, confidence=(0.8, 0.9), couples=True),
    Reader("construction", construction_readings, "con:{text}", tokens=True, options=False),
    Reader("lexical", lexical_readings, "lex:{source}:{text}"),
    Reader("fragment", fragment_readings, "lex:{source}:{text}"),
    Reader("role_line", role_line_readings, "lex:{source}:{text}"),
)


COUPLE_WINDOW = 6  # sentences back that "the couple" may refer to


def recent_couple(d: Analysis, found: list[Candidate], sent_i: int) -> list[int]:
    """'the couple': the two people of the latest spouse fact found in the last few sentences."""
    spouses = d.trig.relations_of_family("spouse")
    for c in reversed(found):
        if c.sent < sent_i - COUPLE_WINDOW:
            break
        if c.relation in spouses:
            return [c.subj, c.obj]
    return []


def _arguments(d: Analysis, reader: Reader, r: Reading, found: list[Candidate], sent_i: int):
    """Subject and object entities of a reading, in the relation's direction."""
    s_ents, o_ents = r.subj, r.obj
    if reader.tokens:
        s_ents, o_ents = expand(d, r.subj), expand(d, r.obj)
        if reader.couples and not s_ents and any(x.lower_ in {"couple", "pair"} for x in r.subj):
            s_ents = recent_couple(d, found, sent_i)
        if not r.obj:  # symmetric relation among a coordinated subject
            group = s_ents
            s_ents, o_ents = group[:1], group[1:2] if len(group) == 2 else []
    if r.trigger.inverse:
        s_ents, o_ents = o_ents, s_ents
    return s_ents, o_ents


def _add(d: Analysis, reader: Reader, r: Reading, sent_i: int, out: list[Candidate], options: dict) -> None:
    if reader.irrealis and irrealis(d.spacy_doc[r.at]):
        return
    s_ents, o_ents = _arguments(d, reader, r, out, sent_i)
    t = r.trigger
    via_ref = reader.tokens and any(x.i in d.refs for x in [*r.subj, *r.obj])
    confidence = reader.confidence[0] if via_ref else reader.confidence[1]
    method = reader.method.format(source=t.source, text=t.text)
    alternatives = tuple(options.get(t.words, [])) if reader.options else ()
    for s in s_ents:
        for o in o_ents:
            out.append(Candidate(t.relation, s, o, sent_i, r.at, confidence, method, alternatives))


def read_candidates(d: Analysis, readers: tuple[Reader, ...] = READERS) -> list[Candidate]:
    """Every reader's candidates, in table order (document readers, then sentence by sentence)."""
    out: list[Candidate] = []
    options: dict[tuple[str, ...], list[str]] = {}  # trigger words → every relation they trigger
    for t in d.trig.triggers:
        options.setdefault(t.words, []).append(t.relation)
    sents = list(d.spacy_doc.sents)
    tok_sent = {tok.i: k for k, sp in enumerate(sents) for tok in sp}
    for reader in readers:
        if not reader.per_sentence:
            for r in reader.read(d):
                _add(d, reader, r, tok_sent.get(r.at, 0), out, options)
    for sent_i, sent in enumerate(sents):
        for reader in readers:
            if reader.per_sentence:
                for r in reader.read(d, sent):
                    _add(d, reader, r, sent_i, out, options)
    return out
