"""Parsing for the offline extractor: one spaCy pass whose sentences respect paragraphs and headings."""

from __future__ import annotations

import re

from kgqa.ingest.extract.offline.words import SENTENCE_ENDS


def _segments(text: str) -> list[str]:
    """Paragraphs and heading lines (with their trailing whitespace), concatenating back to ``text``."""
    out: list[str] = []
    pos = 0
    for m in re.finditer(r"(?m)\n[ \t]*\n\s*|^#{1,6} [^\n]*\n\s*", text):
        end = m.end()
        if m.group(0).startswith("#") and m.start() > pos:
            out.append(text[pos : m.start()])
            pos = m.start()
        out.append(text[pos:end])
        pos = end
    if pos < len(text):
        out.append(text[pos:])
    return [seg for seg in out if seg]


def _pipe_with_boundaries(nlp, texts: list[str]):
    """``nlp.pipe`` where no sentence starts right after a token that cannot end one (a comma, a word).

    en_core_web_sm sometimes splits "founded by two engineers, A and B, in ..." after the comma; the
    parser honours boundaries preset on the tokens, so we forbid those before it runs. The shared pipeline object
    is not modified.
    """
    docs = []
    for doc in nlp.tokenizer.pipe(texts, batch_size=64):
        for k in range(1, len(doc)):
            prev = doc[k - 1]
            if (
                prev.text not in SENTENCE_ENDS
                and not prev.is_space
                and not doc[k].is_space
                and "\n" not in prev.whitespace_
            ):
                doc[k].is_sent_start = False
        docs.append(doc)
    for _name, proc in nlp.pipeline:
        docs = list(proc.pipe(docs, batch_size=64)) if hasattr(proc, "pipe") else [proc(doc) for doc in docs]
    return docs


def parse(nlp, texts: list[str]) -> list:
    """spaCy docs whose sentences never cross a paragraph break or a markdown heading; text is unchanged."""
    from spacy.tokens import Doc

    segs = [_segments(t) for t in texts]
    flat = [seg for ss in segs for seg in ss]
    parsed = iter(_pipe_with_boundaries(nlp, flat))
    out = []
    for text, ss in zip(texts, segs, strict=True):
        docs = [next(parsed) for _ in ss]
        if not docs:
            out.append(nlp.make_doc(text))
            continue
        merged = docs[0] if len(docs) == 1 else Doc.from_docs(docs, ensure_whitespace=False)
        if merged.text != text:  # never expected; fall back to one parse of the whole text
            merged = nlp(text)
        out.append(merged)
    return out
