"""Index snapshots: ingest once in the office, hand the finished index to every staff machine.

    python -m ingest export fundstelle-2026-05.tar.zst     # on the machine that ingested
    python -m ingest import fundstelle-2026-05.tar.zst     # on each staff machine (no embedding)

A snapshot is one ``.tar.zst`` file (tar, compressed with zstandard, streamed) holding:

* ``manifest.json``: format, creation time, collection, embedding model and dimension,
  chunker version, lexical format, content version, chunk count, the sources (doc_id,
  source path, sha256 of the source file, chunks) and sha256 + size of every other member;
* ``chunks.sqlite``: the chunk store (every chunk with its text and flat metadata, and the
  sentence vectors of ``index.sentence_vectors``);
* ``embeddings.npy`` (float32, N x dim) and ``embedding_ids.json`` (the N chunk ids, same order);
* ``lexical/...``: the files of the BM25 index folder.

Public API::

    from ingest.snapshot import export_snapshot, import_snapshot, SnapshotError

    manifest = export_snapshot(settings, Path("snap.tar.zst"))
    result = import_snapshot(settings, Path("snap.tar.zst"))   # manifest + result["imported"]

``export_snapshot`` refuses an index whose dense side is incomplete and never leaves a
half-written file (it writes beside the target, then renames). ``import_snapshot`` checks
the whole archive (complete zstd frame and tar stream, safe member names, the manifest,
every member's sha256 and size, the embedding model against the configured one, vectors
against chunks) before it touches the current index, builds the new collection, chunk
store and BM25 folder beside the old ones, and only then swaps them in. On any failure
before the swap the temporary collection and files are removed and the current index keeps
working. The imported vectors also go into the embedding cache, so a later
``python -m ingest`` over the same sources embeds nothing.

Both work with an embedded Chroma folder and with a Chroma server (only the client API is
used). With an embedded folder, import while the app is not running (like ``ingest embed``).
"""
from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import sqlite3
import tarfile
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from fundstelle.settings import Settings

log = logging.getLogger(__name__)

FORMAT = "fundstelle-snapshot/1"
MANIFEST = "manifest.json"
STORE_MEMBER = "chunks.sqlite"
VECTORS_MEMBER = "embeddings.npy"
IDS_MEMBER = "embedding_ids.json"
LEXICAL_PREFIX = "lexical/"

ZSTD_LEVEL = 10          # float32 vectors barely compress; higher levels only cost time
READ_SIZE = 1 << 20
VECTOR_PAGE = 500        # ids per collection.get when reading vectors
UPSERT_BATCH = 500


class SnapshotError(RuntimeError):
    """A snapshot cannot be written or imported; the message is one line saying why and what to do."""


# -- export ----------------------------------------------------------------------------------

def export_snapshot(settings: Settings, target: Path, *, progress: bool = True) -> dict[str, Any]:
    """Write the index of ``settings`` to ``target`` (``.tar.zst``) and return its manifest.

    Refuses (``SnapshotError``) when the index is empty or its dense side is incomplete.
    The archive is written to a temporary file beside ``target`` and renamed when complete,
    so a failed export never leaves a half-written snapshot (an older file at ``target``
    stays as it was)."""
    from index.chunk_index import ChunkIndex

    target = Path(target).expanduser().resolve()
    if target.is_dir():
        raise SnapshotError(f"{target} is a folder; give a file name such as {target / 'fundstelle.tar.zst'}")
    if not target.parent.is_dir():
        raise SnapshotError(f"folder {target.parent} does not exist")

    index = ChunkIndex(settings, create=False, check_model=False)
    try:
        return _export(settings, index, target, progress)
    finally:
        index.store.close()


def _export(settings: Settings, index, target: Path, progress: bool) -> dict[str, Any]:
    from tqdm import tqdm

    from index.chunk import CHUNKER_VERSION
    from index.lexical import LEXICAL_FORMAT, LexicalIndex

    embedded, total = index.dense_progress()
    if total == 0:
        raise SnapshotError(f"index '{settings.collection}' is empty: run `python -m ingest` first")
    if embedded < total:
        raise SnapshotError(f"the dense index is incomplete ({embedded} of {total} chunks have an embedding): "
                            "run `python -m ingest embed` first")
    index.load_lexical()  # rebuilt here when missing or stale, so the snapshot carries a current one
    model, dim = index.model_name, index.model_dim
    if not model:
        model, dim = index.embedder.name, index.embedder.dim
    # The sentence vectors live in the chunk store file and travel with it; an incomplete set
    # is fine (answers embed what is missing; the importer's embedder completes it).
    sentence_chunks, _ = index.sentence_vectors.progress(model)

    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.staging-"))
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        # 1. The chunk store, as one self-contained file (no WAL beside it).
        store_file = staging / STORE_MEMBER
        index.store.backup_to(store_file)
        with sqlite3.connect(str(store_file)) as db:
            db.execute("PRAGMA journal_mode=DELETE")
            ids = [r[0] for r in db.execute("SELECT id FROM chunks ORDER BY id")]
            documents = db.execute("SELECT doc_id, source_path, sha256, chunks FROM documents ORDER BY doc_id")
            sources = [{"doc_id": d, "source_path": p, "sha256": s, "chunks": n} for d, p, s, n in documents]
        db.close()
        content_version = LexicalIndex.content_version(ids)

        # 2. The BM25 folder; it must describe exactly the chunks of the store copy.
        lexical_dir = staging / "lexical"
        shutil.copytree(settings.lexical_path, lexical_dir)
        lexical_manifest = json.loads((lexical_dir / "manifest.json").read_text(encoding="utf-8"))
        if lexical_manifest.get("version") != content_version:
            raise SnapshotError("the index changed while it was exported (another ingest running?): "
                                "export again when it is done")

        # 3. The vectors, row i for ids[i], taken from the collection.
        vectors = np.lib.format.open_memmap(staging / VECTORS_MEMBER, mode="w+", dtype=np.float32,
                                            shape=(len(ids), dim))
        bar = tqdm(total=len(ids), unit="chunk", desc="Reading vectors", disable=not progress)
        missing = 0
        for start in range(0, len(ids), VECTOR_PAGE):
            page = ids[start:start + VECTOR_PAGE]
            got = index.collection.get(ids=page, include=["embeddings"])
            found = dict(zip(got["ids"], got["embeddings"] if got["embeddings"] is not None else []))
            for offset, cid in enumerate(page):
                vector = found.get(cid)
                if vector is None:
                    missing += 1
                    continue
                vector = np.asarray(vector, dtype=np.float32)
                if vector.shape != (dim,):
                    raise SnapshotError(f"chunk {cid} has a vector of dimension {vector.size}, the collection "
                                        f"says {dim}: re-index with `python -m ingest --reindex`")
                vectors[start + offset] = vector
            bar.update(len(page))
        bar.close()
        vectors.flush()
        del vectors
        if missing:
            raise SnapshotError(f"the dense index is incomplete ({missing} of {len(ids)} chunks have no embedding): "
                                "run `python -m ingest embed` first")
        (staging / IDS_MEMBER).write_text(json.dumps(ids, ensure_ascii=False), encoding="utf-8")

        # 4. Manifest with sha256 and size of every member, then the archive.
        members = [STORE_MEMBER, VECTORS_MEMBER, IDS_MEMBER] + sorted(
            LEXICAL_PREFIX + p.relative_to(lexical_dir).as_posix() for p in lexical_dir.rglob("*") if p.is_file())
        files = {name: {"sha256": _sha256_file(staging / name), "bytes": (staging / name).stat().st_size}
                 for name in members}
        manifest = {
            "format": FORMAT,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "collection": settings.collection,
            "embedding_model": model,
            "embedding_dim": int(dim),
            "chunker_version": CHUNKER_VERSION,
            "lexical_format": lexical_manifest.get("format", LEXICAL_FORMAT),
            "content_version": content_version,
            "chunks": len(ids),
            "sentence_chunks": sentence_chunks,
            # The query adapter travels in the chunk store; what it was fitted from.
            "query_adapter": index.query_adapter(),
            "sources": sources,
            "files": files,
        }
        manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
        _write_archive(partial, manifest_bytes, staging, members, progress)
        os.replace(partial, target)
        _fsync_dir(target.parent)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


def _write_archive(path: Path, manifest_bytes: bytes, staging: Path, members: list[str], progress: bool) -> None:
    import zstandard
    from tqdm import tqdm

    total = len(manifest_bytes) + sum((staging / m).stat().st_size for m in members)
    bar = tqdm(total=total, unit="B", unit_scale=True, desc="Writing snapshot", disable=not progress)
    now = int(time.time())
    compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL, write_checksum=True, threads=-1)
    with open(path, "wb") as raw:
        with (compressor.stream_writer(raw, closefd=False) as writer,
              tarfile.open(fileobj=writer, mode="w|", format=tarfile.PAX_FORMAT) as tar):
            tar.addfile(_tarinfo(MANIFEST, len(manifest_bytes), now), io.BytesIO(manifest_bytes))
            bar.update(len(manifest_bytes))
            for name in members:
                file = staging / name
                with open(file, "rb") as handle:
                    tar.addfile(_tarinfo(name, file.stat().st_size, now), _CountingReader(handle, bar.update))
        raw.flush()
        os.fsync(raw.fileno())
    bar.close()


def _tarinfo(name: str, size: int, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, mtime, 0o644
    return info


class _CountingReader:
    def __init__(self, handle, on_read: Callable[[int], Any]) -> None:
        self._handle, self._on_read = handle, on_read

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self._on_read(len(data))
        return data


# -- import ----------------------------------------------------------------------------------

def import_snapshot(settings: Settings, source: Path, *, progress: bool = True) -> dict[str, Any]:
    """Replace the index of ``settings`` by the snapshot ``source``; return its manifest plus
    ``"imported"``: {chunks, documents, seconds, replaced_chunks, cached_embeddings, notes}.

    Everything is checked before the current index is touched; the new index is built
    beside it and swapped in at the end. Raises ``SnapshotError`` (one line) when the file
    is damaged, incomplete, made for another embedding model, or inconsistent."""
    from ingest.background import EmbedderLock

    started = time.perf_counter()
    source = Path(source).expanduser().resolve()
    if not source.is_file():
        raise SnapshotError(f"snapshot {source} does not exist")
    settings.data.mkdir(parents=True, exist_ok=True)
    with EmbedderLock(settings):
        work = Path(tempfile.mkdtemp(dir=settings.data, prefix=".snapshot-import-"))
        try:
            files = work / "files"
            extracted = _extract(source, files, progress)
            manifest = _validate(settings, source, files, extracted)
            summary = _install(settings, manifest, files, progress)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    summary["seconds"] = round(time.perf_counter() - started, 2)
    return {**manifest, "imported": summary}


class _Damaged(Exception):
    pass


class _ZstdReader:
    """File-like reader over one zstd frame that notices a truncated frame or trailing bytes
    (a truncated ``.tar.zst`` otherwise just ends early without an error)."""

    def __init__(self, handle, on_read: Callable[[int], Any]) -> None:
        import zstandard

        self._handle, self._on_read = handle, on_read
        self._decompressor = zstandard.ZstdDecompressor().decompressobj()
        self._buffer = bytearray()
        self._ended = False

    def _fill(self) -> None:
        chunk = self._handle.read(READ_SIZE)
        self._on_read(len(chunk))
        if not chunk:
            self._ended = True
            if not self._decompressor.eof:
                raise _Damaged("the compressed stream ends early")
            return
        if self._decompressor.eof:
            raise _Damaged("unexpected bytes after the end of the compressed stream")
        self._buffer += self._decompressor.decompress(chunk)
        if self._decompressor.eof and self._decompressor.unused_data:
            raise _Damaged("unexpected bytes after the end of the compressed stream")

    def read(self, size: int = -1) -> bytes:
        while (size is None or size < 0 or len(self._buffer) < size) and not self._ended:
            self._fill()
        if size is None or size < 0:
            size = len(self._buffer)
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def drain(self) -> None:
        while not self._ended:
            self._buffer.clear()
            self._fill()


def _member_path(root: Path, name: str) -> Path:
    posix = PurePosixPath(name)
    if (not name or name.startswith(("/", "\\")) or posix.is_absolute() or "\\" in name or ":" in posix.parts[0]
            or any(part in ("..", "") for part in name.split("/"))):
        raise SnapshotError(f"snapshot member '{name}' has an unsafe path (absolute or with '..'); refusing it")
    return root.joinpath(*posix.parts)


def _extract(source: Path, root: Path, progress: bool) -> dict[str, dict[str, Any]]:
    """Unpack every regular file into ``root``; return {member: {sha256, bytes}}."""
    import zstandard
    from tqdm import tqdm

    root.mkdir(parents=True)
    found: dict[str, dict[str, Any]] = {}
    bar = tqdm(total=source.stat().st_size, unit="B", unit_scale=True, desc="Checking snapshot",
               disable=not progress)
    try:
        with open(source, "rb") as handle:
            reader = _ZstdReader(handle, bar.update)
            with tarfile.open(fileobj=reader, mode="r|") as tar:
                for member in tar:
                    if member.isdir():
                        _member_path(root, member.name.rstrip("/"))
                        continue
                    if not member.isreg():
                        raise SnapshotError(f"snapshot member '{member.name}' is not a plain file; refusing it")
                    name = member.name
                    path = _member_path(root, name)
                    if name in found:
                        raise SnapshotError(f"snapshot member '{name}' occurs twice; the file is not a valid snapshot")
                    path.parent.mkdir(parents=True, exist_ok=True)
                    digest, size = hashlib.sha256(), 0
                    stream = tar.extractfile(member)
                    with open(path, "wb") as out:
                        while chunk := stream.read(READ_SIZE):
                            digest.update(chunk)
                            size += len(chunk)
                            out.write(chunk)
                    if size != member.size:
                        raise _Damaged(f"member '{name}' ends early")
                    found[name] = {"sha256": digest.hexdigest(), "bytes": size}
            reader.drain()
    except SnapshotError:
        raise
    except (_Damaged, zstandard.ZstdError, tarfile.TarError, EOFError, ValueError) as exc:
        raise SnapshotError(f"snapshot {source} is damaged or truncated ({_one_line(exc)}); "
                            "copy it again or export a new one") from exc
    finally:
        bar.close()
    return found


def _validate(settings: Settings, source: Path, files: Path, extracted: dict[str, dict[str, Any]]) -> dict[str, Any]:
    from fundstelle.embeddings import load_embedder_for

    if MANIFEST not in extracted:
        raise SnapshotError(f"{source} has no {MANIFEST}: it is not a Fundstelle snapshot")
    try:
        manifest = json.loads((files / MANIFEST).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise SnapshotError(f"{MANIFEST} in {source} is not valid JSON ({_one_line(exc)})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise SnapshotError(f"{source} is not a Fundstelle snapshot of format '{FORMAT}' (format: {found!r}); "
                            "export it again with this version")
    for key in ("embedding_model", "embedding_dim", "chunks", "files", "content_version"):
        if key not in manifest:
            raise SnapshotError(f"{MANIFEST} in {source} lacks '{key}'; export the snapshot again")
    listed = manifest["files"]
    if not isinstance(listed, dict):
        raise SnapshotError(f"{MANIFEST} in {source} has no valid 'files' list; export the snapshot again")
    for name in sorted(set(listed) - set(extracted)):
        raise SnapshotError(f"snapshot member '{name}' is missing from {source}")
    for name in sorted(set(extracted) - set(listed) - {MANIFEST}):
        raise SnapshotError(f"snapshot member '{name}' is not listed in the manifest; the file was altered")
    for name in sorted(listed):
        want, got = listed[name], extracted[name]
        if not isinstance(want, dict) or want.get("bytes") != got["bytes"] or want.get("sha256") != got["sha256"]:
            raise SnapshotError(f"snapshot member '{name}' does not match the manifest (sha256 or size differs); "
                                "the file is damaged or was altered")
    for name in (STORE_MEMBER, VECTORS_MEMBER, IDS_MEMBER, LEXICAL_PREFIX + "manifest.json"):
        if name not in listed:
            raise SnapshotError(f"snapshot member '{name}' is missing from {source}")

    embedder = load_embedder_for(settings)
    model, dim = manifest["embedding_model"], int(manifest["embedding_dim"])
    if model != embedder.name or dim != embedder.dim:
        raise SnapshotError(
            f"snapshot was built with embedding model '{model}' (dim {dim}), but '{embedder.name}' "
            f"(dim {embedder.dim}) is configured: set FUNDSTELLE_EMBEDDING={model} to use this snapshot, "
            f"or import a snapshot built with '{embedder.name}'")

    try:
        ids = json.loads((files / IDS_MEMBER).read_text(encoding="utf-8"))
        vectors = np.load(files / VECTORS_MEMBER, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise SnapshotError(f"the vectors in {source} cannot be read ({_one_line(exc)})") from exc
    chunks = int(manifest["chunks"])
    if not isinstance(ids, list) or len(ids) != len(set(ids)) or len(ids) != chunks:
        raise SnapshotError(f"{IDS_MEMBER} in {source} does not list {chunks} distinct chunk ids")
    if vectors.dtype != np.float32 or vectors.shape != (chunks, dim):
        raise SnapshotError(f"{VECTORS_MEMBER} in {source} holds {vectors.shape} {vectors.dtype} values, "
                            f"expected ({chunks}, {dim}) float32")
    if not all(np.isfinite(vectors[i:i + 10000]).all() for i in range(0, chunks, 10000)):
        raise SnapshotError(f"{VECTORS_MEMBER} in {source} contains NaN or infinite values")
    try:
        with sqlite3.connect(f"file:{files / STORE_MEMBER}?mode=ro", uri=True) as db:
            store_ids = [r[0] for r in db.execute("SELECT id FROM chunks")]
            db.execute("SELECT doc_id, sha256, chunker, chunks, source_path, priority FROM documents LIMIT 1")
        db.close()
    except sqlite3.DatabaseError as exc:
        raise SnapshotError(f"{STORE_MEMBER} in {source} is not a valid chunk store ({_one_line(exc)})") from exc
    if len(store_ids) != chunks or set(store_ids) != set(ids):
        raise SnapshotError(f"the snapshot holds {len(store_ids)} chunks but {len(ids)} embeddings for other ids; "
                            "export it again")
    from index.lexical import LexicalIndex

    if LexicalIndex.content_version(store_ids) != manifest["content_version"]:
        raise SnapshotError(f"the content version in {MANIFEST} does not match the chunks of {source}; "
                            "export it again")
    return manifest


def _install(settings: Settings, manifest: dict[str, Any], files: Path, progress: bool) -> dict[str, Any]:
    """Build collection, store and BM25 folder beside the current ones, then swap them in."""
    from index.chunk import CHUNKER_VERSION
    from index.chunk_index import make_chroma_client
    from index.lexical import LEXICAL_FORMAT

    token = uuid.uuid4().hex[:8]
    client = make_chroma_client(settings)
    temp_name = f"{settings.collection}-import-{token}"
    store_path = settings.chunk_store_path
    temp_store = store_path.with_name(f".{store_path.name}.import-{token}")
    temp_lexical = settings.lexical_path.with_name(f".{settings.lexical_path.name}.import-{token}")
    notes: list[str] = []
    created = False
    try:
        store_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(files / STORE_MEMBER), str(temp_store))
        collection = client.create_collection(
            temp_name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}},
            metadata={"embedding_model": manifest["embedding_model"], "embedding_dim": int(manifest["embedding_dim"]),
                      "created_by": "fundstelle", "content_version": manifest["content_version"],
                      "snapshot_created": str(manifest.get("created", ""))})
        created = True
        cached = _fill(settings, client, collection, temp_store, files, manifest, progress)
        if collection.count() != int(manifest["chunks"]):
            raise SnapshotError(f"the new collection holds {collection.count()} chunks instead of "
                                f"{manifest['chunks']}; the current index was kept")
        temp_lexical.parent.mkdir(parents=True, exist_ok=True)
        lexical_manifest = json.loads((files / "lexical" / "manifest.json").read_text(encoding="utf-8"))
        if (lexical_manifest.get("format") == LEXICAL_FORMAT
                and lexical_manifest.get("version") == manifest["content_version"]):
            shutil.move(str(files / "lexical"), str(temp_lexical))
        else:
            notes.append(f"keyword index rebuilt (snapshot has format {lexical_manifest.get('format')!r}, "
                         f"this version reads {LEXICAL_FORMAT!r})")
            _rebuild_lexical(temp_store, temp_lexical)
        if manifest.get("chunker_version") != CHUNKER_VERSION:
            notes.append(f"chunks were made by chunker {manifest.get('chunker_version')!r}, this version uses "
                         f"{CHUNKER_VERSION!r}: `python -m ingest` with the sources would re-chunk them")
        replaced = _swap(settings, client, collection, temp_store, temp_lexical, token)
    except BaseException:
        if created:
            try:
                client.delete_collection(temp_name)
            except Exception:  # pragma: no cover - best effort; logged for the admin
                log.warning("could not delete temporary collection %s", temp_name, exc_info=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{temp_store}{suffix}").unlink(missing_ok=True)
        shutil.rmtree(temp_lexical, ignore_errors=True)
        raise
    return {"chunks": int(manifest["chunks"]), "documents": len(manifest.get("sources") or []),
            "replaced_chunks": replaced, "cached_embeddings": cached, "notes": notes}


def _fill(settings: Settings, client, collection, temp_store: Path, files: Path, manifest: dict[str, Any],
          progress: bool) -> int:
    """Upsert the snapshot's records with their vectors; put the vectors into the embedding cache."""
    from tqdm import tqdm

    from fundstelle.embeddings import CachedEmbedder
    from index.chunk import Chunk
    from index.chunk_index import embedding_text
    from index.store import ChunkStore

    ids = json.loads((files / IDS_MEMBER).read_text(encoding="utf-8"))
    row = {cid: i for i, cid in enumerate(ids)}
    vectors = np.load(files / VECTORS_MEMBER, mmap_mode="r", allow_pickle=False)
    batch_size = max(1, min(UPSERT_BATCH, int(client.get_max_batch_size())))
    cache = None
    if settings.embedding_cache:
        cache = sqlite3.connect(str(settings.data / "embedding-cache.sqlite"), timeout=60)
        cache.execute("PRAGMA journal_mode=WAL")
        cache.execute("CREATE TABLE IF NOT EXISTS emb (model TEXT, key TEXT, vec BLOB, PRIMARY KEY (model, key))")
    model = manifest["embedding_model"]
    bar = tqdm(total=len(ids), unit="chunk", desc="Importing", disable=not progress)
    store = ChunkStore(temp_store)
    cached = 0
    try:
        store.set_meta("content_version", manifest["content_version"])
        batch: list[tuple[str, str, dict[str, Any]]] = []

        def flush() -> None:
            nonlocal cached
            page = vectors[[row[cid] for cid, _, _ in batch]]
            collection.upsert(ids=[r[0] for r in batch], embeddings=np.asarray(page, dtype=np.float32),
                              documents=[r[1] for r in batch], metadatas=[r[2] for r in batch])
            if cache is not None:
                keys = [CachedEmbedder.key(embedding_text(Chunk.from_record(text, meta))) for _, text, meta in batch]
                with cache:
                    cache.executemany("INSERT OR REPLACE INTO emb VALUES (?, ?, ?)",
                                      [(model, key, np.asarray(vec, dtype=np.float32).tobytes())
                                       for key, vec in zip(keys, page)])
                cached += len(batch)
            bar.update(len(batch))
            batch.clear()

        for record in store.iter_records():
            batch.append(record)
            if len(batch) >= batch_size:
                flush()
        if batch:
            flush()
    finally:
        bar.close()
        store.close()
        if cache is not None:
            cache.close()
    # One self-contained file to move into place (no WAL beside it).
    with sqlite3.connect(str(temp_store)) as db:
        db.execute("PRAGMA journal_mode=DELETE")
    db.close()
    return cached


def _rebuild_lexical(store_path: Path, folder: Path) -> None:
    from index.chunk_index import lexical_from_store
    from index.store import ChunkStore

    store = ChunkStore(store_path)
    try:
        lexical_from_store(store).save(folder)
    finally:
        store.close()


def _swap(settings: Settings, client, collection, temp_store: Path, temp_lexical: Path, token: str) -> int | None:
    """Put the new collection, store and BM25 folder in place; undo everything on failure."""
    undo: list[Callable[[], Any]] = []
    store_path, lexical_path = settings.chunk_store_path, settings.lexical_path
    aside_name = f"{settings.collection}-old-{token}"
    old_store = store_path.with_name(f".{store_path.name}.old-{token}")
    old_lexical = lexical_path.with_name(f".{lexical_path.name}.old-{token}")
    replaced = None
    try:
        existing = {c.name for c in client.list_collections()}
        old = (client.get_collection(settings.collection, embedding_function=None)
               if settings.collection in existing else None)
        if old is not None:
            replaced = old.count()
            old.modify(name=aside_name)
            undo.append(lambda: old.modify(name=settings.collection))
        temp_name = collection.name
        collection.modify(name=settings.collection)
        undo.append(lambda: collection.modify(name=temp_name))

        for suffix in ("", "-wal", "-shm"):
            current = Path(f"{store_path}{suffix}")
            if current.exists():
                aside = Path(f"{old_store}{suffix}")
                os.replace(current, aside)
                undo.append(lambda a=aside, c=current: os.replace(a, c))
        os.replace(temp_store, store_path)
        undo.append(lambda: os.replace(store_path, temp_store))

        if lexical_path.exists():
            os.replace(lexical_path, old_lexical)
            undo.append(lambda: os.replace(old_lexical, lexical_path))
        lexical_path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temp_lexical, lexical_path)
    except BaseException:
        for action in reversed(undo):
            try:
                action()
            except Exception:  # pragma: no cover - best effort
                log.warning("undoing the snapshot swap failed", exc_info=True)
        raise
    # The new index is in place; what remains is removing the old one.
    if replaced is not None:
        try:
            client.delete_collection(aside_name)
        except Exception:  # pragma: no cover
            log.warning("old collection %s could not be deleted", aside_name, exc_info=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{old_store}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(old_lexical, ignore_errors=True)
    return replaced


# -- helpers ---------------------------------------------------------------------------------

def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(READ_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - not every platform opens folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:200]
    if isinstance(exc, _Damaged):
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
