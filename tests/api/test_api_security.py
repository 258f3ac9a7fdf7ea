"""API keys, bind refusal, rate limits, slow clients, CORS — over real HTTP."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import pytest

from kgqa.cli.serve_cmd import is_loopback
from kgqa.config import Settings
from kgqa.graph.client import Graph
from tests.api_support import ROOT, api_settings, assert_problem, clean_env, free_port, serve_app, serve_process

KEYS = "k3y-alpha-0123456789,k3y-beta-9876543210"


def test_keys_required_when_configured(settings: Settings, session_graph: Graph) -> None:
    with serve_app(api_settings(settings, api_keys=KEYS)) as url:
        missing = assert_problem(httpx.get(url + "/v1/schema"), 401)
        assert "X-API-Key" in missing["hint"]
        assert httpx.get(url + "/v1/schema").headers["www-authenticate"].startswith("Bearer")
        assert_problem(httpx.get(url + "/v1/schema", headers={"Authorization": "Bearer wrong"}), 401)
        assert_problem(httpx.get(url + "/v1/schema", headers={"X-API-Key": "k3y-alpha-012345678"}), 401)
        assert_problem(httpx.get(url + "/v1/schema", headers={"Authorization": "Basic k3y-alpha-0123456789"}), 401)
        assert (
            httpx.get(url + "/v1/schema", headers={"Authorization": "Bearer k3y-alpha-0123456789"}).status_code == 200
        )
        assert httpx.get(url + "/v1/schema", headers={"X-API-Key": "k3y-beta-9876543210"}).status_code == 200
        # probes, docs and the page stay open
        assert httpx.get(url + "/healthz").status_code == 200
        assert httpx.get(url + "/readyz").status_code == 200
        assert httpx.get(url + "/openapi.json").status_code == 200
        assert httpx.get(url + "/").status_code == 200
        # even unknown ids answer 401 first, so ids cannot be probed without a key
        assert_problem(httpx.get(url + "/v1/entities/person:x"), 401)


def test_keys_off_by_default(settings: Settings, session_graph: Graph) -> None:
    with serve_app(api_settings(settings)) as url:
        assert httpx.get(url + "/v1/schema").status_code == 200


def test_loopback_detection() -> None:
    for host in ("127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"):
        assert is_loopback(host), host
    for host in ("0.0.0.0", "::", "192.168.1.10", "example.com", "10.0.0.1"):
        assert not is_loopback(host), host


def test_refuses_public_bind_without_keys(graph_env: dict[str, str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "kgqa", "serve", "--host", "0.0.0.0", "--port", str(free_port())],
        cwd=ROOT,
        env=clean_env(graph_env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "refusing to serve on 0.0.0.0 without API keys" in proc.stderr
    assert "KGQA_API_KEYS" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_public_bind_with_keys_starts_and_never_logs_keys(graph_env: dict[str, str], session_graph: Graph) -> None:
    env = clean_env(graph_env, KGQA_API_KEYS=KEYS)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kgqa", "serve", "--host", "0.0.0.0", "--port", str(port), "--log-level", "info"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline
            time.sleep(0.2)
        headers = {"Authorization": "Bearer k3y-alpha-0123456789"}
        assert httpx.get(f"http://127.0.0.1:{port}/v1/schema", headers=headers).status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/v1/schema", headers={"X-API-Key": "k3y-nope"}).status_code == 401
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert "API keys required" in out
    assert "k3y-" not in out


def test_rate_limit_per_client_with_retry_after(settings: Settings, session_graph: Graph) -> None:
    with serve_app(api_settings(settings, api_keys=KEYS, api_rate_limit=0.01, api_rate_burst=3)) as url:
        alpha = {"X-API-Key": "k3y-alpha-0123456789"}
        beta = {"X-API-Key": "k3y-beta-9876543210"}
        codes = [httpx.get(url + "/v1/entities", params={"q": "a"}, headers=alpha).status_code for _ in range(3)]
        assert codes == [200, 200, 200]
        limited = httpx.get(url + "/v1/entities", params={"q": "a"}, headers=alpha)
        body = assert_problem(limited, 429)
        assert int(limited.headers["retry-after"]) >= 1 and "Retry-After" in body["hint"]
        # another key has its own bucket; probes are never limited
        assert httpx.get(url + "/v1/entities", params={"q": "a"}, headers=beta).status_code == 200
        assert all(httpx.get(url + "/healthz").status_code == 200 for _ in range(10))
        # invalid keys fall back to the client address: guessing keys is rate limited too
        guesses = [httpx.get(url + "/v1/schema", headers={"X-API-Key": f"guess{i}"}).status_code for i in range(5)]
        assert guesses[:3] == [401, 401, 401] and 429 in guesses


def test_burst_from_one_client(settings: Settings, session_graph: Graph) -> None:
    import concurrent.futures

    with (
        serve_app(api_settings(settings, api_rate_limit=1, api_rate_burst=5)) as url,
        httpx.Client(base_url=url) as c,
        concurrent.futures.ThreadPoolExecutor(8) as pool,
    ):
        started = time.monotonic()
        codes = list(pool.map(lambda _: c.get("/v1/entities", params={"q": "ada"}).status_code, range(20)))
        elapsed = time.monotonic() - started
    assert set(codes) <= {200, 429}
    assert 5 <= codes.count(200) <= 5 + int(elapsed) + 1  # the burst, plus one token per second elapsed
    assert codes.count(429) >= 20 - (5 + int(elapsed) + 1)


def _raw(url: str, payload: bytes, wait: float) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(payload)
        time.sleep(wait)
        sock.settimeout(30)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
            if b"\r\n\r\n" in data and b"}" in data:
                break
        return data


def test_slow_client_gets_408(settings: Settings, session_graph: Graph) -> None:
    with serve_app(api_settings(settings, api_body_timeout=1.0)) as url:
        head = (
            b"POST /v1/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
            b'{"question": '
        )
        reply = _raw(url, head, wait=0)
        assert reply.startswith(b"HTTP/1.1 408"), reply[:200]
        assert b"application/problem+json" in reply and b"request-timeout" in reply
        # the server still serves others afterwards
        assert httpx.get(url + "/healthz").status_code == 200


def test_invalid_content_length_is_400(settings: Settings, session_graph: Graph) -> None:
    with serve_app(api_settings(settings)) as url:
        reply = _raw(url, b"POST /v1/ask HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", wait=0)
        assert reply.startswith(b"HTTP/1.1 400"), reply[:200]


@pytest.mark.parametrize("origin,allowed", [("https://app.example.com", True), ("https://evil.example", False)])
def test_cors(settings: Settings, session_graph: Graph, origin: str, allowed: bool) -> None:
    with serve_app(api_settings(settings, api_cors_origins="https://app.example.com")) as url:
        pre = httpx.options(
            url + "/v1/ask",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )
        got = httpx.get(url + "/healthz", headers={"Origin": origin})
    if allowed:
        assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == origin
        assert got.headers["access-control-allow-origin"] == origin
    else:
        assert "access-control-allow-origin" not in got.headers
        assert pre.status_code == 400


def test_serve_process_end_to_end(graph_env: dict[str, str], session_graph: Graph) -> None:
    with serve_process(clean_env(graph_env)) as url:
        assert httpx.get(url + "/readyz").json()["status"] == "ready"
        assert httpx.get(url + "/v1/entities", params={"q": "x"}).status_code == 200


def test_port_in_use_is_a_clear_error(graph_env: dict[str, str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "kgqa", "serve", "--port", str(port)],
            cwd=ROOT,
            env=clean_env(graph_env),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr and "--port" in proc.stderr
