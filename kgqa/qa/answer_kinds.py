"""Answer texts for the question kinds: yes/no, "same X", counts and "who is X" summaries, with citations.

Every sentence is built from the returned subgraph's facts (the ontology's relation ``statement``) or, for a
"no", from the statement the question asked about: "No: the graph has no fact that A is married to B." A
"no" and a count are closed-world over the graph, and the text says so.
"""

from __future__ import annotations

from kgqa.qa.parser.lexicon import lexicon
from kgqa.qa.parser.reading import plural, singular, statement
from kgqa.qa.synthesize import SynthesisInput, join_words

MAX_FACTS = 12
MAX_NAMES = 10
LIST_NAMES = 50  # "list every person": a list asked for is shown in full up to this many


def _facts(data: SynthesisInput, limit: int = MAX_FACTS) -> tuple[list[str], list[int]]:
    """The subgraph's facts as sentences, each with the marks of its evidence, and the evidence cited."""
    onto = lexicon(data.ontology).ontology
    names = {n.id: n.name for n in data.subgraph.nodes}
    index = {(e.fact or ""): k for k, e in reversed(list(enumerate(data.evidence)))}
    out: list[str] = []
    cited: list[int] = []
    rels = data.subgraph.relationships if data.kind == "summary" else _ordered(data.subgraph.relationships)
    for rel in rels[:limit]:
        start, end = names.get(rel.start, rel.start), names.get(rel.end, rel.end)
        k = index.get(f"{start} -[{rel.type}]-> {end}")
        mark = f" [{k + 1}]" if k is not None else ""
        if k is not None and k not in cited:
            cited.append(k)
        out.append(statement(onto, rel.type, start, end) + mark)
    return out, cited


def _ordered(rels: list) -> list:
    """Facts along their chains: "Kellport is in Hallam", then "Hallam is in Norvania"."""
    ends = {r.end for r in rels}
    todo = list(rels)
    out: list = []
    while todo:
        nxt = next((r for r in todo if out and r.start == out[-1].end), None)
        nxt = nxt or next((r for r in todo if r.start not in ends), todo[0])
        todo.remove(nxt)
        out.append(nxt)
    return out


def is_existence(description: str) -> bool:
    """A yes/no question of existence ("are there any people born in Y?") reads "there is a person that ..."."""
    return description.startswith(("there is a ", "there is an "))


def _yes_no(data: SynthesisInput) -> tuple[str, list[int]]:
    exists = is_existence(data.description)
    if not data.value:
        if exists:  # "No: the graph has no person that was born in Y."
            return f"No: the graph has no {data.description.split(' ', 3)[3]}.", []
        return f"No: the graph has no fact that {data.description}.", []
    facts, cited = _facts(data)
    if exists:  # "Yes, A and B: A is headquartered in X [1]; ..."
        names = join_words([a.name for a in data.answers[:MAX_NAMES]]) + (" …" if len(data.answers) > MAX_NAMES else "")
        return f"Yes, {names}: {'; '.join(facts[:4])}{'; …' if len(facts) > 4 else '.'}", cited
    if data.kind == "same":
        shared = join_words([a.name for a in data.answers[:MAX_NAMES]])
        return f"Yes, {shared}: {'; '.join(facts)}.", cited
    return f"Yes: {'; '.join(facts)}.", cited


def _count(data: SynthesisInput) -> tuple[str, list[int]]:
    n = data.count if data.count is not None else len(data.answers)
    what = data.description[:1].lower() + data.description[1:] if data.description else "answers"
    if n == 0:
        return f"None: the graph has no {what} (0).", []
    cited = list(range(min(len(data.evidence), 5)))
    marks = "".join(f"[{i + 1}]" for i in cited)
    names = join_words([a.name for a in data.answers[:MAX_NAMES]]) + (" …" if len(data.answers) > MAX_NAMES else "")
    lead = f"At least {n} {what} (the count is capped at {n} rows)" if data.capped else f"{n} {what}"
    return f"{lead}: {names}. {marks}".strip(), cited


def _summary(data: SynthesisInput) -> tuple[str, list[int]]:
    who = data.answers[0] if data.answers else None
    facts, cited = _facts(data)
    name = who.name if who else (data.linked[0].name if data.linked else "It")
    kind = f" ({who.type})" if who and who.type else ""
    more = len(data.subgraph.relationships) - len(facts)
    tail = f" ({more} more facts)" if more > 0 else ""
    return f"{name}{kind}, {len(data.subgraph.relationships)} facts in the graph: {'; '.join(facts)}{tail}.", cited


def _superlative(data: SynthesisInput) -> tuple[str, list[int]]:
    """ "Kestrel Institute of Technology, with 4 graduates: the university with the most graduates in the graph"."""
    names = join_words([a.name for a in data.answers[:MAX_NAMES]])
    each = " each" if len(data.answers) > 1 else ""
    reading = data.description[:1].lower() + data.description[1:]
    if data.kind == "ordered":
        one = singular(data.measure)
        return f"{names} ({one} {data.measure_value}{each}): {reading} (by the graph's {data.measure}).", []
    n = data.count or 0
    cited = list(range(min(len(data.evidence), 5)))
    marks = "".join(f"[{i + 1}]" for i in cited)
    counted = plural(data.measure) if n != 1 else singular(data.measure)
    among = " among those with any" if "fewest" in reading or "least" in reading else ""
    return f"{names}, with {n} {counted}{each}: {reading} (by the graph's facts{among}). {marks}".strip(), cited


def _type(data: SynthesisInput) -> tuple[str, list[int]]:
    """ "The graph has 3 countries (by their place in the LOCATED_IN chain): Estrelle, Norvania and Veridia."."""
    n = data.count if data.count is not None else len(data.answers)
    what = data.description or "entities"
    what = singular(what) if n == 1 else what
    if data.measure.startswith("by "):  # a level: "towns", told by the chain
        what = f"{what} ({data.measure.replace(' their ', ' its ') if n == 1 else data.measure})"
    elif data.measure:  # a kind the graph does not tell apart: "companies" are all its organizations
        what = f"{data.measure}; it does not tell {data.description} apart from other {data.measure}"
    if n == 0:
        return f"The graph has no {what} (0).", []
    names = [a.name for a in data.answers]
    shown = join_words(names[:LIST_NAMES]) if len(names) <= LIST_NAMES else ", ".join(names[:LIST_NAMES])
    shown += f" and {len(names) - LIST_NAMES} more" if len(names) > LIST_NAMES else ""
    if data.capped:
        return f"The graph has at least {n} {what} (the list stops at {n} rows): {shown}.", []
    return f"The graph has {n} {what}: {shown}.", []


def kind_text(data: SynthesisInput) -> tuple[str, list[int]]:
    """The answer text for a yes/no, "same", count, summary, superlative or type question, and what it cites."""
    if data.kind == "type":
        return _type(data)
    if data.kind in {"superlative", "ordered"}:
        return _superlative(data)
    if data.kind in {"yes_no", "same"}:
        return _yes_no(data)
    if data.kind == "summary":
        return _summary(data)
    return _count(data)
