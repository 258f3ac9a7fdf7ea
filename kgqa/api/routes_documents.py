"""Documents: ``POST /v1/documents`` (JSON text or a file upload) starts an ingestion job,
``GET /v1/jobs/{id}`` reports it, ``DELETE /v1/documents/{id}`` retracts a document, ``GET /v1/documents`` lists.
"""

from __future__ import annotations

import json
import re
from pathlib import Path as FsPath
from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import UploadFile
from starlette.responses import JSONResponse

from kgqa.api import ingest
from kgqa.api.errors import ApiError, responses
from kgqa.api.jobs import Job, QueueFull
from kgqa.api.security import require_key

router = APIRouter(prefix="/v1", tags=["documents"], dependencies=[Depends(require_key)])

UPLOAD_SUFFIXES = {".txt", ".text", ".md", ".markdown", ".html", ".htm", ".pdf", ".jsonl", ".ndjson"}
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, pattern=r"\S", description="The document's text.")
    id: str | None = Field(
        default=None,
        min_length=1,
        max_length=300,
        pattern=r"\S",
        description="Stable document id (default: doc- and a hash of the text). Sending the same id again "
        "replaces that document's facts (unchanged text is skipped).",
    )
    title: str | None = Field(default=None, max_length=500)
    metadata: dict[str, Any] = Field(default_factory=dict, description="Kept on the Document node as JSON.")


class JobAccepted(BaseModel):
    job_id: str
    status: str
    href: str = Field(description="Poll this URL for status, progress, summary and errors.")


class DocumentInfo(BaseModel):
    id: str
    title: str | None = None
    source: str | None = None
    ingested_at: str | None = None
    chunks: int


class DocumentList(BaseModel):
    documents: list[DocumentInfo]
    truncated: bool


class Retraction(BaseModel):
    id: str
    retracted: bool
    summary: dict[str, Any] = Field(default_factory=dict)


_DOC_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": DocumentIn.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "A .txt, .md, .html, .pdf or .jsonl file; its name becomes the document id.",
                        },
                    },
                }
            },
        },
    }
}


def _safe_name(name: str | None) -> str:
    base = FsPath(name or "upload.txt").name
    cleaned = _SAFE.sub("_", base).strip("._") or "upload.txt"
    return cleaned[:120]


async def _parse(request: Request) -> tuple[dict[str, Any], bytes | None, str | None]:
    """(fields, file bytes, file name) from a JSON or multipart body; problem+json on anything else."""
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith("multipart/form-data"):
        try:
            form = await request.form(max_files=1, max_fields=10)
        except ApiError:
            raise
        except Exception as exc:
            if getattr(exc, "status_code", None) in (408, 413):
                raise
            raise ApiError(400, "bad-upload", "Bad upload", f"cannot read the multipart body: {exc}") from exc
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ApiError(
                422,
                "invalid-request",
                "Invalid request",
                "file: a multipart field named `file` is required",
                "curl -F file=@notes.txt http://127.0.0.1:8000/v1/documents",
            )
        data = await upload.read()
        return {}, data, upload.filename
    if content_type.startswith("application/json") or content_type.endswith("+json") or not content_type:
        raw = await request.body()
        try:
            payload = json.loads(raw)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError, absurd nesting
            raise ApiError(
                400,
                "malformed-json",
                "Malformed JSON",
                "the request body is not valid JSON"
                + (": nested too deeply" if isinstance(exc, RecursionError) else f": {exc}"),
                "send a JSON object with Content-Type: application/json",
            ) from exc
        if not isinstance(payload, dict):
            raise ApiError(422, "invalid-request", "Invalid request", "the body must be a JSON object")
        return payload, None, None
    raise ApiError(
        415,
        "unsupported-media-type",
        "Unsupported media type",
        f"cannot ingest a {content_type.split(';')[0]} body",
        'send application/json ({"text": ...}) or multipart/form-data with a `file` field',
    )


@router.post(
    "/documents",
    status_code=202,
    response_model=JobAccepted,
    summary="Ingest a document (JSON text or a file upload) in a background job",
    openapi_extra=_DOC_BODY,
    responses=responses(400, 401, 413, 415, 422, 429, 503),
)
async def post_document(request: Request) -> JSONResponse:
    fields, data, filename = await _parse(request)
    settings = request.app.state.settings
    if data is None:
        try:
            doc = DocumentIn.model_validate(fields)
        except ValidationError as exc:
            errs = [
                {"loc": ".".join(str(p) for p in e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()
            ]
            raise ApiError(
                422,
                "invalid-request",
                "Invalid request",
                f"{errs[0]['loc']}: {errs[0]['msg']}" if errs else "invalid document",
                'send {"text": "...", "id": "optional-id", "title": "optional"}',
                errors=errs,
            ) from exc
        if not doc.text.strip():
            raise ApiError(422, "invalid-request", "Invalid request", "text: must not be blank")
        info = {
            "kind": "text",
            "id": doc.id or ingest.text_doc_id(doc.text),
            "title": doc.title,
            "chars": len(doc.text),
        }
        work = ingest.text_job(request.app.state.graphs, settings, doc.model_dump())
    else:
        name = _safe_name(filename)
        suffix = FsPath(name).suffix.lower()
        if suffix not in UPLOAD_SUFFIXES:
            raise ApiError(
                415,
                "unsupported-file-type",
                "Unsupported file type",
                f"cannot ingest {suffix or 'a file without an extension'}",
                "upload one of: " + ", ".join(sorted(UPLOAD_SUFFIXES)),
            )
        if not data:
            raise ApiError(422, "invalid-request", "Invalid request", "file: the uploaded file is empty")
        info = {"kind": "file", "filename": name, "bytes": len(data)}
        work = ingest.file_job(request.app.state.graphs, settings, name, data)
    try:
        job = request.app.state.jobs.submit("ingest", work, info)
    except QueueFull as exc:
        raise ApiError(
            429,
            "too-many-jobs",
            "Too many ingestion jobs",
            str(exc),
            "retry when the running jobs finish",
            headers={"Retry-After": "10"},
        ) from exc
    href = f"/v1/jobs/{job.id}"
    return JSONResponse(
        JobAccepted(job_id=job.id, status=job.status, href=href).model_dump(),
        status_code=202,
        headers={"Location": href},
    )


@router.get(
    "/jobs/{job_id}",
    response_model=Job,
    summary="Status, progress, summary and errors of a job",
    responses=responses(401, 404, 429),
)
def get_job(request: Request, job_id: str = Path(..., min_length=1, max_length=64)) -> Job:
    job = request.app.state.jobs.get(job_id)
    if job is None:
        raise ApiError(
            404,
            "job-not-found",
            "Job not found",
            f"no job with id {job_id!r}",
            "job ids come from POST /v1/documents; jobs are kept in memory until the server restarts",
        )
    return job


@router.get(
    "/documents",
    response_model=DocumentList,
    summary="List ingested documents",
    responses=responses(401, 422, 429, 503),
)
def list_documents(request: Request, limit: int = Query(100, ge=1, le=1000)) -> DocumentList:
    rows = request.app.state.graphs.run(
        lambda g: (
            g.read(
                "MATCH (d:Document) OPTIONAL MATCH (c:Chunk)-[:PART_OF]->(d) "
                "RETURN d.id AS id, d.title AS title, d.source AS source, d.ingested_at AS ingested_at, count(c) AS chunks "
                "ORDER BY id LIMIT $limit",
                {"limit": limit + 1},
                max_rows=limit + 1,
            ).rows
        )
    )
    docs = [
        DocumentInfo(
            id=str(r["id"]),
            title=r.get("title"),
            source=r.get("source"),
            ingested_at=str(r["ingested_at"]) if r.get("ingested_at") is not None else None,
            chunks=int(r.get("chunks") or 0),
        )
        for r in rows[:limit]
    ]
    return DocumentList(documents=docs, truncated=len(rows) > limit)


@router.delete(
    "/documents/{doc_id:path}",
    response_model=Retraction,
    summary="Retract a document: its chunks, and every fact whose only evidence it was",
    responses=responses(401, 404, 422, 429, 503),
)
def delete_document(request: Request, doc_id: str = Path(..., min_length=1, max_length=300)) -> Retraction:
    holder = request.app.state.graphs
    exists = holder.run(lambda g: g.value("MATCH (d:Document {id: $id}) RETURN count(d) AS c", {"id": doc_id}, 0))
    if not exists:
        raise ApiError(
            404,
            "document-not-found",
            "Document not found",
            f"no document with id {doc_id!r}",
            "list documents with GET /v1/documents",
        )
    summary = holder.run(lambda g: ingest.retract(g, doc_id))
    holder.invalidate_schema()
    return Retraction(id=doc_id, retracted=True, summary=summary)
