"""The offline extractor on single constructions, with the real spaCy model (no mocks)."""

from __future__ import annotations

import pytest

from kgqa.errors import ConfigError
from kgqa.ingest.extract import get_extractor
from kgqa.ingest.extract.offline import OfflineExtractor, compile_triggers, parse
from kgqa.ingest.model import Chunk, Document, Sentence
from kgqa.ontology import load_ontology
from tests.offline_support import facts_of


def test_get_extractor_offline_and_unknown():
    assert get_extractor("offline").name == "offline"
    with pytest.raises(ConfigError):
        get_extractor("openai:gpt-4o-mini")


def test_triggers_come_from_the_ontology(ontology):
    trig = compile_triggers(ontology)
    assert {t.relation for t in trig.triggers} == set(ontology.relation_names)
    # an object-role noun identical to a subject-role noun of the same relation is dropped as ambiguous
    assert not any(t.relation == "MEMBER_OF" and t.source == "inverse_noun" for t in trig.triggers)


def test_active_voice(extractor, ontology):
    assert ("Oren Vale", "FOUNDED", "Nimbus Freight") in facts_of(
        extractor, ontology, "Oren Vale founded Nimbus Freight in 1998."
    )


def test_passive_voice(extractor, ontology):
    facts = facts_of(extractor, ontology, "Nimbus Freight was acquired by Calder Logistics in 2015.")
    assert ("Calder Logistics", "ACQUIRED", "Nimbus Freight") in facts
    assert ("Nimbus Freight", "ACQUIRED", "Calder Logistics") not in facts


def test_passive_with_words_between_verb_and_agent(extractor, ontology):
    facts = facts_of(extractor, ontology, '"Patterns of Tide" was published in 2015 by Gull House.')
    assert ("Patterns of Tide", "PUBLISHED_BY", "Gull House") in facts


def test_apposition(extractor, ontology):
    facts = facts_of(
        extractor, ontology, "Mara Quill, the CEO of Calder Logistics, studied at the University of Lowmere."
    )
    assert ("Mara Quill", "CEO_OF", "Calder Logistics") in facts
    assert ("Mara Quill", "STUDIED_AT", "University of Lowmere") in facts


def test_apposition_after_role_noun(extractor, ontology):
    facts = facts_of(extractor, ontology, "The founder of Pellham Analytics, Rhea Dunn, lives in Tarrow.")
    assert ("Rhea Dunn", "FOUNDED", "Pellham Analytics") in facts


def test_possessive(extractor, ontology):
    facts = facts_of(extractor, ontology, "Nimbus Freight's founder Oren Vale was born in Port Ilsa.")
    assert ("Oren Vale", "FOUNDED", "Nimbus Freight") in facts
    assert ("Oren Vale", "BORN_IN", "Port Ilsa") in facts


def test_possessive_object_role_noun(extractor, ontology):
    facts = facts_of(extractor, ontology, "Rhea Dunn lives in Tarrow. Dunn's employer is Pellham Analytics.")
    assert ("Rhea Dunn", "WORKS_FOR", "Pellham Analytics") in facts


def test_coordinated_subjects_and_objects(extractor, ontology):
    facts = facts_of(extractor, ontology, "Ada Pike and Bo Lin founded Tessel Labs and Quarry Robotics.")
    assert {
        ("Ada Pike", "FOUNDED", "Tessel Labs"),
        ("Bo Lin", "FOUNDED", "Tessel Labs"),
        ("Ada Pike", "FOUNDED", "Quarry Robotics"),
        ("Bo Lin", "FOUNDED", "Quarry Robotics"),
    } <= facts


def test_relative_clause(extractor, ontology):
    facts = facts_of(
        extractor,
        ontology,
        "Nimbus Freight, which was acquired by Calder Logistics in 2015, is headquartered in Port Ilsa.",
    )
    assert ("Calder Logistics", "ACQUIRED", "Nimbus Freight") in facts
    assert ("Nimbus Freight", "HEADQUARTERED_IN", "Port Ilsa") in facts


def test_whose_clause(extractor, ontology):
    facts = facts_of(extractor, ontology, "Halden Works, whose founder is Ines Morrow, has its head office in Tarrow.")
    assert ("Ines Morrow", "FOUNDED", "Halden Works") in facts
    assert ("Halden Works", "HEADQUARTERED_IN", "Tarrow") in facts


def test_nominal_phrasings(extractor, ontology):
    facts = facts_of(
        extractor,
        ontology,
        "Petra Calder is an employee of Greyline Media. Harrow Press is a subsidiary of Greyline Media. "
        "Mira Sol is the co-founder and CEO of Tern Robotics.",
    )
    assert ("Petra Calder", "WORKS_FOR", "Greyline Media") in facts
    assert ("Harrow Press", "SUBSIDIARY_OF", "Greyline Media") in facts
    assert ("Mira Sol", "FOUNDED", "Tern Robotics") in facts
    assert ("Mira Sol", "CEO_OF", "Tern Robotics") in facts


def test_pronouns(extractor, ontology):
    facts = facts_of(
        extractor,
        ontology,
        "Ines Morrow met Felix Grau in Tarrow. She married him in 1999, and he later became the chief "
        "executive of Halden Works. She was born in Eastmarch.",
    )
    assert ("Felix Grau", "MARRIED_TO", "Ines Morrow") in facts  # symmetric: stored in name order
    assert ("Felix Grau", "CEO_OF", "Halden Works") in facts
    assert ("Ines Morrow", "BORN_IN", "Eastmarch") in facts
    assert ("Ines Morrow", "CEO_OF", "Halden Works") not in facts


def test_surname_and_first_name(extractor, ontology):
    facts = facts_of(
        extractor,
        ontology,
        "Ivo Calder founded Calder Logistics in 1979. Calder studied at the Kestrel Institute of Technology. "
        "Petra Calder is his daughter. Petra lives in Marrow Bay.",
    )
    assert ("Ivo Calder", "STUDIED_AT", "Kestrel Institute of Technology") in facts
    assert ("Petra Calder", "LIVES_IN", "Marrow Bay") in facts
    assert ("Calder Logistics", "STUDIED_AT", "Kestrel Institute of Technology") not in facts


def test_the_company_refers_back(extractor, ontology):
    facts = facts_of(
        extractor,
        ontology,
        "Calder Logistics is a freight group. Ivo Calder established the firm in 1979. "
        "The company has its headquarters in Calvar.",
    )
    assert ("Ivo Calder", "FOUNDED", "Calder Logistics") in facts
    assert ("Calder Logistics", "HEADQUARTERED_IN", "Calvar") in facts


def test_negation_is_not_a_fact(extractor, ontology):
    facts = facts_of(extractor, ontology, "Rhea Dunn never worked for Halden Works.")
    assert not any(r == "WORKS_FOR" for _s, r, _o in facts)


def test_type_correction_from_relation_range(extractor, ontology):
    """spaCy types invented names poorly; the range of STUDIED_AT/LIVES_IN decides, and it is reported."""
    ex = OfflineExtractor()
    doc = Document(id="t.md", text="Mara Quill lives in Ostrava. Felix Orm is married to Dara Voss.")
    [extraction] = ex.extract(doc, [], ontology)
    facts = {(f.subject, f.relation, f.object, f.subject_type, f.object_type) for f in extraction.facts}
    assert ("Mara Quill", "LIVES_IN", "Ostrava", "Person", "Location") in facts
    assert any(f.relation == "MARRIED_TO" and f.subject_type == f.object_type == "Person" for f in extraction.facts)
    types = {m.canonical: m.type for m in extraction.mentions}
    assert types["Ostrava"] == "Location"
    assert all("→" in c for c in ex.type_corrections)


def test_mentions_have_document_offsets_and_clean_names(extractor, ontology):
    text = "# Nimbus\n\nThe founder of Nimbus Freight's rival is Oren Vale. Vale lives in Port Ilsa."
    doc = Document(id="t.md", text=text)
    [extraction] = extractor.extract(doc, [], ontology)
    for m in extraction.mentions:
        assert text[m.start : m.end] == m.name
        assert not m.name.lower().startswith("the ") and not m.name.endswith("'s")
    vale = [m for m in extraction.mentions if m.name == "Vale"]
    assert vale and vale[0].canonical == "Oren Vale" and vale[0].type == "Person"


def test_one_extraction_per_chunk_with_provenance(extractor, ontology):
    text = "Oren Vale was born in Port Ilsa. He founded Nimbus Freight.\n\nNimbus Freight is headquartered in Lowmere."
    cut = text.index("Nimbus Freight is")
    sents = parse(__import__("kgqa.nlp", fromlist=["spacy_model"]).spacy_model(), [text])[0].sents
    sentences = [Sentence(s.text, s.start_char, s.end_char, i) for i, s in enumerate(sents) if s.text.strip()]
    chunks = [
        Chunk(id="d#0", doc_id="d", index=0, text=text[:cut], start=0, end=cut,
              sentences=[s for s in sentences if s.start < cut]),
        Chunk(id="d#1", doc_id="d", index=1, text=text[cut:], start=cut, end=len(text),
              sentences=[s for s in sentences if s.start >= cut]),
    ]  # fmt: skip
    result = extractor.extract(Document(id="d", text=text), chunks, ontology)
    assert len(result) == 2
    first = {(f.subject, f.relation, f.object) for f in result[0].facts}
    second = {(f.subject, f.relation, f.object) for f in result[1].facts}
    # the pronoun in chunk 0 is resolved; the fact in chunk 1 stays in chunk 1
    assert ("Oren Vale", "FOUNDED", "Nimbus Freight") in first
    assert second == {("Nimbus Freight", "HEADQUARTERED_IN", "Lowmere")}
    fact = result[1].facts[0]
    assert fact.chunk_id == "d#1" and fact.doc_id == "d" and fact.extractor == "offline"
    assert fact.sentence == "Nimbus Freight is headquartered in Lowmere."
    assert fact.sentence_index == sentences[-1].index
    assert 0 < fact.confidence <= 1
    assert all(m.chunk_id == "d#1" for m in result[1].mentions)


def test_deterministic(extractor, ontology):
    text = "Saskia Brandt and Tomas Revel founded Quenby Freight. She studied at the Ardenvale Institute of Technology."
    assert facts_of(extractor, ontology, text) == facts_of(OfflineExtractor(), ontology, text)


def test_where_clause_and_with_phrase(extractor, ontology):
    facts = facts_of(
        extractor,
        ontology,
        "Mara Voss describes Kellmouth, the town where she was born. "
        "Tomas Revel co-founded Quenby Robotics with Elin Kask.",
    )
    assert ("Mara Voss", "BORN_IN", "Kellmouth") in facts
    assert {("Tomas Revel", "FOUNDED", "Quenby Robotics"), ("Elin Kask", "FOUNDED", "Quenby Robotics")} <= facts


def test_symmetric_relation_with_coordinated_subject(extractor, ontology):
    facts = facts_of(extractor, ontology, "Rhea Dunn and Oskar Lind married in 2001.")
    assert ("Oskar Lind", "MARRIED_TO", "Rhea Dunn") in facts


def test_descriptor_noun_refers_back(extractor, ontology):
    facts = facts_of(
        extractor,
        ontology,
        "Marlow Media bought Brackwater Radio, a station based in Kellmouth Harbor. "
        "Linus Brackwater is the station's chief executive.",
    )
    assert ("Marlow Media", "ACQUIRED", "Brackwater Radio") in facts
    assert ("Linus Brackwater", "CEO_OF", "Brackwater Radio") in facts


def test_first_person_in_an_interview_headed_by_a_name(extractor, ontology):
    text = (
        "# Three questions for Idris Pell\n\nIdris Pell is an engineer.\n\n"
        "I was born in Dunwick Bay. She lives in Ostby."
    )
    facts = facts_of(extractor, ontology, text)
    assert ("Idris Pell", "BORN_IN", "Dunwick Bay") in facts
    assert ("Idris Pell", "LIVES_IN", "Ostby") not in facts  # she is not the speaker
    # without a first-person pronoun the heading's person is an ordinary topic
    assert ("Oren Vale", "BORN_IN", "Port Ilsa") in facts_of(
        extractor, ontology, "# Oren Vale\n\nOren Vale is a founder. He was born in Port Ilsa."
    )


def test_appositive_type_noun_reads_as_is_in(extractor, ontology):
    facts = facts_of(extractor, ontology, "Visitors love Lowmere, a river city in Veridia.")
    assert ("Lowmere", "LOCATED_IN", "Veridia") in facts


# --- wordings and constructions added after the third held-out set -----------------------------------------


def test_job_noun_at_an_organisation_is_works_for(extractor, ontology):
    facts = facts_of(extractor, ontology, "Felix Orm is a professor at the Kestrel Institute of Technology.")
    assert ("Felix Orm", "WORKS_FOR", "Kestrel Institute of Technology") in facts
    facts = facts_of(extractor, ontology, "Elin Kask is now an analyst at Quenby Freight.")
    assert ("Elin Kask", "WORKS_FOR", "Quenby Freight") in facts


def test_belongs_to_is_decided_by_types(extractor, ontology):
    facts = facts_of(extractor, ontology, "Nimbus Freight belongs to Calder Logistics.")
    assert ("Nimbus Freight", "SUBSIDIARY_OF", "Calder Logistics") in facts
    assert ("Nimbus Freight", "MEMBER_OF", "Calder Logistics") not in facts
    facts = facts_of(extractor, ontology, "Tomas Revel belongs to the Guild of Surveyors.")
    assert ("Tomas Revel", "MEMBER_OF", "Guild of Surveyors") in facts


def test_part_of_and_owner_of_are_subsidiary_of(extractor, ontology):
    facts = facts_of(extractor, ontology, "Today Tessel Labs is part of Nimbus Freight.")
    assert ("Tessel Labs", "SUBSIDIARY_OF", "Nimbus Freight") in facts
    facts = facts_of(extractor, ontology, "Greyline Media, the owner of Harrow Press, is based in Calvar.")
    assert ("Harrow Press", "SUBSIDIARY_OF", "Greyline Media") in facts
    assert not any(r == "ACQUIRED" for _s, r, _o in facts)


def test_future_intended_and_negated_statements_are_dropped(extractor, ontology):
    facts = facts_of(extractor, ontology, "Kasimir Dahl, who will join Tessel Labs as a researcher, lives in Calvar.")
    assert ("Kasimir Dahl", "WORKS_FOR", "Tessel Labs") not in facts
    assert ("Kasimir Dahl", "LIVES_IN", "Calvar") in facts
    facts = facts_of(extractor, ontology, "Greyline Media plans to acquire Fenwick Radio.")
    assert ("Greyline Media", "ACQUIRED", "Fenwick Radio") not in facts
    facts = facts_of(extractor, ontology, "Brackwater Radio will become a division of Marlow Media.")
    assert ("Brackwater Radio", "SUBSIDIARY_OF", "Marlow Media") not in facts
    # continuing states are still stated: "will stay on as head of X"
    facts = facts_of(extractor, ontology, "Saskia Brandt will stay on as head of Quenby Freight.")
    assert ("Saskia Brandt", "CEO_OF", "Quenby Freight") in facts


def test_work_by_person_is_authorship(extractor, ontology):
    facts = facts_of(extractor, ontology, 'Critics praised the novel "Lanterns on the Weir" by Lina Vale.')
    assert ("Lina Vale", "AUTHOR_OF", "Lanterns on the Weir") in facts
    facts = facts_of(
        extractor,
        ontology,
        'Elin Kask runs Quenby Media. Her memoir, "Ropes and Tar", came out this spring from Ardley Press.',
    )
    assert ("Elin Kask", "AUTHOR_OF", "Ropes and Tar") in facts
    assert ("Ropes and Tar", "PUBLISHED_BY", "Ardley Press") in facts


def test_list_and_infobox_fragments_take_the_lines_first_name(extractor, ontology):
    text = (
        "Quenby Logistics - haulage and storage. Headquarters: Calvar. Chief executive: Elin Kask.\n\n"
        "Marlow Media - magazines and television. Owner of Thistle Press and Ardley Radio."
    )
    facts = facts_of(extractor, ontology, text)
    assert ("Quenby Logistics", "HEADQUARTERED_IN", "Calvar") in facts
    assert ("Elin Kask", "CEO_OF", "Quenby Logistics") in facts
    assert ("Thistle Press", "SUBSIDIARY_OF", "Marlow Media") in facts
    assert ("Thistle Press", "SUBSIDIARY_OF", "Quenby Logistics") not in facts  # another line's name


def test_plural_role_noun_lists_its_holders(extractor, ontology):
    facts = facts_of(
        extractor, ontology, "The Guild of Cartographers is old. Its members include Anton Calder and Ivy Vale."
    )
    assert ("Anton Calder", "MEMBER_OF", "Guild of Cartographers") in facts
    assert ("Ivy Vale", "MEMBER_OF", "Guild of Cartographers") in facts


def test_the_couple_is_the_married_pair(extractor, ontology):
    facts = facts_of(extractor, ontology, "Ruth Amsel is married to Jorund Vass; the couple live in Lowmere.")
    assert ("Ruth Amsel", "LIVES_IN", "Lowmere") in facts
    assert ("Jorund Vass", "LIVES_IN", "Lowmere") in facts


def test_infobox_table_rows_relate_to_the_header_name(extractor, ontology):
    text = (
        "# Ardley Bank\n\n| Ardley Bank | |\n|---|---|\n| Type | Savings bank |\n| Headquarters | Dunwick |\n"
        "| Parent | Revel Holdings |\n\nArdley Bank is a savings bank."
    )
    facts = facts_of(extractor, ontology, text)
    assert ("Ardley Bank", "HEADQUARTERED_IN", "Dunwick") in facts
    assert ("Ardley Bank", "SUBSIDIARY_OF", "Revel Holdings") in facts


def test_a_name_inside_a_date_span_is_still_a_name(extractor, ontology):
    facts = facts_of(extractor, ontology, "2004 - Tomas Revel and his sister Lina Revel found Quenby Freight.")
    assert ("Tomas Revel", "FOUNDED", "Quenby Freight") in facts
    assert ("Lina Revel", "FOUNDED", "Quenby Freight") in facts


# -- session 2 constructions (each sentence is new text, not taken from a corpus file) ----------------------


def test_degree_from_and_seat_on_a_council(extractor, ontology):
    facts = facts_of(
        extractor,
        ontology,
        "Petra Lund holds a law degree from the University of Ostby. "
        "She sits on the advisory council of the Harbour Pilots Association.",
    )
    assert ("Petra Lund", "STUDIED_AT", "University of Ostby") in facts
    assert ("Petra Lund", "MEMBER_OF", "Harbour Pilots Association") in facts


def test_lives_with_family_in(extractor, ontology):
    facts = facts_of(extractor, ontology, "Jonas Varga grew up on a farm and now lives with his family in Tollmouth.")
    assert ("Jonas Varga", "LIVES_IN", "Tollmouth") in facts


def test_cited_publisher_in_parentheses(extractor, ontology):
    facts = facts_of(extractor, ontology, 'Mira Olsen is the author of "Cold Current" (Fernhill Books, 2021).')
    assert ("Cold Current", "PUBLISHED_BY", "Fernhill Books") in facts
    assert ("Mira Olsen", "AUTHOR_OF", "Cold Current") in facts


def test_byline_under_a_person_heading(extractor, ontology):
    text = "## Tove Arnesen\n\n*Founder and CEO, Brightwater Analytics*\n\nTove Arnesen spoke about sensors.\n"
    facts = facts_of(extractor, ontology, text)
    assert ("Tove Arnesen", "FOUNDED", "Brightwater Analytics") in facts
    assert ("Tove Arnesen", "CEO_OF", "Brightwater Analytics") in facts


def test_our_chief_executive_is_the_pages_organisation(extractor, ontology):
    text = (
        "Brightwater Analytics builds river sensors. Brightwater Analytics sells to Calder Logistics.\n\n"
        "Our chief executive, Tove Arnesen, previously worked at Orrin Bank."
    )
    facts = facts_of(extractor, ontology, text)
    assert ("Tove Arnesen", "CEO_OF", "Brightwater Analytics") in facts
    assert ("Tove Arnesen", "CEO_OF", "Calder Logistics") not in facts


def test_place_comma_place_and_noun_phrase_location(extractor, ontology):
    facts = facts_of(
        extractor,
        ontology,
        "In 2019 Corwen Media bought Hale & Finch, a small press in Dunmere. "
        "The deal was signed in Dunmere, Estland, on a Monday.",
    )
    assert ("Hale & Finch", "LOCATED_IN", "Dunmere") in facts
    assert ("Dunmere", "LOCATED_IN", "Estland") in facts


def test_a_list_of_places_is_not_containment(extractor, ontology):
    facts = facts_of(extractor, ontology, "The band played in Dunmere, Tollmouth, Ostby and Fernhill last year.")
    assert not {f for f in facts if f[1] == "LOCATED_IN"}


def test_first_name_child_takes_the_family_surname(extractor, ontology):
    text = "# Three questions for Idris Pell\n\nI was born in Dunwick. Our son Nils works at Marlow Signal now."
    facts = facts_of(extractor, ontology, text)
    assert ("Nils Pell", "CHILD_OF", "Idris Pell") in facts
    assert ("Nils Pell", "WORKS_FOR", "Marlow Signal") in facts


def test_ontology_implies_must_name_a_known_relation(tmp_path):
    from kgqa.errors import InputError

    bad = tmp_path / "o.yaml"
    bad.write_text(
        "entity_types: [{name: Organization}, {name: Location}]\n"
        "relation_types:\n"
        "  - {name: HEADQUARTERED_IN, domain: [Organization], range: [Location], implies: [SITED_IN]}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="implies unknown relation 'SITED_IN'"):
        load_ontology(bad)
    assert load_ontology().implied_by("LOCATED_IN") == ["HEADQUARTERED_IN"]


def test_a_named_unit_is_not_its_organisation(extractor, ontology):
    text = (
        "Ostby Maritime College is in Ostby, right on the harbour. "
        "The hydrodynamics lab is run by Ines Lande, who wrote a textbook."
    )
    facts = facts_of(extractor, ontology, text)
    # "Ostby" after "in" is the town (spaCy says NORP; only demonym-shaped NORP words are dropped)
    assert ("Ostby Maritime College", "LOCATED_IN", "Ostby") in facts
    assert ("Ines Lande", "CEO_OF", "Ostby Maritime College") not in facts


def test_forms_of_address_are_not_names(extractor, ontology):
    facts = facts_of(extractor, ontology, "# Home again\n\nMum's father, Emil Rask, founded the Ostby Choir.")
    assert ("Emil Rask", "FOUNDED", "Ostby Choir") in facts
    assert not {f for f in facts if "Mum" in f[0] or "Home" in f[0]}


def test_brothers_sharing_a_surname(extractor, ontology):
    facts = facts_of(extractor, ontology, "In 1921 Aldo and Frans Brenner set up a power company, Brenner Energy.")
    assert ("Aldo Brenner", "FOUNDED", "Brenner Energy") in facts
    assert ("Frans Brenner", "FOUNDED", "Brenner Energy") in facts


def test_place_based_adjective_and_acquisition_noun(extractor, ontology):
    facts = facts_of(
        extractor,
        ontology,
        "Dunmore Instruments today announced that it has completed its acquisition of Kilnbright, "
        "a Tollmouth-based start-up. Hale & Finch, an Ostby-based house, prints maps.",
    )
    assert ("Dunmore Instruments", "ACQUIRED", "Kilnbright") in facts
    assert ("Kilnbright", "HEADQUARTERED_IN", "Tollmouth") in facts
    assert ("Hale & Finch", "HEADQUARTERED_IN", "Ostby") in facts


def test_a_planned_acquisition_is_not_a_fact(extractor, ontology):
    facts = facts_of(
        extractor, ontology, "Dunmore Instruments plans to complete its acquisition of Kilnbright next year."
    )
    assert ("Dunmore Instruments", "ACQUIRED", "Kilnbright") not in facts


def test_byline_speaker_and_work_as_at(extractor, ontology):
    text = (
        "Best answer (by Ruben Salo): I studied at Tollmouth Maritime College and now work as a naval architect "
        "at Saltmere Yards."
    )
    facts = facts_of(extractor, ontology, text)
    assert ("Ruben Salo", "STUDIED_AT", "Tollmouth Maritime College") in facts
    assert ("Ruben Salo", "WORKS_FOR", "Saltmere Yards") in facts


def test_whose_title_and_compiled_by(extractor, ontology):
    text = (
        'The society was founded by Emil Varg, whose "Ostby Through Nine Centuries" remains the standard account. '
        'In 2019 the institute published the "Northmere Wind Atlas", compiled by Hanna Lind.'
    )
    facts = facts_of(extractor, ontology, text)
    assert ("Emil Varg", "AUTHOR_OF", "Ostby Through Nine Centuries") in facts
    assert ("Hanna Lind", "AUTHOR_OF", "Northmere Wind Atlas") in facts


def test_civic_titles_are_not_part_of_a_name(extractor, ontology):
    facts = facts_of(extractor, ontology, "Mayor Bohdana Kral, who was born in Zelnik, opened the bridge.")
    assert ("Bohdana Kral", "BORN_IN", "Zelnik") in facts


def test_person_of_place_and_region_apposition(extractor, ontology):
    facts = facts_of(
        extractor,
        ontology,
        "Proud grandparents are Vera Halek, of Dobrany, and Ivo Marsh. "
        "Lenka Halek works in Zelno, a small town in the Brensk region.",
    )
    assert ("Vera Halek", "LIVES_IN", "Dobrany") in facts
    assert ("Zelno", "LOCATED_IN", "Brensk") in facts


# -- a custom ontology gets the same machinery -----------------------------------------------------------------

TINY_ONTOLOGY = """\
name: tiny
entity_types:
  - {name: Human, role: person, spacy: [PERSON]}
  - {name: Song, role: work, nouns: [song, ballad]}
relation_types:
  - {name: COMPOSED, domain: [Human], range: [Song], phrases: [composed, wrote]}
"""
SONG_BY = 'Critics praised the song "Low Tide Lullaby" by Marta Henning.'


def _tiny(tmp_path, extra: str = ""):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_ONTOLOGY + extra, encoding="utf-8")
    return load_ontology(path)


def test_a_custom_ontology_switches_a_construction_on(tmp_path, extractor):
    tiny = _tiny(tmp_path, "constructions:\n  - {name: work_by, relation: COMPOSED}\n")
    assert ("Marta Henning", "COMPOSED", "Low Tide Lullaby") in facts_of(extractor, tiny, SONG_BY)
    # the same machinery as the default ontology: phrases, roles (her → the person), quoted titles as works
    facts = facts_of(extractor, tiny, 'Marta Henning lives by the sea. She wrote "Harbour Lights" in 1990.')
    assert ("Marta Henning", "COMPOSED", "Harbour Lights") in facts


def test_a_custom_ontology_without_constructions_or_roles_does_not_crash(tmp_path, extractor):
    assert facts_of(extractor, _tiny(tmp_path), SONG_BY) == set()
    bare = tmp_path / "bare.yaml"
    bare.write_text(
        "entity_types: [{name: Human, spacy: [PERSON]}, {name: Town, spacy: [GPE]}]\n"
        "relation_types: [{name: FROM, domain: [Human], range: [Town], phrases: [comes from]}]\n",
        encoding="utf-8",
    )
    text = "Marta Henning comes from Dunwick. She and her brother live by the sea; they sing. The town is small."
    assert ("Marta Henning", "FROM", "Dunwick") in facts_of(extractor, load_ontology(bare), text)


def test_an_unknown_construction_is_an_error(tmp_path, extractor):
    tiny = _tiny(tmp_path, "constructions:\n  - {name: work_bye, relation: COMPOSED}\n")
    with pytest.raises(ConfigError, match="work_bye"):
        facts_of(extractor, tiny, SONG_BY)


def test_ontology_roles_family_and_constructions_are_checked(tmp_path):
    from kgqa.errors import InputError

    with pytest.raises(InputError, match="yields unknown relation"):
        _tiny(tmp_path, "constructions:\n  - {name: work_by, relation: WROTE}\n")
    bad = tmp_path / "roles.yaml"
    bad.write_text(TINY_ONTOLOGY.replace("role: work", "role: person"), encoding="utf-8")
    with pytest.raises(InputError, match="more than one entity type has the role 'person'"):
        load_ontology(bad)
    default = load_ontology()
    assert default.type_with_role("place") == "Location"
    assert {r.name: r.family for r in default.relation_types if r.family} == {
        "MARRIED_TO": "spouse",
        "SIBLING_OF": "sibling",
        "CHILD_OF": "child",
    }
