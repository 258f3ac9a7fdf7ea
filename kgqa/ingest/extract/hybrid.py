"""Hybrid extraction: the offline reader finds and types the mentions, a (small, local) LLM labels the pairs.

The rules are precise but miss facts whose wording no pattern covers; a small model writing triples freely
stops early, confuses relations and paraphrases evidence. So each does the job it does well:

1. the offline extractor runs first; its facts are kept as they are;
2. every pair of typed mentions in one sentence that no offline fact links gets one yes/no question per
   relation and direction that the ontology's domain/range allow ("Sentence: ... Statement: A founded B");
3. the model answers with a single token; its probability of "yes" (from the server's log-probabilities)
   must pass ``ACCEPT``, and the surest option wins. The evidence is the sentence itself, never regenerated.

The instructions come first and never change, so the server's prefix cache keeps them; the sentence and the
options come last. Spec: ``hybrid:local``, ``hybrid:local:MODEL`` or ``hybrid:openai:MODEL``.
"""

from __future__ import annotations

import math
from itertools import combinations
from typing import Any

from kgqa.ingest.chunk import document_sentences
from kgqa.ingest.model import Chunk, Document, EntityMention, Extraction, Fact, Sentence
from kgqa.llm.base import GenParams, LLMError, LLMUnavailable
from kgqa.ontology import Ontology

INSTRUCTIONS = """You check statements against one sentence of a document. Answer Yes only if the sentence itself
states the statement as a fact. Answer No for guesses, for denied, planned, rumoured or hoped-for things, for mere
contact (visited, met, praised, sued, spoke at), and when the sentence only names both in a list.
Answer with one word: Yes or No."""

ACCEPT = 0.85  # P(yes) needed to keep a fact

MAX_PAIRS_PER_SENTENCE = 6


class HybridExtractor:
    """Offline facts plus LLM-labelled co-mention pairs (see the module docstring)."""

    def __init__(self, llm: Any, spec: str, offline: Any | None = None) -> None:
        from kgqa.ingest.extract.offline import OfflineExtractor

        self.llm = llm
        self.name = f"hybrid:{spec}"
        self.offline = offline or OfflineExtractor()
        self.questions = 0  # pairs sent to the model (for reports)
        self.accepted = 0

    def extract(self, doc: Document, chunks: list[Chunk], ontology: Ontology) -> list[Extraction]:
        base = self.offline.extract(doc, chunks, ontology)
        for chunk, ex in zip(chunks, base, strict=False):
            sentences = chunk.sentences or [
                s for s in document_sentences(doc) if s.start < chunk.end and s.end > chunk.start
            ]
            for sentence in sentences:
                ex.facts.extend(self._label_sentence(doc, chunk, sentence, ex, ontology))
        return base

    # ------------------------------------------------------------------------------------------ internals

    def _label_sentence(
        self, doc: Document, chunk: Chunk, sentence: Sentence, ex: Extraction, ontology: Ontology
    ) -> list[Fact]:
        mentions = _mentions_in(ex.mentions, sentence)
        linked = {frozenset((f.subject.casefold(), f.object.casefold())) for f in ex.facts}
        out: list[Fact] = []
        pairs = [
            (a, b)
            for a, b in combinations(mentions, 2)
            if _key(a) != _key(b) and frozenset((_key(a), _key(b))) not in linked
        ]
        for a, b in pairs[:MAX_PAIRS_PER_SENTENCE]:
            options = _options(a, b, ontology)
            if not options:
                continue
            choice = self._ask(sentence.text, options, ontology)
            if choice:
                subj, rel, obj = options[choice - 1]
                self.accepted += 1
                out.append(
                    Fact(
                        subject=subj.canonical or subj.name,
                        relation=rel,
                        object=obj.canonical or obj.name,
                        subject_type=subj.type,
                        object_type=obj.type,
                        doc_id=doc.id,
                        chunk_id=chunk.id,
                        sentence=sentence.text,
                        sentence_index=sentence.index,
                        extractor=self.name,
                        confidence=0.6,
                    )
                )
        return out

    def _ask(self, sentence: str, options: list[tuple[EntityMention, str, EntityMention]], ontology: Ontology) -> int:
        """The option the model confirms most surely (1-based), or 0 when it confirms none above ``ACCEPT``."""
        best, best_p = 0, ACCEPT
        for i, (subj, rel, obj) in enumerate(options, 1):
            p_yes = self._p_yes(sentence, _statement(subj, rel, obj, ontology))
            if p_yes > best_p:
                best, best_p = i, p_yes
        return best

    def _p_yes(self, sentence: str, statement: str) -> float:
        messages = [
            {"role": "system", "content": INSTRUCTIONS},
            {"role": "user", "content": f"Sentence: {sentence.strip()}\nStatement: {statement}\nYes or No?"},
        ]
        self.questions += 1
        try:
            reply = self.llm.complete(
                messages, GenParams(temperature=0.0, max_new_tokens=1, top_logprobs=5), prompt="hybrid-verify@1"
            )
        except LLMUnavailable:
            raise  # the server is down or hung: stop the build rather than read every pair as "no"
        except LLMError:
            return 0.0
        yes = sum(math.exp(v) for k, v in reply.top_logprobs.items() if k.strip().lower() == "yes")
        no = sum(math.exp(v) for k, v in reply.top_logprobs.items() if k.strip().lower() == "no")
        if yes + no == 0.0:  # no log-probabilities from this server: trust the word
            return 1.0 if reply.text.strip().lower().startswith("yes") else 0.0
        return yes / (yes + no)


def _statement(subj: EntityMention, rel: str, obj: EntityMention, ontology: Ontology) -> str:
    """A plain-words claim about two mentions (see :func:`statement`)."""
    return statement(subj.canonical or subj.name, rel, obj.canonical or obj.name, ontology)


def statement(subject: str, rel: str, obj: str, ontology: Ontology) -> str:
    """A plain-words claim: "<subject> <first ontology phrase> <object>"."""
    phrases = next((r.phrases for r in ontology.relation_types if r.name == rel), [])
    words = phrases[0] if phrases else rel.lower().replace("_", " ")
    return f"{subject} {words} {obj}"


def _key(m: EntityMention) -> str:
    return (m.canonical or m.name).casefold()


def _mentions_in(mentions: list[EntityMention], sentence: Sentence) -> list[EntityMention]:
    """Typed mentions inside the sentence, one per name (first occurrence)."""
    seen: set[str] = set()
    out = []
    for m in mentions:
        if m.type is None or m.start is None or not (sentence.start <= m.start < sentence.end):
            continue
        key = _key(m)
        if key not in seen:
            seen.add(key)
            out.append(m)
    return out


def _options(a: EntityMention, b: EntityMention, ontology: Ontology) -> list[tuple[EntityMention, str, EntityMention]]:
    """(subject, relation, object) choices that domain/range allow, both directions (symmetric ones once)."""
    out = []
    for rel in ontology.relation_types:
        if a.type in rel.domain and b.type in rel.range:
            out.append((a, rel.name, b))
        if not rel.symmetric and b.type in rel.domain and a.type in rel.range:
            out.append((b, rel.name, a))
    return out
