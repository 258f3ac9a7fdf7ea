"""Data passed between graph-building stages: documents → chunks → extractions → graph rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Document:
    """One input document. ``id`` is stable (path relative to the build root, or the id given)."""

    id: str
    text: str
    title: str | None = None
    source: str | None = None  # path or URL it came from
    metadata: dict[str, Any] = field(default_factory=dict)
    content_hash: str = ""  # sha256 of text; decides new / changed / unchanged


@dataclass
class Sentence:
    """A sentence of a chunk, with character offsets into the document text."""

    text: str
    start: int
    end: int
    index: int  # sentence number within the document


@dataclass
class Chunk:
    """A sentence-aligned piece of a document. ``id`` = f"{doc_id}#{index}" (stable)."""

    id: str
    doc_id: str
    index: int
    text: str
    start: int
    end: int
    sentences: list[Sentence] = field(default_factory=list)


@dataclass
class EntityMention:
    """An entity named in a chunk, as an extractor saw it."""

    name: str  # surface form as written
    type: str | None  # ontology entity type (e.g. "Person"); None when unknown
    chunk_id: str
    start: int | None = None  # char offsets in the document
    end: int | None = None
    canonical: str | None = None  # resolved canonical name (set by entity resolution)


@dataclass
class Fact:
    """One relation instance with its evidence. Names are surface forms until resolution."""

    subject: str
    relation: str  # ontology relation type, e.g. "WORKS_FOR"
    object: str
    subject_type: str | None = None
    object_type: str | None = None
    doc_id: str = ""
    chunk_id: str = ""
    sentence: str = ""  # evidence sentence text
    sentence_index: int | None = None
    extractor: str = ""  # "offline", "llm:openai:gpt-4o-mini", ...
    confidence: float = 1.0
    # the holder this fact's statement replaced ("Marcus Ede is now its CEO, replacing Tomas Greer": "Tomas
    # Greer"), on the side the relation is single-valued on; the old fact is marked superseded in the graph
    replaces: str | None = None


@dataclass
class PrunedFact:
    """A fact a rule removed, and why (reported in the build summary)."""

    fact: Fact
    rule: str  # "domain", "range", "self_loop", "unknown_relation", ...
    reason: str


@dataclass
class Extraction:
    """What an extractor returns for one chunk."""

    mentions: list[EntityMention] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    usage: dict[str, int] = field(default_factory=dict)  # LLM tokens, when an LLM was used
