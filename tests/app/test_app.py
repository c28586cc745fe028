"""The app as a user drives it (Streamlit AppTest on the real core index): ask, read the
answer with markers and source cards, filter, share, export, give feedback."""
from __future__ import annotations

import pytest

import io
import re
import sqlite3
from datetime import date

from docx import Document
from streamlit.testing.v1 import AppTest

from app_support.citations import format_citation, from_passage
from app_support.export import to_docx, to_markdown
from app_support.ui import QUESTION_BOX
from tests.app.conftest import APP, TIMEOUT, ask, question_boxes, texts
from tests.app.markdown_check import rendered_text

pytestmark = pytest.mark.slow

NRW = "Welche Ziele hat die NRW-Initiative zur Arbeitsmarktintegration gesetzt?"
LANGZEIT = "Ab wann gilt man als langzeitarbeitslos?"
OFF_TOPIC = "Wie viel Hundesteuer zahle ich in Bochum im Jahr für einen Hund?"
# The sentence the issue names: the Landesregierung's answer to Frage 3 of KA 5591.
TARGETS_SENTENCE = "Messbare Zielgrößen im engeren Sinne wurden zu Beginn der Initiative nicht definiert."
HIGHLIGHT = re.compile(r":orange-background\[\*\*(.*?)\*\*\]", re.S)
MARKER_LINK = re.compile(r"\[\\\[(\d+)\\\]\]\(#(a[0-9a-f]{12})-quelle-(\d+)\)")


def last_turn(at: AppTest):
    return at.session_state.turns[-1]


def answer_body(at: AppTest) -> str:
    bodies = [m.value for m in at.markdown if MARKER_LINK.search(m.value)]
    assert bodies, "no answer with marker links on the page"
    return bodies[-1]


def card_titles(at: AppTest) -> list[str]:
    return [s.value for s in at.subheader if s.value.startswith("\\[")]


def test_empty_page_offers_example_questions_and_the_legal_notice(app_on_core_index):
    at = app_on_core_index
    assert [b.label for b in at.button if b.key and b.key.startswith("example-")][0] == NRW
    assert any("keine Rechtsberatung" in i.value for i in at.sidebar.info)
    assert question_boxes(at)[0]["placeholder"].startswith("Ihre Frage")


def test_question_gets_answer_with_markers_linking_to_source_cards(app_on_core_index):
    at = ask(app_on_core_index, NRW)
    answer = last_turn(at).answer
    assert not answer.abstained and answer.citations
    links = MARKER_LINK.findall(answer_body(at))
    assert links and all(number == card for number, _, card in links)
    first = answer.citations[0]
    assert card_titles(at)[0].startswith(f"\\[{first.number}\\] ") and "Anfrage 5591" in card_titles(at)[0]
    # Every marker points to a card that exists on the page (the heading carries the anchor).
    anchors = {s.proto.anchor for s in at.subheader}
    assert {f"{prefix}-quelle-{card}" for _, prefix, card in links} <= anchors


def test_source_card_shows_kind_stand_highlight_and_citation_to_copy(app_on_core_index):
    at = ask(app_on_core_index, NRW)
    answer = last_turn(at).answer
    assert ":green-badge[Landtag]" in [m.value for m in at.markdown]
    assert any("Antwort vom 30\\.06\\.2025" in c.value for c in at.caption)
    highlighted = [rendered_text(h) for m in at.markdown for h in HIGHLIGHT.findall(m.value)]
    supporting = [" ".join(c.passage[c.support_span[0]:c.support_span[1]].split()) for c in answer.citations]
    assert highlighted == supporting
    assert any(h.startswith(TARGETS_SENTENCE) for h in highlighted)
    assert "Antwort auf Kleine Anfrage 5591, zu Frage 3 (Antwort vom 30.06.2025)" in [c.value for c in at.code]
    assert [b.label for b in at.get("link_button")][0] == "Original öffnen"


def test_cards_show_graph_links_the_quoted_role_and_in_expert_view_why_they_ranked(app_on_core_index):
    at = ask(app_on_core_index, "Welche Leistungen zur Eingliederung in Arbeit können nach § 16 SGB II erbracht werden?")
    answer = last_turn(at).answer
    assert not answer.abstained
    cited = {c.chunk_id for c in answer.citations}
    linked = [p for p in answer.passages if p.chunk_id in cited and p.links]
    assert linked, "a cited § 16 unit or its Weisung has reference-graph neighbours"
    captions = [rendered_text(c.value) for c in at.caption]
    assert any(c.startswith(("Erläutert", "Verweist auf")) for c in captions), captions
    assert any(c.startswith("Zitierter Satz: ") for c in captions)
    assert not any(c.startswith("Warum hier") for c in captions)
    at.toggle(key="opt_expert").set_value(True).run()
    why = [rendered_text(c.value) for c in at.caption if rendered_text(c.value).startswith("Warum hier: ")]
    assert why and all("dense" in w or "bm25" in w for w in why)


def test_expert_view_shows_the_corpus_words_an_english_question_was_searched_with(app_on_core_index):
    at = ask(app_on_core_index, "Which integration courses does the job centre pay for unemployed refugees?")
    answer = last_turn(at).answer
    assert answer.settings.get("word_bridge"), "the English words get German corpus words"
    prefix = "Stichwortsuche auch mit diesen Wörtern der Quellen: "
    assert not any(rendered_text(c.value).startswith(prefix) for c in at.caption)
    at.toggle(key="opt_expert").set_value(True).run()
    shown = [rendered_text(c.value) for c in at.caption if rendered_text(c.value).startswith(prefix)]
    word, found = next(iter(answer.settings["word_bridge"].items()))
    assert shown and f"{word} → {', '.join(found)}" in shown[0]


def test_expert_view_shows_the_sentences_a_german_question_was_searched_with(app_on_core_index):
    situation, asked = "Ich bin 24 und wohne noch bei meinen Eltern.", "Darf ich ohne Zustimmung ausziehen?"
    at = ask(app_on_core_index, f"{situation} {asked}")
    assert last_turn(at).answer.settings.get("question_sentences") == [situation, asked]
    prefix = "Semantische Suche auch Satz für Satz: "
    assert not any(rendered_text(c.value).startswith(prefix) for c in at.caption)
    at.toggle(key="opt_expert").set_value(True).run()
    shown = [rendered_text(c.value) for c in at.caption if rendered_text(c.value).startswith(prefix)]
    assert shown == [f"{prefix}„{situation}“ · „{asked}“"]


def test_other_retrieved_passages_are_one_list_of_labels_that_opens_one_card(app_on_core_index):
    at = ask(app_on_core_index, NRW)
    turn = last_turn(at)
    others = [p for p in turn.answer.passages if p.chunk_id not in {c.chunk_id for c in turn.answer.citations}]
    assert any(m.value == f"**Weitere Fundstellen ({len(others)})**" for m in at.markdown)
    pick = at.radio(key=f"more-pick-{turn.id}")
    assert pick.value is None and len(pick.options) == len(others)
    cards = len(at.code)
    pick.set_value(1).run()
    assert len(at.code) == cards + 1, "exactly one further card opens"
    assert format_citation(from_passage(others[1])) in [c.value for c in at.code]


def test_identical_question_sent_twice_within_a_second_is_asked_once(app_on_core_index):
    at = app_on_core_index
    at.button(key="example-1").click()
    at.button(key="example-1").click().run()
    assert [turn.question for turn in at.session_state.turns] == [LANGZEIT]


def test_questions_one_merged_rerun_brings_are_all_answered_in_order(app_on_core_index):
    at = app_on_core_index       # the box's value after three questions sent while the page was busy
    at.session_state[QUESTION_BOX] = [{"id": "b-1", "text": NRW}, {"id": "b-2", "text": LANGZEIT},
                                      {"id": "b-3", "text": NRW}]
    at.run()
    ask(at, LANGZEIT)            # the value still lists the three: each is asked once
    assert [turn.question for turn in at.session_state.turns] == [NRW, LANGZEIT, NRW, LANGZEIT]
    assert all(turn.answer for turn in at.session_state.turns)


def test_example_button_asks_its_question(app_on_core_index):
    at = app_on_core_index
    at.button(key="example-0").click().run()
    assert not at.exception
    assert last_turn(at).question == NRW and last_turn(at).answer.citations


def test_off_topic_question_abstains_and_labels_nearest_passages(app_on_core_index):
    at = ask(app_on_core_index, OFF_TOPIC)
    assert last_turn(at).answer.abstained
    assert [w.value for w in at.warning] == ["Dazu enthalten die Quellen keine Angabe."]
    assert [e.label for e in at.expander] == ["Nächste Fundstellen (3) – sie beantworten die Frage nicht"]
    assert len([t for t in at.subheader if t.value.startswith("\\[")]) == 0
    assert [b.label for b in at.get("link_button")].count("Original öffnen") == 3, \
        "each nearest passage is a card with its original"
    assert not any(MARKER_LINK.search(m.value) for m in at.markdown)
    assert card_titles(at) == []


def test_english_interface_translates_labels_and_abstention_not_citations(app_on_core_index):
    at = app_on_core_index
    at.radio(key="lang").set_value("en").run()
    assert question_boxes(at)[0]["placeholder"].startswith("Your question")
    ask(at, OFF_TOPIC)
    assert [w.value for w in at.warning] == ["The sources do not contain information on this."]
    ask(at, NRW)
    assert any(s.value.startswith("\\[1\\] ") and "Anfrage 5591" in s.value for s in at.subheader)
    assert any("Antwort vom 30\\.06\\.2025" in c.value for c in at.caption)


def test_kind_filter_keeps_answers_to_laws(app_on_core_index):
    at = app_on_core_index
    at.multiselect(key="opt_kinds").set_value(["law"]).run()
    ask(at, LANGZEIT)
    answer = last_turn(at).answer
    assert answer.settings["kinds"] == ["law"]
    assert {p.kind for p in answer.passages} == {"law"}
    assert any(c.label.startswith("§ 18 Abs. 1 SGB III") for c in answer.citations)
    assert ":green-badge[Landtag]" not in [m.value for m in at.markdown]


def test_law_filter_and_rechtsstand_pick_the_older_fassung(app_on_core_index):
    at = app_on_core_index
    at.multiselect(key="opt_laws").set_value(["SGB II"]).run()
    at.date_input(key="opt_as_of").set_value(date(2025, 3, 1)).run()
    ask(at, "Was ist das Ziel der Grundsicherung für Arbeitsuchende?")
    answer = last_turn(at).answer
    assert answer.settings["as_of"] == "2025-03-01"
    assert {p.doc_id for p in answer.passages} == {"sgb2-2025-02-27"}
    assert any("Stand\\: 27\\.02\\.2025" in c.value for c in at.caption)


def test_filters_that_match_nothing_say_so(app_on_core_index):
    at = app_on_core_index
    at.multiselect(key="opt_kinds").set_value(["landtag"]).run()
    at.multiselect(key="opt_laws").set_value(["SGB III"]).run()
    ask(at, LANGZEIT)
    assert last_turn(at).answer is None
    assert rendered_text(at.error[0].value).startswith("Mit diesen Filtern gibt es keine Quelle: Die Filter treffen")


def test_number_of_sources_limits_retrieved_passages(app_on_core_index):
    at = app_on_core_index
    at.slider(key="opt_k").set_value(3).run()
    ask(at, NRW)
    assert len(last_turn(at).answer.passages) <= 3


def test_answer_url_carries_question_and_settings(app_on_core_index):
    at = app_on_core_index
    at.multiselect(key="opt_kinds").set_value(["landtag"]).run()
    ask(at, NRW)
    assert at.query_params["q"] == NRW and at.query_params["kinds"] == "landtag"
    share = [c.value for c in at.code if c.value.startswith("?q=") or "?q=" in c.value]
    assert share and "kinds=landtag" in share[-1] and "q=Welche+Ziele" in share[-1]


def test_shared_link_asks_again_with_the_same_settings(use_settings, core_index_settings):
    use_settings(core_index_settings)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params.update({"q": LANGZEIT, "kinds": "law", "k": "4", "lang": "en"})
    at.run()
    assert not at.exception
    turn = last_turn(at)
    assert turn.question == LANGZEIT
    assert turn.answer.settings["kinds"] == ["law"] and turn.answer.settings["k"] == 4
    assert at.multiselect(key="opt_kinds").value == ["law"] and at.slider(key="opt_k").value == 4
    assert at.radio(key="lang").value == "en"
    at.run()
    assert len(at.session_state.turns) == 1, "a shared link is answered once, not on every rerun"


def test_too_long_question_gets_a_clear_message_and_is_kept_to_shorten(use_settings, core_index_settings):
    use_settings(core_index_settings)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["q"] = "Bürgergeld " * 300
    at.run()
    assert rendered_text(at.error[0].value) == "Die Frage ist zu lang (3299 Zeichen, höchstens 2000). Bitte kürzer fassen."
    assert at.text_area(key="shorten-text").value == "Bürgergeld " * 300
    assert at.session_state.turns == []
    at.text_area(key="shorten-text").set_value(LANGZEIT)
    at.button(key="shorten-send").click().run()
    assert [turn.question for turn in at.session_state.turns] == [LANGZEIT] and last_turn(at).answer
    assert not at.error


def test_conversation_keeps_earlier_answers(app_on_core_index):
    at = ask(app_on_core_index, NRW)
    ask(at, LANGZEIT)
    assert [c.markdown[0].value for c in at.chat_message if c.name == "user"] == [
        "Welche Ziele hat die NRW\\-Initiative zur Arbeitsmarktintegration gesetzt\\?",
        "Ab wann gilt man als langzeitarbeitslos\\?"]
    assert len({m.group(2) for body in texts(at) for m in MARKER_LINK.finditer(body)}) == 2


def test_new_conversation_clears_history_and_link(app_on_core_index):
    at = ask(app_on_core_index, NRW)
    at.sidebar.button[0].click().run()
    assert at.session_state.turns == [] and "q" not in at.query_params


def test_export_buttons_and_content_of_the_real_answer(app_on_core_index):
    at = ask(app_on_core_index, NRW)
    labels = [b.label for b in at.get("download_button")]
    assert labels.count("Word (DOCX)") == 2 and labels.count("Markdown") == 2   # per answer and in the sidebar
    answer = last_turn(at).answer
    paragraphs = [p.text for p in Document(io.BytesIO(to_docx([answer]))).paragraphs]
    assert f"Frage 1: {NRW}" in paragraphs
    assert any(p.startswith(answer.citations[0].label) and "(Antwort vom 30.06.2025)" in p for p in paragraphs)
    assert f"\n1. {answer.citations[0].label}" in to_markdown([answer])


def test_thumbs_down_with_reason_is_stored(app_on_core_index, core_index_settings):
    at = ask(app_on_core_index, NRW)
    turn = last_turn(at)
    at.feedback(key=f"fb-{turn.id}").set_value(0).run()
    at.text_input(key=f"fbr-{turn.id}").input("Frage 3 fehlt")
    at.button[[b.label for b in at.button].index("Begründung senden")].click().run()
    with sqlite3.connect(core_index_settings.data / "feedback.sqlite") as db:
        row = db.execute("SELECT rating, reason, question, citations_json FROM feedback WHERE answer_id = ?",
                         (turn.id,)).fetchone()
    assert row[:3] == (0, "Frage 3 fehlt", NRW)
    assert "Kleine Anfrage 5591" in row[3]


def test_second_session_reuses_the_assistant_loaded_by_the_first(use_settings, core_index_settings):
    from app_support import runtime
    from fundstelle.settings import Settings

    use_settings(core_index_settings)
    AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    loaded = runtime.get_assistant(Settings())
    second = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    second.run()
    ask(second, NRW)
    assert runtime.get_assistant(Settings()) is loaded
