"""The source catalogue (``corpus/sources.toml``): official URLs, kinds, canonical files."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ingest.loaders.base import SourceInfo


class CatalogueError(ValueError):
    """The catalogue file is missing or malformed; the message names the file and entry."""


@dataclass(frozen=True)
class CatalogueSource:
    id: str
    kind: str
    loader: str
    title: str
    path: str
    official_url: str
    sha256: str | None = None
    download_url: str | None = None
    download_member: str | None = None
    slug: str | None = None
    fassung: str | None = None
    licence: str = ""
    note: str = ""
    optional: bool = False
    alternates: tuple[str, ...] = ()

    def source_info(self, corpus: Path) -> SourceInfo:
        return SourceInfo(doc_id=self.id, path=corpus / self.path, kind=self.kind, loader=self.loader,
                          title=self.title, url=self.official_url, slug=self.slug, fassung=self.fassung)


@dataclass
class Catalogue:
    sources: list[CatalogueSource]
    ignore: tuple[str, ...] = ()
    path: Path | None = None
    _by_path: dict[str, CatalogueSource] = field(default_factory=dict, repr=False)
    _alternate_of: dict[str, CatalogueSource] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for source in self.sources:
            self._by_path[source.path] = source
            for alt in source.alternates:
                self._alternate_of[alt] = source

    def by_path(self, relative: str) -> CatalogueSource | None:
        return self._by_path.get(relative)

    def alternate_of(self, relative: str) -> CatalogueSource | None:
        """The source a side file belongs to (its zip/PDF/JSON form), so it is not indexed twice."""
        return self._alternate_of.get(relative)

    def is_ignored(self, relative: str) -> bool:
        return relative in self.ignore or Path(relative).name in self.ignore

    def get(self, source_id: str) -> CatalogueSource:
        for source in self.sources:
            if source.id == source_id:
                return source
        raise KeyError(source_id)


_REQUIRED = ("id", "kind", "loader", "title", "path", "official_url")


def load_catalogue(path: Path) -> Catalogue:
    """Read and validate the catalogue TOML."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CatalogueError(f"{path}: catalogue not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{path}: not valid TOML ({exc})") from exc
    sources = []
    seen: set[str] = set()
    for number, entry in enumerate(data.get("source", []), start=1):
        missing = [key for key in _REQUIRED if not entry.get(key)]
        if missing:
            raise CatalogueError(f"{path}: source #{number} lacks {', '.join(missing)}")
        if entry["id"] in seen:
            raise CatalogueError(f"{path}: duplicate source id '{entry['id']}'")
        seen.add(entry["id"])
        known = {f for f in CatalogueSource.__dataclass_fields__}
        unknown = set(entry) - known
        if unknown:
            raise CatalogueError(f"{path}: source '{entry['id']}' has unknown fields {sorted(unknown)}")
        entry = dict(entry)
        entry["alternates"] = tuple(entry.get("alternates", ()))
        sources.append(CatalogueSource(**entry))
    return Catalogue(sources=sources, ignore=tuple(data.get("ignore", ())), path=path)
