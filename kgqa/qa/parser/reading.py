"""A short English reading of a parse, for the answer text: "the CEO of Acme Corp"."""

from __future__ import annotations

from kgqa.qa.model import LinkedEntity
from kgqa.qa.parser.lexicon import lexicon
from kgqa.qa.parser.rank import types_of
from kgqa.qa.parser.tree import Edge, Parse, Var

GENDERED = {"wife", "husband", "son", "daughter", "brother", "sister", "father", "mother", "man", "woman"}
ACRONYMS = {"ceo": "CEO", "cto": "CTO", "cfo": "CFO"}


def _pretty(text: str) -> str:
    """Acronyms in capitals: "ceo" → "CEO"."""
    return " ".join(ACRONYMS.get(w, w) for w in text.split())


def humanise(parse: Parse, linked: list[LinkedEntity], ontology: str | None = None) -> str:
    """A short reading of a parse for the answer text: "the CEO of Acme Corp"."""
    lex = lexicon(ontology)
    onto = lex.ontology

    def noun_phrase(var: Var) -> str:
        if var.const is not None:
            return linked[var.const].name if 0 <= var.const < len(linked) else "?"
        if len(var.edges) == 1:
            e = var.edges[0]
            rel = onto.relation(e.rel)
            if rel is not None:
                nouns = rel.nouns if (e.out or rel.symmetric) else rel.inverse_nouns
                nouns = [n for n in nouns if n not in GENDERED]
                if nouns:
                    return f"the {_pretty(nouns[0])} of {noun_phrase(e.other)}"
        types = var.types or types_of(var, linked, lex)
        head = sorted(types)[0].lower() if types and len(types) == 1 else "the one"
        head = head if head == "the one" else f"the {head}"
        return f"{head} that " + " and ".join(verb_phrase(e) for e in var.edges)

    def verb_phrase(e: Edge) -> str:
        rel = onto.relation(e.rel)
        other = noun_phrase(e.other)
        if rel is None:
            return f"{e.rel} {other}"
        if e.out or rel.symmetric:
            words_ = rel.phrases[0] if rel.phrases else e.rel.lower().replace("_", " ")
            return f"{_pretty(words_)} {other}"
        if rel.inverse and not rel.inverse.endswith(" of"):
            return f"is {_pretty(rel.inverse)} {other}"
        words_ = rel.phrases[0] if rel.phrases else e.rel.lower().replace("_", " ")
        return f"{other} {_pretty(words_)}"

    text = noun_phrase(parse.answer)
    return text[:1].upper() + text[1:]
