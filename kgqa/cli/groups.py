"""Command groups shared by several CLI modules (each module adds its own commands to them)."""

from __future__ import annotations

import typer

eval_app = typer.Typer(help="Measure quality: extraction, question answering, benchmarks.", no_args_is_help=True)
cypher_app = typer.Typer(help="Check or run hand-written Cypher through kgqa's read-only checks.", no_args_is_help=True)
import_app = typer.Typer(help="Import structured data into the graph.", no_args_is_help=True)
export_app = typer.Typer(help="Export the graph's facts.", no_args_is_help=True)
examples_app = typer.Typer(help="Manage the question → Cypher example bank.", no_args_is_help=True)
llm_app = typer.Typer(help="Inspect and try the configured LLM providers.", no_args_is_help=True)

GROUPS = {
    "eval": eval_app,
    "cypher": cypher_app,
    "import": import_app,
    "export": export_app,
    "examples": examples_app,
    "llm": llm_app,
}
