"""Named levels and the tables that value them (index.levels)."""
from index.chunk import Chunk
from index.levels import level_links, mentioned_levels, names_level, table_levels

TABLE = ("Regelbedarfsstufen nach § 28 in Euro\n"
         "gültig ab | Regelbedarfsstufe 1 | Regelbedarfsstufe 2 | Regelbedarfsstufe 12\n"
         "1. Januar 2026 | 563 | 506 | 1")


def _chunk(text: str) -> Chunk:
    return Chunk(doc_id="d", kind="law", doc_type="gesetz", title="", label="", text=text)


def test_a_tables_header_cells_of_a_word_and_a_number_name_levels():
    assert table_levels(TABLE) == ["Regelbedarfsstufe 1", "Regelbedarfsstufe 2", "Regelbedarfsstufe 12"]
    # Cells that are amounts, dates or words alone name no level; prose outside a table neither.
    assert table_levels("1. Januar 2026 | 563 | gültig ab") == []
    assert table_levels("Ein Betrag in Höhe der Regelbedarfsstufe 1 wird anerkannt.") == []


def test_a_level_is_named_only_with_its_own_number():
    assert names_level("ein Betrag in Höhe der Regelbedarfsstufe 1 anerkannt", "Regelbedarfsstufe 1")
    assert not names_level("ein Betrag in Höhe der Regelbedarfsstufe 12 anerkannt", "Regelbedarfsstufe 1")
    assert not names_level("die Regelbedarfsstufen 1 bis 6", "Regelbedarfsstufe 1")
    assert mentioned_levels("in Höhe der Regelbedarfsstufe 4, sofern … Satz 2") == ["Regelbedarfsstufe 4", "Satz 2"]


def test_a_unit_naming_a_level_links_to_the_table_that_values_it():
    chunks = [("table", _chunk(TABLE)),
              ("rule", _chunk("Als Regelbedarf wird monatlich ein Betrag in Höhe der Regelbedarfsstufe 1 anerkannt.")),
              ("other", _chunk("Der Mehrbedarf beträgt 17 Prozent des maßgebenden Regelbedarfs."))]
    assert level_links(chunks) == {"rule": ["table"]}


def test_broken_tables_and_empty_units_give_no_level_and_no_error():
    # Empty cells, a lone pipe, a header cut off mid-word: no level, no exception.
    assert table_levels("| | |\n|||\nRegelbedarfsst|") == []
    chunks = [("empty", _chunk("")), ("pipes", _chunk("|\n| |")), ("table", _chunk(TABLE))]
    assert level_links(chunks) == {}
