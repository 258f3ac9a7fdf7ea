"""Question answering: link → generate Cypher → check → run read-only → check the result → answer.

``ask(question, graph)`` returns an :class:`~kgqa.qa.model.AskResult`. Everything expensive (schema,
ontology lexicon, name index, example bank) is cached per process; a question costs the final query
plus a few milliseconds. "No answer" beats a made-up answer: nothing reaches the answer text that is
not in the returned subgraph.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kgqa.errors import GraphUnavailable
from kgqa.graph.client import Graph, QueryFailed, ReadResult
from kgqa.graph.schema import STRUCTURAL_LABELS, GraphSchema, introspect
from kgqa.qa import linking
from kgqa.qa.cypher_checks import check_cypher
from kgqa.qa.generate import CypherCandidate, CypherGenerator, format_feedback
from kgqa.qa.model import (
    AnswerItem,
    AskResult,
    Check,
    Evidence,
    LinkedEntity,
    Subgraph,
    SubgraphNode,
    SubgraphRelationship,
    TraceStep,
)
from kgqa.qa.parser import ParserGenerator, lexicon, stem, words
from kgqa.qa.synthesize import AnswerSynthesizer, SynthesisInput, TemplateSynthesizer

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 1000
SCHEMA_TTL = 120.0  # seconds; kgqa build and tests call invalidate_caches()
MAX_EVIDENCE = 10
TIME_TYPES = ("Date", "Time", "Year", "Event")


@dataclass
class AskOptions:
    max_hops: int = 4
    limit: int = 100
    timeout: float = 10.0  # seconds per query
    max_attempts: int = 3  # candidate queries per generator (failed checks count too)
    max_candidates: int = 10  # candidates looked at in all
    ontology: str | None = None
    fallback: bool = True


# ------------------------------------------------------------------------------------------ caches

_schemas: dict[tuple[str, str | None], tuple[float, GraphSchema]] = {}
_lock = threading.Lock()


def graph_schema(graph: Graph, *, refresh: bool = False) -> tuple[GraphSchema, bool]:
    """The graph's schema, introspected at most every ``SCHEMA_TTL`` seconds per process."""
    key = (graph.uri, graph.database)
    now = time.monotonic()
    with _lock:
        hit = _schemas.get(key)
    if hit and not refresh and now - hit[0] < SCHEMA_TTL:
        return hit[1], True
    schema = introspect(graph, sample=2000)
    with _lock:
        _schemas[key] = (now, schema)
    return schema, False


def invalidate_caches(graph: Graph | None = None) -> None:
    """Forget cached schemas and name indexes (after writes to the graph)."""
    with _lock:
        if graph is None:
            _schemas.clear()
        else:
            _schemas.pop((graph.uri, graph.database), None)
    linking.invalidate(graph)


_bank_cache: dict[str, Any] = {}


def default_examples() -> Any:
    """The default example bank (``kgqa.qa.examples``) when that module and its directory exist."""
    if "bank" in _bank_cache:
        return _bank_cache["bank"]
    bank = None
    try:
        from kgqa.qa import examples as ex_mod  # type: ignore[attr-defined]

        if ex_mod.default_bank_dir().exists():
            bank = ex_mod.ExampleBank.cached()
    except Exception as exc:  # the bank is optional
        log.debug("no example bank: %s", exc)
    _bank_cache["bank"] = bank
    return bank


def _example_generator(bank: Any) -> CypherGenerator | None:
    """``kgqa.qa.examples.ExampleGenerator`` over ``bank`` (exact templates first, then similar ones)."""
    if bank is None:
        return None
    try:
        from kgqa.qa.examples import ExampleGenerator  # type: ignore[attr-defined]
    except ImportError:
        return None
    return ExampleGenerator(bank)


# ------------------------------------------------------------------------------------------ checks adapter


@dataclass
class _Outcome:
    ok: bool
    cypher: str
    params: dict[str, Any]
    checks: list[Check] = field(default_factory=list)


_check_cache: OrderedDict[tuple, _Outcome] = OrderedDict()
CHECK_CACHE_SIZE = 4096


def _schema_key(schema: GraphSchema) -> tuple:
    return (tuple(schema.labels), tuple(schema.relationship_types), tuple(schema.patterns))


def check_candidate(
    cypher: str, params: dict[str, Any], schema: GraphSchema, graph: Graph | None, *, max_hops: int, limit: int
) -> tuple[_Outcome, bool]:
    """Run the shared Cypher checks (``kgqa.qa.cypher_checks``); returns (outcome, from cache).

    The static checks depend on the query text, the parameter names and types and the schema, not
    on the parameter values, so a passing outcome that changed no parameter is cached per process
    (the same question shape with another entity costs a dictionary lookup). Outcomes that needed
    the server (EXPLAIN) are cached only for the same server.
    """
    key = (
        cypher,
        # integer values (e.g. a $limit) change the outcome of the bounds/limit checks: keep them in the key
        tuple(sorted((k, type(v).__name__, v if isinstance(v, int) else None) for k, v in params.items())),
        _schema_key(schema),
        max_hops,
        limit,
        None if graph is None else (graph.uri, graph.database),
    )
    with _lock:
        hit = _check_cache.get(key)
        if hit is not None:
            _check_cache.move_to_end(key)
    if hit is not None:
        return _Outcome(hit.ok, hit.cypher, dict(params), list(hit.checks)), True
    outcome = check_cypher(cypher, params, schema, max_hops=max_hops, limit=limit, graph=graph)
    checks = [c if isinstance(c, Check) else Check.model_validate(c, from_attributes=True) for c in outcome.checks]
    result = _Outcome(bool(outcome.ok), outcome.cypher, dict(outcome.params), checks)
    if result.ok and dict(outcome.params) == dict(params):
        with _lock:
            _check_cache[key] = result
            while len(_check_cache) > CHECK_CACHE_SIZE:
                _check_cache.popitem(last=False)
    return result, False


# ------------------------------------------------------------------------------------------ result handling


def _walk(value: Any) -> Iterator[dict[str, Any]]:
    """Every node/relationship/path dict inside a row value."""
    if isinstance(value, dict):
        kind = value.get("_kind")
        if kind in {"node", "relationship", "path"}:
            yield value
            return
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)


def _node_type(labels: list[str]) -> str | None:
    specific = sorted(lb for lb in labels if lb not in STRUCTURAL_LABELS)
    return specific[0] if specific else None


class _SubgraphBuilder:
    def __init__(self) -> None:
        self.nodes: dict[str, SubgraphNode] = {}
        self.rels: dict[tuple[str, str, str], SubgraphRelationship] = {}
        self.evidence: list[Evidence] = []
        self._seen_sentences: set[tuple[str, str]] = set()

    def node(self, n: dict[str, Any]) -> str | None:
        nid = n.get("id")
        if nid is None:
            return None
        nid = str(nid)
        if nid not in self.nodes:
            labels = [lb for lb in n.get("labels") or [] if lb]
            self.nodes[nid] = SubgraphNode(id=nid, name=str(n.get("name") or nid), labels=labels)
        return nid

    def rel(self, r: dict[str, Any]) -> None:
        start, end = r.get("start") or {}, r.get("end") or {}
        s, e = self.node(start), self.node(end)
        if s is None or e is None:
            return
        key = (s, r.get("type", ""), e)
        if key in self.rels:
            return
        props = r.get("properties") or {}
        fact = f"{self.nodes[s].name} -[{r.get('type')}]-> {self.nodes[e].name}"
        ev: list[Evidence] = []
        sentences = props.get("sentences") or []
        doc_ids = props.get("doc_ids") or []
        chunk_ids = props.get("chunk_ids") or []
        for k, sentence in enumerate(sentences if isinstance(sentences, list) else [sentences]):
            doc = str(doc_ids[k]) if k < len(doc_ids) else ""
            chunk = str(chunk_ids[k]) if k < len(chunk_ids) else None
            ev.append(Evidence(doc_id=doc, chunk_id=chunk, sentence=str(sentence), fact=fact))
        self.rels[key] = SubgraphRelationship(start=s, end=e, type=str(r.get("type", "")), evidence=ev)
        for item in ev:
            mark = (item.sentence, item.doc_id)
            if mark not in self._seen_sentences:
                self._seen_sentences.add(mark)
                self.evidence.append(item)

    def add(self, value: Any) -> list[list[str]]:
        """Add every node/relationship/path in ``value``; return the node-id sequences of its paths."""
        paths: list[list[str]] = []
        for item in _walk(value):
            kind = item["_kind"]
            if kind == "node":
                self.node(item)
            elif kind == "relationship":
                self.rel(item)
                ids = [self.node(item.get("start") or {}), self.node(item.get("end") or {})]
                paths.append([x for x in ids if x])
            else:
                for r in item.get("relationships", []):
                    self.rel(r)
                paths.append([x for n in item.get("nodes", []) if (x := self.node(n))])
        return paths

    def build(self) -> Subgraph:
        return Subgraph(nodes=list(self.nodes.values()), relationships=list(self.rels.values()))


@dataclass
class _Run:
    candidate: CypherCandidate
    outcome: _Outcome
    result: ReadResult
    answers: list[AnswerItem]
    count: int | None
    builder: _SubgraphBuilder
    checks: list[Check]
    ok: bool
    stage: str = ""  # failure stage for feedback
    details: list[str] = field(default_factory=list)


def _interpret(
    graph: Graph,
    candidate: CypherCandidate,
    outcome: _Outcome,
    result: ReadResult,
    linked: list[LinkedEntity],
    expected: set[str] | None,
    counting: bool,
    opts: AskOptions,
) -> _Run:
    builder = _SubgraphBuilder()
    answers: dict[str, AnswerItem] = {}
    connected: set[str] = set()
    count: int | None = None
    linked_ids = {e.id for e in linked}
    for row in result.rows:
        answer = row.get("answer")
        if not (isinstance(answer, dict) and answer.get("_kind") == "node"):
            answer = next(
                (v for k, v in row.items() if isinstance(v, dict) and v.get("_kind") == "node" and k != "path"), None
            )
        for key in ("count", "n", "total"):
            if isinstance(row.get(key), int) and not isinstance(row.get(key), bool):
                count = row[key]
        paths = builder.add(row)
        if answer is None:
            continue
        aid = builder.node(answer)
        if aid is None:
            continue
        if aid not in answers:
            answers[aid] = AnswerItem(id=aid, name=builder.nodes[aid].name, type=_node_type(answer.get("labels") or []))
        for p in paths:
            if aid in p and (linked_ids & set(p)):
                connected.add(aid)
    checks: list[Check] = []
    items = list(answers.values())
    run = _Run(candidate, outcome, result, items, count, builder, checks, True)
    if not items and count is None:
        run.ok, run.stage = False, "empty"
        run.details = ["the query returned no answer"]
        checks.append(Check(name="result_nonempty", status="failed", detail="no rows"))
        return run
    # answer type
    if expected:
        typed = [a for a in items if a.type]
        wrong = [a for a in typed if a.type not in expected]
        if typed and len(wrong) == len(typed):
            run.ok, run.stage = False, "answer_type"
            run.details = [
                f"expected {'/'.join(sorted(expected))}, got {', '.join(sorted({a.type or '' for a in wrong}))}"
            ]
            checks.append(Check(name="answer_type", status="failed", detail=run.details[0]))
            return run
        if wrong:
            keep = {a.id for a in items if a not in wrong}
            items[:] = [a for a in items if a.id in keep]
            checks.append(
                Check(
                    name="answer_type",
                    status="fixed",
                    detail=f"dropped {len(wrong)} answers not {'/'.join(sorted(expected))}",
                )
            )
        else:
            checks.append(Check(name="answer_type", status="passed", detail="/".join(sorted(expected))))
    else:
        checks.append(Check(name="answer_type", status="skipped", detail="the question does not fix a type"))
    # connectivity: every answer joined to a linked entity by a returned path (or one we look up)
    if linked:
        missing = [a for a in items if a.id not in connected]
        if missing:
            found = _connect(graph, [a.id for a in missing[:10]], [e.id for e in linked], builder, opts)
            connected |= found
            missing = [a for a in missing if a.id not in connected]
        if missing and len(missing) == len(items):
            run.ok, run.stage = False, "grounding"
            run.details = ["no returned path connects the answers to the question's entities"]
            checks.append(Check(name="connected", status="failed", detail=run.details[0]))
            return run
        if missing:
            items[:] = [a for a in items if a.id in connected]
            checks.append(Check(name="connected", status="fixed", detail=f"dropped {len(missing)} unconnected answers"))
        else:
            checks.append(Check(name="connected", status="passed", detail=f"{len(items)} answers on returned paths"))
    else:
        checks.append(Check(name="connected", status="skipped", detail="no linked entities"))
    if result.truncated or len(result.rows) >= opts.limit:
        if not counting:
            run.ok, run.stage = False, "too_many"
            run.details = [f"{len(result.rows)} rows or more (limit {opts.limit})"]
            checks.append(Check(name="result_size", status="failed", detail=run.details[0]))
            return run
        checks.append(Check(name="result_size", status="passed", detail=f"count is at least {len(items)}"))
    # cardinality
    if counting:
        n = count if count is not None and not items else len(items)
        run.count = n
        checks.append(Check(name="cardinality", status="passed", detail=f"how many → {n}"))
    else:
        checks.append(Check(name="cardinality", status="passed", detail=f"{len(items)} answers"))
    return run


def _connect(
    graph: Graph, answer_ids: list[str], linked_ids: list[str], builder: _SubgraphBuilder, opts: AskOptions
) -> set[str]:
    """Find a bounded path from each answer to a linked entity (for queries that returned none)."""
    hops = max(1, min(opts.max_hops, 4))
    rows = graph.read(
        f"UNWIND $answers AS aid MATCH (a:Entity {{id: aid}}) "
        f"MATCH p = shortestPath((a)-[*..{hops}]-(e:Entity)) WHERE e.id IN $linked "
        f"RETURN aid, p LIMIT 50",
        {"answers": answer_ids, "linked": linked_ids},
        timeout=opts.timeout,
        max_rows=50,
    ).rows
    found: set[str] = set()
    for row in rows:
        builder.add(row["p"])
        found.add(row["aid"])
    return found


# ------------------------------------------------------------------------------------------ question analysis


def expected_types(question: str, ontology: str | None = None) -> tuple[set[str] | None, bool]:
    """Entity types the question word asks for (``which company`` → Organization) and whether it counts."""
    lex = lexicon(ontology)
    toks = words(question)
    while toks and toks[0] in {"in", "at", "for", "from", "to", "by", "of", "on", "with"}:
        toks = toks[1:]
    if not toks:
        return None, False
    if toks[0] == "when" or (toks[0] == "what" and len(toks) > 1 and toks[1] in {"year", "date", "time", "day"}):
        return set(TIME_TYPES), False  # entity answers never fit: abstain unless the graph has dates
    if toks[0] in {"why"} or (toks[0] == "how" and len(toks) > 1 and toks[1] not in {"many", "much"}):
        return {"Explanation"}, False  # "why"/"how does": the graph holds facts, not explanations
    if toks[0] == "how" and len(toks) > 1 and toks[1] == "many":
        rest = toks[2:]
        for size in (3, 2, 1):
            key = tuple(stem(w) for w in rest[:size])
            if key in lex.types:
                return {lex.types[key]}, True
        return None, True
    if toks[0] in {"which", "what"} and len(toks) > 1:
        for size in (3, 2, 1):
            key = tuple(stem(w) for w in toks[1 : 1 + size])
            if key in lex.types:
                return {lex.types[key]}, False
        return None, False
    if toks[0] in {"who", "whom", "whose"}:
        return set(lex.qwords.get(toks[0], set())) | {"Person", "Organization"}, False
    if toks[0] == "where":
        return set(lex.qwords.get("where", set())) | {"Organization"}, False
    return None, False


def _spans_for(question: str, linked: list[LinkedEntity]) -> list[tuple[int, int]] | None:
    """Where each pre-linked entity's mention (or name or alias) sits in the question."""
    spans: list[tuple[int, int]] = []
    low = question.lower()
    for ent in linked:
        found = None
        for text in [ent.mention, ent.name]:
            if not text:
                continue
            pos = low.find(text.lower())
            while pos >= 0 and any(a < pos + len(text) and pos < b for a, b in spans):
                pos = low.find(text.lower(), pos + 1)
            if pos >= 0:
                found = (pos, pos + len(text))
                break
        if found is None:
            return None
        spans.append(found)
    return spans


_PRONOUN = re.compile(r"\b(?:(?:this|that|these|those|the|its|their)\s+(\w+)|it|him|her|them|they|he|she)\b", re.I)


def _place(q: str, linked: list[LinkedEntity], schema: GraphSchema, opts: AskOptions) -> list[tuple[int, int]] | None:
    """Where a given entity whose mention is not in the question sits: "this company", "it", ..."""
    from kgqa.qa.parser import parse_question

    lex = lexicon(opts.ontology)
    for m in _PRONOUN.finditer(q):
        noun = m.group(1)
        if noun is not None and tuple([stem(noun.lower())]) not in lex.types and noun.lower() not in {"one", "entity"}:
            continue
        span = [(m.start(), m.end())]
        if parse_question(q, span, linked, schema, ontology=opts.ontology, max_hops=opts.max_hops):
            return span
    return None


# ------------------------------------------------------------------------------------------ the pipeline


_PREAMBLE = re.compile(
    r"^(?:please\s+|(?:can|could|would)\s+you\s+(?:please\s+)?|do\s+you\s+know\s+|i\s+(?:want|would\s+like)\s+to\s+know\s+)*"
    r"(?:tell\s+me\s+|let\s+me\s+know\s+)?(?=(?:who|whom|what|which|where|when|why|how)\b)",
    re.IGNORECASE,
)


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)


def ask(
    question: str,
    graph: Graph,
    linked: list[LinkedEntity] | None = None,
    *,
    generator: CypherGenerator | None = None,
    synthesizer: AnswerSynthesizer | None = None,
    examples: Any = None,
    options: AskOptions | None = None,
    max_hops: int | None = None,
) -> AskResult:
    """Answer ``question`` from ``graph``; ``linked`` skips entity linking (pre-linked topic entities).

    ``generator`` (e.g. an LLM) is tried after the offline parser's candidates; ``synthesizer``
    writes the answer text (the offline template when None or when its text fails grounding).
    Raises :class:`~kgqa.errors.GraphUnavailable` when the graph server cannot be reached.
    """
    opts = options or AskOptions()
    if max_hops is not None:
        opts.max_hops = max_hops
    res = AskResult(question=question, answer="")
    q = " ".join((question or "").split())
    if not q:
        res.answer, res.status = "Empty question: ask something about the graph.", "error"
        res.checks.append(Check(name="question", status="failed", detail="empty"))
        return res
    if len(q) > MAX_QUESTION_CHARS:
        res.answer = f"The question is too long ({len(q)} characters; the limit is {MAX_QUESTION_CHARS})."
        res.status = "error"
        res.checks.append(Check(name="question", status="failed", detail=f"{len(q)} characters"))
        return res

    q = _PREAMBLE.sub("", q) or q
    t0 = time.perf_counter()
    schema, cached = graph_schema(graph)
    res.trace.append(TraceStep(stage="schema", ms=_ms(t0), cached=cached))
    if not schema.labels:
        invalidate_caches(graph)
        res.answer, res.status = "The graph is empty: build it first (kgqa build DIR).", "no_answer"
        res.checks.append(Check(name="graph", status="failed", detail="no nodes"))
        return res

    # 1. linking
    t0 = time.perf_counter()
    mentions: list[linking.Mention] = []
    if linked:
        spans = _spans_for(q, linked)
        method = "given"
    else:
        lex = lexicon(opts.ontology)
        mentions = linking.link(q, graph, reserved=lex.reserved_words())
        linked = [m.entity for m in mentions]
        spans = [(m.start, m.end) for m in mentions]
        method = "linked"
    res.linked_entities = list(linked)
    res.trace.append(TraceStep(stage="linking", ms=_ms(t0), detail=f"{len(linked)} entities ({method})"))
    if not linked:
        res.checks.append(Check(name="linking", status="failed", detail="no graph entity is named in the question"))
        res.answer = "The graph holds no answer: the question names nothing the graph knows about."
        res.status = "no_answer"
        return res
    ambiguous = [m for m in mentions if len(m.candidates) > 1]
    if ambiguous:
        detail = "; ".join(f"“{m.entity.mention}”: {len(m.candidates)} entities" for m in ambiguous)
        res.checks.append(Check(name="linking", status="passed", detail=f"ambiguous — {detail}"))
    else:
        res.checks.append(
            Check(
                name="linking", status="passed", detail=", ".join(f"{e.mention} → {e.id} ({e.method})" for e in linked)
            )
        )

    readings = _readings(linked, mentions)
    outcomes: list[tuple[list[LinkedEntity], AskResult]] = []
    for reading in readings:
        sub = _answer_once(q, graph, reading, spans, schema, generator, synthesizer, examples, opts)
        outcomes.append((reading, sub))
    answered = [(r, s) for r, s in outcomes if s.status == "answered"]
    if len(answered) > 1 and len({tuple(a.id for a in s.answers) for _, s in answered}) > 1:
        chosen = answered[0][1]
        alts = "; ".join(
            f"{', '.join(e.name + ' (' + (e.type or '?') + ', ' + e.id + ')' for e in r)}: {s.answer}"
            for r, s in answered
        )
        chosen.status = "ambiguous"
        chosen.answer = f"The question is ambiguous; readings: {alts}. Pass --entity ID to choose."
        chosen.checks.append(
            Check(name="linking", status="failed", detail="several entities fit and give different answers")
        )
        final = chosen
    elif answered:
        final = answered[0][1]
        if final.linked_entities != res.linked_entities and ambiguous:
            final.checks.append(
                Check(name="linking", status="fixed", detail="disambiguated: only one reading has an answer")
            )
    else:
        final = outcomes[0][1]
    final.question = question
    final.checks = res.checks + final.checks
    final.trace = res.trace + final.trace
    for ent in final.linked_entities:  # keep alternatives visible
        for m in mentions:
            if m.entity.mention == ent.mention and len(m.candidates) > 1:
                ent.alternatives = [
                    {"id": c.id, "name": c.name, "type": c.type} for c in m.candidates if c.id != ent.id
                ]
    return final


def _readings(linked: list[LinkedEntity], mentions: list[linking.Mention]) -> list[list[LinkedEntity]]:
    """The primary linking first, then (up to 3) alternatives for ambiguous mentions."""
    readings = [list(linked)]
    for k, m in enumerate(mentions):
        for alt in m.candidates[1:3]:
            other = list(linked)
            other[k] = LinkedEntity(
                mention=m.entity.mention,
                id=alt.id,
                name=alt.name,
                type=alt.type,
                method=m.entity.method,
                score=m.entity.score,
            )
            readings.append(other)
    return readings[:4]


def _answer_once(
    q: str,
    graph: Graph,
    linked: list[LinkedEntity],
    spans: list[tuple[int, int]] | None,
    schema: GraphSchema,
    generator: CypherGenerator | None,
    synthesizer: AnswerSynthesizer | None,
    examples: Any,
    opts: AskOptions,
) -> AskResult:
    res = AskResult(question=q, answer="", linked_entities=list(linked))
    expected, counting = expected_types(q, opts.ontology)

    # example bank (optional): its own generator when kgqa.qa.examples provides one; few-shot
    # examples are only looked up for an LLM generator (the search may embed the question)
    bank = examples if examples is not None else default_examples()
    example_gen = _example_generator(bank)
    example_list: list[Any] = []
    if bank is not None and (generator is not None or example_gen is None):
        t0 = time.perf_counter()
        try:
            example_list = list(bank.search(q, [e.mention for e in linked], 3))
        except Exception as exc:
            log.debug("example search failed: %s", exc)
        res.trace.append(TraceStep(stage="examples", ms=_ms(t0), detail=f"{len(example_list)} examples"))

    if spans is None and len(linked) == 1:
        spans = _place(q, linked, schema, opts)
        if spans:
            res.checks.append(
                Check(
                    name="mention", status="fixed", detail=f"“{q[spans[0][0] : spans[0][1]]}” read as {linked[0].name}"
                )
            )
    generators: list[tuple[CypherGenerator, list[Any]]] = []
    if spans is not None:
        parser_examples = example_list if example_gen is None and generator is None else []
        generators.append((ParserGenerator(spans, ontology=opts.ontology, max_hops=opts.max_hops), parser_examples))
    elif example_list and example_gen is None:
        generators.append((ParserGenerator([], ontology=opts.ontology, max_hops=opts.max_hops), example_list))
    if example_gen is not None:
        generators.append((example_gen, []))
    if generator is not None:
        generators.append((generator, example_list))

    attempts = 0  # per generator
    looked = 0  # in all
    total_attempts = 0
    best_too_many: _Run | None = None
    last: tuple[str, dict[str, Any]] | None = None
    parse_found_nothing = False
    for gen, gen_examples in generators:
        if parse_found_nothing:
            # the whole question parsed and its query ran and found nothing: that is the answer. A
            # looser reading (a similar example, an LLM) could only answer a different question.
            res.checks.append(
                Check(
                    name="generate",
                    status="skipped",
                    detail=f"{gen.name}: not tried — the complete parse of the question found nothing in the graph",
                )
            )
            continue
        example_list = gen_examples
        feedback: str | None = None
        attempts = 0
        t0 = time.perf_counter()
        stream = iter(gen.candidates(q, linked, schema, example_list, feedback))
        while attempts < opts.max_attempts and looked < opts.max_candidates:
            try:
                cand = next(stream)
            except StopIteration:
                break
            except Exception as exc:  # a generator (LLM) failing must not sink the question
                res.checks.append(Check(name="generate", status="failed", detail=f"{gen.name}: {exc}"))
                break
            res.trace.append(TraceStep(stage="generate", ms=_ms(t0), detail=f"{cand.source}: {cand.description}"))
            res.trace.extend(cand.trace)
            looked += 1
            attempts += 1
            total_attempts += 1
            tag = f"attempt {total_attempts} ({cand.source})"
            looser = _looser_example(q, linked, cand, bank)
            if looser:  # not run, so not an attempt
                attempts -= 1
                res.checks.append(Check(name="coverage", status="failed", detail=f"{tag}: {looser}"))
                continue
            t1 = time.perf_counter()
            # EXPLAIN (a server round trip) only for queries we did not compile ourselves: the parser's
            # queries come from a fixed grammar, and a server error still reaches the repair loop
            explain_on = None if cand.source == "parser" else graph
            outcome, cached = check_candidate(
                cand.cypher, cand.params, schema, explain_on, max_hops=opts.max_hops, limit=opts.limit
            )
            res.trace.append(TraceStep(stage="check", ms=_ms(t1), detail=tag, cached=cached))
            failed = [c for c in outcome.checks if c.status == "failed"]
            if not outcome.ok:
                for c in failed:
                    res.checks.append(Check(name=f"cypher.{c.name}", status="failed", detail=f"{tag}: {c.detail}"))
                feedback = format_feedback("check", cand.cypher, [f"{c.name}: {c.detail}" for c in failed])
                stream = _refeed(gen, stream, q, linked, schema, example_list, feedback)
                t0 = time.perf_counter()
                continue
            last = (outcome.cypher, outcome.params)
            t1 = time.perf_counter()
            try:
                result = graph.read(outcome.cypher, outcome.params, timeout=opts.timeout, max_rows=opts.limit)
            except GraphUnavailable:
                raise
            except QueryFailed as exc:
                res.trace.append(TraceStep(stage="execute", ms=_ms(t1), detail=f"{tag}: error"))
                res.checks.append(Check(name="execute", status="failed", detail=f"{tag}: {exc.message}"))
                feedback = format_feedback("server", outcome.cypher, [exc.message])
                stream = _refeed(gen, stream, q, linked, schema, example_list, feedback)
                t0 = time.perf_counter()
                continue
            res.trace.append(TraceStep(stage="execute", ms=_ms(t1), detail=f"{tag}: {len(result.rows)} rows"))
            t1 = time.perf_counter()
            hint_types = expected
            if cand.answer_type_hint and cand.answer_type_hint != "count":
                hint = {cand.answer_type_hint}
                hint_types = (expected & hint or expected) if expected else hint
            run = _interpret(
                graph, cand, outcome, result, linked, hint_types, counting or cand.answer_type_hint == "count", opts
            )
            res.trace.append(TraceStep(stage="result_checks", ms=_ms(t1), detail=tag))
            if run.ok:
                res.checks.append(
                    Check(name="cypher", status="passed", detail=f"{tag}: {len(outcome.checks)} checks passed")
                )
                for c in outcome.checks:
                    if c.status == "fixed":
                        res.checks.append(Check(name=f"cypher.{c.name}", status="fixed", detail=c.detail))
                res.checks.extend(run.checks)
                return _finish(res, run, linked, counting, synthesizer, opts, graph)
            for c in run.checks:
                if c.status == "failed":
                    res.checks.append(Check(name=c.name, status="failed", detail=f"{tag}: {c.detail}"))
            if run.stage == "too_many" and best_too_many is None:
                best_too_many = run
            if run.stage == "empty" and isinstance(gen, ParserGenerator):
                parse_found_nothing = True
            feedback = format_feedback(run.stage, outcome.cypher, run.details)
            stream = _refeed(gen, stream, q, linked, schema, example_list, feedback)
            t0 = time.perf_counter()
    if best_too_many is not None:  # nothing narrower worked: answer with the capped result, saying so
        run = best_too_many
        run.checks[-1] = Check(
            name="result_size", status="fixed", detail=f"{run.details[0]}: showing the first {len(run.answers)}"
        )
        run.checks.append(Check(name="cardinality", status="passed", detail=f"at least {len(run.answers)} answers"))
        res.checks.append(Check(name="cypher", status="passed", detail=f"{run.candidate.source}: capped result"))
        res.checks.extend(run.checks)
        return _finish(res, run, linked, counting, synthesizer, opts, graph)
    if total_attempts == 0:
        res.checks.append(Check(name="generate", status="failed", detail="no query could be built for this question"))
    if last is not None:  # the last query that ran: it is why the graph holds no answer
        res.cypher, res.params = last
    return _fallback(res, graph, linked, opts)


_MARKERS = {"that", "which", "who", "whom", "whose", "where", "of", "'s"}


def _structure(text: str) -> int:
    """How many nesting markers (relative pronouns after the first word, "of", possessives)."""
    toks = words(text.replace("[entity", " @e").replace("]", " "))
    return sum(1 for k, w in enumerate(toks) if w in _MARKERS and 0 < k < len(toks) - 1)


_example_ids: dict[int, dict[str, Any]] = {}


def _looser_example(q: str, linked: list[LinkedEntity], cand: CypherCandidate, bank: Any) -> str:
    """Why a similar (non-identical) example template answers a looser question, or ""."""
    if not cand.source.startswith("example:") or bank is None:
        return ""
    try:
        from kgqa.qa.examples import mask_question, normalize_template
    except ImportError:
        return ""
    examples = getattr(bank, "examples", None)
    if not examples:
        return ""
    by_id = _example_ids.get(id(bank))
    if by_id is None:
        by_id = {getattr(e, "id", ""): e for e in examples}
        _example_ids[id(bank)] = by_id
    example = by_id.get(cand.source.split(":", 1)[1])
    if example is None:
        return ""
    mine = normalize_template(mask_question(q, [e.mention for e in linked]))
    theirs = normalize_template(example.question)
    if mine == theirs:
        return ""
    if _structure(mine) > _structure(theirs):
        return f"the example “{example.question}” is simpler than the question (it would drop part of it)"
    return ""


def _refeed(
    gen: CypherGenerator,
    stream: Iterator[CypherCandidate],
    q: str,
    linked: list[LinkedEntity],
    schema: GraphSchema,
    examples: list[Any],
    feedback: str,
) -> Iterator[CypherCandidate]:
    """Generators that use feedback (LLMs) get a fresh call; the offline parser keeps its stream."""
    if getattr(gen, "uses_feedback", False):
        return iter(gen.candidates(q, linked, schema, examples, feedback))
    return stream


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
    res.answers = run.answers
    res.subgraph = run.builder.build()
    res.evidence = _relevant_evidence(run.builder.evidence, {a.id for a in run.answers}, res.subgraph)
    res.browser_query = browser_query(run.outcome.cypher, run.outcome.params)
    t0 = time.perf_counter()
    data = SynthesisInput(
        question=res.question,
        answers=run.answers,
        linked=linked,
        subgraph=res.subgraph,
        evidence=res.evidence,
        answer_type="count" if counting else (run.candidate.answer_type_hint or None),
        count=run.count,
        description=_describe_for(run.candidate.description, linked),
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
        res.answers, res.status = [], "no_answer"
        res.answer = "The graph holds no answer I can ground in its facts."
        return res
    res.checks.append(Check(name="grounding", status="passed", detail="every named entity is in the answer subgraph"))
    res.answer = out.text
    res.status = "answered"
    return res


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
        linking.normalise(e.mention) for e in res.linked_entities
    }
    toks = linking.normalise(re.sub(r"\[\d+\]", " ", text)).split()
    for size in range(min(index.max_words, 6), 0, -1):
        for i in range(len(toks) - size + 1):
            key = " ".join(toks[i : i + size])
            if key in names_in or key in linking.STOP or len(key) < 4:
                continue
            if any(key in n.split() or key in n for n in names_in):
                continue
            found = index.lookup(key)
            if found and found[0] == "exact" and not (set(found[1]) & ids):
                problems.append(key)
    return problems


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
