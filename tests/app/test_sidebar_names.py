"""How the sidebar names and orders documents and laws: short, § 5 before § 10."""
from __future__ import annotations

from app_support.ui import document_name, natural_key

WEISUNGEN = [{"doc_id": f"fw-{n}", "kind": "ba", "title": f"Fachliche Weisungen § {n} SGB II – Titel {n}"}
             for n in (10, 5, 21, 7, 16)]


def test_documents_sort_paragraph_5_before_10():
    names = sorted((document_name(d) for d in WEISUNGEN), key=natural_key)
    assert [name.split(" SGB")[0] for name in names] == ["FW § 5", "FW § 7", "FW § 10", "FW § 16", "FW § 21"]


def test_a_law_is_named_by_its_short_name_and_fassung():
    document = {"doc_id": "kvo", "kind": "law", "law": "SGB2§48aFKV", "fassung": "2026-04-23",
                "title": "Verordnung zur Festlegung der Kennzahlen nach § 48a des Zweiten Buches Sozialgesetzbuch"}
    assert document_name(document) == "Kennzahlen-VO (23.04.2026)"


def test_weisung_names_are_short_enough_for_the_sidebar():
    assert document_name(WEISUNGEN[0]) == "FW § 10 SGB II – Titel 10"
