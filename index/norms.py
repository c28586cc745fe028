"""Norm profiles and unit context: what a norm is called, what it defines, how its Weisung heads it.

A lawyer looking something up finds the norm first (by its title, the terms it defines, the
headings of the Weisung that explains it), then the Absatz or Randziffer inside it. The texts
here serve that first step, and give each unit searchable context that is not its own text:

* a **norm profile** per § ("§ 7 SGB II"): its title, the law's name, the terms its Absätze
  define, the heading chains and margin notes of the Weisung Rz. that explain it;
* a **unit context** per chunk: its § number and title, the law's name, the terms it defines,
  for a law Absatz the headings of the Rz. that explain it, for a Rz. its heading chain.

Everything is derived from the corpus by rules that hold for any German law or BA Weisung:
legal definitions have a fixed form ("Hilfebedürftig ist, wer …", "Als Einkommen gelten …",
"Zur Bedarfsgemeinschaft gehören …", "… im Sinne dieses Buches sind …"), and the explaining
Rz. come from the reference graph (``index.references``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from fundstelle.sentences import without_absatz_number
from index.chunk import Chunk
from index.references import Edge, unit_edges, unit_norm

# The heads of a legal definition, at the start of a sentence (an Absatz number may precede).
_LEAD = r"(?:^|(?<=[.:;]\s)|(?<=\)\s))"
_DEFINITION_FORMS = (
    # "Hilfebedürftig ist, wer", "Langzeitarbeitslose sind Arbeitslose, die", "Erwerbsfähig ist, wer"
    re.compile(_LEAD + r"(?P<term>[A-ZÄÖÜ][\wäöüß-]{3,}(?:\s+[a-zäöüß][\wäöüß-]+)?)\s+(?:ist|sind)\s*,?\s+"
               r"(?:[A-ZÄÖÜ][\wäöüß-]+\s*,?\s+)?(?:wer|diejenigen?|alle|jede[rs]?|eine?|der|die|das)\b"),
    # "Als Einkommen gelten", "Als Integration im Sinne dieser Kennzahl gilt"
    re.compile(_LEAD + r"Als\s+(?P<term>(?:[a-zäöüß]+\s+){0,2}[A-ZÄÖÜ][\wäöüß-]{3,})\b[^.]{0,60}?\s+(?:gilt|gelten|zu\s+berücksichtigen\s+sind)\b"),
    # "Zur Bedarfsgemeinschaft gehören"
    re.compile(_LEAD + r"Zur\s+(?P<term>[A-ZÄÖÜ][\wäöüß-]{3,})\s+gehören\b"),
    # "Langzeitarbeitslose im Sinne dieses Buches sind"
    re.compile(r"(?P<term>[A-ZÄÖÜ][\wäöüß-]{3,})\s+im\s+Sinne\s+(?:dieses|dieser)\s+\w+\s+(?:ist|sind)\b"),
)


def defined_terms(text: str) -> list[str]:
    """The terms a legal text defines, in order of appearance, without repeats."""
    text = without_absatz_number(" ".join(text.split()))
    found: list[tuple[int, str]] = []
    for form in _DEFINITION_FORMS:
        for match in form.finditer(text):
            found.append((match.start(), match.group("term")))
    return list(dict.fromkeys(term for _, term in sorted(found)))


# The scope of a legal definition limited to the provision it stands in ("im Sinne dieser
# Vorschrift", "im Sinne des Satzes 1", "im Sinne von Absatz 2"), against "im Sinne dieses Buches".
_LOCAL_SCOPE = re.compile(r"\bim Sinne (?:dieser Vorschrift|dieses (?:Absatzes|Paragraphen|Satzes)|dieser Nummer|"
                          r"de[rs] (?:Satzes|Sätze|Absatzes|Absätze|Nummer)\b|von (?:Satz|Absatz)\b)")


def defines(sentence: str, term: str) -> bool:
    """Whether ``sentence`` is a legal definition of ``term`` (inflection aside:
    "langzeitarbeitslos" is defined by "Langzeitarbeitslose sind …"), and not one that holds
    only for its own provision ("Als Bedarfsgemeinschaft im Sinne dieser Vorschrift gelten
    auch …", § 51a SGB II): that one does not say what the term means."""
    if _LOCAL_SCOPE.search(sentence):
        return False
    return any(same_term(defined, term) for defined in defined_terms(sentence))


# A name given in parentheses after what it names (the "Klammerdefinition" of German drafting):
# "… das Beschäftigungsverhältnis gelöst … hat (Sperrzeit bei Arbeitsaufgabe)", "die
# Bundesagentur für Arbeit (Bundesagentur)". The parentheses follow a word and hold a noun
# phrase and nothing else (adjectives before one capitalised noun, then at most four words): no
# digit, no "§", no abbreviation in capitals ("(SGB II)"), no remark ("(zum Beispiel …)").
_BRACKETED = re.compile(
    r"(?<=[\w,]\s)\((?P<term>(?:[a-zäöüß-]{2,}(?:e|er|es|en|em)\s){0,2}[A-ZÄÖÜ][a-zäöüß-]{3,}"
    r"(?:\s(?:[a-zäöüß]+|[A-ZÄÖÜ][a-zäöüß-]+)){0,4})\)")
_NOT_A_NAME = ("ohne", "zum", "zur", "etwa", "einschließlich", "insbesondere", "sowie", "also", "siehe", "vergleiche")


def named_terms(text: str) -> list[str]:
    """The names a legal text gives in parentheses after what they name, in order, without
    repeats: "(Sperrzeit bei Arbeitsaufgabe)", "(allgemeine Meldepflicht)", "(Kooperationsplan)".
    Kept apart from ``defined_terms``: such a name says what the sentence is called, which a
    definitional question about that name asks for; it does not describe the norm as a whole."""
    text = " ".join(text.split())
    return list(dict.fromkeys(m.group("term") for m in _BRACKETED.finditer(text)
                              if m.group("term").split()[0] not in _NOT_A_NAME))


def same_name(named: str, phrase: str) -> bool:
    """Whether a question's phrase is the given name, word for word, inflection aside
    ("die allgemeine Meldepflicht" asks for "(allgemeine Meldepflicht)"; "Sperrzeit" alone
    does not ask for "(Sperrzeit bei Arbeitsaufgabe)")."""
    ours, theirs = named.casefold().split(), phrase.casefold().split()
    if len(ours) != len(theirs):
        return False
    for a, b in zip(ours, theirs):
        shorter, longer = sorted((a, b), key=len)
        if a != b and not (len(shorter) >= 4 and len(longer) - len(shorter) <= 2
                           and longer.startswith(shorter[:len(shorter) - 1])):
            return False
    return True


def gives_name(sentence: str, phrase: str) -> bool:
    """Whether ``sentence`` gives ``phrase`` as its name in parentheses (``named_terms``)."""
    return any(same_name(named, phrase) for named in named_terms(sentence))


def asked_name(named: Iterable[str], phrases: Sequence[str]) -> str:
    """The first of a question's ``phrases`` (``retrieval.asked_term.asked_phrases``, longest
    first) that is one of the ``named`` terms, whole ("" for none): "Sperrzeit bei
    Arbeitsaufgabe" of ["Sperrzeit bei Arbeitsaufgabe nach dem SGB III", "Sperrzeit bei
    Arbeitsaufgabe", "Sperrzeit"]."""
    named = list(named)
    return next((wanted for wanted in phrases if any(same_name(n, wanted) for n in named)), "")


def absatz_order(absatz: str) -> tuple[int, str]:
    """Sort key of an Absatz number in the law's order: "2a" -> (2, "a"); no Absatz first."""
    match = re.match(r"(\d+)(.*)", absatz or "")
    return (int(match.group(1)), match.group(2)) if match else (0, "")


def same_term(defined: str, term: str) -> bool:
    """Whether two words name one term, inflection aside ("Langzeitarbeitslose" /
    "langzeitarbeitslos"): the shorter, less its last two letters, begins the longer."""
    shorter, longer = sorted((term.casefold(), defined.casefold()), key=len)
    # Inflection adds a few letters at most ("Bedarfsgemeinschaft|en"); more is another word
    # ("Arbeitslose" / "Arbeitslosengeld").
    return (len(shorter) >= 5 and len(longer) - len(shorter) <= 3
            and longer.startswith(shorter[:max(5, len(shorter) - 2)]))


def _heading_chain(chunk: Chunk) -> list[str]:
    """A Rz.'s headings and margin notes (what the Weisung calls the matter it explains)."""
    extra = chunk.extra
    parts = list(extra.get("heading_path") or [])
    for key in ("margin_note", "rz_title", "annex_title"):
        if extra.get(key):
            parts.append(str(extra[key]))
    parts.extend(str(n) for n in extra.get("margin_notes") or [])
    return [" ".join(p.split()) for p in parts if p and p.strip()]


@dataclass
class NormProfile:
    """One norm ("§ 7 SGB II") as a lawyer would look it up."""

    key: str
    title: str = ""
    law_title: str = ""
    definitions: list[str] = field(default_factory=list)
    named: list[str] = field(default_factory=list)       # names given in parentheses (``named_terms``)
    headings: list[str] = field(default_factory=list)
    units: list[str] = field(default_factory=list)       # chunk ids of its law Absätze
    explained_by: list[str] = field(default_factory=list)  # chunk ids of the Rz. explaining it

    def text(self) -> str:
        """The profile as one short text (for the norm-level BM25 and embedding)."""
        lines = [" ".join(x for x in (self.key, self.title) if x)]
        if self.law_title:
            lines.append(self.law_title)
        if self.definitions:
            lines.append("Begriffe: " + ", ".join(self.definitions))
        if self.headings:
            lines.append(" · ".join(dict.fromkeys(self.headings)))
        return "\n".join(lines)


@dataclass
class UnitContext:
    """Per chunk id: the norm it belongs to and its searchable context text."""

    norm: dict[str, str]
    context: dict[str, str]


def build_profiles(chunks: Iterable[tuple[str, Chunk]], graph: dict[str, list[Edge]] | None = None,
                   max_headings: int = 40) -> tuple[dict[str, NormProfile], UnitContext]:
    """Norm profiles and unit contexts of a corpus (``(chunk id, chunk)`` pairs); ``graph`` is
    the stored reference graph by source chunk (parsed from the chunks when not given)."""
    chunks = list(chunks)
    profiles: dict[str, NormProfile] = {}
    norms: dict[str, str] = {}
    edges: dict[str, list] = {}
    absatz_headings: dict[tuple[str, str], list[str]] = {}
    definitions: dict[str, list[str]] = {}
    for chunk_id, chunk in chunks:
        norm = unit_norm(chunk.kind, chunk.locator)
        norms[chunk_id] = norm
        edges[chunk_id] = (graph.get(chunk_id, []) if graph is not None else
                           unit_edges(chunk_id, chunk.kind, chunk.locator, chunk.text,
                                      str(chunk.extra.get("weisung_doc", ""))))
        if not norm:
            continue
        profile = profiles.setdefault(norm, NormProfile(norm))
        if chunk.kind == "law":
            profile.title = profile.title or str(chunk.extra.get("paragraph_title") or "")
            profile.law_title = profile.law_title or chunk.title
            profile.units.append(chunk_id)
            terms = defined_terms(chunk.text)
            definitions[chunk_id] = terms
            profile.definitions.extend(t for t in terms if t not in profile.definitions)
            profile.named.extend(t for t in named_terms(chunk.text) if t not in profile.named)
        else:
            profile.explained_by.append(chunk_id)
            chain = _heading_chain(chunk)
            if len(profile.headings) < max_headings:
                profile.headings.extend(h for h in chain if h not in profile.headings)
            explains = next((e for e in edges[chunk_id] if e.kind == "explains"), None)
            if explains is not None and explains.absatz:
                absatz_headings.setdefault((norm, explains.absatz), []).extend(chain)
    context: dict[str, str] = {}
    for chunk_id, chunk in chunks:
        norm = norms[chunk_id]
        profile = profiles.get(norm)
        parts = [chunk.label]
        if profile is not None:
            parts += [profile.title, profile.law_title]
        if chunk.kind == "law":
            parts += definitions.get(chunk_id, [])
            absatz = chunk.locator.get("absatz", "")
            parts += list(dict.fromkeys(absatz_headings.get((norm, absatz), [])))[:max_headings]
        else:
            parts += _heading_chain(chunk)
        context[chunk_id] = "\n".join(p for p in parts if p)
    return profiles, UnitContext(norms, context)
