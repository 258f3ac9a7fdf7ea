"""Linking names written as titles (MetaQA-style film titles), against a real graph of imported triples."""

from __future__ import annotations

import pytest

from kgqa.graph.client import Graph
from kgqa.ingest.triples import entity_id
from kgqa.qa import linking
from kgqa.qa.parser import lexicon
from tests.ask_world import imported_world

KB = """\
country|has_tags|drama
Country|directed_by|Richard Pearce
Me Without You|directed_by|Sandra Goldbacher
Man to Man|directed_by|Régis Wargnier
The Free Will|directed_by|Matthias Glasner
Free Willy|directed_by|Simon Wincer
The Dead|directed_by|John Huston
Dead Bang|directed_by|John Frankenheimer
The Loft|directed_by|Erik Van Looy
Loft|directed_by|Kiyoshi Kurosawa
Dr. Jekyll and Mr. Hyde|starred_actors|Fredric March
Abbott and Costello Meet Dr. Jekyll and Mr. Hyde|starred_actors|Boris Karloff
Puppet Master vs Demonic Toys|starred_actors|Corey Feldman
Toys|starred_actors|Robin Williams
Puppet Master 4|starred_actors|Gordon Currie
Paris|release_year|2003
University of Paris|release_year|1990
"""


@pytest.fixture(scope="module")
def titles(session_graph: Graph, tmp_path_factory: pytest.TempPathFactory) -> Graph:
    return imported_world(session_graph, tmp_path_factory.mktemp("titles"), KB)


def linked(graph: Graph, question: str) -> list[tuple[str, str]]:
    mentions = linking.link(question, graph, reserved=lexicon(None).reserved_words())
    return [(m.entity.mention, m.entity.id) for m in mentions]


@pytest.mark.parametrize(
    ("question", "name"),
    [
        # every word is a question word, a stop word or a relation word: the capitals make it a name
        ("who directed the movie Me Without You", "Me Without You"),
        ("the film Man to Man was directed by who", "Man to Man"),
        # a leading "The" belongs to the title: not the fuzzy "Free Willy" of "Free Will"
        ("who is the director that directed The Free Will", "The Free Will"),
        ("The Free Will was directed by who", "The Free Will"),
        # a lower-case "the" before a title is not part of it
        ("when did the movies directed by the Dead Bang director release", "Dead Bang"),
        ("what are the languages spoken in the films directed by the Loft director", "Loft"),
        # longer than the span limit of the longest-span pass, and joined by "vs"
        ("which movies have the same actor of Abbott and Costello Meet Dr. Jekyll and Mr. Hyde", None),
        ("the actor of Puppet Master vs Demonic Toys also starred in which films", "Puppet Master vs Demonic Toys"),
    ],
)
def test_a_title_links_as_a_whole(titles: Graph, question: str, name: str | None) -> None:
    name = name or "Abbott and Costello Meet Dr. Jekyll and Mr. Hyde"
    assert linked(titles, question) == [(name, entity_id(name))]


def test_the_entity_written_as_in_the_question_comes_first(titles: Graph) -> None:
    mentions = linking.link("the scriptwriter of Country also wrote movies", titles)
    assert [m.entity.id for m in mentions] == [entity_id("Country")]
    assert [c.id for c in mentions[0].candidates] == [entity_id("Country"), entity_id("country")]


def test_a_longer_name_with_a_lower_case_word_still_wins(titles: Graph) -> None:
    # "Paris" is a title run of its own, but "university of Paris" names a longer entity
    assert linked(titles, "when was the university of Paris released") == [
        ("university of Paris", entity_id("University of Paris"))
    ]
