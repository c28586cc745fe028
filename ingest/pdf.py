"""Reading PDFs with pypdf, turning every failure into a clear one-line ``IngestError``."""
from __future__ import annotations

import logging
from pathlib import Path

from ingest.errors import IngestError, NeedsOCRError

log = logging.getLogger(__name__)


def open_pdf(path: Path):
    """Open a PDF, decrypting an owner-password-only file; clear errors otherwise."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        with path.open("rb") as fh:
            head = fh.read(1024)
        if b"%PDF" not in head:
            raise IngestError(path, "not a PDF file (no %PDF header); the file may be damaged or mislabelled")
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception as exc:  # unsupported crypto, missing cryptography package
                raise IngestError(path, f"encrypted PDF that cannot be opened ({type(exc).__name__})") from exc
            if not ok:
                raise IngestError(path, "encrypted PDF: a password is needed to read it")
        _ = len(reader.pages)
        return reader
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise IngestError(path, f"corrupt or unreadable PDF ({type(exc).__name__}: {str(exc)[:120]})") from exc


def read_pdf_pages(path: Path, *, layout: bool = False) -> tuple[list[str], list[str]]:
    """Text of every page (1 entry per page) and warnings.

    Raises ``NeedsOCRError`` when no page has a text layer, ``IngestError`` when the file
    cannot be read at all. Single pages that fail or have no text become warnings.
    """
    reader = open_pdf(path)
    pages: list[str] = []
    warnings: list[str] = []
    for number, page in enumerate(reader.pages, start=1):
        try:
            text = page.extract_text(extraction_mode="layout") if layout else page.extract_text()
        except Exception as exc:  # one broken page must not lose the document
            log.warning("%s: page %d could not be read: %s", path, number, exc)
            warnings.append(f"page {number}: unreadable ({type(exc).__name__})")
            text = ""
        pages.append(text or "")
    empty = [i + 1 for i, t in enumerate(pages) if len(t.strip()) < 5]
    if pages and len(empty) == len(pages):
        raise NeedsOCRError(path, f"no text layer on any of its {len(pages)} pages (scanned?): needs OCR")
    if not pages:
        raise IngestError(path, "PDF has no pages")
    if empty:
        warnings.append(f"pages without text (need OCR): {', '.join(map(str, empty[:20]))}")
    return pages, warnings
