"""The asked level (country, region, town) against what an answer node itself says it is.

A query asking for "the country" finds a place with nothing above it in the LOCATED_IN chain; where the graph
misses a link, that can be a region ("the Ambrel Coast"). Two things contradict the asked level:

- the node's name: its last word is a level noun of another level ("Velmont Province" is no country) or a word
  the ontology's ``name_levels`` lets stand only for some levels ("Coast": a region or a town, never a country);
- its place in the chain: a node that is itself LOCATED_IN another place of its type is not a country.

An answer that contradicts the asked level is dropped; when none is left the question is refused with the reason.
"""

from __future__ import annotations

from kgqa.graph.client import Graph
from kgqa.qa.model import AnswerItem
from kgqa.qa.parser.compiler import _label
from kgqa.qa.parser.lexicon import Lexicon, lexicon, words

LEVEL_WORDS = {"top": "top-level place", "middle": "region", "leaf": "town"}


def name_conflict(name: str, etype: str, level: str, noun: str, lex: Lexicon) -> str:
    """Why a node called ``name`` cannot be the asked ``level`` (``noun`` as asked: "country"), or ""."""
    toks = words(name)
    if not toks:
        return ""
    head = toks[-1]
    kind = lex.ontology.entity(etype)
    if kind is None:
        return ""
    # "Velmont Province": exactly the level noun (so "United States" is not a "state"), else a name word
    allowed = [kind.levels[head]] if head in kind.levels else kind.name_levels.get(head, [])
    if not allowed or level in allowed:
        return ""
    first = {lvl: n for n, lvl in reversed(list(kind.levels.items()))}  # a level's first noun: "top" → "country"
    could = " or a ".join(dict.fromkeys(first.get(lvl, lvl) for lvl in allowed))
    return f"{name} is named as a {head}, which the ontology takes for a {could}, not a {noun}"


def check_names(answers: list[AnswerItem], level: tuple[str, str, str], ontology: str | None) -> dict[str, str]:
    """The answers whose name contradicts the asked level: answer id → the reason."""
    lex = lexicon(ontology)
    lvl, _rel, noun = level
    out: dict[str, str] = {}
    for a in answers:
        why = name_conflict(a.name, a.type or "", lvl, noun or LEVEL_WORDS.get(lvl, lvl), lex) if a.type else ""
        if why:
            out[a.id] = why
    return out


def check_chain(graph: Graph, answers: list[AnswerItem], level: tuple[str, str, str], timeout: float) -> dict[str, str]:
    """Top-level answers that the graph places inside another place of their type: answer id → the reason."""
    lvl, rel, noun = level
    typed = [a for a in answers if a.type]
    if lvl != "top" or not rel or not typed:
        return {}
    out: dict[str, str] = {}
    for etype in sorted({a.type or "" for a in typed}):
        ids = [a.id for a in typed if a.type == etype][:100]
        rows = graph.read(
            f"MATCH (a:Entity)-[:{_label(rel)}]->(b:Entity:{_label(etype)}) WHERE a.id IN $ids "
            "RETURN a.id AS id, a.name AS name, b.name AS above LIMIT 100",
            {"ids": ids},
            timeout=timeout,
            max_rows=100,
        ).rows
        for row in rows:
            out.setdefault(row["id"], f"the graph places {row['name']} in {row['above']}, so it is not a {noun}")
    return out
