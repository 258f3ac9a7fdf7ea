"""``kgqa cypher check|run``: hand-written Cypher through kgqa's read-only checks; ``kgqa eval text2cypher``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from kgqa.cli.groups import cypher_app, eval_app
from kgqa.cli.output import emit, err, out
from kgqa.errors import InputError, QueryRejected

_STYLE = {"passed": "green", "fixed": "yellow", "failed": "bold red", "skipped": "dim"}


def _read_query(query: str) -> str:
    text = sys.stdin.read() if query == "-" else query
    if not text.strip():
        raise InputError("the query is empty", "pass the Cypher as an argument, or '-' to read it from stdin")
    return text


def _parse_params(items: list[str] | None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise InputError(f"--param {item!r} is not key=value", "for example --param name='Ada Lovelace'")
        key, raw = item.split("=", 1)
        key = key.strip().lstrip("$")
        if not key:
            raise InputError(f"--param {item!r} has no name")
        try:
            params[key] = json.loads(raw)  # numbers, booleans, lists, quoted strings
        except json.JSONDecodeError:
            params[key] = raw
    return params


def _render_checks(outcome: Any) -> None:
    table = Table(show_header=True, title_justify="left")
    table.add_column("check")
    table.add_column("status")
    table.add_column("detail", overflow="fold")
    for c in outcome.checks:
        table.add_row(c.name, f"[{_STYLE.get(c.status, '')}]{c.status}[/]", c.detail)
    out.print(table)
    if outcome.ok:
        out.print("[bold]query to run:[/]")
        out.print(outcome.cypher, highlight=False, markup=False)
        if outcome.params:
            out.print("[bold]parameters:[/] " + json.dumps(outcome.params, ensure_ascii=False), highlight=False)


def _refuse(outcome: Any) -> None:
    raise QueryRejected(
        f"query refused: {outcome.reason}",
        "fix the query as the failed check says (kgqa only runs read-only, bounded, schema-conforming Cypher)",
    )


@cypher_app.command("check")
def check_cmd(
    query: str = typer.Argument(..., help="The Cypher query, or '-' to read it from stdin."),
    param: list[str] = typer.Option(None, "--param", "-p", help="A query parameter as key=value (JSON values ok)."),
    no_schema: bool = typer.Option(False, "--no-schema", help="Do not connect: skip the schema, direction, EXPLAIN."),
    max_hops: int = typer.Option(4, "--max-hops", help="Upper bound for variable-length patterns."),
    limit: int = typer.Option(100, "--limit", help="Maximum LIMIT."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Run the rule-based checks on a query without executing it (exit 0 if ok, 4 if refused)."""
    from kgqa.qa.cypher_checks import check_cypher

    text = _read_query(query)
    params = _parse_params(param)
    if no_schema:
        outcome = check_cypher(text, params, None, max_hops=max_hops, limit=limit)
    else:
        from kgqa.cli.common import open_graph
        from kgqa.graph.schema import introspect

        with open_graph() as graph:
            outcome = check_cypher(text, params, introspect(graph), max_hops=max_hops, limit=limit, graph=graph)
    emit(outcome.to_dict(), as_json, lambda _d: _render_checks(outcome))
    if not outcome.ok:
        _refuse(outcome)  # exit code 4 (after the JSON, when --json)


@cypher_app.command("run")
def run_cmd(
    query: str = typer.Argument(..., help="The Cypher query, or '-' to read it from stdin."),
    param: list[str] = typer.Option(None, "--param", "-p", help="A query parameter as key=value (JSON values ok)."),
    limit: int = typer.Option(100, "--limit", help="Maximum LIMIT (and row cap)."),
    max_hops: int = typer.Option(4, "--max-hops", help="Upper bound for variable-length patterns."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Check a query against the live schema (with EXPLAIN) and, only if every check passes, run it read-only."""
    from kgqa.cli.common import open_graph
    from kgqa.graph.schema import introspect
    from kgqa.qa.cypher_checks import run_checked

    text = _read_query(query)
    params = _parse_params(param)
    with open_graph() as graph:
        outcome, result = run_checked(graph, text, params, introspect(graph), max_hops=max_hops, limit=limit)
    if result is None:
        if as_json:
            emit({**outcome.to_dict(), "rows": None}, True)
        else:
            _render_checks(outcome)
        _refuse(outcome)
    data = {
        **outcome.to_dict(),
        "keys": result.keys,
        "rows": result.rows,
        "truncated": result.truncated,
        "elapsed_ms": round(result.elapsed_ms, 1),
    }

    def render(_d: Any) -> None:
        for c in outcome.checks:
            if c.status in ("fixed", "failed"):
                err.print(f"[{_STYLE[c.status]}]{c.name} {c.status}:[/] {c.detail}", highlight=False)
        table = Table(*result.keys, title=f"{len(result.rows)} row(s)", title_justify="left")
        for row in result.rows:
            table.add_row(*[_cell(row.get(k)) for k in result.keys])
        out.print(table)
        if result.truncated:
            err.print(f"[yellow]truncated at {len(result.rows)} rows[/]")

    emit(data, as_json, render)


def _cell(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


@eval_app.command("text2cypher")
def text2cypher_cmd(
    data: Path = typer.Option(None, "--data", help="The text2cypher folder (default: ../shared/data/text2cypher)."),
    limit: int = typer.Option(None, "--limit", help="Check only the first N queries (after --sample shuffling)."),
    sample: int = typer.Option(None, "--sample", help="Check a fixed-seed random sample of N queries."),
    seed: int = typer.Option(13, "--seed", help="Seed for --sample."),
    show: int = typer.Option(10, "--show", help="How many examples of each disagreement to list."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Run the Cypher checks (no graph) over the text2cypher dataset and compare with its schema-error flags."""
    from kgqa.cli.output import track
    from kgqa.eval.text2cypher import evaluate, find_data, load_rows, render_report

    folder = find_data(data)
    rows = load_rows(folder, sample=sample, seed=seed, limit=limit)
    report = evaluate(rows, folder, progress=lambda it: track(it, "checking", total=len(rows)), show=show)
    emit(report, as_json, lambda r: out.print(render_report(r), highlight=False, markup=False))


def register(app: typer.Typer) -> None:
    """Commands live on the shared ``cypher`` and ``eval`` groups (kgqa.cli.groups)."""
    _ = app
