"""The offline extractor on places within places (own example sentences)."""

from __future__ import annotations

import pytest

from tests.offline_support import facts_of


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        ("Dornvale is a province of Esterra.", ("Dornvale", "LOCATED_IN", "Esterra")),
        ("The Corran Coast is a region of Esterra.", ("Corran Coast", "LOCATED_IN", "Esterra")),
        ("Kelby is a fishing port on the Corran Coast.", ("Kelby", "LOCATED_IN", "Corran Coast")),
        ("Hestmark is a province in the north of Esterra.", ("Hestmark", "LOCATED_IN", "Esterra")),
        (
            "Ulla Brenn was born in Tamsby, a port town on the western coast of Esterra.",
            ("Tamsby", "LOCATED_IN", "Esterra"),
        ),
    ],
)
def test_copular_and_appositive_place_nouns(extractor, ontology, text, fact):
    assert fact in facts_of(extractor, ontology, text)


def test_named_region_of_a_country(extractor, ontology):
    facts = facts_of(
        extractor, ontology, "Ulla Brenn grew up in Orrin, a small town in the Vasker district of Esterra."
    )
    assert ("Orrin", "LOCATED_IN", "Vasker") in facts
    assert ("Vasker", "LOCATED_IN", "Esterra") in facts


def test_a_person_noun_of_a_place_is_not_a_location(extractor, ontology):
    facts = facts_of(extractor, ontology, "Ulla Brenn is a native of Esterra.")
    assert not any(r == "LOCATED_IN" for _s, r, _o in facts)


def test_coordinated_verbs_after_a_place_keep_the_subject(extractor, ontology):
    text = "Ulla Brenn was born in Tamsby, graduated from Tamsby Marine College and works for Kelby Ropes."
    facts = facts_of(extractor, ontology, text)
    assert ("Ulla Brenn", "STUDIED_AT", "Tamsby Marine College") in facts
    assert not any(s == "Tamsby" for s, _r, _o in facts)


def test_the_couple_a_few_sentences_after_the_wedding(extractor, ontology):
    text = (
        "Ulla Brenn and Jonas Alsing were married on Sunday in Tamsby.\n"
        "Ulla is the daughter of Greta Brenn.\n"
        "She was born in Orrin and works at Kelby Ropes.\n"
        "Jonas was born in Tamsby.\n"
        "The couple live in Kelby."
    )
    facts = facts_of(extractor, ontology, text)
    assert ("Ulla Brenn", "LIVES_IN", "Kelby") in facts
    assert ("Jonas Alsing", "LIVES_IN", "Kelby") in facts


def test_infobox_cell_with_a_place_and_its_country(extractor, ontology):
    text = "| Kelby Ropes | |\n|---|---|\n| Headquarters | Tamsby, Esterra |\n| Founded | 1911 |\n"
    assert ("Tamsby", "LOCATED_IN", "Esterra") in facts_of(extractor, ontology, text)


def test_names_after_a_plural_noun_and_a_comma(extractor, ontology):
    text = "Kelby Ropes was set up in 2001 by two sailors, Ulla Brenn and Jonas Alsing, in a shed in Tamsby."
    facts = facts_of(extractor, ontology, text)
    assert ("Ulla Brenn", "FOUNDED", "Kelby Ropes") in facts
    assert ("Jonas Alsing", "FOUNDED", "Kelby Ropes") in facts


def test_a_couple_of_a_place_in_an_announcement(extractor, ontology):
    text = (
        "BIRTHS\n\nUlla Brenn and her husband, Jonas Alsing, announce the arrival of their son, Tomas Alsing.\n"
        "Proud grandparents are Osvald and Mette Brenn, of Tamsby."
    )
    facts = facts_of(extractor, ontology, text)
    assert ("Osvald Brenn", "LIVES_IN", "Tamsby") in facts
    assert ("Mette Brenn", "LIVES_IN", "Tamsby") in facts


def test_a_named_district_of_a_country_after_the_copula(extractor, ontology):
    text = "Orrin is a market town of some 9,000 people on the river Oss, in the Vasker district of Esterra."
    facts = facts_of(extractor, ontology, text)
    assert ("Orrin", "LOCATED_IN", "Vasker") in facts
    assert ("Orrin", "LOCATED_IN", "Esterra") not in facts


def test_a_village_named_after_its_county_is_not_the_county(extractor, ontology):
    text = "Ulla Brenn died at her home in Orrin, the Vaskershire village where she lived for forty years."
    facts = facts_of(extractor, ontology, text)
    assert ("Ulla Brenn", "LIVES_IN", "Vaskershire") not in facts


def test_remains_based_in(extractor, ontology):
    text = "In 2015 Ada Quill sold Fenn Books to Harlow Media; Fenn Books remains based in Tamsby."
    assert ("Fenn Books", "HEADQUARTERED_IN", "Tamsby") in facts_of(extractor, ontology, text)


def test_head_office_in_a_town_and_its_country(extractor, ontology):
    text = "Kelby Yarns, our sales arm, is a subsidiary of Kelby Mills with its head office in Tamsby, Esterra."
    facts = facts_of(extractor, ontology, text)
    assert ("Kelby Yarns", "HEADQUARTERED_IN", "Tamsby") in facts
    assert ("Kelby Yarns", "HEADQUARTERED_IN", "Esterra") not in facts


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        # a copula's second in-phrase after a place noun, an area noun ("hill country"), "Y province"
        (
            "Arden is a market town in the hill country of Tollen province, in the interior of Marsland.",
            ("Arden", "LOCATED_IN", "Tollen"),
        ),
        (
            "Arden is a market town in the hill country of Tollen province, in the interior of Marsland.",
            ("Arden", "LOCATED_IN", "Marsland"),
        ),
        ("Tollen is one of Marsland's nine provinces.", ("Tollen", "LOCATED_IN", "Marsland")),
        ("Brask County is one of the six counties of Vellin.", ("Brask County", "LOCATED_IN", "Vellin")),
        # an apposition the parser leaves loose after "Born in X,"
        ("Born in Quell, a fishing town in northern Vellin, she studied law.", ("Quell", "LOCATED_IN", "Vellin")),
        # "the X region": a name of adjective form before a region noun
        ("Ada Rell lives in Orsby, capital of the Marrish region.", ("Orsby", "LOCATED_IN", "Marrish")),
    ],
)
def test_place_chains_in_realistic_prose(extractor, ontology, text, fact):
    assert fact in facts_of(extractor, ontology, text)


def test_a_town_and_its_country_are_not_two_homes(extractor, ontology):
    facts = facts_of(extractor, ontology, "Ada Rell lives in Kelby, Vellin, close to the harbour.")
    assert ("Ada Rell", "LIVES_IN", "Kelby") in facts and ("Kelby", "LOCATED_IN", "Vellin") in facts
    assert ("Ada Rell", "LIVES_IN", "Vellin") not in facts


def test_an_infobox_row_named_by_a_level_noun_places_the_subject(extractor, ontology):
    text = "| Arden | |\n|---|---|\n| Province | Tollen |\n| Country | Marsland |\n\nArden is a quiet place."
    facts = facts_of(extractor, ontology, text)
    assert {("Arden", "LOCATED_IN", "Tollen"), ("Arden", "LOCATED_IN", "Marsland")} <= facts


def test_a_fact_implied_by_another_between_the_same_ends_is_dropped(extractor, ontology):
    text = "Ada Rell runs Orra Mutual, the Orsby-based insurer. Bo Tarrant worked at Orra Mutual in Orsby for years."
    facts = facts_of(extractor, ontology, text)
    assert ("Orra Mutual", "HEADQUARTERED_IN", "Orsby") in facts
    assert ("Orra Mutual", "LOCATED_IN", "Orsby") not in facts


def test_class_notes_on_a_school_alumni_page(extractor, ontology):
    text = (
        "# Alumni news\n\n*Vellin College · Alumni Office*\n\n## Class notes\n\n"
        "**Ada Rell** (Law, 2003) now runs a bakery.\n\n**Bo Tarrant** (PhD History, 2012) moved abroad.\n"
    )
    facts = facts_of(extractor, ontology, text)
    assert {("Ada Rell", "STUDIED_AT", "Vellin College"), ("Bo Tarrant", "STUDIED_AT", "Vellin College")} <= facts
    # the same bracket outside an alumni page says nothing about a school
    plain = facts_of(extractor, ontology, "Vellin College opened in 1990. **Ada Rell** (Law, 2003) runs a bakery.")
    assert not any(r == "STUDIED_AT" for _s, r, _o in plain)


def test_grew_up_near_and_a_weakly_typed_home_of_a_person(extractor, ontology):
    facts = facts_of(extractor, ontology, "Osk Rell grew up on a farm near Lissby, milking before school.")
    assert ("Osk Rell", "LIVES_IN", "Lissby") in facts
    text = "Her son, Aldo Rell, lives in Kelby, and her daughter, Fern Rell, of Oskeby, runs a shop."
    assert ("Fern Rell", "LIVES_IN", "Oskeby") in facts_of(extractor, ontology, text)


def test_class_note_brackets_name_no_entity(extractor, ontology):
    """The bracket's subject is no entity (before: "Classics" was born in Kelby), and the page's school is the first
    one its opening lines name, though a note names another."""
    text = (
        "# Alumni news\n\n*Vellin College · Alumni Office*\n\n## Class notes\n\n"
        "**Ada Rell** (PhD History, 2012) is now a lecturer in maritime history at Orsby College.\n\n"
        "**Cai Moss** (Classics, 1990) has moved back to Kelby, the town where she was born.\n"
    )
    facts = facts_of(extractor, ontology, text)
    assert not any({"PhD History", "Classics"} & {s, o} for s, _r, o in facts), facts
    assert {("Ada Rell", "STUDIED_AT", "Vellin College"), ("Cai Moss", "STUDIED_AT", "Vellin College")} <= facts
