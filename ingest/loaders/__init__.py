"""Loaders turn one file into a ``LoadedDocument`` with citable chunks.

Each loader module has ``load(source: SourceInfo, settings: Settings) -> LoadedDocument``
and raises ``IngestError`` with a one-line reason when the file cannot be used.
``load_document`` picks the loader from the catalogue entry or, for files outside the
catalogue, from the extension and a look at the content.
"""
from __future__ import annotations

import importlib
import logging
from dataclasses import replace
from pathlib import Path

from fundstelle.settings import Settings
from index.chunk import LoadedDocument
from index.roles import mark_roles
from ingest.errors import IngestError
from ingest.loaders.base import SourceInfo

log = logging.getLogger(__name__)

LOADERS = ("law_xml", "landtag", "ba_weisung", "ba_statistik", "generic")
SUPPORTED_EXTENSIONS = {".xml", ".zip", ".pdf", ".txt", ".md", ".markdown", ".html", ".htm"}


def detect_loader(path: Path) -> str:
    """Choose a loader for a file that is not in the catalogue."""
    ext = path.suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        raise IngestError(path, f"unsupported file type '{ext or '(none)'}'; supported: "
                                + ", ".join(sorted(SUPPORTED_EXTENSIONS)))
    if ext in {".xml", ".zip"}:
        return "law_xml"
    sniff = _sniff_text(path)
    if "Fachliche Weisungen" in sniff:
        return "ba_weisung"
    if ("Kleine Anfrage" in sniff or "Große Anfrage" in sniff or "LANDTAG" in sniff.upper()[:400]
            or "Drucksache" in sniff):
        return "landtag"
    if "Statistik der Bundesagentur" in sniff or "Glossar" in sniff or "statistik.arbeitsagentur.de" in sniff:
        return "ba_statistik"
    return "generic"


def _sniff_text(path: Path) -> str:
    """First few thousand characters of text, for loader detection only (errors surface later)."""
    try:
        if path.suffix.lower() == ".pdf":
            from ingest.pdf import open_pdf
            reader = open_pdf(path)
            return "\n".join((reader.pages[i].extract_text() or "") for i in range(min(2, len(reader.pages))))
        return path.read_bytes()[:8000].decode("utf-8", errors="replace")
    except Exception:
        return ""


def load_document(source: SourceInfo, settings: Settings) -> LoadedDocument:
    """Parse one file. Raises ``IngestError`` (one line, naming the file) on any failure."""
    path = source.path
    if not path.exists():
        raise IngestError(path, "file not found")
    if path.is_dir():
        raise IngestError(path, "is a folder, not a file")
    size = path.stat().st_size
    if size == 0:
        raise IngestError(path, "empty file (0 bytes)")
    if size > settings.max_file_mb * 1024 * 1024:
        raise IngestError(path, f"file too large ({size / 1024 / 1024:.0f} MB > limit "
                                f"{settings.max_file_mb:.0f} MB, set FUNDSTELLE_MAX_FILE_MB)")
    name = source.loader or detect_loader(path)
    if name not in LOADERS:
        raise IngestError(path, f"unknown loader '{name}'")
    module = importlib.import_module(f"ingest.loaders.{name}")
    try:
        document = module.load(source, settings)
    except IngestError:
        raise
    except Exception as exc:  # a loader bug must not stop the batch; details go to the log
        log.exception("loader %s failed on %s", name, path)
        raise IngestError(path, f"could not be parsed by the {name} loader ({type(exc).__name__}: {str(exc)[:100]})") from exc
    if not document.chunks:
        raise IngestError(path, "no citable text found")
    # Sentence roles (norm, example, history ...) go into the chunk store with the chunk.
    mark_document_roles(document)
    return document


def mark_document_roles(document: LoadedDocument) -> None:
    """Set ``chunk.extra["roles"]`` on every chunk. A unit cut into parts is marked as a whole
    and each part gets its share: a worked case that runs on into the next part (its
    calculation lines) stays a worked case there."""
    units: dict[tuple, list] = {}
    for chunk in document.chunks:
        if chunk.parts > 1:
            units.setdefault((chunk.label, tuple(sorted(chunk.locator.items()))), []).append(chunk)
        else:
            chunk.extra["roles"] = mark_roles(chunk)
    for parts in units.values():
        parts.sort(key=lambda c: c.part)
        start, end = parts[0].span[0], parts[-1].span[1]
        contiguous = all(document.text[c.span[0]:c.span[1]] == c.text for c in parts) and all(
            a.span[1] <= b.span[0] for a, b in zip(parts, parts[1:]))
        if not contiguous:   # a loader that rewrote the text: each part on its own
            for chunk in parts:
                chunk.extra["roles"] = mark_roles(chunk)
            continue
        roles = mark_roles(replace(parts[0], text=document.text[start:end]))
        for chunk in parts:
            lo, hi = chunk.span[0] - start, chunk.span[1] - start
            chunk.extra["roles"] = [[max(s, lo) - lo, min(e, hi) - lo, role] for s, e, role in roles
                                    if s < hi and e > lo]
