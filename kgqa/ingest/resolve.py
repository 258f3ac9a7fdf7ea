"""Entity resolution: surface names → stable entity ids, merging only what is safe to merge.

Per document, in order:
1. **normalised exact match** (case, whitespace, punctuation, accents, a leading "the", and for organisations
   corporate suffixes such as Inc./Ltd./Corp.) — within the document and against every entity already known
   (the graph's entities, loaded at the start, and those created earlier in the run), including aliases;
2. **short names within the document**: a one-word person mention that is the surname or first name of
   exactly one full name in the same document (when several share it, the document's subject wins: the
   name in its title, else the one mentioned strictly most often; otherwise it stays unmerged); a one-word
   organisation mention that starts exactly one longer organisation name of the document;
3. **fuzzy match across documents** (rapidfuzz) only between entities of the same type, at high thresholds,
   with guards: numbers must agree, and two person names must share the surname exactly — so two different
   full names that merely share a surname ("Oren Vale", "Lina Vale") never merge.

Every merge is logged with its reason (``MergeEvent``) and surface forms are kept as ``aliases``.
Entity ids are stable: ``f"{type.lower()}:{slug(canonical name)}"``; once an entity exists, later mentions
link to its id.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from kgqa.graph.access import GraphAccess

CORPORATE_SUFFIXES = {
    "inc", "incorporated", "ltd", "limited", "llc", "plc", "corp", "corporation", "co", "gmbh", "ag", "sa",
    "nv", "bv", "pty", "lp", "llp", "srl", "spa", "oy", "kg", "kgaa", "sarl", "sas", "ab", "asa",
}  # fmt: skip
FUZZY_THRESHOLD = 92.0
PERSON_FIRST_NAME_THRESHOLD = 85.0
_PUNCT_RE = re.compile(r"[^\w&]+")
_DIGITS_RE = re.compile(r"\d+")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.casefold()


def _tokens(name: str) -> list[str]:
    return [t for t in _PUNCT_RE.sub(" ", _fold(name).replace("'s ", " ")).split() if t]


def strip_name(name: str, type_: str | None) -> str:
    """The display form: trimmed, no leading article (except for works), no corporate suffix for orgs."""
    name = " ".join(name.strip().strip(",;:").split())
    if type_ != "Work" and re.match(r"(?i)the\s+\S", name):
        name = name[4:].lstrip()
    if type_ in (None, "Organization"):
        while True:
            m = re.search(r",?\s+([A-Za-z]+)\.?$", name)
            if m and m.group(1).lower() in CORPORATE_SUFFIXES and len(name[: m.start()].split()) >= 1:
                name = name[: m.start()].rstrip(" ,")
            else:
                break
    last = name.split()[-1] if name.split() else ""
    if last.endswith(".") and len(last.rstrip(".")) > 3 and "." not in last.rstrip("."):
        name = name.rstrip(".")  # sentence-final full stop, not an abbreviation ("Jr.", "St.", "U.S.")
    return name


def normalize(name: str, type_: str | None) -> str:
    """The matching key: case/accents folded, punctuation and articles gone, corporate suffixes dropped."""
    tokens = _tokens(name)
    if tokens and tokens[0] == "the" and len(tokens) > 1:
        tokens = tokens[1:]
    if type_ in (None, "Organization"):
        while len(tokens) > 1 and tokens[-1] in CORPORATE_SUFFIXES:
            tokens = tokens[:-1]
    return " ".join(tokens)


def _initials(name: str) -> str:
    return "".join(w[0] for w in name.split() if w[:1].isupper())


def is_abbreviation(short: str, full: str) -> bool:
    """Whether ``short`` abbreviates ``full``: 2–6 capitals (dots allowed) that start with the full name's first
    letter, come in order from its letters and include the initial of each capitalised word ("BWR" for
    "Brightwater Robotics", "PIT" for "Pellavane Institute of Technology"; not "CEO" for "Tomas Greer")."""
    letters = short.replace(".", "")
    if not (2 <= len(letters) <= 6 and letters.isalpha() and letters.isupper()) or len(full.split()) < 2:
        return False
    folded = _fold(full)
    if folded[:1] != letters[0].casefold() or not _subsequence(letters.casefold(), folded):
        return False
    return _subsequence(_initials(full).casefold(), letters.casefold())


def _subsequence(needle: str, hay: str) -> bool:
    it = iter(hay)
    return all(ch in it for ch in needle)


def slug(name: str) -> str:
    s = _PUNCT_RE.sub("-", _fold(name).replace("&", " and ").replace("'", "")).strip("-_")
    s = re.sub(r"[-_]+", "-", s)
    return s or "unnamed"


def entity_id(type_: str | None, canonical: str) -> str:
    return f"{(type_ or 'entity').lower()}:{slug(canonical)}"


@dataclass
class EntityRecord:
    id: str
    name: str
    type: str | None
    norm: str
    aliases: list[str] = field(default_factory=list)
    existing: bool = False  # already in the graph when the run started
    dirty: bool = False  # aliases changed in this run

    def add_alias(self, surface: str) -> None:
        surface = " ".join(surface.split())
        if surface and surface != self.name and surface not in self.aliases:
            self.aliases.append(surface)
            self.dirty = True


@dataclass
class MergeEvent:
    """A surface form linked to an entity with a different name, and why."""

    doc_id: str
    mention: str
    type: str | None
    entity_id: str
    entity_name: str
    reason: str


@dataclass
class Mention:
    """A (surface, type) seen in a document, with the position of its first occurrence."""

    name: str
    type: str | None
    position: int = 0
    full: str | None = None  # the longer name this abbreviation stands for in the document ("BWR" → ...)


def _is_initial(token: str) -> bool:
    return len(token) == 1


class EntityRegistry:
    """Every entity known to this run, indexed for exact, alias and fuzzy lookup."""

    def __init__(self) -> None:
        self.by_id: dict[str, EntityRecord] = {}
        self._by_key: dict[tuple[str | None, str], str] = {}  # (type, norm or strong-alias norm) → id
        self._norms_by_type: dict[str | None, dict[str, str]] = defaultdict(dict)  # type → norm → id

    # ------------------------------------------------------------------ loading

    @classmethod
    def from_rows(cls, rows: list[dict]) -> EntityRegistry:
        reg = cls()
        for row in rows:
            type_ = row.get("type")
            name = row.get("name") or row["id"]
            record = EntityRecord(
                id=row["id"],
                name=name,
                type=type_,
                norm=row.get("norm") or normalize(name, type_),
                aliases=list(row.get("aliases") or []),
                existing=True,
            )
            reg._add(record)
            name_tokens = set(record.norm.split())
            for alias in record.aliases:
                norm = normalize(alias, type_)
                if type_ == "Person" and len(norm.split()) == 1 and norm in name_tokens:
                    continue  # "Vale" for "Oren Vale" is a short form within one document, not a global alias
                reg._by_key.setdefault((type_, norm), record.id)
        return reg

    @classmethod
    def load(cls, graph: GraphAccess) -> EntityRegistry:
        """All entities in the graph (id, name, type, norm, aliases)."""
        rows = graph.read(
            "MATCH (e:Entity) RETURN e.id AS id, e.name AS name, e.type AS type, e.norm AS norm, e.aliases AS aliases",
            max_rows=10_000_000,
            timeout=600,
        ).rows
        return cls.from_rows(rows)

    def _add(self, record: EntityRecord) -> None:
        self.by_id[record.id] = record
        self._by_key.setdefault((record.type, record.norm), record.id)
        self._norms_by_type[record.type].setdefault(record.norm, record.id)

    # ------------------------------------------------------------------ lookup

    def exact(self, norm: str, type_: str | None) -> EntityRecord | None:
        eid = self._by_key.get((type_, norm))
        return self.by_id.get(eid) if eid else None

    def fuzzy(self, norm: str, type_: str | None) -> tuple[EntityRecord, float] | None:
        """The best same-type entity above the threshold that passes the guards."""
        choices = self._norms_by_type.get(type_)
        if not choices or len(norm) < 4:
            return None
        for candidate, score, _ in process.extract(
            norm, list(choices), scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD, limit=5
        ):
            if candidate == norm:
                continue
            if _DIGITS_RE.findall(candidate) != _DIGITS_RE.findall(norm):
                continue
            if type_ == "Person" and not _same_person(norm, candidate):
                continue
            return self.by_id[choices[candidate]], score
        return None

    # ------------------------------------------------------------------ resolving a document

    def resolve_document(
        self, doc_id: str, mentions: list[Mention], title: str | None = None
    ) -> tuple[dict[tuple[str, str | None], str], list[MergeEvent]]:
        """Map every (surface, type) of one document to an entity id; create entities as needed."""
        events: list[MergeEvent] = []
        mapping: dict[tuple[str, str | None], str] = {}
        # First occurrence per (surface, type).
        seen: dict[tuple[str, str | None], Mention] = {}
        for m in sorted(mentions, key=lambda m: m.position):
            surface = " ".join(m.name.split())
            if surface:
                first = seen.setdefault((surface, m.type), Mention(surface, m.type, m.position))
                first.full = first.full or m.full
        # Group by normalised key within the document.
        groups: dict[tuple[str | None, str], list[Mention]] = defaultdict(list)
        for m in seen.values():
            norm = normalize(m.name, m.type)
            if norm:
                groups[(m.type, norm)].append(m)

        # Short person/organisation names that point at a longer name of the same document.
        short_target: dict[tuple[str | None, str], tuple[tuple[str | None, str], str]] = {}
        counts: dict[tuple[str | None, str], int] = defaultdict(int)
        for m in mentions:
            counts[(m.type, normalize(m.name, m.type))] += 1
        title_norm = normalize(title, None) if title else None
        full_by_type: dict[str | None, list[tuple[str, int, int]]] = defaultdict(list)
        for (type_, norm), ms in groups.items():
            if len(norm.split()) > 1:
                full_by_type[type_].append((norm, min(m.position for m in ms), counts[(type_, norm)]))
        for type_, norm in groups:
            if len(norm.split()) != 1 or type_ not in ("Person", "Organization"):
                continue
            if self.exact(norm, type_) is not None and not any(
                n.split()[-1] == norm or n.split()[0] == norm for n, _, _ in full_by_type[type_]
            ):
                continue  # a known one-word entity, and no longer name here it could abbreviate
            target = _pick_full_name(norm, type_, full_by_type[type_], title_norm)
            if target:
                short_target[(type_, norm)] = target
        short_target.update(_abbreviation_targets(groups))

        # Resolve full groups first so short names can point at them.
        order = sorted(groups, key=lambda k: ((k in short_target), k[1], str(k[0])))
        resolved: dict[tuple[str | None, str], str] = {}
        for key in order:
            type_, norm = key
            ms = groups[key]
            if key in short_target:
                (ttype, tnorm), why = short_target[key]
                eid = resolved.get((ttype, tnorm))
                if eid:
                    record = self.by_id[eid]
                    for m in ms:
                        record.add_alias(m.name)
                        events.append(MergeEvent(doc_id, m.name, type_, eid, record.name, why))
                    if why.startswith("abbreviation"):
                        self._by_key.setdefault(key, eid)  # a global alias: later documents' "BWR" links here
                    resolved[key] = eid
                    continue
            record, reason = self._find_or_create(ms, type_, norm)
            resolved[key] = record.id
            for m in ms:
                if m.name.rstrip(".,;:") != record.name.rstrip(".,;:"):
                    record.add_alias(m.name)
                    events.append(MergeEvent(doc_id, m.name, type_, record.id, record.name, reason))
        for (surface, type_), m in seen.items():
            norm = normalize(m.name, m.type)
            if norm:
                mapping[(surface, type_)] = resolved[(type_, norm)]
        return mapping, events

    def _find_or_create(self, ms: list[Mention], type_: str | None, norm: str) -> tuple[EntityRecord, str]:
        record = self.exact(norm, type_)
        if record is not None:
            return record, "same normalised name" if record.norm == norm else "known alias"
        hit = self.fuzzy(norm, type_)
        if hit is not None:
            record, score = hit
            self._by_key.setdefault((type_, norm), record.id)  # later exact lookups find it directly
            return record, f"fuzzy match {score:.0f}/100 with {record.name!r} (same type {type_})"
        canonical = _canonical(ms, type_)
        eid = entity_id(type_, canonical)
        if eid in self.by_id:  # different norm, same slug ("A.B. Co" vs "AB Co"): the same name
            record = self.by_id[eid]
            self._by_key.setdefault((type_, norm), eid)
            return record, "same id"
        record = EntityRecord(id=eid, name=canonical, type=type_, norm=norm)
        self._add(record)
        return record, "same normalised name"


def _abbreviation_targets(
    groups: dict[tuple[str | None, str], list[Mention]],
) -> dict[tuple[str | None, str], tuple[tuple[str | None, str], str]]:
    """Abbreviations the extractor read ("Brightwater Robotics (BWR)") → the group of their full name."""
    out: dict[tuple[str | None, str], tuple[tuple[str | None, str], str]] = {}
    for (type_, norm), ms in groups.items():
        for m in ms:
            if m.full and is_abbreviation(m.name, m.full):
                target = (type_, normalize(m.full, type_))
                if target in groups and target != (type_, norm):
                    out[(type_, norm)] = (target, f"abbreviation of {m.full!r} in the same document")
                    break
    return out


def _canonical(ms: list[Mention], type_: str | None) -> str:
    """The display name for a new entity: the most frequent cleaned form, then the longest, then first seen."""
    counts: dict[str, int] = defaultdict(int)
    first: dict[str, int] = {}
    for m in ms:
        clean = strip_name(m.name, type_) or m.name
        counts[clean] += 1
        first.setdefault(clean, m.position)
    return sorted(counts, key=lambda c: (-counts[c], -len(c), first[c]))[0]


def _same_person(a: str, b: str) -> bool:
    """Two normalised person names may be one person: same surname, near-identical first name."""
    ta, tb = a.split(), b.split()
    if len(ta) < 2 or len(tb) < 2 or ta[-1] != tb[-1]:
        return False
    fa, fb = ta[0], tb[0]
    if _is_initial(fa) or _is_initial(fb):
        return False  # "J. Vale" could be anyone called Vale
    return fuzz.ratio(fa, fb) >= PERSON_FIRST_NAME_THRESHOLD and len(ta) == len(tb)


def _pick_full_name(
    short: str, type_: str | None, fulls: list[tuple[str, int, int]], title_norm: str | None
) -> tuple[tuple[str | None, str], str] | None:
    """The longer name a one-word mention abbreviates in this document, or None when unclear.

    ``fulls`` = (normalised full name, first position, mentions). With several candidates (two people
    sharing a surname), the document's subject wins: the name in its title, else the name mentioned
    strictly most often; otherwise the short name stays unmerged rather than risk a wrong merge.
    """
    if type_ == "Person":
        groups = (
            ([f for f in fulls if f[0].split()[-1] == short], "surname"),
            ([f for f in fulls if f[0].split()[0] == short], "first name"),
        )
    else:
        groups = (([f for f in fulls if f[0].split()[0] == short], "short form"),)
    for candidates, role in groups:
        if not candidates:
            continue
        if len(candidates) == 1:
            return (type_, candidates[0][0]), f"{role} of {candidates[0][0]!r} in the same document"
        if type_ != "Person":
            return None
        titled = [c for c in candidates if title_norm and c[0] == title_norm]
        if titled:
            return (type_, titled[0][0]), f"{role} of {titled[0][0]!r}, the subject of the document (its title)"
        ranked = sorted(candidates, key=lambda c: (-c[2], c[1]))
        if ranked[0][2] > ranked[1][2]:
            return (type_, ranked[0][0]), (
                f"{role} of {ranked[0][0]!r}, the most mentioned of {len(candidates)} names sharing it"
            )
        return None
    return None
