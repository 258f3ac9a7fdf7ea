"""Background jobs (document ingestion): one worker thread per process, a small bounded queue.

A job is a function ``work(report)`` that calls ``report(done, total, stage)`` as it goes and returns a
summary dict. Job records stay in memory (the newest ``keep`` of them); they do not survive a restart.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, Field

from kgqa.config import Settings
from kgqa.errors import KgqaError

log = logging.getLogger("kgqa.api")

JobStatus = Literal["queued", "running", "succeeded", "failed"]
Report = Callable[[int, int | None, str], None]


class Progress(BaseModel):
    stage: str = "queued"
    done: int = 0
    total: int | None = None


class Job(BaseModel):
    id: str
    kind: str
    status: JobStatus = "queued"
    progress: Progress = Field(default_factory=Progress)
    summary: dict[str, Any] = Field(default_factory=dict)
    errors: list[str] = Field(default_factory=list)
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None
    input: dict[str, Any] = Field(default_factory=dict, description="What was submitted (no document text).")


class QueueFull(Exception):
    """Too many jobs are waiting."""


class JobManager:
    """Runs submitted jobs one at a time on a daemon thread."""

    def __init__(self, settings: Settings, graphs: Any, max_queued: int = 8, keep: int = 200) -> None:
        self.settings = settings
        self.graphs = graphs
        self.max_queued = max_queued
        self.keep = keep
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._work: dict[str, Callable[[Report], dict[str, Any]]] = {}
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, kind: str, work: Callable[[Report], dict[str, Any]], info: dict[str, Any]) -> Job:
        with self._lock:
            waiting = sum(1 for j in self._jobs.values() if j.status == "queued")
            if waiting >= self.max_queued:
                raise QueueFull(f"{waiting} jobs are already waiting")
            job = Job(id=uuid.uuid4().hex, kind=kind, created_at=time.time(), input=info)
            self._jobs[job.id] = job
            self._work[job.id] = work
            while len(self._jobs) > self.keep:
                oldest = next(iter(self._jobs))
                if self._jobs[oldest].status in ("queued", "running"):
                    break
                del self._jobs[oldest]
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="kgqa-jobs", daemon=True)
                self._thread.start()
        self._queue.put(job.id)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return job.model_copy(deep=True) if job else None

    def wait(self, job_id: str, timeout: float = 60.0) -> Job | None:
        """Block until the job finishes (tests and CLI use)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.get(job_id)
            if job is None or job.status in ("succeeded", "failed"):
                return job
            time.sleep(0.1)
        return self.get(job_id)

    def shutdown(self, timeout: float = 30.0) -> None:
        """Fail the jobs still waiting, let the running one finish (up to ``timeout`` s), stop the worker."""
        with self._lock:
            for job in self._jobs.values():
                if job.status == "queued":
                    job.status = "failed"
                    job.errors.append("the server shut down before this job started")
                    job.finished_at = time.time()
                    self._work.pop(job.id, None)
        self._queue.put(None)
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        while True:
            job_id = self._queue.get()
            if job_id is None:
                return
            self._run(job_id)

    def _run(self, job_id: str) -> None:
        with self._lock:
            job = self._jobs.get(job_id)
            work = self._work.pop(job_id, None)
            if job is None or work is None:
                return
            job.status = "running"
            job.started_at = time.time()
            job.progress.stage = "starting"

        def report(done: int, total: int | None, stage: str) -> None:
            with self._lock:
                job.progress = Progress(stage=stage, done=done, total=total)

        try:
            summary = work(report)
        except KgqaError as exc:
            with self._lock:
                job.status = "failed"
                job.errors.append(exc.message + (f" (hint: {exc.hint})" if exc.hint else ""))
        except Exception as exc:  # a bug: keep the server alive, log the traceback, tell the client
            log.exception("job %s failed", job_id)
            with self._lock:
                job.status = "failed"
                job.errors.append(f"unexpected {type(exc).__name__}: {exc}")
        else:
            with self._lock:
                job.status = "succeeded"
                job.summary = summary or {}
                job.progress.stage = "done"
        finally:
            with self._lock:
                job.finished_at = time.time()
            invalidate = getattr(self.graphs, "invalidate_schema", None)
            if invalidate:
                invalidate()
