"""Offline relation extractor: spaCy (en_core_web_sm) + rules derived from the ontology.

How it works, per document (one spaCy pass over the whole text, ``parsing``):

1. Mentions (``mentions``): spaCy named entities plus runs of proper nouns ("University of X" joined over "of"
   when the left part ends in an organisation/place word) plus quoted titles. Leading "the", trailing possessive
   "'s" and role nouns ("CEO A B") are cut off.
2. Types and entities (``mentions``, ``entities``): from the NER label (weak), from the ontology's type
   ``name_words`` and ``nouns`` ("the logistics firm X", "X, a publisher") (strong), and finally from the
   relations an entity takes part in (``typecheck``): the object of "studied at" is an Organization even when
   spaCy said GPE. Every such correction is logged and counted. A surname or first name alone joins the latest
   full name containing it.
3. References inside the document (``references``): he/she/his/her → the latest compatible person (known gender
   from role nouns and earlier unambiguous pronouns); it/its → the latest non-person subject; "the company"/"the
   city"/"the novel" → the latest entity of that type; they/their → the latest coordinated group of persons.
4. Relations (``engine`` runs the ``readers`` in table order): triggers compiled from the ontology's ``phrases``,
   ``inverse_phrases``, ``nouns`` and ``inverse_nouns`` (``triggers``), matched on the dependency parse (active
   and passive voice, relative clauses, coordination, copular role nouns, appositions, possessives, "served as"),
   lexically on the words between two mention groups as a fallback for bad parses, in tables, list fragments and
   role lines; plus the built-in constructions the ontology's ``constructions`` section switches on.
5. Domain/range (``typecheck``): a candidate whose types do not fit is dropped unless a weak type can be corrected.

Nothing here names a relation or an entity type: what the rules assume about persons, organisations, places and
works comes from the entity types' ``role``, kinship from the relations' ``family``, and each construction's
relation from the ontology, so a custom ontology gets the same machinery. English word lists are in ``words``.
"""

from kgqa.ingest.extract.offline.extractor import OfflineExtractor
from kgqa.ingest.extract.offline.parsing import parse
from kgqa.ingest.extract.offline.triggers import Trigger, TriggerSet, compile_triggers

__all__ = ["OfflineExtractor", "Trigger", "TriggerSet", "compile_triggers", "parse"]
