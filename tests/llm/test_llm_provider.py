"""The OpenAI-compatible provider against a real local HTTP server replaying recorded responses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

from kgqa.config import Settings
from kgqa.llm.base import (
    ContextLengthExceeded,
    GenParams,
    LLMConfigError,
    LLMTimeout,
    LLMUnavailable,
    OutputTruncated,
    StructuredOutputError,
    usage_meter,
)
from kgqa.llm.factory import get_llm, reset_providers
from kgqa.llm.openai_compat import OpenAICompatLLM, grammar_schema
from kgqa.llm.structured import complete_structured
from tests.llm_replay import ReplayServer


@pytest.fixture()
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as srv:
        yield srv
    reset_providers()


def _settings(tmp_path: Path, srv: ReplayServer, **kw) -> Settings:
    values = {"home": tmp_path, "llm_base_url": srv.url, "llm_cache": False, "llm_max_retries": 2} | kw
    return Settings(_env_file=None, **values)


def _ask(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def _chunk(text: str) -> list[dict[str, str]]:
    """An extraction-style request for the chunk ``text`` (how the recorded replies are chosen)."""
    return _ask(f'Text:\n"""\n{text}\n"""\nReturn one JSON object: {{"entities": ...}}')


class Ping(BaseModel):
    ok: bool


def test_plain_completion_reports_usage_model_and_finish_reason(server: ReplayServer, tmp_path: Path) -> None:
    llm = get_llm("openai:replay-model", _settings(tmp_path, server))
    c = llm.complete(_ask("kgqa llm check"), GenParams(top_k=5), {"title": "Ping", "type": "object"}, prompt="check@1")
    assert c.text == '{"ok": true}'
    assert (c.usage, c.finish_reason, c.model, c.provider, c.cached) == (
        {"prompt_tokens": 41, "completion_tokens": 5},
        "stop",
        "replay-model",
        "openai",
        False,
    )
    body = server.chat_requests[0]["body"]
    assert body["response_format"]["type"] == "json_schema"
    assert body["temperature"] == 0.0 and body["top_k"] == 5 and body["max_tokens"] == 512


def test_json_schema_unsupported_falls_back_to_prompt_only(tmp_path: Path) -> None:
    with ReplayServer(json_schema=False) as srv:
        llm = OpenAICompatLLM("replay-model", base_url=srv.url, max_retries=0)
        result = complete_structured(llm, _ask("kgqa llm check"), Ping, GenParams(), prompt="check@1")
        assert result.value.ok is True
        assert llm.supports_json_schema is False
        assert result.completions[0].json_mode == "prompt"
        assert [r["body"].get("response_format", {}).get("type") for r in srv.chat_requests] == [
            "json_schema",
            "json_object",
            None,
        ]
        llm.complete(_ask("kgqa llm check"), GenParams(), {"type": "object"})  # remembered: no second 400
        assert len(srv.chat_requests) == 4
        llm.close()


def test_429_with_retry_after_then_success(server: ReplayServer, tmp_path: Path) -> None:
    llm = OpenAICompatLLM("replay-model", base_url=server.url, max_retries=2)
    sleeps: list[float] = []
    llm._sleep = lambda attempt, retry_after, why: sleeps.append(retry_after)  # type: ignore[method-assign]
    c = llm.complete(_chunk("Hedy Lamarr was born in Vienna."))
    assert "Vienna" in c.text
    assert sleeps == [1.0]  # the server's Retry-After was honoured
    assert len(server.chat_requests) == 2


def test_500_then_success_with_real_backoff(server: ReplayServer) -> None:
    llm = OpenAICompatLLM("replay-model", base_url=server.url, max_retries=2)
    llm.backoff_base = 0.05
    c = llm.complete(_chunk("Tim Berners-Lee works for CERN."))
    assert "CERN" in c.text and len(server.chat_requests) == 2


def test_persistent_500_fails_clearly_after_retries(server: ReplayServer) -> None:
    llm = OpenAICompatLLM("replay-model", base_url=server.url, max_retries=2)
    llm.backoff_base = 0.01
    with pytest.raises(LLMUnavailable) as info:
        llm.complete(_ask("ALWAYS-500"))
    assert "HTTP 500 after 2 retries" in info.value.message and "KGQA_LLM_MAX_RETRIES" in info.value.hint
    assert len(server.chat_requests) == 3


def test_wrong_api_key_names_the_setting(tmp_path: Path) -> None:
    with ReplayServer(api_key="right-key") as srv:
        llm = OpenAICompatLLM("replay-model", base_url=srv.url, api_key="wrong-key")
        with pytest.raises(LLMConfigError) as info:
            llm.complete(_ask("kgqa llm check"))
        assert "HTTP 401" in info.value.message and "KGQA_LLM_API_KEY" in info.value.hint
        ok = OpenAICompatLLM("replay-model", base_url=srv.url, api_key="right-key")
        assert ok.complete(_ask("kgqa llm check")).text == '{"ok": true}'
        assert srv.chat_requests[-1]["auth"] == "Bearer right-key"


def test_missing_key_for_openai_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(LLMConfigError) as info:
        OpenAICompatLLM("gpt-4o-mini", base_url=None, api_key=None)
    assert "KGQA_LLM_API_KEY" in info.value.message


def test_unknown_model_and_wrong_base_url(server: ReplayServer) -> None:
    with pytest.raises(LLMConfigError) as info:
        OpenAICompatLLM("no-such-model", base_url=server.url).complete(_ask("kgqa llm check"))
    assert "unknown model 'no-such-model'" in info.value.message and "KGQA_LLM" in info.value.hint
    with pytest.raises(LLMConfigError) as info:
        OpenAICompatLLM("replay-model", base_url=server.url.removesuffix("/v1")).complete(_ask("kgqa llm check"))
    assert "KGQA_LLM_BASE_URL" in info.value.hint
    with pytest.raises(LLMConfigError) as info:
        OpenAICompatLLM("replay-model", base_url="http://127.0.0.1:9/v1", max_retries=0).complete(_ask("x"))
    assert "cannot connect" in info.value.message and "KGQA_LLM_BASE_URL" in info.value.hint
    with pytest.raises(LLMConfigError):
        OpenAICompatLLM("replay-model", base_url="localhost:11434")


def test_slow_server_times_out_clearly(server: ReplayServer) -> None:
    llm = OpenAICompatLLM("replay-model", base_url=server.url, timeout=0.5, max_retries=1)
    llm.backoff_base = 0.01
    with pytest.raises(LLMTimeout) as info:
        llm.complete(_ask("SLOW-REQUEST"))
    assert "KGQA_LLM_TIMEOUT" in info.value.hint and "2 attempt(s)" in info.value.message


def test_context_length_exceeded(server: ReplayServer) -> None:
    with pytest.raises(ContextLengthExceeded) as info:
        OpenAICompatLLM("replay-model", base_url=server.url).complete(_ask("HUGE-PROMPT"))
    assert "maximum context length is 8192" in info.value.message
    assert len(server.chat_requests) == 1  # not retried


def test_reply_cut_off_at_max_tokens(server: ReplayServer) -> None:
    class Anything(BaseModel):
        entities: list[dict]

    llm = OpenAICompatLLM("replay-model", base_url=server.url)
    with pytest.raises(OutputTruncated) as info:
        complete_structured(llm, _chunk("Konrad Zuse was born in Berlin."), Anything, GenParams())
    assert "KGQA_LLM_MAX_TOKENS" in info.value.hint


def test_reask_carries_the_error_and_is_bounded(server: ReplayServer) -> None:
    class Anything(BaseModel):
        entities: list[dict]

    llm = OpenAICompatLLM("replay-model", base_url=server.url)
    fixed = complete_structured(
        llm,
        _chunk("Alan Turing studied at Cambridge University."),
        Anything,
        GenParams(),
    )
    assert fixed.attempts == 2 and "not valid JSON" in fixed.errors[0]
    reask = server.chat_requests[1]["body"]["messages"]
    assert reask[-2]["role"] == "assistant" and "rejected" in reask[-1]["content"]
    with pytest.raises(StructuredOutputError):
        complete_structured(
            llm,
            _chunk("Niklaus Wirth designed Pascal."),
            Anything,
            GenParams(),
            reasks=2,
        )
    assert len(server.chat_requests) == 2 + 2  # the same bad reply twice: a third identical ask is not sent


def test_cache_hits_make_no_http_calls_and_survive_restart(server: ReplayServer, tmp_path: Path) -> None:
    settings = _settings(tmp_path, server, llm_cache=True)
    meter = usage_meter()
    meter.reset()
    llm = get_llm("openai:replay-model", settings)
    first = llm.complete(_ask("kgqa llm check"), GenParams(), prompt="check@1")
    reset_providers()  # as if a new process: memory gone, sqlite stays
    again = get_llm("openai:replay-model", settings).complete(_ask("kgqa llm check"), GenParams(), prompt="check@1")
    assert (first.cached, again.cached, again.text, again.usage) == (False, True, first.text, first.usage)
    assert len(server.chat_requests) == 1
    changed = get_llm("openai:replay-model", settings).complete(_ask("kgqa llm check"), GenParams(), prompt="check@2")
    assert changed.cached is False and len(server.chat_requests) == 2  # new prompt version → new key
    summary = meter.summary()
    assert summary["calls"] == 3 and summary["cache_hits"] == 1 and summary["cached_tokens"] == 46
    assert (tmp_path / "llm-cache" / "completions.sqlite").exists()


def test_models_endpoint(server: ReplayServer) -> None:
    assert OpenAICompatLLM("replay-model", base_url=server.url).list_models() == ["replay-model", "replay-small"]


def test_a_429_makes_every_thread_back_off(server: ReplayServer) -> None:
    import time
    from concurrent.futures import ThreadPoolExecutor

    llm = OpenAICompatLLM("replay-model", base_url=server.url, max_retries=2)
    first = llm.complete(_chunk("Hedy Lamarr was born in Vienna."))  # 429 (Retry-After: 1), then the reply
    assert "Vienna" in first.text and llm._cooldown_until > 0
    resume = time.monotonic() + 0.3
    llm._cooldown_until = resume  # as if another thread had just been told to back off
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: llm.complete(_ask("kgqa llm check")), range(4)))
    later = server.chat_requests[2:]
    assert len(later) == 4 and all(r["t"] >= resume for r in later)  # none was sent during the back-off


def test_llama_server_500_on_json_schema_falls_back_to_json_object_without_retries() -> None:
    """llama-cpp-python answers json_schema with HTTP 500; the next request sends json_object + schema at once."""
    with ReplayServer(json_schema="llama") as srv:
        llm = OpenAICompatLLM("replay-model", base_url=srv.url, max_retries=3)
        llm._sleep = lambda *a: pytest.fail("a deterministic 500 must not be retried")  # type: ignore[method-assign]
        result = complete_structured(llm, _ask("kgqa llm check"), Ping, GenParams(), prompt="check@1")
        assert result.value.ok is True and result.completions[0].json_mode == "json_object"
        sent = [r["body"].get("response_format", {}).get("type") for r in srv.chat_requests]
        assert sent == ["json_schema", "json_object"]
        assert "schema" in srv.chat_requests[1]["body"]["response_format"]
        llm.close()


def test_schemas_sent_to_servers_carry_no_length_limits() -> None:
    schema = {
        "type": "object",
        "properties": {
            "answer": {"type": "string", "maxLength": 2000, "minLength": 1},
            "format": {"type": "string", "pattern": "^a"},
            "items": {"type": "array", "maxItems": 200, "items": {"type": "string", "maxLength": 64}},
        },
        "required": ["answer"],
    }
    sent = grammar_schema(schema)
    assert sent["properties"]["answer"] == {"type": "string"}
    assert sent["properties"]["format"] == {"type": "string"}  # a property may be named like a keyword
    assert sent["properties"]["items"] == {"type": "array", "items": {"type": "string"}}
    assert sent["required"] == ["answer"] and schema["properties"]["answer"]["maxLength"] == 2000
