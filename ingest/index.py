"""The chunk index: a Chroma collection (embedded or server) plus the lexical index beside it.

Chunk ids are deterministic (document, locator, content hash), so every write is an
idempotent upsert: a run killed half-way and restarted never duplicates, and a document
is complete when all its ``doc_chunks`` chunks with its current ``doc_sha256`` are present.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from fundstelle.embeddings import CachedEmbedder, Embedder, load_embedder
from fundstelle.settings import Settings
from ingest.chunk import CHUNKER_VERSION, Chunk, LoadedDocument
from ingest.lexical import LexicalIndex

log = logging.getLogger(__name__)

EMBED_BATCH = 32


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
                      on_embedded: Callable[[int], None] | None = None) -> SyncResult:
        """Make the index hold exactly this document's current chunks."""
        wanted: dict[str, Chunk] = {}
        for chunk in document.chunks:
            wanted.setdefault(chunk.id, chunk)
        existing = {cid for cid, _, _ in self.iter_records(include=(), where={"doc_id": document.doc_id})}
        # Chunks whose id exists but carry another doc_sha256/doc_chunks must be rewritten, so the
        # document-level completeness markers stay true; their embeddings come from the cache.
        stale_meta = set()
        if existing:
            for cid, _, meta in self.iter_records(include=("metadatas",), where={"doc_id": document.doc_id}):
                if meta.get("doc_sha256") != document.sha256 or int(meta.get("doc_chunks", 0)) != len(wanted):
                    stale_meta.add(cid)
        to_add = [c for cid, c in wanted.items() if cid not in existing]
        to_remove = sorted(existing - set(wanted))
        result = SyncResult(unchanged=len(wanted) - len(to_add), removed=len(to_remove))
        for start in range(0, len(to_add), EMBED_BATCH):
            batch = to_add[start:start + EMBED_BATCH]
            vectors = self.embedder.embed_passages([embedding_text(c) for c in batch])
            self._upsert(batch, vectors, document, source_path, len(wanted))
            result.added += len(batch)
            if on_embedded:
                on_embedded(len(batch))
        # Same text, same id, but the document around it changed: refresh metadata only.
        refresh = sorted(stale_meta & set(wanted))
        for start in range(0, len(refresh), 500):
            ids = refresh[start:start + 500]
            self.collection.update(ids=ids, metadatas=[wanted[i].to_metadata(document.sha256, len(wanted), source_path)
                                                       for i in ids])
        if to_remove:
            self.collection.delete(ids=to_remove)
        return result

    def _upsert(self, chunks: list[Chunk], vectors: np.ndarray, document: LoadedDocument, source_path: str,
                doc_chunks: int) -> None:
        self.collection.upsert(
            ids=[c.id for c in chunks],
            embeddings=np.asarray(vectors, dtype=np.float32),
            documents=[c.text for c in chunks],
            metadatas=[c.to_metadata(document.sha256, doc_chunks, source_path) for c in chunks])

    def remove_document(self, doc_id: str) -> int:
        ids = [cid for cid, _, _ in self.iter_records(include=(), where={"doc_id": doc_id})]
        if ids:
            self.collection.delete(ids=ids)
        return len(ids)

    def drop(self) -> None:
        """Delete the whole collection (re-index)."""
        try:
            self.client.delete_collection(self.settings.collection)
        except Exception:  # already gone
            pass

    # -- lexical side ----------------------------------------------------------------
    def rebuild_lexical(self) -> LexicalIndex:
        # The label and heading are indexed with the text: a law's Absatz never says "SGB III"
        # or its § title, but questions do.
        ids, texts = [], []
        for cid, text, meta in self.iter_records(include=("documents", "metadatas")):
            ids.append(cid)
            texts.append(embedding_text(Chunk.from_record(text or "", meta)))
        lexical = LexicalIndex.build(ids, texts)
        lexical.save(self.settings.lexical_path)
        self._stamp_version(lexical.version)
        return lexical

    def content_version(self) -> str:
        return LexicalIndex.content_version(cid for cid, _, _ in self.iter_records(include=()))

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
        if lexical is not None and lexical.version == self.content_version():
            return lexical
        if not rebuild_if_stale:
            raise IndexError_("lexical index is missing or out of date: run `python -m ingest`")
        log.info("lexical index missing or stale; rebuilding from the collection")
        return self.rebuild_lexical()


def embedding_text(chunk: Chunk) -> str:
    """What gets embedded: the label and title give the passage its context ("§ 18 SGB III
    Langzeitarbeitslose") without changing the quoted text."""
    heading = chunk.extra.get("paragraph_title") or chunk.extra.get("heading") or ""
    context = " – ".join(x for x in (chunk.label, heading) if x)
    return f"{context}\n{chunk.text}"
