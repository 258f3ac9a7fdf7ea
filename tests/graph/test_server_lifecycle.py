"""Servers kgqa starts itself stop themselves: after an idle timeout, and at once when their home disappears;
`kgqa graph status --all` lists every one on the machine and `kgqa graph stop --all` stops them.

Each test starts its own embedded graph server in a private KGQA_HOME (not the session's server).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.proc_support import run_kgqa, wait_gone


def start(home: Path, **env: str) -> int:
    proc = run_kgqa(["graph", "start", "--json"], home, **env)
    assert proc.returncode == 0, proc.stderr
    return int(json.loads(proc.stdout)["pid"])


def test_status_all_lists_the_server(tmp_path: Path) -> None:
    """(``stop --all`` is not run here: it would stop every kgqa server on the machine, this session's too.)"""
    home = tmp_path / "home"
    pid = start(home)
    try:
        listed = json.loads(run_kgqa(["graph", "status", "--all", "--json"], home).stdout)["servers"]
        mine = [r for r in listed if r["pid"] == pid]
        assert mine and mine[0]["kind"] == "graph" and mine[0]["state_dir"] == str(home / "graph")
        assert run_kgqa(["graph", "status", "--all", "--fail-if-any"], tmp_path).returncode == 1
    finally:
        assert json.loads(run_kgqa(["graph", "stop", "--json"], home).stdout) == {"stopped": True}
    assert wait_gone(pid, 15)
    listed = json.loads(run_kgqa(["graph", "status", "--all", "--json"], home).stdout)["servers"]
    assert pid not in [r["pid"] for r in listed]


def test_idle_server_stops_itself(tmp_path: Path) -> None:
    home = tmp_path / "idle"
    pid = start(home, KGQA_EMBEDDED_IDLE_TIMEOUT="4")
    assert wait_gone(pid, 45), "the idle watchdog did not stop the graph server"
    assert "idle" in (home / "graph" / "watchdog.log").read_text()
    assert json.loads(run_kgqa(["graph", "status", "--json"], home).stdout)["running"] is False


def test_server_stops_when_its_home_is_deleted(tmp_path: Path) -> None:
    home = tmp_path / "doomed"
    pid = start(home)
    shutil.rmtree(home)
    assert wait_gone(pid, 30), "a graph server whose KGQA_HOME was deleted kept running"
