"""The LLM side of question answering, as ``kgqa.qa.generate.llm_components`` expects it.

``make_generator(spec, settings)`` → :class:`LLMCypherGenerator`; ``make_synthesizer(spec, settings)`` →
:class:`LLMAnswerSynthesizer` or None. The ask CLI passes one spec (``--llm``, else ``KGQA_LLM_CYPHER``, else
``KGQA_LLM``); answers use ``KGQA_LLM_ANSWER`` when it is set and ``--llm`` was not given.
"""

from __future__ import annotations

from typing import Any

from kgqa.llm.factory import get_llm, parse_spec, task_spec
from kgqa.qa.generate_llm import LLMCypherGenerator
from kgqa.qa.synthesize_llm import LLMAnswerSynthesizer


def _explicit(spec: str, settings: Any) -> bool:
    """True when ``spec`` is neither configured value, i.e. it came from ``--llm``."""
    return spec not in {getattr(settings, "llm_cypher", None), getattr(settings, "llm", None)}


def make_generator(spec: str, settings: Any, ontology: str | None = None) -> LLMCypherGenerator | None:
    setting = "--llm" if _explicit(spec, settings) else ("KGQA_LLM_CYPHER" if settings.llm_cypher else "KGQA_LLM")
    llm = get_llm(spec, settings, setting)
    return LLMCypherGenerator(llm, settings, ontology=ontology) if llm is not None else None


def make_synthesizer(spec: str, settings: Any) -> LLMAnswerSynthesizer | None:
    if _explicit(spec, settings):
        answer_spec, setting = spec, "--llm"
    else:
        answer_spec, setting = task_spec("answer", settings)
    if parse_spec(answer_spec, setting).provider == "offline":
        return None
    llm = get_llm(answer_spec, settings, setting)
    return LLMAnswerSynthesizer(llm, settings) if llm is not None else None
