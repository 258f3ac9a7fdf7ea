"""The answer's text and evidence: synthesis from the subgraph, grounding checks, the template fallback."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from kgqa.graph.client import Graph, QueryFailed
from kgqa.qa import linking
from kgqa.qa.model import (
    AskResult,
    Check,
    Evidence,
    LinkedEntity,
    Subgraph,
    SubgraphNode,
    TraceStep,
)
from kgqa.qa.runs import AskOptions, _ms, _Run
from kgqa.qa.subgraph import _SubgraphBuilder
from kgqa.qa.supersession import conflicts, current_answers
from kgqa.qa.synthesize import AnswerSynthesizer, SynthesisInput, TemplateSynthesizer

MAX_EVIDENCE = 10


def _finish(
    res: AskResult,
    run: _Run,
    linked: list[LinkedEntity],
    counting: bool,
    synthesizer: AnswerSynthesizer | None,
    opts: AskOptions,
    graph: Graph,
) -> AskResult:
    res.cypher = run.outcome.cypher
    res.params = run.outcome.params
    res.subgraph = run.builder.build()
    res.answers, note = run.answers, ""
    if run.candidate.kind == "list" and not counting:  # a superseded holder is not a current answer
        res.answers, note = current_answers(run.answers, res.subgraph)
        note += conflicts(res.answers, res.subgraph, opts.ontology)
    res.evidence = _relevant_evidence(run.builder.evidence, {a.id for a in run.answers}, res.subgraph)
    res.browser_query = browser_query(run.outcome.cypher, run.outcome.params)
    t0 = time.perf_counter()
    data = SynthesisInput(
        question=res.question,
        answers=res.answers,
        linked=linked,
        subgraph=res.subgraph,
        evidence=res.evidence,
        answer_type="count" if counting or run.candidate.kind == "count" else (run.candidate.answer_type_hint or None),
        count=run.count,
        description=_describe_for(_reading(run), linked),
        kind=run.candidate.kind,
        value=run.value,
        capped=run.capped,
        ontology=opts.ontology,
        measure=run.candidate.measure,
        measure_value=run.measure,
    )
    template = TemplateSynthesizer()
    synth = synthesizer or template
    try:
        out = synth.synthesize(data)
    except Exception as exc:
        res.checks.append(Check(name="synthesize", status="failed", detail=f"{synth.name}: {exc}"))
        synth, out = template, template.synthesize(data)
    res.trace.append(TraceStep(stage="synthesize", ms=_ms(t0), detail=synth.name))
    res.trace.extend(out.trace)
    problems = _grounding_problems(out.text, res, graph)
    if problems and synth is not template:
        res.checks.append(
            Check(
                name="grounding", status="fixed", detail=f"{synth.name} named {', '.join(problems)}; used the template"
            )
        )
        out = template.synthesize(data)
        problems = _grounding_problems(out.text, res, graph)
    if problems:
        res.checks.append(Check(name="grounding", status="failed", detail=", ".join(problems)))
        res.answers, res.status, res.value = [], "no_answer", None
        res.answer = "The graph holds no answer I can ground in its facts."
        return res
    res.checks.append(Check(name="grounding", status="passed", detail="every named entity is in the answer subgraph"))
    res.answer = out.text + note
    res.value = run.value if run.candidate.kind != "list" or counting else None
    res.status = "answered"
    return res


def _reading(run: _Run) -> str:
    """The candidate's reading in the number of its answers: "1 book that ..." (not "1 books that ..."), and a
    list of several under a plural head ("The people that were born in X: A and B")."""
    one, many = run.candidate.description_one, run.candidate.description_many
    if one and run.count == 1 and not run.capped:
        return one
    return many if many and len(run.answers) > 1 else run.candidate.description


def _describe_for(description: str, linked: list[LinkedEntity]) -> str:
    """Fill an example's ``[ENTITY]`` placeholders with the linked names."""
    for k, ent in enumerate(linked):
        description = description.replace("[ENTITY]" if k == 0 else f"[ENTITY{k + 1}]", ent.name, 1)
    return description


def _relevant_evidence(evidence: list[Evidence], answer_ids: set[str], subgraph: Subgraph) -> list[Evidence]:
    """Evidence sentences, those on facts touching an answer first, capped."""
    names = {n.id: n.name for n in subgraph.nodes}
    answer_names = {names[a] for a in answer_ids if a in names}

    def touches(e: Evidence) -> bool:
        return any(n in (e.fact or "") for n in answer_names)

    ordered = [e for e in evidence if touches(e)] + [e for e in evidence if not touches(e)]
    return ordered[:MAX_EVIDENCE]


def _grounding_problems(text: str, res: AskResult, graph: Graph) -> list[str]:
    """Entities the text names that are not in the subgraph, and answers not in it."""
    ids = {n.id for n in res.subgraph.nodes}
    problems = [a.name for a in res.answers if a.id not in ids]
    index = linking._indexes.get((graph.uri, graph.database))
    if index is None or not index.entities:
        return problems
    names_in = {linking.normalise(n.name) for n in res.subgraph.nodes} | {
        linking.normalise(t) for e in res.linked_entities for t in (e.mention, e.name)
    }
    cleaned = re.sub(r"\[\d+\]", lambda m: " " * len(m.group(0)), text)
    words = _words(cleaned)
    toks = [w for w, _, _ in words]
    # words the text writes in lower case are words ("and 12 more"), not names (a film called "More")
    plain = {linking.normalise(w) for w in re.findall(r"[^\W\d_][\w'-]*", text) if w.islower()}
    for size in range(min(index.max_words, 6), 0, -1):
        for i in range(len(toks) - size + 1):
            key = " ".join(toks[i : i + size])
            if key in names_in or key in linking.STOP or len(key) < 4:
                continue
            if all(w in plain for w in toks[i : i + size]):
                continue
            if any(key in n.split() or key in n for n in names_in):
                continue
            found = index.lookup(key)
            if not found or found[0] != "exact" or set(found[1]) & ids:
                continue
            written = cleaned[words[i][1] : words[i + size - 1][2]].rstrip(",;:.!?) ")
            if _list_not_name(written, [index.entities[x].name for x in found[1]]):
                continue
            problems.append(key)
    return problems


def _words(text: str) -> list[tuple[str, int, int]]:
    """The normalised words of ``text``, each with the character span of the chunk it was written in."""
    out: list[tuple[str, int, int]] = []
    for m in re.finditer(r"\S+", text):
        out.extend((w, m.start(), m.end()) for w in linking.normalise(m.group(0)).split())
    return out


def _list_not_name(written: str, names: list[str]) -> bool:
    """Whether ``written`` separates its words with a comma or semicolon where none of ``names`` does.

    "Crime, Drama and Thriller" lists three genres; it does not name the tag "crime drama".
    """
    marks = [ch for ch in written if ch in ",;"]
    return bool(marks) and not any(sorted(ch for ch in name if ch in ",;") == sorted(marks) for name in names)


def _fallback(res: AskResult, graph: Graph, linked: list[LinkedEntity], opts: AskOptions) -> AskResult:
    """No query passed: show the linked entities' neighbourhood and evidence; answer nothing."""
    res.status = "no_answer"
    res.answers = []
    names = ", ".join(e.name for e in linked)
    res.answer = f"The graph holds no answer to this question (entities found: {names})."
    if not opts.fallback:
        return res
    t0 = time.perf_counter()
    try:
        rows = graph.read(
            "MATCH (e:Entity) WHERE e.id IN $ids MATCH p = (e)-[r]-(n:Entity) "
            "RETURN p ORDER BY coalesce(r.confidence, 0) DESC LIMIT 25",
            {"ids": [e.id for e in linked]},
            timeout=opts.timeout,
            max_rows=25,
        ).rows
    except QueryFailed as exc:
        res.checks.append(Check(name="fallback", status="failed", detail=exc.message))
        return res
    builder = _SubgraphBuilder()
    for e in linked:
        builder.nodes.setdefault(e.id, SubgraphNode(id=e.id, name=e.name, labels=[e.type] if e.type else []))
    for row in rows:
        builder.add(row["p"])
    res.subgraph = builder.build()
    res.evidence = builder.evidence[:MAX_EVIDENCE]
    res.trace.append(TraceStep(stage="fallback", ms=_ms(t0), detail=f"{len(rows)} neighbouring facts"))
    res.checks.append(
        Check(
            name="fallback",
            status="passed",
            detail=f"no query passed; showing {len(res.subgraph.relationships)} facts around {names} (not an answer)",
        )
    )
    if res.subgraph.relationships:
        res.status = "fallback"
        res.answer += f" Related facts are shown as context ({len(res.subgraph.relationships)})."
        res.browser_query = browser_query(
            "MATCH (e:Entity) WHERE e.id IN $ids MATCH p = (e)-[r]-(n:Entity) RETURN p LIMIT 25",
            {"ids": [e.id for e in linked]},
        )
    return res


def browser_query(cypher: str, params: dict[str, Any]) -> str:
    """``:param`` lines plus the query, ready to paste into Neo4j Browser (values JSON-escaped)."""
    lines = [
        f":param {name} => {json.dumps(value, ensure_ascii=False)};"
        for name, value in params.items()
        if re.fullmatch(r"\w+", name)
    ]
    return "\n".join([*lines, cypher])
