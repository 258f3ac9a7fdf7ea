"""Run the Cypher checks over the text2cypher dataset (neo4j-labs, CC0): ~14,800 LLM-written queries, 16 schemas.

Each query is checked with ``check_cypher`` (no graph; the schema comes from the dataset's structured schema).
The report says whether anything crashed, how many queries the dataset marks valid pass (or are only fixed),
why the others were refused, and how our schema check agrees with the dataset's ``false_schema`` flags.
"""

from __future__ import annotations

import ast
import csv
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kgqa.errors import InputError
from kgqa.graph.schema import GraphSchema

QUESTION_FILES = ("text2cypher_gpt4turbo.csv", "text2cypher_claudeopus.csv")
SCHEMA_FILE = "text2cypher_schemas.csv"


def find_data(path: Path | str | None = None) -> Path:
    """The dataset folder: ``path``, or ``shared/data/text2cypher`` beside the project (or one of its parents)."""
    if path is not None:
        folder = Path(path)
        if not (folder / SCHEMA_FILE).exists():
            raise InputError(f"{folder} does not hold {SCHEMA_FILE}", "point --data at the text2cypher folder")
        return folder
    candidates = []
    for base in (Path(__file__).resolve().parents[2], Path.cwd()):
        candidates += [p / "shared" / "data" / "text2cypher" for p in (base, *base.parents)]
    for folder in candidates:
        if (folder / SCHEMA_FILE).exists():
            return folder
    raise InputError(
        "the text2cypher data is not there (looked for ../shared/data/text2cypher)",
        "pass --data DIR with the folder holding text2cypher_*.csv",
    )


def _names(value: Any) -> list[str]:
    return [item["property"] for item in value or []]


def parse_schemas(folder: Path) -> dict[str, GraphSchema]:
    """GraphSchema per database from the dataset's structured schema (node/rel properties, patterns)."""
    schemas: dict[str, GraphSchema] = {}
    with open(folder / SCHEMA_FILE, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            data = ast.literal_eval(row["structured_schema"])
            node_props = {k: sorted(_names(v)) for k, v in data.get("node_props", {}).items()}
            rel_props = {k: sorted(_names(v)) for k, v in data.get("rel_props", {}).items()}
            patterns = sorted({(r["start"], r["type"], r["end"]) for r in data.get("relationships", [])})
            labels = set(node_props) | {p[0] for p in patterns} | {p[2] for p in patterns}
            types = set(rel_props) | {p[1] for p in patterns}
            schemas[row["database"]] = GraphSchema(
                labels=sorted(labels),
                relationship_types=sorted(types),
                node_properties=node_props,
                relationship_properties={t: rel_props.get(t, []) for t in sorted(types)},
                patterns=patterns,
            )
    return schemas


@dataclass
class Row:
    source: str
    index: int
    question: str
    cypher: str
    database: str
    syntax_error: bool
    schema_error: bool
    false_schema: str

    @property
    def valid(self) -> bool:
        return not self.syntax_error and not self.schema_error


def _flag(value: str) -> bool:
    return str(value).strip().lower() == "true"


def load_rows(folder: Path, *, sample: int | None = None, seed: int = 13, limit: int | None = None) -> list[Row]:
    rows: list[Row] = []
    for name in QUESTION_FILES:
        path = folder / name
        if not path.exists():
            continue
        with open(path, newline="", encoding="utf-8") as fh:
            for i, r in enumerate(csv.DictReader(fh)):
                fs = (r.get("false_schema") or "").strip()
                rows.append(
                    Row(
                        source=name,
                        index=i,
                        question=r["question"],
                        cypher=r["cypher"],
                        database=r["database"],
                        syntax_error=_flag(r["syntax_error"]),
                        schema_error=bool(fs) and fs.lower() != "false",
                        false_schema=fs,
                    )
                )
    if sample is not None and sample < len(rows):
        rows = random.Random(seed).sample(rows, sample)
    if limit is not None:
        rows = rows[:limit]
    return rows


def _reason_key(check: str, detail: str) -> str:
    detail = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", detail)
    detail = re.sub(r" at line \d+, column \d+ near .*", "", detail)
    detail = re.sub(r"\(did you mean [^)]*\)", "", detail)
    detail = re.sub(r"\b(unknown (?:label|relationship type|property))\s+\S+", r"\1 X", detail)
    return f"{check}: {detail[:110]}"


@dataclass
class _Tally:
    """Counts over the rows checked so far."""

    show: int
    crashes: list[dict[str, Any]] = field(default_factory=list)
    status: Counter[str] = field(default_factory=Counter)
    check_status: Counter[str] = field(default_factory=Counter)
    valid_total: int = 0
    valid_ok: int = 0
    refusals: Counter[str] = field(default_factory=Counter)
    refusal_examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    confusion: Counter[tuple[bool, bool]] = field(default_factory=Counter)  # (flag, ours) where the schema check ran
    syntax_confusion: Counter[tuple[bool, bool]] = field(default_factory=Counter)
    no_schema: int = 0

    def add(self, row: Row, outcome: Any, internal_error: str) -> None:
        """Count one row's outcome (a refusal on an internal error of the checks counts as a crash)."""
        internal = [c for c in outcome.checks if c.detail.startswith(internal_error)]
        if internal:  # check_cypher refuses on its own bugs; here they count as crashes
            self.crashes.append({"source": row.source, "row": row.index, "error": internal[0].detail})
            return
        by_name = {c.name: c for c in outcome.checks}
        for c in outcome.checks:
            self.check_status[f"{c.name}:{c.status}"] += 1
        self.status["ok" if outcome.ok else "refused"] += 1
        parse_failed = by_name["parse"].status == "failed"
        self.syntax_confusion[(row.syntax_error, parse_failed)] += 1
        schema_check = by_name.get("schema")
        if schema_check is not None and schema_check.status in ("passed", "failed"):
            self.confusion[(row.schema_error, schema_check.status == "failed")] += 1
        if row.valid:
            self._add_valid(row, outcome)

    def _add_valid(self, row: Row, outcome: Any) -> None:
        self.valid_total += 1
        if outcome.ok:
            self.valid_ok += 1
            return
        failed = outcome.failed[0]
        key = _reason_key(failed.name, failed.detail)
        self.refusals[key] += 1
        examples = self.refusal_examples.setdefault(key, [])
        if len(examples) < self.show:
            examples.append({"source": row.source, "row": row.index, "cypher": row.cypher, "detail": failed.detail})


def evaluate(
    rows: list[Row],
    folder: Path,
    *,
    progress: Callable[[Iterable[Row]], Iterator[Row]] | None = None,
    show: int = 10,
    max_hops: int = 4,
    limit: int = 100,
) -> dict[str, Any]:
    """Check every row's query against its database's schema and report how that went."""
    from kgqa.qa.cypher_checks import INTERNAL_ERROR, check_cypher

    schemas = parse_schemas(folder)
    started = time.perf_counter()
    tally = _Tally(show)
    iterator = progress(rows) if progress else iter(rows)
    for row in iterator:
        schema = schemas.get(row.database)
        if schema is None:
            tally.no_schema += 1
        try:
            outcome = check_cypher(row.cypher, {}, schema, max_hops=max_hops, limit=limit, require_values=False)
        except Exception as exc:  # the point of this run is that nothing crashes
            tally.crashes.append({"source": row.source, "row": row.index, "error": f"{type(exc).__name__}: {exc}"})
            continue
        tally.add(row, outcome, INTERNAL_ERROR)
    elapsed = time.perf_counter() - started
    return _report(tally, rows, folder, show, elapsed)


def _report(tally: _Tally, rows: list[Row], folder: Path, show: int, elapsed: float) -> dict[str, Any]:
    valid_total, valid_ok = tally.valid_total, tally.valid_ok
    return {
        "data": str(folder),
        "total": len(rows),
        "crashes": len(tally.crashes),
        "crash_examples": tally.crashes[:show],
        "ok": tally.status["ok"],
        "refused": tally.status["refused"],
        "no_schema_rows": tally.no_schema,
        "valid_total": valid_total,
        "valid_passed": valid_ok,
        "valid_passed_pct": round(100.0 * valid_ok / valid_total, 2) if valid_total else None,
        "valid_refusals": [
            {"reason": k, "count": c, "examples": tally.refusal_examples[k]} for k, c in tally.refusals.most_common()
        ],
        "schema_flag_confusion": _schema_confusion(tally.confusion),
        "syntax_flag_confusion": {
            "flagged_and_we_failed_parse": tally.syntax_confusion[(True, True)],
            "flagged_but_we_parsed": tally.syntax_confusion[(True, False)],
            "clean_but_we_failed_parse": tally.syntax_confusion[(False, True)],
            "clean_and_we_parsed": tally.syntax_confusion[(False, False)],
        },
        "check_status": dict(sorted(tally.check_status.items())),
        "seconds": round(elapsed, 1),
        "ms_per_query": round(1000 * elapsed / max(len(rows), 1), 1),
    }


def _schema_confusion(confusion: Counter[tuple[bool, bool]]) -> dict[str, Any]:
    """Our schema check against the dataset's ``false_schema`` flag."""
    tp, fp = confusion[(True, True)], confusion[(False, True)]
    fn, tn = confusion[(True, False)], confusion[(False, False)]
    checked = tp + fp + fn + tn
    return {
        "rows_compared": checked,
        "flagged_and_we_failed": tp,
        "flagged_but_we_passed": fn,
        "clean_but_we_failed": fp,
        "clean_and_we_passed": tn,
        "agreement_pct": round(100.0 * (tp + tn) / checked, 2) if checked else None,
        "precision": round(tp / (tp + fp), 3) if tp + fp else None,
        "recall": round(tp / (tp + fn), 3) if tp + fn else None,
    }


def render_report(r: dict[str, Any], top: int = 25) -> str:
    cm = r["schema_flag_confusion"]
    sx = r["syntax_flag_confusion"]
    lines = [
        f"text2cypher: {r['total']} queries from {r['data']} in {r['seconds']} s ({r['ms_per_query']} ms each)",
        f"crashes: {r['crashes']}",
        f"accepted (passed or fixed): {r['ok']}   refused: {r['refused']}   rows without a schema: {r['no_schema_rows']}",
        f"valid per the dataset: {r['valid_total']}; accepted: {r['valid_passed']} ({r['valid_passed_pct']}%)",
        "",
        f"schema check vs false_schema flag ({cm['rows_compared']} rows whose schema check ran):",
        "                    we failed   we passed",
        f"  flagged           {cm['flagged_and_we_failed']:>9}   {cm['flagged_but_we_passed']:>9}",
        f"  not flagged       {cm['clean_but_we_failed']:>9}   {cm['clean_and_we_passed']:>9}",
        f"  agreement {cm['agreement_pct']}%  precision {cm['precision']}  recall {cm['recall']}",
        "",
        "parse vs syntax_error flag: "
        f"flagged&failed {sx['flagged_and_we_failed_parse']}, flagged&parsed {sx['flagged_but_we_parsed']}, "
        f"clean&failed {sx['clean_but_we_failed_parse']}, clean&parsed {sx['clean_and_we_parsed']}",
        "",
        "why valid queries were refused:",
    ]
    for item in r["valid_refusals"][:top]:
        lines.append(f"  {item['count']:>5}  {item['reason']}")
        if item["examples"]:
            example = " ".join(item["examples"][0]["cypher"].split())
            lines.append(f"         e.g. {example[:150]}")
    for crash in r["crash_examples"]:
        lines.append(f"CRASH {crash['source']}#{crash['row']}: {crash['error']}")
    return "\n".join(lines)
