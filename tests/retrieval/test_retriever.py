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
