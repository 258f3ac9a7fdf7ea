"""The LLM extractor against the replay server: valid, fenced, broken-then-fixed, schema-violating, cut-off,
rate-limited and failing replies; bad chunks are reported and the others continue."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from kgqa.config import Settings
from kgqa.ingest.extract.llm import LLMExtractor, describe_ontology, select_examples
from kgqa.ingest.model import Chunk, Document, Sentence
from kgqa.llm.base import LLMConfigError, usage_meter
from kgqa.llm.factory import get_llm, reset_providers
from kgqa.llm.openai_compat import OpenAICompatLLM
from kgqa.ontology import load_ontology
from tests.llm_replay import ReplayServer

CORPUS = Path(__file__).parents[1] / "data" / "llm_corpus"


@pytest.fixture()
def server() -> Iterator[ReplayServer]:
    OpenAICompatLLM.backoff_base, saved = 0.05, OpenAICompatLLM.backoff_base
    with ReplayServer() as srv:
        yield srv
    OpenAICompatLLM.backoff_base = saved
    reset_providers()


def _chunk(doc: Document) -> Chunk:
    sentences = [
        Sentence(m.group(0), m.start(), m.end(), i) for i, m in enumerate(re.finditer(r"[^.!?]+[.!?]", doc.text))
    ]
    sentences = [
        Sentence(s.text.strip(), s.start + (len(s.text) - len(s.text.lstrip())), s.end, s.index) for s in sentences
    ]
    return Chunk(f"{doc.id}#0", doc.id, 0, doc.text, 0, len(doc.text), sentences)


def _doc(name: str) -> tuple[Document, list[Chunk]]:
    doc = Document(name, (CORPUS / name).read_text().strip())
    return doc, [_chunk(doc)]


def _extractor(tmp_path: Path, srv: ReplayServer, **kw) -> LLMExtractor:
    settings = Settings(_env_file=None, home=tmp_path, llm_base_url=srv.url, llm_cache=False, **kw)
    return LLMExtractor(get_llm("openai:replay-model", settings), settings)


def test_prompt_is_built_from_the_ontology_with_fitting_examples() -> None:
    onto = load_ontology()
    types, relations = describe_ontology(onto)
    assert "- Person" in types and "Person -[WORKS_FOR]-> Organization" in relations and "symmetric" in relations
    from kgqa.llm.prompt import load_prompt

    shots = select_examples(load_prompt("extraction"), onto, "Peter studied at a university and is chief executive")
    assert shots.startswith("Examples:") and shots.index("Initech") < shots.index("Grace Hopper")
    custom = onto.model_copy(update={"relation_types": [r for r in onto.relation_types if r.name == "BORN_IN"]})
    assert select_examples(load_prompt("extraction"), custom, "x") == ""  # no example fits: none shown


def test_valid_reply_becomes_grounded_facts(server: ReplayServer, tmp_path: Path) -> None:
    doc, chunks = _doc("ada.txt")
    [ex] = _extractor(tmp_path, server).extract(doc, chunks, load_ontology())
    facts = {(f.subject, f.relation, f.object) for f in ex.facts}
    assert facts == {("Ada Lovelace", "WORKS_FOR", "Acme Corporation"), ("Ada Lovelace", "BORN_IN", "London")}
    born = next(f for f in ex.facts if f.relation == "BORN_IN")
    assert born.sentence == "She was born in London." and born.sentence_index == 1 and born.doc_id == "ada.txt"
    assert born.extractor == "llm:openai:replay-model/extraction@2" and born.subject_type == "Person"
    acme = next(m for m in ex.mentions if m.name == "Acme Corporation")
    assert doc.text[acme.start : acme.end] == "Acme Corporation" and acme.type == "Organization"
    assert ex.errors == [] and ex.usage["calls"] == 1 and ex.usage["prompt_tokens"] > 0
    prompt = server.chat_requests[0]["body"]["messages"][-1]["content"]
    assert "Ada Lovelace works for Acme Corporation." in prompt and "Person -[WORKS_FOR]-> Organization" in prompt


def test_fenced_reply_with_chat_tokens_is_parsed(server: ReplayServer, tmp_path: Path) -> None:
    doc, chunks = _doc("babbage.txt")
    [ex] = _extractor(tmp_path, server).extract(doc, chunks, load_ontology())
    assert {f.relation for f in ex.facts} == {"FOUNDED", "CEO_OF"} and ex.errors == []


def test_broken_reply_is_reasked_with_the_error(server: ReplayServer, tmp_path: Path) -> None:
    doc, chunks = _doc("turing.txt")
    [ex] = _extractor(tmp_path, server).extract(doc, chunks, load_ontology())
    assert {f.relation for f in ex.facts} == {"STUDIED_AT", "BORN_IN"}
    assert ex.usage["reasks"] == 1 and "repaired after 1 re-ask" in ex.errors[0]
    assert "not valid JSON" in server.chat_requests[1]["body"]["messages"][-1]["content"]


def test_schema_violations_are_dropped_with_reasons_and_reversals_repaired(
    server: ReplayServer, tmp_path: Path
) -> None:
    doc, chunks = _doc("hopper.txt")
    [ex] = _extractor(tmp_path, server).extract(doc, chunks, load_ontology())
    facts = {(f.subject, f.relation, f.object) for f in ex.facts}
    assert facts == {
        ("Grace Brewster Hopper", "LIVES_IN", "Arlington"),
        ("Grace Brewster Hopper", "WORKS_FOR", "Acme Corporation"),  # flipped into the ontology's direction
    }
    text = "\n".join(ex.errors)
    assert "dropped entity 'COBOL': unknown type 'Spaceship'" in text
    assert "unknown relation 'INVENTED'" in text
    assert "Location -[CEO_OF]-> Organization violates the ontology" in text
    assert "empty subject or object" in text
    assert "repaired triple (Acme Corporation, WORKS_FOR, Grace Brewster Hopper): reversed" in text
    assert not any(m.type == "Spaceship" for m in ex.mentions)


def test_failing_chunks_are_reported_and_the_others_continue(server: ReplayServer, tmp_path: Path) -> None:
    usage_meter().reset()
    names = ["zuse.txt", "lamarr.txt", "wirth.txt", "bernerslee.txt", "ada.txt"]
    extractor = _extractor(tmp_path, server, llm_concurrency=3, llm_reasks=1)
    results = {}
    for name in names:
        doc, chunks = _doc(name)
        [results[name]] = extractor.extract(doc, chunks, load_ontology())
    assert "cut off" in results["zuse.txt"].errors[0] and "KGQA" not in results["zuse.txt"].errors[0][:10]
    assert results["zuse.txt"].facts == []
    assert "no valid JSON" in results["wirth.txt"].errors[0]
    assert [f.object for f in results["lamarr.txt"].facts] == ["Vienna"]  # 429 → Retry-After → success
    assert [f.object for f in results["bernerslee.txt"].facts] == ["CERN"]  # 500 → backoff → success
    assert len(results["ada.txt"].facts) == 2
    summary = usage_meter().summary()
    assert summary["by_prompt"]["extraction@2"]["calls"] == 1 + 1 + 2 + 1 + 1
    assert summary["prompt_tokens"] > 0


def test_concurrent_chunks_keep_their_order(server: ReplayServer, tmp_path: Path) -> None:
    docs = [_doc(n) for n in ("ada.txt", "babbage.txt", "turing.txt", "hopper.txt")]
    doc = Document("all", "\n".join(d.text for d, _ in docs))
    chunks = []
    for i, (d, [c]) in enumerate(docs):
        offset = doc.text.index(d.text)
        chunks.append(
            Chunk(
                f"all#{i}",
                "all",
                i,
                c.text,
                offset,
                offset + len(c.text),
                [type(s)(s.text, s.start + offset, s.end + offset, s.index) for s in c.sentences],
            )
        )
    results = _extractor(tmp_path, server, llm_concurrency=4).extract(doc, chunks, load_ontology())
    assert [r.facts[0].chunk_id for r in results] == ["all#0", "all#1", "all#2", "all#3"]
    hopper = results[3].mentions[0]
    assert doc.text[hopper.start : hopper.end] == hopper.name


def test_wrong_settings_stop_extraction(tmp_path: Path) -> None:
    with ReplayServer(api_key="right") as srv:
        settings = Settings(_env_file=None, home=tmp_path, llm_base_url=srv.url, llm_api_key="wrong", llm_cache=False)
        extractor = LLMExtractor(get_llm("openai:replay-model", settings), settings)
        doc, chunks = _doc("ada.txt")
        with pytest.raises(LLMConfigError) as info:
            extractor.extract(doc, chunks, load_ontology())
        assert "KGQA_LLM_API_KEY" in info.value.hint
    reset_providers()


def test_preceding_text_resolves_pronouns_and_grounds_names(server: ReplayServer, tmp_path: Path) -> None:
    doc = Document("ada.txt", (CORPUS / "ada.txt").read_text().strip(), title="Ada")
    whole = _chunk(doc)
    first = Chunk("ada.txt#0", "ada.txt", 0, whole.sentences[0].text, 0, whole.sentences[0].end, whole.sentences[:1])
    s2 = whole.sentences[1]
    second = Chunk("ada.txt#1", "ada.txt", 1, s2.text, s2.start, s2.end, [s2])
    one, two = _extractor(tmp_path, server).extract(doc, [first, second], load_ontology())
    assert [(f.relation, f.object) for f in one.facts] == [("WORKS_FOR", "Acme Corporation")]
    assert "dropped triple (Ada Lovelace, BORN_IN, London): 'London' does not occur in the text" in "\n".join(
        one.errors
    )
    [born] = two.facts
    assert (born.subject, born.object, born.sentence, born.chunk_id) == ("Ada Lovelace", "London", s2.text, "ada.txt#1")
    ada = next(m for m in two.mentions if m.name == "Ada Lovelace")
    assert ada.start is None and ada.chunk_id == "ada.txt#1"  # named only in the context: no offsets
    # chunks are extracted concurrently: pair each prompt with its chunk by content, not arrival order
    prompts = [r["body"]["messages"][-1]["content"] for r in server.chat_requests]
    [p_first] = [p for p in prompts if "Preceding text" not in p]
    [p_second] = [p for p in prompts if "Preceding text" in p]
    assert first.text in p_first and "Document title: Ada" in p_second
    assert 'Preceding text (for resolving pronouns only; extract nothing from it):\n"""\nAda Lovelace works' in p_second


def test_schema_sent_to_the_server_lists_the_ontology(server: ReplayServer, tmp_path: Path) -> None:
    doc, chunks = _doc("ada.txt")
    _extractor(tmp_path, server).extract(doc, chunks, load_ontology())
    schema = server.chat_requests[0]["body"]["response_format"]["json_schema"]["schema"]
    triple = schema["$defs"]["LLMTriple"]["properties"]
    assert "WORKS_FOR" in triple["relation"]["enum"] and "Person" in triple["subject_type"]["enum"]


def test_wrong_key_stops_the_build_once(graph, tmp_path: Path) -> None:
    """A wrong key fails every document alike: the build stops with one clear error and writes nothing."""
    from kgqa.ingest.pipeline import BuildOptions, run_build

    with ReplayServer(api_key="right") as srv:
        settings = Settings(_env_file=None, home=tmp_path, llm_base_url=srv.url, llm_api_key="wrong", llm_cache=False)
        with pytest.raises(LLMConfigError) as info:
            run_build(graph, [CORPUS], BuildOptions(extractor="openai:replay-model"), settings)
        assert "KGQA_LLM_API_KEY" in (info.value.hint or "")
    reset_providers()
    assert graph.value("MATCH (d:Document) RETURN count(d) AS c") == 0


def test_server_failing_mid_build_stops_it_and_the_rerun_resumes(graph, tmp_path: Path, monkeypatch) -> None:
    """The LLM server keeps failing on one document: the build stops with a clear error instead of writing
    documents with facts missing; only complete documents are in the graph; the rerun (server fixed) writes the
    rest and takes the replies it already had from the cache (one new request, for the never-sent chunk)."""
    from kgqa.ingest import pipeline
    from kgqa.ingest.pipeline import BuildOptions, run_build
    from kgqa.llm.base import LLMUnavailable

    monkeypatch.setattr(pipeline, "EXTRACT_WINDOW", 2)  # windows: [ada, babbage] [c_broken, hopper] [turing]
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in ("ada.txt", "babbage.txt", "hopper.txt", "turing.txt"):
        (folder / name).write_text((CORPUS / name).read_text())
    (folder / "c_broken.txt").write_text("ALWAYS-500: the server fails on this one. Ada Lovelace met nobody.")
    with ReplayServer() as srv:
        settings = Settings(_env_file=None, home=tmp_path / "home", llm_base_url=srv.url, llm_max_retries=1)
        options = BuildOptions(extractor="openai:replay-model")
        with pytest.raises(LLMUnavailable) as info:
            run_build(graph, [folder], options, settings)
        assert "HTTP 500" in info.value.message and "stopped after 2 complete document(s)" in info.value.message
        assert "rerun `kgqa build`" in (info.value.hint or "")
        docs = graph.read("MATCH (d:Document) RETURN d.id AS id ORDER BY id").rows
        assert [r["id"] for r in docs] == ["ada.txt", "babbage.txt"]  # complete documents only
        assert graph.value("MATCH (:Chunk {doc_id: 'hopper.txt'}) RETURN count(*) AS c") == 0
        (folder / "c_broken.txt").unlink()
        sent = len(srv.chat_requests)
        reset_providers()
        report = run_build(graph, [folder], options, settings)
        assert report.documents["unchanged"] == 2 and report.documents["new"] == 2 and not report.failures
        texts = [r["body"]["messages"][1]["content"].split('Text:\n"""')[1] for r in srv.chat_requests[sent:]]
        assert texts and all(t.lstrip().startswith("Alan Turing") for t in texts)  # hopper's reply: from the cache
    reset_providers()
    assert graph.value("MATCH (d:Document) RETURN count(d) AS c") == 4


def test_chunk_longer_than_the_context_is_split_by_sentences(server: ReplayServer, tmp_path: Path) -> None:
    """The server says the prompt does not fit: the chunk is extracted in halves (down to one sentence), so the
    facts of the sentences that fit are kept and only the sentence that cannot fit is reported."""
    text = "Ada Lovelace works for Acme Corporation. She was born in London. HUGE-PROMPT stands for a long sentence."
    doc = Document("huge.txt", text)
    [ex] = _extractor(tmp_path, server, llm_reasks=0).extract(doc, [_chunk(doc)], load_ontology())
    facts = {(f.subject, f.relation, f.object) for f in ex.facts}
    assert ("Ada Lovelace", "WORKS_FOR", "Acme Corporation") in facts
    assert ("Ada Lovelace", "BORN_IN", "London") in facts  # the pronoun half, with the preceding text
    assert any("split in two" in e for e in ex.errors)
    assert any("one sentence longer than the context" in e for e in ex.errors)
    assert all(f.chunk_id == "huge.txt#0" for f in ex.facts)
