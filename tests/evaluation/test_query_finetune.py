"""The query encoder fine-tuning experiment on the small real index."""
import numpy as np
import pytest

from evaluation.query_adapter import mine_pairs
from evaluation.query_finetune import finetune_query_encoder
from fundstelle.embeddings import e5_export_folder
from retrieval.search import HybridSearcher

pytestmark = pytest.mark.slow


def test_the_tuned_encoder_is_deterministic_and_brings_margin_notes_closer_to_their_rz(core_index_settings):
    index = HybridSearcher(core_index_settings).index
    folder = e5_export_folder(core_index_settings.models_dir)
    encode, info = finetune_query_encoder(index, folder, lr=2e-5, epochs=2)
    again, _ = finetune_query_encoder(index, folder, lr=2e-5, epochs=2)
    lexical = index.load_lexical()
    ids = list(lexical.ids)
    chunks = index.chunks(ids)
    stored = index.vectors(ids)
    ids = [c for c in ids if c in stored]
    headings = mine_pairs(((c, chunks[c]) for c in ids), index.load_norms(lexical), ("heading",))[:60]
    assert info["pairs"]["heading"] > 0 and info["epoch_losses"][-1] < info["epoch_losses"][0]
    tuned = encode([p.query for p in headings])
    assert np.allclose(tuned, again([p.query for p in headings]), atol=1e-5)
    assert np.allclose(np.linalg.norm(tuned, axis=1), 1.0, atol=1e-4)
    # The Rz. a margin note names ranks higher, on average, for the tuned encoder than for
    # the stored model's own question vectors.
    matrix = np.stack([stored[c] for c in ids])

    def rank(vector, target):
        return int((matrix @ vector > matrix[ids.index(target)] @ vector).sum())

    plain = [rank(np.asarray(index.embedder.embed_query(p.query), np.float32), p.positives[0]) for p in headings]
    after = [rank(v, p.positives[0]) for v, p in zip(tuned, headings)]
    assert np.mean(after) < np.mean(plain)
