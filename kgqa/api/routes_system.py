"""Probes and the graph schema: ``GET /healthz``, ``GET /readyz``, ``GET /v1/schema``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from kgqa import __version__
from kgqa.api.errors import graph_unavailable_response, responses
from kgqa.api.security import require_key
from kgqa.errors import GraphUnavailable

router = APIRouter()


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    version: str


class Ready(BaseModel):
    status: str = Field(examples=["ready"])
    graph: dict[str, Any] = Field(description="Where the graph is, its flavour and the ping latency.")


class Pattern(BaseModel):
    start: str
    type: str
    end: str
    count: int | None = Field(default=None, description="How many relationships of this type exist in total.")


class SchemaOut(BaseModel):
    labels: list[str]
    relationship_types: list[str]
    patterns: list[Pattern]
    label_counts: dict[str, int]
    relationship_counts: dict[str, int]
    node_properties: dict[str, list[str]]
    relationship_properties: dict[str, list[str]]
    sampled: bool = Field(description="True when the patterns come from a sample of a large graph.")


@router.get("/healthz", tags=["system"], response_model=Health, summary="The process is up")
def healthz() -> Health:
    return Health(status="ok", version=__version__)


@router.get(
    "/readyz",
    tags=["system"],
    response_model=Ready,
    summary="The graph answers",
    responses=responses(503),
)
def readyz(request: Request) -> Any:
    try:
        info = request.app.state.graphs.ping()
    except GraphUnavailable as exc:
        return graph_unavailable_response(exc, "/readyz")
    return Ready(status="ready", graph=info)


@router.get(
    "/v1/schema",
    tags=["graph"],
    response_model=SchemaOut,
    summary="Labels, relationship patterns and counts",
    dependencies=[Depends(require_key)],
    responses=responses(401, 429, 503),
)
def schema(
    request: Request, response: Response, refresh: bool = Query(False, description="Bypass the 15 s cache.")
) -> SchemaOut:
    sch = request.app.state.graphs.schema(refresh=refresh)
    response.headers["Cache-Control"] = "no-store"
    return SchemaOut(
        labels=sch.labels,
        relationship_types=sch.relationship_types,
        patterns=[Pattern(start=a, type=t, end=b, count=sch.relationship_counts.get(t)) for a, t, b in sch.patterns],
        label_counts=sch.label_counts,
        relationship_counts=sch.relationship_counts,
        node_properties=sch.node_properties,
        relationship_properties=sch.relationship_properties,
        sampled=sch.sampled,
    )
