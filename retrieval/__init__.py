"""Retrieval: reads the index and answers with verified, cited statements.

Owns hybrid search (dense + BM25, score fusion, filters), the extractive and LLM answer
paths, citation verification, language detection, prompt-injection guards, the feedback
store for answers, the LangChain retriever and the ``python -m retrieval`` CLI. It reads
through ``index.chunk_index.ChunkIndex`` only and never imports ingest.

    from fundstelle import Settings
    from retrieval import Assistant
    answer = Assistant(Settings()).ask("Ab wann gilt man als langzeitarbeitslos?")
"""
from retrieval.answer import Answer, Citation, FilterError, Passage, QuestionError, SentenceCheck

__all__ = ["Answer", "Assistant", "Citation", "FilterError", "Passage", "QuestionError", "SentenceCheck"]


def __getattr__(name):
    # Lazy: importing the answer types must not load models or indexes.
    if name == "Assistant":
        from retrieval.assistant import Assistant

        return Assistant
    raise AttributeError(name)
