"""Question/answer files: MetaQA-style ``question with [entity]<TAB>a1|a2`` or jsonl."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kgqa.errors import InputError
from kgqa.qa.examples.templates import BRACKET_RE, mask_question


@dataclass
class QAItem:
    """A question with its topic entity and gold answers."""

    question: str
    entity: str
    answers: list[str]
    line: int
    masked: str = ""

    def __post_init__(self) -> None:
        if not self.masked:
            self.masked = mask_question(self.question, [self.entity])


def read_qa_file(path: Path, limit: int | None = None) -> tuple[list[QAItem], list[dict[str, Any]]]:
    """Read MetaQA-style ``question with [entity]<TAB>a1|a2`` or jsonl ``{"question","entity","answers"}``.

    Returns (items, errors); errors carry line numbers.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"no such QA file: {path}", "pass a MetaQA-style .txt or a .jsonl file")
    items: list[QAItem] = []
    errors: list[dict[str, Any]] = []
    is_jsonl = path.suffix.lower() in {".jsonl", ".json"}
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            line = line.rstrip("\n\r")
            if not line.strip():
                continue
            try:
                item = _parse_jsonl(line, number) if is_jsonl else _parse_metaqa(line, number)
            except (ValueError, KeyError, TypeError) as exc:
                errors.append({"line": number, "reason": str(exc), "text": line[:200]})
                continue
            items.append(item)
            if limit is not None and len(items) >= limit:
                break
    return items, errors


def _parse_metaqa(line: str, number: int) -> QAItem:
    if "\t" not in line:
        raise ValueError("expected 'question<TAB>answers'")
    question, answers = line.split("\t", 1)
    match = BRACKET_RE.search(question)
    if not match:
        raise ValueError("no [topic entity] in the question")
    gold = [a.strip() for a in answers.split("|") if a.strip()]
    if not gold:
        raise ValueError("no answers")
    return QAItem(question.strip(), match.group(1).strip(), gold, number)


def _parse_jsonl(line: str, number: int) -> QAItem:
    data = json.loads(line)
    question = str(data["question"]).strip()
    entity = data.get("entity")
    if isinstance(entity, list):
        entity = entity[0] if entity else None
    if not entity:
        match = BRACKET_RE.search(question)
        if not match:
            raise ValueError("no 'entity' and no [topic entity] in the question")
        entity = match.group(1)
    answers = data["answers"]
    if isinstance(answers, str):
        answers = answers.split("|")
    gold = [str(a).strip() for a in answers if str(a).strip()]
    if not gold:
        raise ValueError("no answers")
    return QAItem(question, str(entity).strip(), gold, number)
