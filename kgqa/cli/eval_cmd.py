"""CLI commands: ``kgqa import triples``, ``kgqa examples mine|search``, ``kgqa eval metaqa``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.table import Table

from kgqa.cli.common import open_graph
from kgqa.cli.groups import eval_app, examples_app, import_app
from kgqa.cli.output import emit, err, kv_table, out, progress
from kgqa.config import get_settings
from kgqa.errors import InputError


@contextmanager
def _bar() -> Iterator:
    """A progress callback ``(stage, done, total)`` drawing one bar per stage on stderr."""
    with progress() as bar:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


# ---------------------------------------------------------------------------- import triples


@import_app.command("triples")
def import_triples_cmd(
    file: Path = typer.Argument(..., help="Triples file: one subject|relation|object per line."),
    fmt: str = typer.Option("pipe", "--format", "-f", help="pipe (a|r|b), tsv (tab-separated) or csv."),
    batch_size: int = typer.Option(5000, "--batch-size", min=1, max=100_000, help="Rows per write batch."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Import existing triples (e.g. MetaQA's kb.txt) as :Entity nodes and typed relationships.

    Idempotent (re-importing changes nothing); each relationship keeps the file:line it came from.
    Malformed lines are reported with their line numbers and skipped; the exit code is then 2.
    """
    from kgqa.ingest.triples import FORMATS, import_triples

    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}", f"use one of: {', '.join(FORMATS)}")
    with open_graph() as graph, _bar() as update:
        report = import_triples(graph, file, fmt, batch_size=batch_size, on_progress=update)  # type: ignore[arg-type]

    def render(r) -> None:
        out.print(
            f"imported {r.triples:,} triples from {r.file}: {r.entities:,} entities, "
            f"{r.relationships:,} relationships ({r.created:,} created, {r.merged:,} merged) "
            f"in {r.seconds:.1f} s ({r.triples_per_second:,.0f} triples/s)"
        )
        out.print("relation types: " + ", ".join(f"{k} → {v}" for k, v in r.relation_types.items()))

    emit(report, as_json, render)
    if report.malformed:
        for e in report.errors[:20]:
            err.print(f"[yellow]{file.name}:{e['line']}:[/] {e['reason']}: {e['text']}", highlight=False)
        raise InputError(
            f"{report.malformed} malformed line(s) skipped (the other {report.triples:,} triples were imported)",
            "fix those lines and import again: re-importing is safe",
        )


# ---------------------------------------------------------------------------- example bank


@examples_app.command("mine")
def examples_mine(
    qa: list[Path] = typer.Option(..., "--qa", help="QA file(s): 'question [entity]<TAB>a1|a2' or jsonl."),
    out_dir: Path | None = typer.Option(None, "--out", help="Bank directory (default: cypher/examples)."),
    name: str | None = typer.Option(None, "--name", help="Bank file name (default: from the first QA file)."),
    max_hops: int = typer.Option(3, "--max-hops", min=1, max=3, help="Longest relation path to mine."),
    per_template: int = typer.Option(3, "--per-template", min=1, max=50, help="Questions scored per template."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Read at most N questions per file."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Mine question → Cypher examples from question/answer pairs over the current graph."""
    from kgqa.qa.examples import ExampleBank, PathMiner, default_bank_dir, read_qa_file

    items = []
    errors = []
    for file in qa:
        found, bad = read_qa_file(file, limit)
        items.extend(found)
        errors.extend({**e, "file": str(file)} for e in bad)
    if not items:
        raise InputError("no usable question/answer pair in the given files", "see `kgqa examples mine --help`")
    directory = out_dir or default_bank_dir()
    target = directory / (name or f"{qa[0].stem}.jsonl")
    if target.suffix != ".jsonl":
        target = target.with_suffix(".jsonl")
    with open_graph() as graph, _bar() as update:
        miner = PathMiner(graph, max_hops=max_hops, per_template=per_template)
        report = miner.mine(
            items, source=", ".join(str(f) for f in qa), on_progress=lambda d, t: update("mining", d, t)
        )
    report.errors = errors
    ExampleBank(report.examples, [target]).save(target)
    data = {**report.summary(), "out": str(target)}
    emit(data, as_json, lambda d: out.print(kv_table("example mining", d)))
    for e in errors[:20]:
        err.print(f"[yellow]{e['file']}:{e['line']}:[/] {e['reason']}", highlight=False)


@examples_app.command("search")
def examples_search(
    question: str = typer.Argument(..., help="A question; mark the entity with [brackets] or pass --entity."),
    entity: list[str] = typer.Option([], "--entity", "-e", help="Entity mention(s) to mask."),
    bank_path: Path | None = typer.Option(None, "--examples", help="Bank file or directory."),
    k: int = typer.Option(5, "-k", min=1, max=50, help="How many examples."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show the bank's examples most similar to a question."""
    from kgqa.qa.examples import ExampleBank

    bank = ExampleBank.load(bank_path)
    hits = bank.search(question, entity, k)

    def render(rows) -> None:
        table = Table("score", "template", "cypher", title=f"{len(bank)} examples")
        for h in rows:
            table.add_row(f"{h.score:.3f}", h.question, h.cypher)
        out.print(table)

    emit(hits, as_json, render)


# ---------------------------------------------------------------------------- eval metaqa


def _default_metaqa_dir() -> Path:
    for candidate in (Path("../shared/data/metaqa"), Path("../../shared/data/metaqa")):
        if (candidate / "kb.txt").is_file():
            return candidate
    return Path("../shared/data/metaqa")


@eval_app.command("metaqa")
def eval_metaqa(
    data: Path | None = typer.Option(None, "--data", help="MetaQA directory (kb.txt, {1,2,3}-hop/)."),
    split: str = typer.Option("test", "--split", help="Split to answer (test or dev)."),
    hops: str = typer.Option("1,2,3", "--hops", help="Hop counts, e.g. 1,2,3."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Random sample of N questions per hop."),
    seed: int = typer.Option(0, "--seed", help="Sampling seed."),
    home: Path | None = typer.Option(None, "--home", help="KGQA home of the MetaQA graph (default $KGQA_HOME/metaqa)."),
    database: str | None = typer.Option(None, "--database", help="Neo4j database for the MetaQA KB."),
    mode: str = typer.Option("auto", "--mode", help="auto | pipeline (kgqa ask) | examples (bank only)."),
    per_template: int = typer.Option(3, "--per-template", min=1, max=50, help="Dev questions mined per template."),
    rebuild: bool = typer.Option(False, "--rebuild", help="Re-import the KB and re-mine the bank."),
    failures: int = typer.Option(10, "--failures", min=0, help="Failures listed per hop."),
    link: bool = typer.Option(
        False, "--link", help="Do not hand in the topic entity: kgqa links it from the question itself."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """MetaQA: Hits@1 and answer-set P/R/F1 per hop through the ask pipeline (bank mined from dev)."""
    from kgqa.eval.metaqa import evaluate, metaqa_graph

    if split not in {"test", "dev"}:
        raise InputError(f"unknown split {split!r}", "use test (default) or dev")
    if mode not in {"auto", "pipeline", "examples"}:
        raise InputError(f"unknown mode {mode!r}", "use auto, pipeline or examples")
    try:
        hop_list = sorted({int(h) for h in hops.split(",") if h.strip()})
    except ValueError as exc:
        raise InputError(f"bad --hops {hops!r}", "e.g. --hops 1,2,3") from exc
    data = data or _default_metaqa_dir()
    settings = get_settings()
    graph, metaqa_home = metaqa_graph(settings, home, database)
    if settings.embedded:
        err.print(f"[dim]MetaQA graph: embedded server in {metaqa_home}[/]")
    with graph, _bar() as update:
        report = evaluate(
            graph,
            data,
            split=split,
            hops=hop_list,
            limit=limit,
            seed=seed,
            bank_dir=metaqa_home / "examples",
            mode=mode,
            per_template=per_template,
            rebuild=rebuild,
            failures=failures,
            link=link,
            on_progress=update,
        )
    emit(report, as_json, _render_metaqa)


def _render_metaqa(report: dict) -> None:
    table = Table(
        "hop",
        "questions",
        "answerable",
        "Hits@1",
        "Hits@1 (answerable)",
        "P",
        "R",
        "F1",
        "checks passed",
        "p50 ms",
        "p95 ms",
        *(["topic linked"] if report.get("topic_entity") == "linked by kgqa" else []),
        title=f"MetaQA {report['split']} ({report['mode']}, topic entity {report.get('topic_entity', 'given')}, "
        f"limit {report['limit']}, seed {report['seed']})",
    )
    for hop, m in report["per_hop"].items():
        table.add_row(
            hop,
            str(m["questions"]),
            str(m["answerable"]),
            str(m["hits_at_1"]),
            str(m["hits_at_1_answerable"]),
            str(m["precision"]),
            str(m["recall"]),
            str(m["f1"]),
            str(m["checks_passed"]),
            str(m["latency_ms"]["p50"]),
            str(m["latency_ms"]["p95"]),
            *([str(m["topic_linked"])] if "topic_linked" in m else []),
        )
    out.print(table)
    kb, bank = report["kb"], report["bank"]
    out.print(
        f"KB: {'imported in ' + str(kb.get('seconds')) + ' s' if kb.get('loaded') else 'already loaded'}; "
        f"bank: {bank.get('examples')} examples ({'mined now' if bank.get('mined') else 'cached'}); "
        f"total {report['seconds']} s"
    )
    for hop, m in report["per_hop"].items():
        for f in m["failures"][:3]:
            out.print(f"[yellow]{hop}-hop miss:[/] {f['question']} → {f['predicted'][:3]} (gold {f['gold'][:3]})")


def register(app: typer.Typer) -> None:
    """Commands live on the shared groups (import, examples, eval); nothing to add to the top level."""
    _ = app
