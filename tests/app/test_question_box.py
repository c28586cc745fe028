"""The question box's value as the page reads it: every question the browser sent, taken
once each and in the order sent, however many reruns Streamlit merged into one."""
from __future__ import annotations

from app_support.question_box import Submission, Submissions, parse

FIRST = {"id": "s-1", "text": "Ab wann gilt man als langzeitarbeitslos?"}
SECOND = {"id": "s-2", "text": "Wie hoch ist der Regelbedarf?"}
THIRD = {"id": "s-3", "text": "Ab wann gilt man als langzeitarbeitslos?"}


def test_questions_of_merged_reruns_are_all_taken_in_order():
    taken = Submissions()
    assert [s.id for s in taken.take(parse([FIRST, SECOND, THIRD]))] == ["s-1", "s-2", "s-3"]


def test_a_question_sent_again_in_a_later_value_is_taken_once():
    taken = Submissions()
    taken.take(parse([FIRST]))
    assert taken.take(parse([FIRST, SECOND])) == [Submission("s-2", SECOND["text"])]
    assert taken.take(parse([FIRST, SECOND])) == []


def test_the_same_text_under_a_new_id_is_a_new_question():
    taken = Submissions()
    taken.take(parse([FIRST]))
    assert taken.take(parse([THIRD])) == [Submission("s-3", THIRD["text"])]


def test_malformed_values_bring_no_question():
    assert parse(None) == [] and parse("Frage") == []
    assert parse([{"id": 1, "text": "x"}, {"text": "ohne id"}, "Frage", SECOND]) == [Submission("s-2", SECOND["text"])]
