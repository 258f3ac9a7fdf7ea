"""Adapter between the API and the build pipeline (``kgqa.ingest.pipeline``): ingestion jobs and retraction.

Kept apart from the routes, and imported lazily so the API starts without loading the build pipeline.
Ingestion goes through ``run_build`` exactly like ``kgqa build``:
a JSON document becomes a one-line JSONL file (id, text, title, metadata), an upload keeps its file name
(which becomes its document id, as for ``kgqa build FILE``).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kgqa.api.jobs import Report
from kgqa.config import Settings
from kgqa.graph import queries
from kgqa.graph.access import GraphAccess


def text_doc_id(text: str) -> str:
    """The id of a JSON document sent without one: stable for the same text."""
    return "doc-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _build(graphs: Any, settings: Settings, path: Path, report: Report, source: str) -> dict[str, Any]:
    from kgqa.ingest import pipeline

    def progress(stage: str, done: int, total: int) -> None:
        report(done, total or None, stage)

    result = graphs.run(lambda g: pipeline.run_build(g, [path], settings=settings, progress=progress))
    summary = _plain(result)
    if summary.get("failures"):
        from kgqa.errors import InputError

        reasons = "; ".join(str(f.get("reason")) for f in summary["failures"])
        raise InputError(f"the document could not be ingested: {reasons}", "check the file's format and encoding")
    ids = [*summary.get("new", []), *summary.get("changed", []), *summary.get("unchanged", [])]
    if ids:  # the loader recorded our temporary path as the source; say where it really came from
        graphs.run(lambda g: g.write(queries.SET_DOCUMENT_SOURCE, {"ids": ids, "source": source}))
    return summary


def _workdir(settings: Settings) -> tempfile.TemporaryDirectory:
    uploads = Path(settings.home) / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(dir=uploads)


def text_job(graphs: Any, settings: Settings, doc: dict[str, Any]) -> Callable[[Report], dict[str, Any]]:
    """A job that ingests one JSON document ({text, id?, title?, metadata?})."""
    record = {
        "id": doc.get("id") or text_doc_id(doc["text"]),
        "text": doc["text"],
        "title": doc.get("title"),
        "metadata": doc.get("metadata") or {},
    }

    def work(report: Report) -> dict[str, Any]:
        with _workdir(settings) as tmp:
            path = Path(tmp) / "document.jsonl"
            path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
            summary = _build(graphs, settings, path, report, "api")
        summary["doc_id"] = record["id"]
        return summary

    return work


def file_job(graphs: Any, settings: Settings, name: str, data: bytes) -> Callable[[Report], dict[str, Any]]:
    """A job that ingests one uploaded file (kept in a temporary folder under KGQA_HOME until done)."""

    def work(report: Report) -> dict[str, Any]:
        with _workdir(settings) as tmp:
            path = Path(tmp) / name
            path.write_bytes(data)
            summary = _build(graphs, settings, path, report, f"api upload: {name}")
        if not name.endswith(".jsonl"):
            summary["doc_id"] = name
        return summary

    return work


def retract(graph: GraphAccess, doc_id: str) -> dict[str, Any]:
    """Retract one document (its chunks, its evidence, facts left without evidence)."""
    from kgqa.ingest.pipeline import remove_documents

    return _plain(remove_documents(graph, [doc_id]))


def _plain(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if hasattr(value, "__dataclass_fields__"):
        from dataclasses import asdict

        return asdict(value)
    if isinstance(value, dict):
        return value
    return {"result": str(value)}
