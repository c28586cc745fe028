"""OpenThesaurus without apt: Debian's ``openthesaurus-de-text`` package read directly.

Where ``apt-get`` cannot install the package (no root, no Debian: macOS, a locked-down office
PC), ``scripts/ensure-thesaurus.sh`` runs ``python -m index.thesaurus_deb``. It downloads the
same package from the Debian archive, pinned by version and SHA-256 (as ``corpus/sources.toml``
pins the corpus), takes the synonym file out of it and writes it to
``<models dir>/openthesaurus-de/openthesaurus.txt``, where ``index.thesaurus`` looks after the
system path. Without synonyms answers are measurably worse (README, "Twenty-eighth session").
Nothing of it is committed; the file keeps its licence (LGPL, named in the package).
"""
from __future__ import annotations

import argparse
import hashlib
import io
import logging
import sys
import tarfile
import urllib.request
from pathlib import Path

log = logging.getLogger(__name__)

PACKAGE_URL = ("http://deb.debian.org/debian/pool/main/o/openthesaurus/"
               "openthesaurus-de-text_20160424-4_all.deb")
PACKAGE_SHA256 = "2b8bab1901534aa632cb2da14c363975db29f3df57d6a7561366d085b5a4197e"
MEMBER = "usr/share/openthesaurus-de/openthesaurus.txt"
FOLDER = "openthesaurus-de"
FILENAME = "openthesaurus.txt"
_AR_MAGIC = b"!<arch>\n"
_AR_HEADER = 60


class PackageError(RuntimeError):
    """The package cannot be fetched or read; one line naming the URL or the part."""


def installed_path(models_dir: Path) -> Path:
    """Where the synonym file taken from the package lives."""
    return Path(models_dir) / FOLDER / FILENAME


def ar_members(data: bytes) -> dict[str, bytes]:
    """The members of an ``ar`` archive (a .deb is one: debian-binary, control.tar.*, data.tar.*)."""
    if not data.startswith(_AR_MAGIC):
        raise PackageError("not a Debian package (no ar archive header)")
    members: dict[str, bytes] = {}
    position = len(_AR_MAGIC)
    while position + _AR_HEADER <= len(data):
        header = data[position:position + _AR_HEADER]
        if header[58:60] != b"`\n":
            raise PackageError(f"damaged Debian package (bad member header at byte {position})")
        name = header[:16].decode("ascii", "replace").strip().rstrip("/")
        try:
            size = int(header[48:58].decode("ascii").strip())
        except ValueError:
            raise PackageError(f"damaged Debian package (bad member size at byte {position})") from None
        start = position + _AR_HEADER
        if start + size > len(data):
            raise PackageError(f"truncated Debian package (member {name} ends past the file)")
        members[name] = data[start:start + size]
        position = start + size + (size % 2)   # members start on even offsets
    return members


def thesaurus_text(package: bytes) -> bytes:
    """The synonym file inside the package's ``data.tar`` (xz, gzip or bzip2)."""
    members = ar_members(package)
    data_name = next((name for name in members if name.startswith("data.tar")), None)
    if data_name is None:
        raise PackageError("Debian package without data.tar")
    try:
        with tarfile.open(fileobj=io.BytesIO(members[data_name]), mode="r:*") as archive:
            for member in archive.getmembers():
                if member.isfile() and member.name.lstrip("./") == MEMBER:
                    return archive.extractfile(member).read()
    except tarfile.TarError as exc:
        raise PackageError(f"{data_name} cannot be read ({exc})") from exc
    raise PackageError(f"{MEMBER} is not in the package")


def install(models_dir: Path, *, url: str = PACKAGE_URL, sha256: str = PACKAGE_SHA256,
            timeout: float = 60.0) -> Path:
    """Fetch the package, check its SHA-256, and write the synonym file under ``models_dir``
    (nothing is written when any step fails). Returns the file's path; an existing file is kept."""
    target = installed_path(models_dir)
    if target.is_file():
        return target
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            package = response.read()
    except OSError as exc:
        raise PackageError(f"{url} cannot be fetched ({exc})") from exc
    digest = hashlib.sha256(package).hexdigest()
    if digest != sha256:
        raise PackageError(f"{url}: SHA-256 {digest[:16]}… is not the pinned {sha256[:16]}…")
    text = thesaurus_text(package)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(text)
    partial.replace(target)
    log.info("OpenThesaurus taken from %s into %s", url, target)
    return target


def main(argv: list[str] | None = None) -> int:
    from fundstelle.settings import Settings

    parser = argparse.ArgumentParser(prog="python -m index.thesaurus_deb",
                                     description="Install OpenThesaurus from Debian's package without apt.")
    parser.add_argument("--check", action="store_true", help="only say whether it is installed (exit 0) or not (1)")
    args = parser.parse_args(argv)
    models_dir = Settings().models_dir
    if args.check:
        return 0 if installed_path(models_dir).is_file() else 1
    try:
        path = install(models_dir)
    except (PackageError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"OpenThesaurus installed at {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
