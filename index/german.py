"""German text analysis for the index: tokenizer, Snowball stemmer, folding, stop words and
the compound splitter.

The lexical index, the extractive answerer and the verifier all compare texts through these
functions, so a question term and a passage term meet exactly when BM25 would match them.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Iterable

WORD = re.compile(r"[^\W_]+", re.UNICODE)

# Question words and everyday verbs of questions ("Ab wann gilt man …", "Bekomme ich …"):
# they carry no topic and would otherwise match legal boilerplate.
QUESTION_STOPWORDS = {
    "ab", "wann", "wie", "was", "welche", "welcher", "welches", "welchen", "welchem", "wer", "wem", "wen", "wo",
    "woher", "wohin", "warum", "wieso", "weshalb", "wozu", "jemand", "man", "ich", "mir", "mich", "mein", "meine",
    "meiner", "meinen", "meinem", "gibt", "gilt", "gelten", "bekomme", "bekommt", "kann", "können", "muss", "müssen",
    "darf", "dürfen", "soll", "sollen", "bitte", "eigentlich", "genau", "überhaupt", "denn", "schon", "noch", "hoch",
    "viel", "viele",
}


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("german")


# Words repeat: a question's synonyms, every chunk's tokens at ingest. Both functions are pure,
# so each distinct word is stemmed and folded once per process.
WORD_CACHE = 1 << 17


@lru_cache(maxsize=WORD_CACHE)
def stem(word: str) -> str:
    """Snowball (German) stem of a lower-cased word, not folded."""
    return _stemmer().stemWord(word)


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """bm25s' German stop words plus the question words above."""
    from bm25s.stopwords import STOPWORDS_GERMAN

    return frozenset(STOPWORDS_GERMAN) | QUESTION_STOPWORDS


@lru_cache(maxsize=WORD_CACHE)
def fold(token: str) -> str:
    """Umlauts and ß fold to their base letters so "Maßnahme"/"Massnahme", "fur"/"für" meet."""
    token = token.replace("ß", "ss")
    return "".join(c for c in unicodedata.normalize("NFKD", token) if not unicodedata.combining(c))


def tokenize_german(text: str) -> list[str]:
    """Lower-cased, stop-word-free Snowball stems; umlauts folded; digits kept ("11b", "2025")."""
    stop = stopwords()
    out = []
    for raw in WORD.findall(unicodedata.normalize("NFKC", text).casefold()):
        if raw in stop or (len(raw) < 2 and not raw.isdigit()):
            continue
        out.append(fold(stem(raw)))
    return out


def surface_words(text: str) -> list[str]:
    """Every word of the text, lower-cased and folded but not stemmed (stop words kept)."""
    return [fold(w) for w in WORD.findall(unicodedata.normalize("NFKC", text).casefold())]


class CompoundSplitter:
    """Splits German compounds into parts that occur as words in the corpus.

    "Arbeitsmarktintegration" -> "arbeitsmarkt", "integration" when both are corpus words,
    so a question about "Integration in den Arbeitsmarkt" meets the compound.
    """

    MIN_PART = 4

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self.vocabulary = {w for w in vocabulary if len(w) >= self.MIN_PART}

    def parts(self, word: str) -> list[str]:
        if len(word) < 2 * self.MIN_PART:
            return []
        for cut in range(len(word) - self.MIN_PART, self.MIN_PART - 1, -1):
            head, tail = word[:cut], word[cut:]
            if tail not in self.vocabulary:
                continue
            for candidate in (head, head[:-1] if head.endswith("s") else None, head[:-2] if head.endswith("es") else None):
                if candidate and len(candidate) >= self.MIN_PART and candidate in self.vocabulary:
                    return [candidate, tail]
        return []
