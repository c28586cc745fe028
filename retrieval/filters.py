"""Metadata filters: source kind, document, law, Stand range and the Fassung in force on a date."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable

from index.chunk import KINDS, date_to_int

KIND_ALIASES = {"gesetz": "law", "laws": "law", "regulation": "law", "verordnung": "law", "landtag": "landtag",
                "ba": "ba", "ba_weisung": "ba", "weisung": "ba", "statistik": "ba", "other": "other"}


@dataclass
class SearchFilter:
    kinds: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    laws: tuple[str, ...] = ()
    stand_from: str | None = None
    stand_to: str | None = None
    as_of: str | None = None           # ISO date: the Fassung of each law in force then; None = newest
    all_fassungen: bool = False        # True: search every Fassung of every law

    @classmethod
    def build(cls, *, kinds: Iterable[str] | str | None = None, documents: Iterable[str] | None = None,
              laws: Iterable[str] | None = None, stand_from: str | None = None, stand_to: str | None = None,
              as_of: str | date | None = None, all_fassungen: bool = False) -> "SearchFilter":
        if isinstance(kinds, str):
            kinds = [kinds]
        normal_kinds = []
        for kind in kinds or ():
            value = KIND_ALIASES.get(kind.strip().lower(), kind.strip().lower())
            if value not in KINDS:
                raise ValueError(f"unknown source kind '{kind}'; use one of: {', '.join(KINDS)}")
            normal_kinds.append(value)
        if isinstance(as_of, date):
            as_of = as_of.isoformat()
        for name, value in (("as_of", as_of), ("stand_from", stand_from), ("stand_to", stand_to)):
            if value and not date_to_int(value):
                raise ValueError(f"{name}: '{value}' is not a date (use YYYY-MM-DD)")
        return cls(kinds=tuple(dict.fromkeys(normal_kinds)), documents=tuple(documents or ()),
                   laws=tuple(laws or ()), stand_from=stand_from, stand_to=stand_to, as_of=as_of,
                   all_fassungen=all_fassungen)

    def describe(self) -> str:
        parts = []
        if self.kinds:
            parts.append("Art: " + ", ".join(self.kinds))
        if self.documents:
            parts.append("Dokumente: " + ", ".join(self.documents))
        if self.laws:
            parts.append("Gesetze: " + ", ".join(self.laws))
        if self.stand_from or self.stand_to:
            parts.append(f"Stand {self.stand_from or '…'} bis {self.stand_to or '…'}")
        if self.as_of:
            parts.append(f"Rechtsstand am {self.as_of}")
        return "; ".join(parts) or "keine Filter"


@dataclass
class DocumentCatalog:
    """What the index holds per document (kind, law, Fassung date), for filters and the UI."""

    documents: dict[str, dict[str, Any]] = field(default_factory=dict)

    def excluded_fassungen(self, as_of: str | None) -> set[str]:
        """Law documents that are not the Fassung in force at ``as_of`` (default: not the newest)."""
        by_law: dict[str, list[tuple[int, str]]] = {}
        for doc_id, info in self.documents.items():
            if info.get("kind") == "law" and info.get("law"):
                by_law.setdefault(info["law"], []).append((int(info.get("stand_date") or 0), doc_id))
        limit = date_to_int(as_of) if as_of else None
        excluded: set[str] = set()
        for versions in by_law.values():
            versions.sort()
            eligible = [v for v in versions if limit is None or v[0] <= limit] or versions[:1]
            keep = eligible[-1][1]
            excluded.update(doc_id for _, doc_id in versions if doc_id != keep)
        return excluded

    def fassung_fallbacks(self, as_of: str | None) -> dict[str, str]:
        """Laws of which no Fassung in the corpus was in force on ``as_of``: law -> the Stand
        (ISO date) of the oldest Fassung, which is used instead."""
        if not as_of:
            return {}
        limit = date_to_int(as_of)
        oldest: dict[str, int] = {}
        for info in self.documents.values():
            if info.get("kind") == "law" and info.get("law"):
                stand = int(info.get("stand_date") or 0)
                oldest[info["law"]] = min(stand, oldest.get(info["law"], stand))
        return {law: f"{d // 10000:04d}-{d // 100 % 100:02d}-{d % 100:02d}"
                for law, d in sorted(oldest.items()) if d and d > limit}

    def allowed_documents(self, search_filter: SearchFilter) -> set[str]:
        allowed = set(self.documents)
        if search_filter.kinds:
            allowed = {d for d in allowed if self.documents[d].get("kind") in search_filter.kinds}
        if search_filter.documents:
            allowed &= set(search_filter.documents)
        if search_filter.laws:
            allowed = {d for d in allowed if self.documents[d].get("law") in search_filter.laws}
        if not search_filter.all_fassungen:
            allowed -= self.excluded_fassungen(search_filter.as_of)
        return allowed

    def chroma_where(self, search_filter: SearchFilter) -> dict[str, Any] | None:
        """Chroma ``where`` for the filter; None when nothing is filtered out."""
        clauses: list[dict[str, Any]] = []
        allowed = self.allowed_documents(search_filter)
        if allowed != set(self.documents):
            clauses.append({"doc_id": {"$in": sorted(allowed)}})
        if search_filter.stand_from:
            clauses.append({"stand_date": {"$gte": date_to_int(search_filter.stand_from)}})
        if search_filter.stand_to:
            clauses.append({"stand_date": {"$lte": date_to_int(search_filter.stand_to)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}
