"""The word bridge: corpus words for the words of questions in other languages."""
from __future__ import annotations

import pytest

from index.word_bridge import META_KEY, WordBridge, corpus_words, meta_value, question_words, read_meta


def test_corpus_words_are_the_words_written_at_least_twice_with_their_case():
    texts = ["Das Bürgergeld wird gezahlt. Bürgergeld-Gesetz", "Bürgergeld und Einkommen; das Bürgergeld-Gesetz",
             "Einkommen 2024 einmalig"]
    assert corpus_words(texts) == ["Bürgergeld", "Bürgergeld-Gesetz", "Einkommen"]


def test_question_words_are_taken_once_in_order():
    assert question_words("Does the Jobcenter count income, income from ETF shares?") == [
        "Does", "Jobcenter", "count", "income", "from", "shares"]


@pytest.mark.parametrize("stored", [None, "", "not json", '{"words": ["Einkommen"]}', '{"version": "v", "words": 3}'])
def test_a_missing_or_broken_stored_word_list_reads_as_none(stored):
    assert read_meta(stored) == ("", [])


def test_a_word_list_and_vectors_of_different_length_are_refused():
    import numpy as np

    with pytest.raises(ValueError, match="2 words but 1 vectors"):
        WordBridge(["Einkommen", "Wohnung"], np.zeros((1, 4)))


@pytest.mark.slow
def test_words_in_other_languages_find_their_german_corpus_words(real_embedder):
    words = ["Arbeitslosengeld", "Einkommen", "Kraftfahrzeug", "Wohnung", "Kinderbetreuung", "Krankenversicherung",
             "Schwangerschaft", "Umzug"]
    bridge = WordBridge(words, real_embedder.embed_passages(words))
    found = bridge.translate(["income", "car", "unemployment", "вагітність"], real_embedder, top=2, min_similarity=0.0)
    assert "Einkommen" in found["income"]
    assert "Kraftfahrzeug" in found["car"]
    assert "Arbeitslosengeld" in found["unemployment"]
    assert "Schwangerschaft" in found["вагітність"]


@pytest.mark.slow
def test_the_index_keeps_the_bridge_and_only_questions_in_other_languages_use_it(small_index_settings):
    from index.chunk_index import ChunkIndex
    from retrieval.search import HybridSearcher

    index = ChunkIndex(small_index_settings, create=False)
    version, words = read_meta(index.store.get_meta(META_KEY))
    assert version == index.store_version() and "Integrationsquote" in words
    searcher = HybridSearcher(small_index_settings, index=index)
    english = searcher.search("Which key figures measure how many job seekers were integrated into work?")
    assert english.bridged and all(w in words for found in english.bridged.values() for w in found)
    assert searcher.search("Welche Kennzahlen messen die Integration in Arbeit?").bridged == {}


@pytest.mark.slow
def test_search_does_without_the_bridge_until_every_word_has_its_vector(kennzahlen_index):
    # The query thread must never embed the corpus's words itself (a minute on one core).
    from retrieval.search import HybridSearcher

    settings, writer = kennzahlen_index
    version, words = read_meta(writer.store.get_meta(META_KEY))
    # A word list with one word the write path has not embedded yet (as while it is running).
    writer.store.set_meta(META_KEY, meta_value([*words, "Zuverdienstgrenze"], version))
    result = HybridSearcher(settings).search("Which key figures measure the integration into work?")
    assert result.bridged == {} and result.hits
    assert writer.embed_word_bridge() == 1
    assert HybridSearcher(settings).search("Which key figures measure the integration into work?").bridged


@pytest.mark.slow
def test_a_broken_stored_word_list_is_searched_without_and_rebuilt_by_the_write_path(tmp_path, corpus_dir,
                                                                                    real_embedder):
    from index.writer import IndexWriter
    from ingest.pipeline import run_ingest
    from retrieval.search import HybridSearcher
    from tests.conftest import make_settings

    settings = make_settings(tmp_path / "data")
    writer = IndexWriter(settings, embedder=real_embedder)
    assert not run_ingest([corpus_dir / "sgb2/verordnung_kennzahlen_48a/BJNR115200010.xml"], settings, index=writer,
                          progress=False).failures
    writer.store.set_meta(META_KEY, "{truncated")
    result = HybridSearcher(settings).search("Which key figures measure the integration into work?")
    assert result.bridged == {} and result.hits
    writer.embed_word_bridge()
    version, words = read_meta(writer.store.get_meta(META_KEY))
    assert version == writer.store_version() and "Integrationsquote" in words
    assert HybridSearcher(settings).search("Which key figures measure the integration into work?").bridged


def test_a_stop_asked_for_while_the_bridge_is_embedded_ends_the_run_without_a_failure(tmp_path, corpus_dir,
                                                                                       real_embedder, caplog):
    # The app's background embedder stops between two model calls when the app shuts down; if
    # that fell into the bridge step, the run logged "word bridge not built" with a traceback.
    from index.stopping import EmbeddingStopped
    from index.writer import IndexWriter
    from ingest.pipeline import run_ingest
    from tests.conftest import make_settings

    settings = make_settings(tmp_path / "data")
    assert not run_ingest([corpus_dir / "sgb2/verordnung_kennzahlen_48a/BJNR115200010.xml"], settings,
                          progress=False, embed=False).failures
    writer = IndexWriter(settings, embedder=real_embedder)

    def stop_in_the_bridge_step(done: int) -> None:
        version, _ = read_meta(writer.store.get_meta(META_KEY))
        if version == writer.store_version():   # the bridge's word list is written right before its calls
            raise EmbeddingStopped()

    with caplog.at_level("WARNING"), pytest.raises(EmbeddingStopped):
        writer.embed_pending(before_batch=stop_in_the_bridge_step)
    assert not [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]
    # Nothing was lost: the next run builds the bridge.
    writer.embed_pending()
    version, words = read_meta(writer.store.get_meta(META_KEY))
    assert version == writer.store_version() and words
