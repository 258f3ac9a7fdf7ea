"""Asking over imported triples with a small example bank (MetaQA-style), against the real graph."""

from __future__ import annotations

import pytest

from kgqa.graph.client import Graph
from kgqa.qa.examples import Example, ExampleBank, path_cypher
from kgqa.qa.pipeline import ask
from tests.ask_world import imported_world

# Two films called Sleuth share one entity (as in MetaQA); Michael Caine is in both, so his fact has two lines.
KB = """\
Sleuth|starred_actors|Laurence Olivier
Sleuth|starred_actors|Michael Caine
Sleuth|starred_actors|Jude Law
Sleuth|starred_actors|Michael Caine
Sleuth|starred_actors|Harold Pinter
12|in_language|Russian
Lost in Translation|has_tags|language
1984|starred_actors|Edmond O'Brien
5x2|written_by|François Ozon
Star Wars|has_tags|stars
Tenet|has_tags|writers
Me Without You|directed_by|Sandra Goldbacher
"""

BANK = ExampleBank(
    [
        Example(question="who stars in [ENTITY]", cypher=path_cypher([("STARRED_ACTORS", "out")])),
        Example(question="what language is [ENTITY] in", cypher=path_cypher([("IN_LANGUAGE", "out")])),
        Example(question="who directed the movie [ENTITY]", cypher=path_cypher([("DIRECTED_BY", "out")])),
        Example(question="which writers wrote [ENTITY]", cypher=path_cypher([("WRITTEN_BY", "out")])),
    ]
)


@pytest.fixture(scope="module")
def films(session_graph: Graph, tmp_path_factory: pytest.TempPathFactory) -> Graph:
    return imported_world(session_graph, tmp_path_factory.mktemp("films"), KB)


def answer_names(graph: Graph, question: str) -> list[str]:
    return [a.name for a in ask(question, graph, examples=BANK).answers]


def test_the_best_supported_answer_comes_first(films: Graph) -> None:
    # one fact stated twice ranks above facts stated once; ties stay in name order
    assert answer_names(films, "who stars in Sleuth") == [
        "Michael Caine",
        "Harold Pinter",
        "Jude Law",
        "Laurence Olivier",
    ]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # "language" and "stars" are entities (tags) too, but the bank's templates spell them out
        ("what language is 12 in", ["Russian"]),
        ("who stars in 1984", ["Edmond O'Brien"]),
        ("which writers wrote 5x2", ["François Ozon"]),
    ],
)
def test_a_word_of_a_known_template_is_not_a_name(films: Graph, question: str, expected: list[str]) -> None:
    res = ask(question, films, examples=BANK)
    assert [a.name for a in res.answers] == expected
    assert len(res.linked_entities) == 1


def test_a_title_made_of_question_words_is_answered(films: Graph) -> None:
    assert answer_names(films, "who directed the movie Me Without You") == ["Sandra Goldbacher"]
