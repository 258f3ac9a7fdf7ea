"""The offline extractor: one spaCy pass per document, then the analysis steps in order."""

from __future__ import annotations

from kgqa.ingest.extract.offline.engine import read_candidates
from kgqa.ingest.extract.offline.entities import (
    build_entities,
    family_surnames,
    join_earlier_short_names,
    join_later_full_names,
    parenthesised_abbreviations,
    retype_family_names,
    shared_surnames,
)
from kgqa.ingest.extract.offline.mentions import find_mentions
from kgqa.ingest.extract.offline.output import package
from kgqa.ingest.extract.offline.parsing import parse
from kgqa.ingest.extract.offline.readers.notes import drop_note_brackets
from kgqa.ingest.extract.offline.references import resolve_references
from kgqa.ingest.extract.offline.replacements import mark_replacements
from kgqa.ingest.extract.offline.state import Analysis, Candidate
from kgqa.ingest.extract.offline.triggers import TriggerSet, compile_triggers
from kgqa.ingest.extract.offline.typecheck import check_types
from kgqa.ingest.model import Chunk, Document, Extraction
from kgqa.ontology import Ontology

MAX_RETYPE_PASSES = 3  # resolve and read again while type corrections go on (a corrected person's pronouns)


class OfflineExtractor:
    """spaCy + ontology-derived rules. Deterministic; no network, no GPU."""

    name = "offline"

    def __init__(self) -> None:
        self.type_corrections: list[str] = []  # "Name: GPE→Organization (object of STUDIED_AT)", all documents

    def extract(self, doc: Document, chunks: list[Chunk], ontology: Ontology) -> list[Extraction]:
        from kgqa.nlp import spacy_model

        trig = compile_triggers(ontology)
        return self._extract_parsed(doc, parse(spacy_model(), [doc.text])[0], chunks, ontology, trig)

    def extract_many(
        self, docs: list[Document], chunks: list[list[Chunk]], ontology: Ontology
    ) -> list[list[Extraction]]:
        """Several documents through ``nlp.pipe`` (faster than one call per document)."""
        from kgqa.nlp import spacy_model

        trig = compile_triggers(ontology)
        parsed = parse(spacy_model(), [d.text for d in docs])
        return [self._extract_parsed(d, s, c, ontology, trig) for d, s, c in zip(docs, parsed, chunks, strict=True)]

    # -- internals --------------------------------------------------------------------------------------

    def _extract_parsed(self, doc: Document, sdoc, chunks: list[Chunk], ontology: Ontology, trig: TriggerSet):
        if not chunks:
            chunks = [Chunk(id=f"{doc.id}#0", doc_id=doc.id, index=0, text=doc.text, start=0, end=len(doc.text))]
        d, facts, _all = self._analyse(doc.id, sdoc, ontology, trig)
        self.type_corrections.extend(d.corrections)
        return package(doc, d, facts, chunks, ontology, self.name)

    def _analyse(
        self, doc_id: str, sdoc, ontology: Ontology, trig: TriggerSet
    ) -> tuple[Analysis, list[Candidate], list[Candidate]]:
        """Mentions → entities → references → candidates → type checks (twice when types were corrected).

        Returns the analysis, the facts that passed the type checks and all candidates."""
        d = Analysis(spacy_doc=sdoc, trig=trig)
        d.mentions = find_mentions(sdoc, trig)
        build_entities(d, ontology)
        drop_note_brackets(d)
        parenthesised_abbreviations(d)
        join_later_full_names(d)
        join_earlier_short_names(d)
        shared_surnames(d)
        retype_family_names(d)
        resolve_references(d)
        cands = read_candidates(d)
        facts = check_types(d, cands, ontology, doc_id)
        done = 0
        for _ in range(MAX_RETYPE_PASSES):
            if len(d.corrections) == done:
                break
            # types changed: pronouns and "the company" may now point elsewhere; resolve and extract again
            done = len(d.corrections)
            d.refs.clear()
            for ent in d.entities:
                ent.gender = ent.noun_gender
            resolve_references(d)
            cands = read_candidates(d)
            facts = check_types(d, cands, ontology, doc_id)
        family_surnames(d, facts)
        facts = mark_replacements(d, facts, ontology)
        return d, facts, cands
