"""LLM answer synthesis: a short answer written only from the answer subgraph, citing evidence as [n].

The model sees the question, the answers the query returned, the subgraph's facts and the numbered evidence
sentences — nothing else. Citations to evidence that does not exist are removed; a reply that cites nothing
gets the evidence of the answer facts; a reply that contradicts the query ("the graph does not say" while
answers exist) is refused so the pipeline uses its template. The pipeline's grounding check then verifies that
every entity the text names is in the subgraph.
"""

from __future__ import annotations

import re
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kgqa.llm.base import LLM, LLMError, task_params
from kgqa.llm.prompt import load_prompt
from kgqa.llm.structured import complete_structured
from kgqa.qa.model import TraceStep
from kgqa.qa.synthesize import Synthesis, SynthesisInput

MAX_EVIDENCE = 12
_CITE = re.compile(r"\[(\d{1,3})\]")
NO_ANSWER = "The graph does not say."


class AnswerReply(BaseModel):
    model_config = ConfigDict(extra="ignore", title="answer")
    answer: str = Field(min_length=1, max_length=2000)
    cited: list[int] = Field(default_factory=list)


class LLMAnswerSynthesizer:
    """Implements ``kgqa.qa.synthesize.AnswerSynthesizer`` with an LLM."""

    def __init__(self, llm: LLM, settings: Any = None) -> None:
        self.llm = llm
        self.name = f"llm:{llm.spec}"
        self.prompt = load_prompt("answer_synthesis", settings)
        self.params = task_params("answer", settings)
        self.reasks = int(getattr(settings, "llm_reasks", 2)) if settings is not None else 2

    def _values(self, data: SynthesisInput) -> dict[str, str]:
        names = {n.id: n.name for n in data.subgraph.nodes}
        facts = [
            f"- {names.get(r.start, r.start)} -[{r.type}]-> {names.get(r.end, r.end)}"
            for r in data.subgraph.relationships[:40]
        ]
        evidence = [
            f"[{i + 1}] {e.sentence.strip()} (document {e.doc_id})" for i, e in enumerate(data.evidence[:MAX_EVIDENCE])
        ]
        answers = ", ".join(a.name for a in data.answers[:20]) or "(none)"
        if len(data.answers) > 20:
            answers += f" and {len(data.answers) - 20} more"
        if data.answer_type == "count":
            answers = f"{data.count if data.count is not None else len(data.answers)} in all: {answers}"
        return {
            "question": data.question,
            "answers": answers,
            "facts": "\n".join(facts) or "(none)",
            "evidence": "\n".join(evidence) or "(none)",
        }

    def synthesize(self, data: SynthesisInput) -> Synthesis:
        started = time.perf_counter()
        n_evidence = min(len(data.evidence), MAX_EVIDENCE)
        result = complete_structured(
            self.llm,
            self.prompt.render(**self._values(data)),
            AnswerReply,
            self.params,
            prompt=self.prompt.ref,
            reasks=self.reasks,
        )
        reply = result.value
        text = reply.answer.strip()
        if data.answers and text.rstrip(".").lower() == NO_ANSWER.rstrip(".").lower():
            raise LLMError(f"{self.name} found no answer in facts the query returned", "the template answer is used")
        dropped = sorted({int(m) for m in _CITE.findall(text) if not 1 <= int(m) <= n_evidence})
        text = _CITE.sub(lambda m: m.group(0) if 1 <= int(m.group(1)) <= n_evidence else "", text)
        text = re.sub(r"\s+([.,;:])", r"\1", re.sub(r"[ \t]{2,}", " ", text)).strip()
        cited = sorted({int(m) - 1 for m in _CITE.findall(text)} | {c - 1 for c in reply.cited if 1 <= c <= n_evidence})
        if n_evidence and not _CITE.search(text):
            cited = cited or [0]
            marks = "".join(f"[{i + 1}]" for i in cited[:5])
            text = f"{text.rstrip()} {marks}"
        detail = f"{len(cited)} citation(s)"
        if dropped:
            detail += f"; removed citations to missing evidence {dropped}"
        step = TraceStep(
            stage="llm_answer",
            ms=round((time.perf_counter() - started) * 1000.0, 3),
            provider=result.completions[-1].provider,
            model=result.completions[-1].model,
            prompt=self.prompt.ref,
            tokens=result.usage,
            cached=result.cached,
            detail=detail,
        )
        return Synthesis(text=text, cited=cited, trace=[step])
