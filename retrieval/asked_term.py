"""The term a definitional question asks about.

"Was ist eine Bedarfsgemeinschaft?" asks for the legal definition of "Bedarfsgemeinschaft";
the search brings the unit that defines it (``retrieval.search``) and the answer quotes that
definition first (``retrieval.extractive``). The forms are German grammar and the law's own
definitional forms ("Zur Bedarfsgemeinschaft gehören …" answers "Wer gehört zur …?").
"""
from __future__ import annotations

import re

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
    r"|^\s*ما\s+(?:هو|هي|معنى)\s+(?P<ar>[\w-]{4,})", re.IGNORECASE)


_WORDS = re.compile(r"[\w-]+")
# Words after which what a question asks about has ended and its context begins: prepositions
# and conjunctions ("die Altersgrenze | beim Bürgergeld", "eine Sperrzeit bei Arbeitsaufgabe |
# nach dem SGB III", "ein Kooperationsplan | und wer …") and the particles that close the frame
# in English and Turkish ("What does X | mean?", "X | nedir?"). A genitive or other attribute
# ("der Träger der Grundsicherung", "die Dauer des Arbeitslosengeldes") is no such end: the
# question asks about the qualified thing, not what the bare word means.
_CONTEXT_START = frozenset({
    "bei", "beim", "im", "in", "nach", "für", "laut", "gemäß", "ab", "seit", "während", "zum", "zur", "vom",
    "und", "oder", "sowie", "wenn", "falls", "for", "in", "under", "when", "and", "or", "mean", "nedir", "ne"})


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
    term on, and each beginning of them that ends where a context begins (``_CONTEXT_START``).
    "Was ist eine Sperrzeit bei Arbeitsaufgabe nach dem SGB III?" -> "Sperrzeit bei
    Arbeitsaufgabe nach dem SGB III", "Sperrzeit bei Arbeitsaufgabe", "Sperrzeit"; "Was ist der
    Träger der Grundsicherung?" -> only "Träger der Grundsicherung". A name, title or defined
    term answers the question only when it is one of them, whole."""
    words = asked_phrase(question)
    cuts = [len(words)] + [i for i in range(len(words) - 1, 0, -1) if words[i].casefold() in _CONTEXT_START]
    return [" ".join(words[:i]) for i in dict.fromkeys(cuts)] if words else []


def asked_term(question: str) -> str:
    """The term a definitional question asks about ("" for other questions, and where the
    term is only the head of what it asks about: "Was ist der Träger der Grundsicherung?")."""
    match = _ASKED_TERM.search(question)
    term = next((t for t in match.groups() if t), "") if match else ""
    return term if term and term in asked_phrases(question) else ""
