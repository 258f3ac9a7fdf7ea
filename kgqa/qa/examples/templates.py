"""Question templates: the linked entities masked as ``[ENTITY]``, ``[ENTITY2]``, ...; the exact-match key."""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "[ENTITY]"
BRACKET_RE = re.compile(r"\[([^\[\]]+)\]")
MASK_RE = re.compile(r"\[ENTITY(\d*)\]")


def normalize_template(text: str) -> str:
    """Lower-case, single-spaced, without trailing punctuation: the key for exact template matches."""
    text = " ".join(text.strip().split()).lower()
    return text.rstrip(" ?.!")


def mask_question(question: str, mentions: Iterable[str] = ()) -> str:
    """Replace the entity mentions (or MetaQA-style ``[bracketed]`` entities) with ``[ENTITY]``.

    The first mention becomes ``[ENTITY]``, the second ``[ENTITY2]``, ... (matching ``$entity``,
    ``$entity2`` in the examples' Cypher). Mentions are matched case-insensitively.
    """
    masked = question
    slot = 0
    for mention in mentions:
        mention = mention.strip()
        if not mention:
            continue
        token = MASK if slot == 0 else f"[ENTITY{slot + 1}]"
        bracketed = re.compile(r"\[" + re.escape(mention) + r"\]", re.IGNORECASE)
        masked, n = bracketed.subn(token, masked, count=1)
        if not n:  # a whole-word occurrence: "M" must not match the m of "movies"
            bare = re.compile(r"(?<![\w\[])" + re.escape(mention) + r"(?![\w\]])", re.IGNORECASE)
            masked, n = bare.subn(token, masked, count=1)
        if n:
            slot += 1
    if slot == 0:
        count = 0

        def repl(match: re.Match[str]) -> str:
            nonlocal count
            if match.group(0).startswith("[ENTITY"):
                return match.group(0)
            count += 1
            return MASK if count == 1 else f"[ENTITY{count}]"

        masked = BRACKET_RE.sub(repl, masked)
    return masked
