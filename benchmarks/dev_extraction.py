"""The offline extractor on the development gold sets only: P/R/F1 per set and in total, errors to a JSON file.

Run: ``python -m benchmarks.dev_extraction [--sets corpus,heldout5] [--errors FILE] [--compare FILE]``.
The blind sets are not in the list and cannot be named here: tune on these, measure on the others.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from kgqa.eval import extraction as ev
from kgqa.ingest.extract.offline import OfflineExtractor
from kgqa.ontology import load_ontology

DATA = Path(__file__).resolve().parent.parent / "data"
DEV_SETS = ["corpus", "heldout", *[f"heldout{n}" for n in range(2, 11)], "kinds", "kinds2", "places"]


def _paths(name: str) -> tuple[Path, Path]:
    """The documents folder and the gold file of a development set."""
    stem = "corpus" if name == "corpus" else f"corpus_{name}"
    return DATA / stem, DATA / f"{stem}_gold.tsv"


def score_set(name: str, extractor: OfflineExtractor, ontology) -> dict:
    """Score one development set; the row holds counts and the errors."""
    if name not in DEV_SETS:
        raise SystemExit(f"{name} is not a development set")
    docs_dir, gold = _paths(name)
    names: set[str] = set()
    predicted = ev.direct_triples(ev.read_documents(docs_dir), extractor, ontology, names=names)
    score = ev.score_triples(predicted, ev.load_gold(gold, ontology), ontology, read_names=names)
    o = score.overall
    return {
        "set": name,
        "tp": o.tp,
        "fp": o.fp,
        "fn": o.fn,
        "fns": [[*t.as_list(), score.miss_reason.get(t, "")] for t in score.false_negatives],
        "fps": [[*t.as_list(), score.false_positive_reason.get(t, "")] for t in score.false_positives],
    }


def print_table(rows: list[dict], before: dict[str, dict] | None = None) -> None:
    """One line a set and a total line; with ``before``, the change in TP and FP."""
    total = {"tp": 0, "fp": 0, "fn": 0}
    for row in rows:
        for k in total:
            total[k] += row[k]
    for row in [*rows, {"set": "TOTAL", **total}]:
        s = ev.PRF(row["tp"], row["fp"], row["fn"])
        line = f"{row['set']:>10} tp {s.tp:4d} fp {s.fp:4d} fn {s.fn:4d}  P {s.precision:.3f} R {s.recall:.3f} F1 {s.f1:.3f}"
        if before is not None:
            old = before.get(row["set"]) or (
                {k: sum(b[k] for b in before.values()) for k in total} if row["set"] == "TOTAL" else None
            )
            if old:
                line += f"   dTP {row['tp'] - old['tp']:+d} dFP {row['fp'] - old['fp']:+d}"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default=",".join(DEV_SETS))
    parser.add_argument("--errors", type=Path, help="write every row (with its errors) to this JSON file")
    parser.add_argument("--compare", type=Path, help="a JSON file written by --errors earlier")
    args = parser.parse_args()
    ontology = load_ontology(None)
    extractor = OfflineExtractor()
    rows = [score_set(s.strip(), extractor, ontology) for s in args.sets.split(",") if s.strip()]
    before = None
    if args.compare and args.compare.is_file():
        before = {r["set"]: r for r in json.loads(args.compare.read_text()) if r["set"] in {x["set"] for x in rows}}
    print_table(rows, before)
    if args.errors:
        args.errors.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
