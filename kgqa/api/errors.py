"""One error format everywhere: RFC 9457 problem details (``application/problem+json``) plus a ``hint``.

Every failure the API can produce — validation errors, unknown routes and ids, wrong methods, oversized
bodies, rate limits, a graph that is down, and unexpected bugs — leaves as a problem document; tracebacks
stay in the server log.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from kgqa.errors import ConfigError, GraphUnavailable, InputError, KgqaError, QueryRejected
from kgqa.graph.client import QueryTimedOut

log = logging.getLogger("kgqa.api")

PROBLEM_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:kgqa:problem:"


class Problem(BaseModel):
    """RFC 9457 problem details, with a ``hint`` saying what to do about it."""

    type: str = Field(description="URI naming the kind of problem, e.g. urn:kgqa:problem:not-found.")
    title: str = Field(description="Short, fixed summary of the kind of problem.")
    status: int = Field(description="HTTP status code.")
    detail: str = Field(description="What went wrong in this case.")
    hint: str | None = Field(default=None, description="What to do about it.")
    instance: str | None = Field(default=None, description="The request path.")
    errors: list[dict[str, Any]] | None = Field(default=None, description="Validation errors, one per field.")


class ApiError(Exception):
    """An error that becomes a problem response."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str,
        hint: str | None = None,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.hint = hint
        self.headers = headers or {}
        self.errors = errors


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str,
    hint: str | None = None,
    *,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "hint": hint,
    }
    if instance:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = errors
    return Response(
        json.dumps(body, ensure_ascii=False, default=str),
        status_code=status,
        media_type=PROBLEM_TYPE,
        headers=headers,
    )


# Fixed title, slug and hint for plain HTTP errors raised by routing and middleware.
_HTTP: dict[int, tuple[str, str, str | None]] = {
    400: ("bad-request", "Bad request", "check the request against /openapi.json"),
    401: ("unauthorized", "Missing or invalid API key", "send `Authorization: Bearer KEY` or `X-API-Key: KEY`"),
    403: ("forbidden", "Forbidden", None),
    404: ("not-found", "Not found", "see /docs for the available endpoints"),
    405: ("method-not-allowed", "Method not allowed", "see /docs for the methods each endpoint accepts"),
    406: ("not-acceptable", "Not acceptable", "accept application/json"),
    408: ("request-timeout", "Request timeout", "send the whole request body promptly"),
    409: ("conflict", "Conflict", None),
    413: ("too-large", "Request body too large", None),
    415: ("unsupported-media-type", "Unsupported media type", "send application/json or multipart/form-data"),
    422: ("invalid-request", "Invalid request", "check the request against /openapi.json"),
    429: ("rate-limited", "Too many requests", "slow down and retry after the number of seconds in Retry-After"),
    500: ("internal", "Internal server error", "this is a bug: the server log has the details"),
    503: ("unavailable", "Service unavailable", "retry later"),
    504: ("query-timeout", "Query timed out", "make the query cheaper (anchor it, lower its bounds) and retry"),
}


def http_problem(status: int, detail: str, hint: str | None = None, **kw: Any) -> Response:
    slug, title, default_hint = _HTTP.get(status, ("http-error", "HTTP error", None))
    return problem_response(status, slug, title, detail, hint if hint is not None else default_hint, **kw)


def graph_unavailable_response(exc: GraphUnavailable, instance: str | None = None) -> Response:
    return problem_response(
        503,
        "graph-unavailable",
        "Graph unavailable",
        exc.message,
        exc.hint or "the API reconnects by itself when the graph server is back; retry shortly",
        instance=instance,
        headers={"Retry-After": "5"},
    )


def query_timeout_response(exc: QueryTimedOut, instance: str | None = None) -> Response:
    """504: the graph server stopped a read that ran past KGQA_QUERY_TIMEOUT (its work did stop)."""
    return problem_response(504, "query-timeout", "Query timed out", exc.message, exc.hint, instance=instance)


def _allowed_methods(request: Request) -> list[str]:
    """Every method the OpenAPI schema lists for this path (one path may be served by several routes)."""
    import re

    methods: set[str] = set()
    for template, ops in request.app.openapi().get("paths", {}).items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", ".+", re.escape(template)) + "$"
        if re.match(pattern, request.url.path):
            methods.update(m.upper() for m in ops)
    return sorted(methods)


def _loc(loc: Any) -> str:
    return ".".join(str(part) for part in loc) if isinstance(loc, list | tuple) else str(loc)


async def _api_error(request: Request, exc: ApiError) -> Response:
    return problem_response(
        exc.status,
        exc.slug,
        exc.title,
        exc.detail,
        exc.hint,
        instance=request.url.path,
        headers=exc.headers,
        errors=exc.errors,
    )


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no such endpoint: {request.method} {request.url.path}"
    if exc.status_code == 400 and detail == "There was an error parsing the body":
        detail = "the request body could not be parsed (not JSON, or nested too deeply)"
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
        allowed = _allowed_methods(request)
        if allowed:
            headers["Allow"] = ", ".join(allowed)
    return http_problem(exc.status_code, detail, instance=request.url.path, headers=headers or None)


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    errors = []
    malformed = False
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            malformed = True
        errors.append({"loc": _loc(err.get("loc", ())), "msg": str(err.get("msg", "")), "type": err.get("type")})
    if malformed:
        return problem_response(
            400,
            "malformed-json",
            "Malformed JSON",
            "the request body is not valid JSON",
            "send a JSON object with Content-Type: application/json",
            instance=request.url.path,
            errors=errors,
        )
    first = errors[0] if errors else {"loc": "", "msg": "invalid request"}
    return problem_response(
        422,
        "invalid-request",
        "Invalid request",
        f"{first['loc']}: {first['msg']}" if first["loc"] else first["msg"],
        "check the request against /openapi.json",
        instance=request.url.path,
        errors=errors,
    )


async def _graph_down(request: Request, exc: GraphUnavailable) -> Response:
    return graph_unavailable_response(exc, request.url.path)


async def _kgqa_error(request: Request, exc: KgqaError) -> Response:
    if isinstance(exc, InputError):
        return problem_response(400, "bad-input", "Unusable input", exc.message, exc.hint, instance=request.url.path)
    if isinstance(exc, QueryTimedOut):
        return query_timeout_response(exc, request.url.path)
    if isinstance(exc, QueryRejected):
        return problem_response(
            422, "query-rejected", "Query rejected", exc.message, exc.hint, instance=request.url.path
        )
    if isinstance(exc, ConfigError):
        log.error("configuration error on %s: %s", request.url.path, exc)
        return problem_response(
            500, "configuration", "Server misconfigured", exc.message, exc.hint, instance=request.url.path
        )
    log.error("kgqa error on %s: %s", request.url.path, exc)
    return problem_response(
        502, "graph-query-failed", "Graph query failed", exc.message, exc.hint, instance=request.url.path
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return http_problem(500, f"unexpected {type(exc).__name__}", instance=request.url.path)


_HANDLERS: tuple[tuple[type[Exception], Any], ...] = (
    (ApiError, _api_error),
    (StarletteHTTPException, _http_error),
    (RequestValidationError, _validation_error),
    (GraphUnavailable, _graph_down),
    (KgqaError, _kgqa_error),
    (Exception, _unexpected),
)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem+json."""
    for exc_type, handler in _HANDLERS:
        app.add_exception_handler(exc_type, handler)


# Documented error responses for OpenAPI (so clients and schemathesis know the shape).
def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        _slug, title, _hint = _HTTP.get(code, ("", "Error", None))
        if code == 503:
            title = "Graph unavailable or server busy"
        out[code] = {"model": Problem, "description": title}
    return out
