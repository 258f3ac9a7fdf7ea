"""Live HTTP servers for the API tests: uvicorn in a thread (in-process app) or ``kgqa serve`` in a subprocess."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import uvicorn

from kgqa.api.app import create_app
from kgqa.config import Settings

ROOT = Path(__file__).resolve().parents[1]
PROBLEM = "application/problem+json"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api_settings(base: Settings, **overrides) -> Settings:
    """The test graph's settings with generous API limits unless overridden."""
    values = {name: getattr(base, name) for name in type(base).model_fields}
    values.update({"api_rate_limit": 1000.0, "api_rate_burst": 1000, **overrides})
    return Settings(_env_file=None, **values)


@contextlib.contextmanager
def serve_app(settings: Settings) -> Iterator[str]:
    """Run ``create_app(settings)`` on uvicorn in a thread, on a free loopback port; yield its base URL."""
    port = free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="api-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test API server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@contextlib.contextmanager
def serve_process(env: dict[str, str], *args: str, host: str = "127.0.0.1") -> Iterator[str]:
    """Run ``kgqa serve`` as a subprocess; yield its base URL once /healthz answers."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kgqa", "serve", "--host", host, "--port", str(port), "--log-level", "warning", *args],
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read() if proc.stdout else ""
                raise RuntimeError(f"kgqa serve exited with {proc.returncode}: {out}")
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("kgqa serve did not answer /healthz within 120 s")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def assert_problem(response: httpx.Response, status: int) -> dict:
    """The response is an RFC 9457 problem with our fields."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:kgqa:problem:")
    assert body["title"] and body["detail"]
    assert "hint" in body
    assert "Traceback" not in response.text
    return body


def module_available(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def clean_env(env: dict[str, str], **extra: str) -> dict[str, str]:
    out = {k: v for k, v in env.items() if not k.startswith("KGQA_API_")}
    out.update(extra)
    return out


__all__ = [
    "PROBLEM",
    "api_settings",
    "assert_problem",
    "clean_env",
    "free_port",
    "module_available",
    "serve_app",
    "serve_process",
]
