"""Named levels and the tables that give their values: "in Höhe der Regelbedarfsstufe 1" → 563.

German law often states a rule by a named level and puts the amounts in a table elsewhere: § 20
Abs. 2 SGB II grants alleinstehende Personen "einen Betrag in Höhe der Regelbedarfsstufe 1";
the Regelbedarfsstufen-Fortschreibungsverordnung holds a table whose header names
"Regelbedarfsstufe 1" … "Regelbedarfsstufe 6" and whose rows give the euros. A citizen asking
"Wie hoch ist der Regelbedarf für eine alleinstehende Person?" needs both: the rule that names
the level and the row that values it, and the table shares almost no word with the question.

``level_links`` finds these pairs by the tables' own structure: a header cell that is a
capitalised word and a number ("Regelbedarfsstufe 1", "Entgeltgruppe 3") names a level the
table values; any other unit naming that level (the same words, not followed by another digit)
links to the table. Retrieval brings the table beside a unit that names its level (like a
Weisung Rz. beside the Absatz it explains), and the answer may take the figure from it.
"""
from __future__ import annotations

import re
from typing import Iterable

from index.chunk import Chunk

# A level's name: a capitalised word of four letters or more and a number ("Regelbedarfsstufe 1");
# a table cell that is one names a level, prose names it when no other digit or letter follows.
_LEVEL = r"[A-ZÄÖÜ][\wäöüß-]{3,}\s\d{1,2}[a-z]?"
_LEVEL_CELL = re.compile(_LEVEL)
_LEVEL_MENTION = re.compile(rf"(?<![\w-]){_LEVEL}(?![\d\w])")


def table_levels(text: str) -> list[str]:
    """The levels a text's tables name in their cells ("Regelbedarfsstufe 1"), in order."""
    found: list[str] = []
    for line in text.splitlines():
        if "|" not in line:
            continue
        for cell in line.split("|"):
            cell = " ".join(cell.split())
            if _LEVEL_CELL.fullmatch(cell) and cell not in found:
                found.append(cell)
    return found


def mentioned_levels(text: str) -> list[str]:
    """Everything in ``text`` shaped like a level name ("Regelbedarfsstufe 1", also "Satz 1"):
    the candidates a table's header may value."""
    return list(dict.fromkeys(m.group() for m in _LEVEL_MENTION.finditer(text)))


def names_level(text: str, level: str) -> bool:
    """True when ``text`` names ``level`` as such ("Regelbedarfsstufe 1", not "… 12")."""
    return level in mentioned_levels(text)


def level_links(chunks: Iterable[tuple[str, Chunk]]) -> dict[str, list[str]]:
    """Per chunk id: the tables (chunk ids) that value a level the chunk names."""
    pairs = list(chunks)
    tables: dict[str, list[str]] = {}
    for chunk_id, chunk in pairs:
        for level in table_levels(chunk.text):
            tables.setdefault(level, []).append(chunk_id)
    if not tables:
        return {}
    links: dict[str, list[str]] = {}
    for chunk_id, chunk in pairs:
        found = [t for level in mentioned_levels(chunk.text) for t in tables.get(level, ()) if t != chunk_id]
        if found:
            links[chunk_id] = list(dict.fromkeys(found))
    return links
