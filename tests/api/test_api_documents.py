"""Ingestion jobs and retraction over real HTTP (needs the build pipeline; real spaCy extraction)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from kgqa.config import Settings
from kgqa.graph.client import Graph
from tests.api_support import api_settings, assert_problem, module_available, serve_app

pytestmark = pytest.mark.skipif(
    not module_available("kgqa.ingest.pipeline"), reason="kgqa.ingest.pipeline is not in this build"
)


@pytest.fixture()
def client(settings: Settings, graph: Graph) -> Iterator[httpx.Client]:
    with serve_app(api_settings(settings)) as url, httpx.Client(base_url=url, timeout=120) as c:
        yield c


def _wait(client: httpx.Client, href: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(href).json()
        if job["status"] in ("succeeded", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.3)


def test_ingest_json_text_then_retract(client: httpx.Client, graph: Graph) -> None:
    r = client.post(
        "/v1/documents",
        json={
            "id": "notes/grace.txt",
            "title": "Grace",
            "text": "Grace Hopper works for Remington Rand. Grace Hopper was born in New York.",
            "metadata": {"lang": "en"},
        },
    )
    assert r.status_code == 202, r.text
    accepted = r.json()
    assert r.headers["location"] == accepted["href"] == f"/v1/jobs/{accepted['job_id']}"
    job = _wait(client, accepted["href"])
    assert job["status"] == "succeeded", job
    assert job["summary"]["doc_id"] == "notes/grace.txt" and job["summary"]["new"] == ["notes/grace.txt"]
    assert job["input"] == {"kind": "text", "id": "notes/grace.txt", "title": "Grace", "chars": 73}
    docs = client.get("/v1/documents").json()["documents"]
    assert [(d["id"], d["title"], d["source"]) for d in docs] == [("notes/grace.txt", "Grace", "api")]
    hits = client.get("/v1/entities", params={"q": "grace hopper"}).json()["entities"]
    assert hits and hits[0]["name"] == "Grace Hopper"
    detail = client.get(f"/v1/entities/{hits[0]['id']}").json()
    assert any(e["doc_id"] == "notes/grace.txt" for f in detail["facts"] for e in f["evidence"])

    # the same text again is recognised as unchanged
    again = _wait(
        client,
        client.post(
            "/v1/documents",
            json={
                "id": "notes/grace.txt",
                "text": "Grace Hopper works for Remington Rand. Grace Hopper was born in New York.",
            },
        ).json()["href"],
    )
    assert again["status"] == "succeeded" and again["summary"]["unchanged"] == ["notes/grace.txt"]

    gone = client.delete("/v1/documents/notes/grace.txt")
    assert gone.status_code == 200, gone.text
    assert gone.json()["retracted"] is True
    assert client.get("/v1/documents").json()["documents"] == []
    assert graph.value("MATCH (c:Chunk) RETURN count(c) AS c") == 0
    assert_problem(client.delete("/v1/documents/notes/grace.txt"), 404)


def test_upload_a_file(client: httpx.Client, graph: Graph) -> None:
    files = {"file": ("../../etc/ada notes.md", b"# Ada\n\nAda Lovelace works for Acme Corp.\n", "text/markdown")}
    r = client.post("/v1/documents", files=files)
    assert r.status_code == 202, r.text
    job = _wait(client, r.json()["href"])
    assert job["status"] == "succeeded", job
    assert job["input"]["filename"] == "ada_notes.md"  # no path tricks, no spaces
    docs = client.get("/v1/documents").json()["documents"]
    assert [(d["id"], d["title"], d["source"]) for d in docs] == [("ada_notes.md", "Ada", "api upload: ada_notes.md")]


def test_bad_documents(client: httpx.Client, graph: Graph) -> None:
    assert_problem(client.post("/v1/documents", json={"text": ""}), 422)
    assert_problem(client.post("/v1/documents", json={"text": "   "}), 422)
    assert_problem(client.post("/v1/documents", json={"text": 5}), 422)
    assert_problem(client.post("/v1/documents", json={"text": "x", "bogus": 1}), 422)
    assert_problem(client.post("/v1/documents", json=["x"]), 422)
    malformed = client.post("/v1/documents", content=b"{nope", headers={"content-type": "application/json"})
    assert_problem(malformed, 400)
    assert_problem(client.post("/v1/documents", files={"file": ("x.exe", b"MZ", "application/octet-stream")}), 415)
    assert_problem(client.post("/v1/documents", files={"file": ("x.txt", b"", "text/plain")}), 422)
    assert_problem(client.post("/v1/documents", files={"other": ("x.txt", b"hi", "text/plain")}), 422)
    binary = client.post("/v1/documents", files={"file": ("x.pdf", b"%PDF-1.4 not really a pdf", "application/pdf")})
    job = _wait(client, binary.json()["href"])
    assert job["status"] == "failed" and job["errors"], job


def test_upload_size_limit(settings: Settings, graph: Graph) -> None:
    with serve_app(api_settings(settings, api_max_upload_bytes=10_000)) as url:
        big = {"file": ("big.txt", b"word " * 5000, "text/plain")}
        assert_problem(httpx.post(url + "/v1/documents", files=big), 413)
