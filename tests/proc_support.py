"""Helpers for tests of the servers kgqa starts."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from kgqa.procs import pid_alive

ROOT = Path(__file__).resolve().parents[1]


def wait_gone(pid: int, seconds: float) -> bool:
    """True once ``pid`` has exited (within ``seconds``)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.5)
    return False


def run_kgqa(args: list[str], home: Path, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    """Run the ``kgqa`` CLI in a subprocess with its own KGQA_HOME and none of the caller's KGQA_/OPENAI_ settings."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("KGQA_", "OPENAI_"))}
    return subprocess.run(
        [sys.executable, "-m", "kgqa", *args],
        cwd=ROOT,
        env=base | {"KGQA_HOME": str(home)} | env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def kgqa_cli(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the ``kgqa`` CLI in a subprocess with exactly ``env`` (e.g. the ``graph_env`` fixture)."""
    return subprocess.run(
        [sys.executable, "-m", "kgqa", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
