"""Wiring of question answering by engine: which Cypher generator and answer synthesizer a spec gets.

``llm_components(spec, settings)`` → (generator, synthesizer), (None, None) for ``offline`` (the parser, the
example bank and the template answers, which the pipeline always has). ``make_generator(spec, settings)`` → :class:`LLMCypherGenerator`; ``make_synthesizer(spec, settings)`` →
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


OFFLINE = {"", "offline", "none", "off"}


def llm_components(spec: str | None, settings: Any) -> tuple[LLMCypherGenerator | None, LLMAnswerSynthesizer | None]:
    """The LLM-backed (generator, synthesizer) for an LLM spec, or (None, None) for ``offline``."""
    value = (spec or "offline").strip()
    answer_only = (
        value.lower() in OFFLINE and (getattr(settings, "llm_answer", None) or "").strip().lower() not in OFFLINE
    )
    if value.lower() in OFFLINE and not answer_only:
        return None, None
    if answer_only:  # offline Cypher, LLM-written answers (KGQA_LLM_ANSWER alone)
        return None, make_synthesizer(value, settings)
    return make_generator(value, settings), make_synthesizer(value, settings)
