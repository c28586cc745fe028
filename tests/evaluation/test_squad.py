"""Reading SQuAD v1.1 and v2.0 files (the tiny German fixtures)."""
from __future__ import annotations

import json

import pytest

from evaluation.indexes import EvaluationError
from evaluation.squad import load_squad, paragraph_id, paragraph_title, spread
from fundstelle.settings import REPO_ROOT

FIXTURES = REPO_ROOT / "tests" / "fixtures"
DOM = ("Der Kölner Dom ist eine römisch-katholische Kirche in Köln. Mit dem Bau wurde im Jahr 1248 begonnen, "
       "vollendet wurde er erst 1880. Seine beiden Türme sind 157 Meter hoch.")


def test_v1_questions_in_file_order_with_answers():
    squad = load_squad(FIXTURES / "squad_v1.json")
    assert [q.id for q in squad.questions] == ["dom-baubeginn", "dom-tuerme", "rhein-muendung", "dom-vollendung"]
    assert squad.questions[0].answers == ("1248", "im Jahr 1248")
    assert squad.questions[0].question == "Wann wurde mit dem Bau des Kölner Doms begonnen?"


def test_v1_has_no_impossible_questions():
    squad = load_squad(FIXTURES / "squad_v1.json")
    assert squad.version == "1.1"
    assert squad.n_impossible == 0


def test_v1_identical_contexts_are_one_paragraph():
    squad = load_squad(FIXTURES / "squad_v1.json")
    assert len(squad.paragraphs) == 2
    by_id = {q.id: q.pid for q in squad.questions}
    assert by_id["dom-baubeginn"] == by_id["dom-vollendung"] == paragraph_id(DOM)
    assert squad.paragraphs[paragraph_id(DOM)].context == DOM


def test_v1_article_title_becomes_paragraph_title_without_underscores():
    squad = load_squad(FIXTURES / "squad_v1.json")
    assert squad.paragraphs[paragraph_id(DOM)].title == "Kölner Dom"


def test_v2_impossible_questions_have_no_answers():
    squad = load_squad(FIXTURES / "squad_v2.json")
    impossible = {q.id: q for q in squad.questions if q.impossible}
    assert sorted(impossible) == ["brezel-erfinder", "watt-flaeche"]
    # plausible_answers of an impossible question are not gold answers
    assert impossible["watt-flaeche"].answers == ()
    assert squad.n_impossible == 2 and len(squad.questions) == 6 and len(squad.paragraphs) == 3


def test_v2_answerable_question_keeps_distinct_answers():
    squad = load_squad(FIXTURES / "squad_v2.json")
    watt = next(q for q in squad.questions if q.id == "watt-welterbe")
    assert not watt.impossible
    assert watt.answers == ("2009", "seit 2009")


def test_germanquad_style_integer_ids_become_strings(tmp_path):
    path = tmp_path / "gq.json"
    path.write_text(json.dumps({"data": [{"paragraphs": [{"context": "Thüringen\n\nErfurt ist die Hauptstadt.",
                                                          "qas": [{"id": 36428, "question": "Hauptstadt?",
                                                                   "answers": [{"text": "Erfurt", "answer_start": 11}],
                                                                   "is_impossible": False}]}]}]}), encoding="utf-8")
    squad = load_squad(path)
    assert squad.questions[0].id == "36428"
    assert squad.paragraphs[squad.questions[0].pid].title == "Thüringen"


def test_title_from_short_first_line_else_absatz():
    assert paragraph_title(None, "Thüringen\n\n=== Geschichte ===\nErst ab 1780 …") == "Thüringen"
    assert paragraph_title("", "Ein einzelner Satz ohne Zeilenumbruch.") == "Absatz"


def test_file_without_data_list_is_refused(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"version": "1.1"}', encoding="utf-8")
    with pytest.raises(EvaluationError, match="no 'data' list"):
        load_squad(path)


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(EvaluationError, match="does not exist"):
        load_squad(tmp_path / "nope.json")


def test_spread_takes_evenly_spaced_items():
    assert spread(list(range(10)), 3) == [0, 3, 6]
    assert spread(list(range(4)), None) == [0, 1, 2, 3]
    assert spread(list(range(4)), 9) == [0, 1, 2, 3]
