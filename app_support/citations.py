"""Citations as a German reader writes them, kind badges, and links to the original.

    § 14 Abs. 1 SGB II (Stand: 23.04.2026; zuletzt geändert durch Art. 8 G v. 22.12.2025 I Nr. 363)
    Antwort auf Kleine Anfrage 5591, zu Frage 3, Drs. 18/14567, S. 2 (Antwort vom 30.06.2025)
    Bundesagentur für Arbeit, Fachliche Weisungen § 16 SGB II, Rz. 16.11 (Stand: 26.03.2025)

The label from the index already is the citation of the unit; this module adds what a
source list needs around it: the Stand, the page, and who issued a Weisung.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from fundstelle.law_names import official_abbreviations, readable_label
from index.roles import role_of
from retrieval.answer import Answer, Citation, Passage

from app_support.i18n import t

KIND_COLOURS = {"law": "blue", "landtag": "green", "ba": "orange", "other": "gray"}
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


@dataclass(frozen=True)
class SourceRef:
    """What a source card and a source list show about one passage (cited or not)."""

    label: str
    kind: str
    title: str
    stand: str
    stand_date: str
    page: int | None
    url: str
    text: str
    chunk_id: str = ""
    number: int | None = None
    support_span: tuple[int, int] | None = None
    doc_id: str = ""
    role: str = ""                       # role of the highlighted sentence (index.roles)
    links: tuple[str, ...] = ()          # reference-graph neighbours ("Erläutert in FW § 22 …")
    reasons: tuple[tuple[str, str], ...] = ()   # the signals that ranked it (expert view)

    @property
    def short_label(self) -> str:
        """The label with the short law name people know ("§ 3 Kennzahlen-VO")."""
        return readable_label(" ".join(self.label.split()))


def from_citation(citation: Citation, answer: Answer | None = None) -> SourceRef:
    """A citation, completed with the Stand date of its passage (the citation lacks it)."""
    passage = find_passage(answer, citation.chunk_id) if answer else None
    return SourceRef(label=citation.label, kind=citation.kind, title=citation.title, stand=citation.stand,
                     stand_date=passage.stand_date if passage else "", page=citation.page, url=citation.url,
                     text=citation.passage, chunk_id=citation.chunk_id, number=citation.number,
                     support_span=tuple(citation.support_span) if citation.support_span else None,
                     doc_id=citation.doc_id,
                     role=quoted_role(citation),
                     links=tuple(passage.links) if passage else (),
                     reasons=tuple(passage.reasons.items()) if passage else ())


def quoted_role(citation: Citation) -> str:
    """The role of the sentence a citation quotes, as a card names it: a law's or Weisung's
    sentence outside any example, history or procedure block states the rule ("norm"); a
    Landtag sentence outside the question is the government's answer ("answer")."""
    if not citation.support_span:
        return ""
    role = role_of(citation.roles, *citation.support_span)
    if role == "norm" and citation.kind == "landtag":
        return "answer"
    return "" if role == "norm" and citation.kind not in ("law", "ba") else role


def from_passage(passage: Passage) -> SourceRef:
    return SourceRef(label=passage.label, kind=passage.kind, title=passage.title, stand=passage.stand,
                     stand_date=passage.stand_date, page=passage.page, url=passage.url, text=passage.text,
                     chunk_id=passage.chunk_id, doc_id=passage.doc_id, links=tuple(passage.links),
                     reasons=tuple(passage.reasons.items()))


def find_passage(answer: Answer | None, chunk_id: str) -> Passage | None:
    for passage in (answer.passages if answer else []):
        if passage.chunk_id == chunk_id:
            return passage
    return None


def german_date(value: str) -> str:
    """'2025-03-26' -> '26.03.2025'; anything else unchanged."""
    match = _ISO_DATE.match((value or "").strip())
    return f"{match.group(3)}.{match.group(2)}.{match.group(1)}" if match else (value or "")


_STAND_WORDS = re.compile(r"(?i)(stand|antwort|fassung|zuletzt|vom|ausfertigung|neugefasst|neuf|geändert|"
                          r"aufgehoben|in kraft)\b")
_STAND_PREFIX = re.compile(r"(?i)^stand\b\s*:?\s*")


def stand_text(ref: SourceRef, lang: str = "de") -> str:
    """The Stand as shown on a card: 'Antwort vom 30.06.2025', 'Stand: 23.04.2026; zuletzt geändert …'.

    The word "Stand" appears at most once: a Stand text that has its own ("Stand 26.03.2025")
    or starts with another word ("Ausfertigung …", "zuletzt geändert …") gets no second one.
    ``lang`` only changes that prefix ("As of" in English); the Stand text is quoted as is.
    """
    prefix = t("stand", lang)
    stand = " ".join((ref.stand or "").split())
    date = german_date(ref.stand_date)
    if _ISO_DATE.match(stand):
        stand = german_date(stand)
    parts = []
    if date and date not in stand:
        parts.append(f"{prefix}: {date}")
        stand = _STAND_PREFIX.sub("", stand)
    elif _STAND_PREFIX.match(stand) and lang != "de":
        stand = f"{prefix}: " + _STAND_PREFIX.sub("", stand)
    if stand:
        parts.append(stand if parts or _STAND_WORDS.match(stand) else f"{prefix}: {stand}")
    return "; ".join(parts)


_ANSWER_IN_TITLE = re.compile(r"\s*\(Antwort de[rs] [^()]*\)\s*$")


def display_title(ref: SourceRef) -> str:
    """The document title as a card shows it. The questioners' own parts of a Landtag answer
    (their Vorbemerkung, their questions) do not get a title that calls them the answer."""
    title = " ".join((ref.title or "").split())
    if ref.kind == "landtag" and not ref.label.startswith("Antwort"):
        title = _ANSWER_IN_TITLE.sub("", title)
    return title


def _has_page(label: str) -> bool:
    return bool(re.search(r"\bS\.\s*\d", label))


def format_citation(ref: SourceRef) -> str:
    """The citation in the usual German form, for the copy button and the export source list:
    the short law name people know, with the official abbreviation beside it."""
    label = ref.short_label
    official = official_abbreviations(ref.label)
    if official:
        label = f"{label} ({', '.join(dict.fromkeys(official))})"
    if ref.kind == "ba":
        label = re.sub(r"^FW\b", "Fachliche Weisungen", label)
        if "Bundesagentur" not in label:
            label = f"Bundesagentur für Arbeit, {label}"
    elif ref.kind not in ("law", "landtag") and ref.title and ref.title not in label:
        label = f"{ref.title}, {label}"
    if ref.page and not _has_page(label):
        label = f"{label}, S. {ref.page}"
    stand = stand_text(ref)
    return f"{label} ({stand})" if stand else label


def kind_label(kind: str, lang: str = "de") -> str:
    return t(f"kind_{kind}" if kind in KIND_COLOURS else "kind_other", lang)


def kind_colour(kind: str) -> str:
    return KIND_COLOURS.get(kind, "gray")


def original_url(ref: SourceRef) -> str:
    """Link to the official original: the § page for laws, a PDF opened at the page.

    Only http(s) links are returned, so no ``javascript:`` or ``data:`` URL from a document
    ever becomes a button.
    """
    url = (ref.url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    if ref.page and parts.path.lower().endswith(".pdf") and not parts.fragment:
        url = f"{url}#page={ref.page}"
    return url


_LINK_PREFIXES = (("Erläutert in ", "link_explained_in"), ("Erläutert ", "link_explains"),
                  ("Verweist auf ", "link_cites"))


def link_text(link: str, lang: str) -> str:
    """A reference-graph link ("Erläutert in FW § 22 SGB II, Rz. 22.41") in the UI language."""
    for prefix, key in _LINK_PREFIXES:
        if link.startswith(prefix):
            return t(key, lang, target=readable_label(link[len(prefix):]))
    return link

