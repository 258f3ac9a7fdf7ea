"""The extractor interface: a whole document (and its chunks) in, one ``Extraction`` per chunk out.

Extractors see the whole document so that pronouns and short names can be resolved across chunks.
``get_extractor(spec, settings)`` turns a spec such as ``"offline"`` or ``"openai:MODEL"`` into an extractor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from kgqa.errors import ConfigError

if TYPE_CHECKING:
    from kgqa.ingest.model import Chunk, Document, Extraction
    from kgqa.ontology import Ontology


@runtime_checkable
class Extractor(Protocol):
    """Turns a document into mentions and facts under an ontology."""

    name: str  # "offline", "llm:openai:MODEL", ...

    def extract(self, doc: Document, chunks: list[Chunk], ontology: Ontology) -> list[Extraction]:
        """One ``Extraction`` per chunk, in the same order as ``chunks``."""
        ...


def get_extractor(spec: str | None, settings: Any = None) -> Extractor:
    """The extractor for ``spec``: ``"offline"`` (spaCy + rules), ``openai:MODEL`` or ``transformers:PATH``
    (the LLM extractor, ``kgqa.ingest.extract.llm``)."""
    spec = (spec or "offline").strip()
    if spec == "offline":
        from kgqa.ingest.extract.offline import OfflineExtractor

        return OfflineExtractor()
    provider = spec.partition(":")[0].strip().lower()
    if provider == "hybrid":  # hybrid:local, hybrid:openai:MODEL — offline reader + LLM pair verification
        from kgqa.config import get_settings
        from kgqa.ingest.extract.hybrid import HybridExtractor
        from kgqa.llm.factory import get_llm

        inner = spec.partition(":")[2].strip() or "local"
        llm = get_llm(inner, settings if settings is not None else get_settings(), "KGQA_LLM_EXTRACTION / --llm")
        if llm is not None:
            return HybridExtractor(llm, inner)
    if provider in ("openai", "transformers", "ollama", "vllm", "hf", "local"):
        from kgqa.config import get_settings
        from kgqa.ingest.extract.llm import LLMExtractor
        from kgqa.llm.factory import get_llm

        settings = settings if settings is not None else get_settings()
        llm = get_llm(spec, settings, "KGQA_LLM_EXTRACTION / --llm")
        if llm is not None:
            return LLMExtractor(llm, settings)
    raise ConfigError(
        f"unknown extractor {spec!r}",
        "use 'offline' (spaCy + ontology rules), local[:MODEL], openai:MODEL, transformers:PATH or "
        "hybrid:SPEC (see docs/llm.md)",
    )
