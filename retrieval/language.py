"""A light language guess for questions (de, en, uk, ar, tr, ...), enough to pick the
answer language and to weight the German lexical index for cross-lingual questions."""
from __future__ import annotations

import re

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_STOP = {
    "de": {"der", "die", "das", "und", "ist", "ich", "nicht", "wie", "wer", "was", "wann", "welche", "welcher",
           "mit", "für", "auf", "ein", "eine", "den", "dem", "des", "im", "zu", "von", "muss", "kann", "hat", "bei",
           "mein", "meine", "wird", "werden", "gilt", "ab", "bis", "noch", "auch", "oder", "nach", "sich", "es"},
    "en": {"the", "is", "what", "how", "who", "when", "which", "do", "does", "did", "i", "my", "a", "an", "of",
           "to", "in", "for", "and", "can", "be", "are", "have", "has", "still", "count", "as", "set", "much"},
    "tr": {"ve", "bir", "bu", "ne", "mi", "mı", "mu", "mü", "için", "ile", "nasıl", "kadar", "benim", "var",
           "olarak", "çok", "da", "de", "hangi", "nedir"},
}


def detect_language(text: str) -> str:
    cyrillic = len(re.findall(r"[\u0400-\u04FF]", text))
    arabic = len(re.findall(r"[\u0600-\u06FF]", text))
    letters = max(1, len(re.findall(r"[^\W\d_]", text)))
    if arabic / letters > 0.3:
        return "ar"
    if cyrillic / letters > 0.3:
        return _cyrillic_language(text.lower())
    words = [w.lower() for w in _WORD.findall(text)]
    scores = {lang: sum(w in stop for w in words) for lang, stop in _STOP.items()}
    if re.search(r"[äöüß]", text.lower()):
        scores["de"] += 1
    if re.search(r"[ğışİ]", text):
        scores["tr"] += 2
    best = max(scores, key=scores.get)
    return best if scores[best] > 0 else "de"


# Letters only one of the two languages writes, and frequent short words only one of them
# uses: a short Ukrainian question need not hold an "і" ("Чи отримаю я Bürgergeld, якщо маю заощадження?").
_UK_WORDS = {"чи", "що", "як", "якщо", "та", "це", "мені", "мене", "й", "і", "коли", "який", "яка",
             "які", "можу", "можна", "є", "від", "вже"}
_RU_WORDS = {"что", "как", "если", "это", "мне", "меня", "и", "ли", "когда", "какой", "какая", "какие", "могу",
             "можно", "есть", "от", "уже", "ещё", "еще"}


def _cyrillic_language(lower: str) -> str:
    """"uk" or "ru": letters one of them alone writes, then its frequent words; a tie is
    Ukrainian, the language the project serves."""
    uk = 3 * len(re.findall(r"[іїєґ]", lower))
    ru = 3 * len(re.findall(r"[ыэъё]", lower))
    words = _WORD.findall(lower)
    uk += sum(w in _UK_WORDS for w in words)
    ru += sum(w in _RU_WORDS for w in words)
    return "ru" if ru > uk else "uk"

