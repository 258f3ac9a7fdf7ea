"""The question → Cypher example bank: mining, storage, retrieval, and a generator that uses it.

An example is a question *template* (the linked entity masked as ``[ENTITY]``) with a parameterised
Cypher query (``$entity``) that answers it. Examples come from two places:

- hand-written files (``cypher/examples/corpus.jsonl`` for the sample-corpus ontology);
- mining (``kgqa examples mine --qa FILE``): for question/answer pairs over an existing graph, the
  relation paths (up to 3 hops, any direction) from the question's entity to its gold answers are
  found with bounded Cypher path queries, each path is scored by the F1 of the answers it reaches
  against the gold answers (shorter paths win ties), and the best are stored, deduplicated by
  (template, path).

``ExampleBank.search`` finds the examples whose templates are most similar to a question (the
entity masked the same way): exact template matches first, then cosine similarity of MiniLM
embeddings (``kgqa.nlp.embed``; the bank's vectors are cached in an ``.npy`` next to it, keyed by a
hash of its content). ``ExampleGenerator`` turns the top examples into ``CypherCandidate``s with the
linked entities re-bound to ``$e0``, ``$e1``, ... (the ``kgqa.qa.generate`` query contract).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from kgqa.errors import InputError
from kgqa.names import RELATION_TYPE_RE, normalize_name

if TYPE_CHECKING:
    from kgqa.graph.client import Graph
    from kgqa.graph.schema import GraphSchema
    from kgqa.qa.model import LinkedEntity

log = logging.getLogger(__name__)

MASK = "[ENTITY]"
ENTITY_PARAM = "entity"
EMBEDDING_MODEL = "all-MiniLM-L6-v2"
DEFAULT_LIMIT = 100
BRACKET_RE = re.compile(r"\[([^\[\]]+)\]")
MASK_RE = re.compile(r"\[ENTITY(\d*)\]")
PARAM_RE = re.compile(r"\$entity(\d*)\b")
PARAM_KEY_RE = re.compile(r"^entity\d*$")


def default_bank_dir() -> Path:
    """``cypher/examples`` of the project (the working directory's, else the source checkout's)."""
    here = Path.cwd() / "cypher" / "examples"
    if here.is_dir():
        return here
    return Path(__file__).resolve().parents[2] / "cypher" / "examples"


# ---------------------------------------------------------------------------- templates


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


# ---------------------------------------------------------------------------- examples


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
    never an answer, answers reached by more paths come first.
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
        "WITH answer, collect(path) AS paths\n"
        "ORDER BY size(paths) DESC, answer.name\n"
        f"RETURN answer, paths[..3] AS path LIMIT {int(limit)}"
    )


def describe_path(path: list[Step] | list[list[str]]) -> str:
    parts = ["[ENTITY]"]
    for rel_type, direction in path:
        parts.append({"out": f"-{rel_type}->", "in": f"<-{rel_type}-"}.get(direction, f"-{rel_type}-"))
        parts.append("?")
    return " ".join(parts)


# ---------------------------------------------------------------------------- QA files


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


# ---------------------------------------------------------------------------- mining


SIGNATURES_CYPHER = """
MATCH p = (s:Entity {{id: $sid}})-[*1..{hops}]-(x:Entity)
WHERE x.id IN $aids AND x <> s
WITH x, [r IN relationships(p) | type(r)] AS types,
     [i IN range(0, length(p) - 1) | startNode(relationships(p)[i]) = nodes(p)[i]] AS forward
RETURN types, forward, count(DISTINCT x) AS hits
LIMIT 2000
"""


def _count_cypher(path: list[Step]) -> str:
    cypher = path_cypher(path)
    head = cypher.split("\nWITH", 1)[0]
    return head + "\nRETURN count(DISTINCT answer) AS n"


@dataclass
class MiningReport:
    questions: int = 0
    templates: int = 0
    mined_questions: int = 0
    unresolved_entity: int = 0
    no_path: int = 0
    timeouts: int = 0
    examples: list[Example] = field(default_factory=list)
    seconds: float = 0.0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        f1s = [e.f1 for e in self.examples]
        return {
            "questions": self.questions,
            "templates": self.templates,
            "mined_questions": self.mined_questions,
            "unresolved_entity": self.unresolved_entity,
            "no_path": self.no_path,
            "timeouts": self.timeouts,
            "examples": len(self.examples),
            "mean_f1": round(float(np.mean(f1s)), 4) if f1s else None,
            "hops": dict(sorted(Counter(e.hops for e in self.examples).items())),
            "seconds": round(self.seconds, 1),
            "malformed_lines": len(self.errors),
        }


class PathMiner:
    """Find the relation paths that explain question/answer pairs, with bounded Cypher path queries."""

    def __init__(
        self,
        graph: Graph,
        *,
        max_hops: int = 3,
        per_template: int = 3,
        timeout: float = 30.0,
        keep_ratio: float = 0.9,
        max_per_template: int = 10,
    ) -> None:
        if not 1 <= max_hops <= 3:
            raise InputError("max hops must be 1, 2 or 3", "paths longer than 3 hops are not mined")
        self.graph = graph
        self.max_hops = max_hops
        self.per_template = per_template
        self.timeout = timeout
        self.keep_ratio = keep_ratio
        self.max_per_template = max(max_per_template, per_template)
        self._ids: dict[str, list[str]] = {}

    def resolve(self, names: Iterable[str]) -> dict[str, list[str]]:
        """Entity ids per name: exact ``name`` first, then the normalised ``norm``."""

        todo = sorted({n for n in names if n not in self._ids})
        for i in range(0, len(todo), 1000):
            chunk = todo[i : i + 1000]
            rows = self.graph.read(
                "UNWIND $names AS name MATCH (e:Entity {name: name}) RETURN name, e.id AS id",
                {"names": chunk},
                max_rows=100_000,
            ).rows
            found: dict[str, list[str]] = defaultdict(list)
            for row in rows:
                found[row["name"]].append(row["id"])
            missing = [n for n in chunk if n not in found]
            if missing:
                norms = {normalize_name(n): n for n in missing}
                rows = self.graph.read(
                    "UNWIND $norms AS norm MATCH (e:Entity {norm: norm}) RETURN norm, e.id AS id",
                    {"norms": list(norms)},
                    max_rows=100_000,
                ).rows
                for row in rows:
                    found[norms[row["norm"]]].append(row["id"])
            for name in chunk:
                self._ids[name] = sorted(set(found.get(name, [])))
        return {n: self._ids.get(n, []) for n in names}

    def score_paths(self, entity_id: str, gold_ids: dict[str, list[str]], hops: int) -> dict[tuple[Step, ...], float]:
        """F1 of every path (up to ``hops`` steps) that reaches at least one gold answer."""
        all_ids = sorted({i for ids in gold_ids.values() for i in ids})
        if not all_ids:
            return {}
        rows = self.graph.read(
            SIGNATURES_CYPHER.format(hops=int(hops)),
            {"sid": entity_id, "aids": all_ids},
            timeout=self.timeout,
            max_rows=2000,
        ).rows
        hits: dict[tuple[Step, ...], int] = {}
        for row in rows:
            sig = tuple((t, "out" if f else "in") for t, f in zip(row["types"], row["forward"], strict=True))
            hits[sig] = hits.get(sig, 0) + int(row["hits"])
        if not hits:
            return {}
        gold_n = len(gold_ids)
        best_recall = max(hits.values()) / gold_n
        scores: dict[tuple[Step, ...], float] = {}
        for sig, hit in hits.items():
            recall = hit / gold_n
            if recall < 0.5 * best_recall:
                continue  # cannot win; skip the (costlier) precision query
            total = self.graph.value(_count_cypher(list(sig)), {"entity": entity_id}, default=0) or 0
            precision = hit / total if total else 0.0
            scores[sig] = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return scores

    def _score_item(self, item: QAItem, report: MiningReport) -> dict[tuple[Step, ...], float]:
        from kgqa.graph.client import QueryFailed

        ids = self._ids.get(item.entity)
        if ids is None:
            ids = self.resolve([item.entity])[item.entity]
        if not ids:
            report.unresolved_entity += 1
            return {}
        missing = [a for a in item.answers if a not in self._ids]
        if missing:
            self.resolve(missing)
        gold = {a: self._ids.get(a, []) for a in item.answers}
        best: dict[tuple[Step, ...], float] = {}
        for eid in ids[:3]:  # a name shared by several entities: try each, keep the best
            try:
                scores = self.score_paths(eid, gold, self.max_hops)
            except QueryFailed as exc:
                report.timeouts += 1
                log.info("mining %r: %s", item.question, exc)
                continue
            for sig, f1 in scores.items():
                best[sig] = max(best.get(sig, 0.0), f1)
        if best:
            report.mined_questions += 1
        else:
            report.no_path += 1
        return best

    def mine(
        self,
        items: list[QAItem],
        *,
        source: str = "",
        on_progress: Callable[[int, int], None] | None = None,
    ) -> MiningReport:
        """Mine examples: per template, score paths on up to ``per_template`` questions and keep the best."""
        start = time.perf_counter()
        report = MiningReport(questions=len(items))
        by_template: dict[str, list[QAItem]] = defaultdict(list)
        for item in items:
            by_template[normalize_template(item.masked)].append(item)
        report.templates = len(by_template)
        chosen: list[tuple[str, list[QAItem]]] = []
        for template, group in by_template.items():
            seen_entities: set[str] = set()
            picked = []
            for item in group:
                if item.entity in seen_entities:
                    continue
                seen_entities.add(item.entity)
                picked.append(item)
                if len(picked) >= self.max_per_template:
                    break
            chosen.append((template, picked))
        total = sum(min(len(p), self.per_template) for _, p in chosen)
        self.resolve({i.entity for _, p in chosen for i in p} | {a for _, p in chosen for i in p for a in i.answers})
        done = 0
        examples: dict[tuple[str, str], Example] = {}
        for _template, picked in chosen:
            per_question: list[dict[tuple[Step, ...], float]] = []
            ranked: list[tuple[tuple[Step, ...], float]] = []
            support: dict[tuple[Step, ...], int] = defaultdict(int)
            for n, item in enumerate(picked):
                if n >= self.per_template and not _tied(ranked, self.keep_ratio):
                    break  # enough questions and a clear winner; ties get more questions
                done += 1
                scores = self._score_item(item, report)
                if scores:
                    per_question.append(scores)
                    ranked, support = _rank(per_question)
                if on_progress:
                    on_progress(done, max(total, done))
            if not ranked or ranked[0][1] <= 0:
                continue
            top = ranked[0][1]
            for sig, f1 in ranked[:3]:
                if f1 < self.keep_ratio * top:
                    break
                sample_ids = self._ids.get(picked[0].entity) or [""]
                example = Example(
                    question=picked[0].masked,
                    cypher=path_cypher(list(sig)),
                    params={ENTITY_PARAM: sample_ids[0]},  # the sample's binding; re-bound on use
                    path=[list(step) for step in sig],
                    hops=len(sig),
                    f1=round(f1, 4),
                    support=support[sig],
                    source=source,
                    sample=picked[0].question,
                    description=describe_path(list(sig)),
                )
                examples.setdefault(example.key, example)
        report.examples = list(examples.values())
        report.seconds = time.perf_counter() - start
        return report


def _rank(
    per_question: list[dict[tuple[Step, ...], float]],
) -> tuple[list[tuple[tuple[Step, ...], float]], dict[tuple[Step, ...], int]]:
    """Paths by mean F1 over the questions (missing = 0), shorter first on ties; and their support."""
    mean: dict[tuple[Step, ...], float] = defaultdict(float)
    support: dict[tuple[Step, ...], int] = defaultdict(int)
    for scores in per_question:
        for sig, f1 in scores.items():
            mean[sig] += f1 / len(per_question)
            if f1 > 0.5:
                support[sig] += 1
    ranked = sorted(mean.items(), key=lambda kv: (-round(kv[1], 6), len(kv[0]), kv[0]))
    return ranked, support


def _tied(ranked: list[tuple[tuple[Step, ...], float]], keep_ratio: float) -> bool:
    """True when the runner-up is as short as the best and scores within ``keep_ratio`` of it."""
    if len(ranked) < 2:
        return False
    (best, top), (second, f1) = ranked[0], ranked[1]
    return len(second) <= len(best) and f1 >= keep_ratio * top


# ---------------------------------------------------------------------------- the bank


class ExampleBank:
    """Examples loaded from jsonl files, searchable by template similarity."""

    def __init__(self, examples: list[Example], paths: list[Path] | None = None) -> None:
        seen: dict[tuple[str, str], Example] = {}
        for example in examples:
            seen.setdefault(example.key, example)
        self.examples = list(seen.values())
        self.paths = paths or []
        self._exact: dict[str, list[int]] = defaultdict(list)
        for i, example in enumerate(self.examples):
            self._exact[normalize_template(example.question)].append(i)
        self._vectors: np.ndarray | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.examples)

    # -- files

    @classmethod
    def load(cls, path: str | Path | None = None) -> ExampleBank:
        """Load a jsonl file or every ``*.jsonl`` in a directory (default: ``cypher/examples``)."""
        path = Path(path) if path else default_bank_dir()
        if path.is_dir():
            files = sorted(path.glob("*.jsonl"))
        elif path.is_file():
            files = [path]
        else:
            raise InputError(f"no example bank at {path}", "run `kgqa examples mine` or pass --examples DIR")
        examples: list[Example] = []
        for file in files:
            with file.open(encoding="utf-8") as fh:
                for number, line in enumerate(fh, 1):
                    if not line.strip():
                        continue
                    try:
                        examples.append(Example.from_json(json.loads(line)))
                    except (ValueError, TypeError) as exc:
                        raise InputError(f"{file}:{number}: bad example: {exc}", "fix or delete that line") from exc
        return cls(examples, files)

    @classmethod
    def cached(cls, path: str | Path | None = None) -> ExampleBank:
        """The bank at ``path``, loaded once per process (reloaded when its files change)."""
        resolved = (Path(path) if path else default_bank_dir()).resolve()
        stamp = _stamp(resolved)
        with _CACHE_LOCK:
            hit = _CACHE.get(resolved)
            if hit is not None and hit[0] == stamp:
                return hit[1]
        bank = cls.load(resolved)
        with _CACHE_LOCK:
            _CACHE[resolved] = (stamp, bank)
        return bank

    def save(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            for example in self.examples:
                fh.write(json.dumps(example.to_json(), ensure_ascii=False) + "\n")
        tmp.replace(path)
        return path

    # -- search

    def content_hash(self) -> str:
        digest = hashlib.sha256(EMBEDDING_MODEL.encode())
        for example in self.examples:
            digest.update(b"\0" + example.question.encode("utf-8"))
        return digest.hexdigest()[:16]

    def _cache_file(self) -> Path | None:
        if not self.paths:
            return None
        first = self.paths[0]
        return first.parent / f".{first.stem}.{self.content_hash()}.npy"

    def vectors(self) -> np.ndarray:
        """Embeddings of the masked templates (cached in an .npy next to the bank)."""
        with self._lock:
            if self._vectors is not None:
                return self._vectors
            cache = self._cache_file()
            if cache is not None and cache.exists():
                try:
                    vectors = np.load(cache)
                    if vectors.shape == (len(self.examples), vectors.shape[1]):
                        self._vectors = vectors
                        return vectors
                except (OSError, ValueError):
                    pass
            from kgqa.nlp import embed

            vectors = embed([_embed_text(e.question) for e in self.examples])
            self._vectors = vectors
            if cache is not None:
                try:
                    for stale in cache.parent.glob(f".{self.paths[0].stem}.*.npy"):
                        stale.unlink(missing_ok=True)
                    np.save(cache, vectors)
                except OSError:
                    log.debug("cannot write the embedding cache %s", cache)
            return vectors

    def exact(self, question: str, entity_mentions: Iterable[str] = ()) -> list[Example]:
        """Examples whose template equals the question's (no embedding needed)."""
        masked = mask_question(question, entity_mentions)
        hits = [replace(self.examples[i], score=1.0) for i in self._exact.get(normalize_template(masked), [])]
        return sorted(hits, key=lambda e: (-e.f1, -e.support, e.hops))

    def search(self, question: str, entity_mentions: Iterable[str] = (), k: int = 5) -> list[Example]:
        """The ``k`` examples most similar to the question (entity masked), best first, with ``score``."""
        if not self.examples or k <= 0:
            return []
        mentions = list(entity_mentions)
        masked = mask_question(question, mentions)
        exact = self.exact(question, mentions)
        if len(exact) >= k:
            return exact[:k]
        from kgqa.nlp import embed

        query = embed([_embed_text(masked)])[0]
        scores = self.vectors() @ query
        order = np.argsort(-scores)[: k + len(exact)]
        seen = {e.id for e in exact}
        hits = list(exact)
        for i in order:
            example = self.examples[int(i)]
            if example.id in seen:
                continue
            hits.append(replace(example, score=round(float(scores[int(i)]), 4)))
            if len(hits) >= k:
                break
        return hits


_CACHE: dict[Path, tuple[tuple, ExampleBank]] = {}
_CACHE_LOCK = threading.Lock()


def _stamp(path: Path) -> tuple:
    if path.is_dir():
        return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(path.glob("*.jsonl")))
    if path.exists():
        return ((path.name, path.stat().st_mtime_ns, path.stat().st_size),)
    return ()


def _embed_text(template: str) -> str:
    # The mask as a neutral word embeds better than the bracket token.
    return MASK_RE.sub("something", template)


# ---------------------------------------------------------------------------- generator

try:
    from kgqa.qa.generate import CypherCandidate, entity_params
except ImportError:  # pragma: no cover - only until the ask pipeline's interfaces are on main

    @dataclass
    class CypherCandidate:  # type: ignore[no-redef]
        cypher: str
        params: dict[str, Any] = field(default_factory=dict)
        source: str = "parser"
        answer_type_hint: str | None = None
        description: str = ""
        trace: list[Any] = field(default_factory=list)

    def entity_params(linked: list[Any]) -> dict[str, str]:  # type: ignore[no-redef]
        return {f"e{i}": entity.id for i, entity in enumerate(linked)}


def rebind(cypher: str, linked_count: int) -> str | None:
    """``$entity`` → ``$e0``, ``$entity2`` → ``$e1``, ...; None when the example needs more entities."""
    needed = 0

    def repl(match: re.Match[str]) -> str:
        nonlocal needed
        index = int(match.group(1)) - 1 if match.group(1) else 0
        needed = max(needed, index + 1)
        return f"$e{index}"

    out = PARAM_RE.sub(repl, cypher)
    if needed > linked_count:
        return None
    return out


def _rel_types(cypher: str) -> set[str]:
    return set(re.findall(r"\[[a-zA-Z_0-9]*:`?([A-Z][A-Z0-9_]*)`?", cypher))


class ExampleGenerator:
    """A ``CypherGenerator``: candidates from the most similar examples, linked entities re-bound.

    Exact template matches are yielded before any embedding is computed, so the common case costs
    a dictionary lookup; only when the question's template is not in the bank are similar templates
    (above ``min_score``) tried.
    """

    name = "examples"

    def __init__(self, bank: ExampleBank | None = None, *, k: int = 5, min_score: float = 0.75) -> None:
        self._bank = bank
        self.k = k
        self.min_score = min_score

    @property
    def bank(self) -> ExampleBank:
        if self._bank is None:
            self._bank = ExampleBank.cached()
        return self._bank

    def candidates(
        self,
        question: str,
        linked: list[LinkedEntity],
        schema: GraphSchema | None = None,
        examples: list[Any] | None = None,
        feedback: str | None = None,
    ) -> Iterator[CypherCandidate]:
        if not linked:
            return
        mentions = [e.mention for e in linked]
        params = entity_params(linked)
        complete = schema is not None and (schema.types_complete or not schema.sampled)
        known_types = set(schema.relationship_types) if complete else None
        seen: set[str] = set()

        def make(example: Any) -> CypherCandidate | None:
            cypher = rebind(example.cypher, len(linked))
            if cypher is None or cypher in seen:
                return None
            if known_types is not None and not _rel_types(cypher) <= known_types:
                return None
            seen.add(cypher)
            return CypherCandidate(
                cypher=cypher,
                params={
                    **params,
                    **{
                        k: v for k, v in (example.params or {}).items() if k not in params and not PARAM_KEY_RE.match(k)
                    },
                },
                source=f"example:{getattr(example, 'id', '') or 'given'}",
                description=getattr(example, "description", "") or f"like: {example.question}",
                answer_type_hint=None,
            )

        given = list(examples or [])
        for example in given:
            candidate = make(example)
            if candidate is not None:
                yield candidate
        if self._bank is None and not default_bank_dir().exists():
            return
        bank = self.bank
        exact = False
        for example in bank.exact(question, mentions):
            candidate = make(example)
            if candidate is not None:
                exact = True
                yield candidate
        if exact:
            # The question's own template is known: a merely similar template would answer a different
            # question (e.g. "...starred in which films" vs "...films directed by whom") when the right
            # query is refused for another reason (too many rows). No answer beats a wrong one.
            return
        for example in bank.search(question, mentions, self.k):
            if example.score < self.min_score:
                break
            candidate = make(example)
            if candidate is not None:
                yield candidate
