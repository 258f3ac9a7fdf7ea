"""Triggers compiled from the ontology: phrases, role nouns, type nouns, roles, kinship and constructions."""

from __future__ import annotations

from dataclasses import dataclass, field

from kgqa.errors import ConfigError
from kgqa.ingest.extract.offline.words import AUX, OF_NAME_HEADS, SKIP_IN_PHRASE
from kgqa.ontology import Ontology


@dataclass(frozen=True)
class Trigger:
    relation: str
    words: tuple[str, ...]  # lower-case words of the phrase, aux and articles removed
    lemmas: tuple[str, ...]
    inverse: bool  # the phrase's subject is the relation's object
    noun: bool  # from nouns / inverse_nouns (role noun)
    source: str  # "phrase" | "inverse_phrase" | "noun" | "inverse_noun" | "construction"
    text: str  # as written in the ontology (for a construction: its pattern)


@dataclass(frozen=True)
class Roles:
    """The entity type playing each role the rules know; "" where the ontology has none."""

    person: str = ""
    organization: str = ""
    place: str = ""
    work: str = ""


@dataclass(frozen=True)
class ConstructionUse:
    """A built-in construction switched on by the ontology: the relation it yields and who may fill it."""

    trigger: Trigger
    domain: frozenset[str]
    range: frozenset[str]
    words: frozenset[str] = frozenset()


@dataclass
class TriggerSet:
    triggers: list[Trigger]
    by_first: dict[str, list[Trigger]]  # first word or lemma → triggers
    role_words: set[str]  # every word of every role noun (cut from names)
    type_nouns: dict[str, str]  # "company" → the type listing it among its nouns
    noun_words: set[str]  # single-token nouns of the relation nouns (for splitting names)
    role_types: dict[str, str]  # role noun lemma → the one entity type it describes ("author" → the person type)
    symmetric: set[str] = field(default_factory=set)  # symmetric relation names
    roles: Roles = field(default_factory=Roles)
    name_words: dict[str, str] = field(default_factory=dict)  # "inc" → the type whose names it marks
    family: dict[str, str] = field(default_factory=dict)  # relation → "child" | "sibling" | "spouse"
    constructions: dict[str, ConstructionUse] = field(default_factory=dict)  # name → use

    def relations_of_family(self, *kinds: str) -> set[str]:
        return {rel for rel, kind in self.family.items() if kind in kinds}


def strip_aux(words: list[str]) -> list[str]:
    """A phrase's words without leading auxiliaries ("was born in" → "born in") and articles."""
    out = list(words)
    while len(out) > 1 and out[0] in AUX and any(w not in AUX for w in out[1:]):
        rest = out[1:]
        # keep "is in" / "lies in": stripping must leave more than a lone preposition
        if len(rest) == 1 and rest[0] in {"in", "at", "of", "on", "to", "from", "by"}:
            break
        out = rest
    return [w for w in out if w not in SKIP_IN_PHRASE]


_CACHE: dict[str, TriggerSet] = {}


def _raw_phrases(ontology: Ontology) -> list[tuple[str, str, bool, bool, str]]:
    raw: list[tuple[str, str, bool, bool, str]] = []  # relation, text, inverse, noun, source
    for rel in ontology.relation_types:
        raw += [(rel.name, p, False, False, "phrase") for p in [*rel.phrases, *rel.narrower_phrases]]
        raw += [(rel.name, p, True, False, "inverse_phrase") for p in rel.inverse_phrases]
        raw += [(rel.name, p, False, True, "noun") for p in rel.nouns]
        raw += [(rel.name, p, True, True, "inverse_noun") for p in rel.inverse_nouns]
    return raw


def _phrase_triggers(ontology: Ontology) -> list[Trigger]:
    from kgqa.nlp import spacy_model

    raw = _raw_phrases(ontology)
    texts = [f"they {t.lower()} it" if not noun else f"the {t.lower()} of it" for _r, t, _i, noun, _s in raw]
    triggers: list[Trigger] = []
    seen: set[tuple] = set()
    for (rel, text, inverse, noun, source), parsed in zip(raw, spacy_model().pipe(texts), strict=True):
        toks = [t for t in parsed][1:-1]
        if noun:
            toks = toks[:-1]  # drop "of"
        words = [t.lower_ for t in toks]
        lemmas = [t.lemma_.lower() for t in toks]
        pairs = list(zip(words, lemmas, strict=True))
        kept_words = strip_aux(words)
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
    return [t for t in triggers if not (t.source == "inverse_noun" and (t.relation, t.lemmas) in role_lemmas)]


def _role_types(triggers: list[Trigger], ontology: Ontology) -> dict[str, str]:
    """ "the author", "the buyer": a subject-role noun of relations whose domain is one type refers to an entity of
    that type (used only for definite noun phrases without a complement)."""
    role_types: dict[str, str] = {}
    for t in triggers:
        rel = ontology.relation(t.relation)
        if t.source == "noun" and len(t.words) == 1 and rel is not None and len(rel.domain) == 1:
            if role_types.get(t.lemmas[0], rel.domain[0]) == rel.domain[0]:
                role_types[t.lemmas[0]] = rel.domain[0]
            else:
                role_types[t.lemmas[0]] = ""
    return {k: v for k, v in role_types.items() if v}


def _constructions(ontology: Ontology) -> dict[str, ConstructionUse]:
    from kgqa.ingest.extract.offline.readers.constructions import PATTERNS

    out: dict[str, ConstructionUse] = {}
    for con in ontology.constructions:
        if con.name not in PATTERNS:
            raise ConfigError(
                f"ontology construction {con.name!r} is not a construction of the offline extractor",
                f"use one of: {', '.join(sorted(PATTERNS))}",
            )
        rel = ontology.relation(con.relation)
        if rel is None:  # never: loading the ontology checks the relation
            continue
        trigger = Trigger(rel.name, (), (), False, False, "construction", PATTERNS[con.name])
        words = frozenset(w.lower() for w in con.words)
        out[con.name] = ConstructionUse(trigger, frozenset(rel.domain), frozenset(rel.range), words)
    return out


def _compile(ontology: Ontology) -> TriggerSet:
    triggers = _phrase_triggers(ontology)
    by_first: dict[str, list[Trigger]] = {}
    for trig in triggers:
        for form in {trig.words[0], trig.lemmas[0]}:
            by_first.setdefault(form, []).append(trig)
    type_nouns = {n.lower(): et.name for et in ontology.entity_types for n in et.nouns}
    role_words = {w for t in triggers if t.source == "noun" for w in t.words} - set(type_nouns) - set(OF_NAME_HEADS)
    noun_words = {t.words[0] for t in triggers if t.noun and len(t.words) == 1}
    name_words: dict[str, str] = {}
    for et in ontology.entity_types:
        for w in et.name_words:
            name_words.setdefault(w.lower(), et.name)
    return TriggerSet(
        triggers,
        by_first,
        role_words,
        type_nouns,
        noun_words,
        _role_types(triggers, ontology),
        symmetric={r.name for r in ontology.relation_types if r.symmetric},
        roles=Roles(
            person=ontology.type_with_role("person") or "",
            organization=ontology.type_with_role("organization") or "",
            place=ontology.type_with_role("place") or "",
            work=ontology.type_with_role("work") or "",
        ),
        name_words=name_words,
        family={r.name: r.family for r in ontology.relation_types if r.family},
        constructions=_constructions(ontology),
    )


def compile_triggers(ontology: Ontology) -> TriggerSet:
    """The ontology's triggers (cached per ontology content)."""
    key = ontology.model_dump_json()
    if key not in _CACHE:
        _CACHE[key] = _compile(ontology)
    return _CACHE[key]
