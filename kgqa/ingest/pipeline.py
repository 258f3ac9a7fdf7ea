"""The graph-building pipeline: load → compare hashes → chunk → extract → constrain → resolve → write.

Incremental: a document whose sha256 matches the graph's ``Document.hash`` is skipped; a changed one is
re-extracted and written in the same transaction that retracts its previous version (evidence entries,
facts left without evidence, chunks, entities no longer mentioned nor in any fact). ``remove_documents``
retracts documents on request. Documents are written in groups, one transaction per group, with the hash
marker last (see ``kgqa.ingest.write``), so an interrupted build is finished by running it again.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kgqa.errors import ConfigError, GraphUnavailable, InputError, KgqaError, ServiceUnavailable
from kgqa.graph import queries
from kgqa.graph.access import GraphAccess
from kgqa.graph.schema import ensure_constraints
from kgqa.ingest.chunk import chunk_document
from kgqa.ingest.consolidate import consolidate
from kgqa.ingest.constraints import ConstraintReport
from kgqa.ingest.document import corpus_type_votes, process_document
from kgqa.ingest.load import DEFAULT_MAX_BYTES, LoadFailure, load_paths
from kgqa.ingest.model import Chunk, Document, Extraction
from kgqa.ingest.resolve import EntityRegistry, MergeEvent
from kgqa.ingest.write import DocumentPayload, GraphWriter, Supersession
from kgqa.ontology import Ontology, load_ontology

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]  # (stage, done, total)
GROUP_MAX_DOCS = 50
GROUP_MAX_SECONDS = 5.0
EXTRACT_WINDOW = 32  # documents extracted together (nlp.pipe batching, corpus-wide type votes)


@dataclass
class BuildOptions:
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    chunk_size: int = 1200
    overlap_sentences: int = 1
    max_bytes: int = DEFAULT_MAX_BYTES
    ontology: str | None = None
    extractor: str | None = None  # spec for get_extractor; None = settings.llm_extraction or settings.llm


@dataclass
class BuildReport:
    """What a build did; ``kgqa build --json`` prints this."""

    extractor: str = ""
    ontology: str = ""
    documents: dict[str, int] = field(default_factory=lambda: {"new": 0, "changed": 0, "unchanged": 0, "failed": 0})
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped_files: list[str] = field(default_factory=list)
    chunks: int = 0
    mentions: int = 0
    entities_created: int = 0
    entities_linked: int = 0
    facts: int = 0
    evidence: int = 0
    pruned: dict[str, int] = field(default_factory=dict)
    pruned_facts: list[dict[str, Any]] = field(default_factory=list)
    retyped: list[str] = field(default_factory=list)
    duplicates_merged: int = 0
    merges: list[dict[str, Any]] = field(default_factory=list)
    # nodes that named one entity twice (a re-typed mention, an abbreviation), merged after the writes
    nodes_merged: list[dict[str, Any]] = field(default_factory=list)
    superseded: int = 0  # old facts a later statement replaced (marked, kept)
    extraction_errors: list[str] = field(default_factory=list)
    llm_usage: dict[str, int] = field(default_factory=dict)
    graph: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures

    def fail(self, source: str, reason: str, doc_id: str | None = None) -> None:
        self.failures.append({"source": source, "doc_id": doc_id, "reason": reason})
        self.documents["failed"] = len(self.failures)


def load_extractor(spec: str | None, settings: Any):
    """An extractor for ``spec``. ``py:package.module:Name`` loads a custom extractor class or factory;
    anything else goes to ``kgqa.ingest.extract.base.get_extractor``."""
    spec = (spec or "offline").strip()
    if spec.startswith("py:"):
        target = spec[3:]
        module_name, _, attr = target.partition(":")
        if not module_name or not attr:
            raise ConfigError(f"bad extractor spec {spec!r}", "use py:package.module:ClassOrFactory")
        try:
            obj = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"cannot load extractor {target!r}: {exc}", "check the module path") from exc
        extractor = obj() if isinstance(obj, type) else obj(settings)
        if not hasattr(extractor, "extract"):
            raise ConfigError(f"{target!r} did not give an object with an extract() method")
        return extractor
    from kgqa.ingest.extract.base import get_extractor

    return get_extractor(spec, settings)


# --------------------------------------------------------------------------------------------- the build


def document_hashes(graph: GraphAccess, doc_ids: list[str]) -> dict[str, str | None]:
    """``{doc_id: hash}`` for the given ids that exist in the graph (hash None = never completed)."""
    found: dict[str, str | None] = {}
    for i in range(0, len(doc_ids), 5000):
        rows = graph.read(
            queries.DOCUMENT_HASHES,
            {"ids": doc_ids[i : i + 5000]},
            max_rows=10_000_000,
            timeout=600,
        ).rows
        found.update({r["id"]: r["hash"] for r in rows})
    return found


def graph_counts(graph: GraphAccess) -> dict[str, int]:
    """Documents, chunks, entities and facts in the graph."""
    return {
        "documents": graph.value(queries.COUNT_DOCUMENTS, default=0),
        "chunks": graph.value(queries.COUNT_CHUNKS, default=0),
        "entities": graph.value(queries.COUNT_ENTITIES, default=0),
        "facts": graph.value(queries.COUNT_FACTS, default=0),
    }


def run_build(
    graph: GraphAccess,
    paths: list[str | Path],
    options: BuildOptions | None = None,
    settings: Any = None,
    *,
    extractor: Any = None,
    progress: Progress | None = None,
) -> BuildReport:
    """Build (or update) the graph from ``paths``; returns the report. Raises ``ServiceUnavailable`` when the
    graph or the LLM server goes away or keeps failing: everything written before that is complete documents
    only, and a rerun skips them (LLM replies already received come from the LLM cache)."""
    options = options or BuildOptions()
    started = time.perf_counter()
    report = BuildReport()
    ontology = load_ontology(options.ontology)
    report.ontology = f"{ontology.name} v{ontology.version}"
    notify = progress or (lambda stage, done, total: None)

    notify("loading", 0, 0)
    loaded = load_paths(paths, options.include, options.exclude, options.max_bytes)
    for failure in loaded.failures:
        report.fail(failure.source, failure.reason, failure.doc_id)
    report.warnings.extend(loaded.warnings)
    report.skipped_files = loaded.skipped

    ensure_constraints(graph)
    existing = document_hashes(graph, [d.id for d in loaded.documents])
    todo: list[Document] = []
    for doc in loaded.documents:
        old = existing.get(doc.id, "missing")
        if old == doc.content_hash:
            report.unchanged.append(doc.id)
        else:
            (report.new if old == "missing" else report.changed).append(doc.id)
            todo.append(doc)
    report.documents.update(new=len(report.new), changed=len(report.changed), unchanged=len(report.unchanged))

    if todo:
        spec = options.extractor or getattr(settings, "llm_extraction", None) or getattr(settings, "llm", None)
        extractor = extractor or load_extractor(spec, settings)
        report.extractor = getattr(extractor, "name", type(extractor).__name__)
        registry = EntityRegistry.load(graph)
        known_before = set(registry.by_id)
        writer = GraphWriter(graph, ontology)
        writer.known_entities.update(registry.by_id)
        _build_documents(todo, existing, ontology, registry, writer, extractor, options, report, notify)
        created = {e for e in registry.by_id if e not in known_before}
        report.entities_created = len(created)
    report.graph = graph_counts(graph)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


class _Group:
    """Payloads waiting to be written together (one transaction); a refused group is retried one by one."""

    def __init__(self, writer: GraphWriter, existing: dict[str, str | None], report: BuildReport) -> None:
        self.writer = writer
        self.existing = existing
        self.report = report
        self.payloads: list[DocumentPayload] = []
        self.supersessions: list[Supersession] = []  # written ones, applied again after the last group
        self.rows = 0
        self.written = 0  # documents written so far
        self.last_flush = time.monotonic()
        self.batch_rows = getattr(writer.graph.settings, "graph_batch_size", 1000)

    def add(self, payload: DocumentPayload) -> None:
        self.payloads.append(payload)
        self.rows += payload.rows

    def full(self) -> bool:
        return (
            self.rows >= self.batch_rows
            or len(self.payloads) >= GROUP_MAX_DOCS
            or time.monotonic() - self.last_flush >= GROUP_MAX_SECONDS
        )

    def _replacing(self, payloads: list[DocumentPayload]) -> list[str]:
        return [p.doc.id for p in payloads if p.doc.id in self.existing]

    def finish(self) -> None:
        """Write what is waiting, then the supersession marks again (an old fact may have been written in a later
        group than the statement that replaced it)."""
        self.flush()
        if self.supersessions:
            self.writer.graph.write_together(self.writer.supersession_statements(self.supersessions))

    def flush(self) -> None:
        if not self.payloads:
            return
        pending, self.payloads, self.rows = self.payloads, [], 0
        self.last_flush = time.monotonic()
        try:
            self.writer.write_documents(pending, self._replacing(pending))
            ok = pending
        except GraphUnavailable:
            raise
        except KgqaError as exc:
            if len(pending) == 1:
                doc = pending[0].doc
                self.report.fail(doc.source or doc.id, f"graph refused it: {exc}", doc.id)
                return
            ok = []
            for p in pending:  # find the document the server refuses; write the others
                try:
                    self.writer.write_documents([p], self._replacing([p]))
                    ok.append(p)
                except GraphUnavailable:
                    raise
                except KgqaError as exc1:
                    self.report.fail(p.doc.source or p.doc.id, f"graph refused it: {exc1}", p.doc.id)
        self.written += len(ok)
        for p in ok:
            self.report.chunks += len(p.chunks)
            self.report.facts += len(p.facts)
            self.report.evidence += sum(len(f.evidence) for f in p.facts)
            self.report.superseded += len(p.supersessions)
            self.supersessions.extend(p.supersessions)


def _account(report: BuildReport, doc: Document, extractions: list[Extraction], merges: list[MergeEvent]) -> None:
    """Add one processed document's extraction errors, LLM usage and entity merges to the report."""
    for ex in extractions:
        report.extraction_errors.extend(f"{doc.id}: {e}" for e in ex.errors)
        for k, v in (ex.usage or {}).items():
            report.llm_usage[k] = report.llm_usage.get(k, 0) + int(v)
    report.merges.extend(
        {
            "doc_id": m.doc_id,
            "mention": m.mention,
            "type": m.type,
            "entity_id": m.entity_id,
            "entity_name": m.entity_name,
            "reason": m.reason,
        }
        for m in merges
    )


def _build_documents(
    todo: list[Document],
    existing: dict[str, str | None],
    ontology: Ontology,
    registry: EntityRegistry,
    writer: GraphWriter,
    extractor: Any,
    options: BuildOptions,
    report: BuildReport,
    notify: Progress,
) -> None:
    group = _Group(writer, existing, report)
    constraint_total = ConstraintReport()
    linked: set[str] = set()
    total = len(todo)
    done = 0
    for start in range(0, total, EXTRACT_WINDOW):
        window = todo[start : start + EXTRACT_WINDOW]
        notify("extracting", done, total)
        try:
            extracted = _extract_window(window, extractor, ontology, options)
        except (ServiceUnavailable, ConfigError) as exc:
            _stop(exc, group)
            raise
        votes = corpus_type_votes([ex for _, _, ex in extracted if not isinstance(ex, Exception)], ontology)
        for doc, chunks, result in extracted:
            done += 1
            if isinstance(result, Exception):
                _record_failure(report, doc, result, "extraction failed")
                continue
            try:
                payload, creport, merges, n_mentions = process_document(
                    doc, chunks, result, ontology, registry, report.extractor, votes
                )
            except (GraphUnavailable, KeyboardInterrupt):
                raise
            except Exception as exc:
                _record_failure(report, doc, exc, "processing failed")
                continue
            _account(report, doc, result, merges)
            constraint_total.extend(creport)
            report.mentions += n_mentions
            linked.update(e.id for e in payload.entities)
            group.add(payload)
            if group.full():
                notify("writing", done, total)
                group.flush()
    group.finish()
    notify("extracting", total, total)
    _consolidate(writer, registry, linked, report)
    _finish(report, constraint_total, linked)


def _stop(exc: KgqaError, group: _Group) -> None:
    """The extractor's server is down or misconfigured: write the complete documents read so far, say so."""
    if not isinstance(exc, GraphUnavailable):
        group.finish()
    resume = (
        "rerun `kgqa build` to go on: finished documents are skipped, replies already received come from the LLM cache"
    )
    exc.hint = f"{exc.hint}; {resume}" if exc.hint else resume
    if group.written:
        exc.message = f"{exc.message} (stopped after {group.written} complete document(s) were written)"


def _consolidate(writer: GraphWriter, registry: EntityRegistry, linked: set[str], report: BuildReport) -> None:
    """Merge the nodes that name one entity twice among the names this build touched (see consolidate.py)."""
    touched = [registry.by_id[e] for e in sorted(linked) if e in registry.by_id]
    try:
        merged = consolidate(writer.graph, writer, touched)
    except GraphUnavailable:
        raise
    except KgqaError as exc:
        report.warnings.append(f"merging nodes that name one entity twice failed: {exc.message}")
        return
    report.nodes_merged = [m.as_dict() for m in merged]


def _finish(report: BuildReport, constraint_total: ConstraintReport, linked: set[str]) -> None:
    """Constraint outcomes into the report; failed documents are not counted as new/changed."""
    report.entities_linked = len(linked)
    report.pruned = constraint_total.counts()
    report.pruned_facts = [
        {
            "rule": p.rule,
            "reason": p.reason,
            "subject": p.fact.subject,
            "relation": p.fact.relation,
            "object": p.fact.object,
            "doc_id": p.fact.doc_id,
            "sentence": p.fact.sentence,
        }
        for p in constraint_total.pruned
    ]
    report.retyped = constraint_total.retyped
    report.duplicates_merged = constraint_total.duplicates_merged
    failed = {f["doc_id"] for f in report.failures if f.get("doc_id")}
    report.new = [d for d in report.new if d not in failed]
    report.changed = [d for d in report.changed if d not in failed]
    report.documents.update(new=len(report.new), changed=len(report.changed))


def _record_failure(report: BuildReport, doc: Document, exc: BaseException, what: str) -> None:
    log.debug("%s for %s", what, doc.id, exc_info=exc)
    reason = exc.message if isinstance(exc, KgqaError) else f"{type(exc).__name__}: {exc}"
    report.fail(doc.source or doc.id, f"{what}: {reason}", doc.id)


def _extract_window(
    docs: list[Document], extractor: Any, ontology: Ontology, options: BuildOptions
) -> list[tuple[Document, list[Chunk], list[Extraction] | Exception]]:
    """Chunk and extract several documents (batched when the extractor has ``extract_many``); a failing
    document becomes an exception in its slot, the others are kept."""
    chunked = [(doc, chunk_document(doc, options.chunk_size, options.overlap_sentences)) for doc in docs]
    if hasattr(extractor, "extract_many") and len(chunked) > 1:
        try:
            many = extractor.extract_many([d for d, _ in chunked], [c for _, c in chunked], ontology)
            return [(d, c, list(ex)) for (d, c), ex in zip(chunked, many, strict=True)]
        except (ServiceUnavailable, ConfigError, KeyboardInterrupt):  # a wrong key/model fails every document
            raise
        except Exception:
            log.debug("batched extraction failed; extracting one document at a time", exc_info=True)
    out: list[tuple[Document, list[Chunk], list[Extraction] | Exception]] = []
    for doc, chunks in chunked:
        try:
            out.append((doc, chunks, list(extractor.extract(doc, chunks, ontology))))
        except (ServiceUnavailable, ConfigError, KeyboardInterrupt):  # a server down: stop, the rerun resumes
            raise
        except Exception as exc:  # one bad document must not stop the build
            out.append((doc, chunks, exc))
    return out


def remove_documents(graph: GraphAccess, targets: list[str], root: str | Path | None = None) -> dict[str, Any]:
    """Retract documents given by id or by path (a path maps to the id a build would have given it)."""
    ids: list[str] = []
    missing: list[str] = []
    for target in targets:
        path = Path(target)
        candidates = [target]
        if root is not None:
            with contextlib.suppress(ValueError):
                candidates.append(path.resolve().relative_to(Path(root).resolve()).as_posix())
        parts = path.as_posix().lstrip("/").split("/")
        candidates.extend("/".join(parts[i:]) for i in range(len(parts)))  # longest suffix first
        found = document_hashes(graph, list(dict.fromkeys(candidates)))
        match = next((c for c in dict.fromkeys(candidates) if c in found), None)
        if match is None:
            missing.append(target)
        else:
            ids.append(match)
    if missing:
        raise InputError(
            f"no document with id or path {', '.join(repr(m) for m in missing)} in the graph",
            "list documents with: kgqa cypher run 'MATCH (d:Document) RETURN d.id'",
        )
    before = graph_counts(graph)
    GraphWriter(graph, load_ontology(None)).remove_documents(ids)
    after = graph_counts(graph)
    return {
        "removed": ids,
        "deleted": {k: before[k] - after[k] for k in before},
        "graph": after,
    }


__all__ = [
    "BuildOptions",
    "BuildReport",
    "LoadFailure",
    "load_extractor",
    "process_document",
    "remove_documents",
    "run_build",
]
