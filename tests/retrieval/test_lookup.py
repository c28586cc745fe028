"""Lookups: which questions only name a unit and so ask for its text."""
import pytest

from retrieval.lookup import named_references


@pytest.mark.parametrize("question, labels", [
    ("§ 22 SGB II", ["§ 22 SGB II"]),
    ("Was steht in § 7 Abs. 3 SGB II?", ["§ 7 Abs. 3 SGB II"]),
    ("Was regelt § 31a SGB II?", ["§ 31a SGB II"]),
    ("Wortlaut von § 1 des Zweiten Buches Sozialgesetzbuch", ["§ 1 SGB II"]),
    ("What does § 10 SGB II say?", ["§ 10 SGB II"]),
    ("§§ 11 bis 11b SGB II", ["§ 11 SGB II", "§ 11a SGB II", "§ 11b SGB II"]),
    ("Was besagt § 5 Abs. 1 und 2 SGB III?", ["§ 5 Abs. 1 SGB III", "§ 5 Abs. 2 SGB III"]),
    ("§ 22 Absatz 1 bis 3 SGB II", ["§ 22 Abs. 1 SGB II", "§ 22 Abs. 2 SGB II", "§ 22 Abs. 3 SGB II"]),
    # A Verordnung by its hyphenated name: its units carry "Bürgergeld-V" as their law.
    ("Was steht in § 6 Bürgergeld-V?", ["§ 6 Bürgergeld-V"]),
    ("Was regelt § 5 der Bürgergeld-Verordnung?", ["§ 5 Bürgergeld-V"]),
    ("§ 44 Neuntes Buch Sozialgesetzbuch", ["§ 44 SGB IX"]),
])
def test_a_question_that_only_names_a_unit_is_a_lookup(question, labels):
    assert [ref.label for ref in named_references(question)] == labels


@pytest.mark.parametrize("question", [
    "Wie hoch ist der Mehrbedarf nach § 21 SGB II?",   # asks something about the §
    "Greift die Unterhaltsvermutung nach § 9 Absatz 5 SGB II bei Geschwistern?",
    "Was steht in § 7?",                               # no law: which § 7?
    "Was ist eine Bedarfsgemeinschaft?",               # names no unit
])
def test_a_question_about_a_named_unit_is_no_lookup(question):
    assert named_references(question) == []
