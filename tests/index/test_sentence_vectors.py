"""Sentence vectors: computed once by the write path, looked up at question time.

Real Chroma, the real embedding model, real corpus files (a Landtag answer and a Verordnung)."""
from __future__ import annotations

import shutil

import pytest

from fundstelle.sentences import split_sentences
from index.chunk_index import ChunkIndex
from index.sentence_vectors import comparison_texts
from index.writer import IndexWriter
from ingest.pipeline import run_ingest
from retrieval.assistant import Assistant
from tests.conftest import SMALL_FILES, CountingEmbedder, make_settings

pytestmark = pytest.mark.slow

LANDTAG = "landtag/NRW_18_KA_5591_Antwort_Arbeitsmarkt-Integration.txt"
QUESTIONS = [
    "Welche Ziele hat die NRW-Initiative zur Arbeitsmarktintegration gesetzt?",
    "Welche Kennzahlen werden nach § 48a SGB II verglichen?",
]


def test_every_chunk_of_a_built_index_has_its_sentence_vectors(small_index_settings):
    index = ChunkIndex(small_index_settings)
    done, total = index.sentence_progress()
    assert total > 0 and done == total


@pytest.mark.parametrize("question", QUESTIONS)
def test_an_answer_embeds_the_question_and_nothing_else(small_index_settings, real_embedder, question):
    counting = CountingEmbedder(real_embedder)
    assistant = Assistant(small_index_settings, index=ChunkIndex(small_index_settings, embedder=counting))
    answer = assistant.ask(question)
    assert answer.citations, answer.text          # a real answer: sentences were scored and verified
    assert counting.passages == []
    assert counting.queries == [question]


def test_a_changed_chunk_gets_new_sentence_vectors_and_unchanged_ones_none(tmp_path, corpus_dir, real_embedder):
    source = tmp_path / "corpus" / "landtag" / "answer.txt"
    source.parent.mkdir(parents=True)
    shutil.copy(corpus_dir / LANDTAG, source)
    settings = make_settings(tmp_path / "data", embedding_cache=False)
    counting = CountingEmbedder(real_embedder)
    run_ingest([source], settings, index=IndexWriter(settings, embedder=counting), progress=False)
    before = ChunkIndex(settings, embedder=counting)
    old_chunks = before.chunks(before.store.ids())
    # One word of one answer changes; every other chunk keeps its text.
    text = source.read_text(encoding="utf-8")
    target = next(c for c in old_chunks.values() if c.locator.get("frage") and c.text.count(".") > 2)
    start, end = split_sentences(target.text)[-1]
    word = next(w for w in target.text[start:end].split() if w.isalpha() and len(w) > 6 and text.count(w) == 1)
    source.write_text(text.replace(word, word + "sänderung"), encoding="utf-8")

    counting.reset()
    run_ingest([source], settings, index=IndexWriter(settings, embedder=counting), progress=False)
    after = ChunkIndex(settings, embedder=counting)
    new_ids = set(after.store.ids()) - set(old_chunks)
    assert len(new_ids) == 1
    new_chunk = after.chunks(list(new_ids))[next(iter(new_ids))]
    changed = next(new_chunk.text[s:e] for s, e in split_sentences(new_chunk.text)
                   if word + "sänderung" in new_chunk.text[s:e])
    # The changed sentence (and the new chunk's own vector) were embedded; no sentence of an
    # unchanged chunk, and no sentence the changed chunk shares with its old version.
    unchanged_texts = {t for cid, c in old_chunks.items() if cid != target.id for t in comparison_texts(c)[0]}
    assert changed in counting.passages
    assert not unchanged_texts & set(counting.passages)
    assert not set(comparison_texts(target)[0]) & set(counting.passages) - {changed}
    assert counting.queries == []      # the Landtag question part did not change
    done, total = after.sentence_progress()
    assert done == total


class _Stop(Exception):
    pass


def test_a_stopped_run_resumes_the_sentence_vectors_without_embedding_any_twice(tmp_path, corpus_dir, real_embedder):
    settings = make_settings(tmp_path / "data", embedding_cache=False)
    run_ingest([corpus_dir / f for f in SMALL_FILES], settings, progress=False, embed=False)
    counting = CountingEmbedder(real_embedder)
    counting.call_size = 16          # several model calls, so the run can stop between two

    calls = []

    def stop_after_the_first_sentences(done: int) -> None:
        calls.append(done)     # before: the norm profiles, a chunk call, its sentences, the next chunk call
        if len(calls) == 4:
            raise _Stop()

    writer = IndexWriter(settings, embedder=counting)
    with pytest.raises(_Stop):
        writer.embed_pending(before_batch=stop_after_the_first_sentences)
    partial, total = writer.sentence_progress()
    assert 0 < partial < total
    first_run = set(counting.passages)
    counting.reset()
    IndexWriter(settings, embedder=counting).embed_pending()
    assert writer.sentence_progress() == (total, total)
    assert counting.passages and not first_run & set(counting.passages)


def test_the_norm_profiles_have_their_vectors_before_the_first_chunk_has_one(tmp_path, corpus_dir, real_embedder):
    # Once one chunk has a vector, questions take the dense side and its norm route compares
    # the question with every norm profile: they must not be left for the answering process.
    settings = make_settings(tmp_path / "data", embedding_cache=False)
    run_ingest([corpus_dir / f for f in SMALL_FILES], settings, progress=False, embed=False)
    writer = IndexWriter(settings, embedder=CountingEmbedder(real_embedder))
    profiles = ChunkIndex(settings, embedder=real_embedder, check_model=False)
    profile_texts = profiles.load_norms(profiles.load_lexical()).profile_texts()
    assert profile_texts
    stored_at_first_chunk = []

    def first_chunks(done: int, total: int, doc_id: str) -> None:
        if not stored_at_first_chunk:
            found = writer.sentence_vectors.get(writer.model_identity[0], "p", profile_texts)
            stored_at_first_chunk.append(len(found))

    writer.embed_pending(on_progress=first_chunks)
    assert stored_at_first_chunk == [len(set(profile_texts))]
