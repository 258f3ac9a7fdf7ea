"""CLI commands: extraction_eval (filled in by its issue)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the kgqa app (or to a group in kgqa.cli.groups)."""
    _ = app
