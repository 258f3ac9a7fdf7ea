"""Offline question → Cypher: a compositional parser over the ontology's relation phrases and nouns.

The question's linked entities are replaced by placeholders, words are stemmed, and a small
backtracking grammar builds a tree of constraints rooted at the answer:

- noun chains: "the sibling of the CEO of X", "X's CEO", "the birthplace of X"
- relative clauses: "the company that acquired X", "the firm that X bought", "the company X founded",
  participles: "the company founded by X"
- subject and object questions: "who works for X", "where does X work", "which company did X acquire"
- filters: "people who work for X and live in Y"; question words who/which/what/where/how many

Each parse compiles to parameterised Cypher (entity ids as ``$e0``, ``$e1``), written from the linked
entities towards the answer, with fixed-length patterns, symmetric relations undirected, and a LIMIT.
Parses are ranked by how well they fit the graph schema and the question word.

Modules: ``lexicon`` (words, stemmer, the ontology's phrases), ``tree`` (parse trees), ``grammar`` (phrases),
``question`` (question words, dispatched from a table), ``compiler`` (→ Cypher), ``rank`` (scores),
``reading`` (a parse in English), ``generator`` (the ``CypherGenerator``).
"""

from kgqa.qa.parser.compiler import compile_parse
from kgqa.qa.parser.generator import ParsedQuery, ParserGenerator, parse_question, placeholder_question, rebind_example
from kgqa.qa.parser.lexicon import (
    AUX,
    DET,
    FILLER,
    IMPERATIVE,
    IRREGULAR,
    PREPS,
    REL_WORDS,
    Lexicon,
    NounSense,
    VerbSense,
    lexicon,
    stem,
    words,
)
from kgqa.qa.parser.rank import answer_types
from kgqa.qa.parser.reading import ACRONYMS, GENDERED, humanise
from kgqa.qa.parser.tree import Edge, Parse, Var

__all__ = [
    "ACRONYMS",
    "AUX",
    "DET",
    "FILLER",
    "GENDERED",
    "IMPERATIVE",
    "IRREGULAR",
    "PREPS",
    "REL_WORDS",
    "Edge",
    "Lexicon",
    "NounSense",
    "Parse",
    "ParsedQuery",
    "ParserGenerator",
    "Var",
    "VerbSense",
    "answer_types",
    "compile_parse",
    "humanise",
    "lexicon",
    "parse_question",
    "placeholder_question",
    "rebind_example",
    "stem",
    "words",
]
