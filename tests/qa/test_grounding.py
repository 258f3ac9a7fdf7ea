"""The grounding check reads names in an answer text against the graph's name index (real graph)."""

from __future__ import annotations

from kgqa.graph.client import Graph
from kgqa.qa import linking
from kgqa.qa.answer_text import _grounding_problems
from kgqa.qa.model import AskResult, Subgraph, SubgraphNode
from kgqa.qa.pipeline import invalidate_caches
from tests.ask_world import load_world


def test_lower_case_words_are_not_names_but_capitalised_ones_are(graph: Graph) -> None:
    load_world(graph)
    # a film called "More" (MetaQA has one): the template's "and 2 more" must not read as that film
    graph.write("MERGE (e:Entity:Work {id: 'work:more'}) SET e.name = 'More', e.norm = 'more'")
    invalidate_caches(graph)
    linking.name_index(graph, refresh=True)
    nodes = [SubgraphNode(id="org:acme", name="Acme Corp"), SubgraphNode(id="person:babbage", name="Charles Babbage")]
    res = AskResult(question="Who works for Acme?", answer="", subgraph=Subgraph(nodes=nodes))
    assert _grounding_problems("Charles Babbage works for Acme Corp, and 2 more.", res, graph) == []
    assert _grounding_problems("Charles Babbage works for Acme Corp and starred in More.", res, graph) == ["more"]
    # a name from the graph that is not in the subgraph is still caught
    assert "london" in _grounding_problems("Charles Babbage works for Acme Corp in London.", res, graph)


def test_a_list_of_names_does_not_name_the_entity_its_words_join_into(graph: Graph) -> None:
    # MetaQA has the genres Crime and Drama and also a tag "crime drama": "Crime, Drama and Thriller" lists three
    # genres and names no tag; the tag written as one name is still caught
    graph.write(
        "UNWIND $rows AS r MERGE (e:Entity {id: r[0]}) SET e.name = r[1], e.norm = r[2]",
        {
            "rows": [
                ["g:crime", "Crime", "crime"],
                ["g:drama", "Drama", "drama"],
                ["t:cd", "crime drama", "crime drama"],
            ]
        },
    )
    invalidate_caches(graph)
    linking.name_index(graph, refresh=True)
    nodes = [SubgraphNode(id="g:crime", name="Crime"), SubgraphNode(id="g:drama", name="Drama")]
    res = AskResult(question="What genre is Safe?", answer="", subgraph=Subgraph(nodes=nodes))
    assert _grounding_problems("Safe: Crime, Drama [1].", res, graph) == []
    assert _grounding_problems("Safe is a Crime Drama.", res, graph) == ["crime drama"]
