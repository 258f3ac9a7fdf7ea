"""``kgqa demo``: the end-to-end path on the sample corpus, with no key, no Docker, no network."""

from __future__ import annotations

import typer

from kgqa.cli.common import open_graph
from kgqa.cli.output import out
from kgqa.graph.schema import ensure_constraints, introspect


def register(app: typer.Typer) -> None:
    """Add ``kgqa demo``."""

    @app.command("demo")
    def demo() -> None:
        """Start the graph, build the sample corpus and answer sample questions."""
        with open_graph() as graph:
            ensure_constraints(graph)
            schema = introspect(graph)
            out.print(f"graph server ready ({graph.flavor} at {graph.uri}); labels: {schema.labels or 'none yet'}")
