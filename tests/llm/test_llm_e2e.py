"""End to end through the CLI with the replay server: `kgqa ask --llm openai:replay-model` against the embedded
graph, traces with prompt versions, tokens and cache hits (second run: no HTTP calls)."""

from __future__ import annotations

from kgqa.graph.client import Graph

# (id, name, type, aliases) and (subject, relation, object, document, sentence): the graph the LLM extractor
# builds from tests/data/llm_corpus with the recorded replies.
ENTITIES = [
    ("person:ada-lovelace", "Ada Lovelace", "Person", ["Ada"]),
    ("person:charles-babbage", "Charles Babbage", "Person", ["Babbage"]),
    ("person:grace-brewster-hopper", "Grace Brewster Hopper", "Person", []),
    ("person:alan-turing", "Alan Turing", "Person", []),
    ("organization:acme-corporation", "Acme Corporation", "Organization", ["Acme"]),
    ("organization:cambridge-university", "Cambridge University", "Organization", []),
    ("location:london", "London", "Location", []),
    ("location:arlington", "Arlington", "Location", []),
]
FACTS = [
    (
        "person:ada-lovelace",
        "WORKS_FOR",
        "organization:acme-corporation",
        "ada.txt",
        "Ada Lovelace works for Acme Corporation.",
    ),
    ("person:ada-lovelace", "BORN_IN", "location:london", "ada.txt", "She was born in London."),
    (
        "person:charles-babbage",
        "FOUNDED",
        "organization:acme-corporation",
        "babbage.txt",
        "Charles Babbage founded Acme Corporation in 1990.",
    ),
    (
        "person:charles-babbage",
        "CEO_OF",
        "organization:acme-corporation",
        "babbage.txt",
        "Charles Babbage is the CEO of Acme Corporation.",
    ),
    (
        "person:alan-turing",
        "STUDIED_AT",
        "organization:cambridge-university",
        "turing.txt",
        "Alan Turing studied at Cambridge University.",
    ),
    ("person:alan-turing", "BORN_IN", "location:london", "turing.txt", "Alan Turing was born in London."),
    (
        "person:grace-brewster-hopper",
        "LIVES_IN",
        "location:arlington",
        "hopper.txt",
        "Grace Brewster Hopper lives in Arlington.",
    ),
    (
        "person:grace-brewster-hopper",
        "WORKS_FOR",
        "organization:acme-corporation",
        "hopper.txt",
        "Grace Brewster Hopper works for Acme Corporation.",
    ),
]


def seed_world(graph: Graph) -> None:
    """Write documents, chunks, entities and facts with evidence lists (docs/graph-model.md)."""
    docs = sorted({f[3] for f in FACTS})
    graph.write_batches(
        "UNWIND $rows AS row MERGE (d:Document {id: row.doc}) SET d.title = row.doc "
        "MERGE (c:Chunk {id: row.chunk}) SET c.doc_id = row.doc, c.index = 0, c.text = row.text "
        "MERGE (c)-[:PART_OF]->(d)",
        [{"doc": d, "chunk": f"{d}#0", "text": " ".join(f[4] for f in FACTS if f[3] == d)} for d in docs],
    )
    for etype in sorted({e[2] for e in ENTITIES}):
        graph.write_batches(
            f"UNWIND $rows AS row MERGE (e:Entity:{etype} {{id: row.id}}) "
            "SET e.name = row.name, e.norm = toLower(row.name), e.type = row.type, e.aliases = row.aliases",
            [{"id": i, "name": n, "type": t, "aliases": a} for i, n, t, a in ENTITIES if t == etype],
        )
    for rel in sorted({f[1] for f in FACTS}):
        graph.write_batches(
            f"UNWIND $rows AS row MATCH (s:Entity {{id: row.s}}) MATCH (o:Entity {{id: row.o}}) "
            f"MERGE (s)-[r:{rel}]->(o) "
            "SET r.evidence_keys = [row.chunk + '/0'], r.doc_ids = [row.doc], r.chunk_ids = [row.chunk], "
            "r.sentences = [row.sentence], r.extractors = ['llm:openai:replay-model'], r.confidences = [0.9], "
            "r.confidence = 0.9 "
            "WITH row, s, o MATCH (c:Chunk {id: row.chunk}) MERGE (c)-[:MENTIONS]->(s) MERGE (c)-[:MENTIONS]->(o)",
            [{"s": s, "o": o, "doc": d, "chunk": f"{d}#0", "sentence": sent} for s, r, o, d, sent in FACTS if r == rel],
        )


# ----------------------------------------------------------------------------------------------- tests

import json  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from kgqa.config import Settings  # noqa: E402
from tests.llm_replay import ReplayServer  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
pipeline = pytest.importorskip("kgqa.qa.pipeline", reason="the ask pipeline is not merged yet")


@pytest.fixture()
def world(graph: Graph, settings: Settings) -> Iterator[Graph]:
    seed_world(graph)
    pipeline.invalidate_caches(graph)
    shutil.rmtree(Path(settings.home) / "llm-cache", ignore_errors=True)
    yield graph
    shutil.rmtree(Path(settings.home) / "llm-cache", ignore_errors=True)


@pytest.fixture()
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as srv:
        yield srv


def kgqa(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kgqa", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def ask_json(question: str, env: dict[str, str], llm: str = "openai:replay-model", *extra: str) -> dict:
    proc = kgqa(["ask", question, "--llm", llm, "--json", *extra], env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def llm_steps(result: dict) -> list[dict]:
    return [t for t in result["trace"] if t.get("prompt")]


@pytest.mark.slow
def test_ask_with_llm_cypher_repair_and_answer_then_cached(
    world: Graph, server: ReplayServer, graph_env: dict[str, str]
) -> None:
    env = graph_env | {"KGQA_LLM_BASE_URL": server.url}
    question = "Name the people on Acme Corporation's payroll"  # the offline parser cannot read this
    first = ask_json(question, env)
    assert first["status"] == "answered"
    assert {a["name"] for a in first["answers"]} == {"Ada Lovelace", "Grace Brewster Hopper"}
    assert first["answer"] == "Ada Lovelace and Grace Brewster Hopper work for Acme Corporation [1][2]."
    assert "<-[:WORKS_FOR]-" in first["cypher"]  # the repaired query, not the reversed first attempt
    steps = llm_steps(first)
    assert [s["prompt"] for s in steps] == ["cypher_generation@1", "cypher_repair@1", "answer_synthesis@1"]
    assert all(s["provider"] == "openai" and s["model"] == "replay-model" and not s["cached"] for s in steps)
    assert all(s["tokens"]["prompt_tokens"] > 0 and s["tokens"]["completion_tokens"] > 0 for s in steps)
    calls = len(server.chat_requests)
    assert calls == 3

    second = ask_json(question, env)  # a new process: the sqlite cache answers, no HTTP call
    assert second["answer"] == first["answer"] and second["cypher"] == first["cypher"]
    assert all(s["cached"] for s in llm_steps(second)) and len(llm_steps(second)) == 3
    assert all(s["tokens"]["prompt_tokens"] == 0 for s in llm_steps(second))  # nothing spent on cached replies
    assert len(server.chat_requests) == calls

    third = ask_json(question, env, "openai:replay-model", "--no-cache")
    assert not any(s["cached"] for s in llm_steps(third)) and len(server.chat_requests) == calls + 3


def ask_in_process(
    question: str, graph: Graph, settings: Settings, llm: str = "openai:replay-model", options=None, **kw
) -> dict:
    """The same pipeline the CLI runs, in this process (models stay loaded between tests)."""
    from kgqa.llm.factory import reset_providers
    from kgqa.qa.components import make_generator, make_synthesizer

    reset_providers()
    s = settings.model_copy(update={"llm_cache": False, **kw})
    gen, syn = make_generator(llm, s), make_synthesizer(llm, s)
    result = pipeline.ask(question, graph, generator=gen, synthesizer=syn, options=options)
    reset_providers()
    return result.model_dump(mode="json")


def test_llm_write_query_is_refused_and_the_graph_untouched(
    world: Graph, server: ReplayServer, settings: Settings
) -> None:
    result = ask_in_process("Remove Acme Corporation from the graph", world, settings, llm_base_url=server.url)
    assert result["status"] != "answered"
    refused = [c for c in result["checks"] if c["name"].endswith("read_only") and c["status"] == "failed"]
    assert refused and all("llm:openai:replay-model" in c["detail"] for c in refused)
    # the repair gave the same write again: kgqa stops asking (a third call would only repeat it once more)
    assert [s["prompt"] for s in llm_steps(result)] == ["cypher_generation@1", "cypher_repair@1"]
    assert len(refused) == 1
    assert any("gave the same query again" in c["detail"] for c in result["checks"] if c["name"] == "generate")
    assert world.value("MATCH (e:Entity {id: 'organization:acme-corporation'}) RETURN count(e)") == 1


def test_llm_answer_for_a_parsed_question(world: Graph, server: ReplayServer, settings: Settings) -> None:
    result = ask_in_process("Who is the CEO of Acme Corporation?", world, settings, llm_base_url=server.url)
    assert result["status"] == "answered" and result["answer"] == "Charles Babbage is the CEO of Acme Corporation [1]."
    assert [s["prompt"] for s in llm_steps(result)] == ["answer_synthesis@1"]  # the parser wrote the Cypher
    assert "Charles Babbage is the CEO of Acme Corporation." in result["evidence"][0]["sentence"]


def test_llm_only_lets_the_model_write_a_query_the_parser_could(
    world: Graph, server: ReplayServer, settings: Settings
) -> None:
    options = pipeline.AskOptions(llm_only=True)  # `kgqa eval qa --llm-only`: measures the model alone
    result = ask_in_process(
        "Who is the CEO of Acme Corporation?", world, settings, options=options, llm_base_url=server.url
    )
    assert result["status"] == "answered" and [a["name"] for a in result["answers"]] == ["Charles Babbage"]
    assert [s["prompt"] for s in llm_steps(result)] == ["cypher_generation@1", "answer_synthesis@1"]
    assert not any(c["detail"].startswith("parser") for c in result["checks"])


def test_a_model_query_that_leaves_out_a_named_entity_is_sent_back(
    world: Graph, server: ReplayServer, settings: Settings
) -> None:
    options = pipeline.AskOptions(llm_only=True)
    question = "Did Grace Brewster Hopper work for Acme Corporation?"
    result = ask_in_process(question, world, settings, options=options, llm_base_url=server.url)
    refused = [c for c in result["checks"] if c["name"] == "cypher.entities"]
    assert len(refused) == 1 and "$e0 (Grace Brewster Hopper)" in refused[0]["detail"]
    assert [s["prompt"] for s in llm_steps(result)][:2] == ["cypher_generation@1", "cypher_repair@1"]
    assert "{id: $e0}" in result["cypher"] and "{id: $e1}" in result["cypher"]
    assert result["status"] == "answered" and [a["name"] for a in result["answers"]] == ["Acme Corporation"]


def test_reversed_direction_is_fixed_by_the_checks(world: Graph, server: ReplayServer, settings: Settings) -> None:
    result = ask_in_process(
        "Who sits in the corner office at Acme Corporation?", world, settings, llm_base_url=server.url
    )
    assert result["status"] == "answered" and [a["name"] for a in result["answers"]] == ["Charles Babbage"]
    assert "<-[:CEO_OF]-" in result["cypher"] or "(answer:Person)-[:CEO_OF]->" in result["cypher"]
    assert any(c["name"] == "cypher.direction" and c["status"] == "fixed" for c in result["checks"])
    assert result["answer"].endswith("[1].")


def test_invented_labels_end_in_a_clear_no_answer(world: Graph, server: ReplayServer, settings: Settings) -> None:
    result = ask_in_process("Which startups did Ada Lovelace invest in?", world, settings, llm_base_url=server.url)
    assert result["status"] in ("no_answer", "fallback") and result["answers"] == []
    details = " ".join(c["detail"] for c in result["checks"] if c["status"] == "failed")
    assert "INVESTED_IN" in details and "cannot answer" in details


def test_wrong_key_is_reported_not_hidden(world: Graph, settings: Settings) -> None:
    with ReplayServer(api_key="right-key") as srv:
        result = ask_in_process(
            "Name the people on Acme Corporation's payroll", world, settings, llm_base_url=srv.url, llm_api_key="wrong"
        )
    assert result["status"] != "answered"
    failed = " ".join(c["detail"] for c in result["checks"] if c["status"] == "failed")
    assert "rejected the API key (HTTP 401)" in failed


def test_transformers_nonsense_falls_back_clearly(
    world: Graph, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> None:
    pytest.importorskip("transformers")
    from tests.llm.test_llm_transformers import make_tiny_model

    model = f"transformers:{make_tiny_model(tmp_path_factory.mktemp('tiny-e2e'))}"
    kw = {"llm_max_tokens": 24, "llm_reasks": 1, "llm_device": "cpu"}
    result = ask_in_process("Name the people on Acme Corporation's payroll", world, settings, llm=model, **kw)
    assert result["status"] in ("no_answer", "fallback") and result["answers"] == []
    failed = [c for c in result["checks"] if c["name"] == "generate" and c["status"] == "failed"]
    assert failed and model in failed[0]["detail"]
    answered = ask_in_process("Who is the CEO of Acme Corporation?", world, settings, llm=model, **kw)
    assert answered["status"] == "answered"  # nonsense answer text is replaced by the grounded template
    assert "Charles Babbage" in answered["answer"]
    assert any(
        c["name"] in ("synthesize", "grounding") and c["status"] in ("failed", "fixed") for c in answered["checks"]
    )


CORPUS = ROOT / "tests" / "data" / "llm_corpus"


@pytest.mark.slow
def test_build_with_llm_then_rebuild_from_cache_then_ask(
    graph: Graph, settings: Settings, server: ReplayServer, graph_env: dict[str, str]
) -> None:
    shutil.rmtree(Path(settings.home) / "llm-cache", ignore_errors=True)
    env = graph_env | {"KGQA_LLM_BASE_URL": server.url}
    build = ["build", str(CORPUS), "--llm", "openai:replay-model", "--json"]
    proc = kgqa(build, env)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["extractor"] == "llm:openai:replay-model" and report["documents"]["new"] == 8
    rows = graph.read(
        "MATCH (s:Entity)-[r]->(o:Entity) RETURN s.name AS s, s.aliases AS sa, type(r) AS t, o.name AS o, "
        "o.aliases AS oa"
    ).rows
    facts = {  # entity resolution may pick a shorter canonical name ("Acme") and keep the rest as aliases
        (s, r["t"], o) for r in rows for s in [r["s"], *(r["sa"] or [])] for o in [r["o"], *(r["oa"] or [])]
    }
    assert {
        ("Ada Lovelace", "WORKS_FOR", "Acme Corporation"),
        ("Charles Babbage", "CEO_OF", "Acme Corporation"),  # fenced reply
        ("Alan Turing", "STUDIED_AT", "Cambridge University"),  # broken reply, fixed on re-ask
        ("Grace Brewster Hopper", "WORKS_FOR", "Acme Corporation"),  # reversed triple, flipped
        ("Hedy Lamarr", "BORN_IN", "Vienna"),  # after a 429
        ("Tim Berners-Lee", "WORKS_FOR", "CERN"),  # after a 500
    } <= facts
    assert not any(t == "INVENTED" or "COBOL" in (s, o) for s, t, o in facts)
    extractors = graph.value("MATCH (:Entity)-[r:CEO_OF]->(:Entity) RETURN r.extractors AS x")
    assert extractors == ["llm:openai:replay-model/extraction@2"]  # provenance: model and prompt version
    errors = "\n".join(report["extraction_errors"])
    assert "unknown relation 'INVENTED'" in errors and "wirth.txt#0: extraction failed" in errors
    assert "zuse.txt#0: extraction failed" in errors and "cut off" in errors
    usage = report["llm_usage"]
    assert usage["calls"] == 10 and usage["cache_hits"] == 0 and usage["failed_chunks"] == 2
    assert usage["prompt_tokens"] > 0 and usage["reasks"] == 1
    requests = len(server.chat_requests)
    assert requests == 12  # 10 replies + one 429 + one 500 (wirth: the same bad reply twice stops re-asking)

    ids = [p.name for p in sorted(CORPUS.iterdir())]
    assert kgqa(["remove", *ids, "--root", str(CORPUS)], env).returncode == 0
    again = json.loads(kgqa(build, env).stdout)
    assert again["documents"]["new"] == 8
    assert again["llm_usage"]["cache_hits"] == again["llm_usage"]["calls"] == 10
    assert len(server.chat_requests) == requests  # everything from the cache: no HTTP call

    result = ask_json("Name the people on Acme Corporation's payroll", env)
    assert result["status"] == "answered"
    assert {a["name"] for a in result["answers"]} == {"Ada Lovelace", "Grace Brewster Hopper"}
    assert [s["prompt"] for s in llm_steps(result)] == ["cypher_generation@1", "cypher_repair@1", "answer_synthesis@1"]
