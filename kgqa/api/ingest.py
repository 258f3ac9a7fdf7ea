"""Adapter between the API and the build pipeline (``kgqa.build.pipeline``): ingestion jobs and retraction.

Kept apart from the routes so the API works (answering 503 "not available in this build") when the build
pipeline is not part of the build.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kgqa.api.errors import not_available
from kgqa.api.jobs import Report
from kgqa.config import Settings


def _pipeline():
    try:
        from kgqa.build import pipeline
    except ImportError as exc:
        raise not_available("document ingestion", "kgqa.build.pipeline") from exc
    return pipeline


def check_available() -> None:
    _pipeline()


def check_retract_available() -> None:
    _pipeline()


def text_job(graphs: Any, settings: Settings, doc: dict[str, Any]) -> Callable[[Report], dict[str, Any]]:
    """A job that ingests one text document."""

    def work(report: Report) -> dict[str, Any]:
        pipeline = _pipeline()
        report(0, 1, "ingesting")
        summary = graphs.run(lambda g: pipeline.ingest_text(g, settings, **doc))
        report(1, 1, "done")
        return _plain(summary)

    return work


def file_job(
    graphs: Any, settings: Settings, name: str, data: bytes, fields: dict[str, Any]
) -> Callable[[Report], dict[str, Any]]:
    """A job that ingests one uploaded file (kept in a temporary folder under KGQA_HOME until done)."""

    def work(report: Report) -> dict[str, Any]:
        pipeline = _pipeline()
        uploads = Path(settings.home) / "uploads"
        uploads.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=uploads) as tmp:
            path = Path(tmp) / name
            path.write_bytes(data)
            report(0, 1, "ingesting")
            summary = graphs.run(lambda g: pipeline.ingest_file(g, settings, path, **fields))
            report(1, 1, "done")
        return _plain(summary)

    return work


def retract(graph: Any, settings: Settings, doc_id: str) -> dict[str, Any]:
    pipeline = _pipeline()
    return _plain(pipeline.remove_document(graph, settings, doc_id))


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
