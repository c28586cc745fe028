"""Document text rendered through safe_markdown reads the same and cannot add links, images or HTML."""
from __future__ import annotations

from app_support.safe_markdown import escape_block, escape_inline, highlight
from tests.app.markdown_check import active_content, rendered_text

HOSTILE = ("Vorher <script>alert('x')</script> und <img src=x onerror=alert(1)> sowie [klick](https://evil.example/) "
           "und ![bild](https://evil.example/x.png), nackt https://evil.example/a?b=1 oder www.evil.example "
           "oder post@evil.example.")


def test_hostile_text_renders_without_links_images_or_html():
    assert active_content(escape_inline(HOSTILE)) == []


def test_hostile_text_reads_exactly_as_written():
    assert rendered_text(escape_inline(HOSTILE)) == HOSTILE


def test_markdown_syntax_in_document_text_is_shown_literally():
    text = "# Überschrift **fett** _kursiv_ `code` | a | b | $x$ :red[rot] 1. Punkt"
    assert rendered_text(escape_inline(text)) == text


def test_url_becomes_inline_code_not_link():
    assert "`https://evil.example/a`" in escape_inline("siehe https://evil.example/a dort")


def test_url_with_backticks_keeps_a_closed_code_span():
    text = "x https://e.example/`a`b y"
    assert rendered_text(escape_inline(text)) == text
    assert active_content(escape_inline(text)) == []


def test_block_keeps_paragraphs_and_drops_code_block_indent():
    body = escape_block("Erster Absatz.\n        eingerückt wie Code\nDritter.")
    assert rendered_text(body) == "Erster Absatz.\neingerückt wie Code\nDritter."
    assert "    " not in body


def test_highlight_puts_the_supporting_sentence_in_bold_on_a_background():
    text = "Satz eins. Messbare Zielgrößen wurden nicht definiert. Satz drei."
    start = text.index("Messbare")
    body = highlight(text, (start, text.index(" Satz drei")))
    assert ":orange-background[**Messbare Zielgrößen wurden nicht definiert\\.**]" in body
    assert body.startswith("Satz eins\\. :orange")


def test_highlight_is_widened_to_a_whole_url_so_no_link_part_escapes():
    text = "Quelle: https://evil.example/pfad/datei Ende."
    body = highlight(text, (text.index("evil"), text.index(" Ende")))
    assert active_content(body) == []
    assert ":orange-background[**`https://evil.example/pfad/datei`**]" in body


def test_highlight_of_hostile_passage_stays_inert():
    start = HOSTILE.index("[klick]")
    assert active_content(highlight(HOSTILE, (start, start + 40))) == []


def test_highlight_without_span_is_the_plain_escaped_text():
    assert highlight("a [b](c)", None) == escape_block("a [b](c)")


def test_highlight_keeps_the_paragraph_break_before_the_sentence():
    text = "Frage?\n\nAntwort steht hier."
    body = highlight(text, (text.index("Antwort"), len(text)))
    assert body == "Frage\\?\n\n:orange-background[**Antwort steht hier\\.**]"
