"""Units embedded a second time with their context field, mixed into the dense vector."""
from __future__ import annotations

import sqlite3
from dataclasses import replace

import numpy as np
import pytest

pytestmark = pytest.mark.slow

QUESTION = "Welche Kennzahlen messen die Integration in Arbeit?"


def _contextual(writer) -> dict[str, str]:
    from index.chunk_index import contextual_texts
    from index.norm_index import NormIndex

    norms = NormIndex.load(writer.settings.norm_index_path)
    return contextual_texts(norms, writer.store.get_chunks(norms.ids))


def test_every_unit_gets_its_contextual_vector_once(kennzahlen_index):
    from index.sentence_vectors import PASSAGE

    _, writer = kennzahlen_index
    texts = _contextual(writer)
    assert texts and all("\n" in text for text in texts.values())
    stored = writer.sentence_vectors.get(writer.model_identity[0], PASSAGE, list(texts.values()))
    assert len(stored) == len(set(texts.values()))
    assert writer.embed_unit_contexts() == 0    # unchanged units and contexts are not embedded again


def test_the_dense_cosine_is_that_of_the_normalised_mix_once_every_unit_has_one(kennzahlen_index):
    from index.sentence_vectors import PASSAGE, text_key
    from retrieval.search import HybridSearcher

    settings, writer = kennzahlen_index
    texts = _contextual(writer)
    model = writer.model_identity[0]
    contextual = writer.sentence_vectors.get(model, PASSAGE, list(texts.values()))
    searcher = HybridSearcher(settings)
    question = searcher.index.query_embedder.embed_query(QUESTION)
    mixed = searcher.search(QUESTION, k=3, query_vector=question)
    plain = searcher.search(QUESTION, k=3, query_vector=question,
                            weights=replace(searcher.weights, context_vector=0.0))
    hit = mixed.hits[0]
    stored = searcher.index.vectors([hit.chunk_id])[hit.chunk_id]
    expected = 0.5 * stored + 0.5 * contextual[texts[hit.chunk_id]]
    expected /= np.linalg.norm(expected)
    assert hit.dense_similarity == pytest.approx(float(expected @ question), abs=1e-5)
    assert hit.dense_similarity != pytest.approx(float(stored @ question), abs=1e-4)
    first = plain.hits[0]
    assert first.dense_similarity == pytest.approx(
        float(searcher.index.vectors([first.chunk_id])[first.chunk_id] @ question), abs=1e-5)

    # One unit without its contextual vector (as while the write path is still at it): the
    # search uses the plain vectors and never embeds the missing one itself.
    with sqlite3.connect(settings.chunk_store_path) as db:
        db.execute("DELETE FROM sentence_vectors WHERE model=? AND side=? AND key=?",
                   (model, PASSAGE, text_key(texts[hit.chunk_id])))
    fresh = HybridSearcher(settings).search(QUESTION, k=3, query_vector=question)
    again = next(h for h in fresh.hits if h.chunk_id == hit.chunk_id)
    assert again.dense_similarity == pytest.approx(float(stored @ question), abs=1e-5)
    assert writer.embed_unit_contexts() == 1
