"""Structured output: schema-enforced JSON where the server can, tolerant parsing, validation, bounded re-asks.

Flow for one request: send with the pydantic model's JSON schema (``response_format`` json_schema; the provider
falls back to prompt-only JSON on a 400 that says it is unsupported) → strip code fences, "Answer:" prefixes,
chat tokens like ``<|im_end|>`` → parse leniently (single quotes, trailing commas, Python literals) → validate
with pydantic (plus an optional semantic check) → on failure, re-ask with the error, at most ``reasks`` times.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from kgqa.llm.base import LLM, Completion, GenParams, Message, OutputTruncated, StructuredOutputError

T = TypeVar("T", bound=BaseModel)

_CHAT_TOKENS = re.compile(
    r"<\|(?:im_end|im_start|eot_id|end_of_text|endoftext|end|assistant|user|system|eom_id|return|channel)\|>"
    r"|</s>|<s>|<eos>|<bos>|<end_of_turn>|<start_of_turn>|\[/?INST\]",
    re.IGNORECASE,
)
_FENCE = re.compile(r"```[ \t]*(?:json|JSON|json5|javascript|js)?[ \t]*\n?(.*?)(?:```|$)", re.DOTALL)
_PREFIX = re.compile(r"^\s*(?:answer|output|json|result|response|assistant)\s*[:：]\s*", re.IGNORECASE)
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)


class JSONParseError(ValueError):
    """The text holds no parseable JSON value."""


def strip_wrappers(text: str) -> str:
    """Remove reasoning blocks, chat tokens, code fences and 'Answer:' prefixes around a reply."""
    text = _THINK.sub("", text or "")
    text = _CHAT_TOKENS.sub("", text).strip()
    fence = _FENCE.search(text)
    if fence and fence.group(1).strip():
        text = fence.group(1).strip()
    while True:
        stripped = _PREFIX.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    return text.strip()


def _balanced(text: str, start: int) -> str | None:
    """The balanced {...} or [...] starting at ``start`` (string-aware), or None when it never closes."""
    stack: list[str] = []
    quote: str | None = None
    escaped = False
    pairs = {"{": "}", "[": "]"}
    for i in range(start, len(text)):
        ch = text[i]
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = None
            continue
        if ch in "\"'":
            quote = ch
        elif ch in pairs:
            stack.append(pairs[ch])
        elif ch in "}]":
            if not stack or stack.pop() != ch:
                return None
            if not stack:
                return text[start : i + 1]
    return None


def _candidates(text: str, limit: int = 3) -> list[str]:
    """The text itself, then its top-level {...}/[...] blocks in order (never a fragment of an unclosed one)."""
    out = [text]
    i = 0
    while len(out) <= limit:
        starts = [j for j in (text.find("{", i), text.find("[", i)) if j >= 0]
        if not starts:
            break
        start = min(starts)
        block = _balanced(text, start)
        if block is None:
            break  # an unclosed structure (e.g. cut off): anything after it is inside it
        out.append(block)
        i = start + len(block)
    return out


_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


def _python_literal(text: str) -> Any:
    """Parse JSON-ish text with single quotes / Python literals via ``ast.literal_eval`` (no code runs)."""
    replaced = re.sub(r"\btrue\b", "True", text)
    replaced = re.sub(r"\bfalse\b", "False", replaced)
    replaced = re.sub(r"\bnull\b", "None", replaced)
    return ast.literal_eval(replaced)


def parse_json_loose(text: str) -> Any:
    """Parse the JSON value in an LLM reply, tolerating the usual damage. Raises ``JSONParseError``."""
    cleaned = strip_wrappers(text)
    if not cleaned:
        raise JSONParseError("the reply is empty")
    first_error: str | None = None
    for candidate in _candidates(cleaned):
        for variant in (candidate, _TRAILING_COMMA.sub(r"\1", candidate)):
            try:
                return json.loads(variant)
            except json.JSONDecodeError as exc:
                first_error = first_error or f"{exc.msg} at line {exc.lineno} column {exc.colno}"
            try:
                value = _python_literal(variant)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                continue
            if isinstance(value, dict | list):
                return json.loads(json.dumps(value))
    raise JSONParseError(f"the reply is not valid JSON ({first_error or 'no JSON object found'})")


def _short_validation(exc: ValidationError, limit: int = 8) -> str:
    lines = []
    for err in exc.errors()[:limit]:
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        lines.append(f"- {where}: {err['msg']}")
    if len(exc.errors()) > limit:
        lines.append(f"- ... and {len(exc.errors()) - limit} more")
    return "\n".join(lines)


@dataclass
class StructuredResult(Generic[T]):
    """The validated value plus every completion it took (for traces and usage)."""

    value: T
    completions: list[Completion] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # what was wrong with earlier attempts

    @property
    def attempts(self) -> int:
        return len(self.completions)

    @property
    def cached(self) -> bool:
        return bool(self.completions) and all(c.cached for c in self.completions)

    @property
    def usage(self) -> dict[str, int]:
        """Tokens spent on the server: replies served from the cache cost none."""
        spent = [c for c in self.completions if not c.cached]
        return {
            "prompt_tokens": sum(c.usage.get("prompt_tokens", 0) for c in spent),
            "completion_tokens": sum(c.usage.get("completion_tokens", 0) for c in spent),
        }

    @property
    def latency_ms(self) -> float:
        return sum(c.latency_ms for c in self.completions)


def json_instruction(schema: dict[str, Any]) -> str:
    """Text asking for JSON matching ``schema`` (prompt-only mode, and a safety net in schema mode)."""
    return (
        "Reply with one JSON object only: no prose, no markdown fences. It must match this JSON schema:\n"
        + json.dumps(schema, separators=(",", ":"))
    )


def _truncated(llm: LLM, params: GenParams, prompt: str | None, completions: list[Completion]) -> OutputTruncated:
    error = OutputTruncated(
        f"{llm.spec}: the reply was cut off at the {params.max_new_tokens}-token limit before the JSON ended "
        f"(prompt {prompt or '-'})",
        "raise KGQA_LLM_MAX_TOKENS (or use smaller chunks: kgqa build --chunk-size)",
    )
    error.completions = completions  # type: ignore[attr-defined]
    return error


def complete_structured(
    llm: LLM,
    messages: list[Message],
    model: type[T],
    params: GenParams,
    *,
    prompt: str | None = None,
    reasks: int = 2,
    check: Callable[[T], str | None] | None = None,
    parse: Callable[[str], Any] | None = None,
    json_schema: dict[str, Any] | None = None,
) -> StructuredResult[T]:
    """Ask for JSON matching ``model``; return it validated or raise ``StructuredOutputError``/``OutputTruncated``.

    ``check`` may return an error message for a value that is valid JSON but semantically wrong; it is re-asked
    like a validation error. ``parse`` replaces the tolerant JSON parser (it may accept other reply shapes, e.g.
    bare Cypher in a code fence; raise ``JSONParseError`` when it finds nothing). ``json_schema`` replaces the
    schema sent to the server (e.g. the model's schema with enums filled in from the ontology).
    """
    schema = json_schema or model.model_json_schema()
    convo = list(messages)
    completions: list[Completion] = []
    errors: list[str] = []
    for attempt in range(reasks + 1):
        completion = llm.complete(convo, params, schema, prompt=prompt)
        completions.append(completion)
        problem: str
        try:
            data = (parse or parse_json_loose)(completion.text)
            value = model.model_validate(data)
            problem = check(value) if check else None  # type: ignore[assignment]
            if not problem:
                return StructuredResult(value, completions, errors)
        except JSONParseError as exc:
            problem = str(exc)
            if completion.finish_reason == "length":
                raise _truncated(llm, params, prompt, completions) from exc
        except ValidationError as exc:
            problem = "the JSON does not match the schema:\n" + _short_validation(exc)
            if completion.finish_reason == "length":
                raise _truncated(llm, params, prompt, completions) from exc
        errors.append(problem)
        if attempt == reasks:
            break
        if len(completions) > 1 and completion.text == completions[-2].text:
            break  # the re-ask got the very same reply: asking the same again cannot help
        convo = [
            *messages,
            {"role": "assistant", "content": completion.text[:4000]},
            {
                "role": "user",
                "content": f"That reply was rejected: {problem}\nReply again with only the corrected JSON object.",
            },
        ]
    error = StructuredOutputError(
        f"{llm.spec}: no valid JSON for {model.__name__} after {len(completions)} attempt(s): {errors[-1]}",
        "use a stronger model, or raise KGQA_LLM_REASKS",
    )
    error.completions = completions  # type: ignore[attr-defined]
    raise error
