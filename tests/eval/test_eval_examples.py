"""Example bank: masking, path mining over a real graph, similarity search, the example generator."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kgqa.graph.client import Graph
from kgqa.ingest.triples import entity_id, import_triples
from kgqa.qa.examples import (
    Example,
    ExampleBank,
    ExampleGenerator,
    PathMiner,
    QAItem,
    mask_question,
    path_cypher,
    read_qa_file,
    rebind,
)
from kgqa.qa.model import LinkedEntity

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "data" / "metaqa_sample"


@pytest.fixture()
def movies(graph: Graph) -> Graph:
    import_triples(graph, SAMPLE / "kb.txt", "pipe")
    return graph


def test_masking() -> None:
    assert mask_question("what films did [Ayu Kitaura] star in") == "what films did [ENTITY] star in"
    assert mask_question("what films did ayu kitaura star in", ["Ayu Kitaura"]) == "what films did [ENTITY] star in"
    assert mask_question("did [A] marry [B]") == "did [ENTITY] marry [ENTITY2]"
    assert mask_question("who founded Acme in Paris", ["Acme", "Paris"]) == "who founded [ENTITY] in [ENTITY2]"
    assert rebind("MATCH (s {id: $entity})--(t {id: $entity2}) RETURN s", 2) == (
        "MATCH (s {id: $e0})--(t {id: $e1}) RETURN s"
    )
    assert rebind("MATCH (s {id: $entity2}) RETURN s", 1) is None
    # an example that leaves a named entity out answers another question ("who lives in A" for "... not born in B")
    assert rebind("MATCH (s {id: $entity}) RETURN s", 2) is None


def test_path_cypher_validates_types() -> None:
    cypher = path_cypher([("STARRED_ACTORS", "in"), ("DIRECTED_BY", "out")])
    assert "(s:Entity {id: $entity})<-[:STARRED_ACTORS]-(n1:Entity)-[:DIRECTED_BY]->(answer:Entity)" in cypher
    assert cypher.rstrip().endswith("LIMIT 100")
    with pytest.raises(ValueError):
        path_cypher([("X]->() DELETE n //", "out")])
    with pytest.raises(ValueError):
        path_cypher([("DIRECTED_BY", "sideways")])


def test_read_qa_files(tmp_path: Path) -> None:
    items, errors = read_qa_file(SAMPLE / "1-hop" / "dev.txt")
    assert len(items) == 5 and not errors
    assert items[0].entity == "The Man from Earth" and "[ENTITY]" in items[0].masked
    jl = tmp_path / "qa.jsonl"
    jl.write_text(
        json.dumps({"question": "who directed Heat", "entity": "Heat", "answers": ["Michael Mann"]})
        + "\n{not json\n"
        + json.dumps({"question": "who wrote it", "answers": ["x"]})
        + "\n"
    )
    items, errors = read_qa_file(jl)
    assert [i.masked for i in items] == ["who directed [ENTITY]"]
    assert [e["line"] for e in errors] == [2, 3]


def _paths(report, template: str) -> list[list[list[str]]]:
    return [e.path for e in report.examples if e.question == template]


def test_mining_finds_the_relation_paths(movies: Graph) -> None:
    items = []
    for hop in (1, 2, 3):
        found, _ = read_qa_file(SAMPLE / f"{hop}-hop" / "dev.txt")
        items += found
    report = PathMiner(movies, max_hops=3, per_template=3).mine(items, source="sample dev")
    assert report.unresolved_entity == 0 and report.mined_questions == len(items)
    # 1 hop: actor -> movie is STARRED_ACTORS read backwards
    assert _paths(report, "what does [ENTITY] star in")[0] == [["STARRED_ACTORS", "in"]]
    assert _paths(report, "the film [ENTITY] was written by who")[0] == [["WRITTEN_BY", "out"]]
    # 2 hops
    assert _paths(report, "what are the genres of the movies directed by [ENTITY]")[0] == [
        ["DIRECTED_BY", "in"],
        ["HAS_GENRE", "out"],
    ]
    assert _paths(report, "who co-wrote films with [ENTITY]")[0] == [["WRITTEN_BY", "in"], ["WRITTEN_BY", "out"]]
    # 3 hops
    assert _paths(report, "who wrote films that share actors with the film [ENTITY]")[0] == [
        ["STARRED_ACTORS", "out"],
        ["STARRED_ACTORS", "in"],
        ["WRITTEN_BY", "out"],
    ]
    by_hops = {len(e.path) for e in report.examples}
    assert by_hops == {1, 2, 3}
    assert all(e.f1 > 0.5 and e.params["entity"] for e in report.examples)
    # the mined queries answer the questions they came from
    sample = next(i for i in items if i.masked == "who co-wrote films with [ENTITY]")
    example = next(e for e in report.examples if e.question == sample.masked)
    rows = movies.read(example.cypher, {"entity": entity_id(sample.entity)}).rows
    assert {r["answer"]["name"] for r in rows} == set(sample.answers)


def test_mining_skips_unknown_entities_and_keeps_going(movies: Graph) -> None:
    items = [
        QAItem("what does [Nobody Known] star in", "Nobody Known", ["X"], 1),
        QAItem("what does [Tómas Lemarquis] star in", "Tómas Lemarquis", ["Noi the Albino"], 2),
    ]
    report = PathMiner(movies, per_template=2).mine(items)
    assert report.unresolved_entity == 1
    assert [e.path for e in report.examples] == [[["STARRED_ACTORS", "in"]]]


def _bank(tmp_path: Path) -> ExampleBank:
    examples = [
        Example(question="what films did [ENTITY] star in", cypher=path_cypher([("STARRED_ACTORS", "in")])),
        Example(question="who directed [ENTITY]", cypher=path_cypher([("DIRECTED_BY", "out")])),
        Example(question="what is the genre of [ENTITY]", cypher=path_cypher([("HAS_GENRE", "out")])),
        Example(question="which language is [ENTITY] in", cypher=path_cypher([("IN_LANGUAGE", "out")])),
        Example(question="who wrote [ENTITY]", cypher=path_cypher([("WRITTEN_BY", "out")])),
    ]
    path = tmp_path / "bank" / "movies.jsonl"
    ExampleBank(examples + examples[:1], [path]).save(path)  # duplicate dropped
    return ExampleBank.load(path.parent)


def test_bank_search_finds_the_template_of_a_paraphrase(tmp_path: Path) -> None:
    bank = _bank(tmp_path)
    assert len(bank) == 5
    exact = bank.search("What films did [Tom Hanks] star in?", [], k=1)
    assert exact[0].question == "what films did [ENTITY] star in" and exact[0].score == 1.0
    hits = bank.search("which movies did Tom Hanks act in", ["Tom Hanks"], k=3)
    assert hits[0].question == "what films did [ENTITY] star in"
    assert bank.search("who was the director of Heat", ["Heat"], k=1)[0].question == "who directed [ENTITY]"
    assert bank.search("what genre is Heat", ["Heat"], k=1)[0].question == "what is the genre of [ENTITY]"
    # vectors are cached next to the bank, keyed by content, and reused
    caches = list((tmp_path / "bank").glob(".movies.*.npy"))
    assert len(caches) == 1
    again = ExampleBank.load(tmp_path / "bank")
    assert again._cache_file() == caches[0]
    assert again.search("which movies did Tom Hanks act in", ["Tom Hanks"], k=1)[0].id == hits[0].id


def test_example_generator_rebinds_and_answers(movies: Graph, tmp_path: Path) -> None:
    bank = _bank(tmp_path)
    gen = ExampleGenerator(bank, k=3)
    linked = [
        LinkedEntity(mention="Ayu Kitaura", id=entity_id("Ayu Kitaura"), name="Ayu Kitaura", method="given"),
    ]
    cands = list(gen.candidates("what films did Ayu Kitaura star in", linked, None, []))
    assert cands and "$e0" in cands[0].cypher and "$entity" not in cands[0].cypher
    assert cands[0].params == {"e0": entity_id("Ayu Kitaura")}
    assert cands[0].source.startswith("example:")
    assert len({c.cypher for c in cands}) == len(cands)
    rows = movies.read(cands[0].cypher, cands[0].params).rows
    gold = (SAMPLE / "1-hop" / "test.txt").read_text().splitlines()[2].split("\t")[1].split("|")
    assert {r["answer"]["name"] for r in rows} == set(gold)
    assert all(r["path"] for r in rows)
    assert list(gen.candidates("what films did Ayu Kitaura star in", [], None, [])) == []


def kgqa(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kgqa", *args, "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_cli_mine_and_search(movies: Graph, graph_env: dict, tmp_path: Path) -> None:
    out = tmp_path / "bank"
    done = kgqa(
        ["examples", "mine", "--qa", str(SAMPLE / "2-hop" / "dev.txt"), "--out", str(out), "--name", "two-hop"],
        graph_env,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["questions"] == 5 and data["examples"] >= 5 and data["out"].endswith("two-hop.jsonl")
    assert data["hops"] == {"2": data["examples"]}
    found = kgqa(
        ["examples", "search", "what are the genres of films made by [Kurosawa]", "--examples", str(out), "-k", "1"],
        graph_env,
    )
    assert found.returncode == 0, found.stderr
    hit = json.loads(found.stdout)[0]
    assert hit["question"] == "what are the genres of the movies directed by [ENTITY]"


def test_shipped_corpus_examples_are_valid() -> None:
    bank = ExampleBank.load(ROOT / "cypher" / "examples" / "corpus.jsonl")
    assert len(bank) >= 20
    ontology_mod = pytest.importorskip("kgqa.ontology")
    ontology = ontology_mod.load_ontology(ontology_mod.DEFAULT_ONTOLOGY)
    names = {r.name for r in ontology.relation_types}
    for example in bank.examples:
        assert "$entity" in example.cypher and "[ENTITY]" in example.question
        assert {step[0] for step in example.path} <= names
