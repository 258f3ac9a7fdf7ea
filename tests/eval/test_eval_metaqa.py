"""`kgqa eval metaqa` end to end on the committed MetaQA sample, plus the scoring rules."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from kgqa.config import Settings
from kgqa.eval.metaqa import score, select_questions
from kgqa.graph.client import Graph

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "data" / "metaqa_sample"


def kgqa(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kgqa", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )


def test_scoring_follows_metaqa_conventions() -> None:
    assert score(["A", "B"], ["A", "C"], "T", False) == {"hit": 1.0, "precision": 0.5, "recall": 0.5, "f1": 0.5}
    # multi-hop: the topic entity is neither a prediction nor a gold answer
    s = score(["T", "B"], ["B", "T"], "T", True)
    assert s["hit"] == 1.0 and s["precision"] == 1.0 and s["recall"] == 1.0
    assert score([], ["A"], "T", False)["f1"] == 0.0
    assert score(["paris texas"], ["Paris, Texas"], "T", False)["hit"] == 1.0  # names compared normalised


def test_question_sampling_is_seeded_and_in_file_order() -> None:
    a, total = select_questions(SAMPLE, "test", 2, 3, seed=0)
    b, _ = select_questions(SAMPLE, "test", 2, 3, seed=0)
    assert total == 5 and [i.line for i in a] == [i.line for i in b] and len(a) == 3
    assert [i.line for i in a] == sorted(i.line for i in a)
    c, _ = select_questions(SAMPLE, "test", 2, None, seed=0)
    assert len(c) == 5


def _args(settings: Settings) -> list[str]:
    args = ["eval", "metaqa", "--data", str(SAMPLE), "--home", str(settings.home), "--json"]
    if not settings.embedded:
        args += ["--database", settings.graph_database or "neo4j"]
    return args


def test_eval_metaqa_end_to_end_on_the_sample(graph: Graph, graph_env: dict, settings: Settings) -> None:
    done = kgqa([*_args(settings), "--mode", "examples"], graph_env)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["split"] == "test" and report["mode"] == "examples"
    assert report["kb"]["loaded"] is True and report["kb"]["relationships"] == 182
    assert report["bank"]["mined"] is True and report["bank"]["examples"] >= 15
    assert set(report["per_hop"]) == {"1", "2", "3"}
    for hop, m in report["per_hop"].items():
        assert m["questions"] == 5 and m["answerable"] == 5, hop
        for key in ("hits_at_1", "hits_at_1_answerable", "precision", "recall", "f1"):
            assert 0 <= m[key] <= 100, key
        assert m["latency_ms"]["p50"] is not None and m["latency_ms"]["p95"] >= m["latency_ms"]["p50"]
        assert m["checks_passed"] <= m["questions"]
        for failure in m["failures"]:
            assert {"question", "gold", "predicted", "cypher"} <= set(failure)
    # test questions are paraphrases of the dev templates: retrieval has to generalise
    hits = [m["hits_at_1"] for m in report["per_hop"].values()]
    assert sum(hits) / 3 >= 60, hits
    # the marker node records the KB, and a second run reuses the graph and the bank
    assert graph.value("MATCH (m:KgqaMarker {id: 'metaqa-kb'}) RETURN m.hash AS h")
    again = kgqa([*_args(settings), "--mode", "examples", "--hops", "1", "--limit", "2", "--seed", "1"], graph_env)
    assert again.returncode == 0, again.stderr
    second = json.loads(again.stdout)
    assert second["kb"]["loaded"] is False and second["bank"]["mined"] is False
    assert list(second["per_hop"]) == ["1"] and second["per_hop"]["1"]["questions"] == 2
    # --link: no topic entity handed in; the pipeline links it from the question and the report says how often
    linked = kgqa([*_args(settings), "--mode", "pipeline", "--link", "--hops", "1,2"], graph_env)
    assert linked.returncode == 0, linked.stderr
    third = json.loads(linked.stdout)
    assert third["topic_entity"] == "linked by kgqa"
    for hop, m in third["per_hop"].items():
        assert m["questions"] == 5 and 0 <= m["topic_linked"] <= 100, hop
        assert m["topic_linked"] >= 80, (hop, m)
    refused = kgqa([*_args(settings), "--mode", "examples", "--link"], graph_env)
    assert refused.returncode == 2 and "--mode pipeline" in refused.stderr


def test_eval_metaqa_bad_input(graph_env: dict, tmp_path: Path, settings: Settings) -> None:
    missing = kgqa(["eval", "metaqa", "--data", str(tmp_path), "--home", str(settings.home)], graph_env)
    assert missing.returncode == 2 and "kb.txt" in missing.stderr
    bad = kgqa(["eval", "metaqa", "--data", str(SAMPLE), "--hops", "1,4", "--home", str(settings.home)], graph_env)
    assert bad.returncode == 2 and "hops" in bad.stderr
