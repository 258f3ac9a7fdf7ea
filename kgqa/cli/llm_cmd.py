"""CLI commands: ``kgqa llm check`` (try the configured provider) and ``kgqa llm prompts`` (names, versions)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer

from kgqa.cli.groups import llm_app
from kgqa.cli.output import emit, kv_table, out
from kgqa.config import get_settings

_TASKS = ("extraction", "cypher", "answer")


def _check_one(spec: str, setting: str, settings: Any) -> dict[str, Any]:
    from pydantic import BaseModel

    from kgqa.llm.base import GenParams, LLMError
    from kgqa.llm.factory import get_llm, parse_spec
    from kgqa.llm.structured import complete_structured

    parsed = parse_spec(spec, setting)
    row: dict[str, Any] = {"spec": str(parsed), "from": setting, "provider": parsed.provider, "model": parsed.model}
    if parsed.provider == "offline":
        row.update(status="offline", detail="no LLM: deterministic engines")
        return row
    llm = get_llm(spec, settings, setting)
    assert llm is not None
    inner = getattr(llm, "inner", llm)
    row["endpoint"] = getattr(inner, "base_url", None) or "local"

    class Ping(BaseModel):
        ok: bool

    messages = [
        {"role": "system", "content": "You are a health check (kgqa llm check). Follow the instruction exactly."},
        {"role": "user", "content": 'Reply with the JSON object {"ok": true} and nothing else.'},
    ]
    started = time.perf_counter()
    try:
        result = complete_structured(
            llm, messages, Ping, GenParams(temperature=0.0, max_new_tokens=16), prompt="check@1", reasks=1
        )
    except LLMError as exc:
        row.update(status="error", error=exc.message, hint=exc.hint)
        return row
    last = result.completions[-1]
    row.update(
        status="ok",
        model=last.model or parsed.model,
        latency_ms=round((time.perf_counter() - started) * 1000.0, 1),
        json_mode=last.json_mode,
        json_schema_supported=inner.supports_json_schema,
        attempts=result.attempts,
        cached=result.cached,
        tokens=result.usage,
        reply=last.text[:200],
    )
    if hasattr(inner, "list_models"):
        models = inner.list_models()
        row["server_models"] = models[:20]
    return row


@llm_app.command("check")
def check(
    llm: str = typer.Option(None, "--llm", help="Spec to check (default: the configured per-task specs)."),
    no_cache: bool = typer.Option(True, "--no-cache/--cache", help="Send a real request (default) or allow cache."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Resolve the LLM spec(s), send a tiny JSON request, report model, latency and JSON-mode support."""
    from kgqa.errors import KgqaError
    from kgqa.llm.factory import task_spec

    settings = get_settings().model_copy(update={"llm_cache": not no_cache})
    specs: dict[tuple[str, str], list[str]] = {}
    for task in _TASKS:
        spec, setting = task_spec(task, settings, llm)
        specs.setdefault((spec, setting), []).append(task)
    rows = []
    for (spec, setting), tasks in specs.items():
        row = _check_one(spec, setting, settings)
        row["tasks"] = tasks
        rows.append(row)
    failed = [r for r in rows if r["status"] == "error"]

    def render(data: list[dict[str, Any]]) -> None:
        for row in data:
            shown = {k: v for k, v in row.items() if k not in ("reply",)}
            out.print(kv_table(f"LLM {row['spec']} ({', '.join(row['tasks'])})", shown))

    emit(rows, as_json, render)
    if failed:
        first = failed[0]
        raise KgqaError(first["error"], first.get("hint"))


@llm_app.command("prompts")
def prompts(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List the prompt files with their versions (name@version appears in every trace)."""
    from kgqa.llm.prompt import list_prompts

    rows = [
        {
            "name": p.name,
            "version": p.version,
            "ref": p.ref,
            "description": p.description,
            "path": p.path,
            "placeholders": sorted(p.placeholders),
            "examples": len(p.examples),
        }
        for p in list_prompts(get_settings())
    ]

    def render(data: list[dict[str, Any]]) -> None:
        from rich.table import Table

        table = Table(title="LLM prompts", title_justify="left")
        for col in ("ref", "description", "examples", "path"):
            table.add_column(col)
        for row in data:
            table.add_row(row["ref"], row["description"], str(row["examples"]), row["path"])
        out.print(table)

    emit(rows, as_json, render)


@llm_app.command("cache")
def cache(
    clear: bool = typer.Option(False, "--clear", help="Delete every cached reply."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show (or clear) the LLM response cache under KGQA_HOME/llm-cache."""
    from kgqa.llm.cache import LLMCache

    settings = get_settings()
    store = LLMCache(Path(settings.home) / "llm-cache")
    info: dict[str, Any] = {"enabled": settings.llm_cache, **store.stats()}
    info["by_prompt"] = store.counts_by_prompt()
    if clear:
        info["cleared"] = store.clear()
        info["entries"] = 0
    store.close()

    def render(data: dict[str, Any]) -> None:
        shown = {k: v for k, v in data.items() if k != "by_prompt"}
        shown.update({f"entries {name}": n for name, n in data["by_prompt"].items()})
        out.print(kv_table("LLM cache", shown))

    emit(info, as_json, render)


def register(app: typer.Typer) -> None:
    """Commands live in the shared ``llm`` group (kgqa.cli.groups.llm_app)."""
    _ = app
