"""Offline vs hybrid extraction on one gold set, with a real local model.

    python -m benchmarks.bench_hybrid corpus_heldout13 [MODEL] [KGQA_HOME]

Prints one JSON line per engine (P/R/F1, seconds, questions asked, facts added, server RSS) and each fact the
hybrid pass added, marked OK/BAD against the gold. Needs `make llm`. Stop the server afterwards with
`KGQA_HOME=... kgqa llm stop` (or let it stop itself when idle).
"""

from __future__ import annotations

import json
import sys
import time

from kgqa.config import Settings
from kgqa.eval import extraction as ev
from kgqa.ingest.extract.hybrid import HybridExtractor
from kgqa.ingest.extract.offline import OfflineExtractor
from kgqa.llm.factory import get_llm
from kgqa.llm.local_server import server_for
from kgqa.ontology import load_ontology


def main(name: str, model: str = "qwen2.5-coder-1.5b", home: str = "/tmp/kgqa-bench-hybrid") -> None:
    ontology = load_ontology()
    gold = ev.load_gold(f"data/{name}_gold.tsv", ontology)
    docs = ev.read_documents(f"data/{name}")
    settings = Settings(_env_file=None, home=home, llm=f"local:{model}", llm_cache=True)
    started = time.perf_counter()
    offline = ev.direct_triples(docs, OfflineExtractor(), ontology)
    offline_s = time.perf_counter() - started
    hybrid = HybridExtractor(get_llm(f"local:{model}", settings), f"local:{model}")
    started = time.perf_counter()
    mixed = ev.direct_triples(docs, hybrid, ontology)
    hybrid_s = time.perf_counter() - started
    rss = server_for(settings).status()["rss_mb"]
    for label, triples, seconds in (("offline", offline, offline_s), ("hybrid", mixed, hybrid_s)):
        score = ev.score_triples(triples, gold, ontology).as_dict(details=False)["overall"]
        row = {"set": name, "engine": label, "model": model, **score, "seconds": round(seconds, 1)}
        if label == "hybrid":
            row |= {"questions": hybrid.questions, "accepted": hybrid.accepted, "server_rss_mb": rss}
        print(json.dumps(row))
    gold_keys = {(g.subject.casefold(), g.relation, g.object.casefold()) for g in gold}
    for t in sorted(set(mixed) - set(offline), key=str):
        ok = (t.subject.casefold(), t.relation, t.object.casefold()) in gold_keys
        print("added", "OK " if ok else "BAD", t.subject, t.relation, t.object)


if __name__ == "__main__":
    main(*sys.argv[1:])
