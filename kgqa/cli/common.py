"""Helpers shared by CLI commands."""

from __future__ import annotations

from kgqa.cli.output import err
from kgqa.config import get_settings
from kgqa.graph.client import Graph


def open_graph(database: str | None = None) -> Graph:
    """Connect to the configured graph, starting the embedded server (and saying so) if needed."""
    return Graph.connect(get_settings(), database=database, notify=lambda msg: err.print(f"[dim]{msg}[/]"))
