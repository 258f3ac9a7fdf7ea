"""Mining examples: the relation paths (up to 3 hops) that explain question/answer pairs over a graph.

For each question, the paths from its entity to its gold answers are found with bounded Cypher path
queries and scored by the F1 of the answers they reach; per template, the best paths on a few questions
become examples (shorter paths win ties).
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from kgqa.errors import InputError
from kgqa.names import normalize_name
from kgqa.qa.examples.example import ENTITY_PARAM, Example, Step, describe_path, path_cypher
from kgqa.qa.examples.qa_files import QAItem
from kgqa.qa.examples.templates import normalize_template

if TYPE_CHECKING:
    from kgqa.graph.client import Graph

log = logging.getLogger(__name__)

SIGNATURES_CYPHER = """
MATCH p = (s:Entity {{id: $sid}})-[*1..{hops}]-(x:Entity)
WHERE x.id IN $aids AND x <> s
WITH x, [r IN relationships(p) | type(r)] AS types,
     [i IN range(0, length(p) - 1) | startNode(relationships(p)[i]) = nodes(p)[i]] AS forward
RETURN types, forward, count(DISTINCT x) AS hits
LIMIT 2000
"""


def _count_cypher(path: list[Step]) -> str:
    """How many distinct answers a path reaches (for its precision)."""
    cypher = path_cypher(path)
    head = cypher.split("\nWITH", 1)[0]
    return head + "\nRETURN count(DISTINCT answer) AS n"


@dataclass
class MiningReport:
    """What a mining run found: counts per outcome, the examples, the time taken."""

    questions: int = 0
    templates: int = 0
    mined_questions: int = 0
    unresolved_entity: int = 0
    no_path: int = 0
    timeouts: int = 0
    examples: list[Example] = field(default_factory=list)
    seconds: float = 0.0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        f1s = [e.f1 for e in self.examples]
        return {
            "questions": self.questions,
            "templates": self.templates,
            "mined_questions": self.mined_questions,
            "unresolved_entity": self.unresolved_entity,
            "no_path": self.no_path,
            "timeouts": self.timeouts,
            "examples": len(self.examples),
            "mean_f1": round(float(np.mean(f1s)), 4) if f1s else None,
            "hops": dict(sorted(Counter(e.hops for e in self.examples).items())),
            "seconds": round(self.seconds, 1),
            "malformed_lines": len(self.errors),
        }


class PathMiner:
    """Find the relation paths that explain question/answer pairs, with bounded Cypher path queries."""

    def __init__(
        self,
        graph: Graph,
        *,
        max_hops: int = 3,
        per_template: int = 3,
        timeout: float = 30.0,
        keep_ratio: float = 0.9,
        max_per_template: int = 10,
    ) -> None:
        if not 1 <= max_hops <= 3:
            raise InputError("max hops must be 1, 2 or 3", "paths longer than 3 hops are not mined")
        self.graph = graph
        self.max_hops = max_hops
        self.per_template = per_template
        self.timeout = timeout
        self.keep_ratio = keep_ratio
        self.max_per_template = max(max_per_template, per_template)
        self._ids: dict[str, list[str]] = {}

    def resolve(self, names: Iterable[str]) -> dict[str, list[str]]:
        """Entity ids per name: exact ``name`` first, then the normalised ``norm``."""

        todo = sorted({n for n in names if n not in self._ids})
        for i in range(0, len(todo), 1000):
            chunk = todo[i : i + 1000]
            rows = self.graph.read(
                "UNWIND $names AS name MATCH (e:Entity {name: name}) RETURN name, e.id AS id",
                {"names": chunk},
                max_rows=100_000,
            ).rows
            found: dict[str, list[str]] = defaultdict(list)
            for row in rows:
                found[row["name"]].append(row["id"])
            missing = [n for n in chunk if n not in found]
            if missing:
                norms = {normalize_name(n): n for n in missing}
                rows = self.graph.read(
                    "UNWIND $norms AS norm MATCH (e:Entity {norm: norm}) RETURN norm, e.id AS id",
                    {"norms": list(norms)},
                    max_rows=100_000,
                ).rows
                for row in rows:
                    found[norms[row["norm"]]].append(row["id"])
            for name in chunk:
                self._ids[name] = sorted(set(found.get(name, [])))
        return {n: self._ids.get(n, []) for n in names}

    def score_paths(self, entity_id: str, gold_ids: dict[str, list[str]], hops: int) -> dict[tuple[Step, ...], float]:
        """F1 of every path (up to ``hops`` steps) that reaches at least one gold answer."""
        all_ids = sorted({i for ids in gold_ids.values() for i in ids})
        if not all_ids:
            return {}
        rows = self.graph.read(
            SIGNATURES_CYPHER.format(hops=int(hops)),
            {"sid": entity_id, "aids": all_ids},
            timeout=self.timeout,
            max_rows=2000,
        ).rows
        hits: dict[tuple[Step, ...], int] = {}
        for row in rows:
            sig = tuple((t, "out" if f else "in") for t, f in zip(row["types"], row["forward"], strict=True))
            hits[sig] = hits.get(sig, 0) + int(row["hits"])
        if not hits:
            return {}
        gold_n = len(gold_ids)
        best_recall = max(hits.values()) / gold_n
        scores: dict[tuple[Step, ...], float] = {}
        for sig, hit in hits.items():
            recall = hit / gold_n
            if recall < 0.5 * best_recall:
                continue  # cannot win; skip the (costlier) precision query
            total = self.graph.value(_count_cypher(list(sig)), {"entity": entity_id}, default=0) or 0
            precision = hit / total if total else 0.0
            scores[sig] = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return scores

    def _score_item(self, item: QAItem, report: MiningReport) -> dict[tuple[Step, ...], float]:
        from kgqa.graph.client import QueryFailed

        ids = self._ids.get(item.entity)
        if ids is None:
            ids = self.resolve([item.entity])[item.entity]
        if not ids:
            report.unresolved_entity += 1
            return {}
        missing = [a for a in item.answers if a not in self._ids]
        if missing:
            self.resolve(missing)
        gold = {a: self._ids.get(a, []) for a in item.answers}
        best: dict[tuple[Step, ...], float] = {}
        for eid in ids[:3]:  # a name shared by several entities: try each, keep the best
            try:
                scores = self.score_paths(eid, gold, self.max_hops)
            except QueryFailed as exc:
                report.timeouts += 1
                log.info("mining %r: %s", item.question, exc)
                continue
            for sig, f1 in scores.items():
                best[sig] = max(best.get(sig, 0.0), f1)
        if best:
            report.mined_questions += 1
        else:
            report.no_path += 1
        return best

    def mine(
        self,
        items: list[QAItem],
        *,
        source: str = "",
        on_progress: Callable[[int, int], None] | None = None,
    ) -> MiningReport:
        """Mine examples: per template, score paths on up to ``per_template`` questions and keep the best."""
        start = time.perf_counter()
        report = MiningReport(questions=len(items))
        groups = self._groups(items, report)
        total = sum(min(len(p), self.per_template) for p in groups)
        self.resolve({i.entity for p in groups for i in p} | {a for p in groups for i in p for a in i.answers})
        done = 0
        examples: dict[tuple[str, str], Example] = {}
        for picked in groups:
            ranked, support, done = self._rank_group(picked, report, done, total, on_progress)
            for example in self._examples(picked, ranked, support, source):
                examples.setdefault(example.key, example)
        report.examples = list(examples.values())
        report.seconds = time.perf_counter() - start
        return report

    def _groups(self, items: list[QAItem], report: MiningReport) -> list[list[QAItem]]:
        """Per template, up to ``max_per_template`` questions about distinct entities."""
        by_template: dict[str, list[QAItem]] = defaultdict(list)
        for item in items:
            by_template[normalize_template(item.masked)].append(item)
        report.templates = len(by_template)
        groups: list[list[QAItem]] = []
        for group in by_template.values():
            seen_entities: set[str] = set()
            picked = []
            for item in group:
                if item.entity in seen_entities:
                    continue
                seen_entities.add(item.entity)
                picked.append(item)
                if len(picked) >= self.max_per_template:
                    break
            groups.append(picked)
        return groups

    def _rank_group(
        self,
        picked: list[QAItem],
        report: MiningReport,
        done: int,
        total: int,
        on_progress: Callable[[int, int], None] | None,
    ) -> tuple[list[tuple[tuple[Step, ...], float]], dict[tuple[Step, ...], int], int]:
        """The template's paths ranked over its questions, their support, and the questions done so far."""
        per_question: list[dict[tuple[Step, ...], float]] = []
        ranked: list[tuple[tuple[Step, ...], float]] = []
        support: dict[tuple[Step, ...], int] = defaultdict(int)
        for n, item in enumerate(picked):
            if n >= self.per_template and not _tied(ranked, self.keep_ratio):
                break  # enough questions and a clear winner; ties get more questions
            done += 1
            scores = self._score_item(item, report)
            if scores:
                per_question.append(scores)
                ranked, support = _rank(per_question)
            if on_progress:
                on_progress(done, max(total, done))
        return ranked, support, done

    def _examples(
        self,
        picked: list[QAItem],
        ranked: list[tuple[tuple[Step, ...], float]],
        support: dict[tuple[Step, ...], int],
        source: str,
    ) -> list[Example]:
        """Examples for the best paths (up to 3, within ``keep_ratio`` of the best), templated on the first question."""
        if not ranked or ranked[0][1] <= 0:
            return []
        top = ranked[0][1]
        out: list[Example] = []
        for sig, f1 in ranked[:3]:
            if f1 < self.keep_ratio * top:
                break
            sample_ids = self._ids.get(picked[0].entity) or [""]
            out.append(
                Example(
                    question=picked[0].masked,
                    cypher=path_cypher(list(sig)),
                    params={ENTITY_PARAM: sample_ids[0]},  # the sample's binding; re-bound on use
                    path=[list(step) for step in sig],
                    hops=len(sig),
                    f1=round(f1, 4),
                    support=support[sig],
                    source=source,
                    sample=picked[0].question,
                    description=describe_path(list(sig)),
                )
            )
        return out


def _rank(
    per_question: list[dict[tuple[Step, ...], float]],
) -> tuple[list[tuple[tuple[Step, ...], float]], dict[tuple[Step, ...], int]]:
    """Paths by mean F1 over the questions (missing = 0), shorter first on ties; and their support."""
    mean: dict[tuple[Step, ...], float] = defaultdict(float)
    support: dict[tuple[Step, ...], int] = defaultdict(int)
    for scores in per_question:
        for sig, f1 in scores.items():
            mean[sig] += f1 / len(per_question)
            if f1 > 0.5:
                support[sig] += 1
    ranked = sorted(mean.items(), key=lambda kv: (-round(kv[1], 6), len(kv[0]), kv[0]))
    return ranked, support


def _tied(ranked: list[tuple[tuple[Step, ...], float]], keep_ratio: float) -> bool:
    """True when the runner-up is as short as the best and scores within ``keep_ratio`` of it."""
    if len(ranked) < 2:
        return False
    (best, top), (second, f1) = ranked[0], ranked[1]
    return len(second) <= len(best) and f1 >= keep_ratio * top
