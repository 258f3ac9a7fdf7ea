"""Prompts as versioned files: ``kgqa/llm/prompts/<name>.md`` with YAML front matter.

File shape::

    ---
    name: extraction
    version: 3
    description: ...
    examples: [...]          # optional few-shot pool; the caller picks the ones that fit
    ---
    ## system
    text with {{placeholders}}
    ## user
    text with {{placeholders}}

``KGQA_LLM_PROMPTS_DIR`` may hold files with the same names that replace the built-in ones (bump the version
so cached replies of the old prompt are not reused; the version is part of every cache key and trace).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from kgqa.errors import ConfigError
from kgqa.llm.base import Message

BUILTIN_DIR = Path(__file__).parent / "prompts"
PROMPT_NAMES = ("extraction", "cypher_generation", "cypher_repair", "answer_synthesis")
_SECTION = re.compile(r"^## (system|user)\s*$", re.MULTILINE)
_PLACEHOLDER = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")


@dataclass(frozen=True)
class Prompt:
    name: str
    version: str
    system: str
    user: str
    description: str = ""
    path: str = ""
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def ref(self) -> str:
        """``name@version`` as shown in traces and used in cache keys."""
        return f"{self.name}@{self.version}"

    @property
    def examples(self) -> list[dict[str, Any]]:
        return list(self.meta.get("examples") or [])

    @property
    def placeholders(self) -> set[str]:
        return set(_PLACEHOLDER.findall(self.system)) | set(_PLACEHOLDER.findall(self.user))

    def render(self, **values: Any) -> list[Message]:
        """The chat messages with every ``{{placeholder}}`` filled; a missing value is a programming error."""
        missing = self.placeholders - set(values)
        if missing:
            raise KeyError(f"prompt {self.ref} needs values for: {', '.join(sorted(missing))}")

        def fill(text: str) -> str:
            return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text).strip()

        messages: list[Message] = []
        if self.system.strip():
            messages.append({"role": "system", "content": fill(self.system)})
        messages.append({"role": "user", "content": fill(self.user)})
        return messages


def parse_prompt(text: str, path: str = "") -> Prompt:
    if not text.startswith("---"):
        raise ConfigError(f"prompt file {path} has no front matter", "start it with ---, name:, version:, ---")
    try:
        _, front, body = text.split("---", 2)
        meta = yaml.safe_load(front) or {}
    except (ValueError, yaml.YAMLError) as exc:
        raise ConfigError(
            f"prompt file {path} has invalid front matter: {exc}", "fix the YAML between the ---"
        ) from exc
    if "name" not in meta or "version" not in meta:
        raise ConfigError(f"prompt file {path} must set name and version in its front matter")
    sections: dict[str, str] = {}
    parts = _SECTION.split(body)
    for i in range(1, len(parts) - 1, 2):
        sections[parts[i]] = parts[i + 1]
    if "user" not in sections:
        raise ConfigError(f"prompt file {path} has no '## user' section")
    return Prompt(
        name=str(meta["name"]),
        version=str(meta["version"]),
        system=sections.get("system", ""),
        user=sections["user"],
        description=str(meta.get("description", "")),
        path=path,
        meta=meta,
    )


@lru_cache(maxsize=32)
def _load(path: str, mtime: float) -> Prompt:
    return parse_prompt(Path(path).read_text(encoding="utf-8"), path)


def prompt_path(name: str, override_dir: Path | str | None = None) -> Path:
    if override_dir:
        candidate = Path(override_dir) / f"{name}.md"
        if candidate.exists():
            return candidate
    path = BUILTIN_DIR / f"{name}.md"
    if not path.exists():
        raise ConfigError(f"no prompt named {name!r}", f"known prompts: {', '.join(PROMPT_NAMES)}")
    return path


def load_prompt(name: str, settings: Any = None) -> Prompt:
    """The prompt ``name`` (from ``KGQA_LLM_PROMPTS_DIR`` when it has one, else built in)."""
    path = prompt_path(name, getattr(settings, "llm_prompts_dir", None) if settings is not None else None)
    return _load(str(path), path.stat().st_mtime)


def list_prompts(settings: Any = None) -> list[Prompt]:
    return [load_prompt(name, settings) for name in PROMPT_NAMES]
