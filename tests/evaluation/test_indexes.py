"""Evaluation indexes: own data folders, shared embedding cache, no work when nothing changed."""
from __future__ import annotations

import pytest

from evaluation.indexes import EvaluationError, corpus_index, paragraph_index, paragraph_of
from evaluation.squad import load_squad
from fundstelle.settings import REPO_ROOT
from index.chunk_index import ChunkIndex
from index.writer import IndexWriter
from tests.conftest import make_settings

FIXTURES = REPO_ROOT / "tests" / "fixtures"


def test_corpus_index_second_run_embeds_nothing(tmp_path):
    settings = make_settings(tmp_path / "data")
    target, first = corpus_index(settings, FIXTURES / "eval_corpus", progress=False)
    again, second = corpus_index(settings, FIXTURES / "eval_corpus", progress=False)
    assert again.data == target.data
    assert first.added == first.total_chunks > 0
    assert (second.added, second.unchanged) == (0, first.total_chunks)


def test_corpus_index_shares_the_main_embedding_cache(tmp_path):
    settings = make_settings(tmp_path / "data")
    target, _ = corpus_index(settings, FIXTURES / "eval_corpus", progress=False)
    assert target.data.parent == settings.data / "eval-index"
    assert (target.data / "embedding-cache.sqlite").resolve() == (settings.data / "embedding-cache.sqlite").resolve()
    assert target.corpus == (FIXTURES / "eval_corpus").resolve()


def test_missing_corpus_folder_is_refused(tmp_path):
    with pytest.raises(EvaluationError, match="does not exist"):
        corpus_index(make_settings(tmp_path / "data"), tmp_path / "nope", progress=False)


def test_each_paragraph_is_one_document_labelled_with_its_title(tmp_path):
    squad = load_squad(FIXTURES / "squad_v1.json")
    target = paragraph_index(make_settings(tmp_path / "data"), squad.paragraphs, progress=False)
    states = IndexWriter(target).document_states()
    assert sorted(paragraph_of(doc_id) for doc_id in states) == sorted(squad.paragraphs)
    dom_pid = squad.questions[0].pid
    dom = next(text for _, text, meta in ChunkIndex(target).iter_records() if meta["doc_id"] == f"paragraph:{dom_pid}")
    assert dom.startswith("Der Kölner Dom ist eine römisch-katholische Kirche in Köln.")


def test_paragraph_labels_carry_the_article_title(tmp_path):
    squad = load_squad(FIXTURES / "squad_v1.json")
    target = paragraph_index(make_settings(tmp_path / "data"), squad.paragraphs, progress=False)
    labels = sorted(meta["label"] for _, _, meta in ChunkIndex(target).iter_records(include=("metadatas",)))
    assert labels == ["Kölner Dom, Abschnitt 1", "Rhein, Abschnitt 1"]


def test_paragraph_of_other_documents_is_empty():
    assert paragraph_of("local:merkblatt.md") == ""
    assert paragraph_of("paragraph:abc123") == "abc123"
