"""LLM extractor: entities and relation triples per chunk, as validated JSON under the ontology.

For each chunk: prompt ``extraction`` (ontology types, relations with domain/range and descriptions, a few
fitting few-shot examples, the chunk) → structured JSON (schema-enforced where the server can, tolerant parsing,
bounded re-asks) → every triple checked against the ontology: unknown relation or type, domain/range violation,
names not in the text → dropped with the reason (reported in ``Extraction.errors``); a triple whose types fit
only the other way round is flipped. A chunk that still fails (the reply never became JSON, it was cut off, the
server kept failing) is reported in its ``Extraction.errors`` and the other chunks continue. Wrong settings
(bad key, unknown model, unreachable server) stop the build with the setting to fix.

Chunks run in a thread pool bounded by ``KGQA_LLM_CONCURRENCY`` (a semaphore shared by all extractors of the
process, so concurrent documents do not multiply it).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from kgqa.ingest.model import Chunk, Document, EntityMention, Extraction, Fact, Sentence
from kgqa.llm.base import LLM, ContextLengthExceeded, LLMConfigError, LLMError, LLMUnavailable, task_params
from kgqa.llm.prompt import Prompt, load_prompt
from kgqa.llm.structured import complete_structured
from kgqa.ontology import Ontology

log = logging.getLogger(__name__)

_semaphores: dict[int, threading.BoundedSemaphore] = {}
_sem_lock = threading.Lock()


def _sub_chunk(doc: Document, chunk: Chunk, sentences: list[Sentence]) -> Chunk:
    """The part of ``chunk`` that holds ``sentences`` (same id: facts keep their chunk as provenance)."""
    start, end = sentences[0].start, sentences[-1].end
    return Chunk(chunk.id, chunk.doc_id, chunk.index, doc.text[start:end], start, end, list(sentences))


def _semaphore(limit: int) -> threading.BoundedSemaphore:
    with _sem_lock:
        if limit not in _semaphores:
            _semaphores[limit] = threading.BoundedSemaphore(limit)
        return _semaphores[limit]


# ------------------------------------------------------------------------------------------- output schema


class LLMEntity(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str = Field(validation_alias=AliasChoices("name", "text", "entity"))
    type: str = Field(default="", validation_alias=AliasChoices("type", "label", "entity_type"))


class LLMTriple(BaseModel):
    model_config = ConfigDict(extra="ignore")
    subject: str = Field(validation_alias=AliasChoices("subject", "head", "source"))
    subject_type: str | None = Field(default=None, validation_alias=AliasChoices("subject_type", "head_type"))
    relation: str = Field(validation_alias=AliasChoices("relation", "predicate", "relation_type", "type"))
    object: str = Field(validation_alias=AliasChoices("object", "tail", "target"))
    object_type: str | None = Field(default=None, validation_alias=AliasChoices("object_type", "tail_type"))
    evidence: str = Field(default="", validation_alias=AliasChoices("evidence", "sentence", "quote"))


class ExtractionOutput(BaseModel):
    """What the extraction prompt asks for."""

    model_config = ConfigDict(extra="ignore", title="extraction")
    entities: list[LLMEntity] = Field(default_factory=list)
    triples: list[LLMTriple] = Field(default_factory=list, validation_alias=AliasChoices("triples", "relations"))


# ------------------------------------------------------------------------------------------- prompt parts


def output_schema(ontology: Ontology) -> dict[str, Any]:
    """The extraction JSON schema with the ontology's types and relations as enums (servers with constrained
    decoding then cannot invent them; validation stays lenient so one bad triple is dropped, not the chunk)."""
    schema = ExtractionOutput.model_json_schema()
    defs = schema.get("$defs", {})
    types = {"enum": ontology.entity_names, "type": "string"}
    if "LLMEntity" in defs:
        defs["LLMEntity"]["properties"]["type"] = dict(types)
        defs["LLMEntity"]["required"] = ["name", "type"]
    if "LLMTriple" in defs:
        props = defs["LLMTriple"]["properties"]
        props["relation"] = {"enum": ontology.relation_names, "type": "string"}
        props["subject_type"] = dict(types)
        props["object_type"] = dict(types)
        defs["LLMTriple"]["required"] = ["subject", "subject_type", "relation", "object", "object_type", "evidence"]
    return schema


def describe_ontology(ontology: Ontology) -> tuple[str, str]:
    """The entity-type and relation-type blocks of the extraction prompt."""
    types = []
    for t in ontology.entity_types:
        hint = t.description or (", ".join(t.nouns[:6]) if t.nouns else "")
        types.append(f"- {t.name}" + (f": {hint}" if hint else ""))
    rels = []
    for r in ontology.relation_types:
        line = f"- {'|'.join(r.domain)} -[{r.name}]-> {'|'.join(r.range)}"
        extras = []
        if r.description:
            extras.append(r.description)
        if r.phrases:
            extras.append("e.g. " + ", ".join(f'"{p}"' for p in r.phrases[:4]))
        if r.symmetric:
            extras.append("symmetric")
        rels.append(line + (f"  ({'; '.join(extras)})" if extras else ""))
    return "\n".join(types), "\n".join(rels)


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]{3,}", text.lower())}


def select_examples(prompt: Prompt, ontology: Ontology, text: str, k: int = 2) -> str:
    """The prompt's few-shot examples that fit the ontology, most word-overlap with ``text`` first."""
    relations = set(ontology.relation_names)
    types = set(ontology.entity_names)
    fitting = []
    for ex in prompt.examples:
        out = ex.get("output") or {}
        rels = {t.get("relation") for t in out.get("triples", [])}
        ents = {e.get("type") for e in out.get("entities", [])}
        if rels and rels <= relations and ents <= types:
            fitting.append(ex)
    words = _words(text)
    fitting.sort(key=lambda ex: -len(words & _words(ex.get("text", ""))))
    if not fitting[:k]:
        return ""
    blocks = [
        f'Example text:\n"""\n{ex["text"]}\n"""\nExample JSON:\n{json.dumps(ex["output"], ensure_ascii=False)}\n'
        for ex in fitting[:k]
    ]
    return "Examples:\n" + "\n".join(blocks)


# ------------------------------------------------------------------------------------------- validation


def _norm_relation(name: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", name.strip().upper()).strip("_")


def _find(haystack: str, needle: str) -> int:
    if not needle:
        return -1
    i = haystack.find(needle)
    return i if i >= 0 else haystack.lower().find(needle.lower())


class LLMExtractor:
    """Implements the ``Extractor`` protocol (``kgqa.ingest.extract.base``) with an LLM."""

    def __init__(self, llm: LLM, settings: Any = None) -> None:
        self.llm = llm
        self.settings = settings
        self.name = f"llm:{llm.spec}"
        self.prompt = load_prompt("extraction", settings)
        self.params = task_params("extraction", settings)
        self.reasks = int(getattr(settings, "llm_reasks", 2)) if settings is not None else 2
        self.concurrency = max(1, int(getattr(settings, "llm_concurrency", 4))) if settings is not None else 4

    @property
    def prompt_ref(self) -> str:
        return self.prompt.ref

    def extract(self, doc: Document, chunks: Sequence[Chunk], ontology: Ontology) -> list[Extraction]:
        """One ``Extraction`` per chunk, in order; failures are reported per chunk."""
        return self._run([(doc, chunk) for chunk in chunks], ontology)

    def extract_many(
        self, docs: Sequence[Document], chunk_lists: Sequence[Sequence[Chunk]], ontology: Ontology
    ) -> list[list[Extraction]]:
        """Several documents at once: all their chunks share one bounded pool (the build pipeline batches)."""
        jobs = [(doc, chunk) for doc, chunks in zip(docs, chunk_lists, strict=True) for chunk in chunks]
        flat = iter(self._run(jobs, ontology))
        return [[next(flat) for _ in chunks] for chunks in chunk_lists]

    def _run(self, jobs: list[tuple[Document, Chunk]], ontology: Ontology) -> list[Extraction]:
        """Extract every (document, chunk) on a bounded pool, in order. The first wrong-setting or server-down
        error is raised, and chunks not yet sent are not sent (a hung server would time each one out)."""
        sem = _semaphore(self.concurrency)
        stop: list[BaseException] = []

        def run(job: tuple[Document, Chunk]) -> Extraction:
            with sem:
                if stop:
                    raise stop[0]
                try:
                    return self.extract_chunk(job[0], job[1], ontology)
                except (LLMConfigError, LLMUnavailable) as exc:
                    stop.append(exc)
                    raise

        if len(jobs) <= 1 or self.concurrency == 1:
            return [run(job) for job in jobs]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(jobs)), thread_name_prefix="kgqa-llm") as pool:
            return list(pool.map(run, jobs))

    def extract_chunk(self, doc: Document, chunk: Chunk, ontology: Ontology) -> Extraction:
        entity_block, relation_block = describe_ontology(ontology)
        messages = self.prompt.render(
            ontology_name=ontology.name,
            entity_types=entity_block,
            relation_types=relation_block,
            examples=select_examples(self.prompt, ontology, chunk.text),
            context=self._context(doc, chunk),
            text=chunk.text,
        )
        try:
            result = complete_structured(
                self.llm,
                messages,
                ExtractionOutput,
                self.params,
                prompt=self.prompt.ref,
                reasks=self.reasks,
                json_schema=output_schema(ontology),
            )
        except ContextLengthExceeded as exc:
            return self._split(doc, chunk, ontology, exc)
        except (LLMConfigError, LLMUnavailable):
            raise  # wrong settings, or the server is down or hung: every chunk would fail; stop (the rerun resumes)
        except LLMError as exc:
            log.info("extraction failed for %s: %s", chunk.id, exc.message)
            spent = getattr(exc, "completions", [])
            usage = {
                "prompt_tokens": sum(c.usage.get("prompt_tokens", 0) for c in spent),
                "completion_tokens": sum(c.usage.get("completion_tokens", 0) for c in spent),
                "calls": len(spent),
                "cache_hits": sum(1 for c in spent if c.cached),
                "failed_chunks": 1,
            }
            return Extraction(errors=[f"{chunk.id}: extraction failed: {exc.message}"], usage=usage)
        extraction = self.validate(result.value, doc, chunk, ontology)
        extraction.usage = {
            **result.usage,
            "calls": result.attempts,
            "cache_hits": sum(1 for c in result.completions if c.cached),
            "reasks": result.attempts - 1,
        }
        if result.errors:
            extraction.errors.append(
                f"{chunk.id}: repaired after {len(result.errors)} re-ask(s): {result.errors[0].splitlines()[0]}"
            )
        return extraction

    def _split(self, doc: Document, chunk: Chunk, ontology: Ontology, exc: ContextLengthExceeded) -> Extraction:
        """A chunk too long for the model's context: extract its two halves (by sentences) and join them."""
        if len(chunk.sentences) < 2:
            return Extraction(
                errors=[f"{chunk.id}: extraction failed: one sentence longer than the context: {exc.message}"]
            )
        log.info("%s does not fit the model's context: extracting it in two halves", chunk.id)
        middle = len(chunk.sentences) // 2
        parts = [
            self.extract_chunk(doc, _sub_chunk(doc, chunk, sentences), ontology)
            for sentences in (chunk.sentences[:middle], chunk.sentences[middle:])
        ]
        joined = Extraction(errors=[f"{chunk.id}: split in two: it does not fit the model's context"])
        for part in parts:
            joined.mentions.extend(part.mentions)
            joined.facts.extend(part.facts)
            joined.errors.extend(part.errors)
            for key, value in part.usage.items():
                joined.usage[key] = joined.usage.get(key, 0) + value
        return joined

    @staticmethod
    def _context(doc: Document, chunk: Chunk, chars: int = 400) -> str:
        """The document title and the text just before the chunk, so pronouns at its start can be resolved."""
        parts = []
        if doc.title:
            parts.append(f"Document title: {doc.title}")
        before = doc.text[max(0, chunk.start - chars) : chunk.start].strip() if chunk.start > 0 else ""
        if before:
            cut = before.find(" ") if len(before) >= chars else -1
            parts.append(
                f'Preceding text (for resolving pronouns only; extract nothing from it):\n"""\n{before[cut + 1 :]}\n"""'
            )
        return "\n".join(parts) + ("\n" if parts else "")

    def validate(self, output: ExtractionOutput, doc: Document, chunk: Chunk, ontology: Ontology) -> Extraction:
        """Keep what the ontology and the text support; drop the rest with a reason."""
        ex = Extraction()
        type_by_lower = {t.lower(): t for t in ontology.entity_names}
        known_types: dict[str, str] = {}
        for ent in output.entities:
            name = ent.name.strip()
            etype = type_by_lower.get(ent.type.strip().lower())
            if not name:
                continue
            if etype is None:
                ex.errors.append(f"{chunk.id}: dropped entity {name!r}: unknown type {ent.type!r}")
                continue
            if _find(doc.text[: chunk.end], name) < 0:
                ex.errors.append(f"{chunk.id}: dropped entity {name!r}: not in the text")
                continue
            known_types.setdefault(name.lower(), etype)
            self._mention(ex, chunk, name, etype)
        seen: set[tuple[str, str, str]] = set()
        for triple in output.triples:
            fact, problem = self._fact(triple, doc, chunk, ontology, known_types, type_by_lower)
            label = f"({triple.subject}, {triple.relation}, {triple.object})"
            if fact is None:
                ex.errors.append(f"{chunk.id}: dropped triple {label}: {problem}")
                continue
            if problem:
                ex.errors.append(f"{chunk.id}: repaired triple {label}: {problem}")
            key = (fact.subject.lower(), fact.relation, fact.object.lower())
            if key in seen:
                continue
            seen.add(key)
            fact.doc_id = doc.id
            ex.facts.append(fact)
            self._mention(ex, chunk, fact.subject, fact.subject_type)
            self._mention(ex, chunk, fact.object, fact.object_type)
        return ex

    @staticmethod
    def _mention(ex: Extraction, chunk: Chunk, name: str, etype: str | None) -> None:
        """Record a mention once; offsets only when the name is written in the chunk itself (not just before it)."""
        if any(m.name.lower() == name.lower() for m in ex.mentions):
            return
        pos = _find(chunk.text, name)
        start = chunk.start + pos if pos >= 0 else None
        ex.mentions.append(
            EntityMention(name, etype, chunk.id, start, start + len(name) if start is not None else None)
        )

    def _fact(
        self,
        triple: LLMTriple,
        doc: Document,
        chunk: Chunk,
        ontology: Ontology,
        known_types: dict[str, str],
        type_by_lower: dict[str, str],
    ) -> tuple[Fact | None, str]:
        subject, obj = triple.subject.strip(), triple.object.strip()
        if not subject or not obj:
            return None, "empty subject or object"
        relation = ontology.relation(_norm_relation(triple.relation))
        if relation is None:
            return None, f"unknown relation {triple.relation!r} (not in the ontology)"
        if subject.lower() == obj.lower():
            return None, "subject and object are the same"
        for name in (subject, obj):  # in the chunk, or just before it (a pronoun's antecedent)
            if _find(doc.text[: chunk.end], name) < 0:
                return None, f"{name!r} does not occur in the text"

        def resolve(name: str, given: str | None, allowed: list[str]) -> str | None:
            if given:
                return type_by_lower.get(given.strip().lower(), f"?{given}")
            if name.lower() in known_types:
                return known_types[name.lower()]
            return allowed[0] if len(allowed) == 1 else None

        s_type = resolve(subject, triple.subject_type, relation.domain)
        o_type = resolve(obj, triple.object_type, relation.range)
        for t in (s_type, o_type):
            if t and t.startswith("?"):
                return None, f"unknown entity type {t[1:]!r}"
        note = ""
        fits = (s_type in relation.domain or s_type is None) and (o_type in relation.range or o_type is None)
        if not fits:
            flipped = (o_type in relation.domain or o_type is None) and (s_type in relation.range or s_type is None)
            if flipped and not relation.symmetric:
                subject, obj, s_type, o_type = obj, subject, o_type, s_type
                note = f"reversed to fit {relation.name}: {'|'.join(relation.domain)} -> {'|'.join(relation.range)}"
            else:
                return None, (
                    f"{s_type} -[{relation.name}]-> {o_type} violates the ontology "
                    f"({'|'.join(relation.domain)} -> {'|'.join(relation.range)})"
                )
        sentence = self._evidence(chunk, triple.evidence, subject, obj)
        return (
            Fact(
                subject=subject,
                relation=relation.name,
                object=obj,
                subject_type=s_type,
                object_type=o_type,
                chunk_id=chunk.id,
                sentence=sentence.text if sentence else triple.evidence,
                sentence_index=sentence.index if sentence else None,
                extractor=f"{self.name}/{self.prompt.ref}",  # provenance: model and prompt version
                confidence=0.9,
            ),
            note,
        )

    @staticmethod
    def _evidence(chunk: Chunk, quote: str, subject: str, obj: str) -> Any:
        """The chunk sentence the LLM quoted (fuzzy), else one naming the object (and the subject)."""
        if not chunk.sentences:
            return None
        from rapidfuzz import fuzz

        if quote:
            best = max(chunk.sentences, key=lambda s: fuzz.ratio(s.text, quote))
            if fuzz.ratio(best.text, quote) >= 80:
                return best
        both = [s for s in chunk.sentences if _find(s.text, subject) >= 0 and _find(s.text, obj) >= 0]
        if both:
            return both[0]
        either = [s for s in chunk.sentences if _find(s.text, obj) >= 0]
        return either[0] if either else chunk.sentences[0]
