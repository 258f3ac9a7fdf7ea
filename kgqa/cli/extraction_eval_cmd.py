"""``kgqa eval extraction``: precision/recall/F1 of extracted facts against gold triples."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from kgqa.cli.groups import eval_app
from kgqa.cli.output import emit, err, out, progress
from kgqa.errors import InputError


def _render(data: dict) -> None:
    from kgqa.eval.extraction import FALSE_POSITIVE_REASONS, MISS_REASONS

    head = data.get("source", "")
    table = Table(title=f"Extraction quality — {head}", title_justify="left")
    for col in ("relation", "precision", "recall", "F1", "tp", "fp", "fn"):
        table.add_column(col, justify="left" if col == "relation" else "right")
    for rel, m in data["per_relation"].items():
        table.add_row(
            rel, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", *map(str, (m["tp"], m["fp"], m["fn"]))
        )
    o = data["overall"]
    table.add_row(
        "[bold]overall[/]",
        f"[bold]{o['precision']:.3f}[/]",
        f"[bold]{o['recall']:.3f}[/]",
        f"[bold]{o['f1']:.3f}[/]",
        *map(str, (o["tp"], o["fp"], o["fn"])),
    )
    out.print(table)
    out.print(f"gold facts: {data['gold']}   predicted facts: {data['predicted']}")
    for key in ("entries", "type_corrections"):
        if key in data:
            value = data[key]
            out.print(f"{key.replace('_', ' ')}: {len(value) if isinstance(value, list) else value}")
    for key, label in (("miss_reasons", "misses"), ("false_positive_reasons", "false positives")):
        reasons = {k: v for k, v in (data.get(key) or {}).items() if v}
        if reasons:
            parts = " · ".join(f"{v} {k.replace('_', ' ')}" for k, v in reasons.items())
            out.print(f"{label} by reason: {parts}", highlight=False, soft_wrap=True)
    shown = 15
    cut = False
    for key, label in (("false_positives", "false positives"), ("false_negatives", "false negatives")):
        items = data.get(key) or []
        if not items:
            continue
        groups = data.get(f"{key}_by_reason") or {"": items}
        descriptions = MISS_REASONS if key == "false_negatives" else FALSE_POSITIVE_REASONS
        out.print(f"\n[bold]{label}[/] ({len(items)}{', by reason' if '' not in groups else ''}):")
        for reason, group in groups.items():
            if not group:
                continue
            if reason:
                why = descriptions.get(reason, "")
                out.print(f"  [italic]{reason.replace('_', ' ')}[/] ({len(group)}) [dim]{why}[/]", highlight=False)
            for s, r, o_ in group[:shown]:
                out.print(f"    {s}  [cyan]{r}[/]  {o_}", highlight=False)
            cut = cut or len(group) > shown
    if cut:
        out.print("[dim](the rest with --json)[/]")


def register(app: typer.Typer) -> None:
    """Add ``kgqa eval extraction``."""
    _ = app

    @eval_app.command("extraction")
    def extraction(
        gold: Path | None = typer.Option(
            None, "--gold", help="Gold triples: subject<TAB>RELATION<TAB>object per line."
        ),
        direct: Path | None = typer.Option(
            None,
            "--direct",
            help="Run the extractor over these documents (file or directory) instead of reading the graph.",
        ),
        webnlg: Path | None = typer.Option(
            None, "--webnlg", help="WebNLG 2020 text-to-RDF JSONL: score the extractor on the mapped triples."
        ),
        limit: int | None = typer.Option(
            None, "--limit", min=1, help="WebNLG: score the first N entries with mapped triples."
        ),
        mapping: Path | None = typer.Option(None, "--mapping", help="WebNLG: DBpedia property mapping YAML."),
        extractor_spec: str = typer.Option("offline", "--extractor", help="Extractor for --direct/--webnlg."),
        ontology_path: Path | None = typer.Option(None, "--ontology", help="Ontology YAML (default: built-in)."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON (with all false positives/negatives)."),
    ) -> None:
        """Precision, recall and F1 per relation of the graph's facts (or of --direct / --webnlg runs)."""
        from kgqa.config import get_settings
        from kgqa.eval import extraction as ev
        from kgqa.ingest.extract import get_extractor
        from kgqa.ontology import load_ontology

        ontology = load_ontology(ontology_path)
        data: dict
        if webnlg is not None:
            if gold is not None or direct is not None:
                raise InputError("--webnlg cannot be combined with --gold or --direct", "run them separately")
            extractor = get_extractor(extractor_spec, get_settings())
            with progress() as bar:
                task = bar.add_task("WebNLG entries", total=limit)
                score, info = ev.webnlg_eval(
                    webnlg, extractor, ontology, limit=limit, mapping_path=mapping, on_entry=lambda: bar.advance(task)
                )
            data = {"source": f"WebNLG {webnlg.name} (mapped triples only)", **score.as_dict(), **info}
            data["type_corrections"] = len(getattr(extractor, "type_corrections", []))
        else:
            if gold is None:
                raise InputError("--gold FILE is required", "e.g. kgqa eval extraction --gold data/corpus_gold.tsv")
            gold_triples = ev.load_gold(gold, ontology)
            names: set[str] = set()
            if direct is not None:
                docs = ev.read_documents(direct)
                extractor = get_extractor(extractor_spec, get_settings())
                with progress() as bar:
                    task = bar.add_task("extracting", total=len(docs))
                    predicted = ev.direct_triples(
                        docs, extractor, ontology, on_doc=lambda: bar.advance(task), names=names
                    )
                source = f"{extractor.name} extractor over {direct} ({len(docs)} documents)"
                extra = {"type_corrections": list(getattr(extractor, "type_corrections", []))}
            else:
                from kgqa.cli.common import open_graph

                graph = open_graph()
                try:
                    predicted = ev.graph_triples(graph, ontology)
                    names.update(ev.graph_entity_names(graph))
                finally:
                    graph.close()
                source = "graph"
                extra = {}
            score = ev.score_triples(predicted, gold_triples, ontology, read_names=names)
            data = {"source": source, "gold_file": str(gold), **score.as_dict(), **extra}
        if not as_json:
            err.print("")
        emit(data, as_json, _render)
