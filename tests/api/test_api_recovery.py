"""Graph down → 503 problem+json with Retry-After; the API recovers by itself when the graph is back.

Uses its own temporary KGQA_HOME and embedded server, so the session's server is never stopped.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from kgqa.config import Settings
from kgqa.graph.embedded import EmbeddedServer
from tests.api_support import api_settings, assert_problem, serve_app


def _wait_status(url: str, status: int, timeout: float = 90) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        r = httpx.get(url, timeout=30)
        if r.status_code == status or time.monotonic() > deadline:
            return r
        time.sleep(0.5)


def test_graph_down_then_back(settings: Settings, tmp_path: Path) -> None:
    if not settings.embedded:
        pytest.skip("needs the embedded graph server (KGQA_TEST_GRAPH_URI points at an external one)")
    home = tmp_path / "home"
    server = EmbeddedServer(home)
    server.ensure_started()
    try:
        own = api_settings(settings, home=home)
        with serve_app(own) as url:
            assert httpx.get(url + "/readyz").status_code == 200
            assert httpx.get(url + "/v1/entities", params={"q": "a"}).status_code == 200

            assert server.stop()
            down = httpx.get(url + "/readyz")
            body = assert_problem(down, 503)
            assert body["type"].endswith("graph-unavailable") and down.headers["retry-after"] == "5"
            assert "kgqa graph" in body["hint"]
            assert_problem(httpx.get(url + "/v1/entities", params={"q": "a"}), 503)
            assert_problem(httpx.get(url + "/v1/schema"), 503)
            assert httpx.get(url + "/healthz").status_code == 200  # the process itself is fine

            server.ensure_started()  # new process, likely a new port: the API must reconnect by itself
            assert _wait_status(url + "/readyz", 200).status_code == 200
            assert httpx.get(url + "/v1/entities", params={"q": "a"}).status_code == 200
    finally:
        server.stop()


def test_unreachable_external_graph_is_503(settings: Settings, tmp_path: Path) -> None:
    dead = api_settings(settings, home=tmp_path, graph_uri="bolt://127.0.0.1:9", graph_password="x")
    with serve_app(dead) as url:
        body = assert_problem(httpx.get(url + "/readyz"), 503)
        assert "bolt://127.0.0.1:9" in body["detail"]
        assert_problem(httpx.get(url + "/v1/entities/person:x"), 503)
        assert_problem(httpx.post(url + "/v1/ask", json={"question": "who?"}), 503)
