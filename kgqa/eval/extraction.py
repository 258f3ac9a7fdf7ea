"""Extraction quality: precision, recall and F1 of (subject, RELATION, object) triples against gold.

Three sources of predicted triples:
- the graph (``graph_triples``): every ``(:Entity)-[r]->(:Entity)`` whose type is an ontology relation;
- the extractor run directly over files (``direct_triples``), no graph needed;
- WebNLG 2020 text-to-RDF (``webnlg_eval``): the extractor on each text, scored on the gold triples whose DBpedia
  property maps to our ontology (``webnlg_mapping.yaml``).

Names match case- and whitespace-insensitively, ignoring a leading "the" and surrounding quotes; symmetric
relations match in either direction.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kgqa.errors import InputError
from kgqa.graph.access import GraphAccess
from kgqa.ingest.load import MARKDOWN_SUFFIXES, html_to_text, markdown_to_text
from kgqa.ingest.model import Chunk, Document
from kgqa.ontology import Ontology

MAPPING_FILE = Path(__file__).parent / "webnlg_mapping.yaml"
DOC_SUFFIXES = {".md", ".txt", ".html", ".htm"}


@dataclass(frozen=True)
class Triple:
    subject: str
    relation: str
    object: str
    scope: str = ""  # e.g. a WebNLG entry id: triples only match within the same scope

    def as_list(self) -> list[str]:
        head = [self.scope] if self.scope else []
        return [*head, self.subject, self.relation, self.object]


_HONORIFICS = r"(?:mr|mrs|ms|miss|dr|prof|professor|sir|dame|lord|lady)"


def norm_name(name: str) -> str:
    """Matching key of a name: case/accent/whitespace/period-insensitive, no leading article or honorific."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("_", " ").replace(".", " ").replace("–", "-").replace("—", "-")
    text = re.sub(r"\s+", " ", text).strip().strip("\"'“”‘’ ,;:").casefold()
    text = re.sub(r"^the ", "", text)
    text = re.sub(rf"^{_HONORIFICS} ", "", text)
    return text


def _key(t: Triple, symmetric: set[str]) -> tuple[str, str, str, str]:
    s, o = norm_name(t.subject), norm_name(t.object)
    if t.relation in symmetric and o < s:
        s, o = o, s
    return (t.scope, s, t.relation, o)


@dataclass
class PRF:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


@dataclass
class ExtractionScore:
    overall: PRF
    per_relation: dict[str, PRF]
    false_positives: list[Triple] = field(default_factory=list)
    false_negatives: list[Triple] = field(default_factory=list)
    gold_count: int = 0
    predicted_count: int = 0
    notes: list[str] = field(default_factory=list)
    # why each error happened (see ``explain_errors``); only when the extractor's entity names were known
    explained: bool = False
    miss_reason: dict[Triple, str] = field(default_factory=dict)  # false negative → key of MISS_REASONS
    false_positive_reason: dict[Triple, str] = field(default_factory=dict)  # → key of FALSE_POSITIVE_REASONS

    @property
    def miss_reasons(self) -> dict[str, int]:
        """Misses per reason (all reasons, zeros included) when explained, else empty."""
        return _count(self.miss_reason, MISS_REASONS) if self.explained else {}

    @property
    def false_positive_reasons(self) -> dict[str, int]:
        return _count(self.false_positive_reason, FALSE_POSITIVE_REASONS) if self.explained else {}

    def as_dict(self, details: bool = True) -> dict:
        out = {
            "overall": self.overall.as_dict(),
            "per_relation": {r: p.as_dict() for r, p in sorted(self.per_relation.items())},
            "gold": self.gold_count,
            "predicted": self.predicted_count,
        }
        if self.notes:
            out["notes"] = self.notes
        if self.explained:
            out["miss_reasons"] = self.miss_reasons
            out["false_positive_reasons"] = self.false_positive_reasons
        if details:
            out["false_positives"] = [t.as_list() for t in self.false_positives]
            out["false_negatives"] = [t.as_list() for t in self.false_negatives]
            if self.explained:
                out["false_negatives_by_reason"] = _grouped(self.false_negatives, self.miss_reason, MISS_REASONS)
                out["false_positives_by_reason"] = _grouped(
                    self.false_positives, self.false_positive_reason, FALSE_POSITIVE_REASONS
                )
        return out


def _count(reason_of: dict[Triple, str], reasons: dict[str, str]) -> dict[str, int]:
    counts = dict.fromkeys(reasons, 0)
    for r in reason_of.values():
        counts[r] += 1
    return counts


def _grouped(triples: list[Triple], reason_of: dict[Triple, str], reasons: dict[str, str]) -> dict[str, list]:
    return {r: [t.as_list() for t in triples if reason_of.get(t) == r] for r in reasons}


def score_triples(
    predicted: Iterable[Triple],
    gold: Iterable[Triple],
    ontology: Ontology,
    relations: set[str] | None = None,
    read_names: Iterable[str] | None = None,
) -> ExtractionScore:
    """Score predicted triples against gold (sets: duplicates count once). ``relations`` limits the scope.

    With ``read_names`` (every entity name the extractor produced), each error also gets a reason
    (``explain_errors``), which tells entity-reading errors from relation errors."""
    symmetric = {r.name for r in ontology.relation_types if r.symmetric}
    scope = relations if relations is not None else set(ontology.relation_names)
    pred_map: dict[tuple, Triple] = {}
    for t in predicted:
        if t.relation in scope:
            pred_map.setdefault(_key(t, symmetric), t)
    gold_map: dict[tuple, Triple] = {}
    for t in gold:
        if t.relation in scope:
            gold_map.setdefault(_key(t, symmetric), t)
    per: dict[str, PRF] = {r: PRF() for r in sorted({k[2] for k in [*gold_map, *pred_map]})}
    overall = PRF()
    fps, fns = [], []
    for k, t in pred_map.items():
        if k in gold_map:
            per[k[2]].tp += 1
            overall.tp += 1
        else:
            per[k[2]].fp += 1
            overall.fp += 1
            fps.append(t)
    for k, t in gold_map.items():
        if k not in pred_map:
            per[k[2]].fn += 1
            overall.fn += 1
            fns.append(t)
    order = lambda t: (t.relation, t.scope, t.subject.casefold(), t.object.casefold())  # noqa: E731
    score = ExtractionScore(
        overall,
        per,
        sorted(fps, key=order),
        sorted(fns, key=order),
        gold_count=len(gold_map),
        predicted_count=len(pred_map),
    )
    if read_names is not None:
        score.explained = True
        score.miss_reason, score.false_positive_reason = explain_errors(
            list(pred_map.values()), list(gold_map.values()), fps, fns, read_names
        )
    return score


MISS_REASONS = {
    "name_not_read": "an entity never came out of the text under its gold name (not found, split, glued or cut)",
    "other_relation": "both entities read and linked, but by another relation or in the other direction",
    "relation_missed": "both entities read, no fact between them",
}
FALSE_POSITIVE_REASONS = {
    "name_not_in_gold": "an entity name the gold does not use (a misread name, or an entity the gold leaves out)",
    "other_relation": "the gold links the pair by another relation or in the other direction",
    "unrelated_pair": "both entities are in the gold, but not related to each other",
}


def explain_errors(
    predicted: list[Triple], gold: list[Triple], fps: list[Triple], fns: list[Triple], read_names: Iterable[str]
) -> tuple[dict[Triple, str], dict[Triple, str]]:
    """The reason of each miss and false positive (keys of ``MISS_REASONS`` / ``FALSE_POSITIVE_REASONS``)."""

    def pair(t: Triple) -> tuple[str, frozenset[str]]:
        return t.scope, frozenset((norm_name(t.subject), norm_name(t.object)))

    read = {norm_name(n) for n in read_names}
    predicted_pairs = {pair(t) for t in predicted}
    gold_pairs = {pair(t) for t in gold}
    gold_names = {(t.scope, norm_name(n)) for t in gold for n in (t.subject, t.object)}
    misses: dict[Triple, str] = {}
    for t in fns:
        if norm_name(t.subject) not in read or norm_name(t.object) not in read:
            misses[t] = "name_not_read"
        elif pair(t) in predicted_pairs:
            misses[t] = "other_relation"
        else:
            misses[t] = "relation_missed"
    wrong: dict[Triple, str] = {}
    for t in fps:
        if (t.scope, norm_name(t.subject)) not in gold_names or (t.scope, norm_name(t.object)) not in gold_names:
            wrong[t] = "name_not_in_gold"
        elif pair(t) in gold_pairs:
            wrong[t] = "other_relation"
        else:
            wrong[t] = "unrelated_pair"
    return misses, wrong


def load_gold(path: str | Path, ontology: Ontology) -> list[Triple]:
    """Read ``subject<TAB>RELATION<TAB>object`` lines ('#' comments and blank lines skipped)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"gold file not found: {path}", "pass a TSV file: subject<TAB>RELATION<TAB>object per line")
    known = set(ontology.relation_names)
    out: list[Triple] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [p.strip() for p in line.rstrip("\n").split("\t")]
        if len(parts) != 3 or not all(parts):
            raise InputError(
                f"{path}:{n}: expected 3 tab-separated fields (subject, RELATION, object), got {len(parts)}: {line!r}",
                "separate the fields with a single TAB character",
            )
        s, rel, o = parts
        if rel not in known:
            raise InputError(
                f"{path}:{n}: unknown relation {rel!r}",
                f"use one of the ontology's relations: {', '.join(sorted(known))}",
            )
        out.append(Triple(s, rel, o))
    return out


# ----------------------------------------------------------------------------------------------------------
# Predicted triples: from the graph, or from the extractor directly
# ----------------------------------------------------------------------------------------------------------


def graph_triples(graph: GraphAccess, ontology: Ontology) -> list[Triple]:
    """Every fact relationship of an ontology type between two entities in the graph."""
    res = graph.read(
        "MATCH (s:Entity)-[r]->(o:Entity) WHERE type(r) IN $types RETURN s.name AS s, type(r) AS r, o.name AS o",
        {"types": ontology.relation_names},
        max_rows=10_000_000,
    )
    if res.truncated:
        raise InputError("the graph has more facts than could be read at once", "evaluate a smaller graph")
    return [Triple(str(row["s"]), str(row["r"]), str(row["o"])) for row in res.rows if row["s"] and row["o"]]


def graph_entity_names(graph: GraphAccess) -> list[str]:
    """The canonical name of every entity in the graph."""
    res = graph.read("MATCH (e:Entity) RETURN e.name AS name", {}, max_rows=10_000_000)
    return [str(row["name"]) for row in res.rows if row["name"]]


def read_documents(path: str | Path) -> list[Document]:
    """Documents from a file or a directory (.md, .txt, .html), ids relative to the directory."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"not found: {path}", "pass a document file or a directory of .md/.txt/.html files")
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.suffix.lower() in DOC_SUFFIXES)
    if not files:
        raise InputError(f"no .md, .txt or .html documents under {path}")
    docs = []
    for f in files:
        raw = f.read_text(encoding="utf-8", errors="replace")
        # the same text `kgqa build` extracts from (markup reduced by the build's loaders)
        if f.suffix.lower() in {".html", ".htm"}:
            text = html_to_text(raw)[0]
        elif f.suffix.lower() in MARKDOWN_SUFFIXES:
            text = markdown_to_text(raw)[0]
        else:
            text = raw
        doc_id = f.name if path.is_file() else str(f.relative_to(path))
        docs.append(Document(id=doc_id, text=text, source=str(f)))
    return docs


def direct_triples(
    docs: list[Document],
    extractor,
    ontology: Ontology,
    on_doc: Callable[[], None] | None = None,
    names: set[str] | None = None,
) -> list[Triple]:
    """Run the extractor over documents (one whole-document chunk each) and collect its facts.

    ``names``, when given, receives every entity name the extractor produced (mentions and fact ends)."""
    out: list[Triple] = []
    for doc in docs:
        chunk = Chunk(id=f"{doc.id}#0", doc_id=doc.id, index=0, text=doc.text, start=0, end=len(doc.text))
        for ex in extractor.extract(doc, [chunk], ontology):
            out += [Triple(f.subject, f.relation, f.object) for f in ex.facts]
            if names is not None:
                names.update(m.canonical or m.name for m in ex.mentions)
                names.update(n for f in ex.facts for n in (f.subject, f.object))
        if on_doc:
            on_doc()
    return out


# ----------------------------------------------------------------------------------------------------------
# WebNLG
# ----------------------------------------------------------------------------------------------------------


@dataclass
class PropertyMap:
    relation: str
    inverse: bool = False


def load_mapping(path: str | Path | None, ontology: Ontology) -> dict[str, PropertyMap]:
    """DBpedia property → ontology relation (``inverse: true`` when the DBpedia direction is reversed)."""
    path = Path(path) if path else MAPPING_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise InputError(f"mapping file not found: {path}") from exc
    out: dict[str, PropertyMap] = {}
    for prop, spec in (data.get("properties") or {}).items():
        spec = {"relation": spec} if isinstance(spec, str) else dict(spec)
        rel = spec.get("relation")
        if rel not in ontology.relation_names:
            raise InputError(f"{path}: property {prop!r} maps to unknown relation {rel!r}")
        out[prop] = PropertyMap(rel, bool(spec.get("inverse", False)))
    return out


def webnlg_name(value: str) -> str:
    """DBpedia resource → plain name: underscores → spaces, quotes and '(disambiguation)' removed.

    A qualified place name keeps its first part ("Jasper,_Alabama" → "Jasper"): our graph states the
    containing place as a separate LOCATED_IN fact, so the extractor never produces the combined name.
    """
    text = value.strip().strip('"').replace("_", " ")
    text = re.sub(r"\s*\([^)]*\)$", "", text)
    text = text.split(", ")[0]
    return re.sub(r"\s+", " ", text).strip()


def webnlg_eval(
    path: str | Path,
    extractor,
    ontology: Ontology,
    limit: int | None = None,
    mapping_path: str | Path | None = None,
    on_entry: Callable[[], None] | None = None,
) -> tuple[ExtractionScore, dict]:
    """Score the extractor on the WebNLG entries that have at least one mapped gold triple."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"WebNLG file not found: {path}", "expected the JSONL of the WebNLG 2020 text-to-RDF test set")
    mapping = load_mapping(mapping_path, ontology)
    entries = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                triples = entry["triples"]
                text = entry["text"]
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise InputError(f"{path}:{n}: not a WebNLG JSONL entry ({exc})") from exc
            gold = []
            for s, p, o in triples:
                m = mapping.get(p)
                if m is None:
                    continue
                subj, obj = webnlg_name(s), webnlg_name(o)
                if m.inverse:
                    subj, obj = obj, subj
                gold.append(Triple(subj, m.relation, obj))
            if gold:
                entries.append((entry.get("eid", str(n)), text, gold))
            if limit and len(entries) >= limit:
                break
    predicted: list[Triple] = []
    gold_all: list[Triple] = []
    for eid, text, gold in entries:
        doc = Document(id=str(eid), text=text)
        chunk = Chunk(id=f"{eid}#0", doc_id=str(eid), index=0, text=text, start=0, end=len(text))
        for ex in extractor.extract(doc, [chunk], ontology):
            # entries are scored as one pool; the entry id keeps equal names in two entries apart
            predicted += [Triple(f.subject, f.relation, f.object, scope=str(eid)) for f in ex.facts]
        gold_all += [Triple(g.subject, g.relation, g.object, scope=str(eid)) for g in gold]
        if on_entry:
            on_entry()
    relations = {m.relation for m in mapping.values()}
    score = score_triples(predicted, gold_all, ontology, relations=relations)
    info = {"entries": len(entries), "mapped_properties": sorted(mapping), "file": str(path)}
    return score, info
