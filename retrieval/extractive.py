"""Extractive answers: one to three sentences of the retrieved passages, verbatim, each with
its marker: the governing rule first, at most one explanation of the same norm from a
Weisung, and the sentence with the figure when the question asks for an amount, date or
deadline (more only when it asks for a list). Sentences carry their role (``index.roles``):
examples, change histories and procedure notes are quoted only when asked for, Landtag
questions never. Also computes the evidence features that answerability is decided on."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import numpy as np

from fundstelle.sentences import table_rows, without_absatz_number
from index.german import fold, tokenize_german
from index.norms import absatz_order, defines, gives_name, same_name, same_term
from index.references import unit_norm, without_references
from index.roles import ASKER, DEFINITION, EXAMPLE, HISTORY, NORM, PROCEDURE, QUESTION, role_of, role_spans
from index.sentence_vectors import answer_spans, is_question_answer, question_end
from index.levels import mentioned_levels
from index.spelling import misspelt_in
from retrieval.asked_term import asked_term
from retrieval.injection import is_instruction_like
from retrieval.search import Hit

_CONTINUATION = re.compile(r"^(Vielmehr|Dies|Dabei|Danach|Hierbei|Insoweit|Allerdings|Jedoch|Zudem|Außerdem|Daher|"
                           r"Deshalb|Sie|Er|Es|Diese|Dieser|Dieses|Hierzu|Darüber hinaus)\b")
# A sentence that only points elsewhere ("Näheres hierzu regelt die Verordnung …", "Hinweise
# zur Bürgergeld-V enthalten auch die Fachlichen Weisungen …", "Siehe hierzu Rz. 9.4a.") says
# nothing the user could act on: the answer quotes what it points to, or nothing.
_POINTER = re.compile(r"^\W*(?:(?:Das\s+)?Nähere(?:s)?\b[^.]{0,120}?\b(?:regel|bestimm)\w*|"
                      r"(?:Weitere\s+)?(?:Hinweise|Einzelheiten|Ausführungen|Informationen|Erläuterungen)\b[^.]{0,150}?"
                      r"\b(?:enthalt\w*|enthält|ergeben sich|finden sich|siehe)|(?:Siehe|Vergleiche|Vgl\.)\s)")
# Neighbouring sentences of a passage stand this many characters apart at most (a space, a line break).
MAX_GAP = 4
# The shortest compound head that ``_same_head`` counts.
MIN_HEAD = 5
_ENUMERATION_ONLY = re.compile(r"^\(?\d+[a-z]?[.)]?$|^[a-z]\)$")
# A "sentence" this long that does not end like one (full stop, colon, semicolon, a list item's
# comma, a closing bracket or quote) is a run of table cells the PDF flattened ("§ 81 Absatz 4
# Leeres Feld Fiktionsbescheinigung … § 104a Aufenthaltserlaubnis Altfallregelung …"), not a
# statement that can be quoted.
MAX_UNENDED_CHARS = 250
_SENTENCE_END = '.!?:;,)"“”'
# A footnote's number after the full stop ("… keine Anwendung mehr.3") still ends a sentence.
_FOOTNOTE_AFTER_END = re.compile(r"[.!?]\d{1,2}$")
# The loaders of the known sources keep the documents' punctuation: in a law, a Weisung or a
# Landtag answer a span that ends without it is a heading, a table cell or a line of a table of
# contents ("• § 8 Wert des Vermögens"), not a statement. A text a user adds may not punctuate,
# so there only a long unended span (a flattened table) is left out.
_PUNCTUATED_KINDS = ("law", "ba", "landtag")
# What a question asks for, from German (and English) question grammar.
_ASKS_EXAMPLE = re.compile(r"\bBeispiel|\bz\.\s?B\.|\bexample", re.IGNORECASE)
_ASKS_HISTORY = re.compile(r"\b(früher|bisher|vorher|alte[nrm]? (?:Fassung|Recht)|geändert|Änderung\w*|Übergang\w*|"
                           r"seit wann|bis wann galt|(?:19|20)\d{2}|"
                           # asked in the past tense: "Wie lange wurde … gezahlt?", "Was galt …?"
                           r"wurden?|waren?|galten?|gab es)\b", re.IGNORECASE)
_ASKS_FIGURE = re.compile(r"\b(wie (?:viel|viele|hoch|lange|alt|oft|groß)|wieviel\w*|Höhe|Betrag|Beträge|Euro|Prozent|"
                          r"wann|bis wann|ab wann|Frist\w*|Monat\w*|Woche\w*|Tag\w*|Jahr\w*|Alter|Lebensjahr\w*|"
                          r"how (?:much|many|long|old)|when|amount|deadline)\b", re.IGNORECASE)
_ASKS_LIST = re.compile(r"\b(welche|was (?:alles|gehört|zählt)|Voraussetzungen|Liste|aufzählen|which|what are)\b",
                        re.IGNORECASE)
_ASKS_DEFINITION = re.compile(r"^\s*(was (?:ist|sind|bedeutet|bedeuten|versteht man|heißt|(?:gehört|zählt) (?:alles )?zu\w*)|"
                              r"wer (?:ist|gilt|gehört)|"
                              r"(?:ab |bis )?wann (?:ist|gilt) (?:man|jemand|eine?)|what is|who is)\b", re.IGNORECASE)
# A question whose interrogative asks for a number ("Wie viel …?", "Um wie viel Prozent …?",
# "Was kostet …?", "How many …?", "Скільки …?", "كم"): at the start of one of its sentences
# or clauses (after "und", a comma or a dash), with at most a preposition before it. Inside a
# yes/no question ("Does … keep statistics on how many …?") it asks for no number. Turkish
# puts the interrogative before the verb at the end ("Bürgergeld ne kadar?", "… kaç
# ay?"): there it counts wherever it stands (not "ne kadar sürer", how long, like "wie lange").
_ASKS_QUANTITY = re.compile(
    r"(?:^|[.?!:;,–-]\s*|\b(?:und|oder|and|or)\s+)(?:(?:um|bis zu|ab|bis|up to|by)\s+)?"
    r"(?:wie\s*viele?[nrm]?|wieviele?[nrm]?|wie hoch|was kostet|was kosten|how much|how many"
    r"|скільки|сколько|كم)(?!\w)"
    r"|(?:^|\s)(?:ne kadar(?!\w)(?!\s+(?:sür|zaman|uzun))|kaç(?!\w))", re.IGNORECASE)
# The words of asking for an amount: its verbs ("Wie viel kostet …?"; "Wie hoch ist …?" has a
# stop word) and its units ("… im Monat?", "… in Euro?"). They ask; they do not name what the
# figure is about.
_QUANTITY_FRAME = re.compile(
    r"\b(?:kost(?:e|et|en|ete|eten)|beträgt|betragen|betrug|betrugen|euro|prozent|"
    r"tag(?:e|en)?|woche(?:n)?|monat(?:e|en|s)?|jahr(?:e|en|es)?|stunde(?:n)?|monatlich|jährlich|täglich)\b",
    re.IGNORECASE)
# What is not a figure in a sentence: references ("§ 11b Abs. 2 Satz 1 Nr. 3", "Rz. 11.45",
# "Frage 3", "Drucksache 18/5591", "BGBl. I S. 2954", a court's "Az.: B 14 AS 35/16 R"), named
# levels ("Regelbedarfsstufe 1"), Absatz numbers and list enumerators ("(2)", "1. monatlich …")
# and dates ("01.01.2025", "2024") name, they do not count; nor does an ordinal ("das 25.
# Lebensjahr", "im 3. Monat"): it says which one, not how much, so it answers no "Wie viel …?".
_REFERENCE_NUMBER = re.compile(
    r"(?:§§?|Abs\.|Absatz|Absätze|Nr\.|Nummer|Satz|Sätze|Rz\.|Randziffer|Buchstabe|Kapitel|Artikel|Art\.|Anlage|"
    r"Frage|Fragen|Drucksache|Anfrage|Ziffer|Teil|Buch|S\.|Seite|\w*[Ss]tufen?)\s*\d+(?:[./]\d+)*\s?[a-z]?\b"
    r"(?:\s*(?:bis|und|,|–|-)\s*\d+\s?[a-z]?\b)*"
    # a court's file number ("Az.: B 14 AS 35/16 R", "1 BvR 1234/10")
    r"|\b(?:[A-Z]\s)?\d+\s[A-Z][A-Za-z]{0,3}\s\d+/\d+(?:\s[A-Z]{1,2}\b)?"
    r"|\(\d+[a-z]?\)|(?:^|\n|:)\s*\d+[a-z]?\.(?=\s)", re.IGNORECASE)
_DATE = re.compile(r"\b\d{1,2}\.\s?\d{1,2}\.\s?(?:19|20)?\d{2}\b|\b(?:19|20)\d{2}\b|\b\d{1,2}\.\s*(?:Januar|Februar|März|"
                   r"April|Mai|Juni|Juli|August|September|Oktober|November|Dezember)\b")
_ORDINAL = re.compile(r"(?<![\w.,])\d+\.(?=\s+\w)")
_NUMBER_WORD = (r"(?:zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|zwanzig|dreißig|vierzig|fünfzig|"
                r"sechzig|siebzig|achtzig|neunzig)")
_QUANTITY = re.compile(rf"(?<![\w.])\d[\d.,]*|\b{_NUMBER_WORD}(?:hundert|tausend)?\b|\b(?:hundert|tausend|"
                       r"Hälfte|Drittel|Viertel|Prozent)\b", re.IGNORECASE)


def asks_quantity(question: str) -> bool:
    """True when the question asks for a number (an amount, a count, a rate)."""
    return bool(_ASKS_QUANTITY.search(question.strip()))


def states_quantity(text: str) -> bool:
    """True when the sentence states a number: digits or a number word, not counting the
    numbers of references and dates."""
    return bool(_QUANTITY.search(_ORDINAL.sub(" ", _DATE.sub(" ", _REFERENCE_NUMBER.sub(" ", text)))))


_FIGURE = re.compile(r"\d")
# Display only: a leading Absatz number "(2)", list markers "1." / "a)" / "•", table cells "58. | 24".
_LEADING_MARKER = re.compile(r"^\s*(?:\(\d+[a-z]?\)|\d+[a-z]?\.(?=\s+[A-ZÄÖÜ])|[a-z]\)|[•\-–·▪])\s+")
_INNER_ABSATZ = re.compile(r"(?<=[.:;])\s+\(\d+[a-z]?\)\s+")


def asks_example(question: str) -> bool:
    """True when the question asks for an example (then examples may be quoted)."""
    return bool(_ASKS_EXAMPLE.search(question))


def readable(sentence: str) -> str:
    """The sentence as a citizen reads it: no Absatz numbers or list markers, table rows as
    "58. Lebensjahr: 24 Monate" instead of "58. | 24" (the verbatim check runs on the source)."""
    text = " ".join(sentence.split())
    if "|" in text:
        # A table row: its first cell ("58. Lebensjahr") is a label, not a list marker.
        cells = [c.strip() for c in text.split("|") if c.strip()]
        return ": ".join(cells) if len(cells) == 2 else "; ".join(cells)
    while True:
        stripped = _LEADING_MARKER.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    return _INNER_ABSATZ.sub(" ", text)


def _ends_sentence(sentence: str) -> bool:
    return sentence[-1] in _SENTENCE_END or bool(_FOOTNOTE_AFTER_END.search(sentence))


def _is_fragment(sentence: str) -> bool:
    """A piece of a sentence: it opens in lower case once its list marker is gone. When it
    opens its passage, its start lies in another one ("• in jedem Fall Anspruchsberechtigte
    nach dem AsylbLG …" is a Rz. of its own, one item of the list "Ausgeschlossen von den
    Leistungen des SGB II sind:" that ends the Rz. before it): quoted alone it can say the
    opposite of its source, so it is no answer. Within a passage (an item of a list whose
    lead-in the card shows) it may be."""
    first = next((ch for ch in readable(sentence) if ch.isalpha()), "")
    return first.islower()


def _names(sentence: str, term: str) -> bool:
    """Whether the sentence uses the term, inflection aside ("Kooperationsplans"): a word of
    about the term's length with its stem (not "Eingliederung" for "Eingliederungsvereinbarung")."""
    term = term.casefold()
    return any(same_term(word, term) and abs(len(word) - len(term)) <= 3
               for word in re.findall(r"[^\W\d_][\w-]*", sentence.casefold()))


def norm_key(chunk) -> str:
    """The norm a chunk states or explains ("§ 22 SGB II" for § 22 Abs. 1 SGB II and for FW § 22
    SGB II, Rz. 22.41: ``index.references.unit_norm``, so a Rz. of a Weisung over several §§
    belongs to the § whose part holds it). A part of such a Weisung that explains no one §
    (its front matter, its change history) keeps the Weisung's name."""
    norm = unit_norm(chunk.kind, chunk.locator or {})
    if not norm and chunk.kind == "ba":
        return str((chunk.locator or {}).get("weisung", ""))
    return norm


def _is_question_answer(hit: Hit) -> bool:
    return is_question_answer(hit.chunk)


def _names_any(chunk, terms: Sequence[str]) -> bool:
    """Whether the chunk's label, title or text holds one of the stems ``terms``."""
    present = set(tokenize_german(f"{chunk.label} {chunk.title} {chunk.text}"))
    return any(term_present(term, present) for term in terms)


def _is_asker_preamble(hit: Hit) -> bool:
    """The questioners' Vorbemerkung of a Landtag Anfrage: their statements, not the government's."""
    return hit.chunk.kind == "landtag" and hit.chunk.locator.get("teil") == "vorbemerkung"


# A list item's number or letter inside a sentence ("wenn 1. die oder der Arbeitslose …", "b) …").
_ITEM_MARKER = re.compile(r"(?:^|(?<=\s))(?:\d+[a-z]?\.|[a-z]\))\s")


def _end_at_first_item_name(candidate: "Candidate", name: str) -> None:
    """Where the name stands in parentheses at the end of a list's first item and the list goes
    on ("Versicherungswidriges Verhalten liegt vor, wenn 1. … herbeigeführt hat (Sperrzeit bei
    Arbeitsaufgabe), 2. … (Sperrzeit bei Arbeitsablehnung), 3. …"), the quote ends with that
    item: the lead-in and the named case, verbatim, without the cases not asked about. A name
    in a later item keeps the whole sentence (its lead-in is not next to it)."""
    text = candidate.text
    match = next((m for m in re.finditer(r"\(([^()]*)\)", text) if same_name(m.group(1), name)), None)
    if match is None or len(_ITEM_MARKER.findall(text[:match.start()])) != 1:
        return
    if not re.match(r",?\s*(?:und\s+|oder\s+|sowie\s+)?(?:\d+[a-z]?\.|[a-z]\))\s", text[match.end():]):
        return
    candidate.text = text[:match.end()]
    candidate.end = candidate.start + match.end()


@dataclass
class Candidate:
    hit_index: int
    start: int
    end: int
    text: str
    similarity: float = 0.0
    overlap: float = 0.0
    score: float = 0.0
    role: str = NORM
    kind: str = ""
    norm: str = ""
    values_for: str = ""   # set on a table's rows: the top passage (chunk id) naming a level it values
    absatz: str = ""       # a law sentence's Absatz: sentences of one norm are read in the law's order
    # What the answer's choice adds to ``score`` (answerability reads ``score`` alone): how much
    # nearer the sentence is to the fine-tuned question vector than to the plain one
    # (``ExtractiveAnswerer.TUNED_CHOICE_WEIGHT``).
    tuned_gain: float = 0.0
    # The passage's heading ("2.1 Regelbedarf in Höhe der Regelbedarfsstufe 1" for a Weisung Rz.):
    # what the sentence is about where its own words do not say it.
    heading: str = ""

    @property
    def has_figure(self) -> bool:
        return bool(_FIGURE.search(self.text))


@dataclass
class Evidence:
    """What answerability is decided on (all in [0, 1] except the margin)."""

    best_similarity: float      # e5 cosine of the sentence nearest to the question (any passage)
    best_overlap: float         # share of the question's terms in that sentence
    top_dense: float            # best passage's dense similarity
    coverage: float = 0.0       # share of the question's key terms in the top passages (lemmas, synonyms)
    margin: float = 0.0         # fused score of the best passage minus the second
    agreement: float = 0.0      # 1 when the best passage is near the top of both dense and lexical lists
    best_is_rule: float = 0.0   # 1 when the best sentence is a norm or definition
    figure_missing: float = 0.0  # 1 when the question asks for a number no near sentence states
    # 1 when the best passage was placed first because it defines, names or is titled by the
    # term a "Was ist …?" question asks about (the search's definition route): the law's own
    # structure says it answers, whatever the cosine of a short question to a long sentence.
    defines_asked_term: float = 0.0
    # The question's cosine to the nearest training question (``index.question_bank``; 0 where the
    # index keeps none): each was written for a unit of this corpus that answers it.
    training_similarity: float = 0.0


class ExtractiveAnswerer:
    MAX_SENTENCES = 3
    MAX_LIST_SENTENCES = 4
    # Role adjustments (a priori sizes, on the scale of the question-to-sentence cosine):
    # an example, a change history or a procedure note is quoted only when nothing else is
    # close; a definition leads on "Was ist …?" questions.
    ROLE_PENALTY = {EXAMPLE: 0.08, HISTORY: 0.06, PROCEDURE: 0.03}
    DEFINITION_BONUS = 0.03
    DEFINED_TERM_BONUS = 0.1   # a legal definition of the term a "Was ist …?" question names
    FIRST_MENTION_BONUS = 0.1   # where none defines it, the law sentence that first names it
    LAW_MARGIN = 0.06       # a law sentence this close to a Weisung's best one is quoted first
    FIGURE_MARGIN = 0.06    # the sentence with the asked figure may score this much lower
    # Another passage's rule sentence this close to the best one is quoted too. Chosen together
    # with RANK_PENALTY on the wider tuning set, by supported answers plus citation precision
    # (README, "Thirty-fifth session"): 0.02 / 0.03 / 0.04 / 0.05 at the penalty 0.03 gave
    # 0.614 / 0.648 / 0.655 / 0.662 supported and 0.527 / 0.513 / 0.500 / 0.478 precision.
    RUNNER_UP_MARGIN = 0.03
    MAX_PASSAGES = 5
    MAX_SENTENCES_PER_PASSAGE = 12
    MARGIN = 0.04           # further sentences must score within this of the best one
    OVERLAP_WEIGHT = 0.08
    # Per place in the retrieval ranking a passage's sentences lose this much: the fused rank
    # (BM25, norm route, graph) knows more than one sentence's cosine. Chosen on the dev
    # tuning half (README "Answers: the rank prior"); 0.004 before quoted runners-up from far
    # down the list. 0.02 → 0.03 with the wider near tie (RUNNER_UP_MARGIN): the runners-up it
    # admits then come from near the top (wider tuning set, 0.02 / 0.025 / 0.03 / 0.035 at the
    # margin 0.03: supported 0.662 / 0.655 / 0.648 / 0.607, precision 0.469 / 0.487 / 0.513 /
    # 0.527; at 0.035 false abstention 0.034 → 0.048).
    RANK_PENALTY = 0.03
    ASKER_PENALTY = 0.06
    QUESTION_MATCH_MIN = 0.86   # question-to-question e5 cosine; unrelated questions stay below
    QUESTION_MATCH_MIN_CROSS_LINGUAL = 0.80   # across languages the same question scores lower
    # Across languages sentence similarities are flatter and less certain: the best sentences of
    # up to three passages are quoted when they score within this of the best one (one sentence
    # each). 0.05 before the fine-tuned query encoder put the evidence first more often; on the
    # wider tuning set 0.05 / 0.035 / 0.03 / 0.02 / 0.01 / 0 gave supported answers 0.621 / 0.614
    # / 0.614 / 0.614 / 0.593 / 0.586 and citation precision 0.381 / 0.393 / 0.405 / 0.426 / 0.432
    # / 0.436: 0.02, the near-tie margin of German questions (README, "Thirty-first session").
    CROSS_LINGUAL_MARGIN = 0.02
    # The answer's sentences are chosen by their score plus this times (cosine to the question
    # vector the fine-tuned encoder's search ranked with − cosine to the plain one): the encoder
    # knows which of the retrieved units a citizen's words belong to, and a sentence of the right
    # unit at rank 2 or 3 is then quoted instead of the first unit's. Answerability keeps the
    # plain score it was calibrated on. German questions only (the encoder's training questions
    # are German). Wider tuning set, 0 / 0.5 / 1 / 2: see README, "Thirty-first session" and
    # "Thirty-second session".
    TUNED_CHOICE_WEIGHT = 1.0

    def __init__(self, embedder) -> None:
        self.embedder = embedder

    def candidates(self, hits: Sequence[Hit]) -> list[Candidate]:
        out = []
        top = {hit.chunk_id for hit in hits[:self.MAX_PASSAGES]}
        for index, hit in enumerate(hits):
            # The top passages, plus any parliamentary Q/A pair retrieved at all (its question
            # may match the user's better than its rank says) and any table valuing a level a
            # top passage names (its rows share no words with the question).
            values_for = getattr(hit, "values_for", "")
            if index >= self.MAX_PASSAGES and not _is_question_answer(hit) and values_for not in top:
                continue
            ids = {"values_for": values_for if values_for in top else "",
                   "absatz": hit.chunk.locator.get("absatz", "") if hit.chunk.kind == "law" else "",
                   "heading": hit.chunk.locator.get("section", "")}
            text = hit.chunk.text
            count = 0
            roles = role_spans(hit.chunk)
            norm = norm_key(hit.chunk)
            # The parliamentary question itself is not an answer; the spans are the ones whose
            # vectors the index stores (``index.sentence_vectors``).
            for start, end in answer_spans(hit.chunk):
                sentence = text[start:end]
                rows = table_rows(text, start, end) if "|" in sentence else []
                if rows:
                    # A law table: each row, read with its introduction and header, is a
                    # candidate of its own; its span is the row, so the card marks that row.
                    for row_start, row_end, reading in rows:
                        role = role_of(roles, row_start, row_end)
                        if role != QUESTION and count < self.MAX_SENTENCES_PER_PASSAGE:
                            out.append(Candidate(index, row_start, row_end, reading, role=role, kind=hit.chunk.kind,
                                                 norm=norm, **ids))
                            count += 1
                    continue
                stripped = sentence.strip()
                # Questions are not claims, bare enumerators, headings and flattened table
                # rows are no answer, and fully parenthetical asides ("(Bitte … ausweisen)")
                # belong to the question. An Absatz number "(5)" opens a sentence, it does not
                # make it an aside.
                unnumbered = without_absatz_number(stripped)
                if (stripped.endswith("?") or len(stripped) < 25 or _ENUMERATION_ONLY.match(stripped)
                        or (not _ends_sentence(stripped)
                            and (hit.chunk.kind in _PUNCTUATED_KINDS or len(stripped) > MAX_UNENDED_CHARS))
                        or (unnumbered.startswith("(") and unnumbered.rstrip(".").endswith(")"))
                        or _POINTER.match(unnumbered)
                        or (_is_fragment(stripped) and not text[:start].strip())
                        or is_instruction_like(stripped)):
                    continue
                role = role_of(roles, start, end)
                # A Landtag question is never its own answer. The statements of the questioners'
                # Vorbemerkung (role ASKER: a study they cite, a date they report) may be,
                # penalised below and attributed to them in the answer.
                if role == QUESTION:
                    continue
                out.append(Candidate(index, start, end, sentence, role=role, kind=hit.chunk.kind, norm=norm, **ids))
                count += 1
                if count >= self.MAX_SENTENCES_PER_PASSAGE:
                    break
        return out

    def score(self, question: str, question_vector: np.ndarray, candidates: list[Candidate], german: bool,
              hits: Sequence[Hit] = (), focus: Sequence[str] = (), tuned_vector: np.ndarray | None = None) -> None:
        """Similarity to the question, plus term overlap (German questions), minus a penalty
        per place of its passage in the retrieval ranking; with ``tuned_vector`` (the search's
        adapted question vector) each candidate's ``tuned_gain`` for the answer's choice
        (TUNED_CHOICE_WEIGHT; German questions only). Two source-aware adjustments:

        * the answer to a parliamentary question that matches the user's question answers it:
          its sentences score at least the question-to-question similarity. With ``focus``
          (the German question's rarest corpus stems) only a Frage/Antwort that names one of
          them, in its text or its document's title, can match: e5 puts "Zahlt das Jobcenter die
          Heizkosten?" at 0.89 to a Frage on the Jobcenters' administrative costs;
        * the questioners' Vorbemerkung states their premises, not the government's answer:
          its sentences get a penalty, so they are quoted only when nothing else answers.
        """
        if not candidates:
            return
        q_vector = np.asarray(question_vector, dtype=np.float32)
        vectors = self.embedder.embed_passages([c.text for c in candidates])
        sims = vectors @ q_vector
        if tuned_vector is not None and german:
            # Its training questions are German: across languages the tuned vector's preferences
            # are not the encoder's knowledge ("What targets did the NRW initiative set?" would
            # lose the Landtag answer whose Frage it matches).
            gains = self.TUNED_CHOICE_WEIGHT * (vectors @ np.asarray(tuned_vector, dtype=np.float32) - sims)
            for candidate, gain in zip(candidates, gains):
                candidate.tuned_gain = float(gain)
        question_match: dict[int, float] = {}
        qa_hits = sorted({c.hit_index for c in candidates if hits and _is_question_answer(hits[c.hit_index])
                          and (not german or not focus or _names_any(hits[c.hit_index].chunk, focus))})
        if qa_hits:
            # Question to question is a symmetric comparison: both sides as queries.
            texts = [hits[i].chunk.text[:question_end(hits[i].chunk.text)] for i in qa_hits]
            matches = [float(self.embedder.embed_query(t) @ q_vector) for t in texts]
            question_match = dict(zip(qa_hits, matches))
        q_terms = set(tokenize_german(question))
        asked = self.asked_term(question)
        passages_opened: set[int] = set()
        for candidate, sim in sorted(zip(candidates, sims), key=lambda pair: (pair[0].hit_index, pair[0].start)):
            hit = hits[candidate.hit_index] if hits else None
            terms = set(tokenize_german(candidate.text))
            candidate.similarity = float(sim)
            candidate.overlap = len(q_terms & terms) / len(q_terms) if q_terms else 0.0
            score = (candidate.similarity + (self.OVERLAP_WEIGHT * candidate.overlap if german else 0.0)
                     - self.RANK_PENALTY * candidate.hit_index)
            # Candidates come in reading order, so the first one of a passage opens it.
            opens_passage = candidate.hit_index not in passages_opened
            passages_opened.add(candidate.hit_index)
            match = question_match.get(candidate.hit_index, 0.0)
            threshold = self.QUESTION_MATCH_MIN if german else self.QUESTION_MATCH_MIN_CROSS_LINGUAL
            if match >= threshold and opens_passage:
                score = max(score, match)
            if hit is not None and _is_asker_preamble(hit):
                score -= self.ASKER_PENALTY
            score -= self.role_adjustment(question, candidate.role)
            if asked and candidate.role == DEFINITION and self.defines(candidate.text, asked):
                # The legal definition of the very term asked for answers "Was ist …?".
                score += self.DEFINED_TERM_BONUS
            elif hit is not None and hit.named and gives_name(candidate.text, hit.named):
                # So does the law sentence that gives the asked name in parentheses (the search's
                # definition route found which): "… gelöst hat (Sperrzeit bei Arbeitsaufgabe)" for
                # "Was ist eine Sperrzeit bei Arbeitsaufgabe?".
                score += self.DEFINED_TERM_BONUS
                _end_at_first_item_name(candidate, hit.named)
            elif opens_passage and hit is not None and hit.titled:
                # And the first sentence of the § whose title the question asks for ("Was ist ein
                # Meldeversäumnis?": § 32 Abs. 1 SGB II, "Meldeversäumnisse", which never repeats
                # the word its title gives).
                score += self.DEFINED_TERM_BONUS
            candidate.score = score
        if asked:
            self._favour_first_mention(asked, candidates, hits)

    def _favour_first_mention(self, term: str, candidates: Sequence[Candidate], hits: Sequence[Hit] = ()) -> None:
        """"Was ist ein Kooperationsplan?" where no unit defines the term: a law introduces a
        concept before it regulates its details ("… einen Kooperationsplan erstellen; in dem
        Kooperationsplan werden … festgehalten", § 15 Abs. 2 SGB II, before "Der Kooperationsplan
        soll … fortgeschrieben werden", Abs. 3). The law sentence that first names the term in
        its norm (the norm of the best sentence naming it), among those retrieved, gets
        FIRST_MENTION_BONUS, the size of the defined term's bonus: it stands in for a definition."""
        if any(c.role == DEFINITION and self.defines(c.text, term) for c in candidates):
            return
        if hits and any(hits[c.hit_index].titled for c in candidates):
            return   # the § titled by the term introduces it (``score``)
        naming = [c for c in candidates if c.kind == "law" and c.norm and _names(c.text, term)]
        if not naming:
            return
        # The norm the answer would quote the term from; another norm's first mention may be a
        # passing one ("Verpflichtungen aus der Eingliederungsvereinbarung", § 138 Abs. 4 SGB III).
        norm = max(naming, key=lambda c: c.score).norm
        first = min((c for c in naming if c.norm == norm), key=lambda c: (absatz_order(c.absatz), c.start))
        first.score += self.FIRST_MENTION_BONUS

    @staticmethod
    def asked_term(question: str) -> str:
        """The term a definitional question asks about ("" for other questions)."""
        return asked_term(question)

    @staticmethod
    def defines(sentence: str, term: str) -> bool:
        """Whether ``sentence`` is a legal definition of ``term`` (``index.norms.defines``)."""
        return defines(sentence, term)

    def role_adjustment(self, question: str, role: str) -> float:
        """Penalty (positive) or bonus (negative) of a sentence role for this question."""
        if role == EXAMPLE and _ASKS_EXAMPLE.search(question):
            return 0.0
        if role == HISTORY and _ASKS_HISTORY.search(question):
            return 0.0
        if role == DEFINITION and _ASKS_DEFINITION.search(question):
            return -self.DEFINITION_BONUS
        return self.ROLE_PENALTY.get(role, 0.0)

    def only_illustration(self, question: str, candidates: Sequence[Candidate]) -> str:
        """The role of the best sentence when, even after its penalty, it is a worked case or a
        change history / transitional rule the question did not ask for ("" otherwise): the
        sources then illustrate or date the matter but state no rule that answers it."""
        if not candidates:
            return ""
        best = max(candidates, key=lambda c: c.score)
        if best.role in (EXAMPLE, HISTORY) and self.role_adjustment(question, best.role) > 0 \
                and self._rule_in_near_tie(candidates, best) is None:
            return best.role
        return ""

    def _rule_in_near_tie(self, candidates: Sequence[Candidate], best: Candidate) -> Candidate | None:
        """The best norm or definition sentence within RUNNER_UP_MARGIN of ``best`` (None when
        there is none): a rule that close answers the question as well as the illustration."""
        rules = [c for c in candidates if c.role in (NORM, DEFINITION) and c.score >= best.score - self.RUNNER_UP_MARGIN]
        return max(rules, key=lambda c: c.score) if rules else None

    @classmethod
    def missing_figure(cls, question: str, candidates: Sequence[Candidate], german: bool = True) -> bool:
        """True when the question asks for a number, the best sentence states none and no rule
        sentence that states one comes within FIGURE_MARGIN of it (the margin within which the
        answer would quote it): the sources speak of the matter but do not give the figure.

        For a German question the sentence stating the figure must also name one of its words
        (stems; not the words of the asking, "kostet", "im Monat"): "Wie viel kostet ein neuer
        Personalausweis?" is not answered by "… können bis zu 160 Euro pro Kind erstattet
        werden." A table row valuing the level the best sentence names ("Regelbedarfsstufe 1:
        563") is that sentence's figure and needs no word of its own."""
        if not candidates or not asks_quantity(question):
            return False
        asked = set(tokenize_german(_QUANTITY_FRAME.sub(" ", question))) if german else set()

        def names_the_matter(candidate: Candidate) -> bool:
            # A law named in a citation ("§ 6 Absatz 1 Bürgergeld-V") is not what the sentence is about.
            words = set(tokenize_german(without_references(candidate.text)))
            return not german or any(_same_head(term, word) for word in words for term in asked)

        best = max(candidates, key=lambda c: c.score)
        # A worked case's amounts ("ca. 2.500,00 Euro") or an old Fassung's are not the rule's
        # figure, unless the question asks for an example or for the past.
        if (states_quantity(best.text) and not _unasked_illustration(question, best.role)
                and names_the_matter(best)):
            return False
        # Beside the best sentence, only a rule of the same norm may give the number: the answer
        # adds no other (the amounts of a worked case are the case's, not the rule's).
        return not any(states_quantity(c.text) for c in candidates
                       if c.role in (NORM, DEFINITION) and (values_level(c, best) or (
                           c.score >= best.score - cls.FIGURE_MARGIN and _same_source(c, best)
                           and names_the_matter(c))))

    def select(self, candidates: list[Candidate], cross_lingual: bool = False, question: str = "") -> list[Candidate]:
        """The answer's sentences, in reading order: law before Weisung before the rest.

        German questions: the best sentence; the governing law sentence of the same norm when
        the best one is a Weisung's (or the Weisung's explanation when the best one is law);
        the sentence with the figure when one is asked for and none is quoted yet; a rule
        sentence of another passage in a near tie (RUNNER_UP_MARGIN, chosen on the wider tuning
        set); a continuation sentence ("Dabei …") right after a chosen one. At most three. A
        question asking for a list gets the close runners-up as before (at most four sentences,
        two per passage). Across languages similarities are flatter: the best sentence of up to three passages
        in a near tie (CROSS_LINGUAL_MARGIN)."""
        if any(c.tuned_gain for c in candidates):
            # Chosen by the score with the tuned encoder's gain (TUNED_CHOICE_WEIGHT); the copies
            # leave the answerability score of the candidates as it is.
            candidates = [replace(c, score=c.score + c.tuned_gain, tuned_gain=0.0) for c in candidates]
        ranked = sorted(candidates, key=lambda c: -c.score)
        if cross_lingual or _ASKS_LIST.search(question):
            # A list gathers the government's points from several passages; the questioners'
            # statements would stand beside them as equals, so only a single-fact answer quotes one.
            ranked = [c for c in ranked if c.role != ASKER]
        if not ranked:
            return []
        if ranked[0].role in (EXAMPLE, HISTORY) and self.role_adjustment(question, ranked[0].role) > 0:
            # An illustration the question did not ask for, in a near tie with a rule: the rule
            # is the answer, and the illustration is not quoted beside it.
            rule = self._rule_in_near_tie(ranked, ranked[0])
            if rule is not None:
                ranked = [c for c in ranked if not (c.role in (EXAMPLE, HISTORY)
                                                    and self.role_adjustment(question, c.role) > 0)]
        best = ranked[0]
        chosen: list[Candidate] = []
        seen: set[str] = set()

        def add(candidate: Candidate) -> bool:
            key = re.sub(r"\W+", "", candidate.text.casefold())
            if key in seen:
                return False
            seen.add(key)
            chosen.append(candidate)
            return True

        add(best)
        rule_roles = (NORM, DEFINITION)
        if cross_lingual or _ASKS_LIST.search(question):
            margin = self.CROSS_LINGUAL_MARGIN if cross_lingual else self.MARGIN
            per_passage_limit = 1 if cross_lingual else 2
            limit = self.MAX_SENTENCES if cross_lingual else self.MAX_LIST_SENTENCES
            per_passage = {best.hit_index: 1}
            for candidate in ranked[1:]:
                if len(chosen) >= limit or candidate.score < best.score - margin:
                    break
                if per_passage.get(candidate.hit_index, 0) >= per_passage_limit:
                    continue
                # A further quote has a role the question does not penalise: a worked case, a
                # change history or a procedure note only when asked for (or as the best one).
                if self.role_adjustment(question, candidate.role) > 0:
                    continue
                if add(candidate):
                    per_passage[candidate.hit_index] = per_passage.get(candidate.hit_index, 0) + 1
        else:
            if best.norm:
                partner_kind = "ba" if best.kind == "law" else "law"
                margin = self.MARGIN if partner_kind == "ba" else self.LAW_MARGIN
                partner = next((c for c in ranked[1:] if c.kind == partner_kind and c.norm == best.norm
                                and c.role in rule_roles and c.score >= best.score - margin), None)
                if partner is not None:
                    add(partner)
            # An amount needs a number (a date or a § number is none); a date or a deadline any figure.
            amount = asks_quantity(question)
            states = (lambda c: states_quantity(c.text)) if amount else (lambda c: c.has_figure)
            # A rule that grants "einen Betrag in Höhe der Regelbedarfsstufe 1" leaves the amount
            # to the table valuing that level: its row is the figure, whatever else the rule counts.
            level_row = next((c for c in ranked[1:] if values_level(c, best) and states(c)), None) if amount else None
            if level_row is not None:
                add(level_row)
            elif _ASKS_FIGURE.search(question) and not any(states(c) for c in chosen):
                figure = next((c for c in ranked[1:] if states(c) and c.role in rule_roles
                               and c.score >= best.score - self.FIGURE_MARGIN and _same_source(c, best)), None)
                if figure is not None:
                    add(figure)
            # Close runners-up from other passages: the best sentence may come from a passage
            # that only resembles the answer, a near tie from another one may hold it.
            per_passage = {c.hit_index for c in chosen}
            for candidate in ranked[1:]:
                if len(chosen) >= self.MAX_SENTENCES or candidate.score < best.score - self.RUNNER_UP_MARGIN:
                    break
                if candidate.hit_index not in per_passage and candidate.role in rule_roles and add(candidate):
                    per_passage.add(candidate.hit_index)
        # A continuation ("Dabei …") right after a quoted sentence is quoted too, while there is room.
        for candidate in list(chosen):
            if len(chosen) >= self.MAX_SENTENCES:
                break
            following = _neighbour_in_passage(candidates, candidate, after=True)
            if following is not None and _continues(following) and following.role in rule_roles:
                add(following)
        # A quoted sentence that opens by pointing back ("Dies sind: • Einkommen aus …", "Dieser
        # beläuft sich …") says nothing alone: the sentence right before it in its passage, which
        # it points to, is quoted with it (beyond MAX_SENTENCES: the two are one statement).
        for candidate in list(chosen):
            if not _continues(candidate):
                continue
            previous = _neighbour_in_passage(candidates, candidate, after=False)
            if (previous is not None and candidate.start - previous.end <= MAX_GAP
                    and previous.role in (*rule_roles, candidate.role)):
                add(previous)
        order = {"law": 0, "ba": 1}
        # Law before Weisung before the rest; norms by their best passage's rank; within one
        # law norm the Absätze in the law's own order ("Abs. 1 … Abs. 2", not the ranking's).
        norm_rank = {}
        for candidate in sorted(chosen, key=lambda c: c.hit_index):
            norm_rank.setdefault((candidate.kind, candidate.norm or candidate.hit_index), candidate.hit_index)
        return sorted(chosen, key=lambda c: (order.get(c.kind, 2), norm_rank[(c.kind, c.norm or c.hit_index)],
                                             absatz_order(c.absatz) if c.kind == "law" else (0, ""),
                                             c.hit_index, c.start))

    @classmethod
    def evidence(cls, hits: Sequence[Hit], candidates: list[Candidate], question: str = "",
                 related=None, german: bool = True, nearest=None, coverage_floor: float = 1.0,
                 training_similarity: float = 0.0) -> Evidence:
        """The features answerability is decided on. ``related(term) -> set[str]`` adds the
        synonyms of a question term (its stems count as covering it), ``nearest`` its nearest
        corpus words, looked up only where the rest covers less than ``coverage_floor``
        (``coverage``); ``training_similarity`` is the search's (``SearchResult``)."""
        best = max(candidates, key=lambda c: c.score) if candidates else None
        top_dense = max((h.dense_similarity or 0.0) for h in hits) if hits else 0.0
        margin = (hits[0].score - hits[1].score) if len(hits) > 1 else (hits[0].score if hits else 0.0)
        agreement = 0.0
        if hits:
            top = hits[0]
            agreement = float((top.dense_rank or 99) <= 5 and (top.lexical_rank or 99) <= 5)
        # Whether the sources answer does not depend on which passage the answer prefers to
        # quote: the nearest sentence of any retrieved passage counts.
        return Evidence(best_similarity=max(c.similarity for c in candidates) if candidates else 0.0,
                        best_overlap=best.overlap if best else 0.0, top_dense=top_dense,
                        coverage=(coverage(question, [h.chunk for h in hits[:3]], related, nearest, coverage_floor)
                                  if question else 0.0),
                        margin=float(margin), agreement=agreement,
                        best_is_rule=float(best is not None and best.role in (NORM, DEFINITION)),
                        figure_missing=float(cls.missing_figure(question, candidates, german)),
                        defines_asked_term=float(bool(hits) and hits[0].by_definition),
                        training_similarity=float(training_similarity))


def _same_head(a: str, b: str) -> bool:
    """True when two stems are one word or one is the other's compound head: German compounds
    end in what they are, so "grundfreibetrag" is a "freibetrag" (the shorter of at least
    MIN_HEAD letters, so that "geld" does not make every "…geld" one)."""
    shorter, longer = sorted((a, b), key=len)
    return a == b or (len(shorter) >= MIN_HEAD and longer.endswith(shorter))


def _continues(candidate: Candidate) -> bool:
    """True when the sentence, as the reader sees it (``readable``: no Absatz number or list
    marker before it), opens by continuing or pointing back ("Dabei …", "Dies sind: …")."""
    return bool(_CONTINUATION.match(readable(candidate.text)))


def _neighbour_in_passage(candidates: Sequence[Candidate], candidate: Candidate, after: bool) -> Candidate | None:
    """The sentence right after (or right before) ``candidate`` among its passage's candidates."""
    if after:
        following = [c for c in candidates if c.hit_index == candidate.hit_index and c.start > candidate.start]
        return min(following, key=lambda c: c.start) if following else None
    before = [c for c in candidates if c.hit_index == candidate.hit_index and c.end <= candidate.start]
    return max(before, key=lambda c: c.start) if before else None


def _unasked_illustration(question: str, role: str) -> bool:
    """A worked case the question does not ask for, or a history it does not ask about."""
    return ((role == EXAMPLE and not _ASKS_EXAMPLE.search(question))
            or (role == HISTORY and not _ASKS_HISTORY.search(question)))


def values_level(candidate: Candidate, best: Candidate) -> bool:
    """True when ``candidate`` is a table row valuing a level that the best sentence or its
    passage's heading names ("in Höhe der Regelbedarfsstufe 1" → "Regelbedarfsstufe 1: 563";
    "Alleinstehend ist eine Person, …" under "2.1 Regelbedarf in Höhe der Regelbedarfsstufe 1"):
    the figure of the rule, however little its words resemble the question (``index.levels``)."""
    named = set(mentioned_levels(best.text)) | set(mentioned_levels(best.heading))
    return bool(candidate.values_for) and bool(named & set(mentioned_levels(candidate.text)))


def _same_source(candidate: Candidate, best: Candidate) -> bool:
    """The same norm (its law text or its Weisung) as the best sentence, or its passage."""
    return candidate.norm == best.norm if best.norm else candidate.hit_index == best.hit_index


def term_present(term: str, present: set[str]) -> bool:
    """The stem occurs, or a stem of five letters or more that begins the other one does
    ("arbeitslos" / "arbeitslosengeld")."""
    return term in present or (len(term) >= 5 and any(
        len(p) >= 5 and (p.startswith(term) or term.startswith(p)) for p in present))


_PAIR_WORD = re.compile(r"[^\W\d_]{4,}")


def written_apart_compounds(text: str) -> set[str]:
    """Neighbouring words of four letters or more joined ("grünen Welle" → "grünenwelle"): a
    question may write as one word what the text writes apart, and the other way round."""
    words = [(m.start(), m.end(), fold(m.group().casefold())) for m in _PAIR_WORD.finditer(text)]
    return {a + b for (_, end_a, a), (start_b, _, b) in zip(words, words[1:]) if not text[end_a:start_b].strip()}


# OpenThesaurus lists every sense of a word together: "verpassen" brings "versäumen" and, for
# "jemandem etwas verpassen", "regeln" (12 % of the units) and "entscheiden" (7 %). A synonym
# that this share of the corpus's units or more uses stands in legal text for nearly anything,
# so it does not show that the passages speak of the question's word ("Ich habe einen Termin
# verpasst" was answered as covered by a passage about "Regeln").
MAX_SYNONYM_SHARE = 0.05


def specific_synonyms(related: Callable[[str], set[str]], share: Callable[[str], float],
                      max_share: float = MAX_SYNONYM_SHARE) -> Callable[[str], set[str]]:
    """``related`` (word -> synonyms) limited to the synonyms all of whose stems ``share`` (the
    share of the corpus's units holding a stem, ``LexicalIndex.document_share``) puts at
    ``max_share`` or below: what ``coverage`` may count a question word as covered by."""
    def specific(word: str) -> set[str]:
        return {s for s in related(word) if all(share(t) <= max_share for t in tokenize_german(s))}
    return specific


def coverage(question: str, chunks: Sequence, related=None, nearest=None, enough: float = 1.0) -> float:
    """Share of the question's key terms (German stems, stop words removed) that occur in the
    given chunks' text, label or title; a term also counts when one of its synonyms occurs or
    the chunks spell it with a typo's difference ("Famicon" / "Famicom"), or, with ``nearest``
    (words -> their nearest corpus words in the embedding, ``HybridSearcher.nearest_corpus_words``),
    when one of those occurs: the law says "Kraftfahrzeug" where a citizen says "Auto", a word
    OpenThesaurus does not link to it. ``nearest`` costs an embedding call (about 20 ms), so it
    is consulted only while the share covered otherwise is below ``enough`` (the floor the
    caller compares with: it can only raise the share)."""
    terms = list(dict.fromkeys(tokenize_german(question)))
    terms = [t for t in terms if not t.isdigit()]
    if not terms:
        return 0.0
    texts = [f"{chunk.label} {chunk.title} {chunk.text}" for chunk in chunks if chunk is not None]
    present: set[str] = set()
    for text in texts:
        present.update(tokenize_german(text))
    written_apart: set[str] | None = None   # read only when a term is not found otherwise
    covered = 0
    uncovered: list[str] = []
    words = {t: w for w in question.split() for t in tokenize_german(w)}
    for term in terms:
        if term_present(term, present) or misspelt_in(term, present):
            covered += 1
            continue
        if written_apart is None:
            written_apart = {pair for text in texts for pair in written_apart_compounds(text)}
        word = fold(re.sub(r"\W", "", words.get(term, term)).casefold())
        if word in written_apart or misspelt_in(word, written_apart):
            covered += 1
            continue
        if related is not None:
            synonyms = related(words.get(term, term))
            if any(set(tokenize_german(s)) & present for s in synonyms):
                covered += 1
                continue
        uncovered.append(re.sub(r"[^\w-]", "", words.get(term, term)) or term)
    if nearest is not None and uncovered and covered / len(terms) < enough:
        # One batched look-up for the words nothing else covered.
        near = nearest(uncovered)
        covered += sum(1 for word in uncovered if any(set(tokenize_german(w)) & present for w in near.get(word, [])))
    return covered / len(terms)
