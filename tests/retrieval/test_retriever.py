"""The LangChain retriever with metadata filters."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def make_retriever(assistant):
    from retrieval.retriever import FundstelleRetriever

    def make(**kwargs):
        return FundstelleRetriever(searcher=assistant.searcher, **kwargs)

    return make


def test_returns_langchain_documents_with_citation_metadata(make_retriever):
    docs = make_retriever(k=5).invoke("Ab wann gilt man als langzeitarbeitslos?")
    assert len(docs) == 5
    top = docs[0]
    assert top.metadata["label"].startswith("§ 18 Abs. 1 SGB III")
    assert top.metadata["url"].endswith("/sgb_3/__18.html") and top.page_content.startswith("(1)")


def test_kind_filter(make_retriever):
    docs = make_retriever(k=5, kinds=("landtag",)).invoke("Arbeitsmarktintegration Geflüchteter")
    assert docs and {d.metadata["kind"] for d in docs} == {"landtag"}


def test_as_of_date_selects_the_older_fassung(make_retriever):
    docs = make_retriever(k=5, laws=("SGB II",), as_of="2025-06-30").invoke("Grundsatz des Förderns")
    assert docs and {d.metadata["doc_id"] for d in docs} == {"sgb2-2025-02-27"}
    newest = make_retriever(k=5, laws=("SGB II",)).invoke("Grundsatz des Förderns")
    assert {d.metadata["doc_id"] for d in newest} == {"sgb2-2026-04-23"}


def test_the_dense_side_is_exact_nearest_neighbours_under_the_default_filter(assistant):
    """A small index is searched over its stored vectors, not Chroma's approximate graph: the
    dense ranks are the true cosine order among the chunks the filter lets through (of the
    plain vectors here; their mix with the contextual ones: ``tests/index/test_contextual_vectors.py``)."""
    from dataclasses import replace

    import numpy as np

    from retrieval.filters import SearchFilter

    searcher = assistant.searcher
    ids = list(searcher.lexical.ids)
    stored = searcher.index.vectors(ids)
    where = searcher.catalog.chroma_where(SearchFilter())
    allowed = {cid for cid in ids if cid in set(searcher.index.collection.get(where=where, include=[])["ids"])}
    for question in ("Grundsatz des Förderns", "Wer gilt als langzeitarbeitslos?", "Eingliederungsvereinbarung"):
        vector = np.asarray(assistant.embedder.embed_query(question), dtype=np.float32)
        expected = sorted(allowed, key=lambda cid: -float(stored[cid] @ vector))[:20]
        result = searcher.search(question, SearchFilter(), k=40, depth=20, query_vector=vector,
                                 weights=replace(searcher.weights, context_vector=0.0, adapter=False))
        ranked = sorted((h.dense_rank, h.chunk_id) for h in result.hits if h.dense_rank)
        assert [cid for _, cid in ranked] == expected[:len(ranked)] and len(ranked) >= 10


def test_dense_search_under_the_default_filter_finds_what_the_filtered_query_finds(assistant, monkeypatch):
    """An index too large to hold in memory is searched through Chroma. Without filters only
    the newest Fassung is searched; the dense side then asks Chroma unfiltered and drops
    superseded chunks itself. It must find exactly the chunks the filtered Chroma query finds,
    and none of the older Fassung."""
    import retrieval.search
    from retrieval.filters import SearchFilter

    monkeypatch.setattr(retrieval.search, "EXACT_DENSE_MAX", 0)
    searcher = assistant.searcher
    search_filter = SearchFilter()
    where = searcher.catalog.chroma_where(search_filter)
    assert where is not None   # the older SGB II Fassung is filtered out
    for question in ("Grundsatz des Förderns", "Wer gilt als langzeitarbeitslos?", "Eingliederungsvereinbarung"):
        vector = assistant.embedder.embed_query(question)
        filtered = [cid for cid, _ in searcher.index.query_dense(vector, 20, where)]
        result = searcher.search(question, search_filter, k=20, depth=20, query_vector=vector)
        ranked = [(h.dense_rank, h.chunk_id) for h in result.hits if h.dense_rank]
        assert len(ranked) >= 5
        assert all(filtered[rank - 1] == cid for rank, cid in ranked), (ranked, filtered)
        assert not any(h.chunk_id.startswith("sgb2-2025-02-27") for h in result.hits)
