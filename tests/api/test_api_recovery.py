"""Graph down → 503 problem+json with Retry-After; the API starts the embedded server again by itself.

Uses its own temporary KGQA_HOME and embedded server, so the session's server is never stopped.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from kgqa.config import Settings
from kgqa.graph.embedded import EmbeddedServer
from tests.api_support import api_settings, assert_problem, serve_app
from tests.proc_support import wait_gone


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
            again = assert_problem(httpx.get(url + "/v1/schema"), 503)  # until it is back
            assert "starting it" in again["detail"] and "retry" in again["hint"]
            assert httpx.get(url + "/healthz").status_code == 200  # the process itself is fine

            # nobody starts it by hand: the API does (a new process, likely on a new port)
            assert _wait_status(url + "/readyz", 200).status_code == 200
            assert server.status().running
            assert httpx.get(url + "/v1/entities", params={"q": "a"}).status_code == 200
    finally:
        server.stop()


def test_graph_killed_under_serve_recovers(settings: Settings, tmp_path: Path) -> None:
    """kill -9 of the graph server mid-service: 503 with Retry-After, then answers again without restarting serve."""
    if not settings.embedded:
        pytest.skip("needs the embedded graph server (KGQA_TEST_GRAPH_URI points at an external one)")
    home = tmp_path / "home"
    server = EmbeddedServer(home)
    first = server.ensure_started()
    try:
        own = api_settings(settings, home=home)
        with serve_app(own) as url:
            assert httpx.post(url + "/v1/ask", json={"question": "Who is nobody?"}).status_code == 200
            os.kill(first.pid, signal.SIGKILL)
            assert wait_gone(first.pid, 30)
            down = httpx.post(url + "/v1/ask", json={"question": "Who founded anything?"})
            assert_problem(down, 503)
            assert down.headers["retry-after"] == "5"
            assert _wait_status(url + "/readyz", 200).status_code == 200
            again = server.status()
            assert again.running and again.pid != first.pid
            assert httpx.post(url + "/v1/ask", json={"question": "Who is nobody?"}).status_code == 200
    finally:
        server.stop()


def test_unreachable_external_graph_is_503(settings: Settings, tmp_path: Path) -> None:
    dead = api_settings(settings, home=tmp_path, graph_uri="bolt://127.0.0.1:9", graph_password="x")
    with serve_app(dead) as url:
        body = assert_problem(httpx.get(url + "/readyz"), 503)
        assert "bolt://127.0.0.1:9" in body["detail"]
        assert_problem(httpx.get(url + "/v1/entities/person:x"), 503)
        assert_problem(httpx.post(url + "/v1/ask", json={"question": "who?"}), 503)
