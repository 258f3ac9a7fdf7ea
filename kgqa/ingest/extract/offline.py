"""Offline relation extractor: spaCy (en_core_web_sm) + rules derived from the ontology.

How it works, per document (one spaCy pass over the whole text):

1. Mentions: spaCy named entities plus runs of proper nouns ("University of Lowmere" joined over "of" when the
   left part ends in an organisation/place word) plus quoted titles. Leading "the", trailing possessive "'s" and
   role nouns ("CEO Mara Quill") are cut off.
2. Types: from the NER label (weak), from name words and ontology type nouns ("the logistics firm X",
   "X, a publisher") (strong), and finally from the relations an entity takes part in: the object of
   "studied at" is an Organization even when spaCy said GPE. Every such correction is logged and counted.
3. References inside the document: a surname or first name alone ("Vale") → the latest full name containing
   it; he/she/his/her → the latest compatible person (known gender from role nouns and earlier unambiguous
   pronouns); it/its → the latest non-person subject; "the company"/"the city"/"the novel" → the latest
   entity of that type; they/their → the latest coordinated group of persons.
4. Relations: triggers compiled from the ontology's ``phrases``, ``inverse_phrases``, ``nouns`` and
   ``inverse_nouns`` (nothing relation-specific in this file), matched on the dependency parse
   (active/passive voice, relative and reduced relative clauses, coordination of subjects and objects,
   copular role nouns, appositions, possessives, "served as") and, as a fallback for bad parses, lexically on
   the words between two mention groups ("A and B founded C", "C's founder A").
5. Domain/range: a candidate whose types do not fit is dropped unless a weak type can be corrected.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections import Counter
from dataclasses import dataclass, field

from kgqa.ingest.model import Chunk, Document, EntityMention, Extraction, Fact, Sentence
from kgqa.ontology import Ontology

log = logging.getLogger("kgqa.ingest.extract")

AUX = {"is", "was", "are", "were", "be", "been", "being", "has", "have", "had", "'s"}
SKIP_IN_PHRASE = {"a", "an", "the"}
DETS = {"a", "an", "the", "this", "that", "these", "those"}
REL_PRONOUNS = {"who", "whom", "which", "that"}
PERSON_PRONOUNS = {
    "he": "m",
    "him": "m",
    "his": "m",
    "himself": "m",
    "she": "f",
    "her": "f",
    "hers": "f",
    "herself": "f",
}
THING_PRONOUNS = {"it", "its", "itself"}
# capitalised words that tagging takes for names but that name no one: family forms of address, headline words
NOT_NAMES = {"mum", "mom", "mummy", "dad", "daddy", "mama", "papa", "grandma", "grandpa", "granny", "grandad",
             "granddad", "nan", "nana", "home", "welcome", "hello", "thanks", "update", "news"}  # fmt: skip
BYLINE_HEADS = {"post", "posted", "answer", "write", "written", "reply", "comment", "story", "report", "interview"}
KIN_NOUNS = {"son", "daughter", "child", "children", "kid", "kids", "father", "mother", "parent", "parents", "brother",
             "sister", "twin", "grandson", "granddaughter"}  # fmt: skip
GROUP_PRONOUNS = {"they", "them", "their", "theirs"}
HONORIFICS = {
    "mr",
    "mrs",
    "ms",
    "miss",
    "dr",
    "prof",
    "professor",
    "sir",
    "dame",
    "lord",
    "lady",
    "mayor",
    "councillor",
    "councilor",
    "senator",
    "judge",
    "captain",
    "capt",
    "rev",
    "reverend",
    "minister",
    "alderman",
}
FEMALE_WORDS = {"wife", "mother", "daughter", "sister", "alumna", "ms", "mrs", "miss", "dame", "lady", "woman"}
MALE_WORDS = {"husband", "father", "son", "brother", "alumnus", "mr", "sir", "lord", "man"}
# Name words that reveal a type (generic, not tied to any relation).
NAME_HEADS = {
    "Organization": {
        "inc",
        "ltd",
        "llc",
        "corp",
        "corporation",
        "co",
        "plc",
        "gmbh",
        "labs",
        "press",
        "group",
        "holdings",
        "partners",
        "logistics",
        "freight",
        "books",
        "bank",
        "systems",
        "industries",
        "foundation",
        "institute",
        "guild",
        "society",
        "club",
        "academy",
        "council",
        "association",
        "federation",
        "league",
        "union",
        "museum",
        "orchestra",
        "records",
        "publishing",
        "publishers",
        "media",
        "studios",
        "motors",
        "airlines",
        "technologies",
        "robotics",
        "energy",
        "works",
        "ventures",
        "capital",
        "trust",
        "agency",
        "polytechnic",
        "conservatory",
        "seminary",
    },
    "Location": {
        "port",
        "lake",
        "mount",
        "river",
        "bay",
        "island",
        "islands",
        "valley",
        "harbor",
        "harbour",
        "falls",
        "springs",
        "county",
        "province",
        "heights",
        "coast",
        "hills",
        "fjord",
        "cove",
        "bridge",
        "ford",
        "haven",
    },
}
# words before "of" that make "X of Y" one name: "University of Lowmere", "Bank of Ostra"
OF_NAME_HEADS = {
    "university",
    "college",
    "school",
    "institute",
    "academy",
    "bank",
    "guild",
    "society",
    "museum",
    "council",
    "order",
    "league",
    "association",
    "federation",
    "republic",
    "kingdom",
    "duchy",
    "isle",
    "city",
    "county",
    "province",
    "gulf",
    "bay",
    "lake",
    "mount",
    "department",
    "ministry",
    "church",
    "house",
    "conservatory",
    "library",
    "port",
}
NER_TYPES_KEEP = {"PERSON", "ORG", "NORP", "GPE", "LOC", "FAC", "WORK_OF_ART", "PRODUCT"}
NER_NOT_NAMES = {"DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT", "QUANTITY", "LANGUAGE", "EVENT"}
CALENDAR = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "spring", "summer",
    "autumn", "winter", "christmas", "easter",
}  # fmt: skip
DEMONYM_RE = re.compile(r"(?:an|ans|ese|ish|i|is|ic|ch|sh|ss|ek|ai|ots?)$", re.IGNORECASE)
QUOTE_RE = re.compile(r"[\"“]([A-Z][^\"”\n]{1,80}?)[\"”]")


# ----------------------------------------------------------------------------------------------------------
# Triggers compiled from the ontology
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trigger:
    relation: str
    words: tuple[str, ...]  # lower-case words of the phrase, aux and articles removed
    lemmas: tuple[str, ...]
    inverse: bool  # the phrase's subject is the relation's object
    noun: bool  # from nouns / inverse_nouns (role noun)
    source: str  # "phrase" | "inverse_phrase" | "noun" | "inverse_noun"
    text: str  # as written in the ontology


@dataclass
class TriggerSet:
    triggers: list[Trigger]
    by_first: dict[str, list[Trigger]]  # first word or lemma → triggers
    role_words: set[str]  # every word of every role noun (cut from names)
    type_nouns: dict[str, str]  # "company" → "Organization"
    noun_words: set[str]  # single-token nouns of the relation nouns (for splitting names)
    role_types: dict[str, str]  # role noun lemma → the one entity type it describes ("author" → Person)
    symmetric: set[str] = field(default_factory=set)  # symmetric relation names


def _strip_aux(words: list[str]) -> list[str]:
    out = list(words)
    while len(out) > 1 and out[0] in AUX and any(w not in AUX for w in out[1:]):
        rest = out[1:]
        # keep "is in" / "lies in": stripping must leave more than a lone preposition
        if len(rest) == 1 and rest[0] in {"in", "at", "of", "on", "to", "from", "by"}:
            break
        out = rest
    return [w for w in out if w not in SKIP_IN_PHRASE]


_CACHE: dict[str, TriggerSet] = {}


def _compile(ontology: Ontology) -> TriggerSet:
    from kgqa.nlp import spacy_model

    nlp = spacy_model()
    raw: list[tuple[str, str, bool, bool, str]] = []  # relation, text, inverse, noun, source
    for rel in ontology.relation_types:
        raw += [(rel.name, p, False, False, "phrase") for p in rel.phrases]
        raw += [(rel.name, p, True, False, "inverse_phrase") for p in rel.inverse_phrases]
        raw += [(rel.name, p, False, True, "noun") for p in rel.nouns]
        raw += [(rel.name, p, True, True, "inverse_noun") for p in rel.inverse_nouns]
    texts = [f"they {t.lower()} it" if not noun else f"the {t.lower()} of it" for _r, t, _i, noun, _s in raw]
    triggers: list[Trigger] = []
    seen: set[tuple] = set()
    for (rel, text, inverse, noun, source), parsed in zip(raw, nlp.pipe(texts), strict=True):
        toks = [t for t in parsed][1:-1]
        if noun:
            toks = toks[:-1]  # drop "of"
        words = [t.lower_ for t in toks]
        lemmas = [t.lemma_.lower() for t in toks]
        pairs = list(zip(words, lemmas, strict=True))
        kept_words = _strip_aux(words)
        # align lemmas with the kept words
        start = len(words) - len(kept_words) if kept_words == words[len(words) - len(kept_words) :] else 0
        pairs = [p for p in pairs[start:] if p[0] not in SKIP_IN_PHRASE] if kept_words else pairs
        if not pairs:
            continue
        w = tuple(p[0] for p in pairs)
        lm = tuple(p[1] for p in pairs)
        key = (rel, w, inverse, noun)
        if key in seen:
            continue
        seen.add(key)
        triggers.append(Trigger(rel, w, lm, inverse, noun, source, text))
    # a word listed both as a subject-role and an object-role noun of one relation is ambiguous: keep the former
    role_lemmas = {(t.relation, t.lemmas) for t in triggers if t.source == "noun"}
    triggers = [t for t in triggers if not (t.source == "inverse_noun" and (t.relation, t.lemmas) in role_lemmas)]
    by_first: dict[str, list[Trigger]] = {}
    for trig in triggers:
        for form in {trig.words[0], trig.lemmas[0]}:
            by_first.setdefault(form, []).append(trig)
    type_nouns = {n.lower(): et.name for et in ontology.entity_types for n in et.nouns}
    role_words = {w for t in triggers if t.source == "noun" for w in t.words} - set(type_nouns) - set(OF_NAME_HEADS)
    noun_words = {t.words[0] for t in triggers if t.noun and len(t.words) == 1}
    # "the author", "the buyer": a subject-role noun of relations whose domain is one type refers to an entity of
    # that type (used only for definite noun phrases without a complement)
    role_types: dict[str, str] = {}
    for t in triggers:
        rel = ontology.relation(t.relation)
        if t.source == "noun" and len(t.words) == 1 and rel is not None and len(rel.domain) == 1:
            if role_types.get(t.lemmas[0], rel.domain[0]) == rel.domain[0]:
                role_types[t.lemmas[0]] = rel.domain[0]
            else:
                role_types[t.lemmas[0]] = ""
    role_types = {k: v for k, v in role_types.items() if v}
    symmetric = {r.name for r in ontology.relation_types if r.symmetric}
    return TriggerSet(triggers, by_first, role_words, type_nouns, noun_words, role_types, symmetric)


def compile_triggers(ontology: Ontology) -> TriggerSet:
    key = ontology.model_dump_json()
    if key not in _CACHE:
        _CACHE[key] = _compile(ontology)
    return _CACHE[key]


# ----------------------------------------------------------------------------------------------------------
# Mentions and entities
# ----------------------------------------------------------------------------------------------------------


@dataclass
class _Mention:
    start: int  # token index (inclusive)
    end: int  # token index (exclusive)
    text: str
    ner: str | None
    quoted: bool = False
    entity: int = -1  # index into _Doc.entities


@dataclass
class _Entity:
    name: str
    type: str | None
    strong: bool  # type from name words / type nouns / quotes, not just NER
    gender: str | None = None
    noun_gender: str | None = None  # from "his sister Lina", "Mr": survives a second resolution pass
    corrected_from: str | None = None
    descriptors: set[str] = field(default_factory=set)  # "Fenwick Radio, a station ..." → {"station"}


@dataclass
class _Candidate:
    relation: str
    subj: int  # entity index
    obj: int
    sent: int  # spaCy sentence index
    token: int  # trigger token (for chunk assignment)
    confidence: float
    method: str
    options: tuple[str, ...] = ()  # other relations the same trigger could mean (type-ambiguous)


@dataclass
class _Doc:
    spacy_doc: object
    mentions: list[_Mention] = field(default_factory=list)
    entities: list[_Entity] = field(default_factory=list)
    tok2mention: dict[int, int] = field(default_factory=dict)
    refs: dict[int, list[int]] = field(default_factory=dict)  # token index → entity indices (pronouns etc.)
    corrections: list[str] = field(default_factory=list)


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
        ):
            start += 1
            continue
        break
    while end > start:
        tok = doc[end - 1]
        if tok.tag_ == "POS" or tok.is_punct or tok.lower_ in {"'s", "’s", "and", "of", "'"}:
            end -= 1
            continue
        break
    return start, end


def _is_name_token(tok) -> bool:
    # a capitalised word mid-sentence that the tagger took for an interjection is a name word ("Ada Pike" → "Pike"/UH)
    return tok.tag_ in {"NNP", "NNPS"} or (
        tok.is_title and not tok.is_sent_start and tok.pos_ in {"NOUN", "PROPN", "INTJ", "X"}
    )


def _find_mentions(doc, trig: TriggerSet) -> list[_Mention]:
    spans: list[tuple[int, int, str | None]] = []
    blocked = {
        t.i
        for ent in doc.ents
        if ent.label_ in NER_NOT_NAMES
        for t in ent
        # a proper noun inside a date is still a name ("1998 - Oren Vale and ..." read as one DATE)
        if not (t.tag_ in {"NNP", "NNPS"} and t.lower_ not in CALENDAR and not t.like_num)
    }
    # nationality words are not names ("an American born in ...", "Soviet Leningrad")
    # (by their form: spaCy also says NORP for unfamiliar town names such as "Ostby")
    blocked |= {
        t.i for ent in doc.ents if ent.label_ == "NORP" and len(ent) == 1 and DEMONYM_RE.search(ent.text) for t in ent
    }
    # 1. quoted titles
    quoted: list[tuple[int, int]] = []
    for m in QUOTE_RE.finditer(doc.text):
        span = doc.char_span(m.start(1), m.end(1), alignment_mode="expand")
        if span is not None and len(span) <= 12:
            quoted.append((span.start, span.end))
            spans.append((span.start, span.end, "WORK_OF_ART"))
    in_quote = {i for s, e in quoted for i in range(s, e)}
    # 2. NER
    for ent in doc.ents:
        if ent.label_ in NER_TYPES_KEEP:
            spans.append((ent.start, ent.end, ent.label_))
    # 3. proper-noun runs (split at role nouns: "Nimbus Freight CEO Mara Quill")
    i = 0
    n = len(doc)
    while i < n:
        tok = doc[i]
        if _is_name_token(tok) and i not in blocked and tok.lower_ not in trig.role_words:
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
            spans.append((i, j, None))
            i = j
        else:
            i += 1
    # a spaced dash or a colon separates names ("Guild of Cartographers - Winter Newsletter", "Review: X")
    split_spans = []
    for s, e, label in spans:
        cut = s
        for k in range(s, e):
            if doc[k].text in {"-", "–", "—", ":", "|", "(", ")"} and (doc[k].whitespace_ or doc[k].text == ":"):
                if k > cut:
                    split_spans.append((cut, k, label))
                cut = k + 1
        if cut < e:
            split_spans.append((cut, e, label))
    spans = split_spans
    cleaned = []
    for s, e, label in spans:
        if label == "WORK_OF_ART" and (s, e) in quoted:
            cs, ce = s, e
        else:
            cs, ce = _clean_span(doc, s, e, trig)
        if ce <= cs:
            continue
        words = [doc[k].lower_ for k in range(cs, ce)]
        if all(w in trig.role_words or w in trig.type_nouns for w in words):
            continue
        if all(doc[k].pos_ in {"PRON", "DET", "NUM", "ADP", "PUNCT"} for k in range(cs, ce)):
            continue
        if any(k in in_quote for k in range(cs, ce)) and (cs, ce) not in quoted:
            continue  # inside a quoted title: the title wins
        if not any(doc[k].is_title or doc[k].is_upper for k in range(cs, ce)):
            continue
        if label == "NORP" and ce - cs == 1:
            continue  # "an American who ...", "Turkish": nationalities are not entities here
        if all(w in NOT_NAMES for w in words):
            continue  # "Mum", "Home again": capitalised, but not names
        cleaned.append((cs, ce, label))
    # keep the longest span where spans overlap; keep the NER label of any overlapping entity
    cleaned.sort(key=lambda x: (-(x[1] - x[0]), x[0]))
    taken: set[int] = set()
    result: list[_Mention] = []
    for s, e, label in cleaned:
        if any(k in taken for k in range(s, e)):
            continue
        if label is None:
            labels = [doc[k].ent_type_ for k in range(s, e) if doc[k].ent_type_ in NER_TYPES_KEEP and doc[k].ent_type_]
            label = Counter(labels).most_common(1)[0][0] if labels else None
        taken.update(range(s, e))
        span = doc[s:e]
        result.append(_Mention(s, e, span.text, label, quoted=(s, e) in quoted))
    # a capitalised word the parser did not take for a name ("Vale lives in ..." at a sentence start) is one
    # when the same word is part of a name elsewhere in the document
    name_words = {doc[k].text for m in result for k in range(m.start, m.end) if doc[k].is_title}
    for tok in doc:
        if (
            tok.i not in taken
            and tok.ent_type_ != "NORP"
            and tok.text in name_words
            and tok.is_title
            and tok.lower_ not in trig.role_words
            and tok.lower_ not in trig.type_nouns
            and tok.lower_ not in DETS
        ):
            taken.add(tok.i)
            result.append(_Mention(tok.i, tok.i + 1, tok.text, None))
    result.sort(key=lambda m: m.start)
    return result


def _ner_type(label: str | None, ontology: Ontology) -> str | None:
    if not label:
        return None
    for et in ontology.entity_types:
        if label in et.spacy:
            return et.name
    return None


def _name_type(words: list[str], trig: TriggerSet, ontology: Ontology) -> str | None:
    known = set(ontology.entity_names)
    for w in reversed(words):
        for tname, heads in NAME_HEADS.items():
            if w in heads and tname in known:
                return tname
        t = trig.type_nouns.get(w)
        if t and len(words) > 1:
            return t
    if words and words[0] in OF_NAME_HEADS and len(words) > 2 and words[1] == "of":
        t = trig.type_nouns.get(words[0])
        if t:
            return t
        for tname, heads in NAME_HEADS.items():
            if words[0] in heads and tname in known:
                return tname
    return None


def _type_noun_near(doc, m: _Mention, trig: TriggerSet) -> str | None:
    """'the logistics firm Nimbus', 'Nimbus, a logistics firm,' 'Port Ilsa is a city' → a type from the noun."""
    head = doc[m.start : m.end].root
    cands = []
    # noun right before the name ("the company Nimbus Freight", "the novel X")
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


def _descriptor_nouns(doc, m: _Mention) -> set[str]:
    """Common nouns a name is equated with: 'X, a station based in Y', 'X is a small publisher'."""
    head = doc[m.start : m.end].root
    cands = [c for c in head.children if c.dep_ == "appos"]
    if head.dep_ == "appos":
        cands.append(head.head)
    if head.dep_ in {"nsubj", "nsubjpass"} and head.head.lemma_ == "be":
        cands += [c for c in head.head.children if c.dep_ == "attr"]
    return {c.lemma_.lower() for c in cands if c.pos_ == "NOUN" and not (m.start <= c.i < m.end)}


def _personish(ent: _Entity, words: list[str]) -> bool:
    return ent.type == "Person" or (not ent.strong and 2 <= len(words) <= 4 and "of" not in words)


def _build_entities(d: _Doc, trig: TriggerSet, ontology: Ontology) -> None:
    """Group mentions into document entities: a short name joins the full name it abbreviates.

    A one- or two-word name joins an earlier longer name when it is that person's surname or first name, or the
    first word(s) of an organisation/place/work name ("Nimbus" → "Nimbus Freight"); among several candidates
    persons win for surnames, then the entity most recently seen as a sentence subject, then the latest one.
    """
    doc = d.spacy_doc
    by_name: dict[str, int] = {}
    words_of: dict[int, list[str]] = {}
    last_subject: dict[int, int] = {}
    last_seen: dict[int, int] = {}
    seen_count: dict[int, int] = {}
    has_work = "Work" in ontology.entity_names
    # "Brannock" in "University of Brannock" is a place: it never abbreviates "Brannock Debating Society"
    of_tails = set()
    for m in d.mentions:
        words = [t.lower_ for t in doc[m.start : m.end]]
        if "of" in words[1:]:
            of_tails.add(" ".join(words[words.index("of") + 1 :]))
    for mi, m in enumerate(d.mentions):
        words = [t.lower_ for t in doc[m.start : m.end]]
        if words and words[0] == "the":
            words = words[1:]
        key = " ".join(words)
        # spaCy's WORK_OF_ART/PRODUCT on an unquoted invented name is mostly noise ("Ines Morrow")
        ner_t = None if m.ner in {"WORK_OF_ART", "PRODUCT"} and not m.quoted else _ner_type(m.ner, ontology)
        if m.quoted and has_work:
            strong_t = "Work"
        else:
            strong_t = _name_type(words, trig, ontology)
            near = _type_noun_near(doc, m, trig)
            # "Ruth Amsel is a publisher": a job noun does not make a person's name an organisation
            if strong_t is None and near is not None and not (m.ner == "PERSON" and near != "Person"):
                strong_t = near
        if key in by_name:
            ei = by_name[key]
        else:
            ei = -1
            if len(words) <= 2:
                cands = []
                for cand_ei, pwords in words_of.items():
                    if len(pwords) <= len(words):
                        continue
                    ent = d.entities[cand_ei]
                    if _personish(ent, pwords) and (pwords[-len(words) :] == words or pwords[: len(words)] == words):
                        surname = pwords[-len(words) :] == words
                        cands.append((1 if surname else 0, last_subject.get(cand_ei, -1), last_seen[cand_ei], cand_ei))
                    elif (
                        not _personish(ent, pwords)
                        and pwords[: len(words)] == words
                        and ent.type != "Location"
                        and m.ner not in {"GPE", "LOC"}
                        # "Ostby Maritime College is in Ostby": after a place preposition the short name is the place
                        and not (m.start > 0 and doc[m.start - 1].lower_ in {"in", "near", "outside", "around"})
                        and " ".join(words) not in of_tails
                    ):
                        cands.append((0, last_subject.get(cand_ei, -1), last_seen[cand_ei], cand_ei))
                if cands:
                    # a bare "Graywick" where both Frans Graywick and Graywick Energy are known: the person wins
                    # unless the text has named the organisation more often so far (a company history)
                    orgs = [c for c in cands if c[0] == 0]
                    if orgs and any(c[0] == 1 for c in cands):
                        top_org = max(orgs, key=lambda c: (seen_count.get(c[3], 0), c[2]))
                        top_person = max((c for c in cands if c[0] == 1), key=lambda c: (seen_count.get(c[3], 0), c[2]))
                        if seen_count.get(top_org[3], 0) > seen_count.get(top_person[3], 0):
                            cands = [top_org]
                    ei = max(cands)[3]
            if ei < 0:
                ei = len(d.entities)
                d.entities.append(_Entity(name=_display_name(doc, m), type=None, strong=False))
                words_of[ei] = words
            by_name[key] = ei
        m.entity = ei
        ent = d.entities[ei]
        if strong_t and (not ent.strong or ent.type is None):
            ent.type, ent.strong = strong_t, True
        elif ent.type is None and ner_t:
            ent.type = ner_t
        # a mid-sentence capitalised "The" belongs to the name ("The Salt Ledger")
        if doc[m.start].text == "The" and not doc[m.start].is_sent_start and not ent.name.startswith("The "):
            ent.name = _display_name(doc, m)
        # a dateline "PORT ILSA" takes the ordinary spelling when one appears
        if ent.name.isupper() and len(ent.name) > 3 and not m.text.isupper() and len(words) == len(ent.name.split()):
            ent.name = _display_name(doc, m)
        ent.descriptors |= _descriptor_nouns(doc, m)
        last_seen[ei] = m.start
        seen_count[ei] = seen_count.get(ei, 0) + 1
        root = doc[m.start : m.end].root
        if root.dep_ in {"nsubj", "nsubjpass"}:
            last_subject[ei] = m.start
        for tok in doc[m.start : m.end]:
            d.tok2mention[tok.i] = mi


def _join_later_full_names(d: _Doc) -> None:
    """A one-word person name seen before (or without) the full name joins the one full name it is part of.

    "Ada" in a bad parse of "Engineers Ada Pike" or a first mention "Ada" before "Ada Pike" is introduced: when
    exactly one person entity of two or more words starts or ends with that word, the short entity's mentions
    move to it.
    """
    full: dict[str, set[int]] = {}
    for ei, ent in enumerate(d.entities):
        words = ent.name.split()
        if ent.type == "Person" and len(words) >= 2:
            for w in (words[0], words[-1]):
                full.setdefault(w.lower(), set()).add(ei)
    used = {m.entity for m in d.mentions}
    for ei, ent in enumerate(d.entities):
        words = ent.name.split()
        if ei not in used or len(words) != 1 or (ent.strong and ent.type != "Person"):
            continue
        targets = full.get(words[0].lower(), set()) - {ei}
        if len(targets) == 1:
            target = next(iter(targets))
            for m in d.mentions:
                if m.entity == ei:
                    m.entity = target
            log.debug("short name %r joined %r", ent.name, d.entities[target].name)


def _shared_surnames(d: _Doc) -> None:
    """ "the brothers Aldo and Frans Graywick": a lone first name joined by "and" to a two-word person name shares
    its surname (as in "Pierre and Marie Curie"), unless the text names that first name in full elsewhere."""
    doc = d.spacy_doc
    by_start = {m.start: m for m in d.mentions}
    for m in d.mentions:
        ent = d.entities[m.entity]
        if m.end - m.start != 1 or len(ent.name.split()) != 1 or (ent.strong and ent.type != "Person"):
            continue
        if m.end + 1 >= len(doc) or doc[m.end].lower_ not in {"and", "&"}:
            continue
        nxt = by_start.get(m.end + 1)
        if nxt is None or nxt.end - nxt.start != 2 or d.entities[nxt.entity].type != "Person":
            continue
        surname = doc[nxt.end - 1].text
        if not any(e.name.split()[0] == ent.name and len(e.name.split()) >= 2 for e in d.entities):
            ent.name = f"{ent.name} {surname}"
            ent.type = "Person"


def _retype_family_names(d: _Doc) -> None:
    """A weakly typed two- or three-word name sharing its last word with a person's surname is a person.

    spaCy often tags an unfamiliar "Linus Fenwick" ORG; when "Oda Fenwick" is a person in the same text and no word
    of the name marks an organisation or place ("Fenwick Radio" keeps its type), the name is a relative's.
    """
    surnames = {
        ent.name.split()[-1].lower() for ent in d.entities if ent.type == "Person" and len(ent.name.split()) >= 2
    }
    heads = NAME_HEADS["Organization"] | NAME_HEADS["Location"] | OF_NAME_HEADS
    for ent in d.entities:
        words = ent.name.lower().split()
        if ent.strong or ent.type in {"Person", None} or not 2 <= len(words) <= 3:
            continue
        if words[-1] in surnames and not any(w in heads for w in words) and all(w.isalpha() for w in words):
            log.debug("type corrected: %s: %s → Person (shares a person's surname)", ent.name, ent.type)
            ent.corrected_from, ent.type = ent.type, "Person"


def _family_surnames(d: _Doc, facts: list[_Candidate]) -> None:
    """A first name alone that is a child or sibling of a named person takes the family's surname.

    "Our son Nils" in Bo Lin's interview is Nils Lin, as a reader would write it (spouses keep their own names).
    """
    for c in facts:
        if c.relation not in {"CHILD_OF", "SIBLING_OF"}:
            continue
        for short, other in ((c.subj, c.obj), (c.obj, c.subj)):
            s_ent, o_ent = d.entities[short], d.entities[other]
            s_words, o_words = s_ent.name.split(), o_ent.name.split()
            if len(s_words) == 1 and len(o_words) >= 2 and s_ent.type == "Person" and s_words[0][:1].isupper():
                if any(e.name == f"{s_ent.name} {o_words[-1]}" for e in d.entities):
                    continue
                s_ent.name = f"{s_ent.name} {o_words[-1]}"


def _display_name(doc, m: _Mention) -> str:
    start = m.start + 1 if doc[m.start].text == "The" and doc[m.start].is_sent_start else m.start
    text = doc[start : m.end].text
    text = re.sub(r"\s+", " ", text).strip(" ,.;:'\"“”")
    return text


# ----------------------------------------------------------------------------------------------------------
# References: pronouns, "the company", they/their
# ----------------------------------------------------------------------------------------------------------


def _subject_entities(d: _Doc, sent) -> list[int]:
    out = []
    for tok in sent:
        if tok.dep_ in {"nsubj", "nsubjpass"} and tok.head.dep_ == "ROOT":
            for t in [tok, *tok.conjuncts]:
                out += _entities_of_token(d, t)
    return out


def _entities_of_token(d: _Doc, tok) -> list[int]:
    mi = d.tok2mention.get(tok.i)
    if mi is not None:
        return [d.mentions[mi].entity]
    return list(d.refs.get(tok.i, []))


def _resolve_references(d: _Doc, trig: TriggerSet) -> None:
    doc = d.spacy_doc
    history: list[tuple[int, int, bool]] = []  # (token index, entity, is_subject) in text order
    last_person_group: list[int] = []
    sents = list(doc.sents)
    # first-person pronouns in a document whose markdown heading names one person ("# Five questions for Bo Lin")
    speaker = None
    first_person = any(t.lower_ in {"i", "me", "my"} and t.pos_ == "PRON" for t in doc)
    # the first line is a heading: "# Five questions for Bo Lin", or the same after markdown is reduced to text
    heading = bool(sents) and (
        sents[0].text.lstrip().startswith("#")
        or (len(sents[0]) <= 16 and not sents[0].text.strip().endswith((".", "!", "?", '"', "”", ",", ";", ":")))
    )
    if first_person and not heading:
        # a byline near the top: "Posted on 2 September by Greta Rask", "Best answer (by Ruben Stray):"
        for sent in sents[:3]:
            by = [
                p
                for t in sent
                if t.lower_ == "by" and t.dep_ in {"prep", "agent"} and t.head.lemma_.lower() in BYLINE_HEADS
                for p in _pobjs(t)
            ]
            ents = {d.mentions[d.tok2mention[p.i]].entity for p in by if p.i in d.tok2mention}
            ents = {e for e in ents if d.entities[e].type in {"Person", None} or not d.entities[e].strong}
            if len(ents) == 1:
                speaker = ents.pop()
                break
    if first_person and heading:
        persons = {
            d.mentions[d.tok2mention[t.i]].entity
            for t in sents[0]
            if t.i in d.tok2mention and d.entities[d.mentions[d.tok2mention[t.i]].entity].type == "Person"
        }
        speaker = persons.pop() if len(persons) == 1 else None
    for sent in sents:
        subj_ents = set()
        for tok in sent:
            if tok.dep_ in {"nsubj", "nsubjpass"}:
                # "Our president, Selma Arden, founded ...": an apposition of the subject is the subject
                appos = [c for c in tok.children if c.dep_ == "appos"]
                for t in [tok, *tok.conjuncts, *appos]:
                    mi = d.tok2mention.get(t.i)
                    if mi is not None:
                        subj_ents.add(d.mentions[mi].entity)
        sent_group: list[int] = []
        for tok in sent:
            low = tok.lower_
            mi = d.tok2mention.get(tok.i)
            if mi is not None:
                if d.mentions[mi].end - 1 == tok.i or d.mentions[mi].start == tok.i:
                    ent_i = d.mentions[mi].entity
                    if d.mentions[mi].start == tok.i:
                        history.append((tok.i, ent_i, tok.dep_ in {"nsubj", "nsubjpass"} or ent_i in subj_ents))
                    # learn gender from role nouns attached to the name ("his sister Lina")
                    _learn_gender(d, tok, ent_i)
                continue
            if tok.pos_ == "PRON" and low in PERSON_PRONOUNS:
                # he/she/his/her never point at the document's first-person speaker
                visible = [h for h in history if h[1] != speaker]
                target = _pick_person(d, visible, PERSON_PRONOUNS[low], tok)
                if target is not None:
                    d.refs[tok.i] = [target]
                    if d.entities[target].gender is None:
                        # later pronouns of the other gender then skip this person ("She married him ... he")
                        d.entities[target].gender = PERSON_PRONOUNS[low]
                    if tok.dep_ in {"nsubj", "nsubjpass"}:
                        history.append((tok.i, target, True))
            elif tok.pos_ == "PRON" and low in THING_PRONOUNS:
                target = _pick_thing(d, history)
                if target is not None:
                    d.refs[tok.i] = [target]
                    if tok.dep_ in {"nsubj", "nsubjpass"}:
                        history.append((tok.i, target, True))
            elif low in {"i", "me", "my", "myself"} and tok.pos_ == "PRON" and speaker is not None:
                d.refs[tok.i] = [speaker]
            elif low == "our" and speaker is not None and tok.head.lemma_.lower() in KIN_NOUNS:
                d.refs[tok.i] = [speaker]  # "our son Nils" in Bo Lin's interview (but "our company" is not Bo Lin)
            elif (
                low == "our" and tok.head.lemma_.lower() in trig.role_words and tok.head.lemma_.lower() not in KIN_NOUNS
            ):
                # "our chief executive, Ada Pike" on a company's page or in a staff letter: the organisation the
                # text has named most so far (the latest of equals)
                seen_orgs = Counter(e for _ti, e, _s in history if d.entities[e].type == "Organization")
                if seen_orgs:
                    last = {e: k for k, (_ti, e, _s) in enumerate(history)}
                    d.refs[tok.i] = [max(seen_orgs, key=lambda e: (seen_orgs[e], last[e]))]
            elif low in GROUP_PRONOUNS and tok.pos_ == "PRON":
                # they/their: two or more persons earlier in this sentence, else the two persons of the previous
                # sentence, else the latest coordinated group of persons
                def persons(lo: int, hi: int) -> list[int]:
                    out: list[int] = []
                    for ti, e, _s in history:
                        if lo <= ti < hi and d.entities[e].type == "Person" and e not in out:
                            out.append(e)
                    return out

                here = persons(sent.start, tok.i)
                prev_start = next((p.start for p in reversed(sents) if p.start < sent.start), sent.start)
                before = persons(prev_start, sent.start)
                group = here if len(here) >= 2 else before if len(before) == 2 else last_person_group
                if group:
                    d.refs[tok.i] = list(group)
            elif (
                tok.pos_ == "NOUN"
                and any(c.lower_ in {"the", "this"} for c in tok.children)
                # "the hydrodynamics lab", "the research unit": a named part, not the organisation itself
                and not any(
                    c.dep_ == "compound" and c.pos_ == "NOUN" and c.i not in d.tok2mention for c in tok.children
                )
            ):
                target = _pick_by_noun(d, trig, history, tok)
                if target is not None:
                    d.refs[tok.i] = [target]
                    history.append((tok.i, target, tok.dep_ in {"nsubj", "nsubjpass"}))
        # coordinated person subjects of this sentence → the referent of a later "they"
        for tok in sent:
            if tok.dep_ in {"nsubj", "nsubjpass"} and tok.conjuncts:
                group = []
                for t in [tok, *tok.conjuncts]:
                    for e in _entities_of_token(d, t):
                        if d.entities[e].type == "Person" and e not in group:
                            group.append(e)
                if len(group) > 1:
                    sent_group = group
        if len(sent_group) > 1:
            last_person_group = sent_group


def _pick_by_noun(d: _Doc, trig: TriggerSet, history, tok) -> int | None:
    """'the company' → the latest Organization; 'the press' → the latest entity whose name ends in 'Press'.

    Not an entity that is the subject of the same clause ("Ivo Calder established the firm"), and entities
    with a sure type (from their name or a type noun) before those typed by NER alone.
    """
    doc = d.spacy_doc
    if any(c.dep_ in {"compound", "amod", "prep", "poss"} and c.i > tok.i for c in tok.children):
        return None  # "the company's founder" is fine, "the company in Calvar" names something new
    if any(c.i in d.tok2mention for c in tok.children) or (tok.i + 1 < len(doc) and tok.i + 1 in d.tok2mention):
        return None  # "the company Nimbus Freight": the name itself is the mention
    low, lemma = tok.lower_, tok.lemma_.lower()
    want = trig.type_nouns.get(low) or trig.type_nouns.get(lemma) or trig.role_types.get(lemma)
    clause_subjects: set[int] = set()
    if tok.dep_ in {"dobj", "pobj", "attr"}:
        verb = tok.head.head if tok.dep_ == "pobj" else tok.head
        for st in _subjects(verb):
            clause_subjects.update(_entities_of_token(d, st))
    window_start = tok.sent.start
    for sents_back, sent in enumerate(reversed(list(d.spacy_doc[: tok.sent.start].sents)), start=1):
        window_start = sent.start
        if sents_back >= 3:
            break
    best_weak = best_strong = best_subject = None
    if want == "Person":  # "the author" → the latest person that was a subject, else the latest person
        persons = [(ti, e, s) for ti, e, s in history if ti < tok.i and e not in clause_subjects]
        persons = [p for p in persons if d.entities[p[1]].type == "Person"]
        subjects = [p for p in persons if p[2]]
        return (subjects or persons or [(0, None, False)])[-1][1]
    for ti, ent_i, _s in reversed(history):
        if ti >= tok.i or ent_i in clause_subjects:
            continue
        ent = d.entities[ent_i]
        # the name's head word: "Harrow Press" → press, "Guild of Cartographers" → guild
        name_words = ent.name.lower().split()
        head_word = name_words[name_words.index("of") - 1] if "of" in name_words[1:] else (name_words or [""])[-1]
        if (head_word in {low, lemma} or lemma in ent.descriptors) and ent.type != "Person":
            return ent_i
        if want and ent.type == want:
            if _s and ent.strong and ti >= tok.sent.start - 80 and best_subject is None:
                best_subject = ent_i  # "Tessel Labs ... named Ivy Vale ... Vale joined the company"
            if ent.strong and ti >= window_start and best_strong is None:
                best_strong = ent_i
            if best_weak is None:
                best_weak = ent_i
    return best_subject if best_subject is not None else best_strong if best_strong is not None else best_weak


def _learn_gender(d: _Doc, tok, ent_i: int) -> None:
    ent = d.entities[ent_i]
    if ent.gender:
        return
    for c in [*tok.children, tok.head]:
        w = c.lemma_.lower()
        if c.dep_ in {"compound", "appos", "attr"} or c is tok.head:
            if w in FEMALE_WORDS and (c.head is tok or (c is tok.head and tok.dep_ in {"appos", "compound"})):
                ent.gender = ent.noun_gender = "f"
            elif w in MALE_WORDS and (c.head is tok or (c is tok.head and tok.dep_ in {"appos", "compound"})):
                ent.gender = ent.noun_gender = "m"


def _unambiguous(d: _Doc, history, target: int) -> bool:
    persons = {e for _t, e, _s in history[-4:] if d.entities[e].type == "Person"}
    return persons == {target}


def _pick_person(d: _Doc, history, gender: str, tok) -> int | None:
    cands = [
        (ti, e, s)
        for ti, e, s in history
        if ti < tok.i
        and (
            d.entities[e].type == "Person"
            or (d.entities[e].type is None and _personish(d.entities[e], d.entities[e].name.split()))
        )
    ]
    cands = [(ti, e, s) for ti, e, s in cands if d.entities[e].gender in (None, gender)]
    if tok.dep_ in {"dobj", "pobj", "dative"}:
        # "She married him": an object pronoun is not the subject of its own clause
        verb = tok.head.head if tok.dep_ == "pobj" else tok.head
        bound = {e for st in _subjects(verb) for e in _entities_of_token(d, st)}
        cands = [c for c in cands if c[1] not in bound]
    if tok.dep_ == "poss" and tok.head.dep_ in {"attr", "appos"}:
        # "Petra is his daughter", "Petra, his daughter,": his is not Petra
        holders = _subjects(tok.head.head) if tok.head.dep_ == "attr" else [tok.head.head]
        bound = {e for st in holders for e in _entities_of_token(d, st)}
        cands = [c for c in cands if c[1] not in bound]
    if not cands:
        return None
    # subject and possessive pronouns prefer the latest person that was a subject (centering); object pronouns
    # take the latest person
    if tok.dep_ in {"nsubj", "nsubjpass", "poss"}:
        subjects = [c for c in cands if c[2]]
        if subjects:
            return subjects[-1][1]
    return cands[-1][1]


def _pick_thing(d: _Doc, history) -> int | None:
    cands = [(ti, e, s) for ti, e, s in history if d.entities[e].type not in (None, "Person")]
    if not cands:
        return None
    subj = [c for c in cands[-6:] if c[2]]
    return (subj or cands)[-1][1]


# ----------------------------------------------------------------------------------------------------------
# Relation candidates from the dependency parse
# ----------------------------------------------------------------------------------------------------------


def _tok_forms(tok) -> set[str]:
    return {tok.lower_, tok.lemma_.lower()}


def _match_at(doc, i: int, trig: Trigger, limit: int) -> list[int] | None:
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
        forms = _tok_forms(doc[j])
        if w in forms or lm in forms or (doc[j].lower_.endswith("s") and doc[j].lower_[:-1] == w):
            out.append(j)
            j += 1
        else:
            return None
    return out


def _anchor(doc, idxs: list[int]) -> object:
    """The syntactic head of the matched words (the token whose head lies outside the match)."""
    s = set(idxs)
    for i in idxs:
        if (doc[i].head.i not in s or doc[i].head.i == i) and doc[i].pos_ in {"VERB", "AUX", "NOUN", "PROPN", "ADJ"}:
            return doc[i]
    return doc[idxs[0]]


def _subjects(tok, depth: int = 0) -> list:
    """Subject tokens of a verb (following conj/xcomp/advcl up to the governing verb; relcl/acl → head)."""
    subs = [c for c in tok.children if c.dep_ in {"nsubj", "nsubjpass", "csubj"}]
    if subs:
        return subs
    if depth > 4 or tok.head is tok:
        return []
    if tok.dep_ in {"relcl", "acl"}:
        return [tok.head]
    if tok.dep_ in {"conj", "xcomp", "advcl", "pcomp", "prep", "ccomp", "dep", "acomp"}:
        return _subjects(tok.head, depth + 1)
    return []


def _is_passive(tok) -> bool:
    if any(c.dep_ in {"nsubjpass", "auxpass"} for c in tok.children):
        return True
    if tok.tag_ == "VBN" and tok.dep_ in {"acl", "relcl"} and any(c.dep_ == "agent" for c in tok.children):
        return True
    return tok.tag_ == "VBN" and tok.dep_ == "conj" and _is_passive(tok.head)


def _pobjs(prep) -> list:
    return [c for c in prep.children if c.dep_ in {"pobj", "pcomp"}]


def _agent_objs(verb) -> list:
    return [p for c in verb.children if c.dep_ == "agent" for p in _pobjs(c)]


def _holders(noun, depth: int = 0) -> list:
    """Tokens a role noun is predicated of: appositions, copulas, 'served as', compounds."""
    out = []
    if noun.dep_ == "appos":
        out.append(noun.head)
    out += [c for c in noun.children if c.dep_ == "appos"]
    if noun.dep_ in {"attr", "oprd", "acomp"}:
        out += _subjects(noun.head)
    if noun.dep_ == "pobj" and noun.head.lower_ == "as":
        verb = noun.head.head
        out += _subjects(verb) if verb.pos_ in {"VERB", "AUX"} else [verb]
    if noun.dep_ == "compound" and noun.head.pos_ == "PROPN":
        out.append(noun.head)
    if noun.dep_ == "dobj" and noun.head.lemma_.lower() in HOLD_VERBS:
        out += _subjects(noun.head)  # "X has its head office in Y", "X holds a degree from Y"
    if noun.dep_ in {"nsubj", "nsubjpass"} and noun.head.lemma_ == "be":
        out += [c for c in noun.head.children if c.dep_ == "attr"]
    if not out and noun.dep_ == "conj" and depth < 3:
        out += _holders(noun.head, depth + 1)
    return out


def _noun_objects(noun, preps: set[str], depth: int = 0) -> list:
    out = []
    for c in noun.children:
        if c.dep_ == "prep" and c.lower_ in preps:
            out += _pobjs(c)
        elif c.dep_ == "poss" or (c.dep_ in {"compound", "nmod"} and c.pos_ == "PROPN"):
            out.append(c)
    if not out and depth < 3:
        # "founder and CEO of X": the object hangs on a coordinated noun
        for c in noun.children:
            if c.dep_ == "conj":
                out += _noun_objects(c, preps, depth + 1)
        if not out and noun.dep_ == "conj":
            out += _noun_objects(noun.head, preps, depth + 1)
    return out


def _dep_candidates(d: _Doc, trig: TriggerSet, sent, sent_i: int) -> list[tuple]:
    """(trigger, subject tokens, object tokens, anchor) from the dependency parse of one sentence."""
    doc = d.spacy_doc
    out = []
    i = sent.start
    while i < sent.end:
        tok = doc[i]
        if i in d.tok2mention:
            i += 1
            continue
        triggers = trig.by_first.get(tok.lower_, []) + [
            t for t in trig.by_first.get(tok.lemma_.lower(), []) if tok.lower_ not in (t.words[0],)
        ]
        if tok.lower_.endswith("s"):
            triggers += trig.by_first.get(tok.lower_[:-1], [])
        matches = []
        for t in dict.fromkeys(triggers):
            idxs = _match_at(doc, i, t, sent.end)
            if idxs is None or any(k in d.tok2mention for k in idxs):
                # loose verb + preposition: "studied law at X"
                # ... also with a particle: "came out this spring from X"
                particle = len(t.words) == 3 and any(c.dep_ == "prt" and c.lower_ == t.words[1] for c in tok.children)
                if idxs is None and not t.noun and (len(t.words) == 2 or particle) and tok.pos_ in {"VERB", "AUX"}:
                    forms = _tok_forms(tok)
                    if t.words[0] in forms or t.lemmas[0] in forms:
                        # the preposition may hang on a common-noun object ("studied economics at X") or on a
                        # copular type noun ("X is a harbor city in Y" ≈ "X is in Y")
                        hosts = [tok] + [
                            c
                            for c in tok.children
                            if c.i not in d.tok2mention
                            and c.pos_ == "NOUN"
                            and (c.dep_ == "dobj" or (c.dep_ == "attr" and c.lemma_.lower() in trig.type_nouns))
                        ]
                        # ... or on the noun of a with-phrase ("lives with her family in X")
                        hosts += [
                            p
                            for c in tok.children
                            if c.dep_ == "prep" and c.lower_ in {"with", "as"}  # "works as a naval architect at X"
                            for p in _pobjs(c)
                            if p.pos_ == "NOUN" and p.i not in d.tok2mention
                        ]
                        # ... or on a date in between ("born on May 2, 1908 in Karlsruhe")
                        hosts += [
                            x
                            for c in tok.children
                            if c.dep_ == "prep"
                            for x in c.subtree
                            if x.ent_type_ in {"DATE", "CARDINAL"} and x.i not in d.tok2mention
                        ]
                        preps = [
                            c
                            for h in hosts
                            for c in h.children
                            if c.lower_ == t.words[-1] and c.dep_ in {"prep", "agent"}
                        ]
                        if preps and (t.words[-1] != "by" or _is_passive(tok)):
                            matches.append((t, [i, preps[0].i]))
                continue
            matches.append((t, idxs))
        # "Brisk Harbor, the town where she was born": a locative phrase without its preposition in a where-clause
        for t in dict.fromkeys(triggers):
            if t.noun or len(t.words) < 2 or t.words[-1] not in {"in", "at"}:
                continue
            if all(w in AUX for w in t.words[:-1]):
                continue  # "is in" without "in" is just "is"
            short = Trigger(t.relation, t.words[:-1], t.lemmas[:-1], t.inverse, t.noun, t.source, t.text)
            idxs = _match_at(doc, i, short, sent.end)
            if idxs is None or any(k in d.tok2mention for k in idxs):
                continue
            verb = _anchor(doc, idxs)
            if verb.dep_ == "relcl" and any(c.lower_ == "where" for c in verb.children):
                subj = _subjects(verb)
                if subj and not any(c.dep_ == "neg" for c in verb.children):
                    out.append((t, subj, [verb.head], verb))
        if matches:
            longest = max(len(m[1]) for m in matches)
            for t, idxs in matches:
                if len(idxs) < longest and idxs[-1] < max(m[1][-1] for m in matches if len(m[1]) == longest):
                    continue  # a longer phrase covers this one ("joined the board of" over "joined")
                res = _roles(doc, t, idxs)
                if res:
                    out.append((t, res[0], res[1], res[2]))
                elif t.relation in trig.symmetric:
                    # "Ada and I got married", "Ada and Bo are siblings": a coordinated subject, no object
                    anchor = _anchor(doc, idxs)
                    if any(c.dep_ == "neg" for c in anchor.children):
                        continue
                    holders = _holders(anchor) if anchor.pos_ == "NOUN" else _subjects(anchor)
                    if any(h.conjuncts for h in holders):
                        out.append((t, holders, [], anchor))
        i += 1
    return out


# verbs whose object noun describes the subject: "holds a degree from", "has its head office in"
HOLD_VERBS = {"have", "hold", "earn", "receive", "obtain", "get", "gain", "complete", "take"}
PLACE_NOUNS = {"city", "town", "village", "hamlet", "port", "region", "district", "county", "province", "island",
               "municipality", "state", "country", "suburb", "borough", "parish"}  # fmt: skip
# nouns standing for the body of an organisation: "sits on the council of X" is a seat in X
GROUP_NOUNS = {"board", "council", "committee", "faculty", "staff", "team", "panel", "trustees", "ranks", "payroll"}

MODALS = {"will", "would", "might", "may", "could", "should", "shall", "'ll", "wo"}
# "will stay on as head of X" still states the present
CONTINUING = {"stay", "remain", "continue", "keep"}
# "plans to join X", "hopes to buy X": the fact is not (yet) true
INTENT_VERBS = {"plan", "intend", "hope", "expect", "want", "aim", "agree", "promise", "wish", "propose", "seek"}


def _irrealis(tok) -> bool:
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
        if cur.head is cur:
            return False
        cur = cur.head
    return False


def _roles(doc, t: Trigger, idxs: list[int]):
    anchor = _anchor(doc, idxs)
    last = doc[idxs[-1]]
    if any(c.dep_ == "neg" for c in anchor.children) or (
        anchor.dep_ in {"attr", "oprd"} and any(c.dep_ == "neg" for c in anchor.head.children)
    ):
        return None  # "never worked for", "is not the CEO of"
    if anchor.pos_ in {"NOUN", "PROPN"} or (t.noun and anchor.pos_ not in {"VERB", "AUX"}):
        holders = _holders(anchor)
        if last.pos_ == "ADP" and last.i != anchor.i:
            objs = _pobjs(last)
        else:
            objs = _noun_objects(anchor, {"of", "at", "for", "with"} if t.noun else {"of"})
        objs = [o for o in objs if o.i not in idxs]
        return (holders, objs, anchor) if holders and objs else None
    # verbal
    if last.pos_ == "ADP" and last.i != anchor.i and last.dep_ != "prt":
        subj = _subjects(anchor)
        if anchor.tag_ == "VBN" and anchor.dep_ == "advcl" and doc[anchor.i - 1].text == ",":
            # '... the "Northmere Wind Atlas", compiled by Hanna Lind': the phrase before the comma
            k = anchor.i - 2
            while k > 0 and doc[k].is_punct:
                k -= 1
            if doc[k].pos_ in {"PROPN", "NOUN"}:
                subj = [doc[k]]
        objs = _pobjs(last)
        if last.lower_ == "by" and not objs:
            objs = _agent_objs(anchor)
        return (subj, objs, anchor) if subj and objs else None
    if last.dep_ == "prt" or last.i == anchor.i or last.pos_ in {"NOUN", "PROPN"}:
        verb = anchor
        if _is_passive(verb):
            subj = _agent_objs(verb)
            objs = [c for c in verb.children if c.dep_ == "nsubjpass"] or (
                [verb.head] if verb.dep_ in {"acl", "relcl"} else []
            )
            if not objs and verb.dep_ == "conj":
                objs = [c for c in verb.head.children if c.dep_ == "nsubjpass"]
        else:
            subj = _subjects(verb)
            # "Bo Lin co-founded Tessel Labs with Ada Pike": a with-phrase adds a subject
            subj = subj + [p for c in verb.children if c.dep_ == "prep" and c.lower_ == "with" for p in _pobjs(c)]
            objs = [c for c in verb.children if c.dep_ in {"dobj", "attr", "oprd"}]
            # "the company that Oren founded": the relative pronoun is the object
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
            if last.pos_ in {"NOUN", "PROPN"} and last.i != anchor.i:
                objs = [p for c in last.children if c.dep_ == "prep" for p in _pobjs(c)] or objs
        return (subj, objs, anchor) if subj and objs else None
    return None


def _expand(d: _Doc, tokens: list) -> list[int]:
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
            # "X, which ...", "X, whose founder is ...": the clause's head noun
            up = tok.head
            for _ in range(3):
                if up.dep_ in {"relcl", "acl"}:
                    stack.insert(0, up.head)
                    if up.head.dep_ == "conj" and any(c.lower_ in {"both", "all"} for c in up.subtree):
                        stack.insert(0, up.head.head)  # "A and B, who both studied at ..."
                    break
                if up.head is up:
                    break
                up = up.head
            continue
        found = _entities_of_token(d, tok)
        if not found:
            # "the startup Tessel Labs", "two engineers, Ada Pike and Bo Lin": a name after a common noun
            # (not before it: "the Lowmere imprint" is not Lowmere)
            named = [c for c in tok.children if c.dep_ in {"appos", "compound", "nmod"}]
            named = [c for c in named if c.i in d.tok2mention or c.i in d.refs]
            # a name before the noun counts when it is an organisation/work ("the BBC headquarters"), not a
            # place or an untyped word ("the Lowmere imprint")
            named = [
                c
                for c in named
                if c.i > tok.i or any(d.entities[e].type in {"Organization", "Work"} for e in _entities_of_token(d, c))
            ]
            if named:
                stack[0:0] = named[:1]
                continue
        if not found and tok.pos_ == "NOUN" and tok.tag_ == "NNS":
            # "several novels, including X and Y", "firms such as X": the named examples
            listed = [
                p for c in tok.children if c.dep_ == "prep" and c.lower_ in {"including", "like"} for p in _pobjs(c)
            ]
            listed += [
                p
                for c in tok.children
                if c.dep_ == "amod" and c.lower_ == "such"
                for a in c.children
                if a.lower_ == "as"
                for p in _pobjs(a)
            ]
            if listed:
                stack[0:0] = listed[:1]
                continue
        if not found and tok.lemma_.lower() in PLACE_NOUNS:
            # "born in the fishing village of Saltcombe": the place the noun names
            inner = [p for c in tok.children if c.dep_ == "prep" and c.lower_ == "of" for p in _pobjs(c)]
            if inner:
                stack[0:0] = inner[:1]
                continue
        if not found and tok.lemma_.lower() in GROUP_NOUNS:
            # "sits on the advisory council of X", "joined the staff at X": the organisation behind the body
            inner = [p for c in tok.children if c.dep_ == "prep" and c.lower_ in {"of", "at"} for p in _pobjs(c)]
            if inner:
                stack[0:0] = inner[:1]
                continue
        if not found and tok.pos_ in {"NOUN", "PROPN", "ADJ"}:
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


# ----------------------------------------------------------------------------------------------------------
# Lexical fallback: the words between two mention groups
# ----------------------------------------------------------------------------------------------------------

_LEX_SKIP = {"a", "an", "the", "later", "also", "then", "eventually", "subsequently", "originally", "still"}


def _lex_norm(tokens) -> list[str]:
    out = []
    for t in tokens:
        low = t.lower_
        if low in _LEX_SKIP or low in {'"', "“", "”"}:
            continue
        if low == "’s":
            low = "'s"
        out.append(low)
    return out


def _lex_candidates(d: _Doc, trig: TriggerSet, sent) -> list[tuple[Trigger, list[int], list[int], int]]:
    """Between-text patterns: 'A and B founded C', 'C's founder A', 'A, CEO of C', 'A was born in C'."""
    doc = d.spacy_doc
    # mention tokens and resolved pronouns in order
    items: list[tuple[int, int, list[int]]] = []  # start, end, entities
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
    # groups: "A, B and C"
    groups: list[tuple[int, int, list[int]]] = []
    for s, e, ents in items:
        if groups:
            gs, ge, gents = groups[-1]
            between = [t.lower_ for t in doc[ge:s]]
            if (between and all(w in {",", "and", "&"} for w in between) and "and" in between) or between == [","]:
                if between == [","]:
                    # "Mara Quill, Nimbus Freight's CEO" is not a list; only join same-type neighbours
                    types = {d.entities[x].type for x in gents} | {d.entities[x].type for x in ents}
                    if len(types) != 1:
                        groups.append((s, e, list(ents)))
                        continue
                groups[-1] = (gs, e, gents + [x for x in ents if x not in gents])
                continue
        groups.append((s, e, list(ents)))
    out = []
    prev_end = sent.start
    for (as_, ae, aents), (bs, be, bents) in itertools.pairwise(groups):
        # "The founder of A, B, ...": a role noun before A, B in apposition after it
        before = [w for w in _lex_norm(doc[max(prev_end, as_ - 6) : as_]) if w != ","]
        prev_end = ae
        if [t.lower_ for t in doc[ae:bs]] == [","] and before and before[-1] == "of":
            for t in trig.triggers:
                if t.noun and before[-1 - len(t.words) : -1] in (list(t.words), list(t.lemmas)):
                    s_ents, o_ents = (aents, bents) if t.inverse else (bents, aents)
                    out.append((t, s_ents, o_ents, as_ - 1))
        b_possessive = be < len(doc) and doc[be].tag_ == "POS"
        words = _lex_norm(doc[ae:bs])
        if not words or len(words) > 8:
            continue
        if any(w in MODALS or w in {"not", "never", "n't"} for w in words):
            continue  # "A will join B", "A never worked for B"
        core = [w for w in words if w != ","]
        if not core:
            continue
        # "Lowmere, a river city in Veridia" reads as "Lowmere is in Veridia"
        between = doc[ae:bs]
        if (
            words[0] == ","
            and "," not in words[1:]
            and len(between) >= 3
            and between[-1].pos_ == "ADP"
            and between[-2].lemma_.lower() in trig.type_nouns
        ):
            words = ["is", between[-1].lower_]
            core = list(words)
        for t in trig.triggers:
            tw = list(t.words)
            forms = [tw, list(t.lemmas)]
            hit = None
            c2 = _strip_aux(core)
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
            if hit is None:
                continue
            if hit in {"holder_first", "subject_first"}:
                s_ents, o_ents = aents, bents
            elif hit == "holder_second":
                s_ents, o_ents = bents, aents
            else:  # passive of an active phrase: "C was founded by A"
                s_ents, o_ents = bents, aents
            out.append((t, s_ents, o_ents, ae))
    return out


# ----------------------------------------------------------------------------------------------------------
# Constructions that no single ontology phrase covers
# ----------------------------------------------------------------------------------------------------------

_BY_AUTHOR = Trigger("AUTHOR_OF", ("by",), ("by",), False, False, "construction", "<work> by <person>")
_PLACE_IN = Trigger("LOCATED_IN", ("in",), ("in",), False, False, "construction", "<X>, <noun> in <place>")
_PLACE_COMMA = Trigger("LOCATED_IN", (",",), (",",), False, False, "construction", "<place>, <larger place>")
_OF_PLACE = Trigger("LIVES_IN", ("of",), ("of",), False, False, "construction", "<person> of <place>")
_BASED = Trigger("HEADQUARTERED_IN", ("based",), ("base",), False, False, "construction", "<place>-based <org>")
_ACQUISITION = Trigger(
    "ACQUIRED", ("acquisition",), ("acquisition",), False, False, "construction", "<X>'s acquisition of <Y>"
)
ACQUISITION_NOUNS = {"acquisition", "purchase", "takeover", "buyout"}
_CITED_PUBLISHER = Trigger("PUBLISHED_BY", ("(",), ("(",), False, False, "construction", "<work> (<publisher>, <year>)")
_POSS_AUTHOR = Trigger("AUTHOR_OF", (), (), False, False, "construction", "<her> <work noun>, <work>")


def _mention_entity(d: _Doc, tok) -> int | None:
    mi = d.tok2mention.get(tok.i)
    return d.mentions[mi].entity if mi is not None else None


def _locative(d: _Doc, tok) -> list[tuple]:
    """Location facts carried by noun phrases rather than verbs, at the head token of a mention.

    - "the Halvard Polar Institute in Trennick", "Brightkiln, a Haldby start-up", "Lindgren Controls, a software
      house in Brisholm": an organisation or place with an in-phrase (on it or on its apposition) or a place
      word before its apposition's noun;
    - "Brisholm, Vestrland": two places joined by a comma, outside a list.
    """
    doc = d.spacy_doc
    ent = _mention_entity(d, tok)

    def may_be(e: int, types: set[str]) -> bool:  # a weak (NER) type may still be corrected by the relation
        return d.entities[e].type in types or not d.entities[e].strong

    if ent is None or not may_be(ent, {"Organization", "Location"}):
        return []
    m = d.mentions[d.tok2mention[tok.i]]
    if tok.i != doc[m.start : m.end].root.i:
        return []
    # a name inside a list ("in Dunmere, Tollmouth, Ostby and Fernhill") is not a container of its neighbours
    outside = [c for c in tok.subtree if not m.start <= c.i < m.end]
    in_list = tok.dep_ == "conj" or any(c.dep_ == "conj" and c.head.i == tok.i for c in outside)
    named_appos = any(c.dep_ == "appos" and c.i in d.tok2mention for c in outside if c.head.i == tok.i)
    in_list = in_list or (named_appos and any(c.dep_ == "conj" for c in outside))
    if in_list:
        return []
    out = []

    def places(tokens) -> list:
        # "a town in the Brenska region": the name on a place noun stands for the place
        tokens = [
            next((c for c in t.children if c.dep_ == "compound" and c.i in d.tok2mention), t)
            if t.i not in d.tok2mention and t.lemma_.lower() in PLACE_NOUNS
            else t
            for t in tokens
        ]
        return [t for t in tokens if (e := _mention_entity(d, t)) is not None and e != ent and may_be(e, {"Location"})]

    hosts = [tok] + [c for c in tok.children if c.dep_ == "appos" and c.i not in d.tok2mention]
    for h in hosts:
        for c in h.children:
            # "in Y"; "a coastal province of Y" (of only after a place noun)
            if c.dep_ == "prep" and (c.lower_ == "in" or (c.lower_ == "of" and h.lemma_.lower() in PLACE_NOUNS)):
                objs = places(_pobjs(c))
                if objs:
                    out.append((_PLACE_IN, [tok], objs, c))
        if h is not tok and h.pos_ == "NOUN":
            objs = places([c for c in h.children if c.dep_ in {"compound", "nmod", "amod"} and c.i < h.i])
            objs = [o for o in objs if d.entities[_mention_entity(d, o)].type == "Location"]  # not "the Nimbus crew"
            if objs:
                out.append((_PLACE_IN, [tok], objs, h))
    # "Brisholm, Vestrland": a comma and a place right after a place, not part of a list
    if d.entities[ent].type == "Location" and m.end + 1 < len(doc) and doc[m.end].text == ",":  # the first is sure
        nxt = d.tok2mention.get(m.end + 1)
        prev_list = m.start >= 2 and doc[m.start - 1].text == "," and (m.start - 2) in d.tok2mention
        if nxt is not None and not prev_list:
            big = d.mentions[nxt]
            after = doc[big.end].lower_ if big.end < len(doc) else ""
            if after == "," and big.end + 1 < len(doc):
                more = d.tok2mention.get(big.end + 1)  # "Calvar, Lowmere, Eldenfield": a list goes on
                after = "list" if more is not None else ""
            if may_be(big.entity, {"Location"}) and big.entity != ent and after not in {"list", "and", "or", "&"}:
                out.append((_PLACE_COMMA, [tok], [doc[big.start : big.end].root], doc[m.end]))
    return out


def _is_closing_quote(i: int, d: _Doc) -> bool:
    """True when token i is a closing quotation mark."""
    return i >= 0 and d.spacy_doc[i].text in {'"', "”", "'", "’"}


def _construction_candidates(d: _Doc, trig: TriggerSet, sent) -> list[tuple]:
    """(trigger, subject tokens, object tokens, anchor): "the novel X by Y", "X by Y", "her memoir, X"."""
    out = []
    doc = d.spacy_doc
    for tok in sent:
        # "the novel 'X' by Y", "'X' by Y": a by-phrase on a noun (not the agent of a passive verb)
        head = tok.head
        if tok.lower_ == "by" and tok.dep_ == "prep" and head.pos_ in {"VERB", "AUX"} and not _is_passive(head):
            # "praised the novel X by Y": the parser hangs the by-phrase on the verb; take the object just before
            head = next(
                (
                    c
                    for c in head.children
                    if c.dep_ == "dobj" and max(x.i for x in c.subtree) + 1 in (tok.i, tok.i - 1)
                ),
                head,
            )
        if tok.lower_ == "by" and tok.dep_ == "prep" and head.pos_ in {"NOUN", "PROPN"}:
            is_work = head.lemma_.lower() in trig.type_nouns and trig.type_nouns[head.lemma_.lower()] == "Work"
            if not is_work and head.i in d.tok2mention:
                is_work = d.entities[d.mentions[d.tok2mention[head.i]].entity].type == "Work"
            if is_work:
                out.append((_BY_AUTHOR, _pobjs(tok), [head], tok))
        # "Its members include A, B and C", "the founders were A and B", "its employees include A": a plural role
        # noun as the subject of include/be; the listed names hold the role, the possessor (or of-object) is the
        # other end
        if tok.dep_ == "nsubj" and tok.tag_ == "NNS" and tok.head.lemma_.lower() in {"include", "be", "comprise"}:
            roles = [
                t
                for t in trig.by_first.get(tok.lemma_.lower(), [])
                if t.source == "noun" and len(t.words) == 1 and t.lemmas[0] == tok.lemma_.lower()
            ]
            listed = [c for c in tok.head.children if c.dep_ in {"dobj", "attr"}]
            other = [c for c in tok.children if c.dep_ == "poss"] or [
                p for c in tok.children if c.dep_ == "prep" and c.lower_ == "of" for p in _pobjs(c)
            ]
            for t in roles[:1]:
                if listed and other:
                    out.append((t, listed, other, tok))
        out += _locative(d, tok)
        # "Anselmo Ferraz of Santa Ofelia", "Hanneke van Rijn, of Kalverdijk": a person's home in announcements
        mi_ = d.tok2mention.get(tok.i)
        if mi_ is not None and d.entities[d.mentions[mi_].entity].type == "Person" and tok.i == d.mentions[mi_].end - 1:
            k = tok.i + 1
            if k < sent.end and doc[k].text == ",":
                k += 1
            if k + 1 < sent.end and doc[k].lower_ == "of":
                home = d.tok2mention.get(k + 1)
                if home is not None and d.entities[d.mentions[home].entity].type == "Location":
                    out.append((_OF_PLACE, [tok], [doc[d.mentions[home].start]], doc[k]))
        # "a Brisholm-based house", "the Haldby-based firm X": the organisation's base
        if tok.lower_ == "based" and tok.i >= 2 and doc[tok.i - 1].text in {"-", "–"}:
            place = d.tok2mention.get(tok.i - 2)
            noun = tok.head
            org = noun if noun.i in d.tok2mention else None
            if org is None and noun.dep_ == "appos" and noun.head.i in d.tok2mention:
                org = noun.head
            if org is None:
                org = next((c for c in noun.children if c.dep_ == "appos" and c.i in d.tok2mention), None)
            if place is not None and org is not None:
                out.append((_BASED, [org], [doc[d.mentions[place].start]], tok))
        # "its acquisition of Y", "X completes acquisition of Y", "the purchase of Y by X"
        if tok.pos_ == "NOUN" and tok.lemma_.lower() in ACQUISITION_NOUNS:
            bought = [p for c in tok.children if c.dep_ == "prep" and c.lower_ == "of" for p in _pobjs(c)]
            buyer = [c for c in tok.children if c.dep_ == "poss"]
            buyer = buyer or [p for c in tok.children if c.dep_ == "prep" and c.lower_ == "by" for p in _pobjs(c)]
            if not buyer and tok.dep_ == "dobj":
                buyer = _subjects(tok.head)
            if bought and buyer:
                out.append((_ACQUISITION, buyer, bought, tok))
        # '"X" (Y, 2023)': a work followed by a parenthesis naming an organisation is a citation of its publisher
        if tok.text == "(" and tok.i > sent.start and tok.i + 1 < sent.end:
            k = tok.i - 1
            while k > sent.start and d.spacy_doc[k].is_space:
                k -= 1
            before = d.tok2mention.get(k)
            if before is None and _is_closing_quote(k, d):
                before = d.tok2mention.get(k - 1)
            after = d.tok2mention.get(tok.i + 1)
            if before is not None and after is not None:
                work, org = d.mentions[before], d.mentions[after]
                closes = org.end < sent.end and d.spacy_doc[org.end].text in {",", ")"}
                if closes and d.entities[work.entity].type == "Work" and d.entities[org.entity].type == "Organization":
                    out.append((_CITED_PUBLISHER, [d.spacy_doc[work.start]], [d.spacy_doc[org.start]], tok))
        # "Her memoir, 'X'", "his novel 'X'": a possessive before a work noun that names the work
        if tok.pos_ == "NOUN" and trig.type_nouns.get(tok.lemma_.lower()) == "Work":
            poss = [c for c in tok.children if c.dep_ == "poss" and (c.i in d.refs or c.i in d.tok2mention)]
            named = [c for c in tok.children if c.dep_ in {"appos", "compound", "nmod"} and c.i in d.tok2mention]
            if poss and named:
                out.append((_POSS_AUTHOR, poss, [tok], tok))
        # 'Emil Rask, whose "Falkenrode Through Nine Centuries" remains ...', 'her "Low Water"': a possessor on a
        # quoted title (the title is the noun phrase itself)
        mi = d.tok2mention.get(tok.i)
        if mi is not None and d.mentions[mi].quoted and tok.i == doc[d.mentions[mi].start : d.mentions[mi].end].root.i:
            poss = [c for c in tok.children if c.dep_ == "poss" and (c.i in d.refs or c.i in d.tok2mention)]
            if poss:
                out.append((_POSS_AUTHOR, poss, [tok], tok))
        # ', whose "X" remains ...': read from the token order, since the parser often mangles the quoted title
        if tok.lower_ == "whose" and tok.i >= 2:
            k = tok.i + 1
            while k < sent.end and doc[k].is_punct:
                k += 1
            work = d.tok2mention.get(k)
            j = tok.i - 1 if doc[tok.i - 1].text != "," else tok.i - 2
            owner = d.tok2mention.get(j)
            if work is not None and owner is not None and d.mentions[work].quoted:
                out.append((_POSS_AUTHOR, [doc[d.mentions[owner].start]], [doc[d.mentions[work].start]], tok))
    return out


def _recent_couple(d: _Doc, found: list, sent_i: int) -> list[int]:
    """'the couple': the two people of a MARRIED_TO fact found in this or the previous sentence."""
    for c in reversed(found):
        if c.sent < sent_i - 1:
            break
        if c.relation == "MARRIED_TO":
            return [c.subj, c.obj]
    return []


def _table_candidates(d: _Doc, trig: TriggerSet) -> list[tuple[Trigger, list[int], list[int], int]]:
    """Infobox tables ("| Founder | Hedwig Orrin |" under a header row naming the subject): a row whose label is a
    role noun relates the row's first name to the table's subject."""
    doc = d.spacy_doc
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
        for t in trig.triggers:
            if not t.noun:
                continue
            forms = (list(t.words), list(t.lemmas), [*t.words[:-1], t.words[-1] + "s"])
            if label in forms:
                out.append((t, [value], [subject], tok))
    return out


_FRAGMENT_SKIP = {"now", "currently", "also"}


def _fragment_candidates(d: _Doc, trig: TriggerSet, sent) -> list[tuple[Trigger, list[int], list[int], int]]:
    """Verbless list/infobox fragments whose subject is the line's first name:
    "Calder Logistics - freight. Headquarters: Calvar. Chief executive: Mara Quill. Owner of Harrow Press."."""
    doc = d.spacy_doc
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
    lead = [w for w in _lex_norm(doc[first.i : j]) if w not in _FRAGMENT_SKIP]
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
                    out.append((t, [head], objs, first.i))
                elif lead in (f, [*f[:-1], f[-1] + "s"]):
                    out.append((t, objs, [head], first.i))
            elif lead == f:
                out.append((t, [head], objs, first.i))
        # one form is enough
    seen = set()
    uniq = []
    for x in out:
        key = (x[0].relation, x[0].inverse, tuple(x[1]), tuple(x[2]))
        if key not in seen:
            seen.add(key)
            uniq.append(x)
    return uniq


def _role_line_candidates(d: _Doc, trig: TriggerSet, sent) -> list[tuple[Trigger, list[int], list[int], int]]:
    """A byline under a person's heading: "## Ada Pike" then "*Co-founder and CEO, Tessel Labs*".

    The line holds only role nouns (joined by "and"/"&"/"/"), a comma and organisation names; the person is the
    name that made up the whole previous line.
    """
    doc = d.spacy_doc
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
            if d.entities[e].type not in {"Organization", None}:
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
            and d.entities[m.entity].type == "Person"
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
                out.append((t, [person], orgs, lead[0].i))
                break
    return out


# ----------------------------------------------------------------------------------------------------------
# The extractor
# ----------------------------------------------------------------------------------------------------------


class OfflineExtractor:
    """spaCy + ontology-derived rules. Deterministic; no network, no GPU."""

    name = "offline"

    def __init__(self) -> None:
        self.type_corrections: list[str] = []  # "Name: GPE→Organization (object of STUDIED_AT)", all documents

    def extract(self, doc: Document, chunks: list[Chunk], ontology: Ontology) -> list[Extraction]:
        from kgqa.nlp import spacy_model

        trig = compile_triggers(ontology)
        return self._extract_parsed(doc, parse(spacy_model(), [doc.text])[0], chunks, ontology, trig)

    def extract_many(
        self, docs: list[Document], chunks: list[list[Chunk]], ontology: Ontology
    ) -> list[list[Extraction]]:
        """Several documents through ``nlp.pipe`` (faster than one call per document)."""
        from kgqa.nlp import spacy_model

        trig = compile_triggers(ontology)
        parsed = parse(spacy_model(), [d.text for d in docs])
        return [self._extract_parsed(d, s, c, ontology, trig) for d, s, c in zip(docs, parsed, chunks, strict=True)]

    # -- internals --------------------------------------------------------------------------------------

    def _extract_parsed(self, doc: Document, sdoc, chunks: list[Chunk], ontology: Ontology, trig: TriggerSet):
        if not chunks:
            chunks = [Chunk(id=f"{doc.id}#0", doc_id=doc.id, index=0, text=doc.text, start=0, end=len(doc.text))]
        d, facts, _all = self._analyse(doc.id, sdoc, ontology, trig)
        return self._package(doc, d, facts, chunks, ontology)

    def _analyse(self, doc_id: str, sdoc, ontology: Ontology, trig: TriggerSet):
        """Mentions → entities → references → candidates → type checks (twice when types were corrected)."""
        d = _Doc(spacy_doc=sdoc)
        d.mentions = _find_mentions(sdoc, trig)
        _build_entities(d, trig, ontology)
        _join_later_full_names(d)
        _shared_surnames(d)
        _retype_family_names(d)
        _resolve_references(d, trig)
        cands = self._candidates(d, trig, ontology)
        facts = self._check_types(d, cands, ontology, doc_id)
        if d.corrections:
            # types changed: pronouns and "the company" may now point elsewhere; resolve and extract again
            d.refs.clear()
            for ent in d.entities:
                ent.gender = ent.noun_gender
            _resolve_references(d, trig)
            cands = self._candidates(d, trig, ontology)
            facts = self._check_types(d, cands, ontology, doc_id)
        _family_surnames(d, facts)
        return d, facts, cands

    def _candidates(self, d: _Doc, trig: TriggerSet, ontology: Ontology) -> list[_Candidate]:
        out: list[_Candidate] = []
        rel_options: dict[tuple[str, ...], list[str]] = {}
        for t in trig.triggers:
            rel_options.setdefault(t.words, []).append(t.relation)
        sents = list(d.spacy_doc.sents)
        tok_sent = {tok.i: k for k, sp in enumerate(sents) for tok in sp}
        for t, s_ents, o_ents, tok_i in _table_candidates(d, trig):
            if t.inverse:
                s_ents, o_ents = o_ents, s_ents
            for s in s_ents:
                for o in o_ents:
                    out.append(_Candidate(t.relation, s, o, tok_sent.get(tok_i, 0), tok_i, 0.75, f"table:{t.text}", ()))
        for sent_i, sent in enumerate(sents):
            for t, subj_toks, obj_toks, anchor in _dep_candidates(d, trig, sent, sent_i):
                if _irrealis(anchor):
                    continue
                s_ents, o_ents = _expand(d, subj_toks), _expand(d, obj_toks)
                if not s_ents and any(x.lower_ in {"couple", "pair"} for x in subj_toks):
                    s_ents = _recent_couple(d, out, sent_i)
                if not obj_toks:  # symmetric relation among a coordinated subject
                    group = s_ents
                    s_ents, o_ents = group[:1], group[1:2] if len(group) == 2 else []
                if t.inverse:
                    s_ents, o_ents = o_ents, s_ents
                via_ref = any(x.i in d.refs for x in [*subj_toks, *obj_toks])
                for s in s_ents:
                    for o in o_ents:
                        out.append(
                            _Candidate(
                                t.relation,
                                s,
                                o,
                                sent_i,
                                anchor.i,
                                0.8 if via_ref else 0.9,
                                f"dep:{t.source}:{t.text}",
                                tuple(rel_options.get(t.words, [])),
                            )
                        )
            for t, subj_toks, obj_toks, anchor in _construction_candidates(d, trig, sent):
                if _irrealis(anchor):
                    continue
                s_ents, o_ents = _expand(d, subj_toks), _expand(d, obj_toks)
                for s in s_ents:
                    for o in o_ents:
                        out.append(_Candidate(t.relation, s, o, sent_i, anchor.i, 0.75, f"con:{t.text}", ()))
            lines = _lex_candidates(d, trig, sent) + _fragment_candidates(d, trig, sent)
            for t, s_ents, o_ents, tok_i in lines + _role_line_candidates(d, trig, sent):
                if _irrealis(d.spacy_doc[tok_i]):
                    continue
                if t.inverse:
                    s_ents, o_ents = o_ents, s_ents
                for s in s_ents:
                    for o in o_ents:
                        out.append(
                            _Candidate(
                                t.relation,
                                s,
                                o,
                                sent_i,
                                tok_i,
                                0.75,
                                f"lex:{t.source}:{t.text}",
                                tuple(rel_options.get(t.words, [])),
                            )
                        )
        return out

    def _check_types(self, d: _Doc, cands: list[_Candidate], ontology: Ontology, doc_id: str) -> list[_Candidate]:
        """Keep candidates whose types fit; correct weak entity types where a relation demands it."""

        def fits(c: _Candidate) -> bool:
            rel = ontology.relation(c.relation)
            s, o = d.entities[c.subj], d.entities[c.obj]
            return rel is not None and s.type in rel.domain and o.type in rel.range

        # Each candidate votes, per sentence, for the type it needs at each end (when the other end fits or is
        # untyped). A weak type (NER or none) changes when another type has more sentences voting for it.
        votes: dict[int, dict[str, dict[int, float]]] = {}  # entity → type → trigger token → weight
        for c in cands:
            rel = ontology.relation(c.relation)
            if rel is None or c.subj == c.obj:
                continue
            ends = ((c.subj, rel.domain, c.obj, rel.range), (c.obj, rel.range, c.subj, rel.domain))
            for ei, allowed, other, other_allowed in ends:
                ent, oth = d.entities[ei], d.entities[other]
                if oth.type is not None and oth.type not in other_allowed:
                    continue
                # a relation with one allowed type demands it; one with several only hints at them. A phrase shared
                # by several relations ("belongs to": MEMBER_OF, SUBSIDIARY_OF) hints at the types of all of them.
                wants = list(allowed)
                for alt in c.options:
                    alt_rel = ontology.relation(alt)
                    if alt_rel is not None and alt != c.relation:
                        alt_types = alt_rel.domain if ei == c.subj else alt_rel.range
                        wants += [x for x in alt_types if x not in wants]
                for want in wants:
                    w = 1.0 / len(wants)
                    # alternatives of one trigger (same anchor token) vote once; separate triggers add up
                    per_sent = votes.setdefault(ei, {}).setdefault(want, {})
                    per_sent[c.token] = max(per_sent.get(c.token, 0.0), w)
        for ei, by_type in sorted(votes.items()):
            ent = d.entities[ei]
            if ent.strong:
                continue
            score = {t: sum(v.values()) for t, v in by_type.items()}
            best = max(sorted(score), key=lambda t: score[t])
            if best != ent.type and score[best] > score.get(ent.type or "", 0.0):
                why = sorted({c.relation for c in cands if ei in (c.subj, c.obj)})
                msg = f"{doc_id}: {ent.name}: {ent.type or 'untyped'} → {best} (from {', '.join(why)})"
                log.info("type corrected: %s", msg)
                d.corrections.append(msg)
                ent.corrected_from = ent.type or "untyped"
                ent.type = best
        kept = [c for c in cands if c.subj != c.obj and fits(c)]

        # one phrase, several relations that all fit the types ("belongs to": MEMBER_OF or SUBSIDIARY_OF): the
        # relation with the narrower signature wins (Organization → Organization ownership is SUBSIDIARY_OF)
        def width(name: str) -> int:
            rel = ontology.relation(name)
            return len(rel.domain) + len(rel.range) if rel is not None else 99

        by_slot: dict[tuple, list[_Candidate]] = {}
        for c in kept:
            by_slot.setdefault((c.subj, c.obj, c.token), []).append(c)
        out = []
        for c in kept:
            rivals = [
                x for x in by_slot[(c.subj, c.obj, c.token)] if x.relation != c.relation and x.relation in c.options
            ]
            if any(width(x.relation) < width(c.relation) for x in rivals):
                continue
            out.append(c)
        return out

    def _package(self, doc: Document, d: _Doc, cands: list[_Candidate], chunks: list[Chunk], ontology: Ontology):
        sdoc = d.spacy_doc
        self.type_corrections.extend(d.corrections)
        sents = list(sdoc.sents)
        extractions = [Extraction() for _ in chunks]

        def chunk_of(char: int) -> int:
            for k, ch in enumerate(chunks):
                if ch.start <= char < ch.end:
                    return k
            return max(0, min(len(chunks) - 1, next((k for k, ch in enumerate(chunks) if ch.start > char), 0) - 1))

        def sentence_of(chunk: Chunk, char: int, sent_i: int) -> tuple[str, int]:
            for s in chunk.sentences:
                if s.start <= char < s.end:
                    return s.text, s.index
            sp = sents[sent_i]
            return sp.text.strip(), sent_i

        for m in d.mentions:
            ent = d.entities[m.entity]
            start, end = sdoc[m.start].idx, sdoc[m.end - 1].idx + len(sdoc[m.end - 1].text)
            for k, ch in enumerate(chunks):
                if ch.start <= start and end <= ch.end:
                    extractions[k].mentions.append(
                        EntityMention(
                            name=doc.text[start:end],
                            type=ent.type,
                            chunk_id=ch.id,
                            start=start,
                            end=end,
                            canonical=ent.name,
                        )
                    )
        best: dict[tuple, _Candidate] = {}
        for c in cands:
            rel = ontology.relation(c.relation)
            s, o = c.subj, c.obj
            if rel is not None and rel.symmetric and d.entities[s].name > d.entities[o].name:
                s, o = o, s
            key = (s, c.relation, o, c.sent)
            if key not in best or c.confidence > best[key].confidence:
                best[key] = _Candidate(c.relation, s, o, c.sent, c.token, c.confidence, c.method, c.options)
        for (s, rel_name, o, sent_i), c in sorted(best.items(), key=lambda kv: (kv[0][3], kv[1].token)):
            char = sdoc[c.token].idx
            k = chunk_of(char)
            text, idx = sentence_of(chunks[k], char, sent_i)
            se, oe = d.entities[s], d.entities[o]
            extractions[k].facts.append(
                Fact(
                    subject=se.name,
                    relation=rel_name,
                    object=oe.name,
                    subject_type=se.type,
                    object_type=oe.type,
                    doc_id=doc.id,
                    chunk_id=chunks[k].id,
                    sentence=text,
                    sentence_index=idx,
                    extractor=self.name,
                    confidence=c.confidence,
                )
            )
        return extractions


def _segments(text: str) -> list[str]:
    """Paragraphs and heading lines (with their trailing whitespace), concatenating back to ``text``."""
    out: list[str] = []
    pos = 0
    for m in re.finditer(r"(?m)\n[ \t]*\n\s*|^#{1,6} [^\n]*\n\s*", text):
        end = m.end()
        if m.group(0).startswith("#") and m.start() > pos:
            out.append(text[pos : m.start()])
            pos = m.start()
        out.append(text[pos:end])
        pos = end
    if pos < len(text):
        out.append(text[pos:])
    return [seg for seg in out if seg]


_ENDS = {".", "!", "?", "…", '"', "”", "'", "’", ")", ":", ";"}


def _pipe_with_boundaries(nlp, texts: list[str]):
    """``nlp.pipe`` where no sentence starts right after a token that cannot end one (a comma, a word).

    en_core_web_sm sometimes splits "started by two engineers, Ada Pike and Bo Lin, in ..." after the comma; the
    parser honours boundaries preset on the tokens, so we forbid those before it runs. The shared pipeline object
    is not modified.
    """
    docs = []
    for doc in nlp.tokenizer.pipe(texts, batch_size=64):
        for k in range(1, len(doc)):
            prev = doc[k - 1]
            if prev.text not in _ENDS and not prev.is_space and not doc[k].is_space and "\n" not in prev.whitespace_:
                doc[k].is_sent_start = False
        docs.append(doc)
    for _name, proc in nlp.pipeline:
        docs = list(proc.pipe(docs, batch_size=64)) if hasattr(proc, "pipe") else [proc(doc) for doc in docs]
    return docs


def parse(nlp, texts: list[str]) -> list:
    """spaCy docs whose sentences never cross a paragraph break or a markdown heading; text is unchanged."""
    from spacy.tokens import Doc

    segs = [_segments(t) for t in texts]
    flat = [seg for ss in segs for seg in ss]
    parsed = iter(_pipe_with_boundaries(nlp, flat))
    out = []
    for text, ss in zip(texts, segs, strict=True):
        docs = [next(parsed) for _ in ss]
        if not docs:
            out.append(nlp.make_doc(text))
            continue
        merged = docs[0] if len(docs) == 1 else Doc.from_docs(docs, ensure_whitespace=False)
        if merged.text != text:  # never expected; fall back to one parse of the whole text
            merged = nlp(text)
        out.append(merged)
    return out


def sentences_of(text: str) -> list[Sentence]:
    """spaCy sentences of a text with character offsets (handy for callers without a chunker)."""
    from kgqa.nlp import spacy_model

    return [
        Sentence(text=s.text, start=s.start_char, end=s.end_char, index=i)
        for i, s in enumerate(parse(spacy_model(), [text])[0].sents)
    ]
