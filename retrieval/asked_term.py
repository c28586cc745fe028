"""The term a definitional question asks about.

"Was ist eine Bedarfsgemeinschaft?" asks for the legal definition of "Bedarfsgemeinschaft";
the search brings the unit that defines it (``retrieval.search``) and the answer quotes that
definition first (``retrieval.extractive``). The forms are German grammar and the law's own
definitional forms ("Zur Bedarfsgemeinschaft gehören …" answers "Wer gehört zur …?").
"""
from __future__ import annotations

import re

# Words a question opens with that are no term typed alone: question words and the verbs
# questions begin with, in the languages the assistant answers.
_NOT_A_TERM = ("was", "wer", "wie", "wann", "wo", "woher", "wohin", "warum", "wieso", "weshalb", "welche[rsnm]?",
               "kann", "kannst", "darf", "muss", "soll", "gibt", "bekomme", "bekommt", "habe", "hat", "ist", "sind",
               "wird", "werde", "zahlt", "gilt", "what", "how", "who", "when", "where", "why", "which", "can",
               "do", "does", "is", "are", "will", "should", "що", "як", "хто", "коли", "чи", "ne", "nasıl",
               "kim", "ما", "هل", "كيف", "متى")

# The term a definitional question asks about: "Was ist eine Bedarfsgemeinschaft?", "Was
# versteht man unter Einkommen?", "Ab wann gilt jemand nach dem SGB III als langzeitarbeitslos?",
# and the question the law's own form "Zur Bedarfsgemeinschaft gehören …" answers: "Wer gehört
# zur Bedarfsgemeinschaft?", "Was zählt zum Einkommen?".
_ASKED_TERM = re.compile(
    r"^\s*(?:was|wer)\s+(?:ist|sind|bedeutet|bedeuten|heißt)\s+(?:(?:eine?|der|die|das)\s+)?(?P<what>[\w-]{4,})"
    r"|\bversteht\s+man\s+unter\s+(?:(?:eine[mnr]?|de[mnr]|die|das)\s+)?(?P<under>[\w-]{4,})"
    r"|\b(?:gilt|gelten)\b[^?]*?\bals\s+(?P<as>[\w-]{4,})"
    r"|^\s*(?:was|wer)\s+(?:gehört|gehören|zählt|zählen)\s+(?:alles\s+)?(?:zu[mr]|zu\s+(?:eine[mnr]?|de[mnr]|die|das))\s+"
    r"(?P<member>[\w-]{4,})"
    # The same question in the other languages the assistant answers, asked about a German term
    # ("What is the Einstiegsgeld?", "Що таке Kooperationsplan?", "Bildungsgutschein nedir?",
    # "ما هو Bildungsgutschein؟"): the term is the corpus's word, the frame the language's grammar.
    r"|^\s*what\s+(?:is|are)\s+(?:an?\s+|the\s+)?(?P<en>[\w-]{4,})"
    r"|^\s*what\s+does\s+(?:an?\s+|the\s+)?(?P<en_mean>[\w-]{4,})\s+mean\b"
    r"|^\s*що\s+(?:таке|означає)\s+(?P<uk>[\w-]{4,})"
    r"|^\s*(?P<tr>[\w-]{4,})\s+(?:nedir|ne\s+demek(?:tir)?)\b"
    r"|^\s*ما\s+(?:هو|هي|معنى)\s+(?P<ar>[\w-]{4,})"
    # A term typed alone, as staff look one up ("Bedarfsgemeinschaft", "die allgemeine
    # Meldepflicht", "Sperrzeit bei Arbeitsaufgabe"): up to five words and nothing else, not
    # opening with a question word or a verb of a question. Only a whole match counts
    # (``asked_phrases``), so "Mehrbedarf Schwangerschaft" asks for no title "Mehrbedarfe".
    r"|^\s*(?:(?:der|die|das|ein|eine)\s+)?(?!(?:" + "|".join(_NOT_A_TERM) + r")\b)"
    r"(?P<bare>[^\W\d_][\w-]{3,})(?=(?:\s+[\w-]+){0,4}\s*[?.!]?\s*$)", re.IGNORECASE)


_WORDS = re.compile(r"[\w-]+")
# Words after which what a question asks about has ended: a conjunction that starts another
# clause ("ein Kooperationsplan | und wer …"), a preposition naming the law it is asked under
# ("die allgemeine Meldepflicht | nach dem SGB III", "Einkommen | im Sinne des SGB II") and the
# particles that close the frame in English and Turkish ("What does X | mean?", "X | nedir?").
# Any other attribute is part of what is asked: "der Mehrbedarf bei Schwangerschaft" is not
# what "Mehrbedarfe" (§ 21 SGB II) introduces, "der Träger der Grundsicherung" not what § 21
# SGB III calls "Träger"; and a name may hold a preposition ("Sperrzeit bei Arbeitsaufgabe").
_CONTEXT_START = frozenset({"und", "oder", "sowie", "wenn", "falls", "nach", "laut", "gemäß",
                            "and", "or", "when", "under", "mean", "nedir", "ne"})


def _context_starts(words: list[str], i: int) -> bool:
    word = words[i].casefold()
    return word in _CONTEXT_START or (word == "im" and i + 1 < len(words) and words[i + 1].casefold() == "sinne")


def asked_phrase(question: str, max_words: int = 6) -> list[str]:
    """The words of a definitional question from its asked term on ("Was ist die allgemeine
    Meldepflicht?" -> ["allgemeine", "Meldepflicht"]; "Was ist eine Sperrzeit bei
    Arbeitsaufgabe?" -> ["Sperrzeit", "bei", "Arbeitsaufgabe"]), at most ``max_words``, up to
    the first comma or question mark; [] for other questions."""
    match = _ASKED_TERM.search(question)
    if not match:
        return []
    group = next(name for name, value in match.groupdict().items() if value)
    rest = re.split(r"[,;?!.؟]", question[match.start(group):], maxsplit=1)[0]
    return _WORDS.findall(rest)[:max_words]


def asked_phrases(question: str) -> list[str]:
    """What a definitional question may ask about, longest first: its words from the asked
    term on, and each beginning of them that ends where the question's context begins
    (``_CONTEXT_START``). "Was ist eine Sperrzeit bei Arbeitsaufgabe nach dem SGB III?" ->
    "Sperrzeit bei Arbeitsaufgabe nach dem SGB III", "Sperrzeit bei Arbeitsaufgabe"; "Was ist
    der Mehrbedarf bei Schwangerschaft?" -> only "Mehrbedarf bei Schwangerschaft". A name,
    title or defined term answers the question only when it is one of them, whole."""
    words = asked_phrase(question)
    cuts = [len(words)] + [i for i in range(len(words) - 1, 0, -1) if _context_starts(words, i)]
    return [" ".join(words[:i]) for i in dict.fromkeys(cuts)] if words else []


def asked_term(question: str) -> str:
    """The term a definitional question asks about ("" for other questions, and where the
    term is only the head of what it asks about: "Was ist der Träger der Grundsicherung?")."""
    match = _ASKED_TERM.search(question)
    term = next((t for t in match.groups() if t), "") if match else ""
    return term if term and term in asked_phrases(question) else ""
