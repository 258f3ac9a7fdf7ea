"""The offline extractor on constructions of everyday prose: obituaries, newsletters, interviews, timelines
(own example sentences)."""

from __future__ import annotations

from tests.offline_support import facts_of


def test_a_firm_founded_by_two_people_is_neither_of_them(extractor, ontology):
    text = "Brandt & Oakes has had its head office in Tolworth since Hugo Brandt and Lionel Oakes founded the firm in 1921."
    facts = facts_of(extractor, ontology, text)
    assert ("Hugo Brandt", "FOUNDED", "Brandt & Oakes") in facts
    assert ("Lionel Oakes", "FOUNDED", "Brandt & Oakes") in facts
    assert not any(o == "Lionel Oakes" for _s, _r, o in facts)


def test_sold_x_to_y_is_y_acquiring_x(extractor, ontology):
    text = "In 2009 the two partners sold Larkspur Press to Quillon Books, which kept its name."
    facts = facts_of(extractor, ontology, text)
    assert ("Quillon Books", "ACQUIRED", "Larkspur Press") in facts


def test_a_preposition_splits_a_tagged_name(extractor, ontology):
    text = "Last year Dovecote Holdings sold Maybrook to Fennel Group."
    facts = facts_of(extractor, ontology, text)
    assert ("Fennel Group", "ACQUIRED", "Maybrook") in facts
    assert not any(" to " in s or " to " in o for s, _r, o in facts)


def test_everyday_phrases_of_obituaries_and_interviews(extractor, ontology):
    facts = facts_of(
        extractor,
        ontology,
        "Ruth Calloway has died at her home in Penmarsh. "
        "As a girl Ruth Calloway won a scholarship to Westcombe University. "
        "Harbour Lane Records put out the first album of the band, Salt Roads.",
    )
    assert ("Ruth Calloway", "DIED_IN", "Penmarsh") in facts
    assert ("Ruth Calloway", "STUDIED_AT", "Westcombe University") in facts
    assert ("Salt Roads", "PUBLISHED_BY", "Harbour Lane Records") in facts


def test_a_head_office_that_moved(extractor, ontology):
    text = "Tarrow Energy was set up in Minsby in 1930; its head office moved to Colbridge in 1962."
    assert ("Tarrow Energy", "HEADQUARTERED_IN", "Colbridge") in facts_of(extractor, ontology, text)


CV = """# Tomasz Wierzba

**Lead Software Engineer at Harrowgate Systems** · Leeds

## About

I was born in Kellmarsh and have written software for logistics firms ever since.

## Experience

**Lead Software Engineer** — Harrowgate Systems
*2020 – present*

**Data Analyst** — Pellow Freight
*2016 – 2020*

## Education

- **University of Carrbridge** — MSc, Computer Science (2014 – 2016)
"""


def test_a_cv_headed_by_a_name(extractor, ontology):
    facts = facts_of(extractor, ontology, CV)
    assert ("Tomasz Wierzba", "BORN_IN", "Kellmarsh") in facts
    assert ("Tomasz Wierzba", "WORKS_FOR", "Harrowgate Systems") in facts
    assert ("Tomasz Wierzba", "WORKS_FOR", "Pellow Freight") in facts
    assert ("Tomasz Wierzba", "STUDIED_AT", "University of Carrbridge") in facts
    assert not any(s in {"Data", "Lead Software"} for s, _r, _o in facts)


def test_an_appointed_director_works_for_the_body_and_a_managing_director_is_its_ceo(extractor, ontology):
    facts = facts_of(
        extractor,
        ontology,
        "Carrow University has appointed Dr Lena Vasquez as director of the Halden Institute of Soil Science. "
        '"We are ready," said Piet Aalders, managing director of Brakel Pumps.',
    )
    assert ("Lena Vasquez", "WORKS_FOR", "Halden Institute of Soil Science") in facts
    assert not any(s == "Carrow University" and r == "WORKS_FOR" for s, r, _o in facts)
    assert ("Piet Aalders", "CEO_OF", "Brakel Pumps") in facts
    assert ("Piet Aalders", "WORKS_FOR", "Brakel Pumps") not in facts
