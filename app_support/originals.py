"""The source documents on this machine, one click from a card: a small read-only file route.

Streamlit serves no folder outside the app, and the corpus lives in ``../shared/corpus``. So
the app starts, once per process, a tiny HTTP server on a port of its own that answers
``GET /corpus/<path inside the corpus folder>`` and nothing else:

* read-only (GET and HEAD only), one file per request, no directory listings;
* the path is resolved (symlinks, ``..``, encoded ``%2e%2e``) and must stay inside the corpus
  folder, else 403; anything missing is 404;
* documents are data: every response but a PDF carries ``Content-Security-Policy: sandbox``
  and ``X-Content-Type-Options: nosniff``, so an HTML document from the corpus runs no script.

``local_url`` builds the link for a card: the file at the cited page (``#page=N`` for PDFs).
"""
from __future__ import annotations

import logging
import mimetypes
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

log = logging.getLogger(__name__)

ROUTE = "/corpus/"
_CHUNK = 1 << 16


def locate(root: Path, relative: str) -> tuple[Path | None, int]:
    """``root/relative`` resolved, with the HTTP status it deserves: 200 for a file inside
    ``root``, 403 for anything that leaves it (``..``, a symlink out), 404 for nothing there."""
    root = root.resolve()
    try:
        candidate = (root / relative.lstrip("/")).resolve()
    except (OSError, ValueError):
        return None, 403
    if candidate != root and root not in candidate.parents:
        return None, 403
    return (candidate, 200) if candidate.is_file() else (None, 404)


class _Handler(BaseHTTPRequestHandler):
    server: "OriginalsServer"

    def do_HEAD(self) -> None:  # noqa: N802 (http.server naming)
        self._answer(body=False)

    def do_GET(self) -> None:  # noqa: N802
        self._answer(body=True)

    def _answer(self, body: bool) -> None:
        path = unquote(urlsplit(self.path).path)
        if not path.startswith(ROUTE):
            self.send_error(404, "not found")
            return
        file, status = locate(self.server.root, path[len(ROUTE):])
        if file is None:
            self.send_error(status, "outside the corpus folder" if status == 403 else "not found")
            return
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind in ("application/xml", "application/json"):
            kind += "; charset=utf-8" if "charset" not in kind else ""
        size = file.stat().st_size
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(size))
        self.send_header("Content-Disposition", f"inline; filename*=UTF-8''{quote(file.name)}")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "private, max-age=300")
        if kind != "application/pdf":   # Chromium's PDF viewer does not run under a sandbox policy
            self.send_header("Content-Security-Policy", "sandbox; default-src 'none'; style-src 'unsafe-inline'")
        self.end_headers()
        if body:
            with file.open("rb") as handle:
                while block := handle.read(_CHUNK):
                    self.wfile.write(block)

    def log_message(self, format: str, *args: object) -> None:  # quiet: the app log has what matters
        log.debug("originals: " + format, *args)


class OriginalsServer(ThreadingHTTPServer):
    """Serves the files under ``root`` read-only on ``address:port`` (port 0: any free one)."""

    daemon_threads = True

    def __init__(self, root: Path, address: str = "127.0.0.1", port: int = 0) -> None:
        self.root = Path(root).resolve()
        super().__init__((address, port), _Handler)
        self.thread = threading.Thread(target=self.serve_forever, name="fundstelle-originals", daemon=True)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def start(self) -> "OriginalsServer":
        self.thread.start()
        log.info("serving the originals in %s on port %d", self.root, self.port)
        return self


def local_url(host: str, port: int, source_path: str, page: int | None = None) -> str:
    """Link to the local copy of ``source_path`` (relative to the corpus), at ``page`` for PDFs."""
    if not source_path or source_path.startswith("/") or not host:
        return ""
    url = f"http://{host}:{port}{ROUTE}{quote(source_path)}"
    if page and source_path.lower().endswith(".pdf"):
        url += f"#page={int(page)}"
    return url
