"""A short English reading of a parse, for the answer text: "the CEO of Acme Corp", "Ada was born in Lowmere".

Verb phrases come from the ontology's relation ``statement`` ("X was born in Y"), so every relation reads as a
sentence; negated edges read "did not study at", counts read in the plural ("organizations that are ...").
"""

from __future__ import annotations

from kgqa.ontology import Ontology, RelationType
from kgqa.qa.model import LinkedEntity
from kgqa.qa.parser.lexicon import lexicon
from kgqa.qa.parser.rank import types_of
from kgqa.qa.parser.tree import Edge, Parse, Var, is_bare

GENDERED = {"wife", "husband", "son", "daughter", "brother", "sister", "father", "mother", "man", "woman"}
ACRONYMS = {"ceo": "CEO", "cto": "CTO", "cfo": "CFO"}
PLURAL_TYPES = {"person": "people", "child": "children", "man": "men", "woman": "women"}
_BASE = {"wrote": "write", "died": "die", "is": "be", "was": "be"}


def _pretty(text: str) -> str:
    """Acronyms in capitals: "ceo" → "CEO"."""
    return " ".join(ACRONYMS.get(w, w) for w in text.split())


def statement_parts(rel: RelationType) -> tuple[str, str]:
    """The words of ``rel``'s statement around its object: ("was born in", "") for "X was born in Y"."""
    text = rel.statement or f"X {(rel.phrases[0] if rel.phrases else rel.name.lower().replace('_', ' '))} Y"
    body = text[2:] if text.startswith("X ") else text
    before, _, after = body.partition("Y")
    return before.strip(), after.strip()


def statement(onto: Ontology, rel_name: str, subject: str, obj: str) -> str:
    """The fact as a sentence: "Oren Vale was born in Port Ilsa"."""
    rel = onto.relation(rel_name)
    if rel is None:
        return f"{subject} {rel_name} {obj}"
    before, after = statement_parts(rel)
    return " ".join(w for w in (subject, _pretty(before), obj, after) if w)


def singular(noun: str) -> str:
    """ "companies" → "company", "people" → "person", "city" stays."""
    last, _, rest = noun.rpartition(" ")
    word = {v: k for k, v in PLURAL_TYPES.items()}.get(rest, rest)
    if word == rest and rest.endswith("ies") and len(rest) > 4:
        word = rest[:-3] + "y"
    elif word == rest and rest.endswith("s") and not rest.endswith("ss") and len(rest) > 3:
        word = rest[:-1]
    return f"{last} {word}".strip()


def plural(noun: str) -> str:
    """ "company" → "companies", "person" → "people"; a plural stays."""
    one = singular(noun)
    if one != noun:
        return noun
    last, _, word = noun.rpartition(" ")
    many = PLURAL_TYPES.get(word) or (
        word[:-1] + "ies" if word.endswith("y") and word[-2:-1] not in "aeiou" else word + "s"
    )
    return f"{last} {many}".strip()


def plural_verb(words: str) -> str:
    """ "is headquartered in" → "are headquartered in", "works for" → "work for"."""
    first, _, rest = words.partition(" ")
    first = {"is": "are", "was": "were", "has": "have"}.get(first, first)
    if first.endswith("s") and not first.endswith("ss") and first not in {"are", "were"}:
        first = first[:-1]
    return f"{first} {rest}".strip()


def _negative(words: str, many: bool) -> str:
    """The negative verb, in the plural when ``many``: "do not live in", "were not founded by"."""
    verb = negative_verb(words)
    if not many:
        return verb
    first, _, rest = verb.partition(" ")
    return f"{ {'does': 'do', 'is': 'are', 'was': 'were'}.get(first, first) } {rest}"


def negative_verb(words: str) -> str:
    """ "studied at" → "did not study at", "works for" → "does not work for", "is in" → "is not in"."""
    first, _, rest = words.partition(" ")
    if first in {"is", "was", "are", "were"}:
        return f"{first} not {rest}".strip()
    if first in _BASE:
        base, aux = _BASE[first], "did"
    elif first.endswith("ied"):
        base, aux = first[:-3] + "y", "did"
    elif first.endswith("ed"):
        base, aux = first[:-2] + ("e" if first[-3] in "rvzc" else ""), "did"
    elif first.endswith("s"):
        base, aux = first[:-1], "does"
    else:
        base, aux = first, "does"
    return f"{aux} not {base} {rest}".strip()


def _anyone(var: Var, negated: bool) -> str:
    """A bare variable at the end of an edge: "a company", "anyone" (negated), "someone"."""
    if var.noun:
        noun = singular(var.noun)
        return f"any {noun}" if negated else f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"
    return "anyone" if negated else "someone"


def humanise(parse: Parse, linked: list[LinkedEntity], ontology: str | None = None, *, many: bool = False) -> str:
    """A short reading of a parse for the answer text: "the CEO of Acme Corp" (``many``: "organizations that")."""
    lex = lexicon(ontology)
    onto = lex.ontology

    def noun_phrase(var: Var, many: bool = False) -> str:
        if var.const is not None:
            return linked[var.const].name if 0 <= var.const < len(linked) else "?"
        if len(var.edges) == 1 and not var.edges[0].negated and not var.noun:
            e = var.edges[0]
            rel = onto.relation(e.rel)
            if rel is not None:
                nouns = rel.nouns if (e.out or rel.symmetric) else rel.inverse_nouns
                nouns = [n for n in nouns if n not in GENDERED]
                if nouns:
                    head = plural(_pretty(nouns[0])) if many else _pretty(nouns[0])
                    return f"{'' if many else 'the '}{head} of {noun_phrase(e.other)}"
        types = var.types or types_of(var, linked, lex)
        noun = var.noun or (sorted(types)[0].lower() if types and len(types) == 1 else "")
        head = (plural(noun) if many else f"the {singular(noun)}") if noun else "those" if many else "the one"
        if not var.edges:
            return head
        return f"{head} that " + " and ".join(verb_phrase(e, many) for e in var.edges)

    def verb_phrase(e: Edge, many: bool) -> str:
        rel = onto.relation(e.rel)
        other = noun_phrase(e.other) if not is_bare(e.other) else _anyone(e.other, e.negated)
        if rel is None:
            return f"{e.rel} {other}"
        before, after = statement_parts(rel)
        if e.out or rel.symmetric:  # the answer is the subject: "that was born in Y"
            verb = _negative(before, many) if e.negated else plural_verb(before) if many else before
            return " ".join(w for w in (_pretty(verb), other, after) if w)
        passive = next((p for p in rel.inverse_phrases if p.split()[0] in {"is", "was"} and p.endswith(" by")), "")
        if passive:  # "that was founded by X"
            verb = _negative(passive, many) if e.negated else plural_verb(passive) if many else passive
            return f"{verb} {other}"
        verb = negative_verb(before) if e.negated else before  # "that X was born in"
        return " ".join(w for w in (other, _pretty(verb), after) if w)

    text = noun_phrase(parse.answer, many)
    return text[:1].upper() + text[1:]


def claim(parse: Parse, linked: list[LinkedEntity], ontology: str | None = None) -> str:
    """What a yes/no or "same" question asks, as a statement: "Mara Quill is married to Oren Vale"."""
    onto = lexicon(ontology).ontology

    def name(var: Var) -> str:
        if var.const is not None and 0 <= var.const < len(linked):
            return linked[var.const].name
        return humanise(Parse(var), linked, ontology)[:1].lower() + humanise(Parse(var), linked, ontology)[1:]

    if parse.kind == "same":
        subjects = " and ".join(name(e.other) for e in parse.answer.edges)
        rel = onto.relation(parse.answer.edges[0].rel) if parse.answer.edges else None
        before = plural_verb(statement_parts(rel)[0]) if rel is not None else "share"
        return f"{subjects} {_pretty(before)} the same {singular(parse.answer.noun) if parse.answer.noun else 'one'}"
    if parse.subject is None:  # "are there any people born in Y": "there is a person that was born in Y"
        reading = humanise(parse, linked, ontology)
        rest = reading[4:] if reading.lower().startswith("the ") else reading[:1].lower() + reading[1:]
        return f"there is {'an' if rest[:1].lower() in 'aeiou' else 'a'} {rest}"
    subject = linked[parse.subject].name if parse.subject < len(linked) else "it"
    parts = [
        statement(onto, e.rel, subject, name(e.other)) if e.out else statement(onto, e.rel, name(e.other), subject)
        for e in parse.answer.edges
    ]
    return " and ".join(parts)
