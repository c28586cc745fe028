"""Loader for laws and regulations in the gesetze-im-internet XML format (gii-norm DTD).

A file holds ``<dokumente builddate=... doknr=...>`` with one ``<norm>`` per unit: the first
norm carries the law's metadata (``langue``, ``standangabe``), chapter norms carry a
``gliederungseinheit`` and no text, every other norm is a § (``enbez`` "§ 14"), an
Article, an Anlage, or a formula ("Eingangsformel"). The file may also come as the
official ``xml.zip`` holding that XML.

Chunks: one per Absatz (a ``<P>`` starting with "(1)", "(3a)", ...; unnumbered ``<P>``
after it belong to it), or one per § without numbered Absätze, one per Anlage. Repealed
units ("(weggefallen)") and the table of contents are left out. Chunk text is the law's
wording as printed, "(1)" prefix included; lists become one line per item ("1. ...",
"a) ..."), table rows become lines with cells joined by " | ".

The XML is parsed without DTD, entity resolution or network access: the DOCTYPE of the
original files points to gii-norm.dtd on the web, which must never be fetched.
"""
from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from fundstelle.settings import Settings
from index.chunk import Chunk, LoadedDocument
from ingest.errors import IngestError
from ingest.loaders.base import SourceInfo, file_sha256, unit_chunks
from ingest.textutil import repair_hyphenation

GII_BASE_URL = "https://www.gesetze-im-internet.de"

_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV")
_SGB_BOOK = re.compile(r"^SGB\s*(\d{1,2})$")
_ABSATZ = re.compile(r"^\((\d+[a-z]*)\)\s")
_REPEALED = re.compile(r"^[(\[]?\s*(weggefallen|aufgehoben)\s*[)\]]?\.?$", re.IGNORECASE)
_TOC_NAMES = {"inhaltsübersicht", "inhaltsverzeichnis", "übersicht"}
_PUNCTUATION_CELL = re.compile(r"^[.,;:]$")
# Elements whose content is not law text: editorial footnotes, footnote marks, comments.
_SKIPPED = {"Footnotes", "Footnote", "FnR", "noindex", "fussnoten", "Kommentar", "colspec", "TOC"}
_LINE_BREAKING = {"P", "Title", "Subtitle", "pre", "Content", "LA"}


@dataclass
class _Unit:
    """One citable unit before it is placed in the document text."""

    label: str
    text: str
    locator: dict[str, str]
    url: str
    norm_title: str
    norm_doknr: str
    gliederung: str
    heading: str                       # "§ 14 Grundsatz des Förderns", written once before its Absätze


def load(source: SourceInfo, settings: Settings) -> LoadedDocument:
    """Parse a gesetze-im-internet XML (or its ``xml.zip``) into Absatz-level chunks."""
    path = source.path
    warnings: list[str] = []
    raw, member = _read_xml_bytes(path, warnings)
    root = _parse(path, raw, member)
    norms = root.findall(".//norm")
    if not norms:
        raise IngestError(path, "not a gesetze-im-internet XML (no <norm> elements)")

    meta = _law_metadata(root, norms)
    law = cited_abbreviation(meta["jurabk"], meta["amtabk"])
    slug = source.slug or derive_slug(law, meta["jurabk"])
    title = source.title or meta["title"] or law
    doc_type = "Verordnung" if _is_regulation(meta["langue"], meta["kurzue"]) else "Gesetz"
    stand = source.stand or meta["stand"]
    stand_date = meta["stand_date"]
    fassung = source.fassung or stand_date

    units = _units(norms, law, slug)
    text, spans = _assemble(units)

    chunks: list[Chunk] = []
    for unit, (start, end) in zip(units, spans):
        extra = {
            "fassung": fassung,
            "builddate": meta["builddate"],
            "paragraph_title": unit.norm_title,
            "jurabk": meta["jurabk"],
            "doknr": meta["doknr"],
            "norm_doknr": unit.norm_doknr,
        }
        if unit.gliederung:
            extra["gliederung"] = unit.gliederung
        chunks.extend(_cut_unit(
            text, start, end, max_chars=settings.max_chunk_chars, url=unit.url,
            doc_id=source.doc_id, kind="law", doc_type=doc_type, title=title, label=unit.label,
            locator=dict(unit.locator), stand=stand, stand_date=stand_date, extra=extra,
        ))

    return LoadedDocument(
        doc_id=source.doc_id, path=str(path), kind="law", doc_type=doc_type, title=title,
        sha256=file_sha256(path), text=text, chunks=chunks, pages=0,
        meta={"law": law, "long_title": meta["langue"], "slug": slug, "stand": stand,
              "stand_date": stand_date, "fassung": fassung, "builddate": meta["builddate"],
              "doknr": meta["doknr"], "jurabk": meta["jurabk"], "hinweise": meta["hinweise"],
              "zip_member": member or ""},
        warnings=warnings,
    )


def _cut_unit(text: str, start: int, end: int, *, max_chars: int, **fields) -> list[Chunk]:
    """Chunks of one unit. A long unit is cut between lines first (list items, table rows),
    so that a part never ends on a dangling "8." item number; only a single line longer
    than ``max_chars`` is cut inside, at sentence ends, by ``unit_chunks``."""
    pieces: list[tuple[int, int]] = []
    piece_start = line_start = start
    while line_start < end:
        line_end = text.find("\n", line_start, end)
        line_end = end if line_end < 0 else line_end
        if line_end - piece_start > max_chars and line_start > piece_start:
            pieces.append((piece_start, line_start - 1))
            piece_start = line_start
        line_start = line_end + 1
    pieces.append((piece_start, end))
    chunks = [chunk for s, e in pieces
              for chunk in unit_chunks(text, s, e, max_chars=max_chars, **fields)]
    for number, chunk in enumerate(chunks, start=1):
        chunk.part, chunk.parts = number, len(chunks)
    return chunks


# --- reading -------------------------------------------------------------------------------

def _read_xml_bytes(path: Path, warnings: list[str]) -> tuple[bytes, str | None]:
    """The XML bytes of the file, or of the XML member of a zip (name returned as well)."""
    if not zipfile.is_zipfile(path):
        if path.suffix.lower() == ".zip":
            raise IngestError(path, "not a readable zip archive (bad or truncated zip file)")
        return path.read_bytes(), None
    try:
        with zipfile.ZipFile(path) as archive:
            members = [i for i in archive.infolist()
                       if not i.is_dir() and i.filename.lower().endswith(".xml")]
            if not members:
                names = ", ".join(archive.namelist()[:5]) or "nothing"
                raise IngestError(path, f"zip archive holds no XML file (found: {names})")
            # Official archives hold one XML; should there be more, the largest is the law.
            member = max(members, key=lambda info: info.file_size)
            if len(members) > 1:
                warnings.append(f"zip holds {len(members)} XML files; read the largest, {member.filename}")
            return archive.read(member), member.filename
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise IngestError(path, f"not a readable zip archive ({exc})") from exc


def _parse(path: Path, raw: bytes, member: str | None) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             remove_comments=True, remove_pis=True, huge_tree=True)
    where = f" (zip member {member})" if member else ""
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        message = exc.msg or str(exc)
        if "line" not in message and exc.lineno:
            message = f"{message}, line {exc.lineno}"
        raise IngestError(path, f"broken XML{where}: {message}") from exc
    if root is None:
        raise IngestError(path, f"broken XML{where}: no root element")
    return root


# --- law metadata --------------------------------------------------------------------------

def cited_abbreviation(jurabk: str, amtabk: str = "") -> str:
    """The abbreviation as the law is cited: the official ``amtabk`` if given, else
    ``jurabk``; Sozialgesetzbuch books get Roman numerals ("SGB 2" -> "SGB II")."""
    abbr = (amtabk or jurabk).strip()
    match = _SGB_BOOK.match(abbr)
    if match and 1 <= int(match.group(1)) <= len(_ROMAN):
        return f"SGB {_ROMAN[int(match.group(1)) - 1]}"
    return abbr


def derive_slug(law: str, jurabk: str) -> str:
    """Best-effort gesetze-im-internet URL slug when the catalogue gives none.

    "SGB II" -> "sgb_2"; otherwise the lowercased ``jurabk`` with spaces and "§" turned
    into "_" and umlauts spelled out ("SGB2§48aFKV" -> "sgb2_48afkv", "AlgIIV 2008" ->
    "algiiv_2008"). gesetze-im-internet does not publish a rule, so unusual abbreviations
    may map to a wrong slug; give ``SourceInfo.slug`` for those.
    """
    match = re.match(r"^SGB ([IVX]+)$", law)
    if match and match.group(1) in _ROMAN:
        return f"sgb_{_ROMAN.index(match.group(1)) + 1}"
    slug = (jurabk or law).strip().lower()
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        slug = slug.replace(umlaut, spelled)
    slug = re.sub(r"[\s§/]+", "_", slug)
    slug = re.sub(r"[^a-z0-9_\-]", "", slug)
    return slug.strip("_")


def short_title(langue: str) -> str:
    """The long title without the trailing "(Artikel 1 des Gesetzes vom ...)" reference."""
    title = re.sub(r"\s*\((?:Artikel|Art\.)\s[^()]*\)\s*$", "", langue.strip())
    return title.strip(" -–")


def _is_regulation(langue: str, kurzue: str) -> bool:
    if langue.startswith("Gesetz"):
        return False
    return "verordnung" in f"{langue} {kurzue}".lower()


def _law_metadata(root: etree._Element, norms: list[etree._Element]) -> dict:
    """Title, abbreviations, Stand and build date from the law's metadata norm."""
    def first(tag: str) -> str:
        for norm in norms:
            element = norm.find(f"metadaten/{tag}")
            if element is not None:
                return _inline_text(element)
        return ""

    builddate = root.get("builddate") or norms[0].get("builddate") or ""
    stand_date = f"{builddate[:4]}-{builddate[4:6]}-{builddate[6:8]}" if re.match(r"^\d{8}", builddate) else ""
    stand, hinweise = "", []
    for info in root.iter("standangabe"):
        kind = (info.findtext("standtyp") or "").strip()
        comment = _inline_text(info.find("standkommentar")) if info.find("standkommentar") is not None else ""
        if kind == "Stand" and not stand:
            stand = comment
        elif comment:
            hinweise.append(f"{kind}: {comment}" if kind else comment)
    if not stand:
        neuf = next((h.split(": ", 1)[1] for h in hinweise if h.startswith("Neuf: ")), "")
        ausfertigung = first("ausfertigung-datum")
        if neuf:
            stand = neuf.rstrip(";")
        elif re.match(r"^\d{4}-\d{2}-\d{2}$", ausfertigung):
            y, m, d = ausfertigung.split("-")
            stand = f"Ausfertigung v. {int(d)}.{int(m)}.{y}"

    langue, kurzue = first("langue"), first("kurzue")
    title = kurzue or short_title(langue)
    return {
        "jurabk": first("jurabk"), "amtabk": first("amtabk"), "langue": langue, "kurzue": kurzue,
        "title": title, "stand": stand, "hinweise": hinweise, "builddate": builddate,
        "stand_date": stand_date, "doknr": root.get("doknr") or norms[0].get("doknr") or "",
    }


# --- units ---------------------------------------------------------------------------------

def _units(norms: list[etree._Element], law: str, slug: str) -> list[_Unit]:
    units: list[_Unit] = []
    outline: list[tuple[str, str]] = []  # (gliederungskennzahl, "Kapitel 1 – Title")
    law_url = f"{GII_BASE_URL}/{slug}/"
    for norm in norms:
        meta = norm.find("metadaten")
        if meta is None:
            continue
        section = meta.find("gliederungseinheit")
        if section is not None:
            key = (section.findtext("gliederungskennzahl") or "").strip()
            name = " – ".join(t for t in (_inline_text(section.find("gliederungsbez")),
                                           _inline_text(section.find("gliederungstitel"))) if t)
            outline = [(k, n) for k, n in outline if key.startswith(k) and k != key] + [(key, name)]
            continue
        enbez = _inline_text(meta.find("enbez"))
        title = _inline_text(meta.find("titel"))
        content = norm.find("textdaten/text")
        if content is None or (not enbez and meta.find("langue") is not None):
            continue  # the law's metadata norm
        if enbez.lower() in _TOC_NAMES or title.lower() in _TOC_NAMES or content.find(".//TOC") is not None:
            continue
        blocks = _blocks(content)
        if not blocks or _is_repealed(" ".join(blocks)) or _is_repealed(title) and len(" ".join(blocks)) < 20:
            continue  # repealed: "(weggefallen)", or a "-" under the title "(weggefallen)"
        units.extend(_norm_units(enbez, title, blocks, law=law, slug=slug, law_url=law_url,
                                 doknr=norm.get("doknr") or "",
                                 gliederung=" / ".join(n for _, n in outline if n)))
    return units


def _norm_units(enbez: str, title: str, blocks: list[str], *, law: str, slug: str, law_url: str,
                doknr: str, gliederung: str) -> list[_Unit]:
    """The units of one norm: its Absätze, or the whole norm as one unit."""
    clean_enbez = re.sub(r"^\(X+\)\s*", "", enbez).strip()
    heading = " ".join(t for t in (clean_enbez, title) if t)
    common = dict(norm_title=title, norm_doknr=doknr, gliederung=gliederung, heading=heading)

    paragraph = re.match(r"^§§?\s*(.+)$", clean_enbez)
    article = re.match(r"^Art(?:ikel|\.)?\s*(\S.*)$", clean_enbez)
    annex = re.match(r"^Anlage\b\s*(.*)$", clean_enbez)
    if paragraph or article:
        number = (paragraph or article).group(1).strip()
        key, prefix = ("paragraph", "§") if paragraph else ("artikel", "Art.")
        if paragraph and clean_enbez.startswith("§§"):
            prefix = "§§"
        url = (f"{GII_BASE_URL}/{slug}/__{number}.html" if paragraph and re.match(r"^\w+$", number)
               else f"{GII_BASE_URL}/{slug}/art_{number}.html" if article and re.match(r"^\w+$", number)
               else law_url)
        absaetze = _absaetze(blocks)
        if absaetze is None:
            return [_Unit(label=f"{prefix} {number} {law}", text="\n".join(blocks),
                          locator={"law": law, key: number}, url=url, **common)]
        return [_Unit(label=f"{prefix} {number} Abs. {absatz} {law}", text=text,
                      locator={"law": law, key: number, "absatz": absatz}, url=url, **common)
                for absatz, text in absaetze if not _is_repealed(_ABSATZ.sub("", text, count=1))]
    if annex:
        number = annex.group(1).strip() or "Anlage"
        return [_Unit(label=f"{clean_enbez} {law}", text="\n".join(blocks),
                      locator={"law": law, "anlage": number}, url=law_url, **common)]
    name = clean_enbez or title or "Text"
    return [_Unit(label=f"{name} {law}", text="\n".join(blocks), locator={"law": law, "norm": name},
                  url=law_url, **common)]


def _absaetze(blocks: list[str]) -> list[tuple[str, str]] | None:
    """Group the blocks of a § into numbered Absätze; None when it has none.

    Unnumbered blocks after an Absatz (a closing sentence after a table) belong to it;
    unnumbered blocks before the first one are kept with the first Absatz.
    """
    if not any(_ABSATZ.match(b) for b in blocks):
        return None
    groups: list[list] = []
    leading: list[str] = []
    for block in blocks:
        match = _ABSATZ.match(block)
        if match:
            groups.append([match.group(1), leading + [block]])
            leading = []
        elif groups:
            groups[-1][1].append(block)
        else:
            leading.append(block)
    return [(number, "\n".join(lines)) for number, lines in groups]


def _is_repealed(text: str) -> bool:
    """True for "(weggefallen)", "(aufgehoben)" and text without any letter or digit."""
    return bool(_REPEALED.match(text.strip())) or not re.search(r"\w", text)


# --- text rendering ------------------------------------------------------------------------

def _blocks(content: etree._Element) -> list[str]:
    """The readable text of a norm's ``<text>``, one string per top-level ``<P>``."""
    paragraphs = content.findall("Content/P") or content.findall(".//P")
    if not paragraphs:
        paragraphs = [content]
    blocks = []
    for paragraph in paragraphs:
        pieces: list[str] = []
        _render(paragraph, pieces)
        text = _tidy("".join(pieces))
        if text:
            blocks.append(text)
    return blocks


def _render(element: etree._Element, out: list[str]) -> None:
    """Append the text of ``element`` (without its tail) to ``out``; "\\n" marks line breaks."""
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag in _SKIPPED or not tag:
        return
    if tag == "BR":
        out.append("\n")
        return
    if tag == "DL":
        out.append("\n")
        for item in element:
            item_tag = item.tag if isinstance(item.tag, str) else ""
            if item_tag == "DT":
                out.append("\n" + _inline_text(item) + " ")
            elif item_tag == "DD":
                _render(item, out)
            if item.tail and item.tail.strip():
                out.append(item.tail)
        out.append("\n")
        return
    if tag == "table":
        out.append("\n")
        _render_table(element, out)
        return
    if tag in _LINE_BREAKING and tag != "LA":
        out.append("\n")
    if element.text:
        out.append(element.text)
    for child in element:
        _render(child, out)
        if child.tail:
            out.append(child.tail)
    if tag in _LINE_BREAKING:
        out.append("\n")


def _render_table(table: etree._Element, out: list[str]) -> None:
    """One line per row, cells joined by " | ". A cell holding only "." or ";" (the end of a
    fraction written as a two-row table) is glued to the last text of the rows it spans."""
    pending: dict[int, str] = {}
    row_index = 0
    for part in table.iter("Title", "row"):
        if part.tag == "Title":
            out.append(_inline_text(part) + "\n")
            continue
        cells: list[str] = []
        for entry in part.findall("entry"):
            cell = _inline_text(entry, join_hyphenated=True)
            if cells and _PUNCTUATION_CELL.match(cell):
                last_row = row_index + int(entry.get("morerows") or 0)
                pending[last_row] = pending.get(last_row, "") + cell
            else:
                cells.append(cell)
        if row_index in pending and cells:
            cells[-1] += pending.pop(row_index)
        if any(cells):
            out.append(" | ".join(cells) + "\n")
        row_index += 1
    if pending:
        out.append("".join(pending.values()) + "\n")


def _inline_text(element: etree._Element | None, join_hyphenated: bool = False) -> str:
    """Text of an element on one line (footnote marks and editorial notes left out).

    ``join_hyphenated`` joins words broken by a ``<BR/>`` after a hyphen, as table headers
    do ("Regel-<BR/>bedarfsstufe 1" -> "Regelbedarfsstufe 1").
    """
    if element is None:
        return ""
    pieces: list[str] = []
    _render(element, pieces)
    text = _tidy("".join(pieces))
    if join_hyphenated:
        text = repair_hyphenation(text)
    return " ".join(text.split())


def _tidy(text: str) -> str:
    """NFC, no soft hyphens or NBSP, single spaces, one line per list item or table row."""
    text = unicodedata.normalize("NFC", text).replace("\u00ad", "").replace("\u00a0", " ")
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


# --- document text -------------------------------------------------------------------------

def _assemble(units: list[_Unit]) -> tuple[str, list[tuple[int, int]]]:
    """Join the units into the document text, each norm's heading on a line before its first
    unit; returns the text and each unit's span."""
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    offset = 0
    last_heading_key = None
    for unit in units:
        heading_key = (unit.norm_doknr, unit.heading)
        if unit.heading and heading_key != last_heading_key:
            block = unit.heading + "\n\n"
            if parts:
                block = "\n\n" + block
            parts.append(block)
            offset += len(block)
        elif parts:
            parts.append("\n\n")
            offset += 2
        last_heading_key = heading_key
        parts.append(unit.text)
        spans.append((offset, offset + len(unit.text)))
        offset += len(unit.text)
    return "".join(parts), spans
