"""Would a yes/no pass of the local model over the rules' facts lift extraction? (issue 16, idea "verification")

    python -m benchmarks.bench_verify --sets heldout5,heldout7,heldout8,heldout9 --model qwen2.5-coder-1.5b \\
        --out benchmarks/results/verify.jsonl --home /tmp/home-bx --threads 1

The offline extractor runs over each set (one whole-document chunk per file, as ``kgqa eval extraction
--direct``); each of its facts is put to the model with the hybrid extractor's own question ("Sentence: ...
Statement: A founded B. Yes or No?", one token, P(yes) from the log-probabilities) and marked right or wrong
against the set's gold. One JSON line per fact goes to ``--out``; the summary prints, per threshold, the facts
kept and the precision, recall and F1 that keeping only those would give, and the ROC AUC of P(yes). Dev sets
only: the answer decides whether to build the pass, so a blind set must not be used here.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from benchmarks.bench_extractors import DATA, make_settings, set_name
from kgqa.eval import extraction as ev
from kgqa.ingest.extract.hybrid import HybridExtractor, statement
from kgqa.ingest.extract.offline import OfflineExtractor
from kgqa.ingest.model import Chunk
from kgqa.llm.factory import get_llm
from kgqa.ontology import Ontology, load_ontology

THRESHOLDS = (0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9)
_COLS = (("p", "precision"), ("r", "recall"), ("f1", "f1"))


def fact_rows(name: str, verifier: HybridExtractor, ontology: Ontology, model: str) -> list[dict[str, Any]]:
    """Every offline fact of the set with its gold label and the model's P(yes)."""
    symmetric = {r.name for r in ontology.relation_types if r.symmetric}
    gold = {ev._key(t, symmetric) for t in ev.load_gold(DATA / f"{name}_gold.tsv", ontology)}
    rows = []
    for doc in ev.read_documents(DATA / name):
        chunk = Chunk(id=f"{doc.id}#0", doc_id=doc.id, index=0, text=doc.text, start=0, end=len(doc.text))
        for ex in OfflineExtractor().extract(doc, [chunk], ontology):
            for f in ex.facts:
                started = time.perf_counter()
                p_yes = verifier._p_yes(f.sentence or "", statement(f.subject, f.relation, f.object, ontology))
                right = ev._key(ev.Triple(f.subject, f.relation, f.object), symmetric) in gold
                rows.append(
                    {"set": name, "doc": doc.id, "relation": f.relation, "right": right, "p_yes": round(p_yes, 4)}
                    | {"seconds": round(time.perf_counter() - started, 2), "model": model}
                )
    return rows


def summary(rows: list[dict[str, Any]], gold_total: int) -> dict[str, Any]:
    """ROC AUC of P(yes) (right vs wrong facts) and P/R/F1 when only facts at or above each threshold are kept."""
    right = [r["p_yes"] for r in rows if r["right"]]
    wrong = [r["p_yes"] for r in rows if not r["right"]]
    pairs = len(right) * len(wrong)
    auc = sum((a > b) + 0.5 * (a == b) for a in right for b in wrong) / pairs if pairs else None
    table = []
    for t in THRESHOLDS:
        tp, fp = sum(p >= t for p in right), sum(p >= t for p in wrong)
        s = ev.PRF(tp, fp, gold_total - tp)
        table.append({"threshold": t, "tp": tp, "fp": fp} | {k: round(getattr(s, n), 3) for k, n in _COLS})
    mean_s = sum(r["seconds"] for r in rows) / len(rows) if rows else None
    return {"facts": len(rows), "gold": gold_total, "auc": auc and round(auc, 3), "s_per_fact": mean_s, "by": table}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default="heldout5,heldout7,heldout8,heldout9")
    ap.add_argument("--model", default="qwen2.5-coder-1.5b")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/verify.jsonl"))
    ap.add_argument("--home", default="/tmp/kgqa-bench-verify")
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args(argv)
    ontology = load_ontology()
    settings = make_settings(args.home, args.threads)
    verifier = HybridExtractor(get_llm(f"local:{args.model}", settings, "--model"), f"local:{args.model}")
    rows, gold_total = [], 0
    for name in (set_name(s) for s in args.sets.split(",")):
        rows += fact_rows(name, verifier, ontology, args.model)
        gold_total += len(ev.load_gold(DATA / f"{name}_gold.tsv", ontology))
    with args.out.open("a", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in rows)
    print(json.dumps(summary(rows, gold_total) | {"sets": args.sets, "model": args.model}, indent=1))


if __name__ == "__main__":
    main()
