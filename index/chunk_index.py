"""The chunk index, read side: what retrieval asks of the index.

A ``ChunkIndex`` opens the chunk store, the Chroma collection (embedded or server) and the
lexical index beside them, and answers: chunks by id, metadata of every chunk, the lexical
index, the nearest embedded chunks to a query vector, how much of the store is embedded,
and the content version. The write path (``index.writer.IndexWriter``) extends it.
"""
from __future__ import annotations

import logging
import sys
import threading
from contextlib import contextmanager
from typing import Any, Iterator, Sequence

import numpy as np

from fundstelle.embeddings import (CachedEmbedder, Embedder, embedder_identity, load_embedder_for,
                                   load_query_embedder_for, query_engine_spec, spec_for_model)
from fundstelle.sentences import split_sentences, table_rows
from fundstelle.settings import Settings
from index import lemmas, thesaurus
from index.chunk import Chunk
from index.lexical import LexicalIndex
from index.norm_index import NormIndex
from index.query_adapter import META_KEY as ADAPTER_META_KEY
from index.query_adapter import StoredAdapter
from index.query_encoder import LAYERS_KEY as ENCODER_LAYERS_KEY
from index.query_encoder import META_KEY as ENCODER_META_KEY
from index.query_encoder import StoredQueryEncoder
from index.question_bank import META_KEY as BANK_META_KEY
from index.question_bank import QuestionBank
from index.sentence_vectors import SentenceVectors, StoredVectorEmbedder
from index.store import ChunkStore

log = logging.getLogger(__name__)


class IndexError_(RuntimeError):
    """Base for index problems users must act on (message is one clear line)."""


class EmbeddingMismatchError(IndexError_):
    """The collection was built with another embedding model or dimension."""


class ChromaUnavailableError(IndexError_):
    """The Chroma server cannot be reached or the index folder cannot be opened."""


_MARKING = threading.Lock()   # two threads opening Chroma at once must not swap the originals


@contextmanager
def _marking_overrides() -> Iterator[None]:
    """While chromadb's modules load, its ``@override`` decorators only mark the method (what
    the real decorator does first) instead of also checking its signature against the base
    class: a lint of chromadb's own code that costs about a second of the two its import
    takes on two cores, and cannot change what the code does. Restored afterwards."""
    import overrides

    def mark(method=None, **_options):
        def apply(function):
            setattr(function, "__override__", True)
            return function

        return apply if method is None else apply(method)

    with _MARKING:
        if "chromadb.api.client" in sys.modules:   # already loaded: nothing to skip
            yield
            return
        originals = overrides.override, overrides.overrides
        overrides.override = overrides.overrides = mark
        try:
            yield
        finally:
            overrides.override, overrides.overrides = originals


def make_chroma_client(settings: Settings):
    with _marking_overrides():
        import chromadb
        import chromadb.api.rust  # noqa: F401 - what the first client loads, under the same rule
        from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    try:
        if settings.uses_chroma_server:
            headers = {"x-chroma-token": settings.chroma_token} if settings.chroma_token else None
            client = chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, ssl=settings.chroma_ssl,
                                         headers=headers, settings=chroma_settings)
            client.heartbeat()
            return client
        settings.chroma_path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)
    except Exception as exc:
        where = (f"Chroma server at {settings.chroma_host}:{settings.chroma_port}" if settings.uses_chroma_server
                 else f"Chroma folder {settings.chroma_path}")
        raise ChromaUnavailableError(f"{where} is not available ({type(exc).__name__}: {str(exc)[:160]})") from exc


class ChunkIndex:
    """Open the index of ``settings.collection`` for reading.

    ``store`` and ``collection`` are open for the write path and snapshots; readers use the
    methods below."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, *, create: bool = False,
                 check_model: bool = True) -> None:
        self.settings = settings
        # The lemma and synonym tables live under the configured models folder.
        lemmas.use_models_dir(settings.models_dir)
        thesaurus.use_models_dir(settings.models_dir)
        self.client = make_chroma_client(settings)
        self._embedder = embedder
        self._query_embedder: Embedder | None = embedder
        self._embedder_spec = settings.embedding
        if create:
            self.collection = self.client.get_or_create_collection(
                settings.collection, embedding_function=None, configuration={"hnsw": {"space": "cosine"}},
                metadata={"embedding_model": self.model_identity[0], "embedding_dim": self.model_identity[1],
                          "created_by": "fundstelle"})
        else:
            try:
                self.collection = self.client.get_collection(settings.collection, embedding_function=None)
            except Exception as exc:
                raise IndexError_(f"no index '{settings.collection}' yet: run `python -m ingest` first") from exc
        if check_model:
            self._check_model()
        self.store = ChunkStore(settings.chunk_store_path)
        self._sentence_vectors: SentenceVectors | None = None
        if not create or self.store.count() == 0:
            self._fill_store_from_collection()

    def refresh_from_collection(self) -> None:
        """Replace the local chunk store and BM25 index by the collection's content (another
        machine ingested into the shared Chroma server)."""
        self.store.clear()
        self._fill_store_from_collection()
        self._rebuild_lexical()

    def _fill_store_from_collection(self) -> None:
        """A machine that shares a Chroma server (or got an index folder from elsewhere) has no
        local chunk store yet: fill it from the collection's records once."""
        if self.store.count() or not self.collection.count():
            return
        log.info("filling the local chunk store from collection '%s'", self.settings.collection)
        self.store.put_records(self.iter_records(include=("documents", "metadatas")))

    # -- embedding model -------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            inner = load_embedder_for(self.settings)
            if self.settings.embedding_cache:
                inner = CachedEmbedder(inner, self.settings.data / "embedding-cache.sqlite")
            self._embedder = inner
        return self._embedder

    @property
    def query_embedder(self) -> Embedder:
        """The engine that embeds questions, one short text at a time: for the default model the
        same weights run with NumPy (``Settings.query_engine``), so a process that only answers
        never imports torch. An embedder given to the constructor serves both sides."""
        if self._query_embedder is None:
            if query_engine_spec(self.settings.embedding, self.settings.query_engine) == self.settings.embedding:
                self._query_embedder = self.embedder
            else:
                inner = load_query_embedder_for(self.settings)
                if inner.name != self.model_identity[0]:   # one index serves both engines
                    raise EmbeddingMismatchError(f"query engine '{inner.name}' differs from the index model "
                                                 f"'{self.model_identity[0]}'")
                if self.settings.embedding_cache:
                    inner = CachedEmbedder(inner, self.settings.data / "embedding-cache.sqlite")
                self._query_embedder = inner
        return self._query_embedder

    @property
    def model_identity(self) -> tuple[str, int]:
        """(name, dimension) of the configured model; known packaged models are not loaded for
        it, so reading documents into the store (``--no-embed``) starts without the model."""
        if self._embedder is None:
            known = embedder_identity(self.settings.embedding)
            if known:
                return known
        return self.embedder.name, self.embedder.dim

    @property
    def model_name(self) -> str:
        return str((self.collection.metadata or {}).get("embedding_model", ""))

    @property
    def model_dim(self) -> int:
        return int((self.collection.metadata or {}).get("embedding_dim", 0))

    def _check_model(self) -> None:
        meta = self.collection.metadata or {}
        built_with, dim = meta.get("embedding_model"), meta.get("embedding_dim")
        if built_with is None:
            return
        name, current_dim = self.model_identity
        if built_with != name or int(dim) != current_dim:
            raise EmbeddingMismatchError(
                f"index '{self.settings.collection}' was built with embedding model '{built_with}' (dim {dim}), "
                f"but '{name}' (dim {current_dim}) is configured: re-index with "
                f"`python -m ingest --reindex`, or set FUNDSTELLE_EMBEDDING={spec_for_model(str(built_with))} "
                "to use the index as it is")

    # -- reading ---------------------------------------------------------------------
    def count(self) -> int:
        return self.collection.count()

    def iter_records(self, include: Sequence[str] = ("documents", "metadatas"), where: dict | None = None,
                     page: int = 2000) -> Iterator[tuple[str, str | None, dict[str, Any]]]:
        offset = 0
        while True:
            batch = self.collection.get(include=list(include), where=where, limit=page, offset=offset)
            ids = batch["ids"]
            if not ids:
                return
            docs = batch.get("documents") or [None] * len(ids)
            metas = batch.get("metadatas") or [{}] * len(ids)
            yield from zip(ids, docs, metas)
            if len(ids) < page:
                return
            offset += page

    def chunks(self, ids: Sequence[str]) -> dict[str, Chunk]:
        """The chunks of ``ids`` that the store holds (embedded or not)."""
        return self.store.get_chunks(ids)

    def iter_metadata(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(chunk id, flat metadata) of every chunk in the store, without the texts."""
        return self.store.iter_metadata()

    def graph_size(self) -> dict[str, int]:
        """Edges of the reference graph by kind ("explains", "cites", "empowered_by")."""
        sizes: dict[str, int] = {}
        for edge in self.store.edges():
            sizes[edge.kind] = sizes.get(edge.kind, 0) + 1
        return sizes

    def query_dense(self, vector: np.ndarray, n: int, where: dict | None = None) -> list[tuple[str, float]]:
        """The ``n`` embedded chunks nearest to ``vector`` (cosine similarity), best first."""
        result = self.collection.query(query_embeddings=[np.asarray(vector, dtype=np.float32)], n_results=n,
                                       where=where, include=["distances"])
        return [(cid, 1.0 - float(d)) for cid, d in zip(result["ids"][0], result["distances"][0])]

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored embeddings of those ``ids`` that have one (no model call)."""
        if not ids:
            return {}
        got = self.collection.get(ids=list(ids), include=["embeddings"])
        vectors = got.get("embeddings")
        if vectors is None:
            return {}
        return {cid: np.asarray(v, dtype=np.float32) for cid, v in zip(got["ids"], vectors)}

    def embedded(self, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` have an embedding in the collection."""
        if not ids:
            return set()
        return set(self.collection.get(ids=list(ids), include=[])["ids"])

    def dense_progress(self) -> tuple[int, int]:
        """(chunks with an embedding in the collection, chunks in the store)."""
        return self.collection.count(), self.store.count()

    # -- sentence vectors ------------------------------------------------------------
    @property
    def sentence_vectors(self) -> SentenceVectors:
        """The sentence vectors kept beside the chunks (``index.sentence_vectors``)."""
        if self._sentence_vectors is None:
            self._sentence_vectors = SentenceVectors(self.settings.chunk_store_path)
        return self._sentence_vectors

    def sentence_progress(self) -> tuple[int, int]:
        """(chunks whose sentence vectors are stored, chunks in the store)."""
        return self.sentence_vectors.progress(self.model_identity[0])

    def comparison_embedder(self) -> StoredVectorEmbedder:
        """What answers compare questions with sentences through: the stored sentence vectors,
        the model only for texts that have none."""
        return StoredVectorEmbedder(self.query_embedder, self.sentence_vectors, self.model_identity[0])

    # -- lexical side ----------------------------------------------------------------
    def _rebuild_lexical(self) -> LexicalIndex:
        """BM25 over every chunk in the store (embedded or not), saved beside the collection."""
        lexical = lexical_from_store(self.store)
        lexical.save(self.settings.lexical_path)
        norms_from_store(self.store, lexical).save(self.settings.norm_index_path)
        self.store.set_meta("content_version", lexical.version)
        self._stamp_version(lexical.version)
        return lexical

    def content_version(self) -> str:
        """Hash of the chunk ids in the collection (equal to the store's once all are embedded)."""
        return LexicalIndex.content_version(cid for cid, _, _ in self.iter_records(include=()))

    def store_version(self) -> str:
        """Hash of the chunk ids in the store."""
        return LexicalIndex.content_version(self.store.ids())

    def query_encoder(self, with_layers: bool = False) -> StoredQueryEncoder | None:
        """The stored fine-tuned query encoder (``index.query_encoder``) when it was trained on the
        store's current content with the configured model (its layers read only ``with_layers``)."""
        meta = self.store.get_meta(ENCODER_META_KEY)
        stored = StoredQueryEncoder.from_meta(meta)
        if stored is None or not stored.fits(self.store_version(), self.model_identity[0]):
            return None
        # The layers (tens of MB) are read only when asked for and only for an encoder that fits.
        return StoredQueryEncoder.from_meta(meta, self.store.get_meta(ENCODER_LAYERS_KEY)) if with_layers else stored

    def question_bank(self) -> QuestionBank | None:
        """The stored training questions as neighbours (``index.question_bank``) when they belong
        to the stored query encoder that fits the store; else None."""
        return self._stored_bank() if self.query_encoder() is not None else None

    def _stored_bank(self) -> QuestionBank | None:
        """The stored bank when it belongs to the stored encoder (whether that fits is the caller's)."""
        bank = QuestionBank.from_meta(self.store.get_meta(BANK_META_KEY))
        return bank if bank is not None and bank.fits(self.store.get_meta(ENCODER_META_KEY)) else None

    def query_adapter(self) -> dict | None:
        """What the question side's stored adaptation to the corpus was fitted from (the
        fine-tuned query encoder, else the linear query adapter, ``index.query_adapter``), when it
        was fitted on the store's current content with the configured model; else None."""
        encoder = self.query_encoder()
        if encoder is not None:
            bank = self._stored_bank()
            # The bank is built after the encoder; until the next ingest run an index may lack it.
            return {**encoder.describe(), "question_bank": bank.describe() if bank is not None else None}
        stored = StoredAdapter.from_meta(self.store.get_meta(ADAPTER_META_KEY))
        if stored is None or not stored.fits(self.store_version(), self.model_identity[0]):
            return None
        return stored.describe()

    def local_version(self) -> str | None:
        """The content version of the last lexical rebuild on this machine."""
        return self.store.get_meta("content_version")

    def _stamp_version(self, version: str) -> None:
        """Record the content version on the collection, so every process sharing it (app
        workers on a Chroma server) can tell with one call whether its BM25 copy is current."""
        metadata = {k: v for k, v in (self.collection.metadata or {}).items() if not k.startswith("hnsw:")}
        if metadata.get("content_version") != version:
            metadata["content_version"] = version
            self.collection.modify(metadata=metadata)

    def stamped_version(self) -> str | None:
        """The content version recorded by the last ingest (fresh from the server)."""
        try:
            fresh = self.client.get_collection(self.settings.collection, embedding_function=None)
        except Exception:
            return None
        return (fresh.metadata or {}).get("content_version")

    def load_lexical(self, *, rebuild_if_stale: bool = True) -> LexicalIndex:
        """The lexical index matching the collection's current content."""
        lexical = LexicalIndex.load(self.settings.lexical_path)
        if lexical is not None and lexical.version == self.store_version():
            return lexical
        if not rebuild_if_stale:
            raise IndexError_("lexical index is missing or out of date: run `python -m ingest`")
        log.info("lexical index missing or stale; rebuilding from the chunk store")
        return self._rebuild_lexical()


    def load_norms(self, lexical: LexicalIndex) -> NormIndex:
        """The norm index matching ``lexical`` (rebuilt from the chunk store when missing or stale)."""
        norms = NormIndex.load(self.settings.norm_index_path)
        if norms is not None and norms.version == lexical.version:
            return norms
        log.info("norm index missing or stale; rebuilding from the chunk store")
        norms = norms_from_store(self.store, lexical)
        norms.save(self.settings.norm_index_path)
        return norms


def norms_from_store(store: ChunkStore, lexical: LexicalIndex) -> NormIndex:
    """Norm profiles, unit context and the reference graph of every chunk of ``store``, in the
    lexical index's chunk order and token form."""
    records = store.get_records(lexical.ids)
    chunks = [(cid, Chunk.from_record(records[cid][1] or "", records[cid][2])) for cid in lexical.ids if cid in records]
    return NormIndex.build(chunks, store.edges(), lexical.tokens, lexical.version)


def lexical_from_store(store: ChunkStore) -> LexicalIndex:
    """BM25 over every chunk of ``store``. The label and heading are indexed with the text: a
    law's Absatz never says "SGB III" or its § title, but questions do."""
    ids, texts = [], []
    for cid, text, meta in store.iter_records():
        ids.append(cid)
        texts.append(embedding_text(Chunk.from_record(text or "", meta)))
    return LexicalIndex.build(ids, texts)


def embedding_text(chunk: Chunk) -> str:
    """What gets embedded: the label and title give the passage its context ("§ 18 SGB III
    Langzeitarbeitslose") without changing the quoted text. A table of the law is searched as
    its rows read ("… nach Vollendung des 58. Lebensjahres – 24 Monate",
    ``fundstelle.sentences.table_rows``), not as lines of cells ("48 | 58. | 24")."""
    return f"{_embedded_context(chunk)}\n{_tables_read(chunk.text)}"


def _embedded_context(chunk: Chunk) -> str:
    heading = chunk.extra.get("paragraph_title") or chunk.extra.get("heading") or ""
    return " – ".join(x for x in (chunk.label, heading) if x)


def contextual_text(chunk: Chunk, context: str) -> str | None:
    """The unit read with its context field (``index.norms``: § title, law, defined terms, the
    headings and margin notes of the Rz. that explain a law Absatz, a Rz.'s heading chain):
    embedded a second time, after the dense index, and mixed into the unit's dense vector
    (``retrieval.search``). None when it reads as the embedded text already does (a context
    that is only the label): its vector is the unit's own."""
    return None if context == _embedded_context(chunk) else f"{context}\n{_tables_read(chunk.text)}"


def contextual_texts(norms, chunks: dict[str, Chunk]) -> dict[str, str]:
    """Chunk id → ``contextual_text`` for the units of the norm index ``norms`` that ``chunks``
    holds and whose context adds something."""
    out = {}
    for cid, context in zip(norms.ids, norms.contexts):
        if cid in chunks:
            text = contextual_text(chunks[cid], context)
            if text is not None:
                out[cid] = text
    return out


def _tables_read(text: str) -> str:
    if "|" not in text:
        return text
    parts = []
    for start, end in split_sentences(text):
        rows = table_rows(text, start, end)
        parts.append("\n".join(reading for _, _, reading in rows) if rows else text[start:end])
    return "\n".join(parts)
