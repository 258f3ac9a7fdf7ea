"""The FastAPI application factory: ``create_app(settings)``.

Routes live in ``routes_*.py``; errors are problem+json (``errors.py``); keys, rate and size limits in
``security.py``; ingestion jobs in ``jobs.py``; the graph connection in ``graphs.py``.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from kgqa import __version__
from kgqa.api import errors, routes_ask, routes_cypher, routes_documents, routes_entities, routes_system
from kgqa.api.graphs import GraphHolder
from kgqa.api.jobs import JobManager
from kgqa.api.security import GuardMiddleware, parse_keys
from kgqa.config import Settings, get_settings

STATIC = Path(__file__).parent / "static"

DESCRIPTION = """\
Ask multi-hop questions over a knowledge graph built from your documents, and see why: every answer comes
with the checked Cypher that produced it, the supporting subgraph and the source sentences.

Errors are [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) problem details (`application/problem+json`)
with a `hint`. When API keys are configured (`KGQA_API_KEYS`), send one as `Authorization: Bearer KEY` or
`X-API-Key: KEY`.
"""

TAGS = [
    {"name": "ask", "description": "Question answering with citations."},
    {"name": "graph", "description": "Schema, entity search and neighbourhoods, checked read-only Cypher."},
    {"name": "documents", "description": "Ingest and retract documents (background jobs)."},
    {"name": "system", "description": "Liveness and readiness probes."},
]


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API for ``settings`` (default: the process settings)."""
    settings = settings or get_settings()
    holder = GraphHolder(settings)
    jobs = JobManager(settings, holder)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        jobs.shutdown()
        holder.close()

    app = FastAPI(
        title="kgqa",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.graphs = holder
    app.state.jobs = jobs
    app.state.api_keys = parse_keys(settings)

    errors.install(app)
    for module in (routes_system, routes_ask, routes_entities, routes_cypher, routes_documents):
        app.include_router(module.router)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def explorer() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    # Middleware: the last added runs first. CORS must see preflights before the guard limits them.
    app.add_middleware(GuardMiddleware, settings=settings, keys=app.state.api_keys)
    origins = [o.strip() for o in (settings.api_cors_origins or "").split(",") if o.strip()]
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type"],
            expose_headers=["Retry-After", "Location"],
            max_age=600,
        )
    return app
