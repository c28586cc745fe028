"""The fine-tuned query encoder: its stored form, the NumPy engine over its layers, and the write
path that trains it (real e5 model, real index)."""
import numpy as np
import pytest

from index.query_encoder import (LAYER_PREFIX, LAYERS, RECIPE, TUNED_WEIGHT, StoredQueryEncoder, mixed_vector,
                                 named_passages, pack_layers, unpack_layers)


def test_stored_layers_read_back_as_float32_within_float16_precision():
    rng = np.random.default_rng(0)
    layers = {"encoder.layer.0.output.dense.bias": rng.normal(size=384).astype(np.float32),
              "encoder.layer.1.attention.self.query.weight": rng.normal(size=(8, 8)).astype(np.float32)}
    back = unpack_layers(pack_layers(layers))
    assert set(back) == set(layers)
    for name, tensor in layers.items():
        assert back[name].dtype == np.float32 and back[name].shape == tensor.shape
        assert np.allclose(back[name], tensor, rtol=1e-3, atol=1e-3)


def test_the_stored_encoder_says_what_it_was_trained_from():
    layers = {"encoder.layer.0.output.dense.bias": np.ones(4, dtype=np.float32)}
    stored = StoredQueryEncoder("v1", "model-a", "sha", 321, layers)
    meta_only = StoredQueryEncoder.from_meta(stored.meta())
    assert meta_only.fits("v1", "model-a", "sha") and not meta_only.fits("v2", "model-a")
    assert not meta_only.fits("v1", "model-b") and not meta_only.fits("v1", "model-a", "other")
    older = StoredQueryEncoder.from_meta(StoredQueryEncoder("v1", "model-a", "sha", 321, layers, "seeds=1").meta())
    assert older.recipe == "seeds=1" and not older.fits("v1", "model-a", "sha")   # another recipe: train again
    assert meta_only.layers == {} and meta_only.describe()["questions"] == 321
    assert meta_only.describe()["kind"] == "query encoder"
    full = StoredQueryEncoder.from_meta(stored.meta(), pack_layers(layers))
    assert np.array_equal(full.layers["encoder.layer.0.output.dense.bias"], layers["encoder.layer.0.output.dense.bias"])


def test_the_loss_runs_over_the_units_the_questions_name_only():
    # Rows 1 and 3 are passages of units no training question names (an evaluation unit, a
    # user's new document): they are no negatives, so the encoder is not taught to avoid them.
    passages = np.arange(10, dtype=np.float32).reshape(5, 2)
    rows, positives = named_passages(passages, [[4], [0, 2], [2]])
    assert rows.tolist() == [[0.0, 1.0], [4.0, 5.0], [8.0, 9.0]]
    assert positives == [[2], [0, 1], [1]]
    assert [rows[i].tolist() for i in positives[0]] == [passages[4].tolist()]
    assert "negatives=named-units" in RECIPE   # an encoder trained the old way is trained again


@pytest.mark.parametrize("value", [None, "", "not json", '{"version": "v1"}'])
def test_a_missing_or_broken_stored_encoder_reads_as_none(value):
    assert StoredQueryEncoder.from_meta(value) is None


def test_the_mixed_vector_is_normalised_and_is_the_question_itself_when_both_agree():
    plain = np.array([3.0, 4.0, 0.0], dtype=np.float32)
    assert np.allclose(mixed_vector(plain, plain * 2), plain / 5)
    mixed = mixed_vector(plain, np.array([0.0, 0.0, 1.0], dtype=np.float32))
    assert np.isclose(np.linalg.norm(mixed), 1.0) and mixed[2] > 0 and mixed[0] > 0
    # The tuned vector weighs TUNED_WEIGHT times the plain one; the plain one keeps a say.
    assert np.isclose(mixed[2] / np.linalg.norm(mixed[:2]), TUNED_WEIGHT)
    assert np.allclose(mixed_vector(plain, np.array([0.0, 0.0, 1.0]), weight=1.0), [0.6 / 2 ** 0.5, 0.8 / 2 ** 0.5,
                                                                                     1 / 2 ** 0.5])


@pytest.mark.parametrize("layers", ["bm90IGEgemlw", "%%%", "UEsDBAo="])
def test_stored_layers_that_are_broken_read_as_no_encoder(layers):
    meta = StoredQueryEncoder("v1", "model-a", "sha", 3).meta()
    assert StoredQueryEncoder.from_meta(meta, layers) is None
    assert StoredQueryEncoder.from_meta(meta) is not None   # the meta alone is still readable


@pytest.mark.slow
def test_replacement_layers_that_do_not_fit_the_model_are_refused_naming_the_tensor():
    from fundstelle.e5_numpy import NumpyE5Embedder
    from fundstelle.embeddings import e5_export_folder
    from fundstelle.settings import Settings

    name = "encoder.layer.0.output.dense.bias"
    with pytest.raises(ValueError, match=name):
        NumpyE5Embedder.with_layers(e5_export_folder(Settings().models_dir), {name: np.zeros(7, dtype=np.float32)})


def _stats_output(settings) -> str:
    """What ``python -m ingest stats`` prints for the index of ``settings``."""
    import subprocess
    import sys

    from fundstelle.settings import REPO_ROOT
    from tests.conftest import settings_env

    done = subprocess.run([sys.executable, "-m", "ingest", "stats"], cwd=REPO_ROOT, env=settings_env(settings),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return " ".join(done.stdout.split())


@pytest.mark.slow
def test_the_write_path_trains_the_encoder_once_and_its_questions_then_land_nearer_their_units(
        kennzahlen_index, real_embedder, tmp_path):
    from fundstelle.embeddings import load_tuned_query_engine
    from index.query_adapter import MIN_QUESTIONS, load_questions
    from index.writer import IndexWriter
    from tests.index.test_query_adapter import _questions_of

    settings, _ = kennzahlen_index
    path = tmp_path / "questions.jsonl"
    writer = IndexWriter(settings.model_copy(update={"query_adapter_questions": path}), embedder=real_embedder)
    _questions_of(writer, path, MIN_QUESTIONS + 10)
    assert writer.fit_query_adapter() == MIN_QUESTIONS + 10
    assert writer.query_adapter()["kind"] == "query encoder"
    # Unchanged store, model and questions: nothing to do.
    assert writer.fit_query_adapter() == 0
    assert writer.embed_pending().adapter_questions == 0
    # Its training questions are stored as neighbours for it, once.
    from index.query_encoder import META_KEY as ENCODER_META_KEY
    from index.question_bank import META_KEY as BANK_META_KEY
    from index.question_bank import QuestionBank

    bank = QuestionBank.from_meta(writer.store.get_meta(BANK_META_KEY))
    assert bank is not None and len(bank.norms) == MIN_QUESTIONS + 10
    assert bank.fits(writer.store.get_meta(ENCODER_META_KEY))
    assert writer.build_question_bank() == 0
    # ``ingest stats`` and snapshot manifests name it with the encoder.
    assert writer.question_bank().norms == bank.norms
    assert writer.query_adapter()["question_bank"]["questions"] == MIN_QUESTIONS + 10
    assert "Training questions as neighbours: " + f"{MIN_QUESTIONS + 10} questions" in _stats_output(settings)
    # An index whose encoder was trained before banks existed says so, and the next run stores one.
    stored_bank = writer.store.get_meta(BANK_META_KEY)
    writer.store.set_meta(BANK_META_KEY, "")
    assert writer.question_bank() is None and writer.query_adapter()["question_bank"] is None
    assert "Training questions as neighbours: none yet (the next ingest run stores them)" in _stats_output(settings)
    writer.store.set_meta(BANK_META_KEY, stored_bank)
    assert writer.question_bank().norms == bank.norms

    stored = writer.query_encoder(with_layers=True)
    # Only the top layers are trained and stored (the lower ones stay the export's, shared).
    assert stored is not None and all(name.startswith(LAYER_PREFIX) for name in stored.layers)
    assert {int(name.split(".")[2]) for name in stored.layers} == set(range(12 - LAYERS, 12))
    tuned = load_tuned_query_engine(settings.models_dir, stored.layers)
    ids = writer.store.ids()
    vectors = writer.vectors(ids)
    labels = {cid: meta.get("label", "") for cid, meta in writer.store.iter_metadata()}
    passages = np.stack([vectors[cid] for cid in ids])

    def mean_reciprocal_rank(embed) -> float:
        total = 0.0
        questions = load_questions(path)
        for question in questions:
            order = np.argsort(-(passages @ embed(question.question)))
            rank = next(r for r, row in enumerate(order, start=1) if labels[ids[row]] == question.locator)
            total += 1 / rank
        return total / len(questions)

    assert mean_reciprocal_rank(tuned.embed_query) > mean_reciprocal_rank(real_embedder.embed_query) + 0.05


@pytest.mark.slow
def test_a_stop_request_during_training_stops_it_and_stores_nothing(kennzahlen_index, real_embedder, tmp_path):
    from index.query_adapter import MIN_QUESTIONS
    from index.stopping import EmbeddingStopped
    from index.writer import IndexWriter
    from tests.index.test_query_adapter import _questions_of

    settings, _ = kennzahlen_index
    path = tmp_path / "questions.jsonl"
    writer = IndexWriter(settings.model_copy(update={"query_adapter_questions": path}), embedder=real_embedder)
    _questions_of(writer, path, MIN_QUESTIONS + 3)
    calls = []

    def stop_on_the_third_call():
        calls.append(1)
        if len(calls) == 3:   # inside the training (the first call comes before it starts)
            raise EmbeddingStopped()

    with pytest.raises(EmbeddingStopped):
        writer.fit_query_adapter(before_call=stop_on_the_third_call)
    assert writer.query_encoder() is None or writer.query_encoder().questions != MIN_QUESTIONS + 3
