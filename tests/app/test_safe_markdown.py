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


TABLE = ("(2) Die Dauer des Anspruchs beträgt\n"
         "nach mindestens … Monaten | und nach Vollendung des … Lebensjahres | … Monate\n"
         "12 | | 6\n48 | 58. | 24\nAbweichend von Absatz 1 gilt Satz 2.")


def _cells_of_rows(body: str) -> list[list[str]]:
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(body)
    rows, row = [], None
    for token in tokens:
        if token.type == "tr_open":
            row = []
        elif token.type == "inline" and row is not None:
            row.append(token.content)
        elif token.type == "tr_close":
            rows.append(row)
            row = None
    return rows


def test_a_law_table_is_drawn_as_a_table_with_the_quoted_row_marked():
    start = TABLE.index("48 | 58")
    body = highlight(TABLE, (start, start + len("48 | 58. | 24")))
    rows = _cells_of_rows(body)
    assert len(rows) == 3 and len(rows[0]) == 3, "header and two rows of three cells"
    assert rows[1] == ["12", "", "6"]
    assert all(cell.startswith(":orange-background[**") for cell in rows[2])
    assert ":orange" not in " ".join(rows[0] + rows[1])
    # The text around the table stays, unmarked.
    assert body.startswith("\\(2\\) Die Dauer des Anspruchs beträgt\n\n|")
    assert body.endswith("Abweichend von Absatz 1 gilt Satz 2\\.")


def test_a_sentence_after_a_table_is_marked_in_place():
    start = TABLE.index("Abweichend")
    body = highlight(TABLE, (start, len(TABLE)))
    assert body.endswith(":orange-background[**Abweichend von Absatz 1 gilt Satz 2\\.**]")
    assert not any(":orange" in cell for row in _cells_of_rows(body) for cell in row)


def test_a_hostile_table_cell_can_neither_link_nor_break_the_table():
    text = "Tabelle\nKopf | [klick](https://evil.example/) | <b>x</b>\n1 | ![b](https://evil.example/x.png) | post@evil.example"
    body = highlight(text, None)
    assert active_content(body) == []
    rows = _cells_of_rows(body)
    assert [len(row) for row in rows] == [3, 3]
    assert "[klick](https://evil.example/)" in rendered_text(body)
