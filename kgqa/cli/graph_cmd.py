"""``kgqa graph ...``: manage the embedded graph server and look at the graph's schema."""

from __future__ import annotations

import typer

from kgqa.cli.common import open_graph
from kgqa.cli.output import emit, err, kv_table, out
from kgqa.config import get_settings
from kgqa.errors import ConfigError
from kgqa.graph.embedded import EmbeddedServer, server_for
from kgqa.graph.schema import ensure_constraints, introspect

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


@graph_app.command("stop")
def stop(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Stop the embedded graph server."""
    stopped = _server().stop()
    emit(
        {"stopped": stopped},
        as_json,
        lambda d: out.print("stopped the embedded graph server" if d["stopped"] else "it was not running"),
    )


@graph_app.command("status")
def status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show whether the graph server runs, where, and what the graph holds."""
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
            info["nodes"] = graph.value("MATCH (n) RETURN count(n) AS c", default=0)
            info["relationships"] = graph.value("MATCH ()-[r]->() RETURN count(r) AS c", default=0)
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
