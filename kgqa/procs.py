"""Background servers that kgqa starts itself (the embedded graph, the local model): shared process plumbing.

- ``pid_alive`` / ``terminate`` (SIGTERM, then SIGKILL of the process group) / ``free_port`` / ``port_open``;
- a machine-wide registry (one JSON record per server in ``$TMPDIR/kgqa-$UID/servers``) so that
  ``kgqa graph status`` can list every server kgqa runs here and ``kgqa graph stop --all`` can stop them,
  plus a scan of ``/proc`` for servers whose record was lost;
- ``spawn_watchdog``: a small detached process that stops a server once it has been idle for
  ``KGQA_EMBEDDED_IDLE_TIMEOUT`` seconds (no client connection and no use recorded), or at once when the
  folder it keeps its state in disappears.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

# Command-line markers of the servers kgqa starts, for the /proc scan.
SIGNATURES = {"graph": "com.arcadedb.server.ArcadeDBServer", "llm": "llama_cpp.server"}


def pid_alive(pid: int) -> bool:
    """True when ``pid`` runs (zombies count as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def terminate(pid: int, timeout: float) -> None:
    """SIGTERM the process group, wait up to ``timeout``, then SIGKILL it."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
            os.killpg(pid, signal.SIGCONT)  # a stopped process only acts on SIGTERM once continued
        except (ProcessLookupError, PermissionError):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            if not pid_alive(pid):
                return
            time.sleep(0.2)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (created if needed) for the duration of the block."""
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def spawn_detached(args: list[str], log_file: Path, cwd: Path) -> subprocess.Popen:
    """Start a server in its own session (it outlives the command), output appended to ``log_file``."""
    log = open(log_file, "ab")  # noqa: SIM115 - handed to the child, closed below
    try:
        return subprocess.Popen(
            args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=cwd, start_new_session=True
        )
    finally:
        log.close()


def log_tail(path: Path, lines: int = 3, interesting: tuple[str, ...] = ()) -> str:
    """The last ``lines`` lines of a log (only those containing one of ``interesting``, when any do)."""
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    picked = [line for line in text if any(word in line for word in interesting)]
    return " | ".join((picked or text)[-lines:])[:500]


def proc_memory_mb(path: str, key: str) -> float | None:
    """A memory field of a Linux /proc file in MB: ``("/proc/PID/status", "VmRSS")``, ``("/proc/meminfo",
    "MemAvailable")``; None where the file or the field is missing."""
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(f"{key}:"):
                return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        return None
    return None


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


# ------------------------------------------------------------------------------------------ registry


@dataclass
class ServerRecord:
    """One server kgqa started: what it is, where its state lives, how to reach it."""

    kind: str  # graph | llm
    pid: int
    state_dir: str
    ports: list[int] = field(default_factory=list)
    started_at: float = field(default_factory=time.time)
    detail: str = ""
    registered: bool = True  # False: found by the /proc scan only

    @property
    def alive(self) -> bool:
        return pid_alive(self.pid)


def registry_dir() -> Path:
    path = Path(tempfile.gettempdir()) / f"kgqa-{os.getuid()}" / "servers"
    path.mkdir(parents=True, exist_ok=True)
    return path


def register(record: ServerRecord) -> None:
    tmp = registry_dir() / f".{record.kind}-{record.pid}.tmp"
    tmp.write_text(json.dumps(asdict(record)))
    tmp.replace(registry_dir() / f"{record.kind}-{record.pid}.json")


def unregister(kind: str, pid: int) -> None:
    (registry_dir() / f"{kind}-{pid}.json").unlink(missing_ok=True)


def all_servers() -> list[ServerRecord]:
    """Every kgqa server on this machine: registered ones that still run, plus unregistered ones in /proc."""
    found: dict[int, ServerRecord] = {}
    for path in sorted(registry_dir().glob("*.json")):
        try:
            record = ServerRecord(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            path.unlink(missing_ok=True)
            continue
        if record.alive and any(sig in cmdline(record.pid) for sig in SIGNATURES.values()):
            found[record.pid] = record
        else:
            path.unlink(missing_ok=True)
    for pid, kind, line in _scan_proc():
        if pid not in found:
            found[pid] = ServerRecord(kind, pid, _state_dir_of(pid), detail=line[:200], registered=False)
    return sorted(found.values(), key=lambda r: r.started_at)


def stop_all(timeout: float = 10.0) -> list[ServerRecord]:
    """Stop every kgqa server on this machine (SIGKILL for those that ignore SIGTERM); return them."""
    servers = all_servers()
    for record in servers:
        terminate(record.pid, timeout)
        unregister(record.kind, record.pid)
    return servers


def _scan_proc() -> list[tuple[int, str, str]]:
    out = []
    me = os.getuid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != me:
                continue
        except OSError:
            continue
        line = cmdline(int(entry.name))
        for kind, sig in SIGNATURES.items():
            if sig in line and "kgqa" in line and "watchdog" not in line:
                out.append((int(entry.name), kind, line))
    return out


def _state_dir_of(pid: int) -> str:
    """Servers run with their state folder as working directory."""
    try:
        return os.readlink(f"/proc/{pid}/cwd").removesuffix(" (deleted)")
    except OSError:
        return ""


# ------------------------------------------------------------------------------------------ watchdog


def touch(path: Path) -> None:
    """Record a use of a server (its watchdog counts time since the last use)."""
    with contextlib.suppress(OSError):
        path.touch()


def spawn_watchdog(pid: int, ports: list[int], state_dir: Path, idle: float, used: Path) -> None:
    """Start the detached watchdog for server ``pid`` (``idle`` ≤ 0: it only watches for the folder going away)."""
    args = [sys.executable, "-m", "kgqa.watchdog", str(pid), ",".join(map(str, ports)), str(state_dir), str(idle)]
    subprocess.Popen(
        [*args, str(used)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        close_fds=True,
    )


def established(ports: list[int]) -> bool:
    """True when any TCP connection to one of ``ports`` on this machine is established."""
    wanted = {f"{p:04X}" for p in ports}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if len(cols) > 3 and cols[3] == "01" and cols[1].rsplit(":", 1)[-1] in wanted:
                return True
    return False
