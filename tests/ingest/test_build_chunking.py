"""Chunker and sentence splitter: offsets, ids, abbreviations, overlap, limits."""

from __future__ import annotations

import itertools

from kgqa.ingest.chunk import chunk_document, document_sentences, split_sentences
from kgqa.ingest.model import Document

TEXT = (
    "Dr. Oren Vale works for Acme Inc. He was born in Lyon, France. J. R. R. Tolkien wrote "
    '"The Hobbit." It sold 3.5 million copies in the U.S. in 1950! Really? Yes.\n\n'
    "# Heading\n- item one\n- item two. Mrs. Vale, e.g. Lina, lives in St. Louis."
)


def _texts(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


def test_sentences_respect_abbreviations_initials_and_decimals() -> None:
    assert _texts(TEXT) == [
        "Dr. Oren Vale works for Acme Inc.",
        "He was born in Lyon, France.",
        'J. R. R. Tolkien wrote "The Hobbit."',
        "It sold 3.5 million copies in the U.S. in 1950!",
        "Really?",
        "Yes.",
        "# Heading",
        "- item one",
        "- item two.",
        "Mrs. Vale, e.g. Lina, lives in St. Louis.",
    ]


def test_sentence_offsets_and_indexes_point_into_document() -> None:
    doc = Document(id="a.txt", text=TEXT)
    sentences = document_sentences(doc)
    assert [s.index for s in sentences] == list(range(len(sentences)))
    for s in sentences:
        assert doc.text[s.start : s.end] == s.text


def test_chunks_are_stable_bounded_and_cover_every_sentence() -> None:
    doc = Document(id="dir/a.txt", text=" ".join(f"Sentence number {i} is here." for i in range(200)))
    chunks = chunk_document(doc, max_chars=300, overlap_sentences=1)
    assert chunks == chunk_document(doc, max_chars=300, overlap_sentences=1)
    assert [c.id for c in chunks] == [f"dir/a.txt#{i}" for i in range(len(chunks))]
    assert all(len(c.text) <= 300 for c in chunks)
    assert all(c.text == doc.text[c.start : c.end] for c in chunks)
    seen = sorted({s.index for c in chunks for s in c.sentences})
    assert seen == list(range(len(document_sentences(doc))))
    # one sentence of overlap between neighbours
    for a, b in itertools.pairwise(chunks):
        assert a.sentences[-1].index == b.sentences[0].index


def test_no_overlap_and_long_sentence_split() -> None:
    doc = Document(id="x", text="word " * 1000)
    chunks = chunk_document(doc, max_chars=200, overlap_sentences=0)
    assert all(0 < len(c.text) <= 200 for c in chunks)
    assert sum(len(c.text.split()) for c in chunks) == 1000


def test_empty_document_has_no_chunks() -> None:
    assert chunk_document(Document(id="e", text="  \n ")) == []
