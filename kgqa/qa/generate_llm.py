"""LLM Cypher generator: question-filtered schema + similar examples + linked entities → one checked candidate.

First call: prompt ``cypher_generation``. On a repair call (``feedback`` from the pipeline: failed checks,
server error, empty result, ...): prompt ``cypher_repair`` with that feedback. The reply is JSON
(``{"cypher", "answerable", "answer_type", "description"}``; bare Cypher in a code fence is accepted too). The
pipeline's rule-based checks decide whether the query may run: nothing here is trusted.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kgqa.graph.schema import STRUCTURAL_LABELS, GraphSchema
from kgqa.llm.base import LLM, LLMError, task_params
from kgqa.llm.prompt import load_prompt
from kgqa.llm.structured import JSONParseError, StructuredResult, complete_structured, parse_json_loose
from kgqa.qa.generate import CypherCandidate, ExampleLike, entity_params
from kgqa.qa.model import LinkedEntity, TraceStep

log = logging.getLogger(__name__)

_CYPHER_START = re.compile(r"^\s*(MATCH|OPTIONAL\s+MATCH|WITH|UNWIND|CALL|RETURN)\b", re.IGNORECASE | re.MULTILINE)
_FENCED_CYPHER = re.compile(r"```[ \t]*(?:cypher|sql|neo4j)?[ \t]*\n(.*?)```", re.DOTALL | re.IGNORECASE)


class NotAnswerable(LLMError):
    """The model says the schema cannot answer the question (a clear no, not a failure)."""


class CypherReply(BaseModel):
    """What the Cypher prompts ask for."""

    model_config = ConfigDict(extra="ignore", title="cypher_query")
    cypher: str = ""
    answerable: bool = True
    answer_type: str | None = None
    description: str = Field(default="", max_length=300)


def parse_cypher_reply(text: str) -> dict[str, Any]:
    """JSON reply, else bare Cypher (fenced or starting with MATCH ...) as ``{"cypher": ...}``."""
    try:
        data = parse_json_loose(text)
        if isinstance(data, dict):
            return data
    except JSONParseError:
        pass
    fence = _FENCED_CYPHER.search(text or "")
    body = fence.group(1) if fence else (text or "")
    start = _CYPHER_START.search(body)
    if start:
        return {"cypher": body[start.start() :].strip()}
    raise JSONParseError("the reply is neither the JSON object asked for nor a Cypher query")


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


def _stems(text: str) -> set[str]:
    """Content words, crudely stemmed ("founded" → "found"); English stop words (spaCy's list) dropped."""
    from spacy.lang.en.stop_words import STOP_WORDS

    out = set()
    for w in re.findall(r"[a-z]+", text.lower()):
        if len(w) < 3 or w in STOP_WORDS:
            continue
        for suffix in ("ing", "ed", "es", "s"):
            if w.endswith(suffix) and len(w) - len(suffix) >= 3:
                w = w[: -len(suffix)]
                break
        out.add(w)
    return out


def _ontology(path: str | None) -> Any:
    try:
        from kgqa.ontology import load_ontology

        return load_ontology(path)
    except Exception as exc:  # the ontology only adds phrases; the schema is what counts
        log.debug("no ontology for schema filtering: %s", exc)
        return None


def filter_schema(
    question: str,
    linked: list[LinkedEntity],
    schema: GraphSchema,
    budget: int = 1500,
    ontology: Any = None,
) -> tuple[str, int, int]:
    """The schema lines relevant to the question within ``budget`` tokens; (text, kept, total) patterns.

    A pattern is relevant when it touches a linked entity's type, its relation's name or ontology phrases share
    words with the question, or it is next to such a pattern (for two-hop questions).
    """
    q = _stems(question)
    linked_types = {e.type for e in linked if e.type}
    phrases: dict[str, set[str]] = {}
    symmetric: set[str] = set()
    if ontology is not None:
        for rel in ontology.relation_types:
            words = _stems(" ".join([rel.name.replace("_", " "), rel.inverse, rel.description, *rel.phrases]))
            words |= _stems(" ".join([*rel.inverse_phrases, *rel.nouns, *rel.inverse_nouns]))
            phrases[rel.name] = words
            if rel.symmetric:
                symmetric.add(rel.name)
    patterns = [p for p in schema.patterns if p[1] not in ("PART_OF", "NEXT", "MENTIONS")]
    scores: dict[tuple[str, str, str], float] = {}
    lexical: set[tuple[str, str, str]] = set()
    for start, rel, end in patterns:
        words = phrases.get(rel) or _stems(rel.replace("_", " "))
        hits = 2.0 * len(q & words) + 0.5 * len(q & (_stems(start) | _stems(end)))
        if hits:
            lexical.add((start, rel, end))
        scores[(start, rel, end)] = hits + (1.0 if {start, end} & linked_types else 0.0)
    if lexical:
        # The question names relations: keep those, plus (only when none of them touches a linked entity's
        # type) the patterns that bridge a linked type to them: the first hop of a two-hop question.
        hubs = {lab for p in lexical for lab in (p[0], p[2])}
        anchored = any({p[0], p[2]} & linked_types for p in lexical) or not linked_types
        for p in patterns:
            if p in lexical:
                continue
            ends = {p[0], p[2]}
            scores[p] = 0.5 if (not anchored and ends & linked_types and ends & hubs) else 0.0
    ranked = sorted(patterns, key=lambda p: (-scores[p], -schema.relationship_counts.get(p[1], 0), p))
    if any(scores[p] > 0 for p in patterns):
        ranked = [p for p in ranked if scores[p] > 0]
    lines: list[str] = []
    used = 0
    kept: list[tuple[str, str, str]] = []
    for start, rel, end in ranked:
        note = "  (symmetric: match without direction)" if rel in symmetric else ""
        line = f"(:{start})-[:{rel}]->(:{end}){note}"
        cost = _tokens(line) + 1
        if used + cost > budget and kept:
            break
        lines.append(line)
        kept.append((start, rel, end))
        used += cost
    labels = sorted({lab for p in kept for lab in (p[0], p[2])} | linked_types)
    labels = [lab for lab in labels if lab and lab not in STRUCTURAL_LABELS]
    head = [
        "Every entity node has the label :Entity plus its type label, and properties id, name, type, aliases.",
        f"Entity type labels: {', '.join(labels) if labels else '(none)'}",
        "Relationship patterns (follow the arrows exactly):",
    ]
    return "\n".join(head + lines), len(kept), len(patterns)


def format_examples(examples: list[ExampleLike], question: str, k: int = 3, budget: int = 600) -> str:
    """The most similar examples (word overlap) as question/Cypher pairs, within a token budget."""
    if not examples:
        return ""
    q = _stems(question)
    ranked = sorted(examples, key=lambda ex: -len(q & _stems(ex.question)))
    blocks: list[str] = []
    used = 0
    for ex in ranked[:k]:
        params = ", ".join(f"${k}" for k in sorted(getattr(ex, "params", {}) or {}))
        block = f"Question: {ex.question}\nCypher: {ex.cypher.strip()}" + (f"\nParameters: {params}" if params else "")
        if used + _tokens(block) > budget and blocks:
            break
        blocks.append(block)
        used += _tokens(block)
    return "Examples of questions and their Cypher:\n" + "\n\n".join(blocks) + "\n"


def format_entities(linked: list[LinkedEntity]) -> str:
    if not linked:
        return "(none)"
    return "\n".join(
        f'${name} = "{e.id}": "{e.name}"' + (f" ({e.type})" if e.type else "") + f', mentioned as "{e.mention}"'
        for name, e in zip(entity_params(linked), linked, strict=True)
    )


class LLMCypherGenerator:
    """Implements ``kgqa.qa.generate.CypherGenerator`` with an LLM; uses the pipeline's feedback to repair."""

    uses_feedback = True

    def __init__(self, llm: LLM, settings: Any = None, ontology: str | None = None) -> None:
        self.llm = llm
        self.name = f"llm:{llm.spec}"
        self.settings = settings
        self.generation = load_prompt("cypher_generation", settings)
        self.repair = load_prompt("cypher_repair", settings)
        self.params = task_params("cypher", settings)
        self.reasks = int(getattr(settings, "llm_reasks", 2)) if settings is not None else 2
        self.budget = int(getattr(settings, "llm_schema_budget", 1500)) if settings is not None else 1500
        self.ontology = _ontology(ontology)
        self._types = set(self.ontology.entity_names) if self.ontology is not None else set()

    def _check(self, reply: CypherReply) -> str | None:
        if reply.answerable and not reply.cypher.strip():
            return '"cypher" is empty although "answerable" is true'
        return None

    def candidates(
        self,
        question: str,
        linked: list[LinkedEntity],
        schema: GraphSchema,
        examples: list[ExampleLike],
        feedback: str | None = None,
    ) -> Iterator[CypherCandidate]:
        started = time.perf_counter()
        schema_text, kept, total = filter_schema(question, linked, schema, self.budget, self.ontology)
        values = {"schema": schema_text, "entities": format_entities(linked), "question": question}
        if feedback:
            prompt = self.repair
            messages = prompt.render(**values, feedback=feedback)
        else:
            prompt = self.generation
            messages = prompt.render(**values, examples=format_examples(list(examples or []), question))
        result: StructuredResult[CypherReply] = complete_structured(
            self.llm,
            messages,
            CypherReply,
            self.params,
            prompt=prompt.ref,
            reasks=self.reasks,
            check=self._check,
            parse=parse_cypher_reply,
        )
        reply = result.value
        last = result.completions[-1]
        step = TraceStep(
            stage="llm_cypher" if not feedback else "llm_cypher_repair",
            ms=round((time.perf_counter() - started) * 1000.0, 3),
            provider=last.provider,
            model=last.model,
            prompt=prompt.ref,
            tokens=result.usage,
            cached=result.cached,
            detail=f"schema {kept}/{total} patterns; "
            + (f"{len(examples or [])} examples" if not feedback else f"repairing: {feedback.splitlines()[0]}")
            + f"; {result.attempts} call(s)"
            + (f"; re-asked: {result.errors[0].splitlines()[0]}" if result.errors else ""),
        )
        if not reply.answerable:
            raise NotAnswerable(
                f"{self.name} says the graph cannot answer this: {reply.description or 'no reason given'}",
                "rephrase the question, or check the schema with `kgqa graph schema`",
            )
        cypher = reply.cypher.strip().rstrip(";").strip()
        answer_type = reply.answer_type if reply.answer_type in self._types | {"count"} else None
        yield CypherCandidate(
            cypher=cypher,
            params=entity_params(linked),
            source=self.name,
            answer_type_hint=answer_type,
            description=reply.description.strip(),
            trace=[step],
        )
