"""CLI commands: ``kgqa ask`` and ``kgqa eval qa``."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import typer
from rich.markup import escape
from rich.syntax import Syntax
from rich.table import Table

from kgqa.cli.common import open_graph
from kgqa.cli.groups import eval_app
from kgqa.cli.output import emit, err, out, progress
from kgqa.config import get_settings
from kgqa.errors import InputError
from kgqa.qa.model import AskResult

STATUS_STYLE = {
    "answered": "green",
    "no_answer": "yellow",
    "fallback": "yellow",
    "ambiguous": "magenta",
    "error": "red",
}
CHECK_STYLE = {"passed": "green", "fixed": "cyan", "failed": "red", "skipped": "dim"}


def _render(res: AskResult) -> None:
    style = STATUS_STYLE.get(res.status, "white")
    out.print(f"[bold]{escape(res.answer)}[/]")
    out.print(f"[{style}]status: {res.status}[/]")
    if res.linked_entities:
        ents = ", ".join(
            f"{escape(e.mention)} → {escape(e.name)} ({escape(e.id)}, {e.method})"
            + (f" [magenta]also: {', '.join(escape(a['id']) for a in e.alternatives)}[/]" if e.alternatives else "")
            for e in res.linked_entities
        )
        out.print(f"[dim]entities:[/] {ents}")
    if res.cypher:
        out.print("[dim]cypher:[/]")
        out.print(Syntax(res.cypher, "cypher", theme="ansi_dark", word_wrap=True))
        if res.params:
            out.print(f"[dim]params:[/] {escape(str(res.params))}")
    table = Table(title="checks", title_justify="left", show_header=True)
    table.add_column("check")
    table.add_column("status")
    table.add_column("detail", overflow="fold")
    for c in res.checks:
        table.add_row(c.name, f"[{CHECK_STYLE.get(c.status, 'white')}]{c.status}[/]", escape(c.detail))
    out.print(table)
    if res.evidence:
        out.print("[bold]evidence[/]")
        for k, ev in enumerate(res.evidence[:5], 1):
            where = f"{ev.doc_id}" + (f" ({ev.chunk_id})" if ev.chunk_id else "")
            out.print(f" [{k}] {escape(ev.sentence)} [dim]— {escape(where)}; {escape(ev.fact or '')}[/]")
    total = sum(step.ms for step in res.trace)
    stages = ", ".join(f"{s.stage} {s.ms:.1f}" for s in res.trace)
    out.print(f"[dim]{total:.1f} ms: {escape(stages)}[/]")


def _wall_line(spans: dict[str, float], res: AskResult, loads: dict[str, float]) -> str:
    """Where the wall time went, in parts that add up: start-up, connecting, the pipeline's stages, the rest."""
    stages = sum(step.ms for step in res.trace)
    asked = spans["ask"]
    parts = [
        f"start-up {spans['startup']:.0f}",
        f"connect {spans['connect']:.0f}",
        f"stages {stages:.0f}",
        f"other {max(asked - stages, 0.0):.0f}",
        f"output {spans['output']:.0f}",
    ]
    wall = spans["startup"] + spans["connect"] + max(asked, stages) + spans["output"]
    line = f"wall {wall:.0f} ms = " + " + ".join(parts)
    if loads:
        line += " (models loaded: " + ", ".join(f"{name} {ms:.0f} ms" for name, ms in loads.items()) + ")"
    return line


def register(app: typer.Typer) -> None:
    """Add ``kgqa ask`` to the app and ``qa`` to the ``eval`` group."""

    @app.command("ask")
    def ask_command(
        question: str = typer.Argument(..., help="The question, in English."),
        as_json: bool = typer.Option(False, "--json", help="Print the full AskResult as JSON."),
        entity: list[str] = typer.Option(None, "--entity", "-e", help="Topic entity id or name (repeatable)."),
        llm: str | None = typer.Option(None, "--llm", help="LLM spec for Cypher and answers (default: offline)."),
        max_hops: int = typer.Option(4, "--max-hops", min=1, max=6, help="Longest relation chain to follow."),
        no_cache: bool = typer.Option(False, "--no-cache", help="Do not use the LLM response cache."),
    ) -> None:
        """Answer a question from the graph, with the Cypher, checks and evidence that back it."""
        from kgqa import STARTED
        from kgqa.kg import KGQA
        from kgqa.nlp import load_times

        spans = {"startup": (time.perf_counter() - STARTED) * 1000}
        settings = get_settings()
        if no_cache:
            settings = settings.model_copy(update={"llm_cache": False})
        t0 = time.perf_counter()
        with KGQA(settings, notify=lambda msg: err.print(f"[dim]{msg}[/]")) as kg:
            _ = kg.graph  # connect (and start the embedded server) before the clock of the question starts
            t1 = time.perf_counter()
            res = kg.ask(question, entities=entity or None, llm=llm, max_hops=max_hops)
            t2 = time.perf_counter()
        spans.update(connect=(t1 - t0) * 1000, ask=(t2 - t1) * 1000)
        emit(res, as_json, _render)
        if not as_json:
            spans["output"] = (time.perf_counter() - t2) * 1000
            out.print(f"[dim]{_wall_line(spans, res, load_times())}[/]")
        if res.status == "error":
            sys.exit(2)  # typer.Exit codes are swallowed in standalone_mode=False

    @eval_app.command("qa")
    def eval_qa(
        questions: Path = typer.Option(..., "--questions", "-q", help="JSONL: id, question, answers[, hops]."),
        as_json: bool = typer.Option(False, "--json", help="Print metrics and per-question results as JSON."),
        llm: str | None = typer.Option(None, "--llm", help="LLM spec for Cypher and answers (default: offline)."),
        limit: int | None = typer.Option(None, "--limit", help="Only the first N questions."),
        max_hops: int = typer.Option(4, "--max-hops", min=1, max=6),
        llm_only: bool = typer.Option(
            False, "--llm-only", help="The LLM writes every query (no parser, no example bank): measures the model."
        ),
    ) -> None:
        """Question-answering accuracy, Hits@1 and abstention on a question set."""
        from kgqa.eval.qa import evaluate, load_questions
        from kgqa.llm.factory import task_spec
        from kgqa.qa.components import llm_components
        from kgqa.qa.pipeline import AskOptions

        settings = get_settings()
        items = load_questions(questions)[:limit]
        generator, synthesizer = llm_components(task_spec("cypher", settings, llm)[0], settings)
        if llm_only and generator is None:
            raise InputError("--llm-only needs an LLM for Cypher", "pass --llm local (or set KGQA_LLM_CYPHER)")
        with open_graph() as graph, progress() as bar:
            task = bar.add_task("questions", total=len(items))
            report = evaluate(
                graph,
                items,
                ask_kwargs={
                    "generator": generator,
                    "synthesizer": synthesizer,
                    "options": AskOptions(max_hops=max_hops, llm_only=llm_only),
                },
                on_result=lambda _row: bar.advance(task),
            )
        emit(report, as_json, _render_eval)

    _ = err


def _render_eval(report: dict) -> None:
    m = report["metrics"]
    table = Table(title="per question", title_justify="left")
    for col in ("id", "ok", "status", "question", "gold", "predicted", "ms"):
        table.add_column(col, overflow="fold")
    for r in report["results"]:
        ok = "[green]✓[/]" if r["correct"] else "[red]✗[/]"
        table.add_row(
            str(r["id"]),
            ok,
            r["status"],
            escape(r["question"]),
            escape(", ".join(r["gold"]) or "—"),
            escape(", ".join(r["predicted"]) or "—"),
            f"{r['ms']:.0f}",
        )
    out.print(table)
    summary = Table(title="question answering", title_justify="left", show_header=False)
    summary.add_column("metric", style="bold")
    summary.add_column("value")
    for key in ("questions", "accuracy", "hits@1", "answerable_accuracy", "abstention_precision", "abstention_recall"):
        summary.add_row(key, str(m[key]))
    for group, g in m["by_group"].items():
        summary.add_row(f"accuracy {group}", f"{g['accuracy']} ({g['correct']}/{g['n']})")
    for stage, lat in m["latency_ms"].items():
        summary.add_row(f"ms {stage}", f"p50 {lat.get('p50')}  p95 {lat.get('p95')}")
    out.print(summary)
