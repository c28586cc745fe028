"""Helpers every loader uses: file hashing, page maps, cutting units into chunks."""
from __future__ import annotations

import bisect
import copy
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.chunk import Chunk
from ingest.textutil import split_long


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class SourceInfo:
    """What the catalogue (or the caller) knows about a document before parsing it."""

    doc_id: str
    path: Path
    kind: str | None = None          # law | landtag | ba | other; None = detect
    loader: str | None = None        # law_xml | landtag | ba_weisung | ba_statistik | generic
    title: str | None = None
    url: str | None = None           # official URL of the document (PDF link, law start page)
    slug: str | None = None          # gesetze-im-internet slug, e.g. "sgb_2"
    fassung: str | None = None       # id of a law's version, e.g. "2026-04-23"
    stand: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class PageMap:
    """Maps character offsets of a document's joined text to 1-based page numbers."""

    def __init__(self) -> None:
        self._starts: list[int] = []

    def add_page(self, offset: int) -> None:
        self._starts.append(offset)

    def page_at(self, offset: int) -> int | None:
        if not self._starts:
            return None
        return max(1, bisect.bisect_right(self._starts, offset))

    def __len__(self) -> int:
        return len(self._starts)


def unit_chunks(doc_text: str, start: int, end: int, *, max_chars: int, pages: PageMap | None = None,
                url: str = "", **fields: Any) -> list[Chunk]:
    """Chunks for one citable unit ``doc_text[start:end]``: one chunk, or several parts with
    the same label when the unit is longer than ``max_chars``. Sets text, span, pages, part.

    ``url`` gets ``#page=N`` appended when a page map is given.
    """
    unit = doc_text[start:end]
    ranges = split_long(unit, max_chars)
    chunks = []
    for index, (s, e) in enumerate(ranges, start=1):
        abs_start, abs_end = start + s, start + e
        page_start = pages.page_at(abs_start) if pages else None
        page_end = pages.page_at(max(abs_start, abs_end - 1)) if pages else None
        chunk_url = f"{url}#page={page_start}" if (url and page_start) else url
        # Each part owns its locator and extra: per-part data (sentence roles) written into a
        # shared dict would give every part the roles of the last one.
        chunks.append(Chunk(text=doc_text[abs_start:abs_end], span=(abs_start, abs_end), part=index,
                            parts=len(ranges), page_start=page_start, page_end=page_end, url=chunk_url,
                            **copy.deepcopy(fields)))
    return chunks
