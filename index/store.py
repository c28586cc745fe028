"""The chunk store: every chunk of every ingested document, embedded or not (SQLite).

Parsing and chunking take seconds; embedding takes minutes. The store holds the result of
the fast part, so the lexical (BM25) index and the app can work before the dense index is
complete, and the embedder knows what is still to do: the chunks in the store that the
Chroma collection does not hold yet.

Each document is written in one transaction, so a crash or a full disk never leaves a
document half-written here. Records use the same flat metadata as the Chroma collection
(``Chunk.to_metadata``), so ``Chunk.from_record`` restores chunks from either.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from index.chunk import CHUNKER_VERSION, Chunk, LoadedDocument
from index.references import Edge, unit_edges

Record = tuple[str, str, dict[str, Any]]   # (chunk id, text, flat metadata)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, sha256 TEXT NOT NULL, chunker TEXT NOT NULL, chunks INTEGER NOT NULL,
    source_path TEXT NOT NULL, priority INTEGER NOT NULL DEFAULT 3);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, seq INTEGER NOT NULL, priority INTEGER NOT NULL,
    text TEXT NOT NULL, metadata TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_by_doc ON chunks (doc_id);
CREATE INDEX IF NOT EXISTS chunks_by_priority ON chunks (priority, doc_id, seq);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS edges (
    source TEXT NOT NULL, doc_id TEXT NOT NULL, kind TEXT NOT NULL, norm TEXT NOT NULL, absatz TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS edges_by_doc ON edges (doc_id);
CREATE INDEX IF NOT EXISTS edges_by_source ON edges (source);
"""


def open_database(path: Path, schema: str) -> sqlite3.Connection:
    """A connection to the store file ``path`` (created with ``schema`` where missing), shared
    by threads under the caller's lock, in WAL mode so readers never wait for a writer."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), check_same_thread=False, timeout=60)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(schema)
    db.commit()
    return db


class ChunkStore:
    """SQLite file ``<data>/chunks/<collection>.sqlite``; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = open_database(path, _SCHEMA)
        self._lock = threading.RLock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- writing ---------------------------------------------------------------------
    def put_document(self, document: LoadedDocument, source_path: str, priority: int = 3) -> tuple[int, int]:
        """Replace the document's chunks by ``document.chunks`` in one transaction.

        Returns (chunks new to the store, chunks removed from it)."""
        wanted: dict[str, Chunk] = {}
        for chunk in document.chunks:
            wanted.setdefault(chunk.id, chunk)
        rows = [(cid, document.doc_id, seq, priority, chunk.text,
                 json.dumps(chunk.to_metadata(document.sha256, len(wanted), source_path), ensure_ascii=False))
                for seq, (cid, chunk) in enumerate(wanted.items())]
        # The reference graph is part of the document's record: written and replaced with it.
        edges = [(e.source, document.doc_id, e.kind, e.norm, e.absatz) for cid, chunk in wanted.items()
                 for e in unit_edges(cid, chunk.kind, chunk.locator, chunk.text, str(chunk.extra.get("weisung_doc", "")))]
        with self._lock, self._db:
            existing = {r[0] for r in self._db.execute("SELECT id FROM chunks WHERE doc_id=?", (document.doc_id,))}
            self._db.execute("DELETE FROM chunks WHERE doc_id=?", (document.doc_id,))
            self._db.execute("DELETE FROM edges WHERE doc_id=?", (document.doc_id,))
            self._db.executemany("INSERT OR REPLACE INTO chunks VALUES (?, ?, ?, ?, ?, ?)", rows)
            self._db.executemany("INSERT INTO edges VALUES (?, ?, ?, ?, ?)", edges)
            self._db.execute("INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?, ?)",
                             (document.doc_id, document.sha256, CHUNKER_VERSION, len(wanted), source_path, priority))
        return len(set(wanted) - existing), len(existing - set(wanted))

    def put_records(self, records: Iterable[Record], priority: int = 3) -> int:
        """Add records as they are (used to fill the store from an existing collection)."""
        count = 0
        with self._lock, self._db:
            for seq, (cid, text, meta) in enumerate(records):
                self._db.execute("INSERT OR REPLACE INTO chunks VALUES (?, ?, ?, ?, ?, ?)",
                                 (cid, meta["doc_id"], seq, priority, text or "", json.dumps(meta, ensure_ascii=False)))
                self._db.execute("DELETE FROM edges WHERE source=?", (cid,))
                self._db.executemany("INSERT INTO edges VALUES (?, ?, ?, ?, ?)", [
                    (e.source, meta["doc_id"], e.kind, e.norm, e.absatz)
                    for e in unit_edges(cid, meta["kind"], json.loads(meta.get("locator_json") or "{}"), text or "",
                                        str(json.loads(meta.get("extra_json") or "{}").get("weisung_doc", "")))])
                self._db.execute(
                    "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?, ?)",
                    (meta["doc_id"], meta.get("doc_sha256", ""), meta.get("chunker", CHUNKER_VERSION),
                     int(meta.get("doc_chunks", 0)), meta.get("source_path", ""), priority))
                count += 1
        return count

    def set_priority(self, doc_id: str, priority: int) -> None:
        with self._lock, self._db:
            self._db.execute("UPDATE chunks SET priority=? WHERE doc_id=?", (priority, doc_id))
            self._db.execute("UPDATE documents SET priority=? WHERE doc_id=?", (priority, doc_id))

    def remove_document(self, doc_id: str) -> int:
        with self._lock, self._db:
            removed = self._db.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,)).rowcount
            self._db.execute("DELETE FROM edges WHERE doc_id=?", (doc_id,))
            self._db.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,))
        return removed

    def clear(self) -> None:
        with self._lock, self._db:
            self._db.execute("DELETE FROM chunks")
            self._db.execute("DELETE FROM edges")
            self._db.execute("DELETE FROM documents")
            self._db.execute("DELETE FROM meta")

    def set_meta(self, key: str, value: str) -> None:
        with self._lock, self._db:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    # -- reading ---------------------------------------------------------------------
    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    def ids(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT id FROM chunks ORDER BY id")]

    def ids_by_priority(self) -> list[tuple[str, str, int]]:
        """(chunk id, doc_id, priority) in embedding order: most asked sources first."""
        with self._lock:
            return [tuple(r) for r in self._db.execute("SELECT id, doc_id, priority FROM chunks "
                                                       "ORDER BY priority, doc_id, seq")]

    def ids_of(self, doc_id: str) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT id FROM chunks WHERE doc_id=? ORDER BY seq", (doc_id,))]

    def document_states(self) -> dict[str, dict[str, Any]]:
        """Per document: sha256, chunker version, chunk count (as written), priority."""
        with self._lock:
            rows = self._db.execute("SELECT doc_id, sha256, chunker, chunks, source_path, priority FROM documents")
            return {r[0]: {"sha256": r[1], "chunker": r[2], "chunks": r[3], "source_path": r[4], "priority": r[5]}
                    for r in rows}

    def is_current(self, doc_id: str, sha256: str, states: dict[str, dict[str, Any]] | None = None) -> bool:
        """True when the store holds this version of the document, chunked by this code."""
        state = (states if states is not None else self.document_states()).get(doc_id)
        return bool(state) and state["sha256"] == sha256 and state["chunker"] == CHUNKER_VERSION

    def iter_records(self, *, by_priority: bool = False, page: int = 2000) -> Iterator[Record]:
        """All records; with ``by_priority`` in embedding order (most asked sources first)."""
        order = "priority, doc_id, seq" if by_priority else "rowid"
        offset = 0
        while True:
            with self._lock:
                rows = self._db.execute(f"SELECT id, text, metadata FROM chunks ORDER BY {order} LIMIT ? OFFSET ?",
                                        (page, offset)).fetchall()
            for cid, text, meta in rows:
                yield cid, text, json.loads(meta)
            if len(rows) < page:
                return
            offset += page

    def iter_metadata(self, page: int = 5000) -> Iterator[tuple[str, dict[str, Any]]]:
        """(chunk id, metadata) of every chunk, without the texts."""
        offset = 0
        while True:
            with self._lock:
                rows = self._db.execute("SELECT id, metadata FROM chunks ORDER BY rowid LIMIT ? OFFSET ?",
                                        (page, offset)).fetchall()
            for cid, meta in rows:
                yield cid, json.loads(meta)
            if len(rows) < page:
                return
            offset += page

    def get_records(self, ids: Sequence[str]) -> dict[str, Record]:
        out: dict[str, Record] = {}
        ids = list(ids)
        with self._lock:
            for start in range(0, len(ids), 500):
                part = ids[start:start + 500]
                rows = self._db.execute(f"SELECT id, text, metadata FROM chunks WHERE id IN ({','.join('?' * len(part))})",
                                        part).fetchall()
                out.update({cid: (cid, text, json.loads(meta)) for cid, text, meta in rows})
        return out

    def edges(self) -> list[Edge]:
        """The reference graph: every edge of every stored chunk (see ``index.references``)."""
        with self._lock:
            rows = self._db.execute("SELECT source, kind, norm, absatz FROM edges ORDER BY rowid").fetchall()
        return [Edge(*row) for row in rows]

    def get_chunks(self, ids: Sequence[str]) -> dict[str, Chunk]:
        return {cid: Chunk.from_record(text, meta) for cid, (_, text, meta) in self.get_records(ids).items()}

    def backup_to(self, target: Path) -> None:
        """A consistent copy of the store (SQLite online backup), e.g. for a snapshot."""
        target.parent.mkdir(parents=True, exist_ok=True)
        copy = sqlite3.connect(str(target))
        try:
            with self._lock:
                self._db.backup(copy)
        finally:
            copy.close()
