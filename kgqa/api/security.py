"""API keys, per-client rate limits, request size limits, slow-client and overload protection.

- API keys: ``KGQA_API_KEYS`` (comma-separated), sent as ``Authorization: Bearer KEY`` or ``X-API-Key: KEY``,
  compared in constant time; keys are never logged. With no keys configured, authentication is off (the
  ``serve`` command only allows that on a loopback address).
- Rate limit: a token bucket per API key (when a valid one is sent) or else per client IP; 429 + Retry-After.
- Size limits: JSON bodies and uploads have separate caps (413), enforced on Content-Length and on the bytes
  actually received (chunked bodies); a client that stalls while sending its body gets 408.
- Overload: more than ``api_max_inflight`` requests at once get 503 + Retry-After instead of queueing forever.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import math
import time
from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kgqa.api.errors import ApiError, http_problem
from kgqa.config import Settings

# Paths that are never rate limited nor counted against the in-flight cap (probes, docs, the page).
UNLIMITED_PREFIXES = ("/healthz", "/readyz", "/static/", "/docs", "/openapi.json", "/redoc")


def parse_keys(settings: Settings) -> list[bytes]:
    """The configured API keys (empty: authentication off)."""
    raw = settings.api_keys.get_secret_value() if settings.api_keys else ""
    return [k.strip().encode() for k in raw.split(",") if k.strip()]


def presented_key(headers: Headers) -> str | None:
    """The key a request carries, from ``Authorization: Bearer`` or ``X-API-Key``."""
    auth = headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    key = headers.get("x-api-key", "").strip()
    return key or None


def key_matches(candidate: str | None, keys: list[bytes]) -> bool:
    """Constant-time comparison against every configured key (no early exit)."""
    if candidate is None:
        return False
    given = candidate.encode("utf-8", "surrogateescape")
    ok = False
    for key in keys:
        ok |= hmac.compare_digest(given, key)
    return ok


# OpenAPI security schemes; the checking itself is ``require_key`` (auto_error off: we answer problem+json).
_bearer = HTTPBearer(auto_error=False, description="API key as a bearer token")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key")


async def require_key(
    request: Request,
    _bearer_cred: HTTPAuthorizationCredentials | None = Depends(_bearer),
    _header_key: str | None = Depends(_header),
) -> None:
    """Dependency of every /v1 route: reject requests without a valid key when keys are configured."""
    keys: list[bytes] = request.app.state.api_keys
    if not keys:
        return
    key = presented_key(request.headers)
    if not key_matches(key, keys):
        raise ApiError(
            401,
            "unauthorized",
            "Missing or invalid API key",
            "this server requires an API key" if key is None else "the API key is not valid",
            "send `Authorization: Bearer KEY` or `X-API-Key: KEY` with a key from KGQA_API_KEYS",
            headers={"WWW-Authenticate": 'Bearer realm="kgqa"'},
        )


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    """Token buckets: ``rate`` tokens per second, at most ``burst`` saved up, one per request."""

    def __init__(self, rate: float, burst: int, max_clients: int = 10_000) -> None:
        self.rate = max(rate, 0.0)
        self.burst = max(burst, 1)
        self.max_clients = max_clients
        self.buckets: dict[str, _Bucket] = {}

    def take(self, client: str, now: float | None = None) -> float:
        """Take a token; return 0 when allowed, else the seconds until one is available."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        bucket = self.buckets.get(client)
        if bucket is None:
            if len(self.buckets) >= self.max_clients:
                self._evict(now)
            bucket = self.buckets[client] = _Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)
        bucket.stamp = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate

    def _evict(self, now: float) -> None:
        """Drop full buckets (idle clients); if none are full, drop the oldest half."""
        full_after = self.burst / self.rate
        idle = [c for c, b in self.buckets.items() if now - b.stamp >= full_after]
        for client in idle:
            del self.buckets[client]
        if len(self.buckets) >= self.max_clients:
            for client, _ in sorted(self.buckets.items(), key=lambda kv: kv[1].stamp)[: self.max_clients // 2]:
                del self.buckets[client]


class BodyTooLarge(StarletteHTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body exceeds the limit of {limit} bytes")


class BodyTimeout(StarletteHTTPException):
    def __init__(self, seconds: float) -> None:
        super().__init__(408, f"the request body did not arrive within {seconds:g} seconds")


class GuardMiddleware:
    """Rate limit, in-flight cap, body size and body timeout, before any route runs."""

    def __init__(self, app: ASGIApp, settings: Settings, keys: list[bytes]) -> None:
        self.app = app
        self.settings = settings
        self.keys = keys
        self.limiter = RateLimiter(settings.api_rate_limit, settings.api_rate_burst)
        self.inflight = 0

    def identity(self, scope: Scope, headers: Headers) -> str:
        key = presented_key(headers)
        if key is not None and self.keys and key_matches(key, self.keys):
            return "key:" + hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:16]
        client = scope.get("client")
        return "ip:" + (client[0] if client else "unknown")

    def _body_limit(self, headers: Headers) -> int:
        content_type = headers.get("content-type", "").lower()
        if content_type.startswith("multipart/"):
            return self.settings.api_max_upload_bytes
        return self.settings.api_max_json_bytes

    def refusal(self, scope: Scope, headers: Headers, path: str, limit: int) -> Response | None:
        """The problem response for a request refused before it runs (rate, Content-Length, busy), or None."""
        wait = self.limiter.take(self.identity(scope, headers))
        if wait > 0:
            return http_problem(
                429,
                f"rate limit of {self.settings.api_rate_limit:g} requests/second "
                f"(burst {self.settings.api_rate_burst}) exceeded",
                instance=path,
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )
        length = headers.get("content-length")
        if length is not None:
            if not length.strip().isdigit():
                return http_problem(400, "invalid Content-Length header", instance=path)
            if int(length) > limit:
                return http_problem(
                    413,
                    f"the request body ({int(length)} bytes) exceeds the limit of {limit} bytes",
                    "JSON bodies are limited by KGQA_API_MAX_JSON_BYTES, uploads by KGQA_API_MAX_UPLOAD_BYTES",
                    instance=path,
                )
        if self.inflight >= self.settings.api_max_inflight:
            return http_problem(
                503,
                f"the server is busy ({self.inflight} requests in flight)",
                "retry after the number of seconds in Retry-After",
                instance=path,
                headers={"Retry-After": "2"},
            )
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if path == "/" or path.startswith(UNLIMITED_PREFIXES):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit = self._body_limit(headers)
        refused = self.refusal(scope, headers, path, limit)
        if refused is not None:
            await refused(scope, receive, send)
            return
        guard = _BodyGuard(receive, send, limit, self.settings.api_body_timeout)
        self.inflight += 1
        try:
            await self.app(scope, guard.receive, guard.send)
        except (BodyTooLarge, BodyTimeout) as exc:  # raised outside a route (e.g. while parsing a form)
            if not guard.started:
                await http_problem(exc.status_code, str(exc.detail), instance=path)(scope, receive, send)
        finally:
            self.inflight -= 1


class _BodyGuard:
    """``receive`` with a body size cap and a per-message timeout; ``send`` that notes a started response."""

    def __init__(self, receive: Receive, send: Send, limit: int, timeout: float) -> None:
        self._receive = receive
        self._send = send
        self.limit = limit
        self.timeout = timeout
        self.received = 0
        self.body_done = False
        self.started = False

    async def receive(self) -> Message:
        if self.body_done:  # after the body, receive() only waits for a disconnect: no timeout
            return await self._receive()
        try:
            message = await asyncio.wait_for(self._receive(), timeout=self.timeout)
        except TimeoutError:
            raise BodyTimeout(self.timeout) from None
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                raise BodyTooLarge(self.limit)
            if not message.get("more_body", False):
                self.body_done = True
        else:
            self.body_done = True
        return message

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)
