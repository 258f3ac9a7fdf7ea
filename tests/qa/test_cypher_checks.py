"""Rule-based Cypher checks without a server: each rule, its fixes, and both read-only layers on their own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import kgqa.qa.cypher_checks as cc
from kgqa.graph.schema import GraphSchema
from kgqa.qa.cypher_checks import READ_PROCEDURES, check_cypher

DATA = Path(__file__).parents[1] / "data"

SCHEMA = GraphSchema(
    labels=["Company", "Entity", "Movie", "Person", "SET"],
    relationship_types=["ACTED_IN", "DIRECTED", "KNOWS", "WORKS_FOR"],
    node_properties={
        "Person": ["born", "delete", "id", "name"],
        "Movie": ["id", "released", "title"],
        "Company": ["id", "name"],
        "SET": ["id", "name"],
        "Entity": ["id", "name"],
    },
    relationship_properties={"ACTED_IN": ["roles"], "DIRECTED": [], "KNOWS": ["since"], "WORKS_FOR": []},
    patterns=[
        ("Person", "ACTED_IN", "Movie"),
        ("Person", "DIRECTED", "Movie"),
        ("Person", "KNOWS", "Person"),
        ("Person", "WORKS_FOR", "Company"),
    ],
)


def corpus(name: str) -> list[dict]:
    with open(DATA / name, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def status(outcome: cc.CheckOutcome) -> dict[str, str]:
    return {c.name: c.status for c in outcome.checks}


def detail(outcome: cc.CheckOutcome, name: str) -> str:
    return next(c.detail for c in outcome.checks if c.name == name)


def one_line(text: str) -> str:
    return " ".join(text.split())


# ---------------------------------------------------------------------------------------------- direction


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "MATCH (m:Movie)-[:ACTED_IN]->(p:Person) RETURN p.name LIMIT 5",
            "MATCH (m:Movie)<-[:ACTED_IN]-(p:Person) RETURN p.name LIMIT 5",
        ),
        (
            "MATCH (c:Company)-[r:WORKS_FOR*1..2]->(p:Person) RETURN p.name LIMIT 5",
            "MATCH (c:Company)<-[r:WORKS_FOR*1..2]-(p:Person) RETURN p.name LIMIT 5",
        ),
        (
            "MATCH (p:Person)<-[:DIRECTED]-(m:Movie) RETURN p.name LIMIT 5",
            "MATCH (p:Person)-[:DIRECTED]->(m:Movie) RETURN p.name LIMIT 5",
        ),
        (  # labels known only from elsewhere in the query
            "MATCH (m:Movie) MATCH (m)-[:ACTED_IN]->(p) WHERE p:Person RETURN p.name LIMIT 5",
            "MATCH (m:Movie) MATCH (m)<-[:ACTED_IN]-(p) WHERE p:Person RETURN p.name LIMIT 5",
        ),
    ],
)
def test_reversed_direction_is_fixed(query: str, expected: str) -> None:
    outcome = check_cypher(query, {}, SCHEMA)
    assert outcome.ok, outcome.checks
    assert status(outcome)["direction"] == "fixed"
    assert outcome.cypher == expected


def test_reversed_variable_length_is_fixed_and_bounded_together() -> None:
    outcome = check_cypher("MATCH (c:Company)-[:WORKS_FOR*]->(p:Person) RETURN p.name LIMIT 5", {}, SCHEMA)
    assert outcome.ok
    assert outcome.cypher == "MATCH (c:Company)<-[:WORKS_FOR*..4]-(p:Person) RETURN p.name LIMIT 5"
    assert status(outcome)["direction"] == "fixed" and status(outcome)["bounds"] == "fixed"


def test_direction_correct_and_undirected_pass() -> None:
    for query in (
        "MATCH (p:Person)-[:ACTED_IN]->(m:Movie) RETURN m.title LIMIT 5",
        "MATCH (m:Movie)-[:ACTED_IN]-(p:Person) RETURN m.title LIMIT 5",
        "MATCH (m:Movie)--(p:Person) RETURN m.title LIMIT 5",
    ):
        outcome = check_cypher(query, {}, SCHEMA)
        assert outcome.ok and status(outcome)["direction"] == "passed", (query, outcome.checks)
        assert outcome.cypher == query


# ---------------------------------------------------------------------------------------------- bounds


@pytest.mark.parametrize(
    ("pattern", "fixed"),
    [("*", "*..4"), ("*2..", "*2..4"), ("*..", "*..4"), ("*0..", "*0..4")],
)
def test_unbounded_is_bounded(pattern: str, fixed: str) -> None:
    outcome = check_cypher(f"MATCH (a:Person)-[:KNOWS{pattern}]->(b:Person) RETURN b.name LIMIT 5", {}, SCHEMA)
    assert outcome.ok, outcome.checks
    assert status(outcome)["bounds"] == "fixed"
    assert f"[:KNOWS{fixed}]" in outcome.cypher


@pytest.mark.parametrize("pattern", ["*1..9", "*7", "*5..", "*..5"])
def test_bounds_above_max_fail(pattern: str) -> None:
    outcome = check_cypher(f"MATCH (a:Person)-[:KNOWS{pattern}]->(b:Person) RETURN b.name LIMIT 5", {}, SCHEMA)
    assert not outcome.ok and status(outcome)["bounds"] == "failed"
    assert "maximum 4" in detail(outcome, "bounds")


def test_bounds_within_max_pass_and_max_hops_is_configurable() -> None:
    query = "MATCH (a:Person)-[:KNOWS*1..3]->(b:Person) RETURN b.name LIMIT 5"
    assert status(check_cypher(query, {}, SCHEMA))["bounds"] == "passed"
    assert status(check_cypher(query, {}, SCHEMA, max_hops=2))["bounds"] == "failed"


def test_shortest_path_is_bounded() -> None:
    outcome = check_cypher(
        "MATCH p = shortestPath((a:Person)-[:KNOWS*]-(b:Person)) RETURN p LIMIT 1", {}, SCHEMA, max_hops=3
    )
    assert (
        outcome.ok and outcome.cypher == "MATCH p = shortestPath((a:Person)-[:KNOWS*..3]-(b:Person)) RETURN p LIMIT 1"
    )
    outcome = check_cypher("MATCH p = allShortestPaths((a)-[*..9]-(b)) RETURN p LIMIT 1", {}, None)
    assert not outcome.ok and status(outcome)["bounds"] == "failed"


# ---------------------------------------------------------------------------------------------- limit


def test_limit_added_lowered_kept() -> None:
    added = check_cypher("MATCH (p:Person) RETURN p.name", {}, SCHEMA, limit=20)
    assert one_line(added.cypher) == "MATCH (p:Person) RETURN p.name LIMIT 20"
    assert status(added)["limit"] == "fixed"
    lowered = check_cypher("MATCH (p:Person) RETURN p.name ORDER BY p.name SKIP 2 LIMIT 500", {}, SCHEMA, limit=20)
    assert lowered.cypher == "MATCH (p:Person) RETURN p.name ORDER BY p.name SKIP 2 LIMIT 20"
    kept = check_cypher("MATCH (p:Person) RETURN p.name LIMIT 3", {}, SCHEMA, limit=20)
    assert status(kept)["limit"] == "passed" and kept.cypher.endswith("LIMIT 3")


def test_limit_parameter_and_union_parts() -> None:
    ok = check_cypher("MATCH (p:Person) RETURN p.name LIMIT $n", {"n": 5}, SCHEMA)
    assert status(ok)["limit"] == "passed"
    capped = check_cypher("MATCH (p:Person) RETURN p.name LIMIT $n", {"n": 5000}, SCHEMA)
    assert capped.cypher.endswith("LIMIT 100") and status(capped)["limit"] == "fixed"
    union = check_cypher("MATCH (p:Person) RETURN p.name AS x UNION MATCH (m:Movie) RETURN m.title AS x", {}, SCHEMA)
    assert one_line(union.cypher).count("LIMIT 100") == 2
    # a LIMIT inside a subquery is not the result's LIMIT
    sub = check_cypher("MATCH (p:Person) CALL { WITH p RETURN p.name AS x LIMIT 1 } RETURN x", {}, SCHEMA)
    assert one_line(sub.cypher).endswith("RETURN x LIMIT 100")


# ---------------------------------------------------------------------------------------------- parameters


def test_literals_become_parameters() -> None:
    outcome = check_cypher(
        "MATCH (p:Person {name: 'Ada Lovelace'})-[:KNOWS]->(q:Person) "
        "WHERE q.born >= -5 AND q.name STARTS WITH \"B\" AND q.id IN ['p1', 'p2'] RETURN q.name LIMIT 5",
        {"name": "taken"},
        SCHEMA,
    )
    assert outcome.ok
    assert outcome.cypher == (
        "MATCH (p:Person {name: $name_2})-[:KNOWS]->(q:Person) "
        "WHERE q.born >= $born AND q.name STARTS WITH $name_3 AND q.id IN $id RETURN q.name LIMIT 5"
    )
    assert outcome.params == {"name": "taken", "name_2": "Ada Lovelace", "born": -5, "name_3": "B", "id": ["p1", "p2"]}
    assert "Ada" not in outcome.cypher


def test_literals_not_compared_with_properties_stay() -> None:
    outcome = check_cypher("UNWIND [1, 2] AS x RETURN x * 2 AS y, 'label' AS z LIMIT 5", {}, SCHEMA)
    assert status(outcome)["parameters"] == "passed"
    assert outcome.cypher == "UNWIND [1, 2] AS x RETURN x * 2 AS y, 'label' AS z LIMIT 5"


def test_ambiguous_string_escapes_become_parameters() -> None:
    # dialects disagree on backslash/doubled quotes: the value is sent as a parameter instead
    outcome = check_cypher("MATCH (p:Person) WHERE p.name = 'O\\'Brien' RETURN p.name LIMIT 5", {}, SCHEMA)
    assert outcome.ok and "O" not in outcome.cypher.split("WHERE")[1].split("RETURN")[0].replace("$", "")
    assert "O'Brien" in outcome.params.values()


# ---------------------------------------------------------------------------------------------- schema


def test_schema_suggestions() -> None:
    outcome = check_cypher("MATCH (p:Persn)-[:ACTD_IN]->(m:Movie) RETURN p.nam, m.titel LIMIT 5", {}, SCHEMA)
    assert not outcome.ok
    text = detail(outcome, "schema")
    assert "unknown label :Persn (did you mean Person?)" in text
    assert "unknown relationship type :ACTD_IN (did you mean ACTED_IN?)" in text
    assert "unknown property m.titel on :Movie (did you mean title?)" in text


def test_schema_properties_are_checked_per_label() -> None:
    outcome = check_cypher("MATCH (m:Movie) RETURN m.born LIMIT 5", {}, SCHEMA)
    assert not outcome.ok and "m.born on :Movie" in detail(outcome, "schema")
    rel = check_cypher("MATCH (:Person)-[k:KNOWS {since: 1990}]->(:Person) RETURN k.since LIMIT 5", {}, SCHEMA)
    assert rel.ok, rel.checks
    # map keys and UNWIND rows are not graph properties
    other = check_cypher("WITH {a: 1} AS m UNWIND [m] AS row RETURN row.a, m.a LIMIT 5", {}, SCHEMA)
    assert status(other)["schema"] == "passed"


def test_no_schema_skips_schema_and_direction() -> None:
    outcome = check_cypher("MATCH (x:Whatever)-[:ANY]->(y) RETURN y LIMIT 5", {}, None)
    assert outcome.ok and status(outcome)["schema"] == "skipped" and status(outcome)["direction"] == "skipped"
    assert status(outcome)["explain"] == "skipped"


# ---------------------------------------------------------------------------------------------- parse


def test_parse_refusals() -> None:
    multi = check_cypher("MATCH (n) RETURN n; MATCH (m) RETURN m", {}, None)
    assert not multi.ok and "more than one statement" in detail(multi, "parse")
    # map projections are valid Cypher graphglot cannot parse: refused with a clear reason, never passed through
    projection = check_cypher("MATCH (p:Person) RETURN p {.name, .born} LIMIT 5", {}, SCHEMA)
    assert not projection.ok and "unsupported or invalid syntax" in detail(projection, "parse")
    assert all(c.status == "skipped" for c in projection.checks if c.name != "parse")
    assert not check_cypher("   ", {}, None).ok


def test_comments_are_removed_and_keyword_names_escaped() -> None:
    outcome = check_cypher("MATCH (p:Person) /* note */ // more\nRETURN p.delete AS d, p.name LIMIT 5", {}, SCHEMA)
    assert outcome.ok and "/*" not in outcome.cypher and "//" not in outcome.cypher
    assert "p.`delete`" in outcome.cypher
    rel = check_cypher("MATCH (p:Person)-[:ACTED_IN|DIRECTED|KNOWS]->(x) RETURN x LIMIT 5", {}, SCHEMA)
    assert rel.ok, rel.checks
    assert "[:ACTED_IN|`DIRECTED`|KNOWS]" in rel.cypher


def test_procedure_allow_list() -> None:
    assert check_cypher("CALL db.labels() YIELD label RETURN label", {}, None).ok
    assert "db.labels" in READ_PROCEDURES
    custom = check_cypher(
        "CALL db.index.fulltext.queryNodes('idx', 'ada') YIELD node RETURN node LIMIT 5",
        {},
        None,
        allow_procedures=READ_PROCEDURES | {"db.index.fulltext.queryNodes"},
    )
    assert custom.ok, custom.checks
    assert not check_cypher("CALL db.index.fulltext.queryNodes('idx', 'ada') YIELD node RETURN node", {}, None).ok
    assert check_cypher("RETURN date.truncate('day', date()) AS d, duration.between(date(), date()) AS x", {}, None).ok


# ---------------------------------------------------------------------------------------------- corpora offline


def test_every_malicious_query_refused_by_each_layer_alone(monkeypatch) -> None:
    items = corpus("cypher_malicious.jsonl")
    assert len(items) >= 60
    for item in items:
        assert not check_cypher(item["cypher"], {}, SCHEMA).ok, item
    # the token layer off: the AST layer (or the parser) alone still refuses every one
    monkeypatch.setattr(cc, "deny_word", lambda tokens: None)
    for item in items:
        outcome = check_cypher(item["cypher"], {}, SCHEMA)
        assert not outcome.ok, item
        assert status(outcome)["parse"] == "failed" or status(outcome)["read_only"] == "failed", item


def test_fixed_readonly_queries_repass_unchanged() -> None:
    items = corpus("cypher_readonly.jsonl")
    assert len(items) >= 30
    for item in items:
        outcome = check_cypher(item["cypher"], {}, SCHEMA)
        assert outcome.ok, (item, outcome.reason)
        again = check_cypher(outcome.cypher, outcome.params, SCHEMA)
        assert again.ok and again.cypher == outcome.cypher, (item, again.checks)
        assert all(c.status in ("passed", "skipped") for c in again.checks), (item, again.checks)


def test_entity_label_is_a_wildcard_for_direction() -> None:
    # kgqa's graph: typed entities carry :Entity too; imported untyped ones make (Entity, T, Entity) patterns
    schema = GraphSchema(
        labels=["Entity", "Organization", "Person"],
        relationship_types=["WORKS_FOR"],
        node_properties={"Entity": ["id", "name"], "Person": ["id", "name"], "Organization": ["id", "name"]},
        relationship_properties={"WORKS_FOR": ["confidence"]},
        patterns=[("Person", "WORKS_FOR", "Organization"), ("Entity", "WORKS_FOR", "Entity")],
    )
    plain = check_cypher("MATCH (a:Entity)-[:WORKS_FOR]->(b:Entity) RETURN b.name LIMIT 5", {}, schema)
    assert plain.ok and status(plain)["direction"] == "passed"
    reversed_ = check_cypher("MATCH (o:Organization)-[:WORKS_FOR]->(p:Entity:Person) RETURN p.name LIMIT 5", {}, schema)
    assert reversed_.ok and reversed_.cypher.startswith("MATCH (o:Organization)<-[:WORKS_FOR]-(p:Entity:Person)")


def test_strings_inside_functions_become_parameters() -> None:
    outcome = check_cypher(
        "MATCH (p:Person) WHERE toLower(p.name) = toLower('Ada Lovelace') RETURN p.name LIMIT 5", {}, SCHEMA
    )
    assert outcome.ok
    assert outcome.cypher == "MATCH (p:Person) WHERE toLower(p.name) = toLower($name) RETURN p.name LIMIT 5"
    assert outcome.params == {"name": "Ada Lovelace"}


def test_internal_errors_refuse(monkeypatch) -> None:
    def boom(*_args, **_kwargs):
        raise AttributeError("unexpected AST shape")

    import kgqa.qa.checks.rules as rules

    monkeypatch.setattr(rules, "check_bounds", boom)  # the rule table looks its functions up when it runs
    outcome = check_cypher("MATCH (p:Person) RETURN p.name LIMIT 5", {}, SCHEMA)
    assert not outcome.ok and cc.INTERNAL_ERROR in outcome.reason


def test_missing_parameter_values_fail() -> None:
    outcome = check_cypher("MATCH (p:Person {name: $who}) RETURN p.name LIMIT 5", {}, SCHEMA)
    assert not outcome.ok and detail(outcome, "parameters") == "no value given for $who"
    assert check_cypher("MATCH (p:Person {name: $who}) RETURN p.name LIMIT 5", {"who": "Ada"}, SCHEMA).ok


def test_sampled_schema_reports_but_does_not_refuse() -> None:
    from dataclasses import replace

    outcome = check_cypher("MATCH (p:Rare) RETURN p.name LIMIT 5", {}, replace(SCHEMA, sampled=True))
    assert outcome.ok and "not in the sampled schema: unknown label :Rare" in detail(outcome, "schema")


def test_rule_table_runs_in_check_order() -> None:
    from kgqa.qa.checks.rules import RULES, RuleInputs
    from kgqa.qa.checks.text import canonicalize, parse

    assert [r.name for r in RULES] == list(cc.CHECK_NAMES[1:-1])
    assert [r.name for r in RULES if r.needs_schema] == ["schema", "direction"]
    parsed = parse(canonicalize("MATCH (m:Movie)-[:DIRECTED]->(p:Person) RETURN p.name", {}))
    given = RuleInputs(schema=SCHEMA, max_hops=4, limit=10)
    results = {r.name: r.run(parsed, given) for r in RULES}
    assert {name: res.check.status for name, res in results.items()} == {
        "read_only": "passed",
        "schema": "passed",
        "direction": "fixed",
        "bounds": "passed",
        "limit": "fixed",
        "parameters": "passed",
        "cost": "skipped",
    }


def test_a_node_pinned_to_a_linked_entity_has_its_type_for_direction() -> None:
    # an LLM wrote the edge backwards between two :Entity patterns; the $e0 parameter names a linked Person
    query = "MATCH (s:Entity {id: $e0})<-[:WORKS_FOR]-(answer:Entity) RETURN answer.name LIMIT 5"
    blind = check_cypher(query, {"e0": "person:ada"}, SCHEMA)
    assert blind.ok and status(blind)["direction"] == "passed" and blind.cypher == query
    typed = check_cypher(query, {"e0": "person:ada"}, SCHEMA, param_labels={"e0": frozenset({"Person"})})
    assert typed.ok and status(typed)["direction"] == "fixed", typed.checks
    assert typed.cypher.startswith("MATCH (s:Entity {id: $e0})-[:WORKS_FOR]->(answer:Entity)")
    # the right way round is left alone, and a parameter that is not an id says nothing
    right = "MATCH (s:Entity {id: $e0})-[:WORKS_FOR]->(answer:Entity) RETURN answer.name LIMIT 5"
    assert check_cypher(right, {"e0": "person:ada"}, SCHEMA, param_labels={"e0": frozenset({"Person"})}).cypher == right
    other = "MATCH (s:Entity {name: $e0})<-[:WORKS_FOR]-(answer:Entity) RETURN answer.name LIMIT 5"
    assert check_cypher(other, {"e0": "Ada"}, SCHEMA, param_labels={"e0": frozenset({"Person"})}).cypher == other
