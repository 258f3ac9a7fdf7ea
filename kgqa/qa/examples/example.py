"""An example: a question template with a parameterised Cypher query; relation paths as Cypher."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from kgqa.names import RELATION_TYPE_RE
from kgqa.qa.examples.templates import normalize_template

ENTITY_PARAM = "entity"
DEFAULT_LIMIT = 100

Step = tuple[str, str]  # (relationship type, "out" | "in")


@dataclass
class Example:
    """One question template with a parameterised Cypher query (``$entity``)."""

    question: str  # masked template, e.g. "what films did [ENTITY] star in"
    cypher: str
    params: dict[str, Any] = field(default_factory=dict)
    id: str = ""
    path: list[list[str]] = field(default_factory=list)  # [["STARRED_ACTORS", "in"], ...]; empty = hand-written
    hops: int = 0
    f1: float = 1.0  # mean F1 of the path's answers against the gold answers (mined examples)
    support: int = 1  # questions it was mined from
    source: str = ""
    sample: str = ""  # one original question
    description: str = ""
    score: float = 0.0  # similarity to the query (set by ExampleBank.search)

    def __post_init__(self) -> None:
        if not self.id:
            key = normalize_template(self.question) + "\n" + (json.dumps(self.path) if self.path else self.cypher)
            self.id = hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]

    @property
    def key(self) -> tuple[str, str]:
        """Deduplication key: (normalised template, path or Cypher)."""
        return normalize_template(self.question), json.dumps(self.path) if self.path else " ".join(self.cypher.split())

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("score")
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Example:
        known = {name for name in cls.__dataclass_fields__ if name != "score"}
        if not data.get("question") or not data.get("cypher"):
            raise ValueError("an example needs 'question' and 'cypher'")
        return cls(**{k: v for k, v in data.items() if k in known})


def path_cypher(path: list[Step] | list[list[str]], limit: int = DEFAULT_LIMIT) -> str:
    """The Cypher of a relation path from ``$entity`` (types validated before they are spliced in).

    Answers are grouped (one row per answer, up to 3 supporting paths), the topic entity itself is
    never an answer, answers reached by more paths come first, then those whose last fact has more
    evidence (a fact stated by several sources or sentences), then by name.
    """
    if not path:
        raise ValueError("empty path")
    pattern = "(s:Entity {id: $entity})"
    for i, (rel_type, direction) in enumerate(path):
        if not RELATION_TYPE_RE.match(rel_type):
            raise ValueError(f"refusing relationship type {rel_type!r}")
        node = "(answer:Entity)" if i == len(path) - 1 else f"(n{i + 1}:Entity)"
        if direction == "out":
            pattern += f"-[:{rel_type}]->{node}"
        elif direction == "in":
            pattern += f"<-[:{rel_type}]-{node}"
        elif direction == "both":  # symmetric relations are stored once: match them undirected
            pattern += f"-[:{rel_type}]-{node}"
        else:
            raise ValueError(f"direction must be 'out', 'in' or 'both', not {direction!r}")
    return (
        f"MATCH path = {pattern}\n"
        "WHERE answer <> s\n"
        "WITH answer, collect(path) AS paths, "
        "sum(size(coalesce(last(relationships(path)).evidence_keys, []))) AS support\n"
        "ORDER BY size(paths) DESC, support DESC, answer.name\n"
        f"RETURN answer, paths[..3] AS path LIMIT {int(limit)}"
    )


def describe_path(path: list[Step] | list[list[str]]) -> str:
    parts = ["[ENTITY]"]
    for rel_type, direction in path:
        parts.append({"out": f"-{rel_type}->", "in": f"<-{rel_type}-"}.get(direction, f"-{rel_type}-"))
        parts.append("?")
    return " ".join(parts)
