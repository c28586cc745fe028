"""Download the catalogue's sources into a corpus folder, verifying sha256.

Online, each source comes from its ``download_url`` (the official site; zips are unpacked
to their ``download_member``). With ``base_url`` the files come from a mirror that has the
corpus folder layout (e.g. an office file server, or a test's local ``http.server``).
"""
from __future__ import annotations

import io
import logging
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ingest.catalogue import Catalogue, CatalogueSource
from ingest.loaders.base import file_sha256

log = logging.getLogger(__name__)

USER_AGENT = "Fundstelle/0.1 (+https://github.com/fundstelle; source catalogue fetch)"


@dataclass
class FetchResult:
    source_id: str
    status: str        # present | downloaded | changed | failed | skipped
    message: str = ""


def _download(url: str, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - URLs come from the catalogue
        return response.read()


def fetch_source(source: CatalogueSource, dest: Path, *, base_url: str | None = None,
                 timeout: float = 60.0) -> FetchResult:
    target = dest / source.path
    if target.exists() and source.sha256 and file_sha256(target) == source.sha256:
        return FetchResult(source.id, "present")
    if base_url:
        url = base_url.rstrip("/") + "/" + source.path
        member = None  # a mirror holds the canonical file itself
    elif source.download_url:
        url, member = source.download_url, source.download_member
    else:
        return FetchResult(source.id, "skipped", f"no download URL; get it from {source.official_url}")
    try:
        payload = _download(url, timeout)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return FetchResult(source.id, "failed", f"{url}: {getattr(exc, 'reason', exc)}")
    if member:
        try:
            with zipfile.ZipFile(io.BytesIO(payload)) as archive:
                payload = archive.read(member)
        except (zipfile.BadZipFile, KeyError) as exc:
            return FetchResult(source.id, "failed", f"{url}: no '{member}' in the downloaded archive ({exc})")
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write to a temporary file and move it into place: a killed fetch leaves no half file.
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
        tmp.write(payload)
    shutil.move(tmp.name, target)
    digest = file_sha256(target)
    if source.sha256 and digest != source.sha256:
        return FetchResult(source.id, "changed",
                           f"sha256 differs from the catalogue ({digest[:12]}… vs {source.sha256[:12]}…): "
                           "the official file has changed since it was catalogued (newer Fassung?)")
    return FetchResult(source.id, "downloaded")


def fetch_catalogue(catalogue: Catalogue, dest: Path, *, base_url: str | None = None, only: set[str] | None = None,
                    include_optional: bool = False, timeout: float = 60.0,
                    on_result: Callable[[FetchResult], None] | None = None) -> list[FetchResult]:
    results = []
    for source in catalogue.sources:
        if only and source.id not in only:
            continue
        if source.optional and not include_optional and not only:
            continue
        result = fetch_source(source, dest, base_url=base_url, timeout=timeout)
        log.info("fetch %s: %s %s", source.id, result.status, result.message)
        results.append(result)
        if on_result:
            on_result(result)
    return results
