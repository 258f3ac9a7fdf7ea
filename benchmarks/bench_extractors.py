"""Extraction engines side by side: offline, LLM-only and hybrid, with the managed local model, per gold set.

    python -m benchmarks.bench_extractors --sets heldout13,heldout14 --engines offline,llm,hybrid \\
        --models qwen2.5-coder-1.5b --out benchmarks/results/extractors.jsonl --resume

Each engine runs over each set's documents exactly as ``kgqa eval extraction --direct`` does (one
whole-document chunk per file, ``kgqa.eval.extraction``) and is scored against ``data/<set>_gold.tsv``. The LLM
response cache is off, so every reply is generated. One JSON line per (set, engine, model) is printed and
appended to ``--out`` as soon as it is done; ``--resume`` skips rows already there. Rows carry P/R/F1,
tp/fp/fn, chunks, seconds, s/chunk, prompt and generated tokens (completion usage), generated tokens per second
of request time (prompt processing included), the server's RSS (sampled every second: start and peak, plus
the kernel's lifetime peak VmHWM), model, threads and the load average at start and end.

The server runs in ``--home`` with ``KGQA_LLM_THREADS`` threads (``--threads``); stop it afterwards with
``KGQA_HOME=... kgqa llm stop``. A set name may omit the ``corpus_`` prefix. Needs ``make llm``.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kgqa.config import Settings
from kgqa.eval import extraction as ev
from kgqa.ingest.extract import get_extractor
from kgqa.ingest.model import Chunk, Document, Extraction
from kgqa.llm.base import usage_meter
from kgqa.llm.local_server import server_for
from kgqa.ontology import Ontology, load_ontology
from kgqa.procs import proc_memory_mb

DATA = Path("data")
ENGINES = ("offline", "llm", "hybrid")


@dataclass
class Recorder:
    """Wraps an extractor and keeps every ``Extraction`` it returns (for usage and failed chunks)."""

    inner: Any
    extractions: list[Extraction] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.inner.name

    def extract(self, doc: Document, chunks: list[Chunk], ontology: Ontology) -> list[Extraction]:
        out = self.inner.extract(doc, chunks, ontology)
        self.extractions += out
        return out


class RssSampler(threading.Thread):
    """Samples a process's VmRSS every ``interval`` seconds; ``peak_mb`` is the highest sample."""

    def __init__(self, pid: int | None, interval: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.first_mb: float | None = None
        self.peak_mb: float | None = None
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            mb = proc_status_mb(self.pid, "VmRSS") if self.pid else None
            if mb is not None:
                self.first_mb = mb if self.first_mb is None else self.first_mb
                self.peak_mb = max(self.peak_mb or 0.0, mb)
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)


def proc_status_mb(pid: int | None, key: str) -> float | None:
    """A ``/proc/PID/status`` memory field (VmRSS, VmHWM) in MB, or None."""
    return proc_memory_mb(f"/proc/{pid or 'self'}/status", key)


def set_name(name: str) -> str:
    return name if name.startswith("corpus") else f"corpus_{name}"


def load_avg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


@functools.cache
def git_commit() -> str:
    """HEAD when the run started (cached: later commits do not change the code already imported)."""
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""


def make_settings(home: str, threads: int | None) -> Settings:
    """Benchmark settings: cache off, the given home and thread count, no .env file."""
    return Settings(_env_file=None, home=Path(home), llm_cache=False, llm_threads=threads)


def engine_spec(engine: str, model: str) -> str:
    return {"offline": "offline", "llm": f"local:{model}", "hybrid": f"hybrid:local:{model}"}[engine]


def usage_of(extractions: list[Extraction]) -> dict[str, Any]:
    """Failed chunks (with their messages) and re-asks over the extractions (the LLM extractor reports these)."""
    return {
        "failed_chunks": sum(int(e.usage.get("failed_chunks", 0)) for e in extractions),
        "reasks": sum(int(e.usage.get("reasks", 0)) for e in extractions),
        "dropped_or_repaired": sum(len(e.errors) for e in extractions),
        "failures": [msg for e in extractions for msg in e.errors if "extraction failed" in msg],
    }


def llm_figures(settings: Settings, sampler: RssSampler | None) -> dict[str, Any]:
    """Token counts from the process's usage meter and the server's state and memory."""
    meter = usage_meter().summary()
    state = server_for(settings).status()
    llm_s = usage_meter().total.latency_ms / 1000.0
    gen = meter["completion_tokens"]
    return {
        "calls": meter["calls"],
        "llm_errors": meter["errors"],
        "prompt_tokens": meter["prompt_tokens"],
        "completion_tokens": gen,
        "llm_seconds": round(llm_s, 1),
        "gen_tok_per_s": round(gen / llm_s, 2) if llm_s else None,
        "threads": state["threads"],
        "context": state["context"],
        "server_rss_mb_start": sampler.first_mb if sampler else None,
        "server_rss_mb_peak": sampler.peak_mb if sampler else None,
        "server_vmhwm_mb": proc_status_mb(state["pid"], "VmHWM") if state["pid"] else None,
    }


def run_row(name: str, engine: str, model: str, settings: Settings, ontology: Ontology) -> dict[str, Any]:
    """One (set, engine, model) measurement."""
    gold = ev.load_gold(DATA / f"{name}_gold.tsv", ontology)
    docs = ev.read_documents(DATA / name)
    load_start = load_avg()
    extractor = Recorder(get_extractor(engine_spec(engine, model), settings))  # starts the server if needed
    sampler = None
    if engine != "offline":
        sampler = RssSampler(server_for(settings).status()["pid"])
        sampler.start()
    usage_meter().reset()
    names: set[str] = set()
    started = time.perf_counter()
    predicted = ev.direct_triples(docs, extractor, ontology, names=names)
    seconds = time.perf_counter() - started
    if sampler:
        sampler.stop()
    score = ev.score_triples(predicted, gold, ontology, read_names=names).as_dict(details=False)
    row: dict[str, Any] = {"set": name, "engine": engine, "model": model if engine != "offline" else "-"}
    row |= score["overall"] | {"gold": score["gold"], "predicted": score["predicted"]}
    row |= {"chunks": len(docs), "seconds": round(seconds, 1), "s_per_chunk": round(seconds / len(docs), 2)}
    row["facts_per_s"] = round(len(set(predicted)) / seconds, 3) if seconds else None
    row |= usage_of(extractor.extractions)
    if engine != "offline":
        row |= llm_figures(settings, sampler)
    if engine == "hybrid":
        row |= {"questions": extractor.inner.questions, "accepted": extractor.inner.accepted}
    row |= {"bench_rss_mb": proc_status_mb(None, "VmRSS"), "load_start": load_start, "load_end": load_avg()}
    return row | {"cpus": os.cpu_count(), "commit": git_commit(), "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S")}


def done_rows(path: Path) -> set[tuple[str, str, str]]:
    """(set, engine, model) of the rows already in the results file."""
    if not path.is_file():
        return set()
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return {(r["set"], r["engine"], r["model"]) for r in rows}


def plan(sets: list[str], engines: list[str], models: list[str]) -> list[tuple[str, str, str]]:
    """Rows in order: per set, each engine, each model (offline once)."""
    out = []
    for name in sets:
        for engine in engines:
            for model in ["-"] if engine == "offline" else models:
                out.append((set_name(name), engine, model))
    return out


def _cell(row: dict[str, Any], key: str, fmt: str = "{}") -> str:
    value = row.get(key)
    return "–" if value is None else fmt.format(value)


def table(path: Path) -> str:
    """The results file as a markdown table (the last row of each set/engine/model wins)."""
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for line in path.read_text().splitlines():
        if line.strip():
            r = json.loads(line)
            rows[(r["set"], r["engine"], r["model"])] = r
    head = "| set | engine | model | P | R | F1 | tp/fp/fn | chunks | s/chunk | prompt tok | gen tok | gen tok/s |"
    head += " failed chunks | server RSS start/peak MB | threads | load start→end |"
    out = [head, "|" + "---|" * 16]
    sets = list(dict.fromkeys(k[0] for k in rows))
    for key in sorted(rows, key=lambda k: (sets.index(k[0]), ENGINES.index(k[1]), k[2])):
        r = rows[key]
        rss = f"{_cell(r, 'server_rss_mb_start', '{:.0f}')} / {_cell(r, 'server_rss_mb_peak', '{:.0f}')}"
        cells = [r["set"].removeprefix("corpus_"), r["engine"], r["model"].removeprefix("qwen2.5-coder-")]
        cells += [f"{r['precision']:.3f}", f"{r['recall']:.3f}", f"**{r['f1']:.3f}**", f"{r['tp']}/{r['fp']}/{r['fn']}"]
        cells += [str(r["chunks"]), f"{r['s_per_chunk']:.2f}", _cell(r, "prompt_tokens"), _cell(r, "completion_tokens")]
        cells += [
            _cell(r, "gen_tok_per_s"),
            str(r.get("failed_chunks", 0)),
            rss if "server_rss_mb_peak" in r else "–",
            _cell(r, "threads"),
        ]
        cells.append(f"{r['load_start'][0]:.1f}→{r['load_end'][0]:.1f}")
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--table", action="store_true", help="print --out as a markdown table and exit")
    ap.add_argument("--sets", default="", help="comma-separated gold sets, e.g. heldout13,heldout14")
    ap.add_argument("--engines", default=",".join(ENGINES), help="comma-separated: offline,llm,hybrid")
    ap.add_argument("--models", default="qwen2.5-coder-1.5b", help="comma-separated local models")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/extractors.jsonl"))
    ap.add_argument("--resume", action="store_true", help="skip rows already in --out")
    ap.add_argument("--home", default=os.environ.get("KGQA_HOME", "/tmp/kgqa-bench-extractors"))
    ap.add_argument("--threads", type=int, default=None, help="server threads (default KGQA_LLM_THREADS or cores-1)")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.table:
        print(table(args.out))
        return
    if not args.sets:
        sys.exit("--sets is required (e.g. --sets heldout13,heldout14)")
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if unknown := set(engines) - set(ENGINES):
        sys.exit(f"unknown engine(s): {', '.join(sorted(unknown))} (use {', '.join(ENGINES)})")
    threads = args.threads or (int(os.environ["KGQA_LLM_THREADS"]) if os.environ.get("KGQA_LLM_THREADS") else None)
    settings = make_settings(args.home, threads)
    git_commit()
    ontology = load_ontology()
    skip = done_rows(args.out) if args.resume else set()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    for key in plan(args.sets.split(","), engines, models):
        if key in skip:
            print(f"skip {key} (already in {args.out})", file=sys.stderr)
            continue
        row = run_row(*key, settings=settings, ontology=ontology)
        line = json.dumps(row)
        print(line, flush=True)
        with args.out.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")


if __name__ == "__main__":
    main()
