"""Metadata filters: building a ``SearchFilter`` and what a ``DocumentCatalog`` lets through."""
from __future__ import annotations

import pytest

from retrieval.filters import DocumentCatalog, SearchFilter

CATALOG = DocumentCatalog({
    "sgb2-2025": {"kind": "law", "law": "SGB II", "stand_date": 20250227},
    "sgb2-2026": {"kind": "law", "law": "SGB II", "stand_date": 20260423},
    "sgb3-2026": {"kind": "law", "law": "SGB III", "stand_date": 20260422},
    "landtag-5591": {"kind": "landtag", "law": "", "stand_date": 20250310},
    "fw-16": {"kind": "ba", "law": "", "stand_date": 20250326},
})


def test_kind_aliases_are_normalised_and_deduplicated():
    search_filter = SearchFilter.build(kinds=["Gesetz", "verordnung", "Weisung"])
    assert search_filter.kinds == ("law", "ba")


def test_a_single_kind_may_be_given_as_a_string():
    assert SearchFilter.build(kinds="landtag").kinds == ("landtag",)


def test_unknown_kind_is_refused_naming_the_known_ones():
    with pytest.raises(ValueError, match="unknown source kind 'zeitung'.*law, landtag, ba, other"):
        SearchFilter.build(kinds=["zeitung"])


@pytest.mark.parametrize("field", ["as_of", "stand_from", "stand_to"])
def test_a_date_that_is_not_a_date_is_refused_naming_the_field(field):
    with pytest.raises(ValueError, match=f"{field}: '31.12.' is not a date"):
        SearchFilter.build(**{field: "31.12."})


def test_without_filters_only_the_newest_fassung_of_each_law_is_searched():
    assert CATALOG.allowed_documents(SearchFilter()) == {"sgb2-2026", "sgb3-2026", "landtag-5591", "fw-16"}


def test_as_of_date_picks_the_fassung_in_force_then():
    allowed = CATALOG.allowed_documents(SearchFilter.build(as_of="2025-06-30"))
    assert "sgb2-2025" in allowed and "sgb2-2026" not in allowed


def test_as_of_date_before_every_fassung_keeps_the_oldest():
    allowed = CATALOG.allowed_documents(SearchFilter.build(as_of="2020-01-01"))
    assert "sgb2-2025" in allowed and "sgb2-2026" not in allowed


def test_all_fassungen_searches_every_version():
    assert {"sgb2-2025", "sgb2-2026"} <= CATALOG.allowed_documents(SearchFilter(all_fassungen=True))


def test_kind_law_and_document_filters_combine():
    assert CATALOG.allowed_documents(SearchFilter.build(kinds="law", laws=["SGB III"])) == {"sgb3-2026"}
    assert CATALOG.allowed_documents(SearchFilter.build(kinds="ba", documents=["fw-16", "sgb3-2026"])) == {"fw-16"}


def test_chroma_where_is_none_when_nothing_is_filtered_out():
    catalog = DocumentCatalog({"a": {"kind": "ba"}, "b": {"kind": "landtag"}})
    assert catalog.chroma_where(SearchFilter()) is None


def test_chroma_where_combines_documents_and_stand_range():
    where = CATALOG.chroma_where(SearchFilter.build(kinds="ba", stand_from="2025-01-01", stand_to="2025-12-31"))
    assert where == {"$and": [{"doc_id": {"$in": ["fw-16"]}}, {"stand_date": {"$gte": 20250101}},
                              {"stand_date": {"$lte": 20251231}}]}


def test_describe_names_every_active_filter_in_german():
    text = SearchFilter.build(kinds="law", laws=["SGB II"], as_of="2025-06-30").describe()
    assert text == "Art: law; Gesetze: SGB II; Rechtsstand am 2025-06-30"
    assert SearchFilter().describe() == "keine Filter"
