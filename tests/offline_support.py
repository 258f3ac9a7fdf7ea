"""Running the offline extractor on a short text in tests (the real spaCy model, no mocks)."""

from __future__ import annotations

from kgqa.ingest.model import Document


def facts_of(extractor, ontology, text: str) -> set[tuple[str, str, str]]:
    """The (subject, relation, object) facts the extractor finds in ``text``."""
    doc = Document(id="t.md", text=text)
    out = set()
    for ex in extractor.extract(doc, [], ontology):
        out |= {(f.subject, f.relation, f.object) for f in ex.facts}
    return out
