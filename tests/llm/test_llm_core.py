"""LLM layer pieces that need no server: specs, tolerant JSON parsing, prompts, cache keys, usage."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from kgqa.config import Settings
from kgqa.llm.base import Completion, GenParams, UsageMeter, task_params
from kgqa.llm.cache import LLMCache, cache_key
from kgqa.llm.factory import get_llm, parse_spec, task_spec
from kgqa.llm.prompt import PROMPT_NAMES, list_prompts, load_prompt
from kgqa.llm.structured import JSONParseError, parse_json_loose


def _settings(tmp_path: Path, **kw) -> Settings:
    return Settings(_env_file=None, home=tmp_path, **kw)


def test_parse_spec_accepts_the_three_providers_and_rejects_garbage() -> None:
    assert str(parse_spec("offline")) == "offline"
    assert parse_spec(None).provider == "offline"
    assert parse_spec("openai:gpt-4o-mini").model == "gpt-4o-mini"
    assert parse_spec("openai:llama3.1:8b").model == "llama3.1:8b"  # Ollama tags keep their colon
    assert parse_spec("transformers:/models/qwen").provider == "transformers"
    assert parse_spec("ollama:llama3.1") == parse_spec("openai:llama3.1")
    for bad in ("gpt-4o", "openai:", "anthropic:claude"):
        with pytest.raises(Exception) as info:
            parse_spec(bad, "KGQA_LLM_CYPHER")
        assert "KGQA_LLM_CYPHER" in str(info.value)


def test_task_specs_fall_back_to_the_main_spec(tmp_path: Path) -> None:
    s = _settings(tmp_path, llm="openai:a", llm_cypher="openai:b")
    assert task_spec("cypher", s) == ("openai:b", "KGQA_LLM_CYPHER")
    assert task_spec("extraction", s) == ("openai:a", "KGQA_LLM")
    assert task_spec("answer", s, "offline") == ("offline", "--llm")
    assert get_llm("offline", s) is None


def test_task_defaults_are_deterministic_for_parsed_output(tmp_path: Path) -> None:
    assert task_params("cypher").temperature == 0.0
    assert task_params("extraction").temperature == 0.0
    assert task_params("answer", _settings(tmp_path, llm_max_tokens=77)).max_new_tokens == 77


class Out(BaseModel):
    a: int
    b: list[str] = []


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "b": ["x"]}',
        '```json\n{"a": 1, "b": ["x"]}\n```',
        'Answer: {"a": 1, "b": ["x"]}<|im_end|>',
        "Sure! Here is the JSON:\n{'a': 1, 'b': ['x'],}\nHope it helps.",
        '<think>the user wants a</think>\nOutput: {"a": 1, "b": ["x",],}</s>',
        '```\n{"a": 1, "b": ["x"]}\n```<|eot_id|>',
    ],
)
def test_tolerant_json_parsing(text: str) -> None:
    assert Out.model_validate(parse_json_loose(text)) == Out(a=1, b=["x"])


@pytest.mark.parametrize("text", ["", "no json here", '{"a": 1, "b": [', "<|im_end|>"])
def test_unparseable_json_says_why(text: str) -> None:
    with pytest.raises(JSONParseError):
        parse_json_loose(text)


def test_parser_does_not_execute_code() -> None:
    with pytest.raises(JSONParseError):
        parse_json_loose("__import__('os').system('echo hi')")


def test_every_prompt_has_a_version_and_renders() -> None:
    prompts = list_prompts()
    assert [p.name for p in prompts] == list(PROMPT_NAMES)
    for p in prompts:
        assert p.version and p.ref == f"{p.name}@{p.version}"
        messages = p.render(**{name: f"<{name}>" for name in p.placeholders})
        assert messages[-1]["role"] == "user"
        assert "{{" not in "".join(m["content"] for m in messages)
    with pytest.raises(KeyError):
        load_prompt("extraction").render(text="x")


def test_prompt_override_directory(tmp_path: Path) -> None:
    (tmp_path / "extraction.md").write_text("---\nname: extraction\nversion: 9-local\n---\n## user\nHi {{text}}\n")
    p = load_prompt("extraction", _settings(tmp_path, llm_prompts_dir=tmp_path))
    assert p.ref == "extraction@9-local"
    assert p.render(text="there")[-1]["content"] == "Hi there"


def test_cache_key_depends_on_every_input() -> None:
    msgs = [{"role": "user", "content": "q"}]
    base = cache_key("openai", "m", "u", "p@1", GenParams(), None, msgs)
    assert base == cache_key("openai", "m", "u", "p@1", GenParams(), None, [dict(msgs[0])])
    variants = [
        cache_key("openai", "m2", "u", "p@1", GenParams(), None, msgs),
        cache_key("openai", "m", "u", "p@2", GenParams(), None, msgs),
        cache_key("openai", "m", "u", "p@1", GenParams(temperature=0.5), None, msgs),
        cache_key("openai", "m", "u", "p@1", GenParams(), {"type": "object"}, msgs),
        cache_key("openai", "m", "u", "p@1", GenParams(), None, [{"role": "user", "content": "q2"}]),
        cache_key("transformers", "m", "u", "p@1", GenParams(), None, msgs),
    ]
    assert len({base, *variants}) == 7


def test_disk_cache_survives_a_new_process_and_lru_is_bounded(tmp_path: Path) -> None:
    cache = LLMCache(tmp_path / "llm-cache", max_memory=2)
    for i in range(3):
        cache.put(f"k{i}", Completion(f"t{i}", model="m", provider="openai").to_dict())
    assert cache.stats()["memory"] == 2
    cache.close()
    again = LLMCache(tmp_path / "llm-cache")
    assert again.get("k0")["text"] == "t0"
    assert again.stats()["entries"] == 3
    assert again.get("missing") is None


def test_usage_meter_sums_tokens_cost_and_cache_hits() -> None:
    meter = UsageMeter(price_prompt=1.0, price_completion=2.0)
    usage = {"prompt_tokens": 1000, "completion_tokens": 500}
    meter.record(Completion("x", dict(usage), "m", "openai", prompt="extraction@2"))
    meter.record(Completion("x", dict(usage), "m", "openai", cached=True, prompt="extraction@2"))
    meter.record_error("cypher_generation@1")
    s = meter.summary()
    assert (s["calls"], s["cache_hits"], s["prompt_tokens"], s["cached_tokens"], s["errors"]) == (2, 1, 1000, 1500, 1)
    assert s["cost_usd"] == pytest.approx(0.002)
    assert s["by_prompt"]["extraction@2"]["calls"] == 2
