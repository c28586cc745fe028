"""The query adapter: its training questions, its stored form, and the write path that fits it."""
import json

import numpy as np
import pytest

from fundstelle.settings import Settings
from index.query_adapter import (MIN_QUESTIONS, StoredAdapter, TrainingQuestionsError, load_questions,
                                 mixed_vector, questions_sha256)


def test_the_committed_training_questions_are_read_with_the_unit_each_asks_about():
    questions = load_questions(Settings().query_adapter_questions)
    assert len(questions) >= 1100
    assert all(q.question and q.locator for q in questions)
    assert {"§ 24 Abs. 1 SGB II", "FW §§ 88–92 SGB III, Rz. V.EGZ.40"} <= {q.locator for q in questions}


def _line(question: str, locator: str = "§ 1 SGB II") -> str:
    return json.dumps({"question": question, "locator": locator}, ensure_ascii=False) + "\n"


def test_a_folder_of_question_files_is_read_in_name_order_and_hashed_as_one(tmp_path):
    (tmp_path / "b.jsonl").write_text(_line("Zweite Datei?"), encoding="utf-8")
    (tmp_path / "a.jsonl").write_text(_line("Erste Datei?"), encoding="utf-8")
    (tmp_path / "README.md").write_text("not questions", encoding="utf-8")
    assert [q.question for q in load_questions(tmp_path)] == ["Erste Datei?", "Zweite Datei?"]
    before = questions_sha256(tmp_path)
    (tmp_path / "b.jsonl").write_text(_line("Zweite Datei, geändert?"), encoding="utf-8")
    assert questions_sha256(tmp_path) != before


@pytest.mark.parametrize("make", [lambda p: p / "missing.jsonl", lambda p: p])
def test_missing_training_questions_are_named_in_the_error(tmp_path, make):
    path = make(tmp_path)   # a file that is not there, or a folder without *.jsonl
    with pytest.raises(TrainingQuestionsError, match=str(path)):
        load_questions(path)


def test_a_broken_line_is_refused_naming_the_file_and_the_line(tmp_path):
    path = tmp_path / "questions.jsonl"
    path.write_text(json.dumps({"question": "Wer zahlt?", "locator": "§ 1 SGB II"}) + "\n\n{\"question\": \"x\"}\n",
                    encoding="utf-8")
    with pytest.raises(TrainingQuestionsError, match=r"questions\.jsonl, line 3: .*'locator'"):
        load_questions(path)


def test_an_empty_question_is_refused_naming_the_line(tmp_path):
    path = tmp_path / "questions.jsonl"
    path.write_text(json.dumps({"question": " ", "locator": "§ 1 SGB II"}) + "\n", encoding="utf-8")
    with pytest.raises(TrainingQuestionsError, match="line 1: 'question' and 'locator' must be non-empty"):
        load_questions(path)


def test_a_stored_adapter_reads_back_as_it_was_fitted():
    matrix = np.eye(4, dtype=np.float32) + 0.01 * np.arange(16, dtype=np.float32).reshape(4, 4)
    stored = StoredAdapter("v1", "model-a", "abc", 120, matrix)
    again = StoredAdapter.from_meta(stored.to_meta())
    assert np.array_equal(again.matrix, matrix)
    assert again.fits("v1", "model-a", "abc")
    assert not again.fits("v2", "model-a") and not again.fits("v1", "model-b") and not again.fits("v1", "model-a", "x")
    assert again.describe()["questions"] == 120


@pytest.mark.parametrize("value", [None, "", "{", json.dumps({"version": "v1"}),
                                   json.dumps({"version": "v", "model": "m", "questions_sha256": "s", "questions": 1,
                                               "dim": 3, "matrix": "AAAA"})])
def test_a_missing_or_broken_stored_adapter_reads_as_none(value):
    assert StoredAdapter.from_meta(value) is None


def test_the_mixed_vector_is_normalised_and_is_the_question_itself_under_the_identity():
    vector = np.array([3.0, 4.0, 0.0], dtype=np.float32)
    assert np.allclose(mixed_vector(np.eye(3, dtype=np.float32), vector), [0.6, 0.8, 0.0])
    turned = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1]], dtype=np.float32)
    mixed = mixed_vector(turned, vector)
    assert np.isclose(np.linalg.norm(mixed), 1.0)
    # Half the plain direction, half the adapted one.
    assert np.allclose(mixed, np.array([0.6 + 0.8, 0.8 + 0.6, 0.0]) / np.linalg.norm([1.4, 1.4, 0.0]))


def _questions_of(writer, path, count: int) -> None:
    """Write ``count`` training questions about the index's own units to ``path``: each unit's
    sentences, then their first halves, in turn."""
    from fundstelle.sentences import split_sentences

    chunks = writer.store.get_chunks(writer.store.ids())
    sentences = [(chunk.text[s:e], chunk.label) for chunk in chunks.values() for s, e in split_sentences(chunk.text)
                 if e - s > 30]
    pairs = sentences + [(" ".join(q.split()[:len(q.split()) // 2]), label) for q, label in sentences]
    assert len(pairs) >= count
    lines = [json.dumps({"question": q, "locator": label}, ensure_ascii=False) for q, label in pairs[:count]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.slow
def test_the_write_path_fits_the_adapter_once_and_again_when_its_questions_change(kennzahlen_index, real_embedder,
                                                                                  tmp_path):
    from index.writer import IndexWriter

    settings, _ = kennzahlen_index
    path = tmp_path / "questions.jsonl"
    writer = IndexWriter(settings.model_copy(update={"query_adapter_questions": path}), embedder=real_embedder)
    _questions_of(writer, path, MIN_QUESTIONS + 2)
    assert writer.fit_query_adapter(linear=True) == MIN_QUESTIONS + 2
    fitted = writer.query_adapter()
    assert fitted["kind"] == "linear adapter"
    assert fitted["questions"] == MIN_QUESTIONS + 2 and fitted["distance_from_identity"] > 0
    # Unchanged store, model and questions: nothing to do.
    assert writer.fit_query_adapter(linear=True) == 0
    # One question less: fitted again, from the stored question vectors.
    _questions_of(writer, path, MIN_QUESTIONS + 1)
    assert writer.fit_query_adapter(linear=True) == MIN_QUESTIONS + 1
    assert writer.query_adapter()["questions"] == MIN_QUESTIONS + 1


@pytest.mark.slow
def test_too_few_questions_about_the_index_fit_no_adapter(kennzahlen_index, real_embedder, tmp_path):
    from index.writer import IndexWriter

    settings, _ = kennzahlen_index
    path = tmp_path / "questions.jsonl"
    writer = IndexWriter(settings.model_copy(update={"query_adapter_questions": path}), embedder=real_embedder)
    _questions_of(writer, path, MIN_QUESTIONS - 1)
    assert writer.fit_query_adapter() == 0
    assert writer.fit_query_adapter(linear=True) == 0
    assert writer.query_adapter() is None
