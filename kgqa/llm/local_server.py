"""The managed local model: llama.cpp's OpenAI-compatible server (``llama-cpp-python[server]``) on 127.0.0.1.

Like the embedded graph server it runs detached, shared by every kgqa process with the same
``KGQA_HOME``, with its state in ``KGQA_HOME/llm``: ``server.json`` (pid, port, model), ``server.log``,
a lock file for concurrent starts, and ``used`` (touched on each use; the watchdog stops the server after
``KGQA_EMBEDDED_IDLE_TIMEOUT`` seconds without use, or at once when the folder disappears).
One server runs one model; asking for another model restarts it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from kgqa.errors import KgqaError
from kgqa.llm.local_models import MODELS, LocalModel, get_model, require_installed
from kgqa.procs import (
    ServerRecord,
    cmdline,
    file_lock,
    free_port,
    log_tail,
    pid_alive,
    port_open,
    proc_memory_mb,
    register,
    spawn_detached,
    spawn_watchdog,
    terminate,
    touch,
    unregister,
)

START_TIMEOUT = 120.0
STOP_TIMEOUT = 15.0


class LocalServerError(KgqaError):
    """The local model server could not be started, stopped or reached."""

    exit_code = 3


@dataclass
class LocalState:
    pid: int
    port: int
    model: str
    threads: int
    context: int
    started_at: float

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"


def default_threads() -> int:
    """cores − 1 (at least 1): llama.cpp's threads spin-wait on each other, so a busy core stalls them all."""
    return max(1, (os.cpu_count() or 2) - 1)


def runtime_available() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None


class LocalModelServer:
    """Start, stop and inspect the local model server for one ``KGQA_HOME``."""

    def __init__(
        self, home: Path, threads: int | None = None, context: int | None = None, idle_timeout: float = 900.0
    ) -> None:
        self.dir = Path(home).absolute() / "llm"
        self.threads = threads or default_threads()
        self.context = context
        self.idle_timeout = idle_timeout
        self.state_file = self.dir / "server.json"
        self.log_file = self.dir / "server.log"
        self.used_file = self.dir / "used"

    def status(self) -> dict:
        state = self._live_state()
        return {
            "running": state is not None,
            "pid": state.pid if state else None,
            "base_url": state.base_url if state else None,
            "model": state.model if state else None,
            "threads": state.threads if state else None,
            "context": state.context if state else None,
            "uptime_seconds": round(time.time() - state.started_at, 1) if state else None,
            "rss_mb": _rss_mb(state.pid) if state else None,
            "log": str(self.log_file),
        }

    def ensure_started(self, model_name: str | None = None, notify: Callable[[str], None] | None = None) -> LocalState:
        """The running server for ``model_name`` (default model), started or restarted first if needed."""
        model = get_model(model_name)
        path = require_installed(model)
        self.dir.mkdir(parents=True, exist_ok=True)
        with self._locked():
            state = self._live_state()
            if state is not None and state.model == model.name:
                touch(self.used_file)
                return state
            if state is not None:
                if notify:
                    notify(f"restarting the local model server with {model.name} (was {state.model})")
                self._stop(state)
            elif notify:
                notify(f"starting the local model server ({model.name}, {self.threads} thread(s))")
            return self._start(model, path)

    def stop(self) -> bool:
        """Stop the server; False when it was not running."""
        if not self.dir.exists():
            return False
        with self._locked():
            state = self._live_state()
            if state is None:
                return False
            self._stop(state)
            return True

    # ---------------------------------------------------------------------------------- internals

    def _locked(self) -> contextlib.AbstractContextManager[None]:
        return file_lock(self.dir / "server.lock")

    def _live_state(self) -> LocalState | None:
        try:
            state = LocalState(**json.loads(self.state_file.read_text()))
        except (OSError, ValueError, TypeError):
            return None
        if pid_alive(state.pid) and "llama_cpp.server" in cmdline(state.pid):
            return state
        self.state_file.unlink(missing_ok=True)
        return None

    def _stop(self, state: LocalState) -> None:
        terminate(state.pid, STOP_TIMEOUT)
        unregister("llm", state.pid)
        self.state_file.unlink(missing_ok=True)

    def _start(self, model: LocalModel, path: Path) -> LocalState:
        if not runtime_available():
            raise LocalServerError(
                "the local model runtime (llama-cpp-python) is not installed",
                "run `make llm` (builds it from source once, ~10 min on 2 cores)",
            )
        _check_memory(model)
        port = free_port()
        context = self.context or model.context
        args = [sys.executable, "-m", "llama_cpp.server", "--model", str(path), "--model_alias", model.name]
        args += ["--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(context)]
        args += ["--n_threads", str(self.threads), "--n_threads_batch", str(self.threads), "--verbose", "False"]
        proc = spawn_detached(args, self.log_file, self.dir)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise _start_failure(proc.returncode, model, self.log_file)
            if port_open(port) and _ready(port):
                state = LocalState(proc.pid, port, model.name, self.threads, context, time.time())
                tmp = self.state_file.with_suffix(".tmp")
                tmp.write_text(json.dumps(asdict(state)))
                tmp.replace(self.state_file)
                register(ServerRecord("llm", proc.pid, str(self.dir), [port], detail=model.name))
                touch(self.used_file)
                spawn_watchdog(proc.pid, [port], self.dir, self.idle_timeout, self.used_file)
                return state
            time.sleep(0.3)
        terminate(proc.pid, 5)
        raise LocalServerError(
            f"the local model server did not become ready within {START_TIMEOUT:.0f}s", f"see {self.log_file}"
        )


_OUT_OF_MEMORY = ("out of memory", "failed to allocate", "cannot allocate", "bad_alloc", "unable to allocate")


def _start_failure(code: int | None, model: LocalModel, log_file: Path) -> LocalServerError:
    """Why the server died during start-up, with the fix: out of memory → a smaller model; SIGILL → rebuild."""
    tail = log_tail(log_file)
    message = f"the local model server exited during start-up (code {code}): {tail}"
    if code == -9 or any(word in tail.lower() for word in _OUT_OF_MEMORY):
        return LocalServerError(
            f"{message} — out of memory loading {model.name} (needs about {model.ram_gb:g} GB)",
            f"use a smaller model ({_smaller(model)}) or lower KGQA_LLM_CONTEXT; see {log_file}",
        )
    return LocalServerError(
        message,
        f"see {log_file}; 'Illegal instruction' means the runtime was built for another CPU: "
        "rerun `make llm` after `pip uninstall llama-cpp-python`",
    )


def _check_memory(model: LocalModel) -> None:
    """Refuse to start a model that cannot fit in the memory available now (Linux ``MemAvailable``)."""
    available = available_memory_gb()
    if available is not None and available < model.ram_gb:
        raise LocalServerError(
            f"not enough memory for {model.name}: it needs about {model.ram_gb:g} GB, {available:.1f} GB is available",
            f"use a smaller model ({_smaller(model)}), lower KGQA_LLM_CONTEXT, or free memory",
        )


def available_memory_gb() -> float | None:
    """``MemAvailable`` from /proc/meminfo in GB, or None where there is no such file."""
    mb = proc_memory_mb("/proc/meminfo", "MemAvailable")
    return mb / 1024 if mb is not None else None


def _smaller(model: LocalModel) -> str:
    """How to pick a smaller installable model than ``model``."""
    smaller = sorted(
        (m for m in MODELS.values() if m.ram_gb < model.ram_gb and m.name != model.name), key=lambda m: -m.ram_gb
    )
    return f"KGQA_LLM=local:{smaller[0].name}" if smaller else "see `kgqa llm models`"


def server_for(settings) -> LocalModelServer:
    return LocalModelServer(
        settings.home, settings.llm_threads, settings.llm_context, float(settings.embedded_idle_timeout)
    )


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def _rss_mb(pid: int) -> float | None:
    return proc_memory_mb(f"/proc/{pid}/status", "VmRSS")
