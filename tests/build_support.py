"""A tiny deterministic extractor for graph-building tests (no NLP): sentence patterns → facts.

Recognised, per sentence (NAME = capitalised words):
  NAME works for NAME · NAME is married to NAME · NAME was born in NAME · NAME founded NAME ·
  NAME is located in NAME · NAME is a friend of NAME (not in the ontology) · NAME is a person/company/city/book
Load it in a build with ``--llm py:tests.build_support:PatternExtractor``. ``KGQA_TEST_EXTRACT_DELAY``
(seconds per document) slows it down for the interruption test.
"""

from __future__ import annotations

import os
import re
import time

from kgqa.ingest.model import Chunk, Document, EntityMention, Extraction, Fact
from kgqa.ontology import Ontology

NAME = r"(?:[A-Z][\w&'-]*\.?)(?:\s+(?:[A-Z][\w&'-]*\.?|of))*(?<!\sof)"
PATTERNS = [
    (re.compile(rf"(?P<s>{NAME}) works for (?P<o>{NAME})"), "WORKS_FOR"),
    (re.compile(rf"(?P<s>{NAME}) is married to (?P<o>{NAME})"), "MARRIED_TO"),
    (re.compile(rf"(?P<s>{NAME}) was born in (?P<o>{NAME})"), "BORN_IN"),
    (re.compile(rf"(?P<s>{NAME}) founded (?P<o>{NAME})"), "FOUNDED"),
    (re.compile(rf"(?P<s>{NAME}) is located in (?P<o>{NAME})"), "LOCATED_IN"),
    (re.compile(rf"(?P<s>{NAME}) is a friend of (?P<o>{NAME})"), "FRIEND_OF"),
]
TYPE_WORDS = {"person": "Person", "company": "Organization", "city": "Location", "book": "Work"}
TYPE_RE = re.compile(rf"(?P<n>{NAME}) is a (?P<t>person|company|city|book)\b")


class PatternExtractor:
    name = "test-patterns"

    def extract(self, doc: Document, chunks: list[Chunk], ontology: Ontology) -> list[Extraction]:
        delay = float(os.environ.get("KGQA_TEST_EXTRACT_DELAY", "0") or 0)
        if delay:
            time.sleep(delay)
        if "EXPLODE" in doc.text:
            raise RuntimeError("the test extractor was told to fail")
        out = []
        for chunk in chunks:
            ex = Extraction()
            for sent in chunk.sentences:
                for m in TYPE_RE.finditer(sent.text):
                    ex.mentions.append(
                        EntityMention(m.group("n"), TYPE_WORDS[m.group("t")], chunk.id, sent.start + m.start())
                    )
                for pattern, rel in PATTERNS:
                    for m in pattern.finditer(sent.text):
                        r = ontology.relation(rel)
                        st = r.domain[0] if r and len(r.domain) == 1 else None
                        ot = r.range[0] if r and len(r.range) == 1 else None
                        ex.facts.append(
                            Fact(
                                subject=m.group("s"),
                                relation=rel,
                                object=m.group("o"),
                                subject_type=st,
                                object_type=ot,
                                chunk_id=chunk.id,
                                sentence=sent.text,
                                sentence_index=sent.index,
                                confidence=0.9,
                            )
                        )
                        ex.mentions.append(EntityMention(m.group("s"), st, chunk.id, sent.start + m.start("s")))
                        ex.mentions.append(EntityMention(m.group("o"), ot, chunk.id, sent.start + m.start("o")))
            out.append(ex)
        return out
