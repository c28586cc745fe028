"""Interface texts in German (default) and English.

Only the interface changes with the language: citation labels, document titles, the
passages and the German citation forms in exports stay German, because that is how the
sources are cited.
"""
from __future__ import annotations

LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"

# Questions shown on the empty page; the first is the NRW initiative question the README uses.
EXAMPLE_QUESTIONS = (
    "Welche Ziele hat die NRW-Initiative zur Arbeitsmarktintegration gesetzt?",
    "Ab wann gilt man als langzeitarbeitslos?",
    "Welche Kennzahlen werden nach § 48a SGB II verglichen?",
    "Wie hoch ist der Regelbedarf für Alleinstehende im Jahr 2026?",
)

STRINGS: dict[str, dict[str, str]] = {
    "de": {
        "tagline": "Fragen zu SGB II und III, Landtag NRW und Weisungen der Bundesagentur für Arbeit – "
                   "jede Aussage mit ihrer Fundstelle.",
        "chat_placeholder": "Ihre Frage zu Bürgergeld, Arbeitsförderung, Landtagsanfragen …",
        "examples": "Beispielfragen",
        "language": "Sprache / Language",
        "filters": "Quellen eingrenzen",
        "kinds": "Quellenarten",
        "kinds_placeholder": "alle Quellenarten",
        "documents": "Dokumente",
        "documents_placeholder": "alle Dokumente",
        "laws": "Gesetze",
        "laws_placeholder": "alle Gesetze",
        "as_of": "Rechtsstand am",
        "as_of_help": "Für Gesetze gilt die an diesem Tag geltende Fassung; leer = neueste Fassung.",
        "mode": "Antwortmodus",
        "mode_extractive": "Extraktiv (wörtliche Sätze aus den Quellen)",
        "mode_llm": "Sprachmodell: {model}",
        "llm_none": "Kein Sprachmodell konfiguriert (FUNDSTELLE_LLM_PROVIDER); es wird extraktiv geantwortet.",
        "llm_error": "Das Sprachmodell ist nicht verfügbar ({error}); es wird extraktiv geantwortet.",
        "k": "Anzahl Quellen",
        "notice": "Die Antworten sind keine Rechtsberatung. Prüfen Sie jede Aussage an der angegebenen Quelle.",
        "new_chat": "Neues Gespräch",
        "export_heading": "Export",
        "export_select": "Antworten für den Export",
        "export_md": "Markdown",
        "export_docx": "Word (DOCX)",
        "export_none": "Noch keine Antworten.",
        "thinking": "Suche in den Quellen …",
        "sources": "Quellen",
        "more_sources": "Weitere Fundstellen ({n})",
        "more_sources_caption": "Weitere gefundene Passagen, die in der Antwort nicht zitiert werden.",
        "nearest": "Nächste Fundstellen ({n}) – sie beantworten die Frage nicht",
        "abstain": "Dazu enthalten die Quellen keine Angabe.",
        "abstain_reason": "Grund: {reason}",
        "unsupported": "nicht belegt",
        "unsupported_legend": "Als „nicht belegt“ markierte Sätze ließen sich in keiner Quelle finden. "
                              "Sie sind nicht zitiert.",
        "open_original": "Original öffnen",
        "copy_citation": "Zitat (zum Kopieren)",
        "stand": "Stand",
        "page": "S. {page}",
        "supporting": "Hervorgehoben: der Satz, der die Aussage belegt.",
        "download_md": "Markdown",
        "download_docx": "Word (DOCX)",
        "share": "Teilen",
        "share_caption": "Dieser Link stellt die Frage mit denselben Einstellungen erneut:",
        "feedback_reason": "Begründung (optional)",
        "feedback_send": "Begründung senden",
        "feedback_thanks": "Danke für Ihre Rückmeldung.",
        "question_too_long": "Die Frage ist zu lang ({n} Zeichen, höchstens {max}). Bitte kürzer fassen.",
        "question_error": "Die Frage kann so nicht gestellt werden: {error}",
        "filter_error": "Mit diesen Filtern gibt es keine Quelle: {error}",
        "error": "Die Frage konnte nicht beantwortet werden: {error}",
        "no_index_title": "Noch kein Index",
        "no_index_body": "Bevor Fragen beantwortet werden können, müssen die Quellen einmal eingelesen werden. "
                         "Auf der Kommandozeile:",
        "no_index_button": "Quellen jetzt einlesen",
        "no_index_progress": "Lese {done} von {total} Dokumenten ein: {name}",
        "no_index_done": "Fertig: {chunks} Passagen im Index.",
        "no_index_failures": "Nicht eingelesen: {names}",
        "chroma_down": "Die Datenbank (Chroma) ist nicht erreichbar: {error}",
        "chroma_down_hint": "Läuft der Chroma-Server? Prüfen Sie FUNDSTELLE_CHROMA_HOST und FUNDSTELLE_CHROMA_PORT.",
        "index_problem": "Der Index kann nicht benutzt werden: {error}",
        "retry": "Erneut versuchen",
        "notice_prefix": "Hinweis",
        "answer_meta": "Modus: {mode} · Suche: {retrievers} · {ms} ms",
        "dense_building": "Semantische Suche wird aufgebaut: {percent} % – Antworten stützen sich bis dahin "
                          "auf die Stichwortsuche.",
        "dense_held": "Semantische Suche angehalten bei {percent} % – Antworten stützen sich auf die Stichwortsuche.",
        "dense_failed": "Semantische Suche unvollständig ({percent} %): {error}. Antworten stützen sich auf die "
                        "Stichwortsuche; `python -m ingest embed` setzt den Aufbau fort.",
        "dense_ready": "Semantische Suche bereit.",
        "answer_partial_dense": "Diese Antwort stützt sich auf die Stichwortsuche und die semantische Suche über "
                                "{percent} % der Passagen.",
        "answer_keyword_only": "Diese Antwort stützt sich nur auf die Stichwortsuche (semantische Suche noch im "
                               "Aufbau).",
        "kind_law": "Gesetz",
        "kind_landtag": "Landtag",
        "kind_ba": "BA",
        "kind_other": "Dokument",
    },
    "en": {
        "tagline": "Questions on the German Social Code II and III, the NRW state parliament and instructions "
                   "of the Federal Employment Agency – every statement with its source.",
        "chat_placeholder": "Your question on Bürgergeld, employment support, parliamentary questions …",
        "examples": "Example questions",
        "language": "Sprache / Language",
        "filters": "Narrow the sources",
        "kinds": "Source kinds",
        "kinds_placeholder": "all source kinds",
        "documents": "Documents",
        "documents_placeholder": "all documents",
        "laws": "Laws",
        "laws_placeholder": "all laws",
        "as_of": "Law as of",
        "as_of_help": "For laws, the version in force on this date is used; empty = newest version.",
        "mode": "Answer mode",
        "mode_extractive": "Extractive (verbatim sentences from the sources)",
        "mode_llm": "Language model: {model}",
        "llm_none": "No language model configured (FUNDSTELLE_LLM_PROVIDER); answers are extractive.",
        "llm_error": "The language model is not available ({error}); answers are extractive.",
        "k": "Number of sources",
        "notice": "The answers are not legal advice. Check every statement against the source given.",
        "new_chat": "New conversation",
        "export_heading": "Export",
        "export_select": "Answers to export",
        "export_md": "Markdown",
        "export_docx": "Word (DOCX)",
        "export_none": "No answers yet.",
        "thinking": "Searching the sources …",
        "sources": "Sources",
        "more_sources": "Further passages ({n})",
        "more_sources_caption": "Other passages found that the answer does not cite.",
        "nearest": "Nearest passages ({n}) – they do not answer the question",
        "abstain": "The sources do not contain information on this.",
        "abstain_reason": "Reason: {reason}",
        "unsupported": "unsupported",
        "unsupported_legend": "Sentences marked “unsupported” could not be found in any source. They are not cited.",
        "open_original": "Open original",
        "copy_citation": "Citation (to copy)",
        "stand": "As of",
        "page": "p. {page}",
        "supporting": "Highlighted: the sentence that supports the statement.",
        "download_md": "Markdown",
        "download_docx": "Word (DOCX)",
        "share": "Share",
        "share_caption": "This link asks the question again with the same settings:",
        "feedback_reason": "Reason (optional)",
        "feedback_send": "Send reason",
        "feedback_thanks": "Thank you for your feedback.",
        "question_too_long": "The question is too long ({n} characters, at most {max}). Please shorten it.",
        "question_error": "The question cannot be asked like this: {error}",
        "filter_error": "No source matches these filters: {error}",
        "error": "The question could not be answered: {error}",
        "no_index_title": "No index yet",
        "no_index_body": "The sources have to be read in once before questions can be answered. "
                         "On the command line:",
        "no_index_button": "Read in the sources now",
        "no_index_progress": "Reading {done} of {total} documents: {name}",
        "no_index_done": "Done: {chunks} passages in the index.",
        "no_index_failures": "Not read in: {names}",
        "chroma_down": "The database (Chroma) cannot be reached: {error}",
        "chroma_down_hint": "Is the Chroma server running? Check FUNDSTELLE_CHROMA_HOST and FUNDSTELLE_CHROMA_PORT.",
        "index_problem": "The index cannot be used: {error}",
        "retry": "Try again",
        "notice_prefix": "Note",
        "answer_meta": "Mode: {mode} · Search: {retrievers} · {ms} ms",
        "dense_building": "Semantic search is being built: {percent} % – until then answers rest on keyword search.",
        "dense_held": "Semantic search paused at {percent} % – answers rest on keyword search.",
        "dense_failed": "Semantic search incomplete ({percent} %): {error}. Answers rest on keyword search; "
                        "`python -m ingest embed` continues the build.",
        "dense_ready": "Semantic search ready.",
        "answer_partial_dense": "This answer rests on keyword search and on semantic search over {percent} % of "
                                "the passages.",
        "answer_keyword_only": "This answer rests on keyword search only (semantic search is still being built).",
        "kind_law": "Law",
        "kind_landtag": "Landtag",
        "kind_ba": "BA",
        "kind_other": "Document",
    },
}


def normalise_language(value: str | None) -> str:
    """'en', 'EN', 'en-GB' -> 'en'; anything unknown -> German."""
    code = (value or "").strip().lower()[:2]
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, lang: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """The text for ``key`` in ``lang`` with ``values`` filled in (German when missing)."""
    table = STRINGS.get(lang, STRINGS[DEFAULT_LANGUAGE])
    text = table.get(key, STRINGS[DEFAULT_LANGUAGE][key])
    return text.format(**values) if values else text
