"""Constraints and entity resolution as pure functions (no graph needed)."""

from __future__ import annotations

from kgqa.ingest.constraints import Evidence, FactRecord, check_facts, finalize
from kgqa.ingest.model import Fact
from kgqa.ingest.resolve import EntityRegistry, Mention, entity_id, normalize
from kgqa.ontology import load_ontology

ONTOLOGY = load_ontology()


def _fact(s, rel, o, st=None, ot=None):
    return Fact(subject=s, relation=rel, object=o, subject_type=st, object_type=ot, sentence=f"{s} {rel} {o}.")


def test_unknown_relation_self_loop_and_empty_are_pruned_with_reasons() -> None:
    kept, report = check_facts(
        [
            _fact("A B", "FRIEND_OF", "C D", "Person", "Person"),
            _fact("Ann Bell", "MARRIED_TO", "ann  bell", "Person", "Person"),
            _fact("", "WORKS_FOR", "Acme", "Person", "Organization"),
        ],
        ONTOLOGY,
    )
    assert kept == []
    assert report.counts() == {"empty": 1, "self_loop": 1, "unknown_relation": 1}
    assert "FRIEND_OF" in report.pruned[0].reason


def test_domain_range_retype_when_determined_else_drop() -> None:
    kept, report = check_facts(
        [
            _fact("Ann Bell", "WORKS_FOR", "Acme", None, "Location"),  # range is only Organization → re-type
            _fact("Acme", "FOUNDED", "Globex", None, "Organization"),  # domain Person|Organization, unknown → drop
            _fact("Paris", "FOUNDED", "Globex", "Location", "Organization"),  # mistyped, ambiguous → drop
            _fact("Globex", "FOUNDED", "Initech", None, None),
        ],
        ONTOLOGY,
        known_types={"Globex": "Organization"},
    )
    assert [(f.subject, f.subject_type, f.object, f.object_type) for f in kept] == [
        ("Ann Bell", "Person", "Acme", "Organization"),
        ("Globex", "Organization", "Initech", "Organization"),
    ]
    assert report.counts() == {"domain": 2}
    assert any("Location → Organization" in r for r in report.retyped)
    assert "Paris" in report.pruned[1].reason and "Location" in report.pruned[1].reason


def _ev(key, doc="d", conf=0.8):
    return Evidence(key, doc, key.split("/")[0], "s", "x", conf)


def test_symmetric_canonical_direction_duplicates_and_self_loops() -> None:
    records = [
        FactRecord("person:zed", "MARRIED_TO", "person:amy", [_ev("d#0/1")]),
        FactRecord("person:amy", "MARRIED_TO", "person:zed", [_ev("d#0/2")]),
        FactRecord("person:amy", "MARRIED_TO", "person:zed", [_ev("d#0/2", conf=0.95)]),
        FactRecord("person:zed", "CHILD_OF", "person:amy", [_ev("d#0/3")]),  # not symmetric: kept as is
        FactRecord("person:amy", "SIBLING_OF", "person:amy", [_ev("d#0/4")]),
    ]
    final, report = finalize(records, ONTOLOGY)
    assert [(f.subject_id, f.relation, f.object_id) for f in final] == [
        ("person:amy", "MARRIED_TO", "person:zed"),
        ("person:zed", "CHILD_OF", "person:amy"),
    ]
    married = final[0]
    assert [e.key for e in married.evidence] == ["d#0/1", "d#0/2"]
    assert married.confidence == 0.95
    assert report.counts() == {"self_loop": 1}
    assert report.duplicates_merged == 2


def test_normalisation_and_ids() -> None:
    assert normalize("The Acme Corp.", "Organization") == "acme"
    assert normalize("Acme, Inc.", "Organization") == "acme"
    assert normalize("  ACME   inc ", "Organization") == "acme"
    assert normalize("Café  Noir", "Organization") == "cafe noir"
    assert normalize("The Hobbit", "Work") == "hobbit"
    assert entity_id("Person", "Oren Vale") == "person:oren-vale"
    assert entity_id("Organization", "Café Noir & Co") == "organization:cafe-noir-and-co"


def _resolve(reg: EntityRegistry, doc: str, names: list[tuple[str, str]]) -> dict[str, str]:
    mapping, _ = reg.resolve_document(doc, [Mention(n, t, i * 10) for i, (n, t) in enumerate(names)])
    return {n: mapping[(n, t)] for n, t in names}


def test_surname_within_document_merges_but_shared_surnames_never_merge() -> None:
    reg = EntityRegistry()
    names = [("Oren Vale", "Person"), ("Vale", "Person"), ("Lina Vale", "Person"), ("Oren Vale", "Person")]
    ids = _resolve(reg, "a", names)  # Oren is mentioned most: the document's subject
    assert ids == {"Oren Vale": "person:oren-vale", "Vale": "person:oren-vale", "Lina Vale": "person:lina-vale"}
    assert "Vale" in reg.by_id["person:oren-vale"].aliases
    # A tie: the bare surname stays unmerged rather than guess; full names stay apart.
    ids2 = _resolve(reg, "b", [("Lina Vale", "Person"), ("Oren Vale", "Person"), ("Vale", "Person")])
    assert ids2 == {"Lina Vale": "person:lina-vale", "Oren Vale": "person:oren-vale", "Vale": "person:vale"}
    # ... unless the document is about one of them (its title).
    mapping, events = reg.resolve_document(
        "c",
        [Mention("Oren Vale", "Person", 0), Mention("Lina Vale", "Person", 5), Mention("Vale", "Person", 9)],
        title="Lina Vale",
    )
    assert mapping[("Vale", "Person")] == "person:lina-vale"
    assert "title" in events[-1].reason


def test_first_name_and_corporate_suffix_and_fuzzy_across_documents() -> None:
    reg = EntityRegistry()
    _resolve(reg, "a", [("Acme Inc.", "Organization"), ("Mara Quillon", "Person"), ("Paris", "Location")])
    ids = _resolve(
        reg,
        "b",
        [
            ("Acme", "Organization"),
            ("Mara Quilon", "Person"),  # typo, same first name, surnames differ → no merge (surname must match)
            ("Mara Quillon", "Person"),
            ("Mara Quillon", "Person"),
            ("Mara", "Person"),
            ("Paris", "Person"),  # different type: never merged with the Location
        ],
    )
    assert ids["Acme"] == "organization:acme"
    assert "Acme Inc." in reg.by_id["organization:acme"].aliases
    assert ids["Mara"] == ids["Mara Quillon"] == "person:mara-quillon"
    assert ids["Mara Quilon"] != ids["Mara Quillon"]
    assert ids["Paris"] == "person:paris"
    reg2 = EntityRegistry()
    _resolve(reg2, "a", [("Kestrel Research Institute", "Organization"), ("Jonathan Pike", "Person")])
    ids = _resolve(reg2, "b", [("Kestrel Reseach Institute", "Organization"), ("Jonathon Pike", "Person")])
    assert ids["Kestrel Reseach Institute"] == "organization:kestrel-research-institute"
    assert ids["Jonathon Pike"] == "person:jonathan-pike"


def test_fuzzy_guards_numbers_and_short_names() -> None:
    reg = EntityRegistry()
    _resolve(reg, "a", [("Windows 95", "Work"), ("Orrin Bank", "Organization")])
    ids = _resolve(reg, "b", [("Windows 98", "Work"), ("Orrin Banks", "Organization")])
    assert ids["Windows 98"] == "work:windows-98"
    assert ids["Orrin Banks"] == "organization:orrin-bank"


def test_registry_from_graph_rows_links_and_ignores_surname_aliases() -> None:
    reg = EntityRegistry.from_rows(
        [
            {"id": "person:oren-vale", "name": "Oren Vale", "type": "Person", "aliases": ["Vale", "O. Vale"]},
            {"id": "organization:acme", "name": "Acme", "type": "Organization", "aliases": ["ACME Holdings"]},
        ]
    )
    ids = _resolve(reg, "c", [("oren vale", "Person"), ("Vale", "Person"), ("ACME Holdings", "Organization")])
    assert ids["oren vale"] == "person:oren-vale"
    assert ids["Vale"] == "person:oren-vale"  # same document names Oren Vale
    assert ids["ACME Holdings"] == "organization:acme"
    ids = _resolve(reg, "d", [("Vale", "Person")])
    assert ids["Vale"] == "person:vale"  # alone in a document: not linked by a surname alias
