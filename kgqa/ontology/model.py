"""The ontology: entity types, relation types with domain/range, symmetry and the phrases that express them.

Loaded from YAML (``kgqa/ontology/default.yaml`` unless ``--ontology FILE``). Used by the
offline extractor, the rule-based constraints, the question parser and the LLM prompts.
The offline extractor also reads entity type ``role`` and ``name_words``, relation ``family`` and the
``constructions`` section; all of them are optional, so an ontology without them still loads.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from kgqa.errors import InputError

DEFAULT_ONTOLOGY = Path(__file__).parent / "default.yaml"
# what the offline extractor's rules may assume about entities of a type ("his", "the couple", quoted titles, ...)
ENTITY_ROLES = ("person", "organization", "place", "work")
# kinship a relation states (a child or sibling shares the family's surname; "the couple" is a married pair)
FAMILY_KINDS = ("child", "sibling", "spouse")
# where a kind of place ("country", "region", "city") sits in the chain of a transitive relation (LOCATED_IN):
# top = in nothing, contains something; middle = in something and contains something; leaf = contains nothing
LEVELS = ("top", "middle", "leaf")


class Ordering(BaseModel):
    """A node property entities of a type are ordered by, and the words that ask for its ends ("oldest")."""

    property: str  # the node property key, e.g. founding_date (ISO dates or years: compared as stored)
    what: str  # its name in the plural, for answers and refusals: "founding dates"
    ascending: list[str] = Field(default_factory=list)  # words asking for the smallest value: "oldest"
    descending: list[str] = Field(default_factory=list)  # words asking for the largest value: "newest"


class Kind(BaseModel):
    """A kind of an entity type told apart by its name and facts: a school has "University" in its name or someone
    studied at it. A ``rest`` kind is every entity of none of the type's other kinds ("companies")."""

    name: str
    nouns: list[str] = Field(default_factory=list)  # the question nouns that ask for it: "companies", "schools"
    name_words: list[str] = Field(default_factory=list)  # a word of the name that makes it one: "University"
    object_of: list[str] = Field(default_factory=list)  # relations whose object is one: STUDIED_AT
    rest: bool = False


class EntityType(BaseModel):
    """An entity type such as Person; ``spacy`` lists the spaCy NER labels that suggest it."""

    name: str
    description: str = ""
    spacy: list[str] = Field(default_factory=list)
    question_words: list[str] = Field(default_factory=list)  # e.g. "who" for Person, "where" for Location
    nouns: list[str] = Field(default_factory=list)  # e.g. "company", "firm" for Organization
    role: str = ""  # one of ENTITY_ROLES, or "" for none
    name_words: list[str] = Field(default_factory=list)  # words inside a name that reveal the type: "Inc", "Lake"
    # kinds of this type told apart by their place in the chain of ``level_relation``: {"country": "top"}
    levels: dict[str, str] = Field(default_factory=dict)
    level_relation: str = ""  # a transitive relation between entities of this type (LOCATED_IN)
    # a name's last word and the levels it leaves open: {"coast": ["middle", "leaf"]} ("the Ambrel Coast" is no
    # country); a level noun as the last word ("Velmont Province") allows its own level only
    name_levels: dict[str, list[str]] = Field(default_factory=dict)
    # properties superlatives may order by ("the oldest company": founding_date ascending)
    orderings: list[Ordering] = Field(default_factory=list)
    # kinds a question may ask for ("companies" among organizations), told by name words and facts
    kinds: list[Kind] = Field(default_factory=list)

    @field_validator("levels")
    @classmethod
    def _known_levels(cls, value: dict[str, str]) -> dict[str, str]:
        for noun, level in value.items():
            if level not in LEVELS:
                raise ValueError(f"level {level!r} of {noun!r} is not one of {', '.join(LEVELS)}")
        return value

    @field_validator("name_levels")
    @classmethod
    def _known_name_levels(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for word, levels in value.items():
            if not levels or any(level not in LEVELS for level in levels):
                raise ValueError(f"levels {levels!r} of name word {word!r} must be some of {', '.join(LEVELS)}")
        return value

    @field_validator("role")
    @classmethod
    def _known_role(cls, value: str) -> str:
        if value and value not in ENTITY_ROLES:
            raise ValueError(f"entity role {value!r} is not one of {', '.join(ENTITY_ROLES)}")
        return value


class RelationType(BaseModel):
    """A relation type; stored as a relationship type with exactly this name."""

    name: str
    domain: list[str]
    range: list[str]
    symmetric: bool = False
    description: str = ""
    inverse: str = ""  # inverse phrasing, e.g. "employer of" for WORKS_FOR
    phrases: list[str] = Field(default_factory=list)  # text that expresses it: "works for", "employee of"
    inverse_phrases: list[str] = Field(default_factory=list)  # object-first phrasings: "employs"
    nouns: list[str] = Field(default_factory=list)  # role nouns: "CEO" (subject role), "founder"
    inverse_nouns: list[str] = Field(default_factory=list)  # object-role nouns: "employer", "alma mater"
    implies: list[str] = Field(default_factory=list)  # relations a question may read into it: HQ in → located in
    family: str = ""  # one of FAMILY_KINDS when the relation is kinship, else ""
    transitive: bool = False  # X r Y and Y r Z give X r Z (LOCATED_IN): questions follow bounded chains of it
    through: str = ""  # a transitive relation that carries this one: born in Y, Y located in Z → born in Z
    statement: str = ""  # the fact as a sentence, "X was born in Y" (X subject, Y object), for answer texts
    # phrases that state the relation in text but say more than it ("capital of" → LOCATED_IN): the extractor
    # reads them as phrases; a question using them asks what the relation cannot answer
    narrower_phrases: list[str] = Field(default_factory=list)
    # single-valued relations, at one time: ``functional`` = one object per subject (one birthplace),
    # ``inverse_functional`` = one subject per object (a company has one CEO). A later statement that replaces
    # such a fact marks the old one superseded; two unsuperseded facts are a conflict, shown in answers
    functional: bool = False
    inverse_functional: bool = False
    # phrases only questions use ("did A and B go to the same university"): too loose for the extractor to read
    question_phrases: list[str] = Field(default_factory=list)
    # the same, read from the object's side: "how many regions does Corvenne have" (regions LOCATED_IN Corvenne)
    question_inverse_phrases: list[str] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _upper_snake(cls, value: str) -> str:
        if not value.replace("_", "").isalnum() or value.upper() != value:
            raise ValueError(f"relation type {value!r} must be UPPER_SNAKE_CASE")
        return value

    @field_validator("family")
    @classmethod
    def _known_family(cls, value: str) -> str:
        if value and value not in FAMILY_KINDS:
            raise ValueError(f"family kind {value!r} is not one of {', '.join(FAMILY_KINDS)}")
        return value


class Construction(BaseModel):
    """A built-in construction of the offline extractor and the relation it yields ("<work> by <person>")."""

    name: str  # the construction, e.g. "work_by" (see kgqa/ingest/extract/offline/readers/constructions.py)
    relation: str
    words: list[str] = Field(default_factory=list)  # words it looks for, e.g. "acquisition", "takeover"


class Ontology(BaseModel):
    """Entity and relation types, validated against each other."""

    name: str = "custom"
    version: str = "1"
    entity_types: list[EntityType]
    relation_types: list[RelationType]
    constructions: list[Construction] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_types(self) -> Ontology:
        known = {t.name for t in self.entity_types}
        rel_names = {r.name for r in self.relation_types}
        for con in self.constructions:
            if con.relation not in rel_names:
                raise ValueError(f"construction {con.name} yields unknown relation {con.relation!r}")
        roles = [t.role for t in self.entity_types if t.role]
        shared = sorted({r for r in roles if roles.count(r) > 1})
        if shared:
            raise ValueError(f"more than one entity type has the role {shared[0]!r}")
        by_name = {r.name: r for r in self.relation_types}
        for rel in self.relation_types:
            if rel.through and not (rel.through in by_name and by_name[rel.through].transitive):
                raise ValueError(
                    f"relation {rel.name} goes through {rel.through!r}, which is not a transitive relation"
                )
            for other in rel.implies:
                if other not in rel_names:
                    raise ValueError(f"relation {rel.name} implies unknown relation {other!r}")
            for t in [*rel.domain, *rel.range]:
                if t not in known:
                    raise ValueError(
                        f"relation {rel.name} uses unknown entity type {t!r} (known: {', '.join(sorted(known))})"
                    )
        for t in self.entity_types:
            if t.levels and not (t.level_relation in by_name and by_name[t.level_relation].transitive):
                raise ValueError(f"entity type {t.name} has levels but no transitive level_relation")
            for kind in t.kinds:
                for rel in kind.object_of:
                    if rel not in rel_names:
                        raise ValueError(f"kind {kind.name} of {t.name} is told by unknown relation {rel!r}")
                unknown = sorted(set(kind.nouns) - set(t.nouns))
                if unknown:
                    raise ValueError(f"kind {kind.name} of {t.name} uses {unknown[0]!r}, which is not one of its nouns")
        return self

    def entity(self, name: str) -> EntityType | None:
        return next((t for t in self.entity_types if t.name == name), None)

    def relation(self, name: str) -> RelationType | None:
        return next((r for r in self.relation_types if r.name == name), None)

    def type_with_role(self, role: str) -> str | None:
        """The entity type that plays ``role`` (one of ``ENTITY_ROLES``), if any."""
        return next((t.name for t in self.entity_types if role and t.role == role), None)

    def implied_by(self, name: str) -> list[str]:
        """Relations whose facts also answer questions about ``name`` (those listing it in ``implies``)."""
        return [r.name for r in self.relation_types if name in r.implies]

    @property
    def entity_names(self) -> list[str]:
        return [t.name for t in self.entity_types]

    @property
    def relation_names(self) -> list[str]:
        return [r.name for r in self.relation_types]


def load_ontology(path: str | Path | None = None) -> Ontology:
    """Load and validate an ontology YAML file; errors name the file and the problem."""
    path = Path(path) if path else DEFAULT_ONTOLOGY
    return _load(str(path.resolve()))


@lru_cache(maxsize=8)
def _load(path: str) -> Ontology:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"ontology file not found: {path}", "pass an existing YAML file to --ontology") from exc
    except yaml.YAMLError as exc:
        raise InputError(f"ontology {path} is not valid YAML: {exc}", "fix the YAML syntax") from exc
    if not isinstance(data, dict):
        raise InputError(f"ontology {path} must be a mapping with entity_types and relation_types")
    try:
        return Ontology.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(
            f"ontology {path} is invalid at {where or 'top level'}: {first['msg']}",
            "see kgqa/ontology/default.yaml for the expected shape",
        ) from exc
