"""Misspellings of corpus words (index.spelling)."""
import pytest

from index.spelling import SpellingNeighbours, allowed_edits, edit_distance, misspelt_in


@pytest.mark.parametrize("a, b, distance", [
    ("bergketen", "bergketten", 1),          # a letter missing
    ("strausburg", "strassburg", 1),         # a letter wrong
    ("vaterlanidschen", "vaterlandischen", 1),   # neighbours swapped: one edit
    ("literauturstromung", "literaturstromung", 1),
    ("kolonialisierung", "kolonisierung", 3),    # three letters more: not a typo
])
def test_edit_distance_counts_insertions_deletions_substitutions_and_swaps(a, b, distance):
    assert edit_distance(a, b, limit=3) == distance


def test_edit_distance_stops_past_the_limit():
    assert edit_distance("rundfunkbeitrag", "rentenbeitrag", limit=2) == 3


def test_long_words_allow_two_edits_short_ones_one():
    assert allowed_edits("bergketen") == 1
    assert allowed_edits("literauturstromung") == 2


def test_a_typo_of_a_vocabulary_word_has_a_neighbour_and_a_new_word_has_none():
    neighbours = SpellingNeighbours(["bergketten", "bedarfsgemeinschaft", "regelbedarf"])
    assert neighbours.has_neighbour("bergketen")
    assert neighbours.has_neighbour("bedarfsgemeinshaft")
    assert not neighbours.has_neighbour("rundfunkbeitrag")
    assert not neighbours.has_neighbour("bergketten")   # the word itself is not its own neighbour


def test_a_word_is_misspelt_in_a_passage_that_spells_it_within_a_typo():
    passage_words = {"bergketten", "zhejiang", "provinz", "vaterlandischer"}
    assert misspelt_in("bergketen", passage_words)
    assert misspelt_in("vaterlanidschen", passage_words)        # 15 letters: two edits allowed
    assert not misspelt_in("bergketten", passage_words)          # the word itself is no typo of itself
    assert not misspelt_in("rundfunkbeitrag", passage_words)
