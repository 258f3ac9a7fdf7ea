"""Import existing triples (``subject|relation|object`` files such as MetaQA's ``kb.txt``) into the graph.

- Entities become ``:Entity {id, name, norm}`` (no type label: triples carry no types). The id is a
  stable slug of the name plus a short hash of the exact name, so two names that only differ in case
  or punctuation stay two entities, and the same name always gets the same id (movies that share a
  title collapse into one entity, as in the source KB).
- Relation names become relationship types in UPPER_SNAKE_CASE (``directed_by`` → ``DIRECTED_BY``),
  validated before they are put into a statement; the original name is kept in the ``relation``
  property.
- Provenance follows docs/graph-model.md: parallel evidence lists on each relationship, one entry
  per source line (``evidence_keys`` = ``"kb.txt:123"``), and a ``:Document`` node for the file.
- Idempotent: everything is MERGEd and evidence entries are only appended when their key is new,
  so a re-import changes nothing.
- Fast: lines are parsed and grouped in Python first; entities go in large batches, then
  relationships grouped by type in large batches, after the constraints and indexes exist.
- Written by the one graph writer (``kgqa.ingest.write.GraphWriter``, without an ontology), with the
  statements of ``kgqa.graph.queries`` (``IMPORT_*``, ``MERGE_SOURCE``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from kgqa.errors import InputError
from kgqa.graph.access import GraphAccess
from kgqa.graph.schema import ensure_constraints
from kgqa.ingest.model import Document
from kgqa.ingest.write import IMPORTED_FACTS, RESERVED_TYPES, GraphWriter, imported_fact_rows
from kgqa.names import RELATION_TYPE_RE, normalize_name

Format = Literal["pipe", "tsv", "csv"]
FORMATS: tuple[str, ...] = ("pipe", "tsv", "csv")
EXTRACTOR = "import"
ENTITY_BATCH = 5000
RELATIONSHIP_BATCH = 5000


# ---------------------------------------------------------------------------- names


def entity_id(name: str) -> str:
    """Stable id of an imported entity: readable slug + 8 hex digits of the exact name's sha1."""
    slug = normalize_name(name).replace(" ", "-")[:60].strip("-") or "entity"
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
    return f"{slug}-{digest}"


def relation_type(relation: str) -> str:
    """``directed_by`` / ``Directed By`` / ``directed-by`` → ``DIRECTED_BY``; raises ValueError if unusable."""
    text = unicodedata.normalize("NFKD", relation)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)  # camelCase → camel_Case
    text = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").upper()
    if text and text[0].isdigit():
        text = "R_" + text
    if not RELATION_TYPE_RE.match(text):
        raise ValueError(f"relation {relation!r} gives no usable relationship type")
    if text in RESERVED_TYPES:
        raise ValueError(f"relation {relation!r} would map to kgqa's reserved type {text}")
    return text


# ---------------------------------------------------------------------------- parsing


@dataclass
class LineError:
    line: int
    reason: str
    text: str


@dataclass
class ParsedTriples:
    """Distinct entities and relationships of a triples file, with per-line evidence."""

    source: str  # the file's name, used in evidence keys
    lines: int = 0
    triples: int = 0
    entities: dict[str, str] = field(default_factory=dict)  # id -> name
    # (type, subject id, object id) -> {"relation": original, "keys": [...], "sentences": [...]}
    relationships: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    relation_names: dict[str, str] = field(default_factory=dict)  # original -> type
    errors: list[LineError] = field(default_factory=list)


def _split_lines(path: Path, fmt: Format) -> Iterator[tuple[int, list[str] | None, str]]:
    """Yield (line number, fields or None for blank lines, raw text)."""
    with path.open(encoding="utf-8", errors="strict", newline="") as fh:
        if fmt == "csv":
            text = fh.read()
            reader = csv.reader(io.StringIO(text))
            for row in reader:
                raw = ",".join(row)
                yield reader.line_num, (row if any(c.strip() for c in row) else None), raw
            return
        sep = "|" if fmt == "pipe" else "\t"
        for number, line in enumerate(fh, 1):
            raw = line.rstrip("\r\n")
            if not raw.strip():
                yield number, None, raw
                continue
            yield number, raw.split(sep), raw


def parse_triples(path: Path, fmt: Format) -> ParsedTriples:
    """Read and validate a triples file; malformed lines are recorded (with line numbers) and skipped."""
    if fmt not in FORMATS:
        raise InputError(f"unknown triples format {fmt!r}", f"use one of: {', '.join(FORMATS)}")
    if not path.exists():
        raise InputError(f"no such file: {path}", "check the path")
    if not path.is_file():
        raise InputError(f"not a file: {path}", "pass a triples file, not a directory")
    parsed = ParsedTriples(source=path.name)
    ids: dict[str, str] = {}
    try:
        for number, fields, raw in _split_lines(path, fmt):
            parsed.lines = number
            if fields is None:
                continue
            if (
                number == 1
                and fmt == "csv"
                and [f.strip().lower() for f in fields] == ["subject", "relation", "object"]
            ):
                continue  # header row
            if len(fields) != 3:
                parsed.errors.append(LineError(number, f"expected 3 fields, found {len(fields)}", raw[:200]))
                continue
            subject, relation, obj = (f.strip() for f in fields)
            if not subject or not relation or not obj:
                parsed.errors.append(LineError(number, "empty subject, relation or object", raw[:200]))
                continue
            rel_type = parsed.relation_names.get(relation)
            if rel_type is None:
                try:
                    rel_type = relation_type(relation)
                except ValueError as exc:
                    parsed.errors.append(LineError(number, str(exc), raw[:200]))
                    continue
                parsed.relation_names[relation] = rel_type
            sid = ids.get(subject) or ids.setdefault(subject, entity_id(subject))
            oid = ids.get(obj) or ids.setdefault(obj, entity_id(obj))
            parsed.entities.setdefault(sid, subject)
            parsed.entities.setdefault(oid, obj)
            key = (rel_type, sid, oid)
            rel = parsed.relationships.get(key)
            if rel is None:
                rel = parsed.relationships[key] = {"relation": relation, "keys": [], "sentences": []}
            rel["keys"].append(f"{parsed.source}:{number}")
            rel["sentences"].append(f"{subject}|{relation}|{obj}")
            parsed.triples += 1
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not UTF-8 text: {exc}", "convert the file to UTF-8") from exc
    return parsed


# ---------------------------------------------------------------------------- writing


@dataclass
class ImportReport:
    file: str
    format: str
    lines: int
    triples: int
    entities: int
    relationships: int
    created: int  # relationships created (their type was new to the graph)
    merged: int  # relationships merged (type already present): new evidence appended, nothing else
    relation_types: dict[str, str]  # original relation -> relationship type
    malformed: int
    errors: list[dict[str, Any]]
    seconds: float
    parse_seconds: float
    entity_seconds: float
    relationship_seconds: float
    triples_per_second: float


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_parsed(parsed: ParsedTriples, path: Path, fmt: Format) -> None:
    """InputError when the file gave no triple at all (with the first reason when lines were malformed)."""
    if parsed.triples == 0 and not parsed.errors:
        raise InputError(f"{path} holds no triples", "expected lines like subject|relation|object")
    if parsed.triples == 0:
        first = parsed.errors[0]
        raise InputError(
            f"{path}: no valid triple in {len(parsed.errors)} non-empty line(s); line {first.line}: {first.reason}",
            f"is --format {fmt} right? expected subject, relation and object separated by "
            + {"pipe": "'|'", "tsv": "tabs", "csv": "commas"}[fmt],
        )


def _counter(stage: str, total: int, on_progress: Callable[[str, int, int], None] | None) -> Callable[[int], None]:
    """An ``on_batch`` callback that reports ``(stage, done so far, total)``."""
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        if on_progress:
            on_progress(stage, done, total)

    return step


def import_triples(
    graph: GraphAccess,
    path: Path,
    fmt: Format = "pipe",
    *,
    batch_size: int | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> ImportReport:
    """Import a triples file; ``on_progress(stage, done, total)`` is called after every batch."""
    path = Path(path)
    start = time.perf_counter()
    parsed = parse_triples(path, fmt)
    parse_seconds = time.perf_counter() - start
    _check_parsed(parsed, path, fmt)

    ensure_constraints(graph)
    writer = GraphWriter(graph, None)
    source = Document(
        id=parsed.source,
        text="",
        title=parsed.source,
        source=str(path.resolve()),
        metadata={"kind": "triples", "format": fmt},
        content_hash=file_sha256(path),
    )
    writer.write_source(source)
    stage = time.perf_counter()
    entity_step = _counter("entities", len(parsed.entities), on_progress)
    writer.write_imported_entities(parsed.entities, parsed.source, batch_size or ENTITY_BATCH, entity_step)
    entity_seconds = time.perf_counter() - stage

    stage = time.perf_counter()
    by_type = imported_fact_rows(parsed.relationships, parsed.source, EXTRACTOR)
    rel_step = _counter("relationships", len(parsed.relationships), on_progress)
    created, merged = writer.write_typed(by_type, IMPORTED_FACTS, batch_size or RELATIONSHIP_BATCH, rel_step)
    seconds = time.perf_counter() - start
    return ImportReport(
        file=str(path),
        format=fmt,
        lines=parsed.lines,
        triples=parsed.triples,
        entities=len(parsed.entities),
        relationships=len(parsed.relationships),
        created=created,
        merged=merged,
        relation_types=dict(sorted(parsed.relation_names.items())),
        malformed=len(parsed.errors),
        errors=[{"line": e.line, "reason": e.reason, "text": e.text} for e in parsed.errors[:100]],
        seconds=round(seconds, 3),
        parse_seconds=round(parse_seconds, 3),
        entity_seconds=round(entity_seconds, 3),
        relationship_seconds=round(time.perf_counter() - stage, 3),
        triples_per_second=round(parsed.triples / seconds, 1) if seconds > 0 else 0.0,
    )
