"""States a newcomer meets: no index yet (with a button that builds it), Chroma server not
reachable (banner and retry), LLM endpoint not reachable (extractive answer with a notice)."""
from __future__ import annotations

import pytest

import shutil

from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, TIMEOUT, ask, question_boxes
from tests.app.markdown_check import rendered_text
from tests.conftest import free_port, make_settings

pytestmark = pytest.mark.slow

NRW = "Welche Ziele hat die NRW-Initiative zur Arbeitsmarktintegration gesetzt?"
CATALOGUE = '''
[[source]]
id = "rbsfv-2026"
kind = "law"
loader = "law_xml"
title = "Regelbedarfsstufen-Fortschreibungsverordnung 2026 (RBSFV 2026)"
path = "sgb2/rbsfv_2026/BJNR0F30B0025.xml"
official_url = "https://www.gesetze-im-internet.de/rbsfv_2026/"
slug = "rbsfv_2026"
fassung = "2025-12-31"

[[source]]
id = "landtag-nrw-18-ka-5591-antwort"
kind = "landtag"
loader = "landtag"
title = "Arbeitsmarkt-Integration von geflüchteten und arbeitslosen Menschen (Antwort der Landesregierung auf die Kleine Anfrage 5591)"
path = "landtag/NRW_18_KA_5591_Antwort_Arbeitsmarkt-Integration.txt"
official_url = "https://www.landtag.nrw.de/home/dokumente/dokumentensuche/anfragen-und-antworten-suchergeb.html?nummer=5591&doktyp=KA&wp=18"
'''


def small_corpus(tmp_path, corpus_dir):
    """A two-document corpus with its catalogue, as a newcomer's first corpus."""
    corpus = tmp_path / "corpus"
    for rel in ("sgb2/rbsfv_2026/BJNR0F30B0025.xml", "landtag/NRW_18_KA_5591_Antwort_Arbeitsmarkt-Integration.txt"):
        (corpus / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(corpus_dir / rel, corpus / rel)
    catalogue = tmp_path / "sources.toml"
    catalogue.write_text(CATALOGUE, encoding="utf-8")
    return make_settings(tmp_path / "data", corpus=corpus, catalogue=catalogue)


def open_app() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


def test_no_index_shows_the_ingest_command_and_the_button_builds_it(use_settings, tmp_path, corpus_dir):
    use_settings(small_corpus(tmp_path, corpus_dir))
    at = open_app()
    assert [s.value for s in at.subheader][0] == "Noch kein Index"
    assert [c.value for c in at.code] == ["python -m ingest"]
    assert question_boxes(at) == []
    at.button(key="run-ingest").click().run()
    assert not at.exception, at.exception
    assert at.progress[-1].proto.text.startswith("Fertig:")
    table = at.dataframe[0].value          # the summary counts what this table shows
    status = list(table["status"])
    assert status.count("neu eingelesen") == 2 and int(table["chunks"].sum()) > 0
    assert [s.value for s in at.success] == [
        f"Fertig: {len(table)} Dokumente, {int(table['chunks'].sum())} Passagen im Index (2 neu eingelesen, "
        f"{status.count('unverändert')} unverändert, {status.count('Datei fehlt')} Dateien fehlen, "
        f"{status.count('fehlgeschlagen')} fehlgeschlagen)."]
    at.run()
    assert not at.exception
    ask(at, NRW)
    answer = at.session_state.turns[-1].answer
    assert answer.citations and "Kleine Anfrage 5591" in answer.citations[0].label


def test_unreachable_chroma_server_shows_banner_and_retry(use_settings, tmp_path):
    use_settings(make_settings(tmp_path / "data"), chroma_host="127.0.0.1", chroma_port=str(free_port()))
    at = open_app()
    banner = rendered_text(at.error[0].value)
    assert banner.startswith("Die Datenbank (Chroma) ist nicht erreichbar: Chroma server at 127.0.0.1:")
    retry = at.button(key="retry-chroma")
    assert retry.label == "Erneut versuchen"
    retry.click().run()
    assert not at.exception and rendered_text(at.error[0].value) == banner


@pytest.mark.server
def test_reachable_chroma_server_without_collection_is_no_index(use_settings, tmp_path, chroma_server):
    use_settings(make_settings(tmp_path / "data"), chroma_host="127.0.0.1", chroma_port=str(chroma_server["port"]))
    at = open_app()
    assert [s.value for s in at.subheader][0] == "Noch kein Index"
    assert len(at.error) == 0


def test_unreachable_llm_falls_back_to_extractive_with_a_notice(use_settings, core_index_settings):
    use_settings(core_index_settings, llm_provider="ollama", llm_model="llama3.1",
                 llm_base_url=f"http://127.0.0.1:{free_port()}")
    at = open_app()
    mode = at.radio(key="opt_mode")
    assert mode.options == ["Extraktiv (wörtliche Sätze aus den Quellen)", "Sprachmodell: ollama:llama3.1"]
    mode.set_value("llm").run()
    ask(at, NRW)
    answer = at.session_state.turns[-1].answer
    assert answer.mode == "extractive" and answer.citations
    notices = [rendered_text(i.value) for i in at.info if "LLM" in i.value]
    assert notices and notices[0].startswith("Hinweis: LLM nicht erreichbar (")
