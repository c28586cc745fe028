"""The norm index: norm profiles, unit context and the reference graph, searchable.

Built from the chunk store at the end of every ingest (beside the BM25 index, with the same
content version) and read by retrieval:

* ``norm_scores(tokens)``: BM25 of the question against each norm profile (§ title, law name,
  defined terms, Weisung headings), for norm-level routing;
* ``context_scores(tokens)``: BM25 against each chunk's context (its norm's title, the terms it
  defines, the headings of the Rz. that explain it), a field apart from the chunk's own text;
* the graph: ``norm_of(chunk id)``, ``units_of(norm)`` (law Absätze), ``explained_by(norm)``
  (Weisung Rz.), ``explains(chunk id)`` and ``links(chunk id)`` (what a card shows: "Erläutert
  in …", "Verweist auf …"; ``citations`` are the cited norms a reader can look up),
  ``valued_in(chunk id)`` (the tables that value a level the unit
  names: "Beziffert in § 2 RBSFV 2026"; ``index.levels``).
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from index.chunk import Chunk
from index.folders import replaced_folder
from index.levels import level_links
from index.norms import NormProfile, build_profiles
from index.references import FORMULA, Edge

log = logging.getLogger(__name__)

NORM_INDEX_FORMAT = "4"


def _law_of(norm: str) -> str:
    """The law of a norm key ("§ 2 RBSFV 2026" → "RBSFV 2026"; "" for none)."""
    parts = norm.split(" ", 2)
    return parts[2] if len(parts) == 3 else ""


def _bm25(token_lists: list[list[str]]):
    import bm25s

    retriever = bm25s.BM25(k1=1.2, b=0.75)
    if token_lists:
        retriever.index([tokens or [""] for tokens in token_lists], show_progress=False)
    return retriever


class NormIndex:
    def __init__(self, ids: list[str], norms: list[str], absaetze: list[str], profiles: dict[str, NormProfile],
                 edges: list[Edge], contexts: list[str], context_bm25, profile_bm25, version: str,
                 levels: dict[str, list[str]] | None = None, formulas: dict[str, str] | None = None) -> None:
        self.ids = ids
        self._absatz_of = {cid: a for cid, a in zip(ids, absaetze) if a}
        self.norm_keys = sorted(profiles)
        self.profiles = profiles
        self.contexts = contexts
        self.version = version
        self._norm_of = dict(zip(ids, norms))
        self._norm_number = {key: n for n, key in enumerate(self.norm_keys)}
        # Per chunk (in ``ids`` order): the number of its norm in ``norm_keys``, -1 for none.
        self.chunk_norm = np.array([self._norm_number.get(n, -1) for n in norms], dtype=np.int32)
        self._edges: dict[str, list[Edge]] = {}
        for edge in edges:
            self._edges.setdefault(edge.source, []).append(edge)
        self._context_bm25 = context_bm25
        self._profile_bm25 = profile_bm25
        self._levels = levels or {}
        # A Verordnung's Eingangsformel (chunk id → its law) and the norms that empower each law.
        self._formulas = formulas or {}
        self._empowering: dict[str, list[Edge]] = {}
        for edge in edges:
            if edge.kind == "empowered_by" and edge.source in self._formulas:
                basis = self._empowering.setdefault(self._formulas[edge.source], [])
                # Each Fassung of a Verordnung has its formula; a basis is named once.
                if all((e.norm, e.absatz) != (edge.norm, edge.absatz) for e in basis):
                    basis.append(edge)

    # -- building --------------------------------------------------------------------
    @classmethod
    def build(cls, chunks: Iterable[tuple[str, Chunk]], edges: Sequence[Edge], tokenize: Callable[[str], list[str]],
              version: str) -> "NormIndex":
        pairs = list(chunks)
        graph: dict[str, list[Edge]] = {}
        for edge in edges:
            graph.setdefault(edge.source, []).append(edge)
        profiles, units = build_profiles(pairs, graph)
        ids = [cid for cid, _ in pairs]
        contexts = [units.context[cid] for cid in ids]
        norm_keys = sorted(profiles)
        absaetze = [chunk.locator.get("absatz", "") if chunk.kind == "law" else "" for _, chunk in pairs]
        return cls(ids, [units.norm[cid] for cid in ids], absaetze, profiles, list(edges), contexts,
                   _bm25([tokenize(text) for text in contexts]),
                   _bm25([tokenize(profiles[key].text()) for key in norm_keys]), version, level_links(pairs),
                   {cid: chunk.locator.get("law", "") for cid, chunk in pairs
                    if chunk.kind == "law" and chunk.locator.get("norm") == FORMULA})

    # -- searching -------------------------------------------------------------------
    def context_scores(self, tokens: list[str]) -> np.ndarray:
        if not tokens or not self.ids:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self._context_bm25.get_scores(tokens), dtype=np.float32)

    def norm_scores(self, tokens: list[str]) -> np.ndarray:
        if not tokens or not self.norm_keys:
            return np.zeros(len(self.norm_keys), dtype=np.float32)
        return np.asarray(self._profile_bm25.get_scores(tokens), dtype=np.float32)

    def profile_texts(self) -> list[str]:
        return [self.profiles[key].text() for key in self.norm_keys]

    # -- the graph -------------------------------------------------------------------
    def norm_of(self, chunk_id: str) -> str:
        return self._norm_of.get(chunk_id, "")

    def absatz_of(self, chunk_id: str) -> str:
        """The Absatz number of a law unit ("" for other units and §§ without Absätze)."""
        return self._absatz_of.get(chunk_id, "")

    def units_of(self, norm: str, absatz: str = "") -> list[str]:
        """The law units of ``norm`` (only those of ``absatz`` when given)."""
        profile = self.profiles.get(norm)
        units = list(profile.units) if profile else []
        return [cid for cid in units if self.absatz_of(cid) == absatz] if absatz else units

    def explained_by(self, norm: str) -> list[str]:
        profile = self.profiles.get(norm)
        return list(profile.explained_by) if profile else []

    def explains(self, chunk_id: str) -> Edge | None:
        return next((e for e in self._edges.get(chunk_id, ()) if e.kind == "explains"), None)

    def links(self, chunk_id: str) -> list[Edge]:
        return list(self._edges.get(chunk_id, ()))

    def citations(self, chunk_id: str) -> list[Edge]:
        """The norms the unit cites that a reader can look up: those the sources hold, and
        those of another law. A citation without a law name is read as the unit's own law; when
        that law has no such § ("Regelbedarfsstufen nach § 28" in the RBSFV means § 28 SGB XII),
        the norm does not exist."""
        own = _law_of(self.norm_of(chunk_id))
        return [e for e in self.links(chunk_id)
                if e.kind == "cites" and (e.norm in self.profiles or _law_of(e.norm) != own)]

    def empowered_by(self, chunk_id: str) -> list[Edge]:
        """The norms its Eingangsformel names as the basis of the unit's Verordnung ("§ 13 SGB II"
        for every unit of the Bürgergeld-V); empty for a unit of a law."""
        law = self._formulas.get(chunk_id) or _law_of(self.norm_of(chunk_id))
        return list(self._empowering.get(law, ()))

    def empowers(self, chunk_id: str) -> list[str]:
        """The Verordnungen (laws) whose Eingangsformel names the unit's norm (and its Absatz,
        where the formula names one) as their basis."""
        norm, absatz = self.norm_of(chunk_id), self.absatz_of(chunk_id)
        return [law for law, edges in self._empowering.items()
                if norm and any(e.norm == norm and (not e.absatz or e.absatz == absatz) for e in edges)]

    def valued_in(self, chunk_id: str) -> list[str]:
        """The tables (chunk ids) that give the values of a level the unit names."""
        return list(self._levels.get(chunk_id, ()))

    # -- persistence -----------------------------------------------------------------
    def save(self, folder: Path) -> None:
        with replaced_folder(folder) as tmp:
            if self.ids:
                self._context_bm25.save(str(tmp / "context"))
            if self.norm_keys:
                self._profile_bm25.save(str(tmp / "profiles"))
            edges = [[e.source, e.kind, e.norm, e.absatz] for source in self._edges for e in self._edges[source]]
            data = {"format": NORM_INDEX_FORMAT, "version": self.version, "ids": self.ids,
                    "norms": [self._norm_of[c] for c in self.ids], "contexts": self.contexts,
                    "absaetze": [self.absatz_of(c) for c in self.ids],
                    "profiles": {k: vars(p) for k, p in self.profiles.items()}, "edges": edges,
                    "levels": self._levels, "formulas": self._formulas}
            (tmp / "norms.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> "NormIndex | None":
        """The saved index, or None when there is none (or it is unreadable or of another format)."""
        path = folder / "norms.json"
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != NORM_INDEX_FORMAT:
                return None
            import bm25s

            context = bm25s.BM25.load(str(folder / "context")) if data["ids"] else None
            profiles = {k: NormProfile(**p) for k, p in data["profiles"].items()}
            profile_bm25 = bm25s.BM25.load(str(folder / "profiles")) if profiles else None
            return cls(data["ids"], data["norms"], data["absaetze"], profiles, [Edge(*e) for e in data["edges"]],
                       data["contexts"],
                       context, profile_bm25, data["version"], data["levels"], data["formulas"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("norm index at %s unreadable (%s); it will be rebuilt", folder, exc)
            return None
