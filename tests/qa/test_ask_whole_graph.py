"""Whole-graph type questions and the level check on answers (issue 14), against the real embedded graph.

"How many people are in the graph?", "List all companies.", "Which towns are there?": every node of the type (and
level), counted or listed, capped past the row limit; types the ontology lacks and gendered nouns are refused with
the reason. An answer whose own name or place in the LOCATED_IN chain contradicts the asked level ("the Varro Coast"
as a country) is dropped, and with none left the question is refused with the reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kgqa.graph.client import Graph
from kgqa.graph.stats import GraphStats, graph_stats
from kgqa.qa.cypher_checks import check_cypher
from kgqa.qa.levels import name_conflict
from kgqa.qa.parser import lexicon
from kgqa.qa.pipeline import AskOptions, ask
from kgqa.qa.resources import graph_schema
from tests.ask_world import answer_names, gold_world

WORLD = """
Dunmoor	LOCATED_IN	Arvel
Brinn	LOCATED_IN	Dunmoor
Coldwater	LOCATED_IN	Dunmoor
Ostrey	LOCATED_IN	Varro Coast
Tarn	LOCATED_IN	Lendra
Brinn Mills	HEADQUARTERED_IN	Brinn
Ostrey Salt	HEADQUARTERED_IN	Ostrey
Ann Rook	CEO_OF	Brinn Mills
Ann Rook	BORN_IN	Brinn
Ben Rook	BORN_IN	Ostrey
Ben Rook	STUDIED_AT	Arvel College
Cal Weir	LIVES_IN	Tarn
Ann Rook	LIVES_IN	Coldwater
"""


@pytest.fixture()
def world(graph: Graph, tmp_path: Path) -> Graph:
    return gold_world(graph, tmp_path, WORLD)


names = answer_names
PEOPLE = {"Ann Rook", "Ben Rook", "Cal Weir"}
ORGS = {"Brinn Mills", "Ostrey Salt", "Arvel College"}


@pytest.mark.parametrize(
    ("question", "gold", "value", "text"),
    [
        ("How many people are in the graph?", PEOPLE, 3, "The graph has 3 people: Ann Rook, Ben Rook and Cal Weir."),
        ("How many persons does the graph know about?", PEOPLE, 3, "The graph has 3 persons"),
        ("people?", PEOPLE, None, "The graph has 3 people"),
        ("How many towns do you know of?", {"Brinn", "Coldwater", "Ostrey", "Tarn"}, 4, "The graph has 4 towns"),
        ("Name all the organisations in the data.", ORGS, None, "The graph has 3 organisations"),
        ("Which organizations are there?", ORGS, None, "The graph has 3 organizations: Arvel College,"),
        (
            "List all companies.",
            {"Brinn Mills", "Ostrey Salt"},
            None,
            "2 companies (by name and facts: organizations that are not schools, clubs or institutions)",
        ),
        ("Name every university.", {"Arvel College"}, None, "The graph has 1 university (by name and facts)"),
        ("How many countries are there?", {"Arvel", "Lendra"}, 2, "(by their place in the LOCATED_IN chain)"),
        ("How many towns does the graph know?", {"Brinn", "Coldwater", "Ostrey", "Tarn"}, 4, "The graph has 4 towns"),
        (
            "Which regions are in the graph?",
            {"Dunmoor"},
            None,
            "The graph has 1 region (by its place in the LOCATED_IN chain): Dunmoor.",
        ),
    ],
)
def test_type_questions(world: Graph, question: str, gold: set[str], value: int | None, text: str) -> None:
    res = ask(question, world)
    assert res.status == "answered" and names(res) == gold, res.answer
    assert res.value == value and text in res.answer, res.answer
    assert res.answer.endswith(".") and not [c for c in res.checks if c.status == "failed"], res.checks


KINDS = """
Ada Moss	STUDIED_AT	Halden
Ada Moss	WORKS_FOR	Kessel Institute
Ada Moss	MEMBER_OF	River Rowing Club
Kessel Institute	HEADQUARTERED_IN	Brinn
Brinn Mills	HEADQUARTERED_IN	Brinn
Halden	LOCATED_IN	Brinn
"""


def test_kinds_of_organization_are_told_by_name_and_facts(graph: Graph, tmp_path: Path) -> None:
    """A school is one by its name or because someone studied at it ("Halden"); a company is none of the other
    kinds; in a question about one entity "company" stays loose (the institute employs Ada)."""
    world = gold_world(graph, tmp_path, KINDS)
    assert names(ask("Which schools are in the graph?", world)) == {"Halden"}
    assert names(ask("List all clubs.", world)) == {"River Rowing Club"}
    assert names(ask("How many companies are there?", world)) == {"Brinn Mills"}
    assert names(ask("Which companies are based in Brinn?", world)) == {"Brinn Mills", "Kessel Institute"}
    assert names(ask("What company employs Ada Moss?", world)) == {"Kessel Institute"}
    assert names(ask("Which university did Ada Moss attend?", world)) == {"Halden"}
    assert not names(ask("Which clubs does Ada Moss work for?", world))


def test_a_country_is_not_a_place_the_graph_puts_nowhere(world: Graph) -> None:
    # "Varro Coast" holds a town and lies in nothing, but its name says it is no country
    assert "Varro Coast" not in names(ask("List all countries.", world))


def test_type_question_cypher_passes_every_check_with_the_cost_rule(world: Graph) -> None:
    res = ask("How many towns does the graph know?", world)
    schema, _ = graph_schema(world)
    outcome = check_cypher(res.cypher or "", res.params, schema, graph=world, stats=graph_stats(world))
    assert outcome.ok and "LIMIT" in outcome.cypher, outcome.checks


def test_a_huge_type_is_cheap_to_read(world: Graph) -> None:
    """The scan has no ORDER BY, so the LIMIT bounds it whatever the label holds."""
    res = ask("How many people are in the graph?", world)
    schema, _ = graph_schema(world)
    stats = GraphStats(nodes=50_000_000, labels={"Person": 40_000_000, "Entity": 50_000_000}, relationships=0)
    outcome = check_cypher(res.cypher or "", res.params, schema, stats=stats)
    assert outcome.ok, outcome.checks


def test_past_the_limit_the_count_and_the_list_say_they_are_capped(world: Graph) -> None:
    opts = AskOptions(limit=2)
    count = ask("How many people are in the graph?", world, options=opts)
    assert count.status == "answered" and count.value == 2 and "at least 2 people" in count.answer, count.answer
    listed = ask("List all people.", world, options=opts)
    assert listed.status == "answered" and len(listed.answers) == 2 and "the list stops at 2" in listed.answer


def test_a_list_asked_for_is_written_out_in_full(graph: Graph, tmp_path: Path) -> None:
    """ "List every person": up to 50 names in the text, not the first ten and "17 more"."""
    people = "\n".join(f"Person{n:02d} Rook\tLIVES_IN\tBrinn" for n in range(27))
    world = gold_world(graph, tmp_path, people)
    res = ask("List every person in the graph.", world)
    assert res.status == "answered" and len(res.answers) == 27, res.answer
    assert "Person26 Rook" in res.answer and "more" not in res.answer, res.answer


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("How many things are in the graph?", "no relation or type for “things”"),
        ("How many women are in the graph?", "does not record gender"),
        ("How many villages are in the graph of Brinn?", ""),
    ],
)
def test_type_questions_refused_with_the_reason(world: Graph, question: str, reason: str) -> None:
    res = ask(question, world)
    assert res.status in {"no_answer", "fallback"} and not res.answers, res.answer
    assert reason in res.answer


def test_a_level_noun_reads_as_its_level(world: Graph) -> None:
    res = ask("List all villages in the graph.", world)  # "village", "town" and "city": the bottom of the chain
    assert res.status == "answered" and names(res) == {"Brinn", "Coldwater", "Ostrey", "Tarn"}, res.answer


def test_no_towns_is_said_as_the_reason(graph: Graph, tmp_path: Path) -> None:
    no_places = gold_world(graph, tmp_path, "Ann Rook\tWORKS_FOR\tBrinn Mills")
    for question in ("List all towns.", "How many towns are there?"):
        res = ask(question, no_places)
        assert res.status == "no_answer" and "the graph has no towns (no Location entities" in res.answer, res.answer


def test_no_node_of_the_level_is_said_as_the_reason(graph: Graph, tmp_path: Path) -> None:
    flat = gold_world(graph, tmp_path, "Ann Rook\tLIVES_IN\tBrinn")  # a place, but no chain of places
    for question in ("List all regions.", "How many regions are there?"):
        res = ask(question, flat)
        assert res.status == "no_answer" and "cannot tell regions from other places" in res.answer, res.answer


def test_a_coast_is_not_given_as_the_country(world: Graph) -> None:
    res = ask("Which country is Ostrey in?", world)
    assert res.status in {"no_answer", "fallback"} and not res.answers, res.answer
    assert "Varro Coast is named as a coast" in res.answer and "not a country" in res.answer


@pytest.mark.parametrize(
    ("name", "level", "noun", "conflict"),
    [
        ("Ambrel Coast", "top", "country", True),
        ("Ambrel Coast", "middle", "region", False),
        ("Velmont Province", "top", "country", True),
        ("Velmont Province", "middle", "province", False),
        ("Orrey Highlands", "top", "country", True),
        ("United States", "top", "country", False),  # "states" is not the level noun "state"
        ("Norvania", "top", "country", False),
        ("Marrow Bay", "leaf", "town", False),
    ],
)
def test_name_conflict(name: str, level: str, noun: str, conflict: bool) -> None:
    assert bool(name_conflict(name, "Location", level, noun, lexicon())) is conflict
