"""The corpus-trained query adapter experiment on the small real index."""
import numpy as np
import pytest

from evaluation.query_adapter import mine_pairs, train_for_index
from index.query_adapter import adapt
from retrieval.search import HybridSearcher

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def index(core_index_settings):
    return HybridSearcher(core_index_settings).index


@pytest.fixture(scope="module")
def pairs(index):
    lexical = index.load_lexical()
    ids = list(lexical.ids)
    chunks = index.chunks(ids)
    return mine_pairs(((cid, chunks[cid]) for cid in ids), index.load_norms(lexical),
                      ("heading", "explains", "definition", "title")), chunks


def test_pairs_come_from_the_structure_of_law_and_weisung(pairs):
    mined, chunks = pairs
    sources = {p.source for p in mined}
    assert sources == {"heading", "explains", "definition", "title"}
    definition = [p for p in mined if p.source == "definition" and p.query == "Bedarfsgemeinschaft"]
    assert definition and chunks[definition[0].positives[0]].label == "§ 7 Abs. 3 SGB II"
    explains = [p for p in mined if p.source == "explains"]
    # A Rz. of FW § 16 SGB II explains an Absatz of § 16 SGB II: the positives are law units.
    assert all(chunks[c].kind == "law" for p in explains for c in p.positives)
    assert any(chunks[p.positives[0]].label.startswith("§ 16") for p in explains)


def test_adapter_is_deterministic_stays_near_identity_and_learns_its_pairs(index):
    first, info = train_for_index(index, epochs=3)
    second, _ = train_for_index(index, epochs=3)
    assert np.array_equal(first, second)
    assert info["pairs"]["heading"] > 0
    assert np.linalg.norm(first - np.eye(first.shape[0])) < 0.5 * np.sqrt(first.shape[0])
    # The Rz. a margin note names ranks at least as high through the adapter as without it.
    lexical = index.load_lexical()
    ids = list(lexical.ids)
    chunks = index.chunks(ids)
    stored = index.vectors(ids)
    ids = [c for c in ids if c in stored]
    matrix = np.stack([stored[c] for c in ids])
    headings = [p for p in mine_pairs(((c, chunks[c]) for c in ids), index.load_norms(lexical), ("heading",))][:60]
    def rank(vector, target):
        return int((matrix @ vector > matrix[ids.index(target)] @ vector).sum())
    plain = [rank(np.asarray(index.embedder.embed_query(p.query), np.float32), p.positives[0]) for p in headings]
    adapted = [rank(adapt(first, index.embedder.embed_query(p.query)), p.positives[0]) for p in headings]
    assert np.mean(adapted) <= np.mean(plain)
