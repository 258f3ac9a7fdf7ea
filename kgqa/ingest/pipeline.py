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
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kgqa.errors import ConfigError, GraphUnavailable, InputError, KgqaError
from kgqa.graph.schema import ensure_constraints
from kgqa.ingest.chunk import chunk_document
from kgqa.ingest.constraints import ConstraintReport, Evidence, FactRecord, check_facts, finalize
from kgqa.ingest.load import DEFAULT_MAX_BYTES, LoadFailure, load_paths
from kgqa.ingest.model import Chunk, Document, Extraction, Fact
from kgqa.ingest.resolve import EntityRegistry, Mention, MergeEvent, normalize
from kgqa.ingest.write import DocumentPayload, GraphWriter
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


# --------------------------------------------------------------------------------------------- one document


def corpus_type_votes(extractions: list[list[Extraction]], ontology: Ontology) -> dict[str, Counter]:
    """Normalised name → Counter of the types extractors gave its mentions, over several documents."""
    votes: dict[str, Counter] = {}
    for per_doc in extractions:
        for ex in per_doc:
            for m in ex.mentions:
                if m.type and ontology.entity(m.type):
                    votes.setdefault(normalize(m.name, None), Counter())[m.type] += 1
    return votes


def _apply_consensus(
    mentions: list, facts: list[Fact], ontology: Ontology, registry: EntityRegistry, corpus: dict[str, Counter]
) -> list[str]:
    """Re-type names whose type disagrees with a clear majority (corpus votes + entities already known)."""
    cache: dict[str, Counter] = {}
    changes: list[str] = []

    def votes(name: str) -> Counter:
        key = normalize(name, None)
        if key not in cache:
            c = Counter(corpus.get(key, {}))
            for t in ontology.entity_names:
                if registry.exact(normalize(name, t), t) is not None:
                    c[t] += 3
            cache[key] = c
        return cache[key]

    def consensus(name: str, given: str | None, allowed: list[str]) -> str | None:
        if given is None:
            return None
        c = votes(name)
        if not c:
            return None
        best, n = c.most_common(1)[0]
        if best == given or best not in allowed or n < 2 or n < 2 * c.get(given, 0):
            return None
        changes.append(f"{name!r}: {given} → {best} (type votes across documents: {dict(c)})")
        return best

    all_types = ontology.entity_names
    for m in mentions:
        m.type = consensus(m.name, m.type, all_types) or m.type
    for f in facts:
        rel = ontology.relation(f.relation)
        if rel is None:
            continue
        if len(rel.domain) > 1:
            f.subject_type = consensus(f.subject, f.subject_type, rel.domain) or f.subject_type
        if len(rel.range) > 1:
            f.object_type = consensus(f.object, f.object_type, rel.range) or f.object_type
    return list(dict.fromkeys(changes))


def _known_types(mentions: list, facts: list[Fact], ontology: Ontology, registry: EntityRegistry) -> dict[str, str]:
    """Surface name → entity type, from (by priority) typed mentions, unambiguously typed fact ends, and
    entities already known under the same normalised name (when exactly one type has it)."""
    votes: dict[str, Counter] = {}

    def vote(name: str, type_: str | None, weight: int) -> None:
        if type_ and ontology.entity(type_):
            votes.setdefault(normalize(name, None), Counter())[type_] += weight

    for m in mentions:
        vote(m.name, m.type, 3)
    for f in facts:
        rel = ontology.relation(f.relation)
        if rel is None:
            continue
        vote(f.subject, f.subject_type or (rel.domain[0] if len(rel.domain) == 1 else None), 1)
        vote(f.object, f.object_type or (rel.range[0] if len(rel.range) == 1 else None), 1)
    names = {normalize(n, None): n for f in facts for n in (f.subject, f.object)}
    known: dict[str, str] = {}
    for norm, name in names.items():
        if norm in votes:
            known[name] = votes[norm].most_common(1)[0][0]
            continue
        types = {t for t in ontology.entity_names if registry.exact(normalize(name, t), t) is not None}
        if len(types) == 1:
            known[name] = types.pop()
    return known


def _sentence_for(chunk: Chunk, fact: Fact) -> int | None:
    if fact.sentence_index is not None:
        return fact.sentence_index
    text = " ".join((fact.sentence or "").split())
    if text:
        for s in chunk.sentences:
            flat = " ".join(s.text.split())
            if text == flat or text in flat or flat in text:
                return s.index
    return None


def process_document(
    doc: Document,
    chunks: list[Chunk],
    extractions: list[Extraction],
    ontology: Ontology,
    registry: EntityRegistry,
    extractor_name: str,
    corpus_votes: dict[str, Counter] | None = None,
) -> tuple[DocumentPayload, ConstraintReport, list[MergeEvent], int]:
    """Extractions of one document → a payload to write (resolving entities in ``registry``).

    ``corpus_votes`` (normalised name → type counts over the documents extracted together) lets a clear
    corpus-wide majority correct an extractor's type for a name (e.g. a person typed as an organisation in
    one sentence), in mentions and in fact slots whose domain/range allows that type."""
    if len(extractions) != len(chunks):
        raise InputError(f"the extractor returned {len(extractions)} results for {len(chunks)} chunks")
    owner: dict[int, Chunk] = {}  # sentence index → first chunk holding it (overlapping sentences)
    sentence_text: dict[int, str] = {}
    for chunk in chunks:
        for s in chunk.sentences:
            owner.setdefault(s.index, chunk)
            sentence_text.setdefault(s.index, s.text)
    chunk_by_id = {c.id: c for c in chunks}

    facts: list[Fact] = []
    mentions = []
    for chunk, extraction in zip(chunks, extractions, strict=True):
        for m in extraction.mentions:
            if m.chunk_id not in chunk_by_id:
                m.chunk_id = chunk.id
            mentions.append(m)
        for f in extraction.facts:
            home = chunk_by_id.get(f.chunk_id, chunk)
            index = _sentence_for(home, f)
            if index is not None and index in owner:
                home = owner[index]
            f.doc_id = doc.id
            f.chunk_id = home.id
            f.sentence_index = index
            f.sentence = f.sentence or (sentence_text.get(index, "") if index is not None else "")
            f.extractor = f.extractor or extractor_name
            facts.append(f)

    retyped = _apply_consensus(mentions, facts, ontology, registry, corpus_votes or {})
    known_types = _known_types(mentions, facts, ontology, registry)
    kept, report = check_facts(facts, ontology, known_types)
    report.retyped[:0] = retyped

    def position_of_fact(f: Fact) -> int:
        c = chunk_by_id[f.chunk_id]
        if f.sentence_index is not None:
            for s in c.sentences:
                if s.index == f.sentence_index:
                    return s.start
        return c.start

    def mention_type(m) -> str | None:
        if m.type and ontology.entity(m.type):
            return m.type
        return known_types.get(m.name)  # an untyped mention typed by a fact about the same name

    resolve_mentions: list[Mention] = []
    for m in mentions:
        t = mention_type(m)
        if t is None:
            continue  # untyped mention no fact gave a type to: not an entity we can place
        pos = m.start if m.start is not None else chunk_by_id[m.chunk_id].start
        resolve_mentions.append(Mention(m.name, t, pos))
    for f in kept:
        pos = position_of_fact(f)
        resolve_mentions.append(Mention(f.subject, f.subject_type, pos))
        resolve_mentions.append(Mention(f.object, f.object_type, pos))
    mapping, merges = registry.resolve_document(doc.id, resolve_mentions, doc.title)

    def eid(name: str, type_: str | None) -> str | None:
        return mapping.get((" ".join(name.split()), type_))

    records: list[FactRecord] = []
    for f in kept:
        s, o = eid(f.subject, f.subject_type), eid(f.object, f.object_type)
        if not s or not o:
            continue
        key = f"{f.chunk_id}/{f.sentence_index if f.sentence_index is not None else '-'}"
        records.append(
            FactRecord(
                s,
                f.relation,
                o,
                [Evidence(key, doc.id, f.chunk_id, f.sentence, f.extractor, float(f.confidence))],
            )
        )
    final, report2 = finalize(records, ontology)
    report.extend(report2)

    mention_pairs: list[tuple[str, str]] = []
    for m in mentions:
        t = mention_type(m)
        e = eid(m.name, t) if t else None
        if e:
            mention_pairs.append((m.chunk_id, e))
    for fr in final:
        for ev in fr.evidence:
            mention_pairs.append((ev.chunk_id, fr.subject_id))
            mention_pairs.append((ev.chunk_id, fr.object_id))
    mention_pairs = list(dict.fromkeys(mention_pairs))
    used = {e for _, e in mention_pairs}
    entities = [registry.by_id[e] for e in sorted(used)]
    payload = DocumentPayload(doc=doc, chunks=chunks, entities=entities, mentions=mention_pairs, facts=final)
    return payload, report, merges, len(mentions)


# --------------------------------------------------------------------------------------------- the build


def document_hashes(graph, doc_ids: list[str]) -> dict[str, str | None]:
    """``{doc_id: hash}`` for the given ids that exist in the graph (hash None = never completed)."""
    found: dict[str, str | None] = {}
    for i in range(0, len(doc_ids), 5000):
        rows = graph.read(
            "UNWIND $ids AS id MATCH (d:Document {id: id}) RETURN d.id AS id, d.hash AS hash",
            {"ids": doc_ids[i : i + 5000]},
            max_rows=10_000_000,
            timeout=600,
        ).rows
        found.update({r["id"]: r["hash"] for r in rows})
    return found


def graph_counts(graph) -> dict[str, int]:
    return {
        "documents": graph.value("MATCH (d:Document) RETURN count(d) AS c", default=0),
        "chunks": graph.value("MATCH (c:Chunk) RETURN count(c) AS c", default=0),
        "entities": graph.value("MATCH (e:Entity) RETURN count(e) AS c", default=0),
        "facts": graph.value("MATCH (:Entity)-[r]->(:Entity) RETURN count(r) AS c", default=0),
    }


def run_build(
    graph,
    paths: list[str | Path],
    options: BuildOptions | None = None,
    settings: Any = None,
    *,
    extractor: Any = None,
    progress: Progress | None = None,
) -> BuildReport:
    """Build (or update) the graph from ``paths``; returns the report. Raises GraphUnavailable if the graph
    goes away (everything written before that is complete documents only)."""
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
    group: list[DocumentPayload] = []
    group_rows = 0
    last_flush = time.monotonic()
    batch_rows = getattr(writer.graph.settings, "graph_batch_size", 1000)
    written_ids: set[str] = set()
    constraint_total = ConstraintReport()
    linked: set[str] = set()

    def flush() -> None:
        nonlocal group, group_rows, last_flush
        if not group:
            return
        pending, group, group_rows = group, [], 0
        last_flush = time.monotonic()
        try:
            writer.write_documents(pending, [p.doc.id for p in pending if p.doc.id in existing])
            ok = pending
        except GraphUnavailable:
            raise
        except KgqaError as exc:
            if len(pending) == 1:
                report.fail(pending[0].doc.source or pending[0].doc.id, f"graph refused it: {exc}", pending[0].doc.id)
                return
            ok = []
            for p in pending:  # find the document the server refuses; write the others
                try:
                    writer.write_documents([p], [p.doc.id] if p.doc.id in existing else [])
                    ok.append(p)
                except GraphUnavailable:
                    raise
                except KgqaError as exc1:
                    report.fail(p.doc.source or p.doc.id, f"graph refused it: {exc1}", p.doc.id)
        for p in ok:
            written_ids.add(p.doc.id)
            report.chunks += len(p.chunks)
            report.facts += len(p.facts)
            report.evidence += sum(len(f.evidence) for f in p.facts)

    total = len(todo)
    done = 0
    for start in range(0, total, EXTRACT_WINDOW):
        window = todo[start : start + EXTRACT_WINDOW]
        notify("extracting", done, total)
        extracted = _extract_window(window, extractor, ontology, options)
        votes = corpus_type_votes([ex for _, _, ex in extracted if not isinstance(ex, Exception)], ontology)
        for doc, chunks, result in extracted:
            done += 1
            if isinstance(result, Exception):
                _record_failure(report, doc, result, "extraction failed")
                continue
            extractions = result
            try:
                payload, creport, merges, n_mentions = process_document(
                    doc, chunks, extractions, ontology, registry, report.extractor, votes
                )
            except (GraphUnavailable, KeyboardInterrupt):
                raise
            except Exception as exc:
                _record_failure(report, doc, exc, "processing failed")
                continue
            for ex in extractions:
                report.extraction_errors.extend(f"{doc.id}: {e}" for e in ex.errors)
                for k, v in (ex.usage or {}).items():
                    report.llm_usage[k] = report.llm_usage.get(k, 0) + int(v)
            constraint_total.extend(creport)
            report.mentions += n_mentions
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
            linked.update(e.id for e in payload.entities)
            group.append(payload)
            group_rows += payload.rows
            if (
                group_rows >= batch_rows
                or len(group) >= GROUP_MAX_DOCS
                or time.monotonic() - last_flush >= GROUP_MAX_SECONDS
            ):
                notify("writing", done, total)
                flush()
    flush()
    notify("extracting", total, total)
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
    # Documents that failed are not counted as new/changed.
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
        except (GraphUnavailable, ConfigError, KeyboardInterrupt):  # a wrong key/model fails every document
            raise
        except Exception:
            log.debug("batched extraction failed; extracting one document at a time", exc_info=True)
    out: list[tuple[Document, list[Chunk], list[Extraction] | Exception]] = []
    for doc, chunks in chunked:
        try:
            out.append((doc, chunks, list(extractor.extract(doc, chunks, ontology))))
        except (GraphUnavailable, ConfigError, KeyboardInterrupt):
            raise
        except Exception as exc:  # one bad document must not stop the build
            out.append((doc, chunks, exc))
    return out


def remove_documents(graph, targets: list[str], root: str | Path | None = None) -> dict[str, Any]:
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
