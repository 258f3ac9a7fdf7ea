"""Which type one name's nodes share (``decide_type``): a merge needs facts that rule the other types out."""

from __future__ import annotations

from kgqa.ingest.consolidate import decide_type


def _node(type_: str, name: str = "Dorrin") -> dict:
    return {"id": f"{type_.lower()}:{name.lower()}", "name": name, "type": type_, "norm": name.lower()}


def _fact(rel: str, out: bool) -> dict:
    return {"rel": rel, "out": out, "other": "x", "p": {}}


def test_facts_that_admit_one_type_merge(ontology):
    org, person = _node("Organization", "Ilse Marr"), _node("Person", "Ilse Marr")
    facts = {org["id"]: [_fact("FOUNDED", True)], person["id"]: [_fact("BORN_IN", True)]}
    winner, reason = decide_type(ontology, [org, person], facts)
    assert winner == "Person" and "only Person" in reason


def test_votes_alone_do_not_merge(ontology):
    org, person = _node("Organization", "Ilse Marr"), _node("Person", "Ilse Marr")
    facts = {org["id"]: [_fact("FOUNDED", True)], person["id"]: [_fact("MEMBER_OF", True)]}
    winner, reason = decide_type(ontology, [org, person], facts)
    assert winner is None and "no evidence" in reason


def test_a_place_keeps_its_node_beside_a_company_of_its_name(ontology):
    town, firm = _node("Location"), _node("Organization")
    facts = {town["id"]: [_fact("LOCATED_IN", True)], firm["id"]: [_fact("FOUNDED", False)]}
    winner, reason = decide_type(ontology, [town, firm], facts)
    assert winner is None and "the place keeps its own node" in reason


def test_a_misread_place_joins_the_place(ontology):
    town, person = _node("Location"), _node("Person")
    facts = {town["id"]: [_fact("BORN_IN", False)], person["id"]: [_fact("LOCATED_IN", True)]}
    winner, _reason = decide_type(ontology, [town, person], facts)
    assert winner == "Location"


def test_facts_no_type_admits_keep_two_entities(ontology):
    town, person = _node("Location"), _node("Person")
    facts = {town["id"]: [_fact("BORN_IN", False)], person["id"]: [_fact("BORN_IN", True)]}
    assert decide_type(ontology, [town, person], facts)[0] is None
