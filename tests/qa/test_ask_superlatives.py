"""Superlatives (issue 14) against the real embedded graph: counts per entity (most / fewest, ties, inside a
named place), orderings by a node property where the graph has one, and refusals with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from kgqa.graph.client import Graph
from kgqa.graph.stats import graph_stats
from kgqa.qa.cypher_checks import check_cypher
from kgqa.qa.pipeline import ask, invalidate_caches
from kgqa.qa.resources import graph_schema
from tests.ask_world import answer_names, gold_world

WORLD = """
Halvik	LOCATED_IN	Nordmark
Brask	LOCATED_IN	Halvik
Tolle	LOCATED_IN	Halvik
Fenn	LOCATED_IN	Sudland
Ida Marr	STUDIED_AT	Halvik Academy
Per Quist	STUDIED_AT	Halvik Academy
Ola Venn	STUDIED_AT	Halvik Academy
Una Berg	STUDIED_AT	Fenn College
Ida Marr	FOUNDED	Brask Tiles
Ida Marr	FOUNDED	Tolle Glass
Ola Venn	FOUNDED	Brask Tiles
Per Quist	WORKS_FOR	Brask Tiles
Una Berg	WORKS_FOR	Brask Tiles
Ola Venn	WORKS_FOR	Tolle Glass
Ida Marr	WORKS_FOR	Tolle Glass
Una Berg	WORKS_FOR	Fenn Mills
Brask Tiles	HEADQUARTERED_IN	Brask
Tolle Glass	HEADQUARTERED_IN	Brask
Fenn Mills	HEADQUARTERED_IN	Fenn
Halvik Academy	HEADQUARTERED_IN	Tolle
"""


@pytest.fixture()
def world(graph: Graph, tmp_path: Path) -> Graph:
    return gold_world(graph, tmp_path, WORLD)


names = answer_names


@pytest.mark.parametrize(
    ("question", "gold", "text"),
    [
        ("Which university has the most graduates?", {"Halvik Academy"}, "Halvik Academy, with 3 graduates:"),
        ("Who founded the most companies?", {"Ida Marr"}, "Ida Marr, with 2 companies:"),
        ("Which company has the most employees?", {"Brask Tiles", "Tolle Glass"}, "with 2 employees each"),
        ("Which company has the fewest employees?", {"Fenn Mills"}, "Fenn Mills, with 1 employee:"),
        ("In which town of Nordmark are the most companies headquartered?", {"Brask"}, "Brask, with 2 companies"),
        ("In which country are the most companies headquartered?", {"Nordmark"}, "Nordmark, with 3 companies"),
    ],
)
def test_count_superlatives(world: Graph, question: str, gold: set[str], text: str) -> None:
    res = ask(question, world)
    assert res.status == "answered" and names(res) == gold, res.answer
    assert text in res.answer and res.value is None and res.evidence
    assert "count(DISTINCT" in (res.cypher or "") and "[1]" in res.answer
    assert not [c for c in res.checks if c.status == "failed"], res.checks


def test_fewest_says_among_those_with_any(world: Graph) -> None:
    res = ask("Which company has the fewest employees?", world)
    assert "among those with any" in res.answer  # companies with no employee fact are not "fewest"


def test_superlative_cypher_passes_every_check_with_the_cost_rule(world: Graph) -> None:
    res = ask("Which university has the most graduates?", world)
    schema, _ = graph_schema(world)
    outcome = check_cypher(res.cypher or "", res.params, schema, graph=world, stats=graph_stats(world))
    assert outcome.ok, outcome.checks
    cost = next(c for c in outcome.checks if c.name == "cost")
    assert cost.status == "passed", cost.detail


def test_ordering_by_a_property_the_graph_has(world: Graph) -> None:
    world.write(
        "MATCH (o:Entity {id: 'organization:brask-tiles'}) SET o.founding_date = '1998-04-01' WITH 1 AS one "
        "MATCH (o:Entity {id: 'organization:tolle-glass'}) SET o.founding_date = '2011-09-12' WITH 1 AS one "
        "MATCH (o:Entity {id: 'organization:fenn-mills'}) SET o.founding_date = '1998-04-01'"
    )
    invalidate_caches(world)
    res = ask("Which is the oldest company?", world)
    assert res.status == "answered" and names(res) == {"Brask Tiles", "Fenn Mills"}, res.answer  # a tie
    assert "founding date 1998-04-01 each" in res.answer
    res = ask("Which company was founded most recently?", world)
    assert names(res) == {"Tolle Glass"}, res.answer


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("Which is the oldest company?", "the graph has no founding dates"),
        ("Who is the youngest person?", "the graph has no birth dates"),
        ("which is the most?", "needs something to count"),
        ("Which company has the most shareholders?", "shareholders"),  # no such relation in the ontology
        ("Which book has the most authors?", "the graph has no AUTHOR_OF facts"),  # none in the graph
        ("Which company has the most employees in Fenn?", "kgqa reads superlatives"),  # "in Fenn" is not dropped
    ],
)
def test_refused_with_the_reason(world: Graph, question: str, reason: str) -> None:
    res = ask(question, world)
    assert res.status in {"no_answer", "fallback"} and not res.answers and res.value is None, res.answer
    assert reason in res.answer, res.answer
