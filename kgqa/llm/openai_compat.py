"""Any OpenAI-compatible ``/chat/completions`` server over plain httpx.

Why httpx and not the ``openai`` package: the same few lines work against OpenAI, Azure OpenAI, Ollama, vLLM,
llama.cpp server and LM Studio, whose error bodies and optional parameters differ; we need to read those
bodies ourselves anyway (to name the setting to fix), and it keeps one dependency fewer.
"""

from __future__ import annotations

import email.utils
import logging
import os
import random
import re
import threading
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from kgqa.llm.base import (
    LLM,
    Completion,
    ContextLengthExceeded,
    GenParams,
    LLMConfigError,
    LLMError,
    LLMTimeout,
    LLMUnavailable,
    Message,
)

log = logging.getLogger(__name__)

OPENAI_BASE_URL = "https://api.openai.com/v1"
_CONTEXT_PATTERNS = re.compile(
    r"context[_ ]length|maximum context|context size|context window|too many tokens|exceed_context|"
    r"prompt is too long|input is too long|reduce the length",
    re.IGNORECASE,
)
_MODEL_NOT_FOUND = re.compile(
    r"model[_ ]not[_ ]found|does not exist|not found, try pulling|unknown model|no such model|model .* not found",
    re.IGNORECASE,
)


def _sanitize_name(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", value)[:64] or "output"


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait as the server asked (``retry-after-ms``, ``Retry-After`` seconds or HTTP date)."""
    ms = response.headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, when.timestamp() - time.time())
        except (TypeError, ValueError):
            return None


# Schema keywords a server's grammar compiler chokes on (llama.cpp segfaulted on maxLength 2000): limits are
# checked by pydantic on the reply instead, so they stay out of what is sent.
_GRAMMAR_UNFRIENDLY = frozenset(
    {"maxLength", "minLength", "maxItems", "minItems", "maxProperties", "minProperties", "pattern", "format"}
)


def grammar_schema(schema: Any) -> Any:
    """``schema`` without length/size limits (recursively); everything else unchanged."""
    if isinstance(schema, dict):
        out = {}
        for key, value in schema.items():
            if key in ("properties", "$defs", "definitions") and isinstance(value, dict):
                out[key] = {name: grammar_schema(sub) for name, sub in value.items()}  # names, not keywords
            elif key not in _GRAMMAR_UNFRIENDLY:
                out[key] = grammar_schema(value)
        return out
    if isinstance(schema, list):
        return [grammar_schema(v) for v in schema]
    return schema


def _rejects_response_format(low: str) -> bool:
    """True when an error message (lower-cased) says the server does not take our response_format."""
    return "response_format" in low or "json_schema" in low or "json schema" in low or "json_object" in low


def _deterministic(response: httpx.Response) -> bool:
    """A 5xx that is really a validation error of the request (llama.cpp): retrying cannot help."""
    return _rejects_response_format(_error_message(response).lower())


def _first_token_logprobs(choice: dict[str, Any]) -> dict[str, float]:
    """``{token: logprob}`` of the first generated token's alternatives, when the server sent them."""
    try:
        first = (choice.get("logprobs") or {}).get("content")[0]
        return {str(t["token"]): float(t["logprob"]) for t in first.get("top_logprobs") or []}
    except (TypeError, IndexError, KeyError, ValueError, AttributeError):
        return {}


def _error_message(response: httpx.Response) -> str:
    """The server's own error text, from any of the error shapes compatible servers use."""
    try:
        data = response.json()
    except ValueError:
        return response.text.strip()[:500]
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict):
            parts = [str(err.get("message") or err.get("detail") or "")]
            if err.get("code") and str(err.get("code")) not in parts[0]:
                parts.append(f"(code: {err.get('code')})")
            return " ".join(p for p in parts if p).strip()[:500] or str(data)[:500]
        if isinstance(err, str):
            return err[:500]
    return str(data)[:500]


class OpenAICompatLLM(LLM):
    """Chat completions on an OpenAI-compatible server, with retries, fallbacks and clear errors."""

    provider = "openai"
    backoff_base = 0.5  # seconds; doubled per attempt, with jitter
    backoff_cap = 20.0
    retry_after_cap = 120.0

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        json_mode: str = "json_schema",
    ) -> None:
        if not model:
            raise LLMConfigError("the LLM spec names no model", "use openai:MODEL, e.g. KGQA_LLM=openai:gpt-4o-mini")
        self.model = model
        self.base_url = (base_url or OPENAI_BASE_URL).rstrip("/")
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise LLMConfigError(
                f"KGQA_LLM_BASE_URL is not an http(s) URL: {self.base_url!r}",
                "set it like http://localhost:11434/v1 (Ollama) or https://api.openai.com/v1",
            )
        self._query = parts.query
        self._root = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
        self.is_openai = parts.netloc.endswith("api.openai.com")
        self.is_azure = parts.netloc.endswith(".azure.com")
        key = (api_key or os.environ.get("OPENAI_API_KEY")) if self.is_openai else api_key
        if self.is_openai and not key:
            raise LLMConfigError(
                "KGQA_LLM_API_KEY is not set, and the OpenAI API needs a key",
                "export KGQA_LLM_API_KEY=sk-... (or set KGQA_LLM_BASE_URL to a local server such as Ollama)",
            )
        headers = {"Content-Type": "application/json", "User-Agent": "kgqa"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
            if self.is_azure:
                headers["api-key"] = key
        self.timeout = timeout
        self.max_retries = max(0, max_retries)
        self._client = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
        )
        self._lock = threading.Lock()
        self._json_schema_ok: bool | None = None
        # How a schema is sent: json_schema (OpenAI style), then json_object + schema (llama.cpp), then prompt only.
        self._json_mode = json_mode
        self._dropped: set[str] = set()  # optional parameters this server rejected
        self._max_tokens_key = "max_tokens"
        self.requests_sent = 0
        self._cooldown_until = 0.0  # monotonic time before which no request is sent (shared 429 back-off)

    # ------------------------------------------------------------------------------------------ interface

    @property
    def supports_json_schema(self) -> bool | None:
        return self._json_schema_ok

    def close(self) -> None:
        self._client.close()

    def _url(self, path: str) -> str:
        url = f"{self._root}/{path.lstrip('/')}"
        return f"{url}?{self._query}" if self._query else url

    def _body(self, messages: list[Message], params: GenParams, json_schema: dict[str, Any] | None) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "messages": messages, "stream": False}
        optional: dict[str, Any] = {
            "temperature": params.temperature,
            "top_p": params.top_p,
            "seed": params.seed,
            self._max_tokens_key: params.max_new_tokens,
        }
        if params.top_k is not None and not self.is_openai and not self.is_azure:
            optional["top_k"] = params.top_k
        if params.stop:
            optional["stop"] = list(params.stop)
        if params.top_logprobs:
            optional["logprobs"] = True
            optional["top_logprobs"] = params.top_logprobs
        for name, value in optional.items():
            if value is not None and name not in self._dropped:
                body[name] = value
        if json_schema is not None and self._json_mode == "json_schema":
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": _sanitize_name(str(json_schema.get("title", "output"))),
                    "schema": grammar_schema(json_schema),
                    "strict": False,
                },
            }
        elif json_schema is not None and self._json_mode == "json_object":
            body["response_format"] = {"type": "json_object", "schema": grammar_schema(json_schema)}
        return body

    def complete(
        self,
        messages: list[Message],
        params: GenParams | None = None,
        json_schema: dict[str, Any] | None = None,
        *,
        prompt: str | None = None,
    ) -> Completion:
        params = params or GenParams()
        for _adaptation in range(4):  # each round may drop one unsupported option and try again
            body = self._body(messages, params, json_schema)
            started = time.perf_counter()
            response = self._post("chat/completions", body)
            latency = (time.perf_counter() - started) * 1000.0
            if response.status_code == 200:
                return self._completion(response, latency, body.get("response_format", {}).get("type"), prompt)
            message = _error_message(response)
            if response.status_code in (400, 422, 500) and self._adapt(message, body):
                continue
            raise self._error(response.status_code, message)
        raise LLMError(f"{self.spec}: the server rejected every request variant", "run `kgqa llm check --debug`")

    def list_models(self) -> list[str]:
        """Model ids the server offers (``GET /models``); empty when the server does not say."""
        try:
            response = self._client.get(self._url("models"))
        except httpx.HTTPError:
            return []
        if response.status_code != 200:
            return []
        try:
            return [str(m.get("id")) for m in response.json().get("data", []) if isinstance(m, dict)]
        except (ValueError, AttributeError):
            return []

    # ------------------------------------------------------------------------------------------ internals

    def _adapt(self, message: str, body: dict[str, Any]) -> bool:
        """Drop an option the server says it does not support; True when a retry makes sense."""
        low = message.lower()
        if "response_format" in body and _rejects_response_format(low):
            sent = body["response_format"].get("type")
            self._json_mode = "json_object" if sent == "json_schema" else "prompt"
            self._json_schema_ok = False
            log.warning("%s does not accept response_format %s; trying %s", self.spec, sent, self._json_mode)
            return True
        if self._max_tokens_key == "max_tokens" and "max_completion_tokens" in low:
            self._max_tokens_key = "max_completion_tokens"
            return True
        for name in ("top_k", "seed", "top_p", "temperature", "stop"):
            mentioned = name in body and name not in self._dropped and re.search(rf"\b{name}\b", low)
            if mentioned and any(
                w in low for w in ("unsupported", "not supported", "unrecognized", "unknown", "extra")
            ):
                log.warning("%s rejects %s; sending requests without it", self.spec, name)
                self._dropped.add(name)
                return True
        return False

    def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        """POST with retries on 429 / 5xx / connection errors / timeouts (exponential backoff, jitter)."""
        url = self._url(path)
        attempt = 0
        while True:
            wait = self._cooldown_until - time.monotonic()
            if wait > 0:  # another thread was told to back off (429 Retry-After): all threads wait
                time.sleep(min(wait, self.retry_after_cap))
            try:
                with self._lock:
                    self.requests_sent += 1
                response = self._client.post(url, json=body)
            except httpx.TimeoutException as exc:
                if attempt >= self.max_retries:
                    raise LLMTimeout(
                        f"{self.spec}: no reply within {self.timeout:g}s from {self.base_url} "
                        f"(after {attempt + 1} attempt(s))",
                        "raise KGQA_LLM_TIMEOUT, or use a smaller/faster model",
                    ) from exc
                self._sleep(attempt, None, f"timeout: {exc.__class__.__name__}")
                attempt += 1
                continue
            except httpx.TransportError as exc:
                if attempt >= self.max_retries:
                    raise LLMConfigError(
                        f"{self.spec}: cannot connect to {self.base_url} ({exc.__class__.__name__}: {exc})",
                        "check KGQA_LLM_BASE_URL and that the server is running (e.g. `ollama serve`)",
                    ) from exc
                self._sleep(attempt, None, f"connection error: {exc}")
                attempt += 1
                continue
            retryable = response.status_code == 429 or (response.status_code >= 500 and not _deterministic(response))
            if retryable and attempt < self.max_retries:
                retry_after = _retry_after(response)
                if response.status_code == 429 and retry_after:
                    with self._lock:
                        until = time.monotonic() + min(retry_after, self.retry_after_cap)
                        self._cooldown_until = max(self._cooldown_until, until)
                self._sleep(attempt, retry_after, f"HTTP {response.status_code}")
                attempt += 1
                continue
            return response

    def _sleep(self, attempt: int, retry_after: float | None, why: str) -> None:
        if retry_after is not None:
            delay = min(retry_after, self.retry_after_cap)
        else:
            delay = min(self.backoff_cap, self.backoff_base * (2**attempt)) * (0.5 + random.random())
        log.info("%s: %s; retry %d/%d in %.2fs", self.spec, why, attempt + 1, self.max_retries, delay)
        time.sleep(delay)

    def _completion(
        self, response: httpx.Response, latency: float, json_sent: str | None, prompt: str | None
    ) -> Completion:
        try:
            data = response.json()
            choice = data["choices"][0]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise LLMError(
                f"{self.spec}: the server answered 200 but not with a chat completion: {response.text[:200]!r}",
                "check that KGQA_LLM_BASE_URL points at an OpenAI-compatible /v1 endpoint",
            ) from exc
        if json_sent == "json_schema":
            self._json_schema_ok = True
        msg = choice.get("message") or {}
        text = msg.get("content") or choice.get("text") or ""
        usage = data.get("usage") or {}
        prompt_tokens = int(usage.get("prompt_tokens") or 0)
        completion_tokens = int(usage.get("completion_tokens") or 0)
        return Completion(
            text=text,
            usage={"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens},
            model=str(data.get("model") or self.model),
            provider=self.provider,
            cached=False,
            latency_ms=latency,
            finish_reason=choice.get("finish_reason"),
            json_mode=json_sent or "prompt",
            prompt=prompt,
            top_logprobs=_first_token_logprobs(choice),
        )

    def _error(self, status: int, message: str) -> LLMError:
        where = f"{self.spec} at {self.base_url}"
        if status in (401, 403):
            return LLMConfigError(
                f"{where} rejected the API key (HTTP {status}): {message}",
                "set KGQA_LLM_API_KEY to a valid key for this server",
            )
        if status == 404:
            if _MODEL_NOT_FOUND.search(message):
                return LLMConfigError(
                    f"{where}: unknown model {self.model!r}: {message}",
                    "fix the model name in KGQA_LLM / --llm (see `kgqa llm check`; for Ollama: `ollama pull MODEL`)",
                )
            return LLMConfigError(
                f"{where}: no chat-completions endpoint (HTTP 404: {message[:120]})",
                "KGQA_LLM_BASE_URL must end at the API root, usually .../v1 (e.g. http://localhost:11434/v1)",
            )
        if status in (400, 413, 422) and _CONTEXT_PATTERNS.search(message):
            return ContextLengthExceeded(
                f"{where}: the prompt does not fit the model's context window: {message}",
                "use a model with a longer context, or smaller chunks (kgqa build --chunk-size) / fewer examples",
            )
        if status == 429:
            return LLMUnavailable(
                f"{where} is rate limiting (HTTP 429) after {self.max_retries} retries: {message}",
                "lower KGQA_LLM_CONCURRENCY, raise KGQA_LLM_MAX_RETRIES, or wait",
            )
        if status >= 500:
            return LLMUnavailable(
                f"{where} failed with HTTP {status} after {self.max_retries} retries: {message}",
                "the LLM server is failing; check its logs or raise KGQA_LLM_MAX_RETRIES",
            )
        return LLMError(f"{where} refused the request (HTTP {status}): {message}", "run `kgqa llm check` for details")
