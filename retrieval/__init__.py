"""Retrieval and verified, cited answers.

    from retrieval import Assistant
    answer = Assistant().ask("Ab wann gilt man als langzeitarbeitslos?")
"""
from retrieval.answer import Answer, Citation, FilterError, Passage, QuestionError, SentenceCheck

__all__ = ["Answer", "Assistant", "Citation", "FilterError", "Passage", "QuestionError", "SentenceCheck"]


def __getattr__(name):
    # Lazy: importing the answer types must not load models or indexes.
    if name == "Assistant":
        from retrieval.assistant import Assistant

        return Assistant
    raise AttributeError(name)
