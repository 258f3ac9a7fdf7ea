"""`kgqa llm check` and `kgqa llm prompts` as a user runs them (subprocess, real replay server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.llm_replay import ReplayServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as srv:
        yield srv


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("KGQA_", "OPENAI_"))}
    return subprocess.run(
        [sys.executable, "-m", "kgqa", *args],
        cwd=ROOT,
        env=base | {"KGQA_HOME": str(tmp_path), "KGQA_LLM_MAX_RETRIES": "0"} | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_llm_check_reports_model_latency_and_json_mode(server: ReplayServer, tmp_path: Path) -> None:
    proc = run(["llm", "check", "--llm", "openai:replay-model", "--json"], tmp_path, KGQA_LLM_BASE_URL=server.url)
    assert proc.returncode == 0, proc.stderr
    [row] = json.loads(proc.stdout)
    assert (row["status"], row["model"], row["json_mode"], row["json_schema_supported"]) == (
        "ok",
        "replay-model",
        "json_schema",
        True,
    )
    assert row["tasks"] == ["extraction", "cypher", "answer"] and row["latency_ms"] > 0
    assert row["server_models"] == ["replay-model", "replay-small"] and row["tokens"]["prompt_tokens"] == 41


def test_llm_check_per_task_specs(server: ReplayServer, tmp_path: Path) -> None:
    proc = run(
        ["llm", "check", "--json"],
        tmp_path,
        KGQA_LLM_BASE_URL=server.url,
        KGQA_LLM_CYPHER="openai:replay-small",
        KGQA_LLM_EXTRACTION="openai:replay-model",
    )
    assert proc.returncode == 0, proc.stderr
    rows = {r["spec"]: r for r in json.loads(proc.stdout)}
    assert rows["openai:replay-model"]["tasks"] == ["extraction"]
    assert rows["openai:replay-small"]["tasks"] == ["cypher"]
    assert rows["offline"]["tasks"] == ["answer"] and rows["offline"]["status"] == "offline"


def test_llm_check_without_json_schema_support(tmp_path: Path) -> None:
    with ReplayServer(json_schema=False) as srv:
        proc = run(["llm", "check", "--llm", "openai:replay-model", "--json"], tmp_path, KGQA_LLM_BASE_URL=srv.url)
    [row] = json.loads(proc.stdout)
    assert row["status"] == "ok" and row["json_mode"] == "prompt" and row["json_schema_supported"] is False


@pytest.mark.parametrize(
    ("spec", "env", "message", "setting"),
    [
        ("openai:no-such-model", {}, "unknown model 'no-such-model'", "KGQA_LLM"),
        ("openai:replay-model", {"KGQA_LLM_BASE_URL": "http://127.0.0.1:9/v1"}, "cannot connect", "KGQA_LLM_BASE_URL"),
        ("openai:gpt-4o-mini", {"KGQA_LLM_BASE_URL": ""}, "KGQA_LLM_API_KEY is not set", "KGQA_LLM_API_KEY"),
        ("transformers:/no/such/model", {}, "does not exist", "KGQA_LLM"),
        ("gpt4", {}, "not a valid LLM spec", "openai:MODEL"),
    ],
)
def test_llm_check_errors_name_the_setting(
    server: ReplayServer, tmp_path: Path, spec: str, env: dict, message: str, setting: str
) -> None:
    env = {"KGQA_LLM_BASE_URL": server.url} | env
    if not env["KGQA_LLM_BASE_URL"]:
        env.pop("KGQA_LLM_BASE_URL")
    proc = run(["llm", "check", "--llm", spec], tmp_path, **env)
    assert proc.returncode == 5, proc.stdout + proc.stderr
    assert message in proc.stderr and setting in proc.stderr
    assert "Traceback" not in proc.stderr


def test_llm_prompts_lists_names_and_versions(tmp_path: Path) -> None:
    proc = run(["llm", "prompts", "--json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    refs = [p["ref"] for p in json.loads(proc.stdout)]
    assert refs == ["extraction@2", "cypher_generation@1", "cypher_repair@1", "answer_synthesis@1"]


def test_llm_cache_shows_and_clears_entries(server: ReplayServer, tmp_path: Path) -> None:
    env = {"KGQA_LLM_BASE_URL": server.url}
    assert run(["llm", "check", "--llm", "openai:replay-model", "--cache"], tmp_path, **env).returncode == 0
    info = json.loads(run(["llm", "cache", "--json"], tmp_path).stdout)
    assert info["entries"] == 1 and info["by_prompt"] == {"check@1 (replay-model)": 1}
    assert run(["llm", "check", "--llm", "openai:replay-model", "--cache"], tmp_path, **env).returncode == 0
    assert len(server.chat_requests) == 1  # the second check was answered from the cache
    cleared = json.loads(run(["llm", "cache", "--clear", "--json"], tmp_path).stdout)
    assert cleared["cleared"] == 1 and json.loads(run(["llm", "cache", "--json"], tmp_path).stdout)["entries"] == 0
