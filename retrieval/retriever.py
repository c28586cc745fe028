"""A LangChain ``BaseRetriever`` over the Fundstelle index, with metadata filters.

    from retrieval.retriever import FundstelleRetriever
    retriever = FundstelleRetriever.from_settings(Settings(), kinds=["law"], as_of="2025-06-30", k=5)
    docs = retriever.invoke("Ab wann gilt man als langzeitarbeitslos?")
    docs[0].metadata["label"]   # '§ 18 Abs. 1 SGB III'
"""
from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from fundstelle.settings import Settings
from retrieval.filters import SearchFilter
from retrieval.search import HybridSearcher


class FundstelleRetriever(BaseRetriever):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    searcher: Any
    k: int = 8
    kinds: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    laws: tuple[str, ...] = ()
    as_of: str | None = None
    stand_from: str | None = None
    stand_to: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings, retriever: str = "hybrid", **kwargs: Any
                      ) -> "FundstelleRetriever":
        return cls(searcher=HybridSearcher(settings, retriever=retriever), **kwargs)

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        search_filter = SearchFilter.build(kinds=self.kinds, documents=self.documents, laws=self.laws,
                                           as_of=self.as_of, stand_from=self.stand_from, stand_to=self.stand_to)
        result = self.searcher.search(query, search_filter, k=self.k)
        documents = []
        for hit in result.hits:
            chunk = hit.chunk
            metadata = {k: v for k, v in chunk.to_dict().items() if k != "text"}
            metadata.update(score=hit.score, dense_rank=hit.dense_rank, lexical_rank=hit.lexical_rank,
                            retrievers=result.retrievers)
            documents.append(Document(page_content=chunk.text, metadata=metadata, id=hit.chunk_id))
        return documents
