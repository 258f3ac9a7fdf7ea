"""``kgqa config``: show the effective settings, secrets masked."""

from __future__ import annotations

import typer

from kgqa.cli.output import emit, kv_table, out
from kgqa.config import get_settings


def register(app: typer.Typer) -> None:
    """Add ``kgqa config``."""

    @app.command("config")
    def config(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
        """Show the settings kgqa uses (from KGQA_* environment variables and .env)."""
        shown = get_settings().shown()
        emit(shown, as_json, lambda d: out.print(kv_table("kgqa settings", d)))
