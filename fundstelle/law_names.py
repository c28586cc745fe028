"""Names people know for the laws and Verordnungen, keyed by the official abbreviation.

The index cites a law by its official abbreviation (``amtabk``, else ``jurabk`` from the
gesetze-im-internet XML). Some of those are only known to documentalists: "SGB2§48aFKV" is
what everybody calls the Kennzahlen-Verordnung. Labels on screen use the short name; the long
form keeps the official abbreviation, so a citation can still be looked up.

    >>> short_law_name("SGB2§48aFKV")
    'Kennzahlen-VO'
    >>> readable_label("§ 3 SGB2§48aFKV")
    '§ 3 Kennzahlen-VO'
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class LawName:
    short: str      # on cards, in filters: "Kennzahlen-VO"
    long: str       # the full name, with the official abbreviation: "…Kennzahlen… (SGB2§48aFKV)"


# Official abbreviations as the index cites them (see ingest.loaders.law_xml.cited_abbreviation).
LAW_NAMES: dict[str, LawName] = {
    "SGB I": LawName("SGB I", "Sozialgesetzbuch Erstes Buch – Allgemeiner Teil (SGB I)"),
    "SGB II": LawName("SGB II", "Sozialgesetzbuch Zweites Buch – Bürgergeld, Grundsicherung für Arbeitsuchende "
                                "(SGB II)"),
    "SGB III": LawName("SGB III", "Sozialgesetzbuch Drittes Buch – Arbeitsförderung (SGB III)"),
    "SGB X": LawName("SGB X", "Sozialgesetzbuch Zehntes Buch – Sozialverwaltungsverfahren und Sozialdatenschutz "
                              "(SGB X)"),
    "SGB XII": LawName("SGB XII", "Sozialgesetzbuch Zwölftes Buch – Sozialhilfe (SGB XII)"),
    "SGB2§48aFKV": LawName("Kennzahlen-VO", "Verordnung zur Festlegung der Kennzahlen nach § 48a SGB II "
                                            "(SGB2§48aFKV)"),
    "Bürgergeld-V": LawName("Bürgergeld-V", "Bürgergeld-Verordnung (Bürgergeld-V, früher Alg II-V)"),
    "AlgIIV 2008": LawName("Bürgergeld-V", "Bürgergeld-Verordnung (AlgIIV 2008)"),
    "RBSFV 2026": LawName("RBSFV 2026", "Regelbedarfsstufen-Fortschreibungsverordnung 2026 (RBSFV 2026)"),
    "RBEG": LawName("RBEG", "Regelbedarfsermittlungsgesetz (RBEG)"),
}

# Longest first, so "SGB III" is not read as "SGB II" + "I".
_BY_LENGTH = sorted(LAW_NAMES, key=len, reverse=True)
_IN_LABEL = re.compile("|".join(r"(?<![\w§])" + re.escape(abbr) + r"(?![\w§])" for abbr in _BY_LENGTH))


def short_law_name(abbreviation: str) -> str:
    """The name people know ("Kennzahlen-VO"); unknown abbreviations come back unchanged."""
    name = LAW_NAMES.get((abbreviation or "").strip())
    return name.short if name else abbreviation


def long_law_name(abbreviation: str) -> str:
    """The full name with the official abbreviation; unknown abbreviations come back unchanged."""
    name = LAW_NAMES.get((abbreviation or "").strip())
    return name.long if name else abbreviation


def readable_label(label: str) -> str:
    """A citation label with every known official abbreviation replaced by its short name."""
    return _IN_LABEL.sub(lambda m: LAW_NAMES[m.group(0)].short, label or "")


def official_abbreviations(label: str) -> list[str]:
    """The official abbreviations in ``label`` whose short name differs (for the long form)."""
    return [m.group(0) for m in _IN_LABEL.finditer(label or "") if LAW_NAMES[m.group(0)].short != m.group(0)]
