"""Hybrid search: Chroma dense search + German BM25, fused by a convex mix of z-scores.

The BM25 side gets less weight the fewer of the question's words exist in the corpus
vocabulary, so a Ukrainian or English question is not dragged down by a lexical side that
cannot match it, while German terms inside it ("Bürgergeld", "Fiktionsbescheinigung")
still count.

Where the index has adapted the question side to the corpus (learnt from citizen-style training
questions: the fine-tuned query encoder, ``index.query_encoder``, or for other models the linear
query adapter, ``index.query_adapter``), the same search runs again with the question vector plus
the adapted one. The fine-tuned encoder's search ranks every place (``ENCODER_KEEP``: it finds the
unit a training question named when a citizen asks about it in other words, README
"Twenty-seventh session"), with the keyword side at ``TUNED_LEXICAL`` of its share ("Thirty-third
session"); the linear adapter's fills the places after the plain search's first
``ADAPTER_KEEP`` ("Twenty-fourth session"). Whether the sources answer is read from the plain
search's first ``ANSWERABILITY_PLACES`` places either way (``SearchResult.plain_hits``): a passage
the adapted vector placed may be quoted, but it never makes an unanswerable question look answered.
"""
from __future__ import annotations

import functools
import logging
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from statistics import NormalDist
from typing import Callable, Sequence

import httpx
import numpy as np

from fundstelle.embeddings import QUERY_CACHE_SIZE, EmbeddingModelError, embed_queries, load_tuned_query_engine
from fundstelle.sentences import split_sentences
from fundstelle.settings import Settings
from index.chunk import Chunk, date_to_int
from index.chunk_index import ChromaUnavailableError, ChunkIndex, contextual_texts
from index.expansion import expansion_tokens
from index.lexical import LexicalIndex, top_positions
from index.norm_index import NormIndex
from index.norms import absatz_order, asked_name, defines, gives_name, same_name, same_term
from index.query_adapter import META_KEY as ADAPTER_META_KEY
from index.query_adapter import StoredAdapter
from index.query_encoder import mixed_vector as encoder_mixed
from index.question_bank import QuestionBank
from index.references import parse_references
from index.sentence_vectors import PASSAGE
from index.word_bridge import META_KEY as BRIDGE_META_KEY
from index.word_bridge import WordBridge, question_words, read_meta
from retrieval.asked_term import asked_phrases, asked_term
from retrieval.filters import DocumentCatalog, SearchFilter
from retrieval.language import detect_language
from retrieval.lookup import named_references

log = logging.getLogger(__name__)

# Hybrid score: z-normalised dense similarity and BM25 score, mixed 60/40 (times the
# lexical weight of the question). Chosen on GermanQuAD test and dev.jsonl over reciprocal
# rank fusion (R@1 0.943 vs 0.932 on GermanQuAD; see README "Retrieval").
LEXICAL_SHARE = 0.4
RETRIEVERS = ("hybrid", "dense", "bm25")
# Dense search under a filter that keeps at least this share of the chunks asks Chroma for
# this many times the candidates unfiltered and filters them here (``_dense_candidates``).
POST_FILTER_MIN_SHARE = 0.5
POST_FILTER_FACTOR = 3
# Up to this many chunks the dense side is searched exactly, over the stored vectors held in
# memory (1.5 MB per 1,000 chunks), instead of through Chroma's HNSW graph: the graph is
# approximate, and after in-place re-ingests it returned other neighbours than a fresh build
# (README "Exact dense search"), so the same question could get another answer on another
# machine. Larger indexes, and any index on a Chroma server, use the graph.
EXACT_DENSE_MAX = 200_000


# A graph relation as the neighbour's side says it (see ``HybridSearcher._neighbours``).
_FROM_BROUGHT_SIDE = {"erläutert": "erläutert in", "erläutert in": "erläutert", "beziffert in": "beziffert"}


# How far the unit that defines, names or titles what a definitional question asks about is put
# ahead of the best hit (a rank, not a weight: any positive value puts it first).
DEFINITION_LEAD = 0.01
# The plain search's first places that answerability reads: chosen on the wider tuning set (README,
# "Twenty-fourth session"; with 1 or 2 many answerable questions were refused).
ANSWERABILITY_PLACES = 3
# A question word counts as covered by a passage that holds one of its nearest corpus words
# (``nearest_corpus_words``): the three nearest at a cosine of 0.9 or more. Measured on the
# wider tuning set against 2 / 0.88, the bridge's own setting for questions in other languages
# (README, "Twenty-eighth session").
COVERAGE_BRIDGE_TOP = 3
COVERAGE_BRIDGE_MIN = 0.9
# Places of the plain search that the search with the linear adapter's vector never changes
# (``index.query_adapter``; with 4 recall@5 was lower, "Twenty-fourth session") and with the
# fine-tuned encoder's (``index.query_encoder``): none. On questions about units its training
# questions name, asked in other words, it ranks the unit first far more often than the plain
# search (recall@1 0.26 → 0.49), and on units outside its training no less often (0.490 → 0.531;
# README, "Twenty-seventh session").
ADAPTER_KEEP = 3
ENCODER_KEEP = 0
# The keyword side's share in the search with the fine-tuned encoder's question vector, as a
# fraction of ``lexical_share``: the encoder has learnt the corpus's words for how citizens ask,
# and BM25 at its full share put units that repeat a question word above the one the tuned
# vector found ("Klassenfahrt": a trainee's "Fahrkosten", § 63 Abs. 1 SGB III, before § 28 Abs. 2
# SGB II). Every share from 0.15 to 0.75 beat the full one on the wider tuning set; 0.25 led it
# by two answers but lost issue 13's own example on the full corpus, 0.5 keeps it (README,
# "Thirty-third session").
TUNED_LEXICAL = 0.5
# The weight of the training questions' votes for a norm in the tuned search (a unit's fused
# score is a mix of z-scores; a norm all ten nearest training questions name gains this much).
# Chosen among 0.25, 0.5 and 1 on the wider tuning set and the everyday tuning halves: support plus
# precision 1.0554, 1.0566, 1.0201 against 1.0410 without (README, "Forty-second session").
NEIGHBOURS = 0.5


def cites_a_law(question: str) -> bool:
    """Whether the question cites a § with its law ("nach § 16 SGB II"). Such a question names
    its norm in words BM25 matches exactly and the encoder hardly learnt to weigh (2 of its
    3,353 training questions cite one), so its tuned search keeps the keyword side's full share:
    at half, § 16a SGB II, the encoder's neighbour of § 16, was quoted for a question about
    "Leistungen nach § 16 SGB II" (README, "Thirty-third session")."""
    return any(ref.law for ref in parse_references(question))


@dataclass(frozen=True)
class QueryAdaptation:
    """The second search's question vector, ``(question, plain vector) -> vector``, how many of
    the plain search's first places it leaves as they are, and whether the norm route's score
    counts in it. The fine-tuned encoder has learnt which norm a citizen's words belong to; with
    the route's title and heading matches added as well, units of other norms rose above the
    right one (README, "Twenty-seventh session"), so its search leaves the score out (the route
    still brings its norms' Absätze as candidates)."""

    vector: Callable[[str, np.ndarray], np.ndarray]
    kept_places: int
    norm_route: bool = True
    # Whether the answer's sentences are also chosen with the adapted vector (``SearchResult.
    # adapted_vector``): measured with the fine-tuned encoder only (README, "Thirty-first session").
    sentences: bool = False
    # Whether its search gives the keyword side ``RetrievalWeights.tuned_lexical`` of its share:
    # measured with the fine-tuned encoder only (README, "Thirty-third session").
    tuned_lexical: bool = False
    # The training questions as neighbours (``index.question_bank``): the norms the nearest ones
    # name count in its search (``RetrievalWeights.neighbours``). Stored with the fine-tuned encoder only.
    bank: QuestionBank | None = None


@dataclass(frozen=True)
class RetrievalWeights:
    """How much each structural signal adds (chosen on the dev tuning half; README "Ablation").
    A weight of 0 turns its lever off."""

    lexical_share: float = LEXICAL_SHARE  # BM25's share in the dense/BM25 mix
    expansion: float = 0.3           # BM25 of the question words' lemmas and synonyms
    context: float = 0.25            # BM25 of the unit's context field (norm title, definitions, headings)
    norm: float = 0.3                # the norm route's score (z), added to each unit of that norm
    norm_lexical_share: float = 0.5  # norm route: profile BM25 vs profile embedding
    norm_top: int = 3                # the law Absätze of this many best norms join the candidates
    graph: float = 0.6               # share of the gap to the hit that brought a neighbour, added to it
    graph_top: int = 5               # hits whose graph neighbours are considered
    definition: bool = True          # the definition route: the unit defining, naming or titled by the asked term leads
    context_vector: float = 0.5      # share of the unit's contextual vector in its dense vector (exact search)
    bridge_top: int = 2              # corpus words added per unknown word of a question in another language
    bridge_min: float = 0.88         # their least cosine to that word
    title_route: bool = True         # "Was ist X?" for the title X of one §: its first Absatz leads
    sentence_vector: float = 1.0     # a German question of several sentences: the mean of their vectors, added
    adapter: bool = True             # places after ADAPTER_KEEP from a search with the adapted question vector
    tuned_lexical: float = TUNED_LEXICAL  # the keyword side's share in the fine-tuned encoder's search, × lexical_share
    # The fine-tuned encoder's search: a norm's share of the nearest training questions, times
    # this, added to each unit of that norm (``index.question_bank``; README, "Forty-second session").
    neighbours: float = NEIGHBOURS


def normal_scores(values: np.ndarray) -> np.ndarray:
    """Rank-based normal scores: each value's rank (ties share their mean rank) mapped to the
    standard normal quantile of (rank - 0.5) / n. Keeps the order, bounds the extremes
    (about ±3.1 for 511 values) and gives a tied block the quantile of its middle."""
    n = len(values)
    if not n:
        return np.zeros(0)
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    # The mean rank of each distinct value: the ranks before it plus the middle of its block.
    mean_rank = np.cumsum(counts) - (counts - 1) / 2.0
    quantile = NormalDist().inv_cdf
    return np.array([quantile((r - 0.5) / n) for r in mean_rank])[inverse]


def question_sentences(question: str) -> list[str]:
    """The sentences of a question typed as several, of two words or more ("Ich wohne bei meiner
    Schwester und esse dort kostenlos mit. Zieht mir das Jobcenter dafür etwas vom Bürgergeld
    ab?"): the asker's situation and what they ask about it."""
    text = question.strip()
    return [text[s:e] for s, e in split_sentences(text) if len(text[s:e].split()) >= 2]


def with_sentence_vectors(whole: np.ndarray, sentence_vectors: list[np.ndarray], share: float) -> np.ndarray:
    """The question's vector plus ``share`` times the normalised mean of its sentences' vectors,
    normalised. Read whole, a long situation outweighs the short question at its end; the mean
    gives each sentence the same say."""
    mean = np.mean(np.asarray(sentence_vectors, dtype=np.float32), axis=0)
    mixed = np.asarray(whole, dtype=np.float32) + share * mean / (np.linalg.norm(mean) or 1.0)
    return (mixed / (np.linalg.norm(mixed) or 1.0)).astype(np.float32)


@dataclass
class Hit:
    chunk_id: str
    score: float
    dense_rank: int | None = None
    lexical_rank: int | None = None
    dense_similarity: float | None = None
    lexical_score: float | None = None
    chunk: Chunk | None = None
    # True while the chunk has no embedding yet (progressive start): its dense score is
    # unknown, not low, so it is ranked by its BM25 score alone.
    not_embedded: bool = False
    base_score: float = 0.0      # the plain hybrid score, before the norm route and the graph
    in_norm: bool = False        # the unit belongs to a norm (a law Absatz, a Weisung Rz.)
    norm_score: float = 0.0      # z-score of the hit's norm on the norm route
    neighbour_share: float = 0.0  # share of the nearest training questions that name the hit's norm
    graph_bonus: float = 0.0     # what an edge to a better hit added
    values_for: str = ""         # a table brought because this hit (chunk id) names a level it values
    titled: str = ""             # the § title a definitional question asks for, on that §'s first Absatz
    named: str = ""              # the name in parentheses a definitional question asks for, on the unit giving it
    adapted: bool = False        # placed by the search with the adapted question vector (``index.query_adapter``)
    # Placed by the definition route: it defines the term a "Was ist …?" question asks for, or
    # gives its name in parentheses, or the § it titles (the reason "definition" says which).
    by_definition: bool = False
    # The signals that placed the hit, readable: {"dense": "rank 3, cos 0.842", "norm": "§ 22 SGB II", …}
    reasons: dict[str, str] = field(default_factory=dict)


@dataclass
class SearchResult:
    hits: list[Hit]
    retrievers: list[str]
    lexical_weight: float
    timings: dict[str, float] = field(default_factory=dict)
    dense_coverage: float = 1.0    # share of the searched chunks that have an embedding
    bridged: dict[str, list[str]] = field(default_factory=dict)   # question word -> corpus words searched for it
    named: list[str] = field(default_factory=list)   # a lookup's named units (chunk ids), first in ``hits``
    unfound: list[str] = field(default_factory=list)   # units a lookup names that the (filtered) sources lack
    sentences: list[str] = field(default_factory=list)   # a German question's sentences, embedded one by one too
    vector: np.ndarray | None = None   # the question vector the dense side searched with (None: no dense side)
    # The plain search's first ANSWERABILITY_PLACES places where a search with the adapted
    # question vector ranked ``hits`` (None: the plain search ranked them all): answerability
    # reads only these.
    plain_hits: list[Hit] | None = None
    dense_ranks: dict[str, int] = field(default_factory=dict)   # the dense side's candidates: chunk id -> rank
    # Where the dense search is exact: every unit's cosine to ``vector`` (lexical index order).
    similarities: np.ndarray | None = field(default=None, repr=False)
    # The keyword side's (weight, scores, tokens, expansion tokens, bridged words), for a second
    # search of the same question.
    lexical_side: tuple | None = field(default=None, repr=False)
    # The adapted question vector the second search ranked with, where the adaptation also
    # chooses the answer's sentences (``QueryAdaptation.sentences``); None otherwise.
    adapted_vector: np.ndarray | None = field(default=None, repr=False)
    # The adapted question vector's cosine to the nearest training question (``index.question_bank``;
    # 0.0 where the index keeps none): what answerability reads as "the corpus covers this".
    training_similarity: float = 0.0


def _z(values: list[float | None]) -> np.ndarray:
    """z-scores of the present values; absent ones get the lowest present z-score."""
    present = np.array([v for v in values if v is not None], dtype=np.float64)
    if present.size == 0:
        return np.zeros(len(values))
    mean, std = present.mean(), present.std() or 1.0
    z = np.array([(v - mean) / std if v is not None else np.nan for v in values])
    return np.nan_to_num(z, nan=float(np.nanmin(z)))


def fuse_scores(hits: list[Hit], lexical_share: float) -> None:
    """Set ``hit.score`` to the convex mix of the normalised dense and lexical scores."""
    if not hits:
        return
    dense = _z([h.dense_similarity for h in hits])
    lexical = _z([h.lexical_score for h in hits])
    has_dense = any(h.dense_similarity is not None for h in hits)
    has_lexical = any(h.lexical_score is not None for h in hits)
    share = lexical_share if (has_dense and has_lexical) else (1.0 if has_lexical else 0.0)
    for hit, d, l in zip(hits, dense, lexical):
        if hit.not_embedded:
            d = l  # unknown, not dissimilar: the passage competes on its keyword score
        hit.score = float((1 - share) * d + share * l)


def _norm_label(norm: str, absatz: str) -> str:
    """"§ 22 SGB II" with Absatz "1" -> "§ 22 Abs. 1 SGB II"."""
    if not absatz:
        return norm
    sign, number, law = (norm.split(" ", 2) + ["", ""])[:3]
    return f"{sign} {number} Abs. {absatz} {law}".strip()


def _structural_order(hits: list[Hit]) -> list[Hit]:
    """Rank by score, where the norm route and the graph only reorder the units of norms among
    themselves: they choose between §§ and Rz., they do not push a Landtag answer or another
    source without a norm down. Units of norms fill the places the plain hybrid score gives
    them, best adjusted score first; every other hit keeps its place."""
    by_base = sorted(hits, key=lambda h: -h.base_score)
    in_norm = sorted((h for h in hits if h.in_norm), key=lambda h: -h.score)
    ordered, next_norm = [], iter(in_norm)
    for hit in by_base:
        ordered.append(next(next_norm) if hit.in_norm else hit)
    return ordered


class HybridSearcher:
    """Thread-safe searcher over one index; reloads the lexical side when the collection changes."""

    def __init__(self, settings: Settings, index: ChunkIndex | None = None, retriever: str = "hybrid",
                 weights: RetrievalWeights | None = None) -> None:
        if retriever not in RETRIEVERS:
            raise ValueError(f"retriever must be one of {RETRIEVERS}")
        self.settings = settings
        self.retriever = retriever
        self.index = index or ChunkIndex(settings, create=False)
        self._lock = threading.RLock()
        self._lexical: LexicalIndex | None = None
        self._norms: NormIndex | None = None
        self._norm_matrix: np.ndarray | None = None
        self._norm_matrix_version = ""
        self._bridge: WordBridge | None = None
        self._exact: np.ndarray | None = None
        self._exact_key: tuple | None = None
        # The units' contextual vectors in the same order, and each one's cosine to its plain
        # vector (to normalise the mix); None until every unit has one.
        self._contextual: np.ndarray | None = None
        self._contextual_agreement: np.ndarray | None = None
        self._contextual_key: tuple | None = None
        self._contextual_checked = 0.0
        self._bridge_version = ""
        self._bridge_checked = 0.0
        self._adapter: QueryAdaptation | None = None
        self._adapter_version = ""
        self._adapter_checked = 0.0
        self.weights = weights or RetrievalWeights()
        self._doc_number: dict[str, int] = {}
        self._chunk_doc = np.zeros(0, dtype=np.int32)
        self._chunk_date = np.zeros(0, dtype=np.int64)
        self.dense_embedded = 0
        self.dense_total = 0
        self.catalog = DocumentCatalog()
        self.refresh()

    # -- state -----------------------------------------------------------------------
    def refresh(self) -> None:
        """(Re)load the lexical index, the document catalogue and the dense progress."""
        with self._lock:
            self._lexical = self.index.load_lexical()
            self._norms = self.index.load_norms(self._lexical)
            documents: dict[str, dict] = {}
            chunk_meta: dict[str, tuple[str, int]] = {}
            for cid, meta in self.index.iter_metadata():
                chunk_meta[cid] = (meta["doc_id"], int(meta.get("stand_date") or 0))
                info = documents.setdefault(meta["doc_id"], {
                    "doc_id": meta["doc_id"], "kind": meta.get("kind"), "title": meta.get("title"),
                    "law": meta.get("law") if meta.get("kind") == "law" else "", "fassung": meta.get("fassung"),
                    "stand": meta.get("stand"), "stand_date": int(meta.get("stand_date") or 0),
                    "doc_type": meta.get("doc_type"), "source_path": meta.get("source_path") or "",
                    "chunks": 0, "expected": 0})
                info["chunks"] += 1
                info["expected"] = max(info["expected"], int(meta.get("doc_chunks") or 0))
            self.dense_total = len(chunk_meta)
            self.catalog = DocumentCatalog(documents)
            # Per chunk, in the lexical index's order: document number and Stand, for filters.
            self._doc_number = {doc_id: n for n, doc_id in enumerate(documents)}
            missing = (-1, 0)
            self._chunk_doc = np.array([self._doc_number.get(chunk_meta.get(cid, missing)[0], -1)
                                        for cid in self._lexical.ids], dtype=np.int32)
            self._chunk_date = np.array([chunk_meta.get(cid, missing)[1] for cid in self._lexical.ids], dtype=np.int64)
            self._update_dense_progress()

    def _update_dense_progress(self) -> None:
        with self.chroma_errors():
            embedded, _ = self.index.dense_progress()
        self.dense_embedded = min(embedded, self.dense_total)

    @property
    def dense_coverage(self) -> float:
        """Share of the chunks that have an embedding (1.0 once the dense index is complete)."""
        return self.dense_embedded / self.dense_total if self.dense_total else 1.0

    @property
    def dense_complete(self) -> bool:
        return self.dense_embedded >= self.dense_total

    @property
    def lexical(self) -> LexicalIndex:
        assert self._lexical is not None
        return self._lexical

    def ensure_current(self) -> None:
        """One cheap call: reload the BM25 side and the document catalogue when another
        process (an ingest run, another app worker's admin) changed the collection."""
        local = self.index.local_version()
        with self.chroma_errors():
            stamped = self.index.stamped_version() if self.settings.uses_chroma_server else None
        if stamped and stamped != local and stamped != self.lexical.version:
            # Another machine ingested into the shared collection: take its chunks over.
            self.index.refresh_from_collection()
            self.refresh()
        elif local and local != self.lexical.version:
            self.refresh()
        elif not self.dense_complete:
            with self._lock:
                self._update_dense_progress()

    @contextmanager
    def chroma_errors(self):
        """Turn a lost connection to the Chroma server into one clear error; the next call
        after the server is back works again (the HTTP client connects per request)."""
        try:
            yield
        except ChromaUnavailableError:
            raise
        except (httpx.HTTPError, ConnectionError, OSError) as exc:
            settings = self.settings
            where = (f"Chroma server at {settings.chroma_host}:{settings.chroma_port}" if settings.uses_chroma_server
                     else f"Chroma folder {settings.chroma_path}")
            raise ChromaUnavailableError(f"{where} is not reachable ({type(exc).__name__}); "
                                         "try again when it is back") from exc

    # -- search ----------------------------------------------------------------------
    def lexical_weight(self, question: str) -> float:
        """Share of the question's terms the corpus vocabulary knows (1.0 for German questions
        about indexed topics, low for questions in another language)."""
        return self.lexical.known_fraction(question)

    def _allowed_mask(self, search_filter: SearchFilter) -> np.ndarray | None:
        """Which chunks (in the lexical index's order) the filter lets through; None = all.
        Vectorised, so a filtered search stays cheap at a million chunks."""
        allowed_docs = self.catalog.allowed_documents(search_filter)
        lo = date_to_int(search_filter.stand_from) if search_filter.stand_from else None
        hi = date_to_int(search_filter.stand_to) if search_filter.stand_to else None
        if allowed_docs == set(self.catalog.documents) and lo is None and hi is None:
            return None
        wanted = np.array([self._doc_number[d] for d in allowed_docs if d in self._doc_number], dtype=np.int32)
        mask = np.isin(self._chunk_doc, wanted)
        if lo is not None:
            mask &= self._chunk_date >= lo
        if hi is not None:
            mask &= self._chunk_date <= hi
        return mask

    def _dense_candidates(self, vector: np.ndarray, n: int, where: dict | None, allowed: np.ndarray | None,
                          lexical: LexicalIndex, embedded: int, sims: np.ndarray | None = None) -> list[tuple[str, float]]:
        """The ``n`` nearest embedded chunks the filter allows. A filtered Chroma query scans
        the metadata first (30 ms against 5 here, for the default filter that only drops
        superseded Fassungen); when the filter keeps most chunks, the unfiltered nearest
        ``POST_FILTER_FACTOR * n`` are asked for and filtered here, and only when too few of
        them pass does the filtered query run. ``sims``: every chunk's exact similarity
        (``_exact_similarities``), None where the search is not exact."""
        if sims is not None:
            return [(lexical.ids[int(i)], float(sims[i])) for i in top_positions(sims, n, allowed)]
        if where is None or allowed is None:
            return self.index.query_dense(vector, n, where)
        if allowed.mean() >= POST_FILTER_MIN_SHARE:
            wide = min(embedded, POST_FILTER_FACTOR * n)
            kept = []
            for cid, similarity in self.index.query_dense(vector, wide, None):
                i = lexical.position(cid)
                if i is not None and allowed[i]:
                    kept.append((cid, similarity))
            if len(kept) >= n or wide >= embedded:
                return kept[:n]
        return self.index.query_dense(vector, n, where)

    def _exact_matrix(self, lexical: LexicalIndex, embedded: int) -> np.ndarray | None:
        """Every chunk's stored vector in the lexical index's order, once the embedded dense
        index is complete and not larger than EXACT_DENSE_MAX (None otherwise, and with a Chroma
        server: Chroma's graph decides)."""
        total = len(lexical.ids)
        # A Chroma server is shared by several machines and is the source of truth while it
        # runs: the assistant asks it every time (and says so when it is gone).
        if not total or embedded < total or total > EXACT_DENSE_MAX or self.settings.uses_chroma_server:
            return None
        key = (lexical.version, embedded)
        with self._lock:
            if self._exact_key == key:
                return self._exact
        with self.chroma_errors():
            stored = self.index.vectors(list(lexical.ids))
        if len(stored) < total:
            return None
        matrix = np.stack([stored[cid] for cid in lexical.ids]).astype(np.float32)
        with self._lock:
            self._exact, self._exact_key = matrix, key
        return matrix

    CONTEXT_RETRY_S = 30.0

    def _contextual_matrix(self, lexical: LexicalIndex, plain: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """The units' contextual vectors (``index.chunk_index.contextual_text``) in the lexical
        index's order, with each one's cosine to the plain vector; None until the write path
        has stored one for every unit (checked again every ``CONTEXT_RETRY_S`` seconds: the
        query thread never embeds them itself)."""
        norms = self._norms
        if norms is None or norms.version != lexical.version:
            return None
        key = (lexical.version, len(plain))
        with self._lock:
            if self._contextual_key == key and self._contextual is not None:
                return self._contextual, self._contextual_agreement
            now = time.monotonic()
            if self._contextual_key == key and now - self._contextual_checked < self.CONTEXT_RETRY_S:
                return None
            self._contextual, self._contextual_key, self._contextual_checked = None, key, now
        # A unit whose context adds nothing to its embedded text keeps its plain vector.
        texts = contextual_texts(norms, self.index.chunks(norms.ids))
        stored = self.index.sentence_vectors.get(self.index.model_identity[0], PASSAGE, list(set(texts.values())))
        if len(stored) < len(set(texts.values())):
            return None
        matrix = np.stack([stored[texts[cid]] if cid in texts else plain[i]
                           for i, cid in enumerate(lexical.ids)]).astype(np.float32)
        agreement = np.einsum("ij,ij->i", matrix, plain)
        with self._lock:
            self._contextual, self._contextual_agreement = matrix, agreement
        return matrix, agreement

    def _exact_similarities(self, vector: np.ndarray, lexical: LexicalIndex, embedded: int,
                            context_share: float) -> np.ndarray | None:
        """Cosine of the question to every unit's dense vector, in the lexical index's order
        (None where the search is not exact): the plain vector, or, once every unit has its
        contextual vector, the normalised mix ``(1 - s) plain + s contextual``."""
        plain = self._exact_matrix(lexical, embedded)
        if plain is None:
            return None
        vector = np.asarray(vector, dtype=np.float32)
        sims = plain @ vector
        contextual = self._contextual_matrix(lexical, plain) if context_share else None
        if contextual is None:
            return sims
        matrix, agreement = contextual
        s = context_share
        length = np.sqrt((1 - s) ** 2 + s ** 2 + 2 * s * (1 - s) * agreement)
        return ((1 - s) * sims + s * (matrix @ vector)) / length

    def search(self, question: str, search_filter: SearchFilter | None = None, k: int = 10,
               depth: int = 50, query_vector: np.ndarray | None = None,
               weights: RetrievalWeights | None = None) -> SearchResult:
        """The ``k`` best passages: dense and BM25 candidates, the units of the best-matching
        norms and their graph neighbours, ranked by one fused score (see the module doc); where
        the index adapted the question side to the corpus, ranked again by the same search with
        the adapted question vector (all places, or those after the plain search's first
        ``ADAPTER_KEEP`` for the linear adapter)."""
        weights = weights or self.weights
        result = self._search(question, search_filter, k, depth, query_vector, weights)
        if not (weights.adapter and self.retriever == "hybrid" and result.vector is not None and not result.named
                and len(result.hits) > ANSWERABILITY_PLACES):
            return result
        adaptation = self._query_adaptation(self.lexical)
        if adaptation is None:
            return result
        t0 = time.perf_counter()
        second_weights = weights if adaptation.norm_route else replace(weights, norm=0.0)
        if adaptation.tuned_lexical and not cites_a_law(question):
            second_weights = replace(second_weights, lexical_share=weights.lexical_share * weights.tuned_lexical)
        adapted = adaptation.vector(question, result.vector)
        votes = None
        if adaptation.bank is not None:
            near = adaptation.bank.neighbourhood(adapted)
            result.training_similarity = near.nearest
            votes = near.shares if second_weights.neighbours else None
        second = self._search(question, search_filter, k, depth, None, second_weights,
                              final_vector=adapted, lexical_side=result.lexical_side, norm_votes=votes)
        if adaptation.sentences:
            result.adapted_vector = adapted
        self._take_adapted_places(result, second, k, weights, adaptation.kept_places)
        result.timings["adapter"] = (time.perf_counter() - t0) * 1000
        return result

    def _take_adapted_places(self, result: SearchResult, second: SearchResult, k: int,
                             weights: RetrievalWeights, keep: int) -> None:
        """``result``'s first ``keep`` hits, then ``second``'s best that are not among them (then
        ``result``'s own, should ``second`` have too few). Each place ``second`` gave says so
        (the reason "adapter"); a hit only ``second`` found gets its dense similarity to the
        plain question vector (what answerability reads)."""
        plain = result.hits
        main = plain[:k]
        result.plain_hits = list(main[:ANSWERABILITY_PLACES])
        own = {h.chunk_id: h for h in main}
        seen = {h.chunk_id for h in main[:keep]}
        ranked = list(main[:keep])
        place = {h.chunk_id: n for n, h in enumerate(second.hits[:k], start=1)}
        for hit in second.hits[:k] + main[keep:]:
            if len(ranked) >= k:
                break
            if hit.chunk_id not in seen:
                seen.add(hit.chunk_id)
                # A unit the plain search also placed keeps its own scores and reasons.
                ranked.append(own.get(hit.chunk_id, hit))
        brought = [hit for hit in ranked if hit.chunk_id not in own]
        for hit in brought:
            hit.adapted = True
            hit.dense_similarity = None
            hit.dense_rank = result.dense_ranks.get(hit.chunk_id)
        with self.chroma_errors():
            self._fill_dense(result.vector, brought, self.lexical, result.similarities)
        for hit in brought:
            hit.reasons.pop("dense", None)
            self._explain(hit)
        voted = {h.chunk_id: h for h in second.hits if "neighbours" in h.reasons}
        for hit in ranked[keep:]:
            if hit.chunk_id in place:
                hit.reasons["adapter"] = f"angepasstes Fragemodell, Platz {place[hit.chunk_id]}"
            if hit.chunk_id in voted:
                # The vote counted in the search that placed it, also where the plain one found it too.
                hit.neighbour_share = voted[hit.chunk_id].neighbour_share
                hit.reasons["neighbours"] = voted[hit.chunk_id].reasons["neighbours"]
        # A table valuing a level of one of the best units stays, as in the plain search.
        leaders = {h.chunk_id for h in ranked[:weights.graph_top]}
        for hit in plain[k:] + second.hits[k:]:
            if hit.values_for in leaders and hit.chunk_id not in seen:
                seen.add(hit.chunk_id)
                ranked.append(hit)
        result.hits = ranked

    def _search(self, question: str, search_filter: SearchFilter | None, k: int, depth: int,
                query_vector: np.ndarray | None, weights: RetrievalWeights,
                final_vector: np.ndarray | None = None, lexical_side: tuple | None = None,
                norm_votes: dict[str, float] | None = None) -> SearchResult:
        """One search. ``final_vector``: the dense side's question vector as it is (the
        question is not embedded again, its sentences are not mixed in); ``lexical_side``: the
        keyword side an earlier search of the same question computed (``SearchResult.lexical_side``);
        ``norm_votes``: each norm's share of the training questions nearest to it (``index.question_bank``)."""
        search_filter = search_filter or SearchFilter()
        timings: dict[str, float] = {}
        with self._lock:
            allowed = self._allowed_mask(search_filter)
            where = self.catalog.chroma_where(search_filter)
            embedded, complete = self.dense_embedded, self.dense_complete
            lexical, norms = self.lexical, self._norms
        allowed_count = int(allowed.sum()) if allowed is not None else None
        if allowed_count == 0:
            from retrieval.answer import FilterError

            raise FilterError(f"Die Filter treffen auf keine Passage zu ({search_filter.describe()}); "
                              "filters match no passage.")
        use_dense = self.retriever in ("hybrid", "dense") and bool(embedded)
        use_lexical = self.retriever in ("hybrid", "bm25")
        structured = norms is not None and self.retriever != "dense" and norms.version == lexical.version
        vector = None
        german = detect_language(question) == "de"
        sentences: list[str] = []
        exact_sims: np.ndarray | None = None
        dense: list[tuple[str, float]] = []
        used = []
        if use_dense:
            t0 = time.perf_counter()
            if final_vector is not None:
                vector = np.asarray(final_vector, dtype=np.float32)
            else:
                vector = np.asarray(query_vector if query_vector is not None
                                    else self.index.query_embedder.embed_query(question), dtype=np.float32)
                timings["embed_query"] = (time.perf_counter() - t0) * 1000
            if weights.sentence_vector and german and final_vector is None:
                sentences = question_sentences(question)
                if len(sentences) >= 2:
                    t0 = time.perf_counter()
                    vector = with_sentence_vectors(vector, embed_queries(self.index.query_embedder, sentences),
                                                   weights.sentence_vector)
                    timings["embed_sentences"] = (time.perf_counter() - t0) * 1000
                else:
                    sentences = []
            t0 = time.perf_counter()
            with self.chroma_errors():
                n = min(depth, max(1, min(allowed_count, embedded) if allowed_count is not None else embedded))
                # Once per question: the dense candidates and every other candidate's dense
                # score come from the same exact similarities.
                exact_sims = self._exact_similarities(vector, lexical, embedded, weights.context_vector)
                dense = self._dense_candidates(vector, n, where, allowed, lexical, embedded, exact_sims)
            timings["dense"] = (time.perf_counter() - t0) * 1000
            used.append("dense")

        # -- lexical side: the question's terms, their lemmas and synonyms, the context field
        weight = 0.0
        scores = np.zeros(len(lexical.ids), dtype=np.float32)
        tokens: list[str] = []
        extra: list[str] = []
        bridged: dict[str, list[str]] = {}
        lexical_question = question
        if lexical_side is not None:
            # The second search of one question (the adapted vector): the same keyword side.
            weight, scores, tokens, extra, bridged = lexical_side
        score_keywords = use_lexical and lexical_side is None
        if score_keywords and structured and weights.bridge_top and not german:
            # A question in another language searches the keyword index with the corpus words
            # nearest to its own (``index.word_bridge``).
            t0 = time.perf_counter()
            bridged = self._bridged_words(question, lexical, weights)
            if bridged:
                lexical_question = " ".join([question, *(w for words in bridged.values() for w in words)])
            timings["bridge"] = (time.perf_counter() - t0) * 1000
        if score_keywords:
            t0 = time.perf_counter()
            tokens = lexical.tokens(lexical_question)
            scores = lexical.token_scores(tokens)
            if structured and weights.expansion:
                extra = expansion_tokens(lexical_question, lexical.tokens, lexical.vocabulary)
                if extra:
                    scores = scores + weights.expansion * lexical.token_scores(extra)
            if structured and weights.context:
                scores = scores + weights.context * norms.context_scores(tokens + extra)
            if allowed is not None:
                scores = np.where(allowed, scores, 0.0)
            timings["bm25"] = (time.perf_counter() - t0) * 1000
            weight = 1.0 if self.retriever == "bm25" else self.lexical_weight(lexical_question)
        if lexical_side is None:
            lexical_side = (weight, scores, tokens, extra, bridged)
        top_lexical = [int(i) for i in top_positions(scores, depth)]
        if top_lexical:
            used.append("bm25")

        # -- candidates and their scores
        position = lexical.positions
        hits: dict[str, Hit] = {}
        for rank, (cid, sim) in enumerate(dense, start=1):
            hits[cid] = Hit(cid, 0.0, dense_rank=rank, dense_similarity=sim)
        for rank, i in enumerate(top_lexical, start=1):
            hit = hits.setdefault(lexical.ids[i], Hit(lexical.ids[i], 0.0))
            hit.lexical_rank = rank
        norm_z = None
        if structured:
            t0 = time.perf_counter()
            norm_z = self._route_norms(norms, tokens + extra, vector, allowed, weights)
            for n in np.argsort(-norm_z)[:weights.norm_top]:
                for cid in norms.units_of(norms.norm_keys[n]):
                    i = position.get(cid)
                    if i is not None and (allowed is None or allowed[i]):
                        hits.setdefault(cid, Hit(cid, 0.0)).reasons.setdefault("norm", norms.norm_keys[n])
            timings["norms"] = (time.perf_counter() - t0) * 1000
        # "Was ist eine Bedarfsgemeinschaft?": the unit holding the legal definition of the asked
        # term is a candidate, whatever its length does to its BM25 score.
        defining: list[str] = []
        naming: list[str] = []
        if structured and weights.definition:
            term = asked_term(question)
            if term:
                defining = self._defining_units(norms, term, allowed)
                for cid in defining:
                    hit = hits.setdefault(cid, Hit(cid, 0.0))
                    hit.reasons["definition"] = f"definiert {term}"
                    hit.by_definition = True
            # A legal definition of the term comes before a name in parentheses or a title
            # ("Bemessungsentgelt ist …", § 151 SGB III, before "… (Bemessungsentgelt)", § 149).
            phrases = asked_phrases(question) if not defining else []
            name, naming = self._naming_units(norms, phrases, allowed)
            reason, titled = f"benennt ({name})", False
            if not naming and weights.title_route:
                name, naming = self._titled_units(norms, phrases, allowed)
                reason, titled = f"Überschrift ({name})", True
            for cid in naming:
                hit = hits.setdefault(cid, Hit(cid, 0.0))
                hit.reasons["definition"] = reason
                hit.by_definition = True
                hit.titled, hit.named = (name, "") if titled else ("", name)
        # "Was steht in § 7 Abs. 3 SGB II?": the named units are the answer, first in law order.
        named, unfound = self._named_units(norms, named_references(question), allowed) if structured else ([], [])
        for cid in named:
            hits.setdefault(cid, Hit(cid, 0.0)).reasons["named"] = "in der Frage genannt"
        share = weights.lexical_share * weight if self.retriever == "hybrid" else weight

        def score_all() -> None:
            for cid, hit in hits.items():
                i = position.get(cid)
                if use_lexical and i is not None:
                    hit.lexical_score = float(scores[i])
            if use_dense:
                self._fill_dense(vector, [h for h in hits.values() if h.dense_similarity is None and not h.not_embedded],
                                 lexical, exact_sims)
                if not complete:
                    self._mark_not_embedded([h for h in hits.values() if h.dense_similarity is None])
            fuse_scores(list(hits.values()), share)
            for hit in hits.values():
                hit.base_score = hit.score
                n = norms.chunk_norm[position[hit.chunk_id]] if structured and hit.chunk_id in position else -1
                hit.in_norm = n >= 0
                if n >= 0 and weights.norm:
                    hit.norm_score = float(norm_z[n])
                    hit.score += weights.norm * hit.norm_score
                if n >= 0 and norm_votes:
                    hit.neighbour_share = norm_votes.get(norms.norm_keys[n], 0.0)
                    hit.score += weights.neighbours * hit.neighbour_share

        score_all()
        graph_from: dict[str, tuple[str, str]] = {}
        if structured and weights.graph:
            # A Weisung Rz. among the best brings the Absatz it explains, and the other way round.
            leaders = sorted(hits.values(), key=lambda h: -h.score)[:weights.graph_top]
            links = [(leader.chunk_id, cid, relation) for leader in leaders
                     for cid, relation in self._neighbours(norms, leader.chunk_id)
                     if cid in position and (allowed is None or allowed[position[cid]])]
            if any(cid not in hits for _, cid, _ in links):
                for _, cid, _ in links:
                    hits.setdefault(cid, Hit(cid, 0.0))
                score_all()
            for leader_id, cid, relation in links:
                leader, hit = hits[leader_id], hits[cid]
                bonus = weights.graph * max(0.0, leader.score - hit.score)
                if bonus > hit.graph_bonus:
                    hit.score += bonus - hit.graph_bonus
                    hit.graph_bonus = bonus
                    # Said from the brought unit's side: an Absatz is "erläutert in" the Rz.
                    # that brought it, a Rz. "erläutert" the Absatz that brought it, a table
                    # "beziffert" the unit that names its level.
                    graph_from[cid] = (_FROM_BROUGHT_SIDE[relation], leader_id)
                    hit.values_for = leader_id if relation == "beziffert in" else ""
        # The legal definition answers a definitional question ("Was ist eine
        # Bedarfsgemeinschaft?": § 7 Abs. 3 SGB II, not § 38 Abs. 1, which uses the word); where
        # none defines the term, the sentence giving the asked name in parentheses ("Was ist eine
        # Sperrzeit bei Arbeitsaufgabe?": § 159 Abs. 1 SGB III) or the first Absatz of the § the
        # title names. Their units lead.
        leading = defining or naming
        if leading:
            best = max(hit.score for hit in hits.values())
            for cid in leading:
                hits[cid].score = max(hits[cid].score, best + DEFINITION_LEAD)
        ranked = _structural_order(list(hits.values()))
        if named:
            first = set(named[:k])
            ranked = [hits[cid] for cid in named[:k]] + [hit for hit in ranked if hit.chunk_id not in first]
        ranked = ranked[:k]
        # A table valuing a level that one of the best units names stays with the result, after
        # the k best if it ranks lower: the answer may need its figure (``index.levels``).
        kept = {h.chunk_id for h in ranked}
        leaders = {h.chunk_id for h in ranked[:weights.graph_top]}
        ranked += [hit for hit in hits.values() if hit.values_for in leaders and hit.chunk_id not in kept]
        chunks = self.index.chunks([h.chunk_id for h in ranked] + [leader for _, leader in graph_from.values()])
        for hit in ranked:
            hit.chunk = chunks.get(hit.chunk_id)
            if hit.chunk_id in graph_from:
                relation, leader_id = graph_from[hit.chunk_id]
                leader = chunks.get(leader_id)
                hit.reasons["graph"] = f"{relation} {leader.label if leader is not None else leader_id}"
            self._explain(hit)
        coverage = self.dense_coverage if "dense" in used else 0.0
        return SearchResult([h for h in ranked if h.chunk is not None], used, weight, timings, coverage, bridged,
                            [cid for cid in named[:k] if chunks.get(cid) is not None], unfound, sentences, vector,
                            dense_ranks={cid: rank for rank, (cid, _) in enumerate(dense, start=1)},
                            similarities=exact_sims, lexical_side=lexical_side)

    # -- the question side adapted to the corpus -------------------------------------
    def _query_adaptation(self, lexical: LexicalIndex) -> QueryAdaptation | None:
        """The second search's question vector: the plain vector mixed with the fine-tuned query
        encoder's (``index.query_encoder``; it ranks every place) or, where the index has none,
        with the linear query adapter's (``index.query_adapter``; after the plain search's first
        ``ADAPTER_KEEP`` places); fitted on the current content and
        model (read once per content version; while there is none, looked for again every
        ``BRIDGE_RETRY_S`` seconds: the background embedder fits it last). None when the settings
        name no training questions (turned off) or nothing fits."""
        if self.settings.query_adapter_questions is None:
            return None
        with self._lock:
            if self._adapter_version == lexical.version and (
                    self._adapter is not None or time.monotonic() - self._adapter_checked < self.BRIDGE_RETRY_S):
                return self._adapter
            self._adapter = self._load_adaptation(lexical.version)
            self._adapter_version, self._adapter_checked = lexical.version, time.monotonic()
            return self._adapter

    def _load_adaptation(self, version: str) -> QueryAdaptation | None:
        model = self.index.model_identity[0]
        encoder = self.index.query_encoder(with_layers=True)
        if encoder is not None and encoder.fits(version, model) and encoder.layers:
            try:
                engine = load_tuned_query_engine(self.settings.models_dir, encoder.layers)
            except EmbeddingModelError as exc:
                log.warning("tuned query encoder not loaded, the linear adapter or none is used: %s", exc)
            else:
                # Kept like the plain question vectors (``CachedEmbedder``): a repeated question
                # is not embedded again.
                tuned = functools.lru_cache(maxsize=QUERY_CACHE_SIZE)(engine.embed_query)
                bank = self.index.question_bank()
                return QueryAdaptation(lambda question, vector: encoder_mixed(vector, tuned(question)), ENCODER_KEEP,
                                       norm_route=False, sentences=True, tuned_lexical=True, bank=bank)
        adapter = StoredAdapter.from_meta(self.index.store.get_meta(ADAPTER_META_KEY))
        if adapter is not None and adapter.fits(version, model):
            return QueryAdaptation(lambda question, vector: adapter.mixed(vector), ADAPTER_KEEP)
        return None

    # -- questions in other languages ------------------------------------------------
    BRIDGE_RETRY_S = 30.0

    def _word_bridge(self, lexical: LexicalIndex) -> WordBridge | None:
        """The word bridge of the current content, once every word has its stored vector (while
        the index is still being built, checked again every ``BRIDGE_RETRY_S`` seconds: the
        query thread never embeds the corpus's words itself)."""
        with self._lock:
            if self._bridge is not None and self._bridge_version == lexical.version:
                return self._bridge
            now = time.monotonic()
            if self._bridge_version == lexical.version and now - self._bridge_checked < self.BRIDGE_RETRY_S:
                return None
            self._bridge, self._bridge_version, self._bridge_checked = None, lexical.version, now
            version, words = read_meta(self.index.store.get_meta(BRIDGE_META_KEY))
            if version != lexical.version or not words:
                return None
            found = self.index.sentence_vectors.get(self.index.model_identity[0], PASSAGE, words)
            if len(found) < len(words):
                return None
            self._bridge = WordBridge(words, np.stack([found[w] for w in words]))
            return self._bridge

    def nearest_corpus_words(self, words: Sequence[str], top: int = COVERAGE_BRIDGE_TOP,
                             min_similarity: float = COVERAGE_BRIDGE_MIN) -> dict[str, list[str]]:
        """For each of ``words``, the corpus words nearest to it in the embedding (the word
        bridge; {} while the index is still being built): "Auto" → "Kraftfahrzeug", "verpasse" →
        "versäumen". Answerability counts a question word as covered by them."""
        bridge = self._word_bridge(self.lexical)
        if bridge is None or not words:
            return {}
        return bridge.translate(list(words), self.index.comparison_embedder(), top=top, min_similarity=min_similarity)

    def _bridged_words(self, question: str, lexical: LexicalIndex, weights: RetrievalWeights) -> dict[str, list[str]]:
        """Corpus words for the words of ``question`` that the keyword index does not know."""
        bridge = self._word_bridge(lexical)
        if bridge is None:
            return {}
        unknown = [w for w in question_words(question) if lexical.known_fraction(w) < 1.0]
        return bridge.translate(unknown, self.index.comparison_embedder(), top=weights.bridge_top,
                                min_similarity=weights.bridge_min)

    # -- the structure of the law ----------------------------------------------------
    def _norm_vectors(self, norms: NormIndex) -> np.ndarray:
        """Embeddings of the norm profiles (short texts: where a small model is at its best);
        stored by the write path beside the sentence vectors, read once per norm index."""
        with self._lock:
            if self._norm_matrix is None or self._norm_matrix_version != norms.version:
                texts = norms.profile_texts()
                embedder = self.index.comparison_embedder()
                self._norm_matrix = (np.asarray(embedder.embed_passages(texts), dtype=np.float32)
                                     if texts else np.zeros((0, 1), dtype=np.float32))
                self._norm_matrix_version = norms.version
            return self._norm_matrix

    def _route_norms(self, norms: NormIndex, tokens: list[str], vector: np.ndarray | None,
                     allowed: np.ndarray | None, weights: RetrievalWeights) -> np.ndarray:
        """Score of every norm for the question, on a z scale: its profile's BM25 as rank-based
        normal scores (``normal_scores``) and (with a query vector) the z-score of its profile
        embedding's similarity, mixed; norms with no searchable unit get the lowest score.

        BM25 over 511 profiles is sparse: when one profile alone holds a question word, the
        z-score of its weak match was 22 ("Muss ich umziehen, wenn meine Wohnung zu teuer
        ist?": § 6 SGB II, 0.95 for "Wohnung", ahead of every norm the embedding preferred).
        Ranks bound the best norm at about +3.1 however sparse the scores."""
        count = len(norms.norm_keys)
        if not count:
            return np.zeros(0)
        searchable = np.zeros(count, dtype=bool)
        units = norms.chunk_norm if allowed is None else norms.chunk_norm[allowed[:len(norms.chunk_norm)]]
        searchable[units[units >= 0]] = True
        if not searchable.any():
            return np.full(count, -9.0)
        lexical = norms.norm_scores(tokens)
        total = np.zeros(count)
        dense_share = 1.0
        if lexical.any():
            dense_share = 1.0 - weights.norm_lexical_share
            ranked = np.zeros(count)
            ranked[searchable] = normal_scores(lexical[searchable])
            total += weights.norm_lexical_share * ranked
        if vector is not None:
            values = self._norm_vectors(norms) @ vector
            present = values[searchable]
            total += dense_share * (values - present.mean()) / (present.std() or 1.0)
        elif not lexical.any():
            return np.zeros(count)
        return np.where(searchable, total, total[searchable].min())

    def _fill_dense(self, vector: np.ndarray, hits: list[Hit], lexical: LexicalIndex | None = None,
                    sims: np.ndarray | None = None) -> None:
        """Dense similarity of candidates that came by another way (stored vectors, no model
        call; where the search is exact, the same ``sims`` as the dense candidates)."""
        if not hits:
            return
        if sims is not None and lexical is not None:
            for hit in hits:
                i = lexical.position(hit.chunk_id)
                if i is not None:
                    hit.dense_similarity = float(sims[i])
            return
        with self.chroma_errors():
            vectors = self.index.vectors([h.chunk_id for h in hits])
        for hit in hits:
            stored = vectors.get(hit.chunk_id)
            if stored is not None:
                hit.dense_similarity = float(stored @ vector)

    def _allowed_units(self, norms: NormIndex, keys: list[str], allowed: np.ndarray | None, absatz: str = "") -> list[str]:
        """The indexed law units of the norms ``keys`` (of ``absatz`` only, when given) that the
        filters allow."""
        position = self.lexical.positions
        return [cid for key in keys for cid in norms.units_of(key, absatz)
                if cid in position and (allowed is None or allowed[position[cid]])]

    def _named_units(self, norms: NormIndex, references: list, allowed: np.ndarray | None) -> tuple[list[str], list[str]]:
        """(units, unfound) of a lookup: the law units it names, in the law's order (of each
        named § or Absatz the units of the newest Fassung the filters allow), and the labels of
        the named units that have none ("§ 159 SGB II", "§ 22 AufenthG")."""
        out: list[str] = []
        unfound: list[str] = []
        for ref in references:
            units = self._allowed_units(norms, [ref.norm], allowed, ref.absatz)
            if not units:
                unfound.append(ref.label)
                continue
            out += [cid for cid in self._newest_fassung(norms, units) if cid not in out]
        return out, unfound

    def _newest_fassung(self, norms: NormIndex, ids: list[str]) -> list[str]:
        """Of each norm's units among ``ids`` (all indexed), those of its newest Fassung."""
        position = self.lexical.positions
        newest: dict[str, int] = {}
        for cid in ids:
            norm = norms.norm_of(cid)
            newest[norm] = max(newest.get(norm, 0), int(self._chunk_date[position[cid]]))
        return [cid for cid in ids if int(self._chunk_date[position[cid]]) == newest[norms.norm_of(cid)]]

    def _defining_units(self, norms: NormIndex, term: str, allowed: np.ndarray | None) -> list[str]:
        """The law units (of the norms whose profile lists ``term`` among its defined terms)
        with a sentence that defines it for the whole law, not only for its own provision; of
        each norm the newest Fassung the filters allow."""
        keys = [key for key in norms.norm_keys if any(same_term(d, term) for d in norms.profiles[key].definitions)]
        ids = self._allowed_units(norms, keys, allowed)
        chunks = self.index.chunks(ids) if ids else {}
        return self._newest_fassung(norms, [cid for cid in ids if cid in chunks and any(
            defines(chunks[cid].text[start:end], term) for start, end in split_sentences(chunks[cid].text))])

    def _naming_units(self, norms: NormIndex, phrases: list[str], allowed: np.ndarray | None) -> tuple[str, list[str]]:
        """The name the law gives in parentheses that one of the question's phrases
        (``asked_phrases``) is, and the law units with the sentence giving it, of each norm the
        newest Fassung the filters allow: "Was ist eine Sperrzeit bei Arbeitsaufgabe?" ->
        "Sperrzeit bei Arbeitsaufgabe", § 159 Abs. 1 SGB III."""
        wanted = asked_name((n for key in norms.norm_keys for n in norms.profiles[key].named), phrases)
        if not wanted:
            return "", []
        keys = [key for key in norms.norm_keys if any(same_name(n, wanted) for n in norms.profiles[key].named)]
        ids = self._allowed_units(norms, keys, allowed)
        chunks = self.index.chunks(ids) if ids else {}
        return wanted, self._newest_fassung(norms, [cid for cid in ids if cid in chunks and gives_name(chunks[cid].text, wanted)])

    def _titled_units(self, norms: NormIndex, phrases: list[str], allowed: np.ndarray | None) -> tuple[str, list[str]]:
        """The title of the one § that one of the question's phrases is, and that §'s first Absatz
        (newest Fassung the filters allow): a law introduces what its § is called there ("Was
        ist das Einstiegsgeld?" -> § 16b Abs. 1 SGB II). A title several §§ share ("Anspruch",
        "Verordnungsermächtigung") names none of them."""
        wanted = asked_name((norms.profiles[key].title for key in norms.norm_keys if norms.profiles[key].title), phrases)
        if not wanted:
            return "", []
        keys = [key for key in norms.norm_keys if same_name(norms.profiles[key].title, wanted)]
        if len(keys) != 1:
            return "", []
        units = self._allowed_units(norms, keys, allowed)
        if not units:
            return "", []
        units = self._newest_fassung(norms, units)
        order = {cid: absatz_order(norms.absatz_of(cid)) for cid in units}
        first = min(order.values())
        return wanted, [cid for cid in units if order[cid] == first]

    @staticmethod
    def _neighbours(norms: NormIndex, chunk_id: str) -> list[tuple[str, str]]:
        """Units one edge away: the Absatz a Rz. explains; the Rz. that explain an Absatz; the
        tables that value a level the unit names ("in Höhe der Regelbedarfsstufe 1")."""
        out = [(cid, "beziffert in") for cid in norms.valued_in(chunk_id)]
        edge = norms.explains(chunk_id)
        if edge is not None:
            out += [(cid, "erläutert") for cid in norms.units_of(edge.norm, edge.absatz)]
        norm, absatz = norms.norm_of(chunk_id), norms.absatz_of(chunk_id)
        if norm and absatz:
            for cid in norms.explained_by(norm):
                explains = norms.explains(cid)
                if explains is not None and explains.absatz == absatz:
                    out.append((cid, "erläutert in"))
        return out

    def links(self, chunk_id: str, limit: int = 3) -> list[str]:
        """The unit's neighbours in the reference graph, as a card shows them: "Erläutert in FW
        § 22 SGB II, Rz. 22.41" (for an Absatz), "Erläutert § 22 Abs. 1 SGB II" (for a Rz.),
        "Verweist auf § 12 Abs. 2 SGB II", "Erlassen auf Grund von § 13 SGB II" (for a unit of a
        Verordnung), "Grundlage der Bürgergeld-V" (for the § that empowers it)."""
        norms = self._norms
        if norms is None:
            return []
        out: list[str] = []
        explains = norms.explains(chunk_id)
        if explains is not None:
            out.append(f"Erläutert {_norm_label(explains.norm, explains.absatz)}")
        explained_in = [cid for cid, relation in self._neighbours(norms, chunk_id) if relation == "erläutert in"]
        labels = self.index.chunks(explained_in[:limit])
        out += [f"Erläutert in {labels[cid].label}" for cid in explained_in[:limit] if cid in labels]
        cited = norms.citations(chunk_id)[:limit]
        out += [f"Verweist auf {_norm_label(e.norm, e.absatz)}" for e in cited]
        tables = self.index.chunks(norms.valued_in(chunk_id)[:limit])
        out += [f"Beziffert in {chunk.label}" for chunk in tables.values()]
        out += [f"Erlassen auf Grund von {_norm_label(e.norm, e.absatz)}" for e in norms.empowered_by(chunk_id)[:limit]]
        out += [f"Grundlage der {law}" for law in norms.empowers(chunk_id)[:limit]]
        return out

    def _explain(self, hit: "Hit") -> None:
        """The signals that placed the hit, in words a report and the expert view can show."""
        reasons = hit.reasons
        if hit.dense_rank:
            reasons["dense"] = f"rank {hit.dense_rank}, cos {hit.dense_similarity:.3f}"
        elif hit.dense_similarity is not None:
            reasons["dense"] = f"cos {hit.dense_similarity:.3f} (not in the dense top)"
        if hit.lexical_rank:
            reasons["bm25"] = f"rank {hit.lexical_rank}, score {hit.lexical_score:.2f}"
        if hit.norm_score:
            reasons["norm_route"] = f"{hit.norm_score:+.2f}"
        if hit.neighbour_share >= 0.005:
            reasons["neighbours"] = f"{hit.neighbour_share:.0%} der nächsten Trainingsfragen"

    def _mark_not_embedded(self, hits: list[Hit]) -> None:
        """While the dense index is being built, tell chunks without an embedding apart from
        embedded chunks that are merely not among the nearest (one Chroma call)."""
        if not hits:
            return
        with self.chroma_errors():
            present = self.index.embedded([h.chunk_id for h in hits])
        for hit in hits:
            hit.not_embedded = hit.chunk_id not in present
