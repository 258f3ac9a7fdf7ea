"""``kgqa graph ...``: manage the embedded graph server and look at the graph's schema."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import typer

from kgqa.cli.common import open_graph
from kgqa.cli.output import emit, err, kv_table, out
from kgqa.config import get_settings
from kgqa.errors import ConfigError
from kgqa.graph import queries
from kgqa.graph.embedded import EmbeddedServer, server_for
from kgqa.graph.schema import ensure_constraints, introspect
from kgqa.procs import all_servers as all_servers_running
from kgqa.procs import stop_all

graph_app = typer.Typer(help="Manage the graph server and inspect the graph.", no_args_is_help=True)


def _server() -> EmbeddedServer:
    settings = get_settings()
    if not settings.embedded:
        raise ConfigError(
            f"KGQA_GRAPH_URI is set ({settings.graph_uri}), so kgqa does not run its own graph server",
            "unset KGQA_GRAPH_URI to use the embedded server, or manage your Neo4j with docker compose",
        )
    return server_for(settings)


@graph_app.command("start")
def start(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Start the embedded graph server (no-op when it already runs)."""
    server = _server()
    server.ensure_started(notify=lambda msg: err.print(f"[dim]{msg}[/]"))
    with open_graph() as graph:
        ensure_constraints(graph)
    status = server.status()
    emit(status, as_json, lambda s: out.print(f"embedded graph server running at {s.uri} (pid {s.pid})"))


def _server_rows(records) -> list[dict]:
    now = time.time()
    return [
        {
            "kind": r.kind,
            "pid": r.pid,
            "state_dir": r.state_dir,
            "home_exists": bool(r.state_dir) and Path(r.state_dir).exists(),
            "ports": r.ports,
            "uptime_seconds": round(now - r.started_at, 1) if r.registered else None,
            "registered": r.registered,
            "detail": r.detail,
        }
        for r in records
    ]


def _render_servers(rows: list[dict], verb: str) -> None:
    if not rows:
        out.print(f"no kgqa servers {verb}")
    for r in rows:
        gone = "" if r["home_exists"] else " (its home folder is gone)"
        out.print(f"{r['kind']:5} pid {r['pid']:>7}  {r['state_dir'] or '?'}{gone}")


@graph_app.command("stop")
def stop(
    all_servers: bool = typer.Option(
        False, "--all", help="Stop every server kgqa runs on this machine (graph and local model), any KGQA_HOME."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Stop the embedded graph server (with --all: every kgqa server here; SIGKILL when SIGTERM is ignored)."""
    if all_servers:
        rows = _server_rows(stop_all())
        emit({"stopped": rows}, as_json, lambda d: _render_servers(d["stopped"], "were running"))
        return
    stopped = _server().stop()
    emit(
        {"stopped": stopped},
        as_json,
        lambda d: out.print("stopped the embedded graph server" if d["stopped"] else "it was not running"),
    )


@graph_app.command("status")
def status(
    all_servers: bool = typer.Option(False, "--all", help="List every server kgqa runs on this machine."),
    fail_if_any: bool = typer.Option(False, "--fail-if-any", help="With --all: exit 1 when any server runs (CI)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show whether the graph server runs, where, and what the graph holds (--all: every kgqa server here)."""
    if all_servers:
        rows = _server_rows(all_servers_running())
        emit({"servers": rows}, as_json, lambda d: _render_servers(d["servers"], "running"))
        if fail_if_any and rows:
            sys.exit(1)  # typer.Exit codes are swallowed in standalone_mode=False
        return
    settings = get_settings()
    info: dict = {"mode": "embedded" if settings.embedded else "external"}
    if settings.embedded:
        st = _server().status()
        info.update(st.__dict__)
    else:
        info.update({"uri": settings.graph_uri, "database": settings.graph_database})
    if info.get("running", True):
        with open_graph() as graph:
            info["flavor"] = graph.flavor
            info["nodes"] = graph.value(queries.COUNT_NODES, default=0)
            info["relationships"] = graph.value(queries.COUNT_RELATIONSHIPS, default=0)
            info["running"] = True
    emit(info, as_json, lambda d: out.print(kv_table("graph server", d)))


@graph_app.command("schema")
def schema(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    sample: int = typer.Option(5000, help="How many nodes/relationships to sample."),
) -> None:
    """Show labels, relationship types and the (start)-[type]->(end) patterns present."""
    with open_graph() as graph:
        sch = introspect(graph, sample=sample)

    def render(s) -> None:
        out.print(kv_table("labels", s.label_counts))
        out.print(kv_table("relationship types", s.relationship_counts))
        out.print("[bold]patterns[/]")
        for a, t, b in s.patterns:
            out.print(f"  (:{a})-[:{t}]->(:{b})")

    emit(sch.to_dict(), as_json, lambda _d: render(sch))


@graph_app.command("clear")
def clear(
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Delete everything in the graph."""
    if not yes:
        typer.confirm("Delete every node and relationship in the graph?", abort=True)
    with open_graph() as graph:
        graph.clear()
    emit({"cleared": True}, as_json, lambda _d: out.print("graph cleared"))


def register(app: typer.Typer) -> None:
    """Add ``kgqa graph``."""
    app.add_typer(graph_app, name="graph")
