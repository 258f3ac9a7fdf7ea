"""The parser's words: grammar word lists, the stemmer, and the lexicon built from the ontology's phrases."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from kgqa.ontology import Kind, Ontology, Ordering, load_ontology

AUX = {"is", "was", "are", "were", "be", "been", "being", "does", "did", "do", "has", "have", "had", "will"}
DET = {"the", "a", "an"}
REL_WORDS = {"that", "which", "who", "whom"}
PREPS = {"in", "at", "for", "from", "to", "by", "of", "on", "with"}
FILLER = {"please", "currently", "also", "actually", "exactly", "still", "ever", "now", "today", "all", "both"}
FILLER |= {"somewhere", "anywhere", "else"}  # "died somewhere in Y" is "died in Y"; "who else"
IMPERATIVE = {"list", "name", "show", "give", "find", "tell", "return", "get"}
IRREGULAR = {
    "bought": "buy",
    "died": "die",
    "wrote": "write",
    "written": "write",
    "led": "lead",
    "ran": "run",
    "took": "take",
    "taken": "take",
    "people": "person",
    "men": "man",
    "women": "woman",
    "children": "child",
    "wives": "wife",
    "founders": "founder",
    "alumni": "alumnus",
    "alumnae": "alumna",
    "grew": "grow",
    "began": "begin",
    "kids": "child",
    "kid": "child",
    "ppl": "person",
}


def stem(word: str) -> str:
    """A crude, consistent stem: the same function runs over the lexicon and the question."""
    w = IRREGULAR.get(word, word)
    for _ in range(2):
        if (w.endswith("ies") and len(w) > 4) or (w.endswith("ied") and len(w) > 4):
            w = w[:-3] + "y"
        elif w.endswith("ing") and len(w) > 5:
            w = w[:-3]
        elif (w.endswith("ed") and len(w) > 4) or (w.endswith("es") and len(w) > 4 and not w.endswith("ses")):
            w = w[:-2]
        elif w.endswith("s") and not w.endswith("ss") and len(w) > 3:
            w = w[:-1]
        else:
            break
    while w.endswith("e") and len(w) > 3:
        w = w[:-1]
    return w


NO_APOSTROPHE = {w + "nt": (w, "not") for w in ("do", "does", "did", "is", "was", "are", "were", "has", "have", "had")}
WH_WORDS = {"who", "what", "where", "which", "how", "that", "there", "it", "here", "when"}
# "can you tell me who ...", "I'd like to know where ...": courtesy before the question itself
COURTESY = (
    ("can", "you", "tell", "me"),
    ("could", "you", "tell", "me"),
    ("please", "tell", "me"),
    ("i", "would", "like", "to", "know"),
    ("i", "d", "like", "to", "know"),
    ("i", "want", "to", "know"),
    ("i", "wonder"),
    ("do", "you", "know"),
    ("does", "anyone", "know"),
    ("any", "idea"),
    ("tell", "me"),
)


def words(text: str) -> list[str]:
    """Lower-cased word tokens, with ``@e<k>`` placeholders and "'s" as tokens of their own; "n't" reads "not",
    "'s" after a question word reads "is" ("who's")."""
    text = text.lower().replace("’", "'").replace("can't", "can not").replace("won't", "will not")
    toks = re.findall(r"@e\d+|'s|[a-z0-9][a-z0-9\-]*", text.replace("n't", " not"))
    toks = [part for w in toks for part in NO_APOSTROPHE.get(w, (w,))]  # "wasnt" typed for "wasn't"
    return ["is" if w == "'s" and k and toks[k - 1] in WH_WORDS else w for k, w in enumerate(toks)]


def strip_courtesy(toks: list[str]) -> list[str]:
    """The question without a courtesy opening, when a question word, auxiliary or "whether"/"if" follows it."""
    for opening in COURTESY:
        k = len(opening)
        if tuple(toks[:k]) == opening and len(toks) > k and (toks[k] in WH_WORDS | AUX | {"whether", "if"}):
            return toks[k:]
    return toks


def phrase_key(text: str) -> tuple[str, ...]:
    """The lexicon's key of a phrase: its words, stemmed."""
    return tuple(stem(w) for w in words(text))


# ------------------------------------------------------------------------------------------- lexicon


@dataclass(frozen=True)
class VerbSense:
    """A verb phrase's relation, and which way round it reads."""

    rel: str
    forward: bool  # "S phrase O" means (S)-[rel]->(O); False: (O)-[rel]->(S)
    prep_final: bool  # the phrase ends with a preposition (droppable at the end of a question)


@dataclass(frozen=True)
class NounSense:
    """A relational noun's relation, and which end of it the noun names."""

    rel: str
    subject_role: bool  # "the CEO of X": answer is the subject (answer)-[rel]->(X); False: (X)-[rel]->(answer)


@dataclass
class Lexicon:
    """Phrase tables keyed by stemmed words, and the relations' types, from one ontology."""

    ontology: Ontology
    verbs: dict[tuple[str, ...], list[VerbSense]] = field(default_factory=dict)
    nouns: dict[tuple[str, ...], list[NounSense]] = field(default_factory=dict)
    types: dict[tuple[str, ...], str] = field(default_factory=dict)
    qwords: dict[str, set[str]] = field(default_factory=dict)
    bare_preps: dict[tuple[str, ...], list[VerbSense]] = field(default_factory=dict)
    symmetric: set[str] = field(default_factory=set)
    domain: dict[str, set[str]] = field(default_factory=dict)
    range: dict[str, set[str]] = field(default_factory=dict)
    levels: dict[tuple[str, ...], str] = field(default_factory=dict)  # "country" → "top" (see ontology LEVELS)
    level_rel: dict[str, str] = field(default_factory=dict)  # entity type → its transitive level relation
    transitive: set[str] = field(default_factory=set)
    through: dict[str, str] = field(default_factory=dict)  # BORN_IN → LOCATED_IN
    narrower: dict[tuple[str, ...], str] = field(default_factory=dict)  # ("capit",) → LOCATED_IN
    # (entity type, words, ordering, "asc"/"desc"): "oldest" → Organization's founding_date ascending
    orderings: list[tuple[str, tuple[str, ...], Ordering, str]] = field(default_factory=list)
    kinds: dict[tuple[str, ...], tuple[str, Kind]] = field(default_factory=dict)  # "company" → (Organization, kind)
    max_len: int = 1

    def reserved_words(self) -> set[str]:
        """Every word of the grammar, for the linker (a span made only of these is not an entity)."""
        out: set[str] = set()
        for phrase in self.ontology.relation_types:
            for p in [
                *phrase.phrases,
                *phrase.question_phrases,
                *phrase.inverse_phrases,
                *phrase.question_inverse_phrases,
                *phrase.nouns,
                *phrase.inverse_nouns,
            ]:
                out.update(p.split())
        for t in self.ontology.entity_types:
            out.update(w for n in [*t.nouns, *t.levels] for w in n.split())
            out.update(t.question_words)
            for o in t.orderings:
                out.update(w for p in [*o.ascending, *o.descending] for w in p.split())
        return out


def _add(table: dict, key: tuple[str, ...], value: object) -> None:
    """Append ``value`` to ``table[key]`` unless it is there already."""
    bucket = table.setdefault(key, [])
    if value not in bucket:
        bucket.append(value)


@lru_cache(maxsize=8)
def lexicon(ontology_path: str | None = None) -> Lexicon:
    """The parser's lexicon for an ontology (built once per process)."""
    onto = load_ontology(ontology_path)
    lex = Lexicon(onto)

    def verb(text: str, rel: str, forward: bool, whole: bool = False) -> None:
        if " its " in f" {text} ":  # "has its head office in" is also "have their head office in"
            verb(f" {text} ".replace(" its ", " their ").strip(), rel, forward, whole)
        toks = words(text)
        while toks and toks[0] in AUX and not whole:  # ``whole``: "have" is the verb itself
            toks = toks[1:]
        if toks and len(toks) == 1 and toks[0] in PREPS and len(words(text)) > 1:
            # "is in": only usable as a question-final preposition ("which country is X in?")
            _add(lex.bare_preps, (toks[0],), VerbSense(rel, forward, True))
            return
        if not toks:
            return
        if toks[-1] == "of":  # "ceo of", "employee of": a noun, see below
            return
        _add(lex.verbs, tuple(stem(w) for w in toks), VerbSense(rel, forward, toks[-1] in PREPS))

    def noun(text: str, rel: str, subject_role: bool) -> None:
        k = phrase_key(text)
        if k:
            _add(lex.nouns, k, NounSense(rel, subject_role))

    for r in onto.relation_types:
        lex.domain[r.name] = set(r.domain)
        lex.range[r.name] = set(r.range)
        if r.symmetric:
            lex.symmetric.add(r.name)
        if r.transitive:
            lex.transitive.add(r.name)
        if r.through:
            lex.through[r.name] = r.through
        for p in r.narrower_phrases:
            lex.narrower[phrase_key(p[:-3] if p.endswith(" of") else p)] = r.name
        for p in [*r.phrases, *r.question_phrases]:
            verb(p, r.name, True)
            if p.endswith(" of"):
                noun(p[:-3], r.name, True)
        for p in r.inverse_phrases:
            verb(p, r.name, False)
            if p.endswith(" of"):
                noun(p[:-3], r.name, False)
        for p in r.question_inverse_phrases:
            verb(p, r.name, False, whole=True)
        if r.inverse:
            if r.inverse.endswith(" of"):
                noun(r.inverse[:-3], r.name, False)
            else:
                verb(r.inverse, r.name, r.symmetric)
        for n in r.nouns:
            noun(n, r.name, True)
        for n in r.inverse_nouns:
            noun(n, r.name, False)
    for t in onto.entity_types:
        for n in t.nouns:
            lex.types.setdefault(phrase_key(n), t.name)
        for q in t.question_words:
            lex.qwords.setdefault(q, set()).add(t.name)
        for n, level in t.levels.items():  # a level noun ("province") names the type too
            lex.levels[phrase_key(n)] = level
            lex.types.setdefault(phrase_key(n), t.name)
        if t.level_relation:
            lex.level_rel[t.name] = t.level_relation
        for kind in t.kinds:
            for n in kind.nouns:
                lex.kinds[phrase_key(n)] = (t.name, kind)
        for o in t.orderings:
            for direction, phrases in (("asc", o.ascending), ("desc", o.descending)):
                lex.orderings.extend((t.name, tuple(words(p)), o, direction) for p in phrases)
    lex.orderings.sort(key=lambda x: -len(x[1]))  # longest phrase first: "oldest" after "most recently founded"
    lex.max_len = max(len(k) for k in [*lex.verbs, *lex.nouns, *lex.types])
    return lex
