"""The ontology: entity and relation types, their constraints and the phrases that express them.

Data (``default.yaml``) plus its typed model; used by graph building (``kgqa.ingest``) and question
answering (``kgqa.qa``) alike, so neither has to reach into the other.
"""

from kgqa.ontology.model import (
    DEFAULT_ONTOLOGY,
    ENTITY_ROLES,
    FAMILY_KINDS,
    Construction,
    EntityType,
    Kind,
    Ontology,
    Ordering,
    RelationType,
    load_ontology,
)

__all__ = [
    "DEFAULT_ONTOLOGY",
    "ENTITY_ROLES",
    "FAMILY_KINDS",
    "Construction",
    "EntityType",
    "Kind",
    "Ontology",
    "Ordering",
    "RelationType",
    "load_ontology",
]
