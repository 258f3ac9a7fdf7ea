"""The working state of one document's analysis: mentions, entities, references and candidate facts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from kgqa.ingest.extract.offline.triggers import Roles, Trigger, TriggerSet


@dataclass
class Mention:
    start: int  # token index (inclusive)
    end: int  # token index (exclusive)
    text: str
    ner: str | None
    quoted: bool = False
    entity: int = -1  # index into Analysis.entities


@dataclass
class Entity:
    name: str
    type: str | None
    strong: bool  # type from name words / type nouns / quotes, not just NER
    gender: str | None = None
    noun_gender: str | None = None  # from "his sister X", "Mr": survives a second resolution pass
    corrected_from: str | None = None
    descriptors: set[str] = field(default_factory=set)  # "X Radio, a station ..." → {"station"}


@dataclass
class Candidate:
    relation: str
    subj: int  # entity index
    obj: int
    sent: int  # spaCy sentence index
    token: int  # trigger token (for chunk assignment)
    confidence: float
    method: str
    options: tuple[str, ...] = ()  # other relations the same trigger could mean (type-ambiguous)
    replaces: int | None = None  # entity this fact's holder replaced ("X succeeded Y as CEO of Z": Y)


class Reading(NamedTuple):
    """What a candidate reader found: a trigger, its subject and object (tokens or entity indices) and where."""

    trigger: Trigger
    subj: list
    obj: list
    at: int  # token index of the trigger


@dataclass
class Analysis:
    spacy_doc: Any
    trig: TriggerSet
    mentions: list[Mention] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    tok2mention: dict[int, int] = field(default_factory=dict)
    refs: dict[int, list[int]] = field(default_factory=dict)  # token index → entity indices (pronouns etc.)
    corrections: list[str] = field(default_factory=list)

    @property
    def roles(self) -> Roles:
        return self.trig.roles


def entities_of_token(d: Analysis, tok) -> list[int]:
    """The entity a token's mention names, else the entities a pronoun or noun refers to."""
    mi = d.tok2mention.get(tok.i)
    if mi is not None:
        return [d.mentions[mi].entity]
    return list(d.refs.get(tok.i, []))


def mention_entity(d: Analysis, tok) -> int | None:
    mi = d.tok2mention.get(tok.i)
    return d.mentions[mi].entity if mi is not None else None
