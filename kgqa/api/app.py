"""The FastAPI application factory: ``create_app(settings)``.

Routes live in ``routes_*.py``; errors are problem+json (``errors.py``); keys, rate and size limits in
``security.py``; ingestion jobs in ``jobs.py``; the graph connection in ``graphs.py``.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from kgqa import __version__
from kgqa.api import errors, routes_ask, routes_cypher, routes_documents, routes_entities, routes_system
from kgqa.api.errors import PROBLEM_TYPE
from kgqa.api.graphs import GraphHolder
from kgqa.api.jobs import JobManager
from kgqa.api.routes_ask import allowed_llms
from kgqa.api.security import GuardMiddleware, parse_keys
from kgqa.config import Settings, get_settings
from kgqa.qa.answer_cache import AnswerCache

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


def _openapi(app: FastAPI) -> dict:
    """The generated schema, with every error response documented as problem+json, and no security
    requirement when the server runs without API keys (so the schema says what the server does)."""
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
    for ops in schema.get("paths", {}).values():
        for op in ops.values():
            for code, resp in op.get("responses", {}).items():
                if code.startswith(("4", "5")):
                    resp["content"] = {PROBLEM_TYPE: problem}
                    if code == "422":
                        resp["description"] = "Invalid request"
            if not app.state.api_keys:
                op.pop("security", None)
    components = schema.setdefault("components", {})
    options = components.get("schemas", {}).get("AskOptions", {}).get("properties", {})
    if "llm" in options:  # the LLMs this server allows, as an enum
        options["llm"]["anyOf"] = [
            {"type": "string", "enum": sorted(allowed_llms(app.state.settings))},
            {"type": "null"},
        ]
    if not app.state.api_keys:
        components.pop("securitySchemes", None)
    schemas = components.setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    return schema


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
        generate_unique_id_function=lambda route: route.name,  # operationIds: ask, search_entities, ...
        docs_url=None,  # served below from vendored swagger-ui files: no CDN at run time
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.graphs = holder
    app.state.answers = AnswerCache(settings.answer_cache_size, settings.answer_cache_ttl)
    app.state.jobs = jobs
    app.state.api_keys = parse_keys(settings)

    errors.install(app)
    for module in (routes_system, routes_ask, routes_entities, routes_cypher, routes_documents):
        app.include_router(module.router)

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = _openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="kgqa API",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="data:,",
            swagger_ui_parameters={"validatorUrl": None},  # no call to the online validator
        )

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
