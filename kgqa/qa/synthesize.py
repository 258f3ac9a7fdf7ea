"""Answer synthesis: turning the checked answer subgraph into a sentence with citations.

The pipeline calls an :class:`AnswerSynthesizer` only with what the graph returned — the answer
entities, the subgraph connecting them to the question's entities and the evidence sentences on its
relationships — and afterwards runs a grounding check on the text: every entity the answer names
must appear in the subgraph. A synthesizer whose text fails that check is replaced by the offline
template (:class:`TemplateSynthesizer`), so an LLM cannot add facts the graph does not hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from kgqa.qa.model import AnswerItem, Evidence, LinkedEntity, Subgraph, TraceStep


@dataclass
class SynthesisInput:
    """Everything a synthesizer may use (and nothing else)."""

    question: str
    answers: list[AnswerItem]
    linked: list[LinkedEntity]
    subgraph: Subgraph
    evidence: list[Evidence]
    answer_type: str | None = None  # expected entity type, or "count"
    count: int | None = None  # for how-many questions
    description: str = ""  # the query's human reading, e.g. "CEO of Acme"; yes/no: the statement asked about
    kind: str = "list"  # list, count, yes_no, same, summary
    value: bool | int | None = None  # yes/no, or the count
    capped: bool = False  # the count reached the row limit
    ontology: str | None = None  # for fact sentences
    measure: str = ""  # superlatives: what was counted ("graduates") or the property ordered by ("founding dates")
    measure_value: object = None  # an ordered superlative: the property value of the answers


@dataclass
class Synthesis:
    """The answer text; ``cited`` indexes into ``SynthesisInput.evidence``."""

    text: str
    cited: list[int] = field(default_factory=list)
    trace: list[TraceStep] = field(default_factory=list)


@runtime_checkable
class AnswerSynthesizer(Protocol):
    """Writes the answer sentence from the subgraph only."""

    name: str

    def synthesize(self, data: SynthesisInput) -> Synthesis: ...


def join_words(items: list[str], last: str = "and") -> str:
    """ "a, b and c" (``last`` = "or": "a, b or c")."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {last} " + items[-1]


class TemplateSynthesizer:
    """Offline answers from a template: "Acme's CEO: Ada Lovelace [1]."."""

    name = "template"

    def synthesize(self, data: SynthesisInput) -> Synthesis:
        if data.kind in {"yes_no", "same", "summary", "superlative", "ordered", "type"} or data.answer_type == "count":
            from kgqa.qa.answer_kinds import kind_text  # here: answer_kinds imports this module

            text, cited = kind_text(data)
            return Synthesis(text, cited)
        cited = list(range(min(len(data.evidence), 5)))
        marks = "".join(f"[{i + 1}]" for i in cited)
        suffix = f" {marks}" if marks else ""
        names = [a.name for a in data.answers]
        shown = join_words(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
        lead = f"{data.description}: " if data.description else ""
        return Synthesis(f"{lead}{shown}.{suffix}", cited)
