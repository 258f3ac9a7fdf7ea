"""Re-create this MetaQA sample from the full data: ``python make_sample.py ../../../../shared/data/metaqa``.

Picks, per hop count and question type, dev and test questions whose answers come from a small part
of the KB (the edges along the question type's relation path), and writes exactly those KB lines, so
every sampled question has the same gold answers on the sample KB as on the full one.
"""

from __future__ import annotations

import itertools
import random
import re
import sys
from collections import defaultdict
from pathlib import Path

ROLE = {
    "director": "directed_by",
    "writer": "written_by",
    "actor": "starred_actors",
    "genre": "has_genre",
    "year": "release_year",
    "language": "in_language",
    "tags": "has_tags",
    "tag": "has_tags",
}
MAX_EDGES = {1: 6, 2: 12, 3: 25}
PER_HOP = 5  # question types per hop count
OUT = Path(__file__).parent


def path_of(qtype: str) -> list[tuple[str, str]]:
    parts = qtype.split("_to_")
    steps = []
    for a, b in itertools.pairwise(parts):
        if a == "movie":
            steps.append((ROLE[b], "out"))
        else:
            steps.append((ROLE[a], "in"))
    return steps


def main(data: Path) -> None:
    out_edges: dict[tuple[str, str], set[str]] = defaultdict(set)
    in_edges: dict[tuple[str, str], set[str]] = defaultdict(set)
    lines: dict[tuple[str, str, str], str] = {}
    for line in (data / "kb.txt").read_text(encoding="utf-8").splitlines():
        s, r, o = line.split("|")
        out_edges[(s, r)].add(o)
        in_edges[(o, r)].add(s)
        lines[(s, r, o)] = line

    def expand(topic: str, steps: list[tuple[str, str]]) -> tuple[set[str], set[tuple[str, str, str]]]:
        frontier, used = {topic}, set()
        for rel, direction in steps:
            nxt = set()
            for node in frontier:
                targets = out_edges[(node, rel)] if direction == "out" else in_edges[(node, rel)]
                for t in targets:
                    used.add((node, rel, t) if direction == "out" else (t, rel, node))
                nxt |= targets
            frontier = nxt
        return frontier - {topic}, used

    rng = random.Random(0)
    chosen: dict[tuple[int, str], list[str]] = defaultdict(list)
    kb: set[tuple[str, str, str]] = set()
    for hop in (1, 2, 3):
        per_type: dict[str, dict[str, list[tuple[str, set]]]] = defaultdict(lambda: defaultdict(list))
        for split in ("dev", "test"):
            qs = (data / f"{hop}-hop" / f"{split}.txt").read_text(encoding="utf-8").splitlines()
            types = (data / f"{hop}-hop" / f"{split}_qtype.txt").read_text(encoding="utf-8").splitlines()
            for q, qtype in zip(qs, types, strict=True):
                if "imdb" in qtype:
                    continue
                question, answers = q.split("\t")
                topic = re.search(r"\[([^\]]+)\]", question).group(1)
                gold = set(answers.split("|")) - {topic}
                found, used = expand(topic, path_of(qtype))
                if found == gold and 0 < len(used) <= MAX_EDGES[hop]:
                    per_type[qtype][split].append((q, used))
        types = sorted(t for t, v in per_type.items() if v["dev"] and v["test"])
        for qtype in rng.sample(types, min(PER_HOP, len(types))):
            for split in ("dev", "test"):
                q, used = rng.choice(per_type[qtype][split])
                chosen[(hop, split)].append(q)
                kb |= used
    (OUT / "kb.txt").write_text("\n".join(lines[t] for t in sorted(kb)) + "\n", encoding="utf-8")
    for (hop, split), qs in sorted(chosen.items()):
        (OUT / f"{hop}-hop").mkdir(exist_ok=True)
        (OUT / f"{hop}-hop" / f"{split}.txt").write_text("\n".join(qs) + "\n", encoding="utf-8")
    n = sum(len(v) for v in chosen.values())
    print(f"{len(kb)} KB lines, {n} questions")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
