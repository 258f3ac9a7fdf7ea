"""The ``kgqa`` command: one Typer app; each command group lives in its own module."""

from __future__ import annotations

import logging
import sys

import typer
from rich.markup import escape

from kgqa import __version__
from kgqa.cli import (
    ask_cmd,
    build_cmd,
    config_cmd,
    cypher_cmd,
    demo_cmd,
    eval_cmd,
    extraction_eval_cmd,
    graph_cmd,
    llm_cmd,
    llm_local_cmd,
    serve_cmd,
)
from kgqa.cli.groups import GROUPS
from kgqa.cli.output import err
from kgqa.errors import KgqaError

app = typer.Typer(
    name="kgqa",
    help="Build a knowledge graph from documents and answer multi-hop questions over it, showing why.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

_state = {"debug": False}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kgqa {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks and debug logs."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show version."),
) -> None:
    """kgqa: knowledge-graph question answering."""
    _state["debug"] = debug
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


for module in (
    config_cmd,
    graph_cmd,
    build_cmd,
    ask_cmd,
    cypher_cmd,
    eval_cmd,
    extraction_eval_cmd,
    llm_cmd,
    llm_local_cmd,
    serve_cmd,
    demo_cmd,
):
    module.register(app)
for _name, _group in GROUPS.items():
    if _group.registered_commands or _group.registered_groups:
        app.add_typer(_group, name=_name)


def run() -> None:
    """Entry point: run the app, turning expected errors into one clear line and an exit code."""
    debug = "--debug" in sys.argv
    try:
        code = app(standalone_mode=False)
        if code == 130:  # typer turns Ctrl-C into this exit code by itself
            err.print("interrupted")
        if isinstance(code, int) and code:
            sys.exit(code)
    except KgqaError as exc:
        if debug:
            raise
        err.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False, soft_wrap=True)
        if exc.hint:
            err.print(f"[yellow]hint:[/] {escape(exc.hint)}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except Exception as exc:  # click usage errors and anything unexpected
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if debug:
            raise
        err.print(f"[bold red]error:[/] {type(exc).__name__}: {escape(str(exc))}", highlight=False, soft_wrap=True)
        err.print("[yellow]hint:[/] run again with --debug for the full traceback", highlight=False)
        sys.exit(1)


if __name__ == "__main__":
    run()
