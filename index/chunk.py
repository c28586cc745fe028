"""The chunk: one citable unit of a source document, with everything a citation needs.

This is the contract between loaders, the index and retrieval. Loaders return
``LoadedDocument`` objects holding ``Chunk`` objects; the index stores them in Chroma as
(document text, flat metadata) and ``Chunk.from_record`` restores them.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

# Source kinds used in filters and badges.
KINDS = ("law", "landtag", "ba", "other")

# Bump when chunking changes so that re-ingest replaces chunks made by older code.
CHUNKER_VERSION = "21"


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def date_to_int(iso_date: str | None) -> int:
    """'2025-03-26' -> 20250326 (0 when unknown); Chroma filters compare numbers."""
    if not iso_date:
        return 0
    digits = re.sub(r"\D", "", iso_date)[:8]
    return int(digits) if len(digits) == 8 else 0


@dataclass
class Chunk:
    """One citable passage.

    ``locator`` holds the structured position (e.g. ``{"law": "SGB II", "paragraph": "14",
    "absatz": "1"}``, ``{"anfrage": "5591", "frage": "3"}``, ``{"rz": "16.11"}``);
    ``label`` is the citation as a German reader writes it (``§ 14 Abs. 1 SGB II``).
    ``span`` is the (start, end) character range of ``text`` inside the document's
    extracted text (``LoadedDocument.text``).
    """

    doc_id: str
    kind: str
    doc_type: str
    title: str
    label: str
    text: str
    locator: dict[str, str] = field(default_factory=dict)
    url: str = ""
    page_start: int | None = None
    page_end: int | None = None
    stand: str = ""
    stand_date: str = ""
    span: tuple[int, int] = (0, 0)
    part: int = 1
    parts: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def locator_key(self) -> str:
        """Stable, readable key of the position inside the document."""
        key = "/".join(f"{k}={v}" for k, v in self.locator.items()) or "doc"
        return key if self.parts == 1 else f"{key}/part={self.part}"

    @property
    def id(self) -> str:
        digest = text_hash(f"{CHUNKER_VERSION}\n{self.label}\n{self.text}")[:16]
        return f"{self.doc_id}#{self.locator_key}#{digest}"

    @property
    def pages(self) -> list[int]:
        if self.page_start is None:
            return []
        return list(range(self.page_start, (self.page_end or self.page_start) + 1))

    def to_metadata(self, doc_sha256: str, doc_chunks: int, source_path: str) -> dict[str, Any]:
        """Flat scalar metadata for Chroma (which stores no nested values)."""
        return {
            "doc_id": self.doc_id,
            "kind": self.kind,
            "doc_type": self.doc_type,
            "title": self.title,
            "label": self.label,
            "law": self.locator.get("law", ""),
            "url": self.url,
            "page_start": self.page_start or 0,
            "page_end": self.page_end or 0,
            "stand": self.stand,
            "stand_date": date_to_int(self.stand_date),
            "fassung": str(self.extra.get("fassung", "")),
            "span_start": self.span[0],
            "span_end": self.span[1],
            "part": self.part,
            "parts": self.parts,
            "locator_json": json.dumps(self.locator, ensure_ascii=False),
            "extra_json": json.dumps(self.extra, ensure_ascii=False, default=str),
            "doc_sha256": doc_sha256,
            "doc_chunks": doc_chunks,
            "source_path": source_path,
            "chunker": CHUNKER_VERSION,
        }

    @classmethod
    def from_record(cls, text: str, meta: dict[str, Any]) -> "Chunk":
        sd = int(meta.get("stand_date") or 0)
        return cls(
            doc_id=meta["doc_id"], kind=meta["kind"], doc_type=meta.get("doc_type", ""),
            title=meta.get("title", ""), label=meta.get("label", ""), text=text,
            locator=json.loads(meta.get("locator_json") or "{}"), url=meta.get("url", ""),
            page_start=meta.get("page_start") or None, page_end=meta.get("page_end") or None,
            stand=meta.get("stand", ""),
            stand_date=f"{sd // 10000:04d}-{sd // 100 % 100:02d}-{sd % 100:02d}" if sd else "",
            span=(int(meta.get("span_start", 0)), int(meta.get("span_end", 0))),
            part=int(meta.get("part", 1)), parts=int(meta.get("parts", 1)),
            extra=json.loads(meta.get("extra_json") or "{}"),
        )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["id"] = self.id
        out["span"] = list(self.span)
        return out


@dataclass
class LoadedDocument:
    """A parsed source document: its full extracted text and its chunks."""

    doc_id: str
    path: str
    kind: str
    doc_type: str
    title: str
    sha256: str
    text: str
    chunks: list[Chunk]
    pages: int = 0
    meta: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
