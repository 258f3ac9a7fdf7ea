"""Finding name mentions in a parsed text and reading a type from a name or the nouns around it."""

from __future__ import annotations

import re
from collections import Counter

from kgqa.ingest.extract.offline.state import Mention
from kgqa.ingest.extract.offline.triggers import TriggerSet
from kgqa.ingest.extract.offline.words import (
    CALENDAR,
    DEMONYM_RE,
    DETS,
    HONORIFICS,
    NER_NOT_NAMES,
    NER_TYPES_KEEP,
    NOT_NAMES,
    OF_NAME_HEADS,
    QUOTE_RE,
    REGION_NOUNS,
)
from kgqa.ontology import Ontology

Span = tuple[int, int, str | None]  # start, end (token indices), NER label


def _clean_span(doc, start: int, end: int, trig: TriggerSet) -> tuple[int, int]:
    """Cut determiners, possessive markers, honorifics, role nouns and punctuation from the span's edges."""
    while start < end:
        tok = doc[start]
        low = tok.lower_.rstrip(".")
        if tok.text == "The" and not tok.is_sent_start and start + 1 < end and doc[start + 1].is_title:
            break
        if (
            low in DETS
            or low in HONORIFICS
            or tok.is_punct
            or ((low in trig.role_words or low.removesuffix("s") in trig.role_words) and tok.i + 1 < end)
            or tok.tag_ in {"POS", "PRP$"}
            or (low == "i" and start > 0 and doc[start - 1].pos_ in {"AUX", "VERB", "CCONJ"})  # "so did I. X"
        ):
            start += 1
            continue
        break
    while end > start:
        tok = doc[end - 1]
        if tok.tag_ == "POS" or tok.is_punct or tok.lower_ in {"'s", "’s", "and", "of", "'"}:
            end -= 1
            continue
        if tok.text in REGION_NOUNS and end - start > 1:  # "Pellowen province": the name is Pellowen
            end -= 1
            continue
        break
    return start, end


def _is_name_token(tok) -> bool:
    # a capitalised word mid-sentence that the tagger took for an interjection is a name word ("A Pike" → "Pike"/UH)
    return tok.tag_ in {"NNP", "NNPS"} or (
        tok.is_title
        and not tok.is_sent_start
        and (
            tok.pos_ in {"NOUN", "PROPN", "INTJ", "X"}
            or (tok.i + 1 < len(tok.doc) and tok.nbor(1).text in REGION_NOUNS)
        )
    )  # "the Marrish region": an adjective-looking name before a region noun


def _blocked_tokens(doc) -> set[int]:
    """Tokens that never start or continue a name run: dates, numbers, nationality words."""
    blocked = {
        t.i
        for ent in doc.ents
        if ent.label_ in NER_NOT_NAMES
        for t in ent
        # a proper noun inside a date is still a name ("1998 - A B and ..." read as one DATE)
        if not (t.tag_ in {"NNP", "NNPS"} and t.lower_ not in CALENDAR and not t.like_num)
    }
    # nationality words are not names ("an American born in ...", "Soviet Leningrad")
    # (by their form: spaCy also says NORP for unfamiliar town names)
    blocked |= {
        t.i
        for ent in doc.ents
        if ent.label_ == "NORP" and len(ent) == 1 and DEMONYM_RE.search(ent.text)
        for t in ent
        if not _names_a_place(t)
    }
    return blocked


def _names_a_place(tok) -> bool:
    """A word of demonym form that still names a place: "the Marrish region", "Marrish, the most northerly ..."."""
    nxt = tok.nbor(1) if tok.i + 1 < len(tok.doc) else None
    if nxt is not None and nxt.text in REGION_NOUNS:
        return True
    return tok.dep_ in {"nsubj", "nsubjpass"} and nxt is not None and nxt.text == ","


def _is_speech(span) -> bool:
    """A quoted clause ("Nothing is leaving Cawdrey," she said) is speech, not a title: a verb with its subject
    inside the quotes, and the quote ending in a comma, stop or question mark."""
    if not span.text.rstrip().endswith((",", ".", "!", "?")) and not (
        span.end < len(span.doc) and span.doc[span.end].text in {",", ".", "!", "?"}
    ):
        return False
    return any(
        t.dep_ in {"nsubj", "expl"} and span.start <= t.head.i < span.end and t.head.pos_ in {"VERB", "AUX"}
        for t in span
    )


def _quoted_spans(doc) -> list[tuple[int, int]]:
    quoted: list[tuple[int, int]] = []
    for m in QUOTE_RE.finditer(doc.text):
        span = doc.char_span(m.start(1), m.end(1), alignment_mode="expand")
        if span is not None and len(span) <= 12 and not _is_speech(span):
            quoted.append((span.start, span.end))
    return quoted


def _run_end(doc, i: int, blocked: set[int], trig: TriggerSet) -> int:
    """The end of the proper-noun run starting at i (split at role nouns: "X Freight CEO A B")."""
    n = len(doc)
    j = i + 1
    while j < n:
        nxt = doc[j]
        if _is_name_token(nxt) and j not in blocked and nxt.lower_ not in trig.role_words:
            j += 1
            continue
        if (  # "English Without Tears": a capitalised function word inside a title
            nxt.is_title
            and nxt.pos_ in {"ADP", "CCONJ", "DET"}
            and j + 1 < n
            and _is_name_token(doc[j + 1])
            and nxt.lower_ not in {"and", "of", "the"}
        ):
            j += 2
            continue
        if (
            nxt.lower_ in {"of", "&", "for"}
            and j + 1 < n
            and _is_name_token(doc[j + 1])
            and (doc[j - 1].lower_ in OF_NAME_HEADS or nxt.lower_ == "&" or doc[i].text == "The")
        ):
            j += 2
            continue
        if (  # "The Fellowship of the Ring"
            nxt.lower_ == "of"
            and doc[i].text == "The"
            and j + 2 < n
            and doc[j + 1].lower_ == "the"
            and _is_name_token(doc[j + 2])
        ):
            j += 3
            continue
        if nxt.lower_ in {"-", "–"} and j + 1 < n and _is_name_token(doc[j + 1]) and nxt.whitespace_ == "":
            j += 2
            continue
        break
    return j


def _name_runs(doc, blocked: set[int], trig: TriggerSet) -> list[Span]:
    spans: list[Span] = []
    i = 0
    while i < len(doc):
        tok = doc[i]
        if _is_name_token(tok) and i not in blocked and tok.lower_ not in trig.role_words:
            j = _run_end(doc, i, blocked, trig)
            spans.append((i, j, None))
            i = j
        elif tok.text == "The" and not tok.is_sent_start and i + 1 < len(doc) and _is_name_token(doc[i + 1]):
            j = _run_end(doc, i + 1, blocked, trig)  # a mid-sentence capitalised "The" opens a title
            spans.append((i, j, None))
            i = j
        else:
            i += 1
    return spans


# a lower-case preposition inside a spaCy name span joins two names ("sold X to Y Books" tagged as one ORG); titles
# keep theirs ("Death in Venice")
JOB_GRADES = {"senior", "junior", "lead", "principal", "chief", "deputy", "assistant", "associate", "acting", "interim"}
NAME_LABELS = {"ORG", "PERSON", "GPE", "LOC", "FAC", "NORP"}
SPLITTING_PREPOSITIONS = {"to", "from", "by", "with", "at", "into"}


def _split_at_separators(doc, spans: list[Span]) -> list[Span]:
    """A spaced dash, a colon or a bracket separates names ("X Guild - Y Newsletter", "Review: X", "X (XY)"), and
    so does a lower-case preposition inside a spaCy person, organisation or place span."""
    split_spans = []
    for s, e, label in spans:
        cut = s
        for k in range(s, e):
            if (
                doc[k].text in {"(", ")"}
                or (doc[k].text in {"-", "–", "—", ":", "|", "·", "•"} and (doc[k].whitespace_ or doc[k].text == ":"))
                or (label in NAME_LABELS and doc[k].text in SPLITTING_PREPOSITIONS)
            ):
                if k > cut:
                    split_spans.append((cut, k, label))
                cut = k + 1
        if cut < e:
            split_spans.append((cut, e, label))
    return split_spans


def _is_name(doc, cs: int, ce: int, label: str | None, quoted, in_quote: set[int], trig: TriggerSet) -> bool:
    """Whether a cleaned span is worth a mention."""
    words = [doc[k].lower_ for k in range(cs, ce)]
    if all(w in trig.role_words or w in trig.type_nouns for w in words):
        return False
    if all(doc[k].pos_ in {"PRON", "DET", "NUM", "ADP", "PUNCT"} for k in range(cs, ce)):
        return False
    if any(k in in_quote for k in range(cs, ce)) and (cs, ce) not in quoted:
        return False  # inside a quoted title: the title wins
    if not any(doc[k].is_title or doc[k].is_upper for k in range(cs, ce)):
        return False
    if ce < len(doc) and doc[ce].lower_.removesuffix("s") in trig.role_words:
        # "Senior Data Analyst": a job title in title case, not the name "Senior Data" (nor, untagged at the start of
        # a CV line, "Data")
        line_start = cs == 0 or "\n" in doc[cs - 1].text_with_ws
        if words[0] in JOB_GRADES or (label is None and line_start and ce - cs == 1):
            return False
    if label == "NORP" and ce - cs == 1:
        return False  # "an American who ...", "Turkish": nationalities are not entities here
    if ce - cs == 1 and len(doc[cs].text) == 1 and ce < len(doc) and doc[ce].text == ":":
        return False  # an interview's "Q:" and "A:"
    # "Mum", "Home again": capitalised, but not names
    return not all(w in NOT_NAMES for w in words)


def _longest_first(doc, cleaned: list[Span], quoted) -> tuple[list[Mention], set[int]]:
    """Keep the longest span where spans overlap; keep the NER label of any overlapping entity."""
    cleaned.sort(key=lambda x: (-(x[1] - x[0]), x[0]))
    taken: set[int] = set()
    result: list[Mention] = []
    for s, e, label in cleaned:
        if any(k in taken for k in range(s, e)):
            continue
        if label is None:
            labels = [doc[k].ent_type_ for k in range(s, e) if doc[k].ent_type_ in NER_TYPES_KEEP and doc[k].ent_type_]
            label = Counter(labels).most_common(1)[0][0] if labels else None
        taken.update(range(s, e))
        span = doc[s:e]
        result.append(Mention(s, e, span.text, label, quoted=(s, e) in quoted))
    return result, taken


def find_mentions(doc, trig: TriggerSet) -> list[Mention]:
    """Name mentions: quoted titles, spaCy entities and proper-noun runs, cleaned and without overlaps."""
    blocked = _blocked_tokens(doc)
    quoted = _quoted_spans(doc)
    spans: list[Span] = [(s, e, "WORK_OF_ART") for s, e in quoted]
    in_quote = {i for s, e in quoted for i in range(s, e)}
    spans += [(ent.start, ent.end, ent.label_) for ent in doc.ents if ent.label_ in NER_TYPES_KEEP]
    spans += _name_runs(doc, blocked, trig)
    cleaned = []
    for s, e, label in _split_at_separators(doc, spans):
        if label == "WORK_OF_ART" and (s, e) in quoted:
            cs, ce = s, e
        else:
            cs, ce = _clean_span(doc, s, e, trig)
        if ce > cs and _is_name(doc, cs, ce, label, quoted, in_quote, trig):
            cleaned.append((cs, ce, label))
    result, taken = _longest_first(doc, cleaned, quoted)
    # a capitalised word the parser did not take for a name (at a sentence start) is one when the same word is
    # part of a name elsewhere in the document
    name_words = {doc[k].text for m in result for k in range(m.start, m.end) if doc[k].is_title}
    for tok in doc:
        if (
            tok.i not in taken
            and (tok.ent_type_ != "NORP" or tok.dep_ in {"nsubj", "nsubjpass"})  # "Lucan lives in X" (of Lucan Dorsey)
            and tok.text in name_words
            and tok.is_title
            and tok.lower_ not in trig.role_words
            and tok.lower_ not in trig.type_nouns
            and tok.lower_ not in DETS
        ):
            taken.add(tok.i)
            result.append(Mention(tok.i, tok.i + 1, tok.text, None))
    result.sort(key=lambda m: m.start)
    return result


def ner_type(label: str | None, ontology: Ontology) -> str | None:
    """The entity type whose ``spacy`` labels include ``label``."""
    if not label:
        return None
    for et in ontology.entity_types:
        if label in et.spacy:
            return et.name
    return None


def name_type(words: list[str], trig: TriggerSet) -> str | None:
    """A type from the words of a name: "... Inc", "Lake ...", "the ... firm X", "University of X"."""
    for w in reversed(words):
        t = trig.name_words.get(w)
        if t:
            return t
        t = trig.type_nouns.get(w)
        if t and len(words) > 1:
            return t
    if words and words[0] in OF_NAME_HEADS and len(words) > 2 and words[1] == "of":
        t = trig.type_nouns.get(words[0])
        if t:
            return t
        return trig.name_words.get(words[0])
    return None


def type_noun_near(doc, m: Mention, trig: TriggerSet) -> str | None:
    """'the logistics firm X', 'X, a logistics firm,' 'X is a city' → a type from the noun."""
    head = doc[m.start : m.end].root
    cands = []
    # noun right before the name ("the company X", "the novel X")
    if m.start > 0:
        cands.append(doc[m.start - 1])
    # appositions and copular attributes
    cands += [c for c in head.children if c.dep_ in {"appos"}]
    if head.dep_ == "appos":
        cands.append(head.head)
    if head.dep_ in {"nsubj", "nsubjpass"}:
        cands += [c for c in head.head.children if c.dep_ in {"attr"} and head.head.lemma_ == "be"]
    for c in cands:
        if c.i in range(m.start, m.end) or c.pos_ not in {"NOUN"}:
            continue
        t = trig.type_nouns.get(c.lower_) or trig.type_nouns.get(c.lemma_.lower())
        if t:
            return t
    return None


def descriptor_nouns(doc, m: Mention) -> set[str]:
    """Common nouns a name is equated with: 'X, a station based in Y', 'X is a small publisher'."""
    head = doc[m.start : m.end].root
    cands = [c for c in head.children if c.dep_ == "appos"]
    if head.dep_ == "appos":
        cands.append(head.head)
    if head.dep_ in {"nsubj", "nsubjpass"} and head.head.lemma_ == "be":
        cands += [c for c in head.head.children if c.dep_ == "attr"]
    return {c.lemma_.lower() for c in cands if c.pos_ == "NOUN" and not (m.start <= c.i < m.end)}


def display_name(doc, m: Mention) -> str:
    start = m.start + 1 if doc[m.start].text == "The" and doc[m.start].is_sent_start else m.start
    text = doc[start : m.end].text
    text = re.sub(r"\s+", " ", text).strip(" ,.;:'\"“”")
    return text
