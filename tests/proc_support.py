"""Helpers for tests of the servers kgqa starts."""

from __future__ import annotations

import time

from kgqa.procs import pid_alive


def wait_gone(pid: int, seconds: float) -> bool:
    """True once ``pid`` has exited (within ``seconds``)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.5)
    return False
