"""A German question typed as several sentences is searched with each sentence embedded too
(``retrieval.search.question_sentences``, ``with_sentence_vectors``, ``RetrievalWeights.sentence_vector``)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from retrieval.search import HybridSearcher, question_sentences, with_sentence_vectors

SITUATION = "Ich bin 24 und wohne noch bei meinen Eltern."
ASKED = "Darf ich ohne Zustimmung des Jobcenters in eine eigene Wohnung ziehen?"


def test_a_situation_and_the_question_about_it_are_two_sentences():
    assert question_sentences(f"{SITUATION} {ASKED}") == [SITUATION, ASKED]


def test_abbreviations_and_citations_do_not_split_a_question():
    question = "Muss ich z. B. nach § 22 Abs. 1 SGB II umziehen, wenn die Miete zu hoch ist?"
    assert question_sentences(question) == [question]


def test_a_one_word_sentence_is_no_sentence_of_its_own():
    assert question_sentences(f"Hallo. {ASKED}") == [ASKED]


def test_punctuation_and_empty_pieces_are_no_sentences():
    assert question_sentences("??? ... !!!") == []
    assert question_sentences("   ") == []
    assert question_sentences(f". . {ASKED} ?? !") == [ASKED]


def test_the_mixed_vector_has_unit_length_and_leans_towards_the_sentences():
    whole = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    sentences = [np.array([0.0, 1.0, 0.0], dtype=np.float32), np.array([0.0, 0.0, 1.0], dtype=np.float32)]
    mixed = with_sentence_vectors(whole, sentences, 1.0)
    assert np.linalg.norm(mixed) == pytest.approx(1.0)
    assert mixed @ sentences[0] > whole @ sentences[0] and mixed @ whole < 1.0
    # each sentence has the same say, however long the other is
    assert mixed @ sentences[0] == pytest.approx(mixed @ sentences[1])


@pytest.mark.slow
def test_a_german_question_of_several_sentences_is_searched_with_its_sentences(core_index_settings):
    searcher = HybridSearcher(core_index_settings)
    question = f"{SITUATION} {ASKED}"
    result = searcher.search(question, k=5)
    assert result.sentences == [SITUATION, ASKED]
    plain = searcher.search(question, k=5, weights=replace(searcher.weights, sentence_vector=0.0))
    assert plain.sentences == []
    # the dense side really used another vector: the same passage has another cosine
    shared = {h.chunk_id: h.dense_similarity for h in plain.hits if h.dense_similarity is not None}
    changed = [h for h in result.hits if h.chunk_id in shared and h.dense_similarity is not None]
    assert changed and any(abs(h.dense_similarity - shared[h.chunk_id]) > 1e-4 for h in changed)


@pytest.mark.slow
@pytest.mark.parametrize("question", [ASKED, "I am 24 and live with my parents. May I move into a flat of my own?"])
def test_a_one_sentence_or_other_language_question_is_searched_whole(core_index_settings, question):
    assert HybridSearcher(core_index_settings).search(question, k=5).sentences == []


@pytest.mark.slow
def test_the_answer_says_which_sentences_were_searched(assistant):
    answer = assistant.ask(f"{SITUATION} {ASKED}")
    assert answer.settings["question_sentences"] == [SITUATION, ASKED]
    assert "question_sentences" not in assistant.ask(ASKED).settings


@pytest.mark.slow
def test_a_question_of_many_short_sentences_is_answered_with_all_of_them(assistant):
    question = "Ich frage nur. " * 30 + ASKED
    answer = assistant.ask(question)
    assert answer.passages, "the question is searched, not refused"
    assert answer.settings["question_sentences"] == ["Ich frage nur."] * 30 + [ASKED]
