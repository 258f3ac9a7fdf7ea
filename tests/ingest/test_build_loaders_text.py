"""Markup reduced to text by the build's loaders, and what the extractor then reads from it."""

from __future__ import annotations

from kgqa.ingest.extract.offline import OfflineExtractor
from kgqa.ingest.load import html_to_text, markdown_to_text
from kgqa.ingest.model import Document
from kgqa.ontology import load_ontology


def test_markdown_italic_titles_become_quoted_and_other_italics_plain():
    text, title = markdown_to_text(
        "# Review\n\n*From the society's website*\n\nHer novel *Low Water* came out under the *Ashby* imprint, "
        "and it is *very* good."
    )
    assert title == "Review"
    assert "From the society's website" in text and "*" not in text  # an italic line of its own: plain
    assert "Her novel “Low Water” came out" in text
    assert "it is very good" in text  # lower-case emphasis is not a title


def test_html_italic_titles_become_quoted():
    text, _ = html_to_text("<p>He wrote <i>Grain and Fracture</i> (Fenwick Press, 2017), <em>twice</em>.</p>")
    assert "“Grain and Fracture”" in text and "twice" in text and "“twice”" not in text


def test_extractor_reads_an_html_title_with_and_in_it():
    text, _ = html_to_text(
        "<p>Arvid Nessel is the author of <i>Grain and Fracture</i> (Trennick University Press, 2017).</p>"
    )
    onto = load_ontology()
    facts = {
        (f.subject, f.relation, f.object)
        for ex in OfflineExtractor().extract(Document(id="a.html", text=text), [], onto)
        for f in ex.facts
    }
    assert ("Arvid Nessel", "AUTHOR_OF", "Grain and Fracture") in facts
    assert ("Grain and Fracture", "PUBLISHED_BY", "Trennick University Press") in facts
