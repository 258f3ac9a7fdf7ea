"""Entity linking: question mentions → graph entities.

Methods, in order: runs written as titles that are an exact name as a whole ("Me Without You", "The Free
Will", whatever their words), exact (normalised name or ``norm``, longest spans first), alias (``aliases``
list), fuzzy (rapidfuzz over the in-process name index), embedding (MiniLM over entity names; small graphs
only) as the last resort. Of several entities with one normalised name, the one spelt as in the question
comes first.
The name index is loaded once per graph and process and reloaded when the graph changes
(``kgqa.graph.version``: checked at most once a second), so linking rarely costs a database round trip.
Ambiguity (several entities with the same or close scores) is reported in ``alternatives``.
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from kgqa.graph.client import Graph
from kgqa.graph.version import graph_version
from kgqa.qa.model import LinkedEntity

INDEX_LIMIT = 500_000  # entities loaded into the in-process name index
EMBED_LIMIT = 5_000  # embedding fallback only for graphs up to this many entities
FUZZY_THRESHOLD = 88.0
EMBED_THRESHOLD = 0.80
# embedding fallback: True = always, False = never, None = only when the model is already loaded
embedding_fallback: bool | None = None
# spaCy noun chunks/entities as extra spans when nothing matched: same policy
spacy_spans: bool | None = None
MAX_SPAN = 8
JOINERS = {"vs", "v"}  # lower-case words inside titles besides the STOP words ("Puppet Master vs Demonic Toys")

# words never linked on their own (question words, auxiliaries, determiners, generic nouns)
_STOP_WORDS = (
    "a an the of in on at for to from by with and or but not no is are was were be been being am do does "
    "did has have had who whom whose what which where when why how many much that this these those it its "
    "he she they them his her their there here me my i you your we our us please list name show give tell "
    "find all any some each every other another also else ever currently now then than as into about over "
    "under after before between through during without within s 's"
)
STOP = set(_STOP_WORDS.split())


def normalise(text: str) -> str:
    """Lower-case, strip accents and punctuation, collapse whitespace (``"Acme, Inc."`` → ``"acme inc"``)."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.lower().replace("’", "'")
    text = re.sub(r"'s\b", "", text)
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


@dataclass
class EntityRecord:
    id: str
    name: str
    type: str | None
    aliases: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)


@dataclass
class NameIndex:
    """Every entity's normalised names, for exact/alias/fuzzy lookup without a round trip."""

    entities: dict[str, EntityRecord] = field(default_factory=dict)
    by_name: dict[str, list[str]] = field(default_factory=dict)  # norm(name) / norm → ids
    by_alias: dict[str, list[str]] = field(default_factory=dict)  # norm(alias) → ids
    keys: list[str] = field(default_factory=list)  # all names + aliases, for fuzzy matching
    max_words: int = 1
    count: int = 0
    loaded_at: float = 0.0
    version: tuple[int, ...] = ()
    _embeddings: Any = None

    @classmethod
    def load(cls, graph: Graph) -> NameIndex:
        rows = graph.read(
            "MATCH (e:Entity) RETURN e.id AS id, e.name AS name, e.norm AS norm, e.aliases AS aliases, "
            "e.type AS type, labels(e) AS labels LIMIT $n",
            {"n": INDEX_LIMIT},
            max_rows=INDEX_LIMIT,
        ).rows
        index = cls(count=len(rows), loaded_at=time.monotonic())
        for row in rows:
            if not row.get("id"):
                continue
            labels = [lb for lb in row.get("labels") or [] if lb != "Entity"]
            name = str(row.get("name") or row["id"])
            aliases = [str(a) for a in (row.get("aliases") or []) if a]
            rec = EntityRecord(row["id"], name, row.get("type") or (labels[0] if labels else None), aliases, labels)
            index.entities[rec.id] = rec
            for key in {normalise(name), normalise(str(row.get("norm") or ""))} - {""}:
                index.by_name.setdefault(key, []).append(rec.id)
            for alias in aliases:
                key = normalise(alias)
                if key:
                    index.by_alias.setdefault(key, []).append(rec.id)
        index.keys = sorted(set(index.by_name) | set(index.by_alias))
        index.max_words = min(MAX_SPAN, max((len(k.split()) for k in index.keys), default=1))
        return index

    def lookup(self, key: str) -> tuple[str, list[str]] | None:
        """(method, ids) for an exact normalised key."""
        if key in self.by_name:
            return "exact", self.by_name[key]
        if key in self.by_alias:
            return "alias", self.by_alias[key]
        return None

    def record(self, entity_id: str) -> EntityRecord | None:
        return self.entities.get(entity_id)


_indexes: dict[tuple[str, str | None], NameIndex] = {}
_lock = threading.Lock()


def name_index(graph: Graph, *, refresh: bool = False) -> NameIndex:
    """The cached name index of ``graph`` (reloaded when the graph changed: ``kgqa.graph.version``)."""
    key = (graph.uri, graph.database)
    with _lock:
        index = _indexes.get(key)
    current = graph_version(graph)
    if index is not None and not refresh and index.version == current:
        return index
    index = NameIndex.load(graph)
    index.version = current
    with _lock:
        _indexes[key] = index
    return index


def invalidate(graph: Graph | None = None) -> None:
    """Forget cached name indexes (after a build, in tests)."""
    with _lock:
        if graph is None:
            _indexes.clear()
        else:
            _indexes.pop((graph.uri, graph.database), None)


# ---------------------------------------------------------------------------------------------- linking


@dataclass
class Mention:
    """A linked span of the question (character offsets) with its entity and alternatives."""

    start: int
    end: int
    entity: LinkedEntity
    candidates: list[EntityRecord] = field(default_factory=list)


_TOKEN = re.compile(r"[\w][\w\-\.&']*[\w]|[\w]", re.UNICODE)


def _tokens(question: str) -> list[tuple[str, int, int]]:
    out = []
    for m in _TOKEN.finditer(question):
        word, start, end = m.group(0), m.start(), m.end()
        if word.lower().endswith("'s"):
            word, end = word[:-2], end - 2
        out.append((word, start, end))
    return out


def _linked(rec: EntityRecord, mention: str, method: str, score: float, others: list[EntityRecord]) -> LinkedEntity:
    alternatives = [{"id": o.id, "name": o.name, "type": o.type, "score": round(score, 3)} for o in others]
    return LinkedEntity(
        mention=mention,
        id=rec.id,
        name=rec.name,
        type=rec.type,
        method=method,  # type: ignore[arg-type]
        score=round(score, 3),
        alternatives=alternatives,
    )


def link(question: str, graph: Graph, *, reserved: set[str] | None = None, use_spacy: bool = True) -> list[Mention]:
    """Find the graph entities a question names, longest spans first, without overlaps.

    ``reserved`` holds normalised words that are part of the question grammar (relation phrases,
    type nouns); a span made only of such words is not linked on its own.
    """
    index = name_index(graph)
    if not index.entities:
        return []
    reserved = reserved or set()
    tokens = _tokens(question)
    taken = [False] * len(tokens)
    mentions: list[Mention] = []

    def ignorable(span: list[tuple[str, int, int]]) -> bool:
        words = [normalise(t[0]) for t in span]
        return all(w in STOP or w in reserved or not w for w in words)

    # a run written as a title ("Me Without You", "The Free Will", "Man to Man") that is a name as a whole
    mentions.extend(_titled_mentions(question, tokens, taken, index, reserved))

    # a multi-word name-like run that only fuzzy-matches as a whole ("Ada Lovelance") beats exact
    # matches of its parts ("Ada")
    for start, end, surface in _open_spans(question, tokens, taken, reserved):
        inside = [k for k, t in enumerate(tokens) if t[1] >= start and t[2] <= end]
        if len(inside) < 2 or index.lookup(normalise(surface)):
            continue
        found = _fuzzy(index, surface)
        if found is not None and found[1] >= 0.9:
            method, score, recs = found
            mentions.append(Mention(start, end, _linked(recs[0], surface, method, score, recs[1:]), recs))
            for k in inside:
                taken[k] = True

    # exact and alias, longest spans first
    for size in range(min(index.max_words, len(tokens)), 0, -1):
        for i in range(len(tokens) - size + 1):
            if any(taken[i : i + size]):
                continue
            span = tokens[i : i + size]
            if ignorable(span):
                continue
            start, end = span[0][1], span[-1][2]
            surface = question[start:end]
            found = index.lookup(normalise(surface))
            if not found:
                continue
            method, ids = found
            recs = _same_case_first(index, ids, surface)
            # single lower-case common words ("paris" ok, "notes" only when capitalised)
            if size == 1 and surface.islower() and len(surface) < 4:
                continue
            mentions.append(Mention(start, end, _linked(recs[0], surface, method, 1.0, recs[1:]), recs))
            for j in range(i, i + size):
                taken[j] = True

    # fuzzy (rapidfuzz) over capitalised / quoted spans not linked yet
    for start, end, surface in _open_spans(question, tokens, taken, reserved):
        found = _fuzzy(index, surface)
        if found is None:
            found = _embedded(index, surface)
        if found is None:
            continue
        method, score, recs = found
        mentions.append(Mention(start, end, _linked(recs[0], surface, method, score, recs[1:]), recs))
    if not mentions and use_spacy:
        mentions.extend(_spacy_mentions(question, index, reserved))
    mentions = _cased_names_only(mentions)
    mentions.sort(key=lambda m: m.start)
    return mentions


def _same_case_first(index: NameIndex, ids: list[str], surface: str) -> list[EntityRecord]:
    """The entities of one normalised name, the one written exactly as in the question first ("Country", "country")."""
    recs = [index.entities[x] for x in dict.fromkeys(ids)]
    return sorted(recs, key=lambda r: r.name != surface and surface not in r.aliases)


def _capitalised(word: str) -> bool:
    return word[:1].isupper() or word[:1].isdigit()


def _joiner(word: str) -> bool:
    """A lower-case word that can sit inside a title ("of", "the", "to", "by", "vs")."""
    return word.islower() and (word in STOP or word in JOINERS)


def _titled_runs(tokens: list[tuple[str, int, int]]) -> list[tuple[int, int]]:
    """Maximal runs ``[i, j)`` of capitalised tokens, joined by lower-case joiners that lead to another one."""
    runs: list[tuple[int, int]] = []
    k, n = 0, len(tokens)
    while k < n:
        if not _capitalised(tokens[k][0]):
            k += 1
            continue
        i, j = k, k + 1
        while j < n:
            m = j
            while m < n and _joiner(tokens[m][0]):
                m += 1
            if m < n and _capitalised(tokens[m][0]):
                j = m + 1
            else:
                break
        runs.append((i, j))
        k = j
    return runs


def _titled_mentions(
    question: str, tokens: list[tuple[str, int, int]], taken: list[bool], index: NameIndex, reserved: set[str]
) -> list[Mention]:
    """Runs written as titles that are an entity's exact name as a whole, grammar words or not.

    "who directed Me Without You", "the film Man to Man", "the scriptwriter of Country": every word is a
    question word or a relation word, but the capitals say it is a name. A leading capitalised word of the
    question may be its first word rather than part of the name. A longer exact name that adds a lower-case
    content word ("university of Paris") is left to the longest-span pass.
    """
    out: list[Mention] = []
    for i, j in _titled_runs(tokens):
        for a in (i, i + 1) if i == 0 and j - i > 1 else (i,):
            words = [normalise(t[0]) for t in tokens[a:j]]
            grammar = words[0] in STOP or words[0] in reserved
            if j - a == 1 and ((a == 0 and grammar) or len(words[0]) < 2):
                continue
            surface = question[tokens[a][1] : tokens[j - 1][2]]
            found = index.lookup(normalise(surface))
            if not found or any(taken[a:j]) or _inside_longer_name(tokens, a, j, index):
                continue
            recs = _same_case_first(index, found[1], surface)
            out.append(
                Mention(tokens[a][1], tokens[j - 1][2], _linked(recs[0], surface, found[0], 1.0, recs[1:]), recs)
            )
            for k in range(a, j):
                taken[k] = True
            break
    return out


def _inside_longer_name(tokens: list[tuple[str, int, int]], a: int, b: int, index: NameIndex) -> bool:
    """Whether a longer exact name covers ``[a, b)`` and adds a lower-case word that is not a joiner."""
    for start in range(max(0, a - index.max_words), a + 1):
        for end in range(b, min(len(tokens), start + index.max_words) + 1):
            if (start, end) == (a, b):
                continue
            extra = [t[0] for t in tokens[start:a] + tokens[b:end]]
            if all(_joiner(w) for w in extra):
                continue
            if index.lookup(normalise(" ".join(t[0] for t in tokens[start:end]))):
                return True
    return False


def _cased_names_only(mentions: list[Mention]) -> list[Mention]:
    """When the question capitalises a name it links, its all-lower-case spans are words, not names.

    "what does Tony Martin star in" names Tony Martin; "star" also matches a film called Star, but a writer
    who capitalises names would have written it so. All-lower-case questions keep every match.
    """
    if not any(_has_upper(m.entity.mention) for m in mentions):
        return mentions
    return [m for m in mentions if not m.entity.mention.islower()]


def _has_upper(text: str) -> bool:
    return any(ch.isupper() for ch in text)


def _spacy_mentions(question: str, index: NameIndex, reserved: set[str]) -> list[Mention]:
    """Last look when nothing matched: word n-grams and spaCy entities/noun chunks (lower-case names, typos)."""
    from kgqa import nlp

    spans: list[tuple[int, int, str]] = []
    use = spacy_spans if spacy_spans is not None else nlp.spacy_model.cache_info().currsize > 0
    if use:  # by default only when the model is already loaded: never a multi-second load per CLI call
        doc = nlp.spacy_model()(question)
        spans += [(e.start_char, e.end_char, e.text) for e in doc.ents]
        for chunk in doc.noun_chunks:
            toks = [t for t in chunk if t.lower_ not in STOP and t.lower_ not in reserved and not t.is_punct]
            if toks:
                start, end = toks[0].idx, toks[-1].idx + len(toks[-1].text)
                spans.append((start, end, question[start:end]))
    toks = _tokens(question)
    for size in (4, 3, 2):  # word n-grams that are not grammar words
        for i in range(len(toks) - size + 1):
            span = toks[i : i + size]
            if normalise(span[0][0]) in STOP | reserved or normalise(span[-1][0]) in STOP | reserved:
                continue
            spans.append((span[0][1], span[-1][2], question[span[0][1] : span[-1][2]]))
    out: list[Mention] = []
    for start, end, surface in sorted(set(spans), key=lambda s: s[0] - s[1]):
        if any(m.start < end and start < m.end for m in out):
            continue
        found = index.lookup(normalise(surface))
        if found:
            recs = _same_case_first(index, found[1], surface)
            out.append(Mention(start, end, _linked(recs[0], surface, found[0], 1.0, recs[1:]), recs))
            continue
        fuzzy = _fuzzy(index, surface)
        if fuzzy is not None:
            method, score, recs = fuzzy
            out.append(Mention(start, end, _linked(recs[0], surface, method, score, recs[1:]), recs))
    return out


def _open_spans(
    question: str, tokens: list[tuple[str, int, int]], taken: list[bool], reserved: set[str]
) -> list[tuple[int, int, str]]:
    """Maximal runs of untaken tokens that look like names (capitalised, digits, or quoted)."""
    spans: list[tuple[int, int, str]] = []
    for m in re.finditer(r"[\"“']([^\"”']{2,80})[\"”']", question):
        spans.append((m.start(1), m.end(1), m.group(1)))
    run: list[tuple[str, int, int]] = []

    def flush() -> None:
        if run and not all(normalise(w) in reserved or normalise(w) in STOP for w, _, _ in run):
            start, end = run[0][1], run[-1][2]
            spans.append((start, end, question[start:end]))
        run.clear()

    for k, (word, start, end) in enumerate(tokens):
        low = normalise(word)
        name_like = (word[:1].isupper() or any(c.isdigit() for c in word)) and low not in STOP
        if not taken[k] and name_like:
            run.append((word, start, end))
        elif run and not taken[k] and low in {"of", "the", "de", "and", "&", "von", "van"} and k + 1 < len(tokens):
            nxt = tokens[k + 1][0]
            if nxt[:1].isupper():
                run.append((word, start, end))
            else:
                flush()
        else:
            flush()
    flush()
    # drop spans overlapping linked tokens
    linked_ranges = [(t[1], t[2]) for t, used in zip(tokens, taken, strict=True) if used]
    return [s for s in spans if not any(a < s[1] and s[0] < b for a, b in linked_ranges)]


def _fuzzy(index: NameIndex, surface: str) -> tuple[str, float, list[EntityRecord]] | None:
    from rapidfuzz import fuzz, process

    key = normalise(surface)
    if len(key) < 3:
        return None
    hits = process.extract(key, index.keys, scorer=fuzz.ratio, limit=5, score_cutoff=FUZZY_THRESHOLD)
    if not hits:
        return None
    best = hits[0][1]
    ids: list[str] = []
    for name, score, _ in hits:
        if best - score > 3:
            break
        found = index.lookup(name)
        if found:
            ids.extend(x for x in found[1] if x not in ids)
    recs = [index.entities[x] for x in ids]
    return ("fuzzy", best / 100.0, recs) if recs else None


def _embedded(index: NameIndex, surface: str) -> tuple[str, float, list[EntityRecord]] | None:
    """Embedding similarity over entity names (small graphs only; the model loads once per process)."""
    if len(index.entities) > EMBED_LIMIT or len(normalise(surface)) < 4:
        return None
    from kgqa import nlp
    from kgqa.nlp import embed

    use = embedding_fallback
    if use is None:  # default: only when the model is already loaded (API server, eval), never a 10 s load
        use = nlp._embedder.cache_info().currsize > 0
    if not use:
        return None

    if index._embeddings is None:
        ids = list(index.entities)
        index._embeddings = (ids, embed([index.entities[x].name for x in ids]))
    ids, matrix = index._embeddings
    vector = embed([surface])[0]
    scores = matrix @ vector
    order = scores.argsort()[::-1][:3]
    best = float(scores[order[0]])
    if best < EMBED_THRESHOLD:
        return None
    recs = [index.entities[ids[k]] for k in order if best - float(scores[k]) < 0.02]
    return "embedding", best, recs


def given_entities(values: list[str], graph: Graph) -> list[LinkedEntity]:
    """Resolve ``--entity ID_OR_NAME`` values: an id first, else a name/alias (exact, then fuzzy)."""
    index = name_index(graph)
    out: list[LinkedEntity] = []
    for value in values:
        rec = index.record(value)
        if rec is None:
            found = index.lookup(normalise(value))
            if found:
                rec = index.entities[found[1][0]]
            else:
                fuzzy = _fuzzy(index, value)
                rec = fuzzy[2][0] if fuzzy else None
        if rec is None:
            from kgqa.errors import InputError

            raise InputError(f"no entity in the graph has the id or name {value!r}", "check the spelling or the id")
        out.append(LinkedEntity(mention=rec.name, id=rec.id, name=rec.name, type=rec.type, method="given"))
    return out
