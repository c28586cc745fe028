"""The answer as Markdown: markers link to cards, unsupported sentences are flagged, not cited."""
from __future__ import annotations

from dataclasses import replace

from retrieval.answer import VERIFIED, SentenceCheck

from app_support.render import answer_markdown, card_anchor, clean_sentence
from tests.app.answers import initiative_answer
from tests.app.markdown_check import active_content, rendered_text


def test_markers_link_to_the_source_cards_of_this_answer():
    body = answer_markdown(initiative_answer(), "a1b2")
    assert "definiert\\. [\\[1\\]](#a1b2-quelle-1)" in body
    assert "[\\[2\\]](#a1b2-quelle-2)" in body


def test_unsupported_sentence_is_flagged_and_carries_no_marker():
    body = answer_markdown(initiative_answer(), "x")
    assert ":gray[Die Initiative hat ihre Ziele vollständig erreicht\\.] :orange-badge[nicht belegt]" in body
    assert "erreicht\\.] :orange-badge[nicht belegt]" in body and "(#x-quelle-3)" not in body


def test_unsupported_flag_follows_the_interface_language():
    assert ":orange-badge[unsupported]" in answer_markdown(initiative_answer(), "x", "en")


def test_answer_text_reads_like_the_sentences():
    text = rendered_text(answer_markdown(initiative_answer(), "x"))
    assert text.startswith("Messbare Zielgrößen im engeren Sinne wurden zu Beginn der Initiative nicht definiert. [1]")


def test_marker_without_citation_is_plain_text_not_a_link():
    answer = initiative_answer()
    answer.sentences = [SentenceCheck("Ein Satz.", [7], VERIFIED)]
    assert answer_markdown(answer, "x") == "Ein Satz\\. \\[7\\]"


def test_document_links_in_an_extractive_sentence_stay_inert():
    answer = initiative_answer()
    answer.sentences = [replace(answer.sentences[0], text="Siehe [hier](https://evil.example) <b>x</b> www.evil.example.")]
    assert active_content(answer_markdown(answer, "x"), allow_anchors=True) == []


def test_card_anchor_contains_only_safe_characters():
    assert card_anchor("A 1/\"x", 2) == "a-1--x-quelle-2"


def test_clean_sentence_drops_markers_and_flag():
    assert clean_sentence("Satz eins [1][2]. (nicht belegt)") == "Satz eins."
