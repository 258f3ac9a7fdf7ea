"""Resolve an LLM spec (``offline`` | ``local[:MODEL]`` | ``openai:MODEL`` | ``transformers:PATH_OR_NAME``) into a provider."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kgqa.llm.base import LLM, LLMConfigError, usage_meter
from kgqa.llm.cache import LLMCache, ManagedLLM

PROVIDERS = ("offline", "local", "openai", "transformers")
_TASK_FIELDS = {"extraction": "llm_extraction", "cypher": "llm_cypher", "answer": "llm_answer"}
_TASK_ENV = {"extraction": "KGQA_LLM_EXTRACTION", "cypher": "KGQA_LLM_CYPHER", "answer": "KGQA_LLM_ANSWER"}

_lock = threading.Lock()
_providers: dict[tuple, LLM] = {}
_caches: dict[str, LLMCache] = {}


@dataclass(frozen=True)
class LLMSpec:
    provider: str  # offline | local | openai | transformers
    model: str = ""

    def __str__(self) -> str:
        if self.provider == "offline" or (self.provider == "local" and not self.model):
            return self.provider
        return f"{self.provider}:{self.model}"


def parse_spec(spec: str | None, setting: str = "KGQA_LLM") -> LLMSpec:
    """Parse a spec string; errors name the setting that holds it."""
    value = (spec or "offline").strip()
    if value.lower() in ("offline", "none", "off", ""):
        return LLMSpec("offline")
    provider, sep, model = value.partition(":")
    provider = provider.strip().lower()
    if provider == "local":  # the managed llama.cpp server; the model defaults to the registry's default
        from kgqa.llm.local_models import get_model

        return LLMSpec("local", get_model(model or None).name if model.strip() else "")
    aliases = {"ollama": "openai", "vllm": "openai", "hf": "transformers"}
    provider = aliases.get(provider, provider)
    if not sep or provider not in PROVIDERS or not model.strip():
        raise LLMConfigError(
            f"{setting}={value!r} is not a valid LLM spec",
            "use offline, local[:MODEL] (the model kgqa runs itself, see `kgqa llm models`), "
            "openai:MODEL (any OpenAI-compatible server, see KGQA_LLM_BASE_URL) or transformers:/path/to/local/model",
        )
    return LLMSpec(provider, model.strip())


def task_spec(task: str, settings: Any, override: str | None = None) -> tuple[str, str]:
    """The spec for a task (``extraction``/``cypher``/``answer``) and the setting it came from.

    Precedence: explicit override (``--llm``) > per-task setting (``KGQA_LLM_CYPHER``...) > ``KGQA_LLM``.
    """
    if override:
        return override, "--llm"
    field = _TASK_FIELDS.get(task)
    if field and getattr(settings, field, None):
        return getattr(settings, field), _TASK_ENV[task]
    return getattr(settings, "llm", "offline") or "offline", "KGQA_LLM"


def _cache_for(settings: Any) -> LLMCache | None:
    if not getattr(settings, "llm_cache", True):
        return None
    directory = Path(settings.home) / "llm-cache"
    key = str(directory.resolve())
    with _lock:
        if key not in _caches:
            _caches[key] = LLMCache(directory)
        return _caches[key]


def _local_provider(parsed: LLMSpec, settings: Any) -> tuple[LLM, str]:
    """The managed local model server (started when needed) behind the OpenAI-compatible provider."""
    import sys

    from kgqa.llm.local_models import get_model
    from kgqa.llm.local_server import server_for
    from kgqa.llm.openai_compat import OpenAICompatLLM

    state = server_for(settings).ensure_started(parsed.model or None, lambda msg: print(msg, file=sys.stderr))
    # A CPU server generates ~10 tok/s and serves one request at a time: long timeouts, few retries.
    timeout = max(float(settings.llm_timeout), 600.0)
    ident = ("local", state.model, state.base_url, timeout)
    with _lock:
        if ident not in _providers:
            _providers[ident] = OpenAICompatLLM(  # llama.cpp's server takes json_object + schema, not json_schema
                state.model, base_url=state.base_url, timeout=timeout, max_retries=1, json_mode="json_object"
            )
        # The cache key's endpoint names the model's weights, not the server's address: the server gets a new
        # free port each time it starts, and a restarted server must still find the replies cached before.
        return _providers[ident], f"local:{state.model}:{get_model(state.model).sha256[:16]}"


def _provider(parsed: LLMSpec, settings: Any) -> tuple[LLM, str]:
    if parsed.provider == "local":
        return _local_provider(parsed, settings)
    if parsed.provider == "openai":
        from kgqa.llm.openai_compat import OpenAICompatLLM

        raw = settings.llm_api_key
        key = (raw.get_secret_value() if hasattr(raw, "get_secret_value") else str(raw)) if raw else None
        ident = ("openai", parsed.model, settings.llm_base_url, key, settings.llm_timeout, settings.llm_max_retries)
        with _lock:
            if ident not in _providers:
                _providers[ident] = OpenAICompatLLM(
                    parsed.model,
                    base_url=settings.llm_base_url,
                    api_key=key,
                    timeout=settings.llm_timeout,
                    max_retries=settings.llm_max_retries,
                )
            llm = _providers[ident]
        return llm, getattr(llm, "base_url", "")
    from kgqa.llm.transformers_local import TransformersLLM

    ident = ("transformers", parsed.model, getattr(settings, "llm_device", None))
    with _lock:
        if ident not in _providers:
            _providers[ident] = TransformersLLM(parsed.model, device=getattr(settings, "llm_device", None))
        return _providers[ident], "local"


def get_llm(spec: str | None, settings: Any, setting: str = "KGQA_LLM") -> LLM | None:
    """The LLM for ``spec`` with caching and usage metering, or None for ``offline``.

    Providers are shared per process (one HTTP connection pool, one loaded local model).
    """
    parsed = parse_spec(spec, setting)
    if parsed.provider == "offline":
        return None
    inner, endpoint = _provider(parsed, settings)
    meter = usage_meter()
    meter.price_prompt = float(getattr(settings, "llm_price_prompt", 0.0) or 0.0)
    meter.price_completion = float(getattr(settings, "llm_price_completion", 0.0) or 0.0)
    return ManagedLLM(inner, _cache_for(settings), meter, endpoint=endpoint)


def reset_providers() -> None:
    """Forget shared providers and caches (tests, long-running servers after a settings change)."""
    with _lock:
        for llm in _providers.values():
            llm.close()
        _providers.clear()
        for cache in _caches.values():
            cache.close()
        _caches.clear()
