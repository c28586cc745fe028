"""Short names people know for laws and Verordnungen, keyed by the official abbreviation."""
from __future__ import annotations

from fundstelle.law_names import LAW_NAMES, long_law_name, readable_label, short_law_name


def test_kennzahlen_verordnung_has_a_name_people_know():
    assert short_law_name("SGB2§48aFKV") == "Kennzahlen-VO"


def test_long_form_keeps_the_official_abbreviation():
    assert all(abbreviation in long_law_name(abbreviation) for abbreviation in LAW_NAMES)


def test_unknown_abbreviation_comes_back_unchanged():
    assert short_law_name("BGB") == "BGB" and long_law_name("BGB") == "BGB"


def test_label_replaces_only_whole_abbreviations():
    assert readable_label("§ 2 SGB2§48aFKV") == "§ 2 Kennzahlen-VO"
    assert readable_label("§ 22 Abs. 1 SGB III") == "§ 22 Abs. 1 SGB III"
    assert readable_label("FW § 16 SGB II, Rz. 16.11") == "FW § 16 SGB II, Rz. 16.11"
