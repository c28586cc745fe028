"""References between units: "§ 11b Abs. 2 Satz 1 Nr. 3", "§§ 88 bis 92 SGB III", "i. V. m. § 7".

German legal texts cite each other in a small, regular grammar: a § (or §§) with numbers, each
optionally narrowed by Absatz, Satz and Nummer, joined by "und", "bis", commas or "bzw.", and
followed by the law ("SGB II", "des Zweiten Buches", "AufenthG", "des Aufenthaltsgesetzes").
Without a law the citing text's own law is meant. ``parse_references`` reads that grammar;
``norm_key`` names a norm the same way everywhere ("§ 22 SGB II"), and ``unit_norm`` says which
norm a unit belongs to: its own § for a law Absatz, the § a Weisung's Rz. explains.

The graph built from this at ingest (``unit_edges``) is what lets retrieval go from a Weisung
Rz. to the Absatz it explains and back.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# Books of the Sozialgesetzbuch by their ordinal ("des Zweiten Buches", "SGB 2", "SGB II").
_ORDINALS = {"ersten": "I", "zweiten": "II", "dritten": "III", "vierten": "IV", "fünften": "V", "sechsten": "VI",
             "siebten": "VII", "achten": "VIII", "neunten": "IX", "zehnten": "X", "elften": "XI",
             "zwölften": "XII", "vierzehnten": "XIV"}
_ROMAN = {"1": "I", "2": "II", "3": "III", "4": "IV", "5": "V", "6": "VI", "7": "VII", "8": "VIII", "9": "IX",
          "10": "X", "11": "XI", "12": "XII", "14": "XIV"}

_NUMBER = r"\d{1,4}[a-z]?\b"
_ABSATZ = r"(?:Absatz|Absätze|Abs\.)\s*(?P<abs>\d{1,3}[a-z]?)"
_SATZ = r"(?:Satz|Sätze|S\.)\s*(?P<satz>\d{1,3})"
_NUMMER = r"(?:Nummer|Nr\.?)\s*(?P<nr>\d{1,3}[a-z]?)"
_DETAIL = rf"(?:\s*{_ABSATZ})?(?:\s*{_SATZ})?(?:\s*{_NUMMER})?"
_LIST_JOIN = r",|und|oder|sowie|bzw\.|bis|-|–"
_JOIN = rf"\s*(?:{_LIST_JOIN}|i\.\s?V\.\s?m\.)\s*"
# "SGB II", "SGB 2", "des SGB III", "des Zweiten Buches Sozialgesetzbuch", "Zweites Buch
# Sozialgesetzbuch", "Sozialgesetzbuch Drittes Buch", "AufenthG", "des AufenthG", "FreizügG/EU",
# "des Aufenthaltsgesetzes", "der Sozialversicherungsentgeltverordnung", "des Bürgerlichen Gesetzbuchs".
_BOOK = r"Erst|Zweit|Dritt|Viert|Fünft|Sechst|Siebt|Acht|Neunt|Zehnt|Elft|Zwölft|Vierzehnt"
_LAW = (r"(?:(?:(?:des|der)\s+)?(?P<sgb>SGB\s*(?:[IVX]{1,4}|\d{1,2}))\b"
        rf"|(?:des|der)\s+(?P<ord>(?:{_BOOK})en)\s+Buches(?:\s+Sozialgesetzbuch)?"
        rf"|(?P<book>(?:{_BOOK})es)\s+Buch\b(?:\s+Sozialgesetzbuch)?"
        rf"|Sozialgesetzbuch\s+(?P<book_after>(?:{_BOOK})es)\s+Buch\b"
        r"|(?P<bgb>(?:des\s+)?Bürgerlichen\s+Gesetzbuch(?:s|es)?|Bürgerliches\s+Gesetzbuch)\b"
        r"|(?:des|der)\s+(?P<named>[A-ZÄÖÜ][\wäöüß-]*(?:gesetzes|gesetzbuchs|gesetzbuches|verordnung|ordnung))\b"
        r"|(?:(?:des|der)\s+)?(?P<abbr>[A-Z][A-Za-zäöü]{1,12}(?:G|V|O|B)(?:/EU)?\b|BGB|AO|ZPO|GG|BKGG|BAföG)"
        # "Bürgergeld-V", "Bürgergeld-Verordnung", "des AZR-Gesetzes": a hyphenated law name
        r"|(?:(?:des|der)\s+)?(?P<hyphenated>[A-ZÄÖÜ][\wäöüß]*-(?:V|G|(?:[A-ZÄÖÜ][\wäöüß]*)?"
        r"(?:[Gg]esetz|[Gg]esetzes|[Vv]erordnung)))(?![\w-]))")
_HEAD = re.compile(rf"(?P<sign>§§?)\s*(?P<first>{_NUMBER}){_DETAIL}")
_MORE = re.compile(rf"{_JOIN}(?:§§?\s*)?(?P<num>{_NUMBER}){_DETAIL}")
_MORE_DETAIL = re.compile(rf"{_JOIN}(?=Absatz|Abs\.|Satz|Nummer|Nr\.){_DETAIL}")
_TRAIL_LAW = re.compile(rf"\s*(?:\(|,\s*)?{_LAW}")
_RANGE_WORDS = re.compile(r"bis|-|–")
# "Abs. 1 und 2", "Absatz 3 und 3a", "Abs. 1 bis 3", "Satz 1 und 2": a bare number after a
# joiner continues the list of the deepest level named before it. A capitalised word after the
# number ("§ 7 Abs. 3 und 8 Personen") makes it a count, not a unit, unless it is a Satz, a
# Nummer or the law.
_MORE_NUMBER = re.compile(rf"\s*(?:{_LIST_JOIN})\s*(?P<n>\d{{1,3}}[a-z]?)\b(?!\s*§)")
_COUNTED = re.compile(r"\.?\s+(?!Satz|Sätze|Nummer|Nr\.|Halbsatz|Buchstabe)[A-ZÄÖÜ][a-zäöüß]")


@dataclass(frozen=True)
class Reference:
    """One cited unit: ``law`` and ``paragraph`` always, ``absatz``/``satz``/``nummer`` when named."""

    law: str
    paragraph: str
    absatz: str = ""
    satz: str = ""
    nummer: str = ""
    start: int = 0
    end: int = 0

    @property
    def norm(self) -> str:
        return norm_key(self.paragraph, self.law)

    @property
    def label(self) -> str:
        parts = [f"§ {self.paragraph}"]
        if self.absatz:
            parts.append(f"Abs. {self.absatz}")
        if self.satz:
            parts.append(f"Satz {self.satz}")
        if self.nummer:
            parts.append(f"Nr. {self.nummer}")
        return " ".join(parts + ([self.law] if self.law else []))


def norm_key(paragraph: str, law: str) -> str:
    """The one spelling of a norm: ``norm_key("22", "SGB II") == "§ 22 SGB II"``."""
    return f"§ {paragraph} {law}".strip()


def normalise_law(match: re.Match) -> str:
    if match.group("ord"):
        return f"SGB {_ORDINALS[match.group('ord').casefold()]}"
    book = match.group("book") or match.group("book_after")
    if book:  # "Zweites" → "zweiten"
        return f"SGB {_ORDINALS[book[:-2].casefold() + 'en']}"
    if match.group("bgb"):
        return "BGB"
    if match.group("sgb"):
        number = re.sub(r"^SGB\s*", "", match.group("sgb"))
        return f"SGB {_ROMAN.get(number, number)}"
    name = match.group("named") or match.group("abbr") or match.group("hyphenated") or ""
    # A hyphenated Verordnung is abbreviated by its first part and "-V" ("Bürgergeld-Verordnung
    # - Bürgergeld-V"), the form its units carry as their law.
    return re.sub(r"-Verordnung$", "-V", name)


def _expand_range(first: str, last: str) -> list[str]:
    """"88" … "92" -> 88, 89, 90, 91, 92; "11" … "11b" -> 11, 11a, 11b; anything odd -> both ends."""
    a, b = re.match(r"(\d+)([a-z]?)", first), re.match(r"(\d+)([a-z]?)", last)
    if a.group(1) == b.group(1) and b.group(2):
        letters = "abcdefghijklmnopqrstuvwxyz"
        end = letters.index(b.group(2))
        start = letters.index(a.group(2)) if a.group(2) else -1
        return ([a.group(1)] if start < 0 else []) + [a.group(1) + letters[i] for i in range(max(start, 0), end + 1)]
    low, high = int(a.group(1)), int(b.group(1))
    if not a.group(2) and not b.group(2) and 0 < high - low <= 30:
        return [str(n) for n in range(low, high + 1)]
    return [first, last]


def parse_references(text: str, default_law: str = "") -> list[Reference]:
    """Every § reference in ``text``, in order; ``default_law`` where the text names none."""
    out: list[Reference] = []
    for head in _HEAD.finditer(text):
        if out and head.start() < out[-1].end:
            continue  # inside the previous reference's list
        items = [(head.group("first"), head.group("abs") or "", head.group("satz") or "", head.group("nr") or "",
                  False)]
        end = head.end()
        while True:
            detail = _MORE_DETAIL.match(text, end)
            if detail and detail.end() > end and (detail.group("abs") or detail.group("satz") or detail.group("nr")):
                # "§ 12 Absatz 2 Satz 1 und Absatz 4 Satz 1": another Absatz of the same §.
                items.append((items[-1][0], detail.group("abs") or items[-1][1], detail.group("satz") or "",
                              detail.group("nr") or "", False))
                end = detail.end()
                continue
            number = _MORE_NUMBER.match(text, end)
            if number and items[-1][1] and not _TRAIL_LAW.match(text, end) \
                    and (_TRAIL_LAW.match(text, number.end()) or not _COUNTED.match(text, number.end())) \
                    and (head.group("sign") == "§" or "," not in text[end:number.start("n")]):
                # Under "§§" a comma goes on to the next § ("§§ 7 Absatz 5 und 6, 27 SGB II").
                last = items[-1]
                if last[2] or last[3]:
                    end = number.end()  # "Satz 1 und 2", "Nr. 3 und 4": more of the same Absatz
                    continue
                if _RANGE_WORDS.fullmatch(text[end:number.start("n")].strip()) and last[1].isdigit() \
                        and number.group("n").isdigit() and 0 < int(number.group("n")) - int(last[1]) <= 20:
                    items.extend((last[0], str(n), "", "", False)
                                 for n in range(int(last[1]) + 1, int(number.group("n")) + 1))
                else:
                    items.append((last[0], number.group("n"), "", "", False))
                end = number.end()
                continue
            more = _MORE.match(text, end)
            if not more:
                break
            joiner = text[end:more.start("num")]
            if head.group("sign") == "§" and "§" not in joiner and not _RANGE_WORDS.search(joiner):
                break  # "§ 7 und 8 Personen": a single § sign takes one number unless a range follows
            items.append((more.group("num"), more.group("abs") or "", more.group("satz") or "", more.group("nr") or "",
                          bool(_RANGE_WORDS.fullmatch(joiner.strip()))))
            end = more.end()
        law_match = _TRAIL_LAW.match(text, end)
        law = normalise_law(law_match) if law_match else default_law
        if law_match:
            end = law_match.end()
        numbers: list[tuple[str, str, str, str]] = []
        for number, absatz, satz, nummer, is_range_end in items:
            if is_range_end and numbers and not absatz:
                for n in _expand_range(numbers[-1][0], number)[1:]:
                    numbers.append((n, "", "", ""))
            else:
                numbers.append((number, absatz, satz, nummer))
        for number, absatz, satz, nummer in numbers:
            out.append(Reference(law, number, absatz, satz, nummer, head.start(), end))
    return out


def without_references(text: str, references: list[Reference] | None = None) -> str:
    """``text`` with its § references (``parse_references``, or those given) blanked out, the
    law names after them included: what the text says besides what it cites."""
    references = parse_references(text) if references is None else references
    # The units of one list ("§§ 2 bis 4 Bürgergeld-V") share their span.
    for start, end in sorted({(ref.start, ref.end) for ref in references}, reverse=True):
        text = text[:start] + " " + text[end:]
    return text


def unit_law(locator: dict[str, str]) -> str:
    """The law a unit's text means when it names none: a law unit's own law, a Weisung's book."""
    if locator.get("law"):
        return locator["law"]
    match = re.search(r"SGB\s*[IVX]+", locator.get("weisung", ""))
    return match.group(0) if match else ""


def unit_norm(kind: str, locator: dict[str, str]) -> str:
    """The norm a unit belongs to: "§ 22 SGB II" for § 22 Abs. 1 SGB II and for FW § 22 SGB II,
    Rz. 22.41; "" when it has none (Landtag answers, a Weisung's front matter over several §§)."""
    if kind == "law" and locator.get("paragraph"):
        return norm_key(locator["paragraph"], locator.get("law", ""))
    weisung = re.fullmatch(r"§\s*(\d+[a-z]?)\s+(SGB\s*[IVX]+)", locator.get("weisung", "").strip())
    if kind == "ba" and weisung:
        return norm_key(weisung.group(1), weisung.group(2))
    return ""


# The formula that opens a Verordnung: "Auf Grund des § 13 des Zweiten Buches Sozialgesetzbuch …
# verordnet das Bundesministerium …". What it cites before the verb is what empowers the Verordnung.
FORMULA = "Eingangsformel"
_ENACTS = re.compile(r"\b(?:verordnen|verordnet|beschließt|beschließen)\b")


@dataclass(frozen=True)
class Edge:
    """``source`` (a chunk id) ``kind`` ("explains", "cites", "empowered_by": the source is a
    Verordnung's Eingangsformel and ``norm`` empowers it) ``norm`` (and ``absatz`` when named)."""

    source: str
    kind: str
    norm: str
    absatz: str = ""


def unit_edges(chunk_id: str, kind: str, locator: dict[str, str], text: str, scope: str = "") -> list[Edge]:
    """The edges of one unit: the norm a Weisung Rz. explains, the norms a Verordnung's
    Eingangsformel names as its basis, and every other norm its text cites (its own § only with
    another Absatz).

    A Rz. explains the (norm, Absatz) it cites most among the norms its Weisung covers
    (``scope``, e.g. "§§ 11–11b SGB II": Rz. 11.50 of that Weisung may be about § 11b Abs. 2);
    without such a citation, its own norm as a whole."""
    own = unit_norm(kind, locator)
    own_absatz = locator.get("absatz", "")
    refs = parse_references(text, unit_law(locator))
    edges: dict[tuple[str, str, str], Edge] = {}
    if kind == "ba" and own:
        covered = {ref.norm for ref in parse_references(scope, unit_law(locator))} | {own}
        counts: dict[tuple[str, str], int] = {}
        for ref in refs:
            if ref.norm in covered:
                key = (ref.norm, ref.absatz)
                counts[key] = counts.get(key, 0) + (2 if ref.absatz else 1)
        if counts:
            norm, absatz = max(sorted(counts), key=lambda key: counts[key])
        else:
            norm, absatz = own, ""
        edges[("explains", norm, absatz)] = Edge(chunk_id, "explains", norm, absatz)
    if kind == "law" and locator.get("norm") == FORMULA:
        enacts = _ENACTS.search(text)
        for ref in refs:
            if ref.law and (enacts is None or ref.start < enacts.start()):
                edges[("empowered_by", ref.norm, ref.absatz)] = Edge(chunk_id, "empowered_by", ref.norm, ref.absatz)
    for ref in refs:
        if not ref.law:
            continue
        if ref.norm == own and (kind != "law" or not ref.absatz or ref.absatz == own_absatz):
            continue
        if ("empowered_by", ref.norm, ref.absatz) not in edges:
            edges.setdefault(("cites", ref.norm, ref.absatz), Edge(chunk_id, "cites", ref.norm, ref.absatz))
    return list(edges.values())
