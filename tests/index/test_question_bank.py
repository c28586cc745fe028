"""The training questions as neighbours (``index.question_bank``): which norms the nearest name."""
import json

import numpy as np

from index.question_bank import QuestionBank, encoder_key


def unit(*values: float) -> np.ndarray:
    vector = np.asarray(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def bank(norms: list[str], rows: list[np.ndarray], encoder_meta: str = '{"version": "v1"}') -> QuestionBank:
    return QuestionBank(encoder_key(encoder_meta), tuple(norms), np.stack(rows))


def test_the_norm_of_the_nearest_training_questions_gets_the_largest_share():
    questions = bank(["§ 32 SGB II", "§ 32 SGB II", "§ 22 SGB II", ""],
                     [unit(1, 0.05, 0), unit(1, 0.1, 0), unit(0, 1, 0), unit(0, 0, 1)])
    shares = questions.neighbourhood(unit(1, 0.02, 0)).shares
    assert max(shares, key=shares.get) == "§ 32 SGB II"
    assert shares["§ 32 SGB II"] > 0.99
    assert sum(shares.values()) <= 1.0 + 1e-6


def test_a_question_whose_unit_has_no_norm_votes_for_none():
    questions = bank(["", "§ 22 SGB II"], [unit(1, 0, 0), unit(0, 1, 0)])
    shares = questions.neighbourhood(unit(1, 0, 0)).shares
    assert set(shares) == {"§ 22 SGB II"}
    assert shares["§ 22 SGB II"] < 0.01


def test_only_the_nearest_questions_vote():
    rows = [unit(1, 0.01 * i, 0) for i in range(12)] + [unit(0, 1, 0)]
    questions = bank(["§ 11 SGB II"] * 12 + ["§ 12 SGB II"], rows)
    assert set(questions.neighbourhood(unit(1, 0, 0), neighbours=10).shares) == {"§ 11 SGB II"}


def test_the_nearest_training_question_gives_its_cosine_whatever_norm_it_names():
    questions = bank(["§ 32 SGB II", ""], [unit(1, 0, 0), unit(0, 1, 0)])
    question = unit(0.6, 0.8, 0)
    assert abs(questions.neighbourhood(question).nearest - 0.8) < 1e-3
    assert questions.neighbourhood(unit(0, 0, 1)).nearest < 1e-3


def test_an_empty_bank_has_no_near_question():
    empty = QuestionBank(encoder_key('{"version": "v1"}'), (), np.zeros((0, 3), dtype=np.float32))
    near = empty.neighbourhood(unit(1, 0, 0))
    assert near.nearest == 0.0 and near.shares == {}


def test_the_stored_bank_reads_back_and_belongs_to_its_encoder_only():
    meta = '{"version": "v1", "recipe": "layers=6"}'
    stored = QuestionBank.build(meta, ["§ 7 SGB II", ""], np.stack([unit(1, 0), unit(0, 1)]),
                                np.stack([unit(1, 0.1), unit(0.1, 1)]))
    again = QuestionBank.from_meta(stored.meta())
    assert again is not None and again.norms == ("§ 7 SGB II", "")
    assert np.allclose(again.vectors, stored.vectors, atol=1e-3)
    assert again.fits(meta)
    assert not again.fits('{"version": "v2", "recipe": "layers=6"}')
    assert not again.fits(None)


def test_its_description_counts_the_questions_that_name_a_norm():
    questions = bank(["§ 32 SGB II", "§ 32 SGB II", "§ 22 SGB II", ""],
                     [unit(1, 0, 0), unit(1, 0.1, 0), unit(0, 1, 0), unit(0, 0, 1)])
    assert questions.describe() == {"questions": 4, "naming_a_norm": 3, "norms": 2}


def test_the_stored_vectors_mix_the_plain_and_the_tuned_question_like_the_search():
    from index.query_encoder import mixed_vector

    plain, tuned = np.stack([unit(1, 0, 0)]), np.stack([unit(0, 1, 0)])
    stored = QuestionBank.build("{}", ["§ 1 SGB II"], plain, tuned)
    assert np.allclose(stored.vectors[0], mixed_vector(plain[0], tuned[0]))


def test_an_unreadable_stored_bank_is_not_used(caplog):
    broken = json.dumps({"encoder": "x", "norms": ["§ 1 SGB II", "§ 2 SGB II"], "vectors": "bm90IG5weQ=="})
    assert QuestionBank.from_meta(broken) is None
    assert "question bank unreadable" in caplog.text
    assert QuestionBank.from_meta(None) is None
