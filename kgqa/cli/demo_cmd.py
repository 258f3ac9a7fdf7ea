"""``kgqa demo``: the end-to-end path on the sample corpus, with no key, no Docker and no network."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from kgqa.cli.common import open_graph
from kgqa.cli.output import emit, err, out

SAMPLE_CORPUS = Path(__file__).resolve().parents[2] / "data" / "corpus"
QUESTIONS = [
    "Where was Mara Quill born?",
    "Who founded the company that acquired Nimbus Freight?",
    "Which university did the CEO of the company that acquired Nimbus Freight attend?",
    "Who is married to Oren Vale?",
    "Which companies did Nimbus Freight acquire?",
]


def register(app: typer.Typer) -> None:
    """Add ``kgqa demo``."""

    @app.command("demo")
    def demo(
        corpus: Path = typer.Option(SAMPLE_CORPUS, help="Folder of documents to build from."),
        as_json: bool = typer.Option(False, "--json", help="Print the build summary and answers as JSON."),
    ) -> None:
        """Start the graph, build the sample corpus and answer sample multi-hop questions."""
        from kgqa.config import get_settings
        from kgqa.ingest.pipeline import BuildOptions, run_build
        from kgqa.qa.pipeline import ask

        settings = get_settings()
        with open_graph() as graph:
            err.print(f"[dim]graph: {graph.flavor} at {graph.uri}; building {corpus} (offline extractor)[/]")
            report = run_build(graph, [corpus], BuildOptions(extractor="offline"), settings)
            results = [ask(q, graph) for q in QUESTIONS]
        if as_json:
            emit({"build": report, "answers": results}, True)
            return
        g = report.graph
        out.print(
            f"[bold]graph built[/]: {len(report.new)} new / {len(report.changed)} changed / "
            f"{len(report.unchanged)} unchanged documents; graph holds {g.get('entities', '?')} entities "
            f"and {g.get('facts', '?')} facts ({report.seconds:.1f}s)"
        )
        for res in results:
            out.print(f"\n[bold cyan]Q:[/] {escape(res.question)}")
            out.print(f"[bold]A:[/] {escape(res.answer)}  [dim]({res.status})[/]")
            if res.cypher:
                out.print(f"[dim]{escape(res.cypher)}[/]")
            for k, ev in enumerate(res.evidence[:2], 1):
                out.print(f"[dim]  [{k}] {escape(ev.sentence)} — {escape(ev.doc_id)}[/]")
        out.print(
            '\nNext: [bold].venv/bin/kgqa ask "..."[/], [bold].venv/bin/kgqa serve[/] '
            "(explorer on http://127.0.0.1:8000), [bold].venv/bin/kgqa --help[/]"
        )
