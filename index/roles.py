"""Sentence roles: what each sentence of a chunk is there for.

    from index.roles import mark_roles, role_spans, role_of
    chunk.extra["roles"] = mark_roles(chunk)      # [[start, end, role], ...] over chunk.text
    role_of(role_spans(chunk), start, end)        # -> "norm", "example", ...

Roles are decided from the document's structure (source kind, the Landtag question part,
the Weisung's Änderungshistorie, § titles of transitional rules and the parts of a law's
outline that hold them) and from wording that the
documents themselves use to mark a sentence's purpose ("Beispiel:", "Abwandlung",
"in der bis … geltenden Fassung", "BGBl.", "im Sinne dieses Buches"). Answers quote norms and
definitions; examples, change histories and questions only when asked for, or never.
"""
from __future__ import annotations

import re
from typing import Any, Sequence

from fundstelle.sentences import split_sentences, without_absatz_number
from index.sentence_vectors import question_end

NORM = "norm"                # law text; a Weisung's rule
DEFINITION = "definition"    # a legal definition ("… im Sinne dieses Buches ist, wer …")
EXAMPLE = "example"          # Beispiel blocks, worked cases with invented persons or dates
HISTORY = "history"          # change history, transitional and temporary (Covid) rules
PROCEDURE = "procedure"      # internal procedure notes (forms, IT systems, documentation)
QUESTION = "question"        # a Landtag question (also one asked in the questioners' Vorbemerkung)
ASKER = "asker"              # a statement of the questioners' Vorbemerkung: their claim, not the government's
ROLES = (NORM, DEFINITION, EXAMPLE, HISTORY, PROCEDURE, QUESTION, ASKER)

# German labels for the source card.
ROLE_LABELS = {NORM: "Regel", DEFINITION: "Definition", EXAMPLE: "Beispiel", HISTORY: "Rechtsänderung/Übergang",
               PROCEDURE: "Verfahrenshinweis", QUESTION: "Frage", ASKER: "Angabe der Fragesteller"}

# A paragraph that opens a worked case: the Weisungen's own block labels.
_EXAMPLE_BLOCK = re.compile(r"^\s*(?:\(\d+[a-z]?\)\s*)?(?:\d+\.\s*)?(Beispiele?|Fallbeispiele?|Beispielsfall|"
                            r"Beispielrechnung|Berechnungsbeispiel|Abwandlung|Lösung|Variante|Fallgestaltung)\b"
                            r"(?:\s*\d+)?\s*[:.(–-]?", re.IGNORECASE)
_EXAMPLE_INLINE = re.compile(r"\b(Beispiele?|Fallbeispiel|Abwandlung)\s*\d*\s*:")
# Invented persons ("Frau A", "Herr B.", "Familie M") and concrete calendar dates of a scenario.
_INVENTED_PERSON = re.compile(r"\b(Herr|Frau|Familie|Ehepaar|Person|Kind|Mutter|Vater|Sohn|Tochter|Partner|"
                              r"Partnerin|Antragsteller|Antragstellerin)\s+[A-ZÄÖÜ]\b\.?(?!\w)")
_CONCRETE_DATE = re.compile(r"\b(?:[Aa]m|vom)\s+(?:\d{1,2}\.\s?\d{1,2}\.\s?(?:19|20)?\d{2}\b|\d{1,2}\.\s*"
                            r"(?:Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|"
                            r"Dezember)(?:\s+(?:19|20)\d{2})?\b)")
# A date that is part of a citation (court decision, gazette, the document's own Stand), not a scenario.
_CITED_DATE = re.compile(r"\b(Urteil\w*|Beschluss\w*|Entscheidung|Az|BSG|BVerfG|LSG|EuGH|BAG|BGH|BFH|BVerwG|SG|BGBl|Gesetz(?:es)?|Verordnung|Stand|Fassung|"
                         r"Erlass|Schreiben|Rundschreiben|Weisung|Drucksache|Drs)\b[^.;]{0,40}\d{1,2}\.\s?(?:\d{1,2}\.|[A-ZÄ][a-zä]+ \d{4})")
_HISTORY = re.compile(r"in der (?:bis|ab|vom|am)\b[^;]{0,60}?\bgeltenden Fassung|\bBGBl\.|"
                      r"\b(?:Änderungs|Anpassungs)?[Gg]esetz(?:es)? vom \d{1,2}\.|\bmit Wirkung (?:vom|zum|ab) \d|"
                      r"\b\w+gesetz(?:es)? (?:19|20)\d{2}\b|"
                      r"\bÜbergangs(?:regelung|vorschrift)|\b(?:tritt|treten|trat|traten) .{0,40}in Kraft\b|"
                      r"\bin Kraft getreten\b|^\(?weggefallen\)?\.?$|\bAnpassung aufgrund\b|"
                      r"\b[Rr]edaktionelle (?:Anpassung|Änderung)")
# Parts of a law's outline (gii "Gliederung") that hold its transitional and temporary rules:
# "Kapitel 11 – Übergangs- und Schlussvorschriften" (SGB II), "Fünfter Abschnitt –
# Übergangsregelungen auf Grund von Änderungsgesetzen", "Zweiter Abschnitt – Ergänzungen für
# übergangsweise mögliche Leistungen …" (SGB III). Their §§ are often titled by the amending act
# alone ("Siebtes Gesetz zur Änderung des Dritten Buches …"), so the title does not tell.
_HISTORY_OUTLINE = re.compile(r"Übergangs(?:regelung|vorschrift)\w*|Übergangs- und Schlussvorschriften|übergangsweise|"
                              r"bei Rechtsänderungen")
# A § in that part whose title names no act ("Ansprüche von Ausländerinnen und Ausländern mit einer
# Fiktionsbescheinigung", § 74 SGB II) may be a rule in force for a group of people: only its
# sentences that name a year ("ab dem 1. Juli 2022", "vor dem 1. Juni 2022") are history.
_NAMES_AN_ACT = re.compile(r"[Gg]esetz|[Vv]erordnung|Änderung|aus Anlass")
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
# § titles of transitional, temporary and commencement rules (gii "Überschrift").
_HISTORY_TITLE = re.compile(r"Übergangs(?:regelung|vorschrift)|aus Anlass der COVID|COVID-19|Vorübergehende "
                            r"Sonderregelung|Inkrafttreten|Außerkrafttreten|^\(?weggefallen\)?$", re.IGNORECASE)
_DEFINITION = re.compile(r"\bim Sinne (?:dieses|dieser) (?:Buches|Gesetzes|Verordnung|Vorschrift)\b|\b(?:ist|sind), wer\b|\b(?:gilt|gelten) als\b|"
                         r"^Als \w[^.]{0,80} (?:gilt|gelten)\b|\bversteht man\b|\bwird definiert\b|"
                         r"^Zu[rm]? \w+ gehören\b|\bsind (?:Personen|alle), die\b|"
                         # "Langzeitarbeitslose sind Arbeitslose, die …", "Unständig ist eine
                         # Beschäftigung, die …": the defined term opens the sentence, no article.
                         r"^(?!(?:Der|Die|Das|Dem|Den|Des|Ein|Eine|Einer|Eines)\b)"
                         r"[A-ZÄÖÜ][\w-]+ (?:ist|sind) (?:[a-zäöü]+ )?[A-ZÄÖÜ][\w-]+, (?:der|die|das|wer)\b")
_PROCEDURE = re.compile(r"\b(ALLEGRO|VerBIS|Vordrucks?|Vordrucke|Fachverfahren|IT-Verfahren|Textbaustein\w*|"
                        r"BK-Text\w*|aktenkundig|zu dokumentieren|Vermerk|Arbeitshilfe\w*|Geschäftsanweisung)\b")


_WORD = re.compile(r"[^\W\d_][\w.-]*")


def _is_figure_line(sentence: str) -> bool:
    """A calculation or table line ("Mutter Vermögen: 17.500,00 EUR Freibetrag: 15.000,00 EUR",
    "April - Mai: monatlich 1.000,00 Euro"): figures with labels, hardly any prose words."""
    if not re.search(r"\d,\d\d\b|\|", sentence):   # an amount ("1.000,00") or a table cell
        return False
    words = _WORD.findall(sentence)
    prose = [w for w in words if w[0].islower()]
    return len(prose) <= 0.3 * max(1, len(words))


def _paragraphs(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in re.finditer(r"\n\s*\n", text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def _cut_at(spans: list[tuple[int, int]], cut: int, text: str) -> list[tuple[int, int]]:
    """Sentence spans with the one that straddles ``cut`` (the end of a Landtag question and
    its "(Bitte …)" aside) split there, so the answer after it is not marked a question."""
    out = []
    for start, end in spans:
        if start < cut < end:
            rest = cut
            while rest < end and text[rest].isspace():
                rest += 1
            out.append((start, cut))
            if rest < end:
                out.append((rest, end))
        else:
            out.append((start, end))
    return out


def mark_roles(chunk: Any) -> list[list]:
    """[[start, end, role], ...] for every sentence of ``chunk.text`` (a ``Chunk``)."""
    text: str = chunk.text
    kind: str = chunk.kind
    locator: dict = chunk.locator or {}
    extra: dict = chunk.extra or {}
    out: list[list] = []
    if kind == "landtag":
        question_until = question_end(text) if locator.get("frage") else 0
        preamble = locator.get("teil") == "vorbemerkung"
    else:
        question_until, preamble = 0, False
    title = str(extra.get("paragraph_title", ""))
    transitional_part = kind == "law" and bool(_HISTORY_OUTLINE.search(str(extra.get("gliederung", ""))))
    whole_history = (kind == "ba" and locator.get("part") == "Änderungshistorie") or (
        kind == "law" and bool(_HISTORY_TITLE.search(title))) or (transitional_part and bool(_NAMES_AN_ACT.search(title)))
    dated_history = transitional_part and not whole_history
    previous_example = ""   # the last sentence of the paragraph before, when it was an example
    block = False           # that paragraph was a labelled example block ("Beispiel: …") or went on one
    for p_start, p_end in _paragraphs(text):
        paragraph = text[p_start:p_end]
        spans = [(p_start + s, p_start + e) for s, e in split_sentences(paragraph)]
        # A worked case goes on past its paragraph where its last sentence announces what
        # follows ("Der Sachverhalt:") or where the next paragraph is its calculation. A bullet
        # list after "Beispiele:" is a list of typical cases, which the Weisungen use as rules.
        continued = bool(previous_example) and (
            (block and previous_example.rstrip().endswith(":") and not paragraph.lstrip().startswith(("•", "-", "–")))
            or all(_is_figure_line(text[s:e]) for s, e in spans))
        block = kind != "law" and (continued or bool(_EXAMPLE_BLOCK.match(paragraph)))
        in_example = block
        for start, end in _cut_at(spans, question_until, text):
            sentence = text[start:end]
            if preamble:
                role = QUESTION if sentence.rstrip().endswith("?") else ASKER
            elif end <= question_until:
                role = QUESTION
            elif whole_history or (dated_history and _YEAR.search(sentence)):
                role = HISTORY
            elif kind != "law" and (in_example or _EXAMPLE_INLINE.search(sentence)):
                role = EXAMPLE
                in_example = True   # the rest of the paragraph is the worked case
            elif kind == "ba" and out and out[-1][2] == EXAMPLE and _is_figure_line(sentence):
                role = EXAMPLE      # the figures of the worked case just told
            elif _HISTORY.search(sentence.strip()):
                role = HISTORY
            elif kind == "ba" and (_INVENTED_PERSON.search(sentence) or (
                    _CONCRETE_DATE.search(sentence) and not _CITED_DATE.search(sentence))):
                # Worked cases without a "Beispiel:" label are the Weisungen's; a date in a
                # Landtag answer or any other document is a fact it reports.
                role = EXAMPLE
            # An Absatz number ("(3) Zur Bedarfsgemeinschaft gehören") hides the opening words.
            elif _DEFINITION.search(without_absatz_number(sentence.strip())):
                role = DEFINITION
            elif kind == "ba" and _PROCEDURE.search(sentence):
                role = PROCEDURE
            else:
                role = NORM
            out.append([start, end, role])
        previous_example = text[out[-1][0]:out[-1][1]] if out and out[-1][2] == EXAMPLE and kind == "ba" else ""
    return out


def role_spans(chunk: Any) -> list[list]:
    """The roles stored with the chunk at ingest, or marked now for chunks ingested before roles existed."""
    stored = (chunk.extra or {}).get("roles")
    return stored if stored else mark_roles(chunk)


def role_of(spans: Sequence[Sequence], start: int, end: int) -> str:
    """Role of the character range [start, end): the role of the sentence overlapping it most
    (a stricter role wins a tie: example, question and history outrank norm)."""
    best, best_overlap = NORM, 0
    for s, e, role in spans:
        overlap = min(end, e) - max(start, s)
        if overlap > best_overlap or (overlap == best_overlap and overlap > 0 and role in (EXAMPLE, QUESTION, ASKER, HISTORY)):
            best, best_overlap = role, overlap
    return best
