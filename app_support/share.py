"""A question with its settings as URL query parameters, so an answer has a link that asks
it again the same way: ``?q=…&kinds=law,landtag&as_of=2025-01-01&mode=extractive&k=8``."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Mapping
from urllib.parse import urlencode

from fundstelle.settings import MAX_K
from index.chunk import KINDS

from app_support.i18n import normalise_language

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class AskOptions:
    """Everything besides the question that shapes an answer."""

    kinds: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    laws: tuple[str, ...] = ()
    as_of: str | None = None          # ISO date; None = newest Fassung
    mode: str = "extractive"
    k: int = 8
    lang: str = "de"

    def ask_kwargs(self) -> dict:
        """Keyword arguments for ``Assistant.ask``."""
        return {"kinds": list(self.kinds) or None, "documents": list(self.documents) or None,
                "laws": list(self.laws) or None, "as_of": self.as_of, "mode": self.mode, "k": self.k}

    def as_dict(self) -> dict:
        return {"kinds": list(self.kinds), "documents": list(self.documents), "laws": list(self.laws),
                "as_of": self.as_of, "mode": self.mode, "k": self.k, "lang": self.lang}


@dataclass(frozen=True)
class SharedQuestion:
    question: str
    options: AskOptions = field(default_factory=AskOptions)

    @property
    def key(self) -> str:
        """Identifies a question with its settings (a shared link is run once per session)."""
        return urlencode(to_query_params(self))


def _split(value: str | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    values = value if isinstance(value, list) else [value]
    return tuple(dict.fromkeys(v.strip() for item in values for v in item.split(",") if v.strip()))


def to_query_params(shared: SharedQuestion) -> dict[str, str]:
    o = shared.options
    params = {"q": shared.question}
    if o.kinds:
        params["kinds"] = ",".join(o.kinds)
    if o.documents:
        params["docs"] = ",".join(o.documents)
    if o.laws:
        params["laws"] = ",".join(o.laws)
    if o.as_of:
        params["as_of"] = o.as_of
    params["mode"] = o.mode
    params["k"] = str(o.k)
    params["lang"] = o.lang
    return params


def options_from_query_params(params: Mapping[str, str | list[str]], default: AskOptions) -> AskOptions:
    """Options from a URL; unknown or malformed values fall back to ``default``."""
    kinds = tuple(k for k in _split(params.get("kinds")) if k in KINDS) or default.kinds
    as_of = str(params.get("as_of") or "").strip()
    try:
        as_of = date.fromisoformat(as_of).isoformat() if _DATE.match(as_of) else None
    except ValueError:
        as_of = None
    mode = str(params.get("mode") or default.mode)
    try:
        k = min(MAX_K, max(1, int(str(params.get("k")))))
    except (TypeError, ValueError):
        k = default.k
    return AskOptions(kinds=kinds, documents=_split(params.get("docs")) or default.documents,
                      laws=_split(params.get("laws")) or default.laws, as_of=as_of or default.as_of,
                      mode=mode if mode in ("extractive", "llm") else default.mode, k=k,
                      lang=normalise_language(str(params.get("lang") or default.lang)))


def from_query_params(params: Mapping[str, str | list[str]], default: AskOptions) -> SharedQuestion | None:
    """The shared question in a URL, or None when the URL carries none."""
    question = params.get("q")
    if isinstance(question, list):
        question = question[-1] if question else None
    if not question or not str(question).strip():
        return None
    return SharedQuestion(str(question), options_from_query_params(params, default))


def share_url(base_url: str | None, shared: SharedQuestion) -> str:
    """The full link (or only the query string when the page URL is unknown)."""
    query = urlencode(to_query_params(shared))
    return f"{(base_url or '').rstrip('?')}?{query}"
