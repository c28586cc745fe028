"""Hand-made ``Answer`` objects with real passages, for tests of the presentation helpers."""
from __future__ import annotations

from retrieval.answer import LEAD, UNSUPPORTED, VERIFIED, Answer, Citation, Passage, SentenceCheck

KA_TEXT = ("3. Welche messbaren Zielgrößen (z. B. Integrationsquote in sozialversicherungspflichtige "
           "Beschäftigung) wurden zu Beginn der Initiative definiert?\n\n"
           "Messbare Zielgrößen im engeren Sinne wurden zu Beginn der Initiative nicht definiert. Vielmehr wurden "
           "verschiedene Ansätze verfolgt beziehungsweise auf ihre Wirksamkeit überprüft.")
KA_SENTENCE = "Messbare Zielgrößen im engeren Sinne wurden zu Beginn der Initiative nicht definiert."
KA_URL = ("https://www.landtag.nrw.de/home/dokumente/dokumentensuche/anfragen-und-antworten-suchergeb.html"
          "?nummer=5591&doktyp=KA&wp=18")
SGB_TEXT = ("(1) Langzeitarbeitslose sind Arbeitslose, die ein Jahr und länger arbeitslos sind. "
            "(2) Für Leistungen, die Langzeitarbeitslosigkeit voraussetzen, bleiben folgende Unterbrechungen "
            "der Arbeitslosigkeit von insgesamt höchstens fünf Jahren unberücksichtigt.")
SGB_SENTENCE = "Langzeitarbeitslose sind Arbeitslose, die ein Jahr und länger arbeitslos sind."
FW_TEXT = ("Die Leistungen zur Eingliederung sind unter Beachtung der Grundsätze von Wirtschaftlichkeit und "
           "Sparsamkeit zu erbringen.")


def ka_passage() -> Passage:
    return Passage(chunk_id="landtag-nrw-18-ka-5591-antwort#anfrage=5591/frage=3#6674d85b7678089a",
                   label="Antwort auf Kleine Anfrage 5591, zu Frage 3", kind="landtag",
                   doc_type="Antwort auf Kleine Anfrage",
                   title="Antwort auf Kleine Anfrage 'Arbeitsmarkt-Integration von geflüchteten und arbeitslosen "
                         "Menschen'", stand="Antwort vom 30.06.2025", stand_date="2025-06-30", page=None,
                   url=KA_URL, text=KA_TEXT, score=0.03, locator={"anfrage": "5591", "frage": "3"},
                   doc_id="landtag-nrw-18-ka-5591-antwort")


def sgb3_passage() -> Passage:
    return Passage(chunk_id="sgb3-2026-04-22#law=SGB III/paragraph=18#abc", label="§ 18 Abs. 1 SGB III", kind="law",
                   doc_type="Gesetz", title="Sozialgesetzbuch (SGB) Drittes Buch (III) – Arbeitsförderung",
                   stand="zuletzt geändert durch Art. 2 G v. 16.4.2026 I Nr. 107", stand_date="2026-04-22",
                   page=None, url="https://www.gesetze-im-internet.de/sgb_3/__18.html", text=SGB_TEXT, score=0.02,
                   locator={"law": "SGB III", "paragraph": "18", "absatz": "1"}, doc_id="sgb3-2026-04-22")


def fw_passage() -> Passage:
    return Passage(chunk_id="fw-sgb2-16#rz=16.1#def", label="FW § 16 SGB II, Rz. 16.1", kind="ba",
                   doc_type="Fachliche Weisungen", title="Fachliche Weisungen § 16 SGB II",
                   stand="Stand 26.03.2025", stand_date="2025-03-26", page=4,
                   url="https://www.arbeitsagentur.de/datei/fw-sgb-ii-16_ba015856.pdf", text=FW_TEXT, score=0.01,
                   locator={"rz": "16.1"}, doc_id="fw-sgb2-16")


def citation_for(passage: Passage, number: int, sentence: str) -> Citation:
    start = passage.text.index(sentence)
    return Citation(number=number, chunk_id=passage.chunk_id, label=passage.label, kind=passage.kind,
                    doc_type=passage.doc_type, title=passage.title, stand=passage.stand, page=passage.page,
                    url=passage.url, passage=passage.text, support_span=(start, start + len(sentence)),
                    doc_id=passage.doc_id)


def initiative_answer() -> Answer:
    """Two verified sentences from two sources, one sentence verification could not back."""
    ka, sgb, fw = ka_passage(), sgb3_passage(), fw_passage()
    sentences = [SentenceCheck(KA_SENTENCE, [1], VERIFIED, support=0.93),
                 SentenceCheck(SGB_SENTENCE, [2], VERIFIED, support=0.9),
                 SentenceCheck("Die Initiative hat ihre Ziele vollständig erreicht.", [], UNSUPPORTED,
                               reason="no passage supports it")]
    return Answer(question="Welche Ziele hat die NRW-Initiative zur Arbeitsmarktintegration gesetzt?",
                  text=f"{KA_SENTENCE} [1] {SGB_SENTENCE} [2] Die Initiative hat ihre Ziele vollständig erreicht. "
                       "(nicht belegt)",
                  citations=[citation_for(ka, 1, KA_SENTENCE), citation_for(sgb, 2, SGB_SENTENCE)],
                  sentences=sentences, abstained=False, passages=[ka, sgb, fw], retrievers=["dense", "bm25"],
                  timings={"total": 412.0}, settings={"kinds": [], "as_of": None, "k": 8, "mode": "extractive",
                                                      "documents": [], "laws": []})


def abstained_answer() -> Answer:
    text = "Dazu enthalten die Quellen keine Angabe."
    return Answer(question="Wie hoch ist die Hundesteuer in Köln?", text=text, citations=[],
                  sentences=[SentenceCheck(text, [], LEAD)], abstained=True,
                  abstain_reason="Keine Passage passt ausreichend zur Frage (beste Ähnlichkeit 0.71 < 0.8).",
                  passages=[sgb3_passage(), ka_passage()], retrievers=["dense", "bm25"],
                  settings={"kinds": [], "as_of": None, "k": 8, "mode": "extractive", "documents": [], "laws": []})
