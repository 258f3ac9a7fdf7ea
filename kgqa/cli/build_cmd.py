"""``kgqa build``, ``kgqa remove`` and ``kgqa export triples``."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from kgqa.cli.common import open_graph
from kgqa.cli.groups import export_app
from kgqa.cli.output import emit, err, out, progress
from kgqa.config import get_settings
from kgqa.errors import GraphUnavailable

FACTS_QUERY = """
MATCH (s:Entity)-[r]->(o:Entity)
RETURN s.id AS subject_id, s.name AS subject, s.type AS subject_type, type(r) AS relation,
       o.id AS object_id, o.name AS object, o.type AS object_type, r.confidence AS confidence,
       r.doc_ids AS doc_ids, r.evidence_keys AS evidence_keys, r.sentences AS sentences
ORDER BY subject_id, relation, object_id
"""


def _render_build(report: Any) -> None:
    d = report.documents
    table = Table(title="kgqa build", show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value")
    table.add_row(
        "documents",
        f"{d['new']} new, {d['changed']} changed, {d['unchanged']} unchanged, "
        + (f"[red]{d['failed']} failed[/]" if d["failed"] else "0 failed"),
    )
    table.add_row("chunks written", str(report.chunks))
    table.add_row("entity mentions", str(report.mentions))
    table.add_row("entities", f"{report.entities_linked} linked, {report.entities_created} new")
    table.add_row("relations written", f"{report.facts} ({report.evidence} evidence sentences)")
    pruned = sum(report.pruned.values())
    table.add_row(
        "facts pruned",
        f"{pruned}" + (" (" + ", ".join(f"{k}: {v}" for k, v in report.pruned.items()) + ")" if pruned else ""),
    )
    if report.retyped:
        table.add_row("entities re-typed", str(len(report.retyped)))
    table.add_row("duplicate facts merged", str(report.duplicates_merged))
    table.add_row("entities merged", str(len(report.merges)))
    kept_apart = [m for m in report.nodes_merged if not m["into"]]
    if report.nodes_merged:
        table.add_row("nodes merged (one entity, two nodes)", str(len(report.nodes_merged) - len(kept_apart)))
    if report.superseded:
        table.add_row("replacement statements (old facts marked superseded)", str(report.superseded))
    g = report.graph
    if g:
        table.add_row(
            "graph now",
            f"{g['documents']} documents, {g['chunks']} chunks, {g['entities']} entities, {g['facts']} facts",
        )
    table.add_row("extractor", report.extractor or "(not needed)")
    table.add_row("seconds", f"{report.seconds:.1f}")
    out.print(table)
    by_rule: dict[str, list[dict]] = {}
    for p in report.pruned_facts:
        by_rule.setdefault(p["rule"], []).append(p)
    for rule, items in by_rule.items():
        for p in items[:3]:
            out.print(f"  [dim]pruned ({rule}):[/] {p['reason']}", highlight=False)
        if len(items) > 3:
            out.print(f"  [dim]… and {len(items) - 3} more {rule} (see --json)[/]")
    for w in report.warnings:
        err.print(f"[yellow]warning:[/] {w}", highlight=False)
    for f in report.failures:
        err.print(f"[red]failed:[/] {f['source']}: {f['reason']}", highlight=False)


def build(
    paths: list[Path] = typer.Argument(..., help="Files or folders (walked recursively)."),
    ontology: Path | None = typer.Option(None, "--ontology", help="Ontology YAML (default: the general one)."),
    llm: str | None = typer.Option(
        None, "--llm", help="Extractor: offline (default), openai:MODEL, transformers:PATH, py:module:Class."
    ),
    include: list[str] = typer.Option([], "--include", help="Glob of files to take (repeatable)."),
    exclude: list[str] = typer.Option([], "--exclude", help="Glob of files to skip (repeatable)."),
    chunk_size: int = typer.Option(1200, "--chunk-size", min=100, help="Max characters per chunk."),
    max_bytes: int = typer.Option(5 * 1024 * 1024, "--max-bytes", min=1, help="Largest document accepted."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not use the LLM response cache."),
) -> None:
    """Build or update the graph from documents (unchanged documents are skipped)."""
    from kgqa.ingest.pipeline import BuildOptions, run_build

    options = BuildOptions(
        include=include,
        exclude=exclude,
        chunk_size=chunk_size,
        max_bytes=max_bytes,
        ontology=str(ontology) if ontology else None,
        extractor=llm,
    )
    settings = get_settings()
    if no_cache:
        settings = settings.model_copy(update={"llm_cache": False})
    with open_graph() as graph, progress() as bar:
        task = bar.add_task("loading documents", total=None)

        def notify(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total or None)

        try:
            report = run_build(graph, list(paths), options, settings, progress=notify)
        except GraphUnavailable as exc:
            exc.message += " — documents written so far are complete; run the same build again to finish"
            raise
        except KeyboardInterrupt:
            err.print("interrupted: documents written so far are complete; run the same build again to finish")
            raise
    emit(report, as_json, _render_build)
    if not report.ok:
        raise SystemExit(1)  # (typer.Exit's code is dropped by the app's standalone_mode=False runner)


def remove(
    targets: list[str] = typer.Argument(..., help="Document ids or paths."),
    root: Path | None = typer.Option(None, "--root", help="The build root the ids are relative to."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Retract documents: their chunks, evidence, facts left without evidence and orphaned entities."""
    from kgqa.ingest.pipeline import remove_documents

    with open_graph() as graph:
        result = remove_documents(graph, targets, root)

    def render(r: dict) -> None:
        d = r["deleted"]
        out.print(
            f"removed {', '.join(r['removed'])}: {d['chunks']} chunks, {d['facts']} facts, "
            f"{d['entities']} entities deleted",
            highlight=False,
        )

    emit(result, as_json, render)


class ExportFormat(StrEnum):
    tsv = "tsv"
    jsonl = "jsonl"
    graphml = "graphml"


def _clean(value: Any) -> str:
    return " ".join(str(value if value is not None else "").split())


def export_triples(
    fmt: ExportFormat = typer.Option(ExportFormat.tsv, "--format", help="tsv, jsonl or graphml."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file (default: stdout)."),
) -> None:
    """Export every fact (subject, relation, object) with its evidence."""
    with open_graph() as graph:
        rows = graph.read(FACTS_QUERY, max_rows=100_000_000, timeout=3600).rows
    stream = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        if fmt is ExportFormat.tsv:
            for r in rows:
                stream.write(f"{_clean(r['subject'])}\t{r['relation']}\t{_clean(r['object'])}\n")
        elif fmt is ExportFormat.jsonl:
            for r in rows:
                stream.write(json.dumps(r, ensure_ascii=False) + "\n")
        else:
            import networkx as nx

            g = nx.MultiDiGraph()
            for r in rows:
                for side in ("subject", "object"):
                    g.add_node(r[f"{side}_id"], name=r[side] or "", type=r[f"{side}_type"] or "")
                g.add_edge(
                    r["subject_id"],
                    r["object_id"],
                    key=r["relation"],
                    relation=r["relation"],
                    confidence=float(r["confidence"] or 0.0),
                    doc_ids=",".join(r["doc_ids"] or []),
                    evidence=len(r["evidence_keys"] or []),
                )
            for line in nx.generate_graphml(g):
                stream.write(line + "\n")
    finally:
        if output:
            stream.close()
    if output:
        err.print(f"wrote {len(rows)} facts to {output}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the kgqa app."""
    app.command("build")(build)
    app.command("remove")(remove)
    export_app.command("triples")(export_triples)
