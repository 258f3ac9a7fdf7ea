"""The offline extractor on names, references and arguments: a town and the company named after it stay two
entities, "who"/"we"/"the Club" refer rightly, clauses reach the noun they are about (own example sentences)."""

from __future__ import annotations

import pytest

from tests.offline_support import facts_of


def test_town_after_based_in_is_not_the_company_named_after_it(extractor, ontology):
    text = (
        "Harlow Pottery has bought Dunmere Tiles, the tile maker based in Dunmere.\n"
        "Its founder, Ada Quill, was born in Dunmere."
    )
    facts = facts_of(extractor, ontology, text)
    assert ("Dunmere Tiles", "HEADQUARTERED_IN", "Dunmere") in facts
    assert ("Ada Quill", "BORN_IN", "Dunmere") in facts
    assert not any(o == "Dunmere Tiles" for _s, r, o in facts if r in {"BORN_IN", "HEADQUARTERED_IN"})


def test_dateline_town_is_not_a_headline_company(extractor, ontology):
    text = (
        "Orlen Rope buys Tamsk Nets\n\n"
        "ORLEN — Orlen Rope Company has acquired Tamsk Nets, its chief executive Pia Morrow said.\n"
        "Orlen Rope Company is headquartered in Orlen."
    )
    facts = facts_of(extractor, ontology, text)
    assert ("Orlen Rope Company", "HEADQUARTERED_IN", "Orlen") in facts
    assert ("Orlen Rope Company", "ACQUIRED", "Tamsk Nets") in facts
    assert not any("Orlen Rope" in (s, o) for s, _r, o in facts)


def test_descriptor_noun_votes_for_organisation(extractor, ontology):
    facts = facts_of(extractor, ontology, "In 2004 we bought Pelling Weavers, the weaving house based in Pelling.")
    assert ("Pelling Weavers", "HEADQUARTERED_IN", "Pelling") in facts
    assert not any(r == "LIVES_IN" for _s, r, _o in facts)


def test_who_after_an_employer_refers_to_the_person(extractor, ontology):
    text = "The plan was drawn up by Ines Mard, a chemist at Harlow Pottery Company who lives in Dunmere."
    facts = facts_of(extractor, ontology, text)
    assert ("Ines Mard", "LIVES_IN", "Dunmere") in facts
    assert not any(s == "Harlow Pottery Company" and r == "LIVES_IN" for s, r, _o in facts)


def test_we_on_a_company_page_is_the_company(extractor, ontology):
    text = (
        "# About Harlow Pottery\n\n"
        "Harlow Pottery was founded in 1961 by Ada Quill.\n"
        "We are based in Harlow, and in 2010 we bought Dunmere Tiles."
    )
    facts = facts_of(extractor, ontology, text)
    assert ("Harlow Pottery", "HEADQUARTERED_IN", "Harlow") in facts
    assert ("Harlow Pottery", "ACQUIRED", "Dunmere Tiles") in facts


@pytest.mark.parametrize(
    "text",
    [
        'Ada Quill wrote "Clay Roads", a history of the valley, which was published by Fenn Books.',
        'Ada Quill is the author of "Clay Roads", a short history of the valley published by Fenn Books.',
    ],
)
def test_clause_on_the_of_object_of_an_apposition(extractor, ontology, text):
    assert ("Clay Roads", "PUBLISHED_BY", "Fenn Books") in facts_of(extractor, ontology, text)


def test_references_are_resolved_again_while_type_corrections_go_on(extractor, ontology, monkeypatch):
    """A name corrected only in the second type check (a person first read as a company) gets its pronouns."""
    import kgqa.ingest.extract.offline.extractor as module

    real_check, real_resolve = module.check_types, module.resolve_references
    calls = {"check": 0, "resolve": 0}

    def check(d, cands, onto, doc_id):
        calls["check"] += 1
        if calls["check"] <= 2:  # a correction in each of the first two checks
            d.corrections.append(f"correction {calls['check']}")
        return real_check(d, cands, onto, doc_id)

    def resolve(d):
        calls["resolve"] += 1
        return real_resolve(d)

    monkeypatch.setattr(module, "check_types", check)
    monkeypatch.setattr(module, "resolve_references", resolve)
    facts_of(extractor, ontology, "Ada Quill was born in Dunmere.")
    assert calls == {"check": 3, "resolve": 3}


def test_a_possessed_part_stands_for_its_owner(extractor, ontology):
    facts = facts_of(extractor, ontology, "Dunmere Tiles Ltd is now part of Harlow Pottery's tile division.")
    assert ("Dunmere Tiles Ltd", "SUBSIDIARY_OF", "Harlow Pottery") in facts


def test_a_bought_part_is_not_its_owner(extractor, ontology):
    facts = facts_of(extractor, ontology, "Harlow Pottery later purchased Dunmere Tiles' glazing business.")
    assert ("Harlow Pottery", "ACQUIRED", "Dunmere Tiles") not in facts


@pytest.mark.parametrize(
    "text",
    [
        'Our list\n\n- "Clay Roads" (Fenn Books, 2009) by Ada Quill, a memoir of the valley.',
        'Mud, kilns and long winters: "Clay Roads" by Ada Quill\n\nThe book is set in Dunmere.',
    ],
)
def test_quoted_title_by_an_author_in_token_order(extractor, ontology, text):
    assert ("Ada Quill", "AUTHOR_OF", "Clay Roads") in facts_of(extractor, ontology, text)


def test_both_after_a_list_of_works(extractor, ontology):
    text = 'Ada Quill wrote two novels, "Clay Roads" and "Kiln Weather", both published by Fenn Books.'
    facts = facts_of(extractor, ontology, text)
    assert ("Clay Roads", "PUBLISHED_BY", "Fenn Books") in facts
    assert ("Kiln Weather", "PUBLISHED_BY", "Fenn Books") in facts


def test_of_after_a_comma_is_not_the_role_nouns_complement(extractor, ontology):
    facts = facts_of(extractor, ontology, "Ivo's mother, Hanneke van Dorp, of Kelderwijk, has knitted two hats.")
    assert ("Ivo Dorp", "CHILD_OF", "Hanneke van Dorp") in facts
    assert not any(r == "CHILD_OF" and s.startswith("Kelderwijk") for s, r, _o in facts)


def test_possessive_on_the_name_of_a_compound_role_noun():
    """'... and his sister Elise' parsed with "sister" as a compound of the name: the possessive is the other end."""
    from spacy.tokens import Doc

    from kgqa.ingest.extract.offline.readers.dependency import _noun_roles
    from kgqa.ingest.extract.offline.triggers import Trigger
    from kgqa.nlp import spacy_model

    words = ["founded", "by", "Jonas", "Alsing", "and", "his", "sister", "Elise"]
    heads = [0, 0, 3, 1, 3, 7, 7, 3]
    deps = ["ROOT", "agent", "compound", "pobj", "cc", "poss", "compound", "conj"]
    pos = ["VERB", "ADP", "PROPN", "PROPN", "CCONJ", "PRON", "NOUN", "PROPN"]
    doc = Doc(spacy_model().vocab, words=words, heads=heads, deps=deps, pos=pos)
    sister = Trigger("SIBLING_OF", ("sister",), ("sister",), False, True, "noun", "sister")
    holders, objs, _anchor = _noun_roles(sister, [6], doc[6], doc[6])
    assert [t.text for t in holders] == ["Elise"] and [t.text for t in objs] == ["his"]


def test_the_capitalised_head_word_of_an_organisation(extractor, ontology):
    text = (
        "The Tamsby Rowing Club was founded in 1950 by Ada Quill.\n"
        "The Club is a member of the Esterra Federation of Rowing Clubs and meets every Friday."
    )
    facts = facts_of(extractor, ontology, text)
    assert ("Tamsby Rowing Club", "MEMBER_OF", "Esterra Federation of Rowing Clubs") in facts


def test_a_verbless_fragment_with_a_listed_participle_ends(extractor, ontology):
    """A sentence with no verb above the participle (a profile line): the search for the governing verb stops
    at the root (spaCy tokens are new objects on each access, so the root test compares indices)."""
    import signal

    def stuck(*_args):
        raise TimeoutError("the extractor did not return within 30 s")

    old = signal.signal(signal.SIGALRM, stuck)
    signal.alarm(30)
    try:
        facts = facts_of(extractor, ontology, "Mara Quill, born in Tarn and works for Acme.")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert ("Mara Quill", "BORN_IN", "Tarn") in facts


def test_an_interviewee_named_in_the_opening_lines_is_the_first_person(extractor, ontology):
    text = (
        '"I wanted to write it honestly": a conversation with Ada Rell\n\n'
        "Q: Your family is still there?\n\nA: My sister, Bo Rell, still lives in Kelby. My wife, Cai Moss, teaches.\n"
    )
    facts = facts_of(extractor, ontology, text)
    assert {("Ada Rell", "SIBLING_OF", "Bo Rell"), ("Ada Rell", "MARRIED_TO", "Cai Moss")} & facts
    assert not any("Q" in (s, o) or "A" in (s, o) for s, _r, o in facts)


def test_titles_keep_a_capitalised_the_and_win_over_place_words(extractor, ontology):
    facts = facts_of(extractor, ontology, "Ada Rell's third novel, The Tidewater Year, follows one family.")
    assert ("Ada Rell", "AUTHOR_OF", "The Tidewater Year") in facts
    facts = facts_of(extractor, ontology, "Orrin Press published my first novel, Kettle Harbour, in 2009.")
    assert ("Kettle Harbour", "PUBLISHED_BY", "Orrin Press") in facts


def test_a_pronoun_i_ending_a_sentence_is_not_an_initial(extractor, ontology):
    facts = facts_of(extractor, ontology, "My editor went with it and so did I. Orrin Books is based in Kelby.")
    assert ("Orrin Books", "HEADQUARTERED_IN", "Kelby") in facts


def test_the_speaker_after_a_quotation_is_not_the_next_he(extractor, ontology):
    text = (
        "Ada Rell, who skippered the night boat for years, died in Kelby. "
        '"Ada was the ferry," said Bo Tarrant, the company\'s chief executive. '
        "In 1972 he married Cai Moss, a nurse."
    )
    text = text.replace("Ada Rell", "Osk Rell").replace('"Ada', '"Osk')
    facts = facts_of(extractor, ontology, text)
    assert ("Bo Tarrant", "MARRIED_TO", "Cai Moss") not in facts and (
        "Cai Moss",
        "MARRIED_TO",
        "Bo Tarrant",
    ) not in facts
    assert {("Osk Rell", "MARRIED_TO", "Cai Moss"), ("Cai Moss", "MARRIED_TO", "Osk Rell")} & facts


def test_died_at_his_home_in_a_town(extractor, ontology):
    facts = facts_of(extractor, ontology, "Osk Rell died on 3 March at his home in Kelby after a short illness.")
    assert ("Osk Rell", "DIED_IN", "Kelby") in facts


def test_a_first_name_of_demonym_form_as_a_subject_is_the_person(extractor, ontology):
    facts = facts_of(extractor, ontology, "Lucan Dorsey grew up in Essendine. Lucan lives in Lissack with his husband.")
    assert ("Lucan Dorsey", "LIVES_IN", "Lissack") in facts


def test_its_in_a_fronted_phrase_is_the_clause_subject(extractor, ontology):
    facts = facts_of(extractor, ontology, "From its head office in Kelby, Orra Pumps employs about 1,100 people.")
    assert ("Orra Pumps", "HEADQUARTERED_IN", "Kelby") in facts


def test_a_quoted_clause_is_speech_not_a_title(extractor, ontology):
    facts = facts_of(extractor, ontology, '"Nothing is leaving Kelby," Bo Tarrant said. Bo Tarrant lives in Kelby.')
    assert ("Bo Tarrant", "LIVES_IN", "Kelby") in facts
    assert not any(r in {"AUTHOR_OF", "PUBLISHED_BY"} for _s, r, _o in facts)
