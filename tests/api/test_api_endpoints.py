"""Every endpoint over real HTTP against the test graph (uvicorn in a thread, seeded graph)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from kgqa.config import Settings
from kgqa.graph.client import Graph
from tests.api_seed import seed
from tests.api_support import api_settings, assert_problem, serve_app


@pytest.fixture(scope="module")
def base(settings: Settings, session_graph: Graph) -> Iterator[str]:
    with serve_app(api_settings(settings)) as url:
        yield url


@pytest.fixture()
def seeded(graph: Graph) -> Graph:
    seed(graph)
    return graph


@pytest.fixture()
def client(base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=120) as c:
        yield c


def test_health_ready_docs_and_page(client: httpx.Client, seeded: Graph) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["graph"]["flavor"] in ("arcadedb", "neo4j")
    spec = client.get("/openapi.json").json()
    for path in ("/v1/ask", "/v1/schema", "/v1/entities", "/v1/entities/{entity_id}", "/v1/cypher", "/v1/documents"):
        assert path in spec["paths"], path
    assert "swagger" in client.get("/docs").text.lower()
    page = client.get("/")
    assert page.status_code == 200 and "kgqa explorer" in page.text
    vendor = client.get("/static/vendor/cytoscape.min.js")
    assert vendor.status_code == 200 and len(vendor.content) > 100_000


def test_schema_lists_labels_patterns_and_counts(client: httpx.Client, seeded: Graph) -> None:
    body = client.get("/v1/schema", params={"refresh": True}).json()
    assert {"Person", "Organization", "Location", "Work", "Document", "Chunk", "Entity"} <= set(body["labels"])
    patterns = {(p["start"], p["type"], p["end"]) for p in body["patterns"]}
    assert ("Person", "WORKS_FOR", "Organization") in patterns
    assert ("Chunk", "PART_OF", "Document") in patterns
    assert body["label_counts"]["Person"] == 2
    assert body["relationship_counts"]["WORKS_FOR"] == 1


def test_entity_search_is_case_insensitive_and_matches_aliases(client: httpx.Client, seeded: Graph) -> None:
    hits = client.get("/v1/entities", params={"q": "ADA"}).json()["entities"]
    assert [h["id"] for h in hits] == ["person:ada-lovelace"]
    assert hits[0]["type"] == "Person" and "Ada" in hits[0]["aliases"]
    by_alias = client.get("/v1/entities", params={"q": "acme corporation"}).json()["entities"]
    assert [h["id"] for h in by_alias] == ["organization:acme-corp"]
    exact_first = client.get("/v1/entities", params={"q": "london"}).json()["entities"]
    assert exact_first[0]["id"] == "location:london"
    typed = client.get("/v1/entities", params={"q": "a", "type": "Person"}).json()["entities"]
    assert {h["id"] for h in typed} == {"person:ada-lovelace", "person:charles-babbage"}
    limited = client.get("/v1/entities", params={"q": "a", "limit": 1}).json()
    assert len(limited["entities"]) == 1 and limited["truncated"] is True
    assert client.get("/v1/entities", params={"q": "zzzz"}).json()["entities"] == []


def test_entity_search_rejects_bad_parameters(client: httpx.Client, seeded: Graph) -> None:
    assert_problem(client.get("/v1/entities"), 422)
    assert_problem(client.get("/v1/entities", params={"q": "   "}), 422)
    assert_problem(client.get("/v1/entities", params={"q": "a", "limit": 0}), 422)
    body = assert_problem(client.get("/v1/entities", params={"q": "a", "limit": "many"}), 422)
    assert body["errors"][0]["loc"] == "query.limit"


def test_entity_neighbourhood_with_evidence(client: httpx.Client, seeded: Graph) -> None:
    body = client.get("/v1/entities/person:ada-lovelace").json()
    assert body["entity"]["name"] == "Ada Lovelace"
    facts = {(f["start"], f["type"], f["end"]): f for f in body["facts"]}
    works = facts[("person:ada-lovelace", "WORKS_FOR", "organization:acme-corp")]
    assert works["evidence"][0]["sentence"] == "Ada Lovelace works for Acme Corp."
    assert works["evidence"][0]["doc_id"] == "acme.txt" and works["evidence"][0]["chunk_id"] == "acme.txt#0"
    assert len(body["facts"]) == 3
    node_ids = {n["id"] for n in body["subgraph"]["nodes"]}
    assert node_ids == {"person:ada-lovelace", "organization:acme-corp", "location:london", "work:notes"}
    assert body["documents"] == [{"id": "acme.txt", "title": "Acme", "mentions": 3}]
    assert "WORKS_FOR" in body["browser_query"]
    # incoming facts count too
    acme = client.get("/v1/entities/organization:acme-corp").json()
    assert {f["type"] for f in acme["facts"]} == {"WORKS_FOR", "HEADQUARTERED_IN", "FOUNDED"}
    assert client.get("/v1/entities/organization:acme-corp", params={"limit": 1}).json()["truncated"] is True


def test_browser_query_returns_the_same_subgraph(client: httpx.Client, seeded: Graph) -> None:
    body = client.get("/v1/entities/person:ada-lovelace").json()
    rows = seeded.read(body["browser_query"]).rows
    returned = set()
    for row in rows:
        path = row["p"]
        for rel in path["relationships"]:
            returned.add(rel["type"])
    assert returned == {f["type"] for f in body["facts"]}


def test_unknown_entity_is_404(client: httpx.Client, seeded: Graph) -> None:
    body = assert_problem(client.get("/v1/entities/person:nobody"), 404)
    assert "person:nobody" in body["detail"] and "/v1/entities?q=" in body["hint"]


def test_documents_list_and_unknown_ids(client: httpx.Client, seeded: Graph) -> None:
    docs = client.get("/v1/documents").json()
    assert docs["documents"] == [
        {"id": "acme.txt", "title": "Acme", "source": "tests", "ingested_at": "2026-11-22T15:00:00Z", "chunks": 5}
    ]
    assert_problem(client.delete("/v1/documents/nope.txt"), 404)
    assert_problem(client.get("/v1/jobs/0123456789abcdef"), 404)


def test_bad_input_is_problem_json(client: httpx.Client, seeded: Graph) -> None:
    malformed = client.post("/v1/ask", content=b'{"question": ', headers={"content-type": "application/json"})
    assert assert_problem(malformed, 400)["type"].endswith("malformed-json")
    assert_problem(client.post("/v1/ask", json={"question": 5}), 422)
    assert_problem(client.post("/v1/ask", json={"question": ""}), 422)
    assert_problem(client.post("/v1/ask", json={"question": "hi", "surprise": 1}), 422)
    assert_problem(client.post("/v1/ask", json={"question": "hi", "options": {"max_hops": 99}}), 422)
    assert_problem(client.post("/v1/ask", json=["not", "an", "object"]), 422)
    assert_problem(client.get("/no/such/route"), 404)
    assert_problem(client.put("/v1/ask", json={}), 405)
    assert_problem(client.delete("/v1/schema"), 405)
    llm = assert_problem(client.post("/v1/ask", json={"question": "hi", "options": {"llm": "transformers:/etc"}}), 422)
    assert "offline" in llm["hint"]
    assert_problem(client.post("/v1/documents", content=b"hello", headers={"content-type": "text/plain"}), 415)
    deep = b"[" * 200_000 + b"]" * 200_000  # nesting that blows the JSON parser's recursion limit
    for path in ("/v1/ask", "/v1/cypher", "/v1/documents"):
        assert_problem(client.post(path, content=deep, headers={"content-type": "application/json"}), 400)
    assert client.get("/v1/entities", params={"q": "\x00\uffff"}).json()["entities"] == []
    assert_problem(client.get("/v1/entities/%00%FF"), 404)


def test_oversized_bodies_are_413(client: httpx.Client, seeded: Graph) -> None:
    big = b'{"question": "' + b"a" * 1_100_000 + b'"}'
    assert_problem(client.post("/v1/ask", content=big, headers={"content-type": "application/json"}), 413)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies to the bytes received
        for _ in range(30):
            yield b"a" * 50_000

    assert_problem(client.post("/v1/cypher", content=chunks(), headers={"content-type": "application/json"}), 413)


def test_ask_returns_an_ask_result(client: httpx.Client, seeded: Graph) -> None:
    body = client.post("/v1/ask", json={"question": "Who works for Acme Corp?"}).json()
    for key in ("question", "answer", "answers", "cypher", "checks", "subgraph", "evidence", "status", "browser_query"):
        assert key in body
    assert body["status"] == "answered", body
    assert "Ada Lovelace" in [a["name"] for a in body["answers"]]
    assert body["evidence"] and body["subgraph"]["nodes"]


def test_repeated_ask_is_served_from_the_cache_until_a_write(client: httpx.Client, seeded: Graph) -> None:
    question = {"question": "Who works for Acme Corp?"}
    first = client.post("/v1/ask", json=question).json()
    assert "cache" not in [step["stage"] for step in first["trace"]]
    again = client.post("/v1/ask", json={"question": "who works for ACME corp"}).json()
    assert [step["stage"] for step in again["trace"]] == ["cache"]
    assert again["question"] == "who works for ACME corp"
    for key in ("answer", "answers", "cypher", "evidence", "status", "browser_query"):
        assert again[key] == first[key], key
    graph = seeded
    graph.write(
        "MATCH (o:Entity {name: 'Acme Corp'}) "
        "MERGE (p:Entity:Person {id: 'person:grace-hopper'}) SET p.name = 'Grace Hopper' "
        "MERGE (p)-[:WORKS_FOR]->(o)"
    )
    fresh = client.post("/v1/ask", json=question).json()
    assert "cache" not in [step["stage"] for step in fresh["trace"]]
    assert "Grace Hopper" in [a["name"] for a in fresh["answers"]]


def test_cypher_checked_read_only(client: httpx.Client, seeded: Graph) -> None:
    ok = client.post(
        "/v1/cypher",
        json={"cypher": "MATCH (p:Person)-[:WORKS_FOR]->(o:Organization) RETURN p.name AS person, o.name AS org"},
    )
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert body["rows"] == [{"person": "Ada Lovelace", "org": "Acme Corp"}]
    assert body["columns"] == ["person", "org"] and body["checks"]
    write = client.post("/v1/cypher", json={"cypher": "MATCH (n) DETACH DELETE n"})
    assert_problem(write, 422)
    assert seeded.value("MATCH (n:Entity) RETURN count(n) AS c") == 5
    capped = client.post("/v1/cypher", json={"cypher": "MATCH (c:Chunk) RETURN c.id AS id", "max_rows": 2}).json()
    assert len(capped["rows"]) == 2 and capped["truncated"] is True


def test_cypher_can_be_disabled(settings: Settings, session_graph: Graph) -> None:
    with serve_app(api_settings(settings, api_cypher=False)) as url:
        r = httpx.post(url + "/v1/cypher", json={"cypher": "MATCH (n) RETURN count(n)"})
        assert assert_problem(r, 403)["hint"].startswith("the operator can enable it")
