"""The embedded graph server's lifecycle and its faults, driven through the real `kgqa` CLI."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from kgqa.config import Settings
from kgqa.errors import EmbeddedServerError, GraphUnavailable
from kgqa.graph.client import Graph
from kgqa.graph.embedded import EmbeddedServer, _pid_alive

pytestmark = pytest.mark.skipif(bool(os.environ.get("KGQA_TEST_GRAPH_URI")), reason="embedded server only")


def kgqa(home: Path, *args: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KGQA_")}
    env["KGQA_HOME"] = str(home)
    env.update(extra_env or {})
    return subprocess.run([sys.executable, "-m", "kgqa", *args], env=env, capture_output=True, text=True, timeout=180)


@pytest.fixture()
def home(tmp_path: Path):
    yield tmp_path / "home"
    EmbeddedServer(tmp_path / "home").stop()


def test_start_status_stop_cycle(home: Path) -> None:
    started = kgqa(home, "graph", "start", "--json")
    assert started.returncode == 0, started.stderr
    info = json.loads(started.stdout)
    assert info["running"] and info["uri"].startswith("bolt://127.0.0.1:")
    pw = home / "graph" / "password"
    assert pw.stat().st_mode & 0o777 == 0o600
    status = json.loads(kgqa(home, "graph", "status", "--json").stdout)
    assert status["running"] and status["pid"] == info["pid"] and status["flavor"] == "arcadedb"
    # bound to loopback only
    port = int(info["uri"].rsplit(":", 1)[1])
    with socket.socket() as sock:
        sock.settimeout(1)
        assert sock.connect_ex(("127.0.0.1", port)) == 0
    stopped = kgqa(home, "graph", "stop", "--json")
    assert json.loads(stopped.stdout) == {"stopped": True}
    assert not _pid_alive(info["pid"])  # gone (or a zombie waiting for its reaper)
    assert json.loads(kgqa(home, "graph", "status", "--json").stdout)["running"] is False


def test_data_persists_across_restart(home: Path) -> None:
    settings = Settings(_env_file=None, home=home)
    with Graph.connect(settings) as graph:
        graph.write("MERGE (e:Entity {id: 'keep', name: 'Kept'})")
    EmbeddedServer(home).stop()
    with Graph.connect(settings) as graph:
        assert graph.value("MATCH (e:Entity {id: 'keep'}) RETURN e.name AS n") == "Kept"


def test_concurrent_starts_share_one_server(home: Path) -> None:
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda _: kgqa(home, "graph", "start", "--json"), range(3)))
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    pids = {json.loads(r.stdout)["pid"] for r in results}
    assert len(pids) == 1
    procs = subprocess.run(["pgrep", "-f", f"rootPath={home.absolute()}/graph"], capture_output=True, text=True)
    assert len(procs.stdout.split()) == 1


def test_stale_pid_file_is_cleaned(home: Path) -> None:
    (home / "graph").mkdir(parents=True)
    (home / "graph" / "server.json").write_text(
        json.dumps({"pid": 999999, "bolt_port": 1, "http_port": 2, "started_at": 0, "home": str(home)})
    )
    result = kgqa(home, "graph", "start", "--json")
    assert result.returncode == 0, result.stderr
    assert "stale pid file" in result.stderr


def test_home_not_writable_gives_one_line_error(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        if os.access(ro, os.W_OK):  # running as root: permissions do not bind, use a path under a file
            target = tmp_path / "afile"
            target.write_text("x")
            home = target / "home"
        else:
            home = ro / "home"
        result = kgqa(home, "graph", "start")
    finally:
        ro.chmod(0o700)
    assert result.returncode != 0
    assert "KGQA_HOME is not writable" in result.stderr and "hint:" in result.stderr
    assert "Traceback" not in result.stderr


def test_java_missing_gives_clear_error(home: Path) -> None:
    result = kgqa(home, "graph", "start", extra_env={"KGQA_JAVA": "/nonexistent/java"})
    assert result.returncode != 0
    assert "Java runtime not found" in result.stderr and "Traceback" not in result.stderr


def test_broken_java_gives_clear_error(home: Path, tmp_path: Path) -> None:
    fake = tmp_path / "java"
    fake.write_text("#!/bin/sh\necho 'Error: broken runtime' >&2\nexit 1\n")
    fake.chmod(0o755)
    result = kgqa(home, "graph", "start", extra_env={"KGQA_JAVA": str(fake)})
    assert result.returncode != 0
    assert "exited during start-up" in result.stderr and "broken runtime" in result.stderr


def test_port_taken_gives_clear_error(home: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = kgqa(home, "graph", "start", extra_env={"KGQA_EMBEDDED_BOLT_PORT": str(port)})
    assert result.returncode != 0
    assert f"port {port}" in result.stderr and "already taken" in result.stderr


def test_wrong_password_is_reported(home: Path) -> None:
    assert kgqa(home, "graph", "start").returncode == 0
    (home / "graph" / "password").write_text("not-the-password")
    with pytest.raises(GraphUnavailable, match="refused the credentials"):
        Graph.connect(Settings(_env_file=None, home=home))


def test_unreachable_external_graph(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = kgqa(tmp_path, "graph", "status", extra_env={"KGQA_GRAPH_URI": f"bolt://127.0.0.1:{port}"})
    assert result.returncode == 3
    assert "cannot reach the graph server" in result.stderr and "hint:" in result.stderr
    assert "Traceback" not in result.stderr
    debug = kgqa(tmp_path, "--debug", "graph", "status", extra_env={"KGQA_GRAPH_URI": f"bolt://127.0.0.1:{port}"})
    assert "Traceback" in debug.stderr


def test_hung_server_is_replaced(home: Path) -> None:
    server = EmbeddedServer(home)
    state = server.ensure_started()
    os.kill(state.pid, 19)  # SIGSTOP: alive but not answering
    try:
        time.sleep(0.5)
        new_state = EmbeddedServer(home).ensure_started()
        assert new_state.pid != state.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(state.pid, 9)


def test_embedded_error_type() -> None:
    assert issubclass(EmbeddedServerError, Exception)
