"""The example bank: examples loaded from jsonl files, searchable by template similarity.

Exact template matches first, then cosine similarity of MiniLM embeddings (``kgqa.nlp.embed``; the
bank's vectors are cached in an ``.npy`` next to it, keyed by a hash of its content).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import numpy as np

from kgqa.errors import InputError
from kgqa.qa.examples.example import Example
from kgqa.qa.examples.templates import MASK_RE, mask_question, normalize_template

log = logging.getLogger(__name__)

EMBEDDING_MODEL = "all-MiniLM-L6-v2"


def default_bank_dir() -> Path:
    """``cypher/examples`` of the project (the working directory's, else the source checkout's)."""
    here = Path.cwd() / "cypher" / "examples"
    if here.is_dir():
        return here
    return Path(__file__).resolve().parents[3] / "cypher" / "examples"


class ExampleBank:
    """Examples loaded from jsonl files, searchable by template similarity."""

    def __init__(self, examples: list[Example], paths: list[Path] | None = None) -> None:
        seen: dict[tuple[str, str], Example] = {}
        for example in examples:
            seen.setdefault(example.key, example)
        self.examples = list(seen.values())
        self.paths = paths or []
        self._exact: dict[str, list[int]] = defaultdict(list)
        for i, example in enumerate(self.examples):
            self._exact[normalize_template(example.question)].append(i)
        self._vectors: np.ndarray | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.examples)

    # -- files

    @classmethod
    def load(cls, path: str | Path | None = None) -> ExampleBank:
        """Load a jsonl file or every ``*.jsonl`` in a directory (default: ``cypher/examples``)."""
        path = Path(path) if path else default_bank_dir()
        if path.is_dir():
            files = sorted(path.glob("*.jsonl"))
        elif path.is_file():
            files = [path]
        else:
            raise InputError(f"no example bank at {path}", "run `kgqa examples mine` or pass --examples DIR")
        examples: list[Example] = []
        for file in files:
            with file.open(encoding="utf-8") as fh:
                for number, line in enumerate(fh, 1):
                    if not line.strip():
                        continue
                    try:
                        examples.append(Example.from_json(json.loads(line)))
                    except (ValueError, TypeError) as exc:
                        raise InputError(f"{file}:{number}: bad example: {exc}", "fix or delete that line") from exc
        return cls(examples, files)

    @classmethod
    def cached(cls, path: str | Path | None = None) -> ExampleBank:
        """The bank at ``path``, loaded once per process (reloaded when its files change)."""
        resolved = (Path(path) if path else default_bank_dir()).resolve()
        stamp = _stamp(resolved)
        with _CACHE_LOCK:
            hit = _CACHE.get(resolved)
            if hit is not None and hit[0] == stamp:
                return hit[1]
        bank = cls.load(resolved)
        with _CACHE_LOCK:
            _CACHE[resolved] = (stamp, bank)
        return bank

    def save(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            for example in self.examples:
                fh.write(json.dumps(example.to_json(), ensure_ascii=False) + "\n")
        tmp.replace(path)
        return path

    # -- search

    def content_hash(self) -> str:
        digest = hashlib.sha256(EMBEDDING_MODEL.encode())
        for example in self.examples:
            digest.update(b"\0" + example.question.encode("utf-8"))
        return digest.hexdigest()[:16]

    def _cache_file(self) -> Path | None:
        if not self.paths:
            return None
        first = self.paths[0]
        return first.parent / f".{first.stem}.{self.content_hash()}.npy"

    def vectors(self) -> np.ndarray:
        """Embeddings of the masked templates (cached in an .npy next to the bank)."""
        with self._lock:
            if self._vectors is not None:
                return self._vectors
            cache = self._cache_file()
            if cache is not None and cache.exists():
                try:
                    vectors = np.load(cache)
                    if vectors.shape == (len(self.examples), vectors.shape[1]):
                        self._vectors = vectors
                        return vectors
                except (OSError, ValueError):
                    pass
            from kgqa.nlp import embed

            vectors = embed([_embed_text(e.question) for e in self.examples])
            self._vectors = vectors
            if cache is not None:
                try:
                    for stale in cache.parent.glob(f".{self.paths[0].stem}.*.npy"):
                        stale.unlink(missing_ok=True)
                    np.save(cache, vectors)
                except OSError:
                    log.debug("cannot write the embedding cache %s", cache)
            return vectors

    def exact(self, question: str, entity_mentions: Iterable[str] = ()) -> list[Example]:
        """Examples whose template equals the question's (no embedding needed)."""
        masked = mask_question(question, entity_mentions)
        hits = [replace(self.examples[i], score=1.0) for i in self._exact.get(normalize_template(masked), [])]
        return sorted(hits, key=lambda e: (-e.f1, -e.support, e.hops))

    def search(self, question: str, entity_mentions: Iterable[str] = (), k: int = 5) -> list[Example]:
        """The ``k`` examples most similar to the question (entity masked), best first, with ``score``."""
        if not self.examples or k <= 0:
            return []
        mentions = list(entity_mentions)
        masked = mask_question(question, mentions)
        exact = self.exact(question, mentions)
        if len(exact) >= k:
            return exact[:k]
        from kgqa.nlp import embed

        query = embed([_embed_text(masked)])[0]
        scores = self.vectors() @ query
        order = np.argsort(-scores)[: k + len(exact)]
        seen = {e.id for e in exact}
        hits = list(exact)
        for i in order:
            example = self.examples[int(i)]
            if example.id in seen:
                continue
            hits.append(replace(example, score=round(float(scores[int(i)]), 4)))
            if len(hits) >= k:
                break
        return hits


_CACHE: dict[Path, tuple[tuple, ExampleBank]] = {}
_CACHE_LOCK = threading.Lock()


def _stamp(path: Path) -> tuple:
    if path.is_dir():
        return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(path.glob("*.jsonl")))
    if path.exists():
        return ((path.name, path.stat().st_mtime_ns, path.stat().st_size),)
    return ()


def _embed_text(template: str) -> str:
    # The mask as a neutral word embeds better than the bracket token.
    return MASK_RE.sub("something", template)
