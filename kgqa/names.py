"""Name handling shared by graph building and question answering: normalised names, relation-type syntax."""

from __future__ import annotations

import re
import unicodedata

# What a relationship type may look like before it goes into a Cypher statement (UPPER_SNAKE_CASE, ≤ 100 chars).
RELATION_TYPE_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,99}$")


def normalize_name(name: str) -> str:
    """The ``norm`` of a name: accents removed, case-folded, punctuation to spaces, spaces collapsed."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = re.sub(r"[^\w]+", " ", text)
    return " ".join(text.split())
