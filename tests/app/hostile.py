"""A document written to attack the page: script, event-handler image, Markdown links and
images, bare URLs, an e-mail address, Streamlit directives and math, also in its file name
(which becomes its title)."""
from __future__ import annotations

from pathlib import Path

FILE_NAME = "Merkblatt [klick](http:evil.example) <img src=x onerror=alert(1)>.txt"
TEXT = """Merkblatt Arbeitsschuhe

Das Jobcenter übernimmt die Kosten für Arbeitsschuhe auf Antrag, wenn die Schuhe für die Aufnahme einer Beschäftigung notwendig sind. <script>window.__xss = 1</script> Der Zuschuss für Arbeitsschuhe beträgt höchstens 80 Euro.

Weitere Informationen zu Arbeitsschuhen finden Sie [hier](https://evil.example/phish) und im Bild ![Logo](https://evil.example/logo.png). <img src="x" onerror="window.__xss = 2"> Kontakt: www.evil.example oder info@evil.example oder https://evil.example/kontakt.

**Wichtig:** Den Antrag auf Arbeitsschuhe stellen Sie vor dem Kauf. <a href="https://evil.example">Jetzt beantragen</a> $x^2$ :red[rot]
"""
QUESTION = "Wer übernimmt die Kosten für Arbeitsschuhe?"


def write_hostile_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE_NAME
    path.write_text(TEXT, encoding="utf-8")
    return path


def build_hostile_index(tmp: Path):
    """Settings for a small real index holding only the hostile document."""
    from ingest.pipeline import run_ingest
    from tests.conftest import make_settings

    corpus = tmp / "corpus"
    path = write_hostile_corpus(corpus)
    settings = make_settings(tmp / "data", corpus=corpus)
    report = run_ingest([path], settings, progress=False)
    assert not report.failures, [o.message for o in report.failures]
    return settings
