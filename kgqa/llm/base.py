"""The one small LLM interface every provider implements, plus errors and usage accounting."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from kgqa.errors import ConfigError, KgqaError, ServiceUnavailable

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": "..."}
Task = Literal["extraction", "cypher", "answer", "check"]


class LLMError(KgqaError):
    """An LLM request failed in a way the user can act on (the message names the setting to fix)."""

    exit_code = 5


class LLMConfigError(ConfigError):
    """The LLM spec, URL, key or model is wrong."""

    exit_code = 5


class LLMUnavailable(LLMError, ServiceUnavailable):
    """The server could not be reached or kept failing after retries (a build stops on it)."""


class LLMTimeout(LLMUnavailable):
    """The server did not answer within KGQA_LLM_TIMEOUT."""


class ContextLengthExceeded(LLMError):
    """The prompt does not fit in the model's context window."""


class OutputTruncated(LLMError):
    """The reply stopped at the max-new-tokens limit (finish_reason == "length")."""


class StructuredOutputError(LLMError):
    """The reply never became valid JSON for the schema, even after re-asking."""


@dataclass(frozen=True)
class GenParams:
    """Generation parameters. ``top_k`` is sent only where the provider supports it."""

    temperature: float = 0.0
    top_p: float | None = None
    top_k: int | None = None
    max_new_tokens: int = 512
    seed: int | None = 0
    stop: tuple[str, ...] = ()
    top_logprobs: int | None = None  # ask for the first token's N most likely alternatives (where supported)

    def with_(self, **changes: Any) -> GenParams:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def to_dict(self) -> dict[str, Any]:
        return {
            "temperature": self.temperature,
            "top_p": self.top_p,
            "top_k": self.top_k,
            "max_new_tokens": self.max_new_tokens,
            "seed": self.seed,
            "stop": list(self.stop),
        } | ({"top_logprobs": self.top_logprobs} if self.top_logprobs else {})


# Per-task defaults: deterministic decoding for anything that must parse (Cypher, extraction JSON).
TASK_DEFAULTS: dict[str, GenParams] = {
    "extraction": GenParams(temperature=0.0, max_new_tokens=1024),
    "cypher": GenParams(temperature=0.0, max_new_tokens=512),
    "answer": GenParams(temperature=0.2, top_p=0.95, max_new_tokens=400),
    "check": GenParams(temperature=0.0, max_new_tokens=16),
}


def task_params(task: str, settings: Any = None) -> GenParams:
    """The default parameters for a task, with ``KGQA_LLM_MAX_TOKENS`` applied when set."""
    params = TASK_DEFAULTS.get(task, GenParams())
    max_tokens = getattr(settings, "llm_max_tokens", None) if settings is not None else None
    return params.with_(max_new_tokens=max_tokens) if max_tokens else params


@dataclass
class Completion:
    """One reply. ``usage`` has prompt_tokens and completion_tokens (0 when the server does not say)."""

    text: str
    usage: dict[str, int] = field(default_factory=lambda: {"prompt_tokens": 0, "completion_tokens": 0})
    model: str = ""
    provider: str = ""
    cached: bool = False
    latency_ms: float = 0.0
    finish_reason: str | None = None
    json_mode: str = "prompt"  # "json_schema" when the server enforced the schema, else "prompt"
    prompt: str | None = None  # prompt name@version
    top_logprobs: dict[str, float] = field(default_factory=dict)  # first token's alternatives → log-probability

    @property
    def total_tokens(self) -> int:
        return int(self.usage.get("prompt_tokens", 0)) + int(self.usage.get("completion_tokens", 0))

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "usage": dict(self.usage),
            "model": self.model,
            "provider": self.provider,
            "cached": self.cached,
            "latency_ms": round(self.latency_ms, 1),
            "finish_reason": self.finish_reason,
            "json_mode": self.json_mode,
            "prompt": self.prompt,
        } | ({"top_logprobs": self.top_logprobs} if self.top_logprobs else {})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Completion:
        return cls(
            text=data.get("text", ""),
            usage={k: int(v) for k, v in (data.get("usage") or {}).items()},
            model=data.get("model", ""),
            provider=data.get("provider", ""),
            cached=bool(data.get("cached", False)),
            latency_ms=float(data.get("latency_ms", 0.0)),
            finish_reason=data.get("finish_reason"),
            json_mode=data.get("json_mode", "prompt"),
            prompt=data.get("prompt"),
            top_logprobs={str(k): float(v) for k, v in (data.get("top_logprobs") or {}).items()},
        )


class LLM(ABC):
    """A chat model. Implementations must be safe to call from several threads."""

    provider: str = ""
    model: str = ""

    @property
    def spec(self) -> str:
        return f"{self.provider}:{self.model}"

    @property
    def supports_json_schema(self) -> bool | None:
        """True/False once known; None when not yet probed."""
        return False

    @abstractmethod
    def complete(
        self,
        messages: list[Message],
        params: GenParams | None = None,
        json_schema: dict[str, Any] | None = None,
        *,
        prompt: str | None = None,
    ) -> Completion:
        """Send ``messages``; ``json_schema`` asks for a reply matching it (enforced when the server can)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections or model memory."""


# --------------------------------------------------------------------------------------------------- usage


@dataclass
class UsageRecord:
    calls: int = 0
    cached: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0  # tokens of replies served from cache (not paid for)
    latency_ms: float = 0.0
    errors: int = 0


class UsageMeter:
    """Tokens, calls, cache hits and cost summed per command, per task/prompt and in total. Thread-safe."""

    def __init__(self, price_prompt: float = 0.0, price_completion: float = 0.0) -> None:
        self._lock = threading.Lock()
        self.price_prompt = price_prompt  # USD per 1M tokens
        self.price_completion = price_completion
        self.total = UsageRecord()
        self.by_prompt: dict[str, UsageRecord] = {}
        self.models: set[str] = set()

    def reset(self) -> None:
        with self._lock:
            self.total = UsageRecord()
            self.by_prompt = {}
            self.models = set()

    def record(self, completion: Completion) -> None:
        with self._lock:
            self.models.add(f"{completion.provider}:{completion.model}")
            for rec in (self.total, self.by_prompt.setdefault(completion.prompt or "-", UsageRecord())):
                rec.calls += 1
                if completion.cached:
                    rec.cached += 1
                    rec.cached_tokens += completion.total_tokens
                else:
                    rec.prompt_tokens += int(completion.usage.get("prompt_tokens", 0))
                    rec.completion_tokens += int(completion.usage.get("completion_tokens", 0))
                    rec.latency_ms += completion.latency_ms

    def record_error(self, prompt: str | None = None) -> None:
        with self._lock:
            self.total.errors += 1
            self.by_prompt.setdefault(prompt or "-", UsageRecord()).errors += 1

    def cost(self, rec: UsageRecord | None = None) -> float:
        rec = rec or self.total
        return rec.prompt_tokens * self.price_prompt / 1e6 + rec.completion_tokens * self.price_completion / 1e6

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary for build/ask reports and traces."""
        with self._lock:

            def one(rec: UsageRecord) -> dict[str, Any]:
                return {
                    "calls": rec.calls,
                    "cache_hits": rec.cached,
                    "prompt_tokens": rec.prompt_tokens,
                    "completion_tokens": rec.completion_tokens,
                    "cached_tokens": rec.cached_tokens,
                    "errors": rec.errors,
                    "cost_usd": round(self.cost(rec), 6),
                }

            out = one(self.total)
            out["models"] = sorted(self.models)
            out["by_prompt"] = {name: one(rec) for name, rec in sorted(self.by_prompt.items())}
            return out


_meter = UsageMeter()


def usage_meter() -> UsageMeter:
    """The process-wide meter (one CLI command = one process; the API resets it per request if it wants)."""
    return _meter
