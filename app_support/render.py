"""The answer as Markdown: verified sentences end in markers that link to their source
cards; sentences verification could not back are greyed and badged "nicht belegt" and
carry no marker. All answer text goes through ``safe_markdown`` (an extractive answer is
document text)."""
from __future__ import annotations

import re

from retrieval.answer import UNSUPPORTED, VERIFIED, Answer

from app_support.i18n import t
from app_support.safe_markdown import escape_inline

_MARKER = re.compile(r"\s*\[\d+(?:\s*[,;]\s*\d+)*\]")
_FLAG = re.compile(r"\s*\(nicht belegt\)\s*$")


def card_anchor(anchor_prefix: str, number: int) -> str:
    """The HTML id of source card ``number`` of one answer (letters, digits and dashes only)."""
    prefix = re.sub(r"[^a-z0-9-]", "-", anchor_prefix.lower())
    return f"{prefix}-quelle-{number}"


def marker_link(number: int, anchor_prefix: str) -> str:
    return f"[\\[{number}\\]](#{card_anchor(anchor_prefix, number)})"


def clean_sentence(text: str) -> str:
    """A sentence without its markers and without the "(nicht belegt)" flag text."""
    return " ".join(_FLAG.sub("", _MARKER.sub("", text)).split())


def answer_markdown(answer: Answer, anchor_prefix: str, lang: str = "de") -> str:
    """The answer text as Markdown with marker links to ``card_anchor(anchor_prefix, n)``."""
    cited = {c.number for c in answer.citations}
    if not answer.sentences:
        return escape_inline(answer.text)
    pieces = []
    for check in answer.sentences:
        text = escape_inline(clean_sentence(check.text))
        if check.status == UNSUPPORTED:
            pieces.append(f":gray[{text}] :orange-badge[{escape_inline(t('unsupported', lang))}]")
        elif check.status == VERIFIED and check.markers:
            markers = "".join(marker_link(n, anchor_prefix) if n in cited else f"\\[{n}\\]"
                              for n in dict.fromkeys(check.markers))
            pieces.append(f"{text} {markers}")
        else:
            pieces.append(text)
    return " ".join(p for p in pieces if p)


# Answers that are not direct answers: the sources hold something related (partial), or
# the question presupposes what the sources do not state (premise).
_NOT_DIRECT = {"de": "nicht direkt beantwortet", "en": "not answered directly"}


def not_direct_label(answer: Answer, lang: str = "de") -> str:
    """The badge for a partial or premise answer ("nicht direkt beantwortet"); "" otherwise."""
    if getattr(answer, "status", "answered") in ("partial", "premise"):
        return _NOT_DIRECT.get(lang, _NOT_DIRECT["de"])
    return ""


def has_unsupported(answer: Answer) -> bool:
    return any(check.status == UNSUPPORTED for check in answer.sentences)
