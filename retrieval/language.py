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
        return "uk" if re.search(r"[іїєґ]", text.lower()) else "ru"
    words = [w.lower() for w in _WORD.findall(text)]
    scores = {lang: sum(w in stop for w in words) for lang, stop in _STOP.items()}
    if re.search(r"[äöüß]", text.lower()):
        scores["de"] += 1
    if re.search(r"[ğışİ]", text):
        scores["tr"] += 2
    best = max(scores, key=scores.get)
    return best if scores[best] > 0 else "de"
