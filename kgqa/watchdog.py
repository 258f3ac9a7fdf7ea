"""``python -m kgqa.watchdog PID PORTS STATE_DIR IDLE USED``: stop a kgqa server when idle or orphaned.

Started detached next to each server kgqa runs itself. Every few seconds it checks: the server still
runs (else it exits); its state folder still exists (else it stops the server at once — the home it
belonged to was deleted); a client is connected to one of its ports or ``USED`` was touched recently
(else, after ``IDLE`` seconds without either, it stops the server). ``IDLE`` ≤ 0 disables the idle stop.
"""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path

from kgqa.procs import established, pid_alive, terminate, unregister

POLL = 2.0


def watch(pid: int, ports: list[int], state_dir: Path, idle: float, used: Path, kind: str = "") -> str:
    """Block until the server is gone or should stop; return why (the caller stops it)."""
    last = time.time()
    while True:
        time.sleep(POLL)
        if not pid_alive(pid):
            return "exited"
        if not state_dir.exists():
            return "state folder removed"
        now = time.time()
        if established(ports):
            last = now
        with contextlib.suppress(OSError):
            last = max(last, used.stat().st_mtime)
        if idle > 0 and now - last > idle:
            return f"idle for {now - last:.0f}s"


def main(argv: list[str]) -> int:
    pid, ports, state_dir, idle, used = argv[:5]
    folder = Path(state_dir)
    reason = watch(int(pid), [int(p) for p in ports.split(",") if p], folder, float(idle), Path(used))
    if folder.exists():  # note why before stopping, so whoever sees the server gone also finds the reason
        with contextlib.suppress(OSError), open(folder / "watchdog.log", "a") as fh:
            fh.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} server pid {pid} stopped: {reason}\n")
    if reason != "exited":
        terminate(int(pid), 10.0)
    for kind in ("graph", "llm"):
        unregister(kind, int(pid))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
