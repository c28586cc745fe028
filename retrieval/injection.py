"""Instruction-like text inside documents ("Ignoriere alle Anweisungen …") is data.

Such sentences are replaced before passages go to an LLM and are never used as support
for an answer sentence, so a document cannot steer the answer."""
from __future__ import annotations

import re

from fundstelle.sentences import split_sentences

_PATTERNS = re.compile(
    r"(ignorier\w*\s+(alle|sämtliche|die|deine|vorherige\w*|bisherige\w*)\s+(\w+\s+)?(anweisung|instruktion|regel|vorgabe)"
    r"|ignore\s+(all|any|the|previous|prior|your)\s+(\w+\s+)?(instruction|rule|prompt)"
    r"|disregard\s+(all|any|the|previous|prior)\s+"
    r"|(system|developer)[- ]?prompt"
    r"|du\s+bist\s+(jetzt|nun|ab\s+sofort)\b|you\s+are\s+now\b"
    r"|antworte\s+(nur|ausschließlich|immer)\s+mit|answer\s+only\s+with|respond\s+only\s+with"
    r"|neue\s+anweisung|new\s+instructions?)",
    re.IGNORECASE)

PLACEHOLDER = "[Anweisungsartiger Text aus dem Dokument entfernt]"


def is_instruction_like(sentence: str) -> bool:
    return bool(_PATTERNS.search(sentence))


def neutralise(text: str) -> str:
    """The text with instruction-like sentences replaced by a placeholder."""
    spans = split_sentences(text)
    out, last = [], 0
    for start, end in spans:
        if is_instruction_like(text[start:end]):
            out.append(text[last:start])
            out.append(PLACEHOLDER)
            last = end
    out.append(text[last:])
    return "".join(out)
