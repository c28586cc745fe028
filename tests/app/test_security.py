"""Document text and questions are shown as text: a hostile document cannot add links,
images, HTML or script to the page (AppTest: what the app sends to the browser)."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from fundstelle.settings import REPO_ROOT
from tests.app.conftest import ask, new_session, texts
from tests.app.hostile import QUESTION, build_hostile_index
from tests.app.markdown_check import active_content, rendered_text

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def hostile_settings(tmp_path_factory):
    return build_hostile_index(tmp_path_factory.mktemp("hostile"))


@pytest.fixture
def hostile_app(use_settings, hostile_settings):
    return new_session(use_settings, hostile_settings)


def test_hostile_document_is_cited_and_every_text_on_the_page_is_inert(hostile_app):
    at = ask(hostile_app, QUESTION)
    answer = at.session_state.turns[-1].answer
    assert answer.citations and "Arbeitsschuhe" in answer.text
    bodies = texts(at) + [e.label for e in at.expander] + [o for r in at.radio for o in r.options]
    problems = {body[:80]: active_content(body, allow_anchors=True) for body in bodies}
    assert {k: v for k, v in problems.items() if v} == {}


def test_hostile_markup_is_shown_literally_in_the_source_card(hostile_app):
    at = ask(hostile_app, QUESTION)
    shown = "\n".join(rendered_text(m.value) for m in at.markdown)
    assert "<script>window.__xss = 1</script>" in shown
    assert "[hier](https://evil.example/phish)" in shown
    assert "![Logo](https://evil.example/logo.png)" in shown
    assert '<img src="x" onerror="window.__xss = 2">' in shown


def test_hostile_title_is_text_in_card_heading_and_citation(hostile_app):
    at = ask(hostile_app, QUESTION)
    headings = [rendered_text(s.value) for s in at.subheader if s.value.startswith("\\[")]
    assert headings[0].startswith("[1] Merkblatt [klick](http:evil.example) <img src=x onerror=alert(1)>, Abschnitt")
    assert active_content(at.subheader[0].value) == []
    assert any(c.value.startswith("Merkblatt [klick](http:evil.example) <img src=x onerror=alert(1)>") for c in at.code)


def test_document_without_web_address_links_only_its_local_copy(hostile_app):
    at = ask(hostile_app, QUESTION)
    assert at.session_state.turns[-1].answer.citations, "the hostile document is cited"
    hosts = {urlsplit(b.proto.url).hostname for b in at.get("link_button")}
    assert hosts <= {"127.0.0.1"}, hosts


def test_hostile_question_is_echoed_as_text(hostile_app):
    question = "[klick](https://evil.example) ![x](https://evil.example/x.png) <b>Arbeitsschuhe</b> www.evil.example?"
    at = ask(hostile_app, question)
    user_body = at.chat_message[0].markdown[0].value
    assert active_content(user_body) == [] and rendered_text(user_body) == question


def test_app_code_never_renders_raw_html():
    sources = [REPO_ROOT / "app.py", *sorted((REPO_ROOT / "app_support").glob("*.py"))]
    offenders = [p.name for p in sources if "unsafe_allow_html" in p.read_text() or "st.html(" in p.read_text()]
    assert offenders == []
