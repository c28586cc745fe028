"""The Streamlit page: ask, read the answer, check every source.

Layout: a chat in the main column (question, answer with markers, source cards, "Weitere
Fundstellen", export, share link, feedback); the sidebar holds language, filters, answer
mode, number of sources, the legal-advice notice and the export of several answers.

Security: nothing here renders raw HTML (no HTML flag on ``st.markdown``, no ``st.html``).
Every text that comes from a document or from the user goes through ``safe_markdown`` (or
``st.code``), so a document cannot add links, images, HTML or formatting to the page.
Badges only ever carry fixed labels (``st.badge`` does not escape Markdown).
"""
from __future__ import annotations

import logging
import re
import time
import uuid
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from urllib.parse import urlsplit

import streamlit as st

from fundstelle.law_names import long_law_name, short_law_name
from fundstelle.settings import Settings
from index.chunk import KINDS
from index.chunk_index import ChromaUnavailableError, EmbeddingMismatchError, IndexError_
from retrieval.answer import Answer, FilterError, QuestionError
from retrieval.feedback import FeedbackStore

from app_support import runtime
from app_support.citations import (SourceRef, format_citation, from_citation, from_passage, kind_colour,
                                   display_title, german_date, kind_label, link_text, original_url, stand_text)
from app_support.export import NEAREST_IN_ABSTENTION, export_filename, mode_name, to_docx, to_markdown
from app_support.i18n import EXAMPLE_QUESTIONS, LANGUAGES, normalise_language, t
from app_support.originals import local_url
from app_support.question_box import Submissions, question_box
from app_support.render import answer_markdown, card_anchor, has_unsupported, not_direct_label
from app_support.safe_markdown import escape_block, escape_inline, highlight
from app_support.share import MAX_K, AskOptions, SharedQuestion, from_query_params, share_url, to_query_params

log = logging.getLogger(__name__)

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LANGUAGE_NAMES = {"de": "Deutsch", "en": "English"}
# Identical submissions closer together than this are one question (a double click, a double Enter).
REPEAT_SECONDS = 1.0
# The question box accepts far more than a question may have, so an over-long paste is kept
# whole with the limit message instead of being cut in the browser.
PASTE_LIMIT_FACTOR = 20
# While an answer is computed, the page checks this often for questions sent meanwhile
# (a Streamlit call is where a rerun for them starts; see _wait_for).
POLL_SECONDS = 0.1
QUESTION_BOX = "question-box"


@dataclass
class Turn:
    """One question of the conversation and what came back."""

    question: str
    options: AskOptions
    answer: Answer | None = None
    error: str = ""
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    submitted: float = field(default_factory=time.monotonic)
    # The answer being computed in a worker thread (outlives the script run that started it).
    future: Future | None = field(default=None, repr=False, compare=False)

    @property
    def done(self) -> bool:
        return self.answer is not None or bool(self.error)

    @property
    def anchor_prefix(self) -> str:
        return f"a{self.id}"

    @property
    def shared(self) -> SharedQuestion:
        return SharedQuestion(self.question, self.options)


class IndexUnavailable(Exception):
    """The index cannot be used right now; ``kind`` says which newcomer state to show."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


# -- state ---------------------------------------------------------------------------------
def _init_state(settings: Settings) -> None:
    """First run of a session: defaults, and a shared question from the URL."""
    state = st.session_state
    if state.get("initialised"):
        return
    default = AskOptions(mode=settings.answer_mode, k=min(settings.k, MAX_K))
    shared = from_query_params(st.query_params.to_dict(), default)
    options = shared.options if shared else AskOptions(
        mode=default.mode, k=default.k, lang=normalise_language(st.query_params.get("lang")))
    state.turns = []
    state.submissions = Submissions()
    state.box_confirmed = []
    state.too_long = None
    state.max_question_chars = settings.max_question_chars
    state.lang = options.lang
    state.opt_kinds = list(options.kinds)
    state.opt_docs = list(options.documents)
    state.opt_laws = list(options.laws)
    state.opt_as_of = date.fromisoformat(options.as_of) if options.as_of else None
    state.opt_mode = options.mode
    state.opt_k = options.k
    if shared:
        _enqueue(shared.question, shared.options)
    # Last: Streamlit may stop this run at any session-state access (see _enqueue); a stopped
    # first run is then done again from the start, the shared question included.
    state.initialised = True


def _current_options(lang: str) -> AskOptions:
    state = st.session_state
    as_of = state.get("opt_as_of")
    return AskOptions(kinds=tuple(state.get("opt_kinds") or ()), documents=tuple(state.get("opt_docs") or ()),
                      laws=tuple(state.get("opt_laws") or ()), as_of=as_of.isoformat() if as_of else None,
                      mode=state.get("opt_mode") or "extractive", k=int(state.get("opt_k") or 8), lang=lang)


# -- the index and its problems --------------------------------------------------------------
def _open_assistant(settings: Settings, lang: str, status):
    """The assistant; while it is built (first page of a server process) ``status`` says so,
    and the question box above already takes questions (they wait in the queue)."""
    notice = None
    if not runtime.assistant_built(settings):
        with status:
            notice = st.empty()
            notice.info(t("loading_assistant", lang), icon=":material/hourglass_top:")
    try:
        assistant = runtime.get_assistant(settings)
        documents = assistant.documents()
    except ChromaUnavailableError as exc:
        raise IndexUnavailable("chroma", str(exc)) from exc
    except EmbeddingMismatchError as exc:
        raise IndexUnavailable("mismatch", str(exc)) from exc
    except IndexError_ as exc:
        raise IndexUnavailable("missing", str(exc)) from exc
    finally:
        if notice is not None:
            notice.empty()
    if not documents:
        raise IndexUnavailable("missing", "the index is empty")
    runtime.ensure_dense_index(settings, assistant)
    return assistant, documents


def _dense_status(assistant, settings: Settings, lang: str) -> None:
    """While the dense index is being built: how far it is, and what answers rest on.
    Re-rendered every few seconds on its own, without rerunning the page."""
    if assistant.searcher.dense_complete and assistant.sentences_complete():
        return

    @st.fragment(run_every=3.0)
    def status() -> None:
        searcher = assistant.searcher
        try:
            searcher.ensure_current()
        except ChromaUnavailableError:
            return
        percent = int(searcher.dense_coverage * 100)
        if searcher.dense_complete:
            st.success(t("dense_ready", lang), icon=":material/check_circle:")
            done, total = assistant.index.sentence_progress()
            if done < total:
                st.caption(t("sentences_building", lang, percent=int(100 * done / total)))
            return
        embedder = runtime.background_embedder(settings)
        if embedder.status.state == "failed":
            st.warning(escape_inline(t("dense_failed", lang, percent=percent, error=embedder.status.error)),
                       icon=":material/warning:")
        elif embedder.status.state == "held":
            st.info(t("dense_held", lang, percent=percent), icon=":material/pause_circle:")
        else:
            st.info(t("dense_building", lang, percent=percent), icon=":material/hourglass_top:")
        st.progress(searcher.dense_coverage)

    status()


def _chroma_down(settings: Settings) -> str | None:
    """After an unexpected error: is the Chroma server gone? (the message, or None)."""
    if not settings.uses_chroma_server:
        return None
    from index.chunk_index import make_chroma_client

    try:
        make_chroma_client(settings)
    except ChromaUnavailableError as exc:
        return str(exc)
    return None


def _retry_button(lang: str, key: str) -> None:
    if st.button(t("retry", lang), key=key, icon=":material/refresh:", type="primary"):
        runtime.reset()
        st.rerun()


def _show_unavailable(problem: IndexUnavailable, settings: Settings, lang: str) -> None:
    if problem.kind == "chroma":
        st.error(escape_inline(t("chroma_down", lang, error=str(problem))), icon=":material/cloud_off:")
        st.caption(t("chroma_down_hint", lang))
        _retry_button(lang, "retry-chroma")
    elif problem.kind == "mismatch":
        st.error(escape_inline(t("index_problem", lang, error=str(problem))), icon=":material/error:")
        st.code("python -m ingest --reindex", language="bash")
        _retry_button(lang, "retry-mismatch")
    else:
        _no_index(settings, lang)


def _no_index(settings: Settings, lang: str) -> None:
    st.subheader(t("no_index_title", lang), anchor=False)
    st.markdown(t("no_index_body", lang))
    st.code("python -m ingest", language="bash")
    st.caption(escape_inline(f"FUNDSTELLE_CORPUS = {settings.corpus} · FUNDSTELLE_DATA = {settings.data}"))
    if st.button(t("no_index_button", lang), key="run-ingest", type="primary", icon=":material/download:"):
        _run_ingest(settings, lang)


def _run_ingest(settings: Settings, lang: str) -> None:
    from ingest import corpus_sources, run_ingest

    sources = corpus_sources(settings)
    total = max(1, len(sources))
    bar = st.progress(0.0, text=t("no_index_progress", lang, done=0, total=total, name="…"))
    done = 0

    def on_document(outcome) -> None:
        nonlocal done
        done += 1
        name = escape_inline(outcome.path.rsplit("/", 1)[-1])
        bar.progress(min(1.0, done / total), text=t("no_index_progress", lang, done=done, total=total, name=name))

    with st.spinner(t("thinking", lang)):
        # Keyword search is ready in seconds; the dense index is built in the background.
        report = run_ingest(None, settings, progress=False, on_document=on_document,
                            embed=not settings.background_embedding)
    rows = ingest_rows(report.outcomes, lang)
    bar.progress(1.0, text=ingest_summary(rows, lang))
    failed = [o for o in report.failures if o.status == "failed"]
    if failed:
        st.warning(escape_inline(t("no_index_failures", lang, names=", ".join(o.path for o in failed))))
    runtime.reset()
    st.dataframe(rows, hide_index=True, column_order=["document", "status", "chunks"],
                 column_config={key: t(f"ingest_table_{key}", lang) for key in ("document", "status", "chunks")})
    if any(row["chunks"] for row in rows):
        st.success(ingest_summary(rows, lang))
        st.button(t("retry", lang), key="after-ingest", type="primary")


_INGEST_STATUS = {"added": "added", "updated": "added", "unchanged": "unchanged", "failed": "failed",
                  "missing": "missing"}


def ingest_rows(outcomes, lang: str) -> list[dict]:
    """The ingest table: one row per document with its status and passages in the index."""
    return [{"document": o.path, "status": t(f"ingest_status_{_INGEST_STATUS.get(o.status, 'skipped')}", lang),
             "state": _INGEST_STATUS.get(o.status, "skipped"), "chunks": o.chunks} for o in outcomes]


def ingest_summary(rows: list[dict], lang: str) -> str:
    """The summary above the table, counted from the table's own rows."""
    count = {state: sum(1 for row in rows if row["state"] == state)
             for state in ("added", "unchanged", "missing", "failed")}
    return t("no_index_summary", lang, documents=len(rows), chunks=sum(row["chunks"] for row in rows), **count)


# -- sidebar ---------------------------------------------------------------------------------
def _sidebar_language() -> str:
    with st.sidebar:
        st.radio(t("language", st.session_state.lang), LANGUAGES, key="lang", horizontal=True,
                 format_func=LANGUAGE_NAMES.get)
    return st.session_state.lang


def _sidebar_filters(assistant, documents: list[dict], settings: Settings, lang: str) -> None:
    state = st.session_state
    # Streamlit drops the state of widgets a run did not draw (e.g. while the index was
    # missing); without this, the date field would come back as "today".
    for key, value in (("opt_kinds", []), ("opt_docs", []), ("opt_laws", []), ("opt_as_of", None),
                       ("opt_mode", settings.answer_mode), ("opt_k", min(settings.k, MAX_K)),
                       ("opt_expert", False)):
        if key not in state:
            state[key] = value
    titles = {d["doc_id"]: document_name(d) for d in documents}
    doc_ids = sorted(titles, key=lambda doc_id: natural_key(titles[doc_id]))
    laws = assistant.laws()
    # Values from a shared link that this index does not know are dropped, not an error.
    state.opt_docs = [d for d in state.get("opt_docs", []) if d in titles]
    state.opt_laws = [law for law in state.get("opt_laws", []) if law in laws]
    model, llm_error = runtime.llm_status(settings)
    modes = ["extractive", "llm"] if model else ["extractive"]
    if state.get("opt_mode") not in modes:
        state.opt_mode = "extractive"
    with st.sidebar:
        st.subheader(t("filters", lang), anchor=False)
        st.multiselect(t("kinds", lang), list(KINDS), key="opt_kinds", placeholder=t("kinds_placeholder", lang),
                       format_func=lambda k: kind_label(k, lang), select_all=False)
        st.multiselect(t("laws", lang), sorted(laws, key=lambda law: natural_key(short_law_name(law))),
                       key="opt_laws", placeholder=t("laws_placeholder", lang), select_all=False,
                       format_func=short_law_name, help="\n".join(f"{short_law_name(law)}: {long_law_name(law)}"
                                                                 for law in laws))
        st.multiselect(t("documents", lang), doc_ids, key="opt_docs", placeholder=t("documents_placeholder", lang),
                       format_func=titles.get, select_all=False)
        st.date_input(t("as_of", lang), key="opt_as_of", help=t("as_of_help", lang), format="DD.MM.YYYY",
                      min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))
        st.radio(t("mode", lang), modes, key="opt_mode",
                 format_func=lambda m: t("mode_extractive", lang) if m == "extractive"
                 else t("mode_llm", lang, model=model))
        if llm_error:
            st.caption(escape_inline(t("llm_error", lang, error=llm_error)))
        elif not model:
            st.caption(t("llm_none", lang))
        st.slider(t("k", lang), min_value=1, max_value=MAX_K, key="opt_k")
        st.toggle(t("expert_view", lang), key="opt_expert", help=t("expert_view_help", lang))
        st.info(t("notice", lang), icon=":material/gavel:")
        if st.session_state.turns and st.button(t("new_chat", lang), icon=":material/add_comment:"):
            st.session_state.turns = []
            st.query_params.clear()
            st.rerun()


def document_name(document: dict) -> str:
    """A short name for the narrow sidebar: "SGB II (Fassung 23.04.2026)", "FW § 16 SGB II – …"."""
    if document.get("kind") == "law" and document.get("law"):
        title = short_law_name(document["law"])
    else:
        title = " ".join(str(document.get("title") or document["doc_id"]).split())
        title = re.sub(r"^Fachliche Weisungen\b", "FW", title)
    version = german_date(document.get("fassung") or "")
    return f"{title} ({version})" if version else title


_NUMBER = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple:
    """Sort key that puts § 5 before § 10 (digits compare as numbers)."""
    return tuple(int(part) if part.isdigit() else part.casefold() for part in _NUMBER.split(text))


def _sidebar_export(lang: str) -> None:
    answered = [turn for turn in st.session_state.turns if turn.answer is not None]
    with st.sidebar:
        st.subheader(t("export_heading", lang), anchor=False)
        if not answered:
            st.caption(t("export_none", lang))
            return
        by_id = {turn.id: turn for turn in answered}
        chosen = st.multiselect(t("export_select", lang), list(by_id), default=list(by_id),
                                format_func=lambda i: _short(by_id[i].question))
        answers = [by_id[i].answer for i in chosen]
        with st.container(horizontal=True):
            st.download_button(t("export_md", lang), data=partial(to_markdown, answers, lang=lang),
                               file_name=export_filename(answers, "md"), mime="text/markdown", on_click="ignore",
                               key="export-md", disabled=not answers, icon=":material/description:")
            st.download_button(t("export_docx", lang), data=partial(to_docx, answers, lang=lang),
                               file_name=export_filename(answers, "docx"), mime=DOCX_MIME, on_click="ignore",
                               key="export-docx", disabled=not answers, icon=":material/article:")


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


# -- asking: a queue of questions -------------------------------------------------------------
# Every question sent becomes a Turn in ``session_state.turns`` before the turns are drawn: the
# question box's value holds every question the browser has sent and the server has not
# confirmed (see ``question_box``), so a rerun that Streamlit merged from several still brings
# all of them, and each id is taken once. The first unanswered turn is answered in a worker
# thread; the page waits for it in short steps, each a Streamlit call at which a rerun for a
# question sent meanwhile starts. Such a rerun does not stop the answer: the next run waits
# for the same worker. Then the page shows the answer and reruns for the next turn.
def _enqueue(question: str, options: AskOptions | None = None, *, once_per_second: bool = True) -> None:
    """Queue ``question``. ``once_per_second``: an identical question within ``REPEAT_SECONDS``
    is dropped (the question box applies this rule in the browser, on the browser's clock)."""
    # Every session-state access is a point at which Streamlit may stop this run for a newer
    # rerun: read what the queue needs first, then append in one step, so that a question is
    # queued whole or not at all.
    turns, limit, current = _queue_inputs()
    new, too_long = _new_turns([question], options or current, turns, limit, once_per_second=once_per_second)
    turns.extend(new)
    _show_too_long(too_long, cleared=bool(question.strip()))


def _queue_inputs() -> tuple[list[Turn], int, AskOptions]:
    """The queue, the question length limit and the options a new question is asked with."""
    state = st.session_state
    return state.turns, state.max_question_chars, _current_options(state.get("lang") or "de")


def _new_turns(questions: list[str], options: AskOptions, turns: list[Turn], limit: int, *,
               once_per_second: bool) -> tuple[list[Turn], str | None]:
    """The turns to queue for ``questions``, in order, and the first over-long one (kept so it
    can be shortened). No Streamlit call in here: see ``_enqueue``."""
    new: list[Turn] = []
    too_long = None
    now = time.monotonic()
    for question in questions:
        if not (question or "").strip():
            continue
        if len(" ".join(question.split())) > limit:
            too_long = too_long or question
            continue
        if once_per_second and _repeated(question, options, turns + new, now):
            continue                  # a double click on an example: one question
        new.append(Turn(question=question, options=options))
    return new, too_long


def _repeated(question: str, options: AskOptions, turns: list[Turn], now: float) -> bool:
    for turn in reversed(turns):
        if now - turn.submitted >= REPEAT_SECONDS:
            return False
        if turn.question == question and turn.options == options:
            return True
    return False


def _show_too_long(question: str | None, *, cleared: bool) -> None:
    """An over-long question stays on the page to be shortened (see ``_too_long_box``); a
    question that fits clears it."""
    state = st.session_state
    if question:
        state.too_long = question
        state["shorten-text"] = question
    elif cleared:
        state.too_long = None


def _on_shortened() -> None:
    _enqueue(st.session_state.get("shorten-text") or "")


def _question_box(settings: Settings, lang: str) -> None:
    """The question box; every question it brings that this session has not taken is queued."""
    state = st.session_state
    sent = question_box(lang, settings.max_question_chars, state.get("box_confirmed") or [], key=QUESTION_BOX,
                        paste_factor=PASTE_LIMIT_FACTOR)
    # Read first, then mark taken and queue with no session-state access in between (see
    # _enqueue): an id marked taken in a run that Streamlit stops would never be queued.
    submissions = state.submissions
    turns, limit, options = _queue_inputs()
    taken = submissions.take(sent)
    new, too_long = _new_turns([submission.text for submission in taken], options, turns, limit,
                               once_per_second=False)
    turns.extend(new)
    state.box_confirmed = [submission.id for submission in sent]
    _show_too_long(too_long, cleared=bool(new))


def _too_long_box(settings: Settings, lang: str) -> None:
    """An over-long question: the limit, and the text itself to shorten and send again."""
    text = st.session_state.get("too_long")
    if not text:
        return
    length = len(" ".join(text.split()))
    with st.container(key="too-long"):
        st.error(t("question_too_long", lang, n=length, max=settings.max_question_chars), icon=":material/error:")
        if "shorten-text" not in st.session_state:   # Streamlit forgets it when the box was not drawn
            st.session_state["shorten-text"] = text
        st.text_area(t("shorten_label", lang), key="shorten-text", height=200)
        st.button(t("shorten_submit", lang), key="shorten-send", on_click=_on_shortened, type="primary")


def _start_answer(assistant, turn: Turn, settings: Settings, lang: str) -> None:
    if turn.future is None:
        turn.future = runtime.answer_worker().submit(_answer, assistant, turn, settings, lang)


def _wait_for(turn: Turn) -> None:
    """Wait for the worker answering ``turn``; raises what it raised (IndexUnavailable)."""
    slot = st.empty()
    while not turn.future.done():
        time.sleep(POLL_SECONDS)
        slot.empty()              # a Streamlit call: where a rerun for a question sent meanwhile starts
    try:
        turn.future.result()
    finally:
        if not turn.done:         # failed (index unavailable): "Erneut versuchen" starts it again
            turn.future = None


def _answer(assistant, turn: Turn, settings: Settings, lang: str) -> None:
    """Answer ``turn`` in place (runs in a worker thread: no Streamlit calls here)."""
    try:
        turn.answer = assistant.ask(turn.question, **turn.options.ask_kwargs())
    except QuestionError as exc:
        turn.error = t("question_error", lang, error=exc)
    except FilterError as exc:
        turn.error = t("filter_error", lang, error=exc)
    except ChromaUnavailableError as exc:
        raise IndexUnavailable("chroma", str(exc)) from exc
    except Exception as exc:
        log.exception("question failed: %r", turn.question[:200])
        down = _chroma_down(settings)
        if down:
            raise IndexUnavailable("chroma", down) from exc
        turn.error = t("error", lang, error=f"{type(exc).__name__}: {str(exc)[:200]}")


# -- rendering -------------------------------------------------------------------------------
def _examples(lang: str) -> None:
    st.markdown(f"**{t('examples', lang)}**")
    for index, question in enumerate(EXAMPLE_QUESTIONS):
        st.button(question, key=f"example-{index}", on_click=_enqueue, args=(question,),
                  icon=":material/help:", type="tertiary")


def _render_turn(turn: Turn, settings: Settings, lang: str, first_pending: bool = False) -> None:
    with st.chat_message("user"):
        st.markdown(escape_block(turn.question))
    with st.chat_message("assistant"):
        if not turn.done:
            with st.container(key=f"pending-{turn.id}"):
                if first_pending:
                    st.status(t("answering", lang), state="running")
                else:
                    st.caption(t("queued", lang))
            return
        if turn.error:
            with st.container(key=f"error-{turn.id}"):
                st.error(escape_inline(turn.error), icon=":material/error:")
            return
        _render_answer(turn, lang)
        _render_actions(turn, settings, lang)


def _render_answer(turn: Turn, lang: str) -> None:
    answer = turn.answer
    for notice in answer.notices:
        st.info(escape_inline(f"{t('notice_prefix', lang)}: {notice}"), icon=":material/info:")
    _search_captions(answer, lang)
    label = not_direct_label(answer, lang)
    if label:
        st.warning(f":orange-badge[{escape_inline(label)}] " + answer_markdown(answer, turn.anchor_prefix, lang),
                   icon=":material/help:")
        for citation in answer.citations:
            _source_card(from_citation(citation, answer), lang, key=f"card-{turn.id}-{citation.number}",
                         anchor=card_anchor(turn.anchor_prefix, citation.number))
        return
    if answer.abstained:
        st.warning(t("abstain", lang), icon=":material/search_off:")
        if answer.abstain_reason:
            st.caption(escape_inline(t("abstain_reason", lang, reason=answer.abstain_reason)))
        nearest = answer.passages[:NEAREST_IN_ABSTENTION]
        if nearest:
            with st.expander(t("nearest", lang, n=len(nearest)), icon=":material/do_not_disturb_on:"):
                for index, passage in enumerate(nearest):
                    _source_card(from_passage(passage), lang, key=f"near-{turn.id}-{index}")
        return
    st.markdown(answer_markdown(answer, turn.anchor_prefix, lang))
    if has_unsupported(answer):
        st.caption(t("unsupported_legend", lang))
    if answer.citations:
        st.markdown(f"**{t('sources', lang)}**")
        st.caption(t("supporting", lang))
        for citation in answer.citations:
            _source_card(from_citation(citation, answer), lang, key=f"card-{turn.id}-{citation.number}",
                         anchor=card_anchor(turn.anchor_prefix, citation.number))
    cited = {c.chunk_id for c in answer.citations}
    others = [from_passage(p) for p in answer.passages if p.chunk_id not in cited]
    if others:
        _further_passages(others, turn, lang)


def _search_captions(answer: Answer, lang: str) -> None:
    """Expert view: how the question itself was searched: the corpus words a question in
    another language was searched with, the sentences of a German question of several."""
    if not st.session_state.get("opt_expert"):
        return
    settings = answer.settings or {}
    bridged = settings.get("word_bridge") or {}
    if bridged:
        words = "; ".join(f"{word} → {', '.join(found)}" for word, found in bridged.items())
        st.caption(escape_inline(t("word_bridge", lang, words=words)))
    sentences = settings.get("question_sentences") or []
    if sentences:
        st.caption(escape_inline(t("question_sentences", lang, sentences=" · ".join(f"„{s}“" for s in sentences))))


def _further_passages(refs: list[SourceRef], turn: Turn, lang: str) -> None:
    """Passages the answer does not cite: one list of labels; the chosen one opens as a card
    (one at a time, so 20 sources do not make the page endless)."""
    with st.container(key=f"more-{turn.id}"):
        st.markdown(f"**{t('more_sources', lang, n=len(refs))}**")
        st.caption(t("more_sources_caption", lang))
        labels = [escape_inline(f"{ref.short_label} · {kind_label(ref.kind, lang)}") for ref in refs]
        chosen = st.radio(t("more_sources_pick", lang), list(range(len(refs))), index=None,
                          key=f"more-pick-{turn.id}", label_visibility="collapsed", format_func=labels.__getitem__)
        if chosen is not None:
            _source_card(refs[chosen], lang, key=f"more-card-{turn.id}")


def _source_card(ref: SourceRef, lang: str, *, key: str, anchor: str | None = None) -> None:
    """One source: label, kind, title, Stand, page, original links, passage, citation to copy."""
    with st.container(border=True, key=key):
        title = f"[{ref.number}] {ref.short_label}" if ref.number else ref.short_label
        if anchor:
            st.subheader(escape_inline(title), anchor=anchor)
        else:
            st.markdown(f"**{escape_inline(title)}**")
        with st.container(horizontal=True, gap="small", vertical_alignment="center"):
            st.badge(kind_label(ref.kind, lang), color=kind_colour(ref.kind))
            if ref.page:
                st.badge(t("page", lang, page=int(ref.page)), color="gray", icon=":material/description:")
        meta = [escape_inline(display_title(ref))] if ref.title else []
        stand = stand_text(ref, lang)
        if stand:
            meta.append(escape_inline(stand))
        if meta:
            st.caption(" · ".join(meta))
        if ref.role:
            # One whole string per role: a role name alone ("Regel", "Antwort der
            # Landesregierung") also occurs in document text, which stays German in both languages.
            st.caption(escape_inline(t(f"role_{ref.role}", lang)))
        st.markdown(highlight(ref.text, ref.support_span))
        if ref.links:
            st.caption(" · ".join(escape_inline(link_text(link, lang)) for link in ref.links))
        if ref.reasons and st.session_state.get("opt_expert"):
            st.caption(escape_inline(t("why_ranked", lang, reasons="; ".join(f"{k}: {v}" for k, v in ref.reasons))))
        with st.container(horizontal=True, gap="small", vertical_alignment="center"):
            _original_buttons(ref, lang)
            with st.popover(t("copy_citation", lang), icon=":material/content_copy:", type="tertiary"):
                st.code(format_citation(ref), language=None, wrap_lines=True)


def _remember_originals(documents: list[dict], settings: Settings) -> None:
    """Where this run's cards link the local originals: the file server and each document's file."""
    server = runtime.originals_server(settings)
    state = st.session_state
    state.source_paths = {d["doc_id"]: d.get("source_path") or "" for d in documents}
    state.originals_port = server.port if server else None
    state.originals_host = urlsplit(_page_url()).hostname or "127.0.0.1"


def _original_buttons(ref: SourceRef, lang: str) -> None:
    """Laws: their § page at gesetze-im-internet. Everything else: the local copy at the cited
    page ("Original öffnen") and the official URL beside it."""
    official = original_url(ref)
    state = st.session_state
    port = state.get("originals_port")
    local = "" if ref.kind == "law" or not port else local_url(
        state.get("originals_host") or "127.0.0.1", port, (state.get("source_paths") or {}).get(ref.doc_id, ""),
        ref.page)
    if local:
        st.link_button(t("open_original", lang), local, icon=":material/open_in_new:")
        if official:
            st.link_button(t("open_official", lang), official, icon=":material/public:", type="tertiary")
    elif official:
        st.link_button(t("open_original", lang), official, icon=":material/open_in_new:",
                       help=t("open_law", lang) if ref.kind == "law" else None)


def _render_actions(turn: Turn, settings: Settings, lang: str) -> None:
    answer = turn.answer
    with st.container(horizontal=True, gap="small", vertical_alignment="center", key=f"actions-{turn.id}"):
        st.download_button(t("download_md", lang), data=partial(to_markdown, [answer], lang=lang),
                           file_name=export_filename([answer], "md"), mime="text/markdown", on_click="ignore",
                           key=f"md-{turn.id}", icon=":material/description:")
        st.download_button(t("download_docx", lang), data=partial(to_docx, [answer], lang=lang),
                           file_name=export_filename([answer], "docx"), mime=DOCX_MIME, on_click="ignore",
                           key=f"docx-{turn.id}", icon=":material/article:")
        with st.popover(t("share", lang), icon=":material/link:"):
            st.caption(t("share_caption", lang))
            st.code(share_url(_page_url(), turn.shared), language=None, wrap_lines=True)
        st.feedback("thumbs", key=f"fb-{turn.id}", on_change=_on_feedback, args=(turn, settings))
    rating = st.session_state.get(f"fb-{turn.id}")
    if rating is not None:
        with st.form(key=f"fbform-{turn.id}", border=False, clear_on_submit=False):
            reason = st.text_input(t("feedback_reason", lang), key=f"fbr-{turn.id}", max_chars=2000)
            if st.form_submit_button(t("feedback_send", lang)):
                FeedbackStore.for_settings(settings).set_reason(turn.id, reason)
                st.caption(t("feedback_thanks", lang))
    meta = t("answer_meta", lang, mode=mode_name(answer, lang),
             retrievers=" + ".join(t(f"retriever_{r}", lang) if r in ("dense", "bm25") else r
                                   for r in answer.retrievers) or "–", ms=int(answer.timings.get("total", 0)))
    st.caption(escape_inline(meta))
    if "dense" not in answer.retrievers:
        st.caption(t("answer_keyword_only", lang))
    elif answer.dense_coverage < 1.0:
        st.caption(t("answer_partial_dense", lang, percent=int(answer.dense_coverage * 100)))


def _on_feedback(turn: Turn, settings: Settings) -> None:
    rating = st.session_state.get(f"fb-{turn.id}")
    if rating is None or turn.answer is None:
        return
    FeedbackStore.for_settings(settings).record(turn.answer, int(rating), answer_id=turn.id)


def _page_url() -> str:
    try:
        return st.context.url or ""
    except Exception:  # no browser behind this session (tests)
        return ""


# -- the page --------------------------------------------------------------------------------
def main(settings: Settings) -> None:
    st.set_page_config(page_title="Fundstelle", page_icon=":material/gavel:", layout="centered",
                       initial_sidebar_state="expanded")
    _init_state(settings)
    lang = _sidebar_language()
    st.title("Fundstelle", anchor=False)
    st.caption(t("tagline", lang))
    # The page's places first, filled below: the question box keeps its place in the page
    # whatever a run draws elsewhere (the spinner of a first load, a status), so the browser
    # never reloads it and a question being typed or sent survives every rerun.
    status, conversation, extras, ask = st.container(), st.container(), st.container(), st.container()
    # The question box is drawn before the assistant is built: on a server's first page the
    # box takes questions at once, and they are answered in order once the sources are loaded.
    with ask:
        box = st.empty()
        with box.container():
            _question_box(settings, lang)
    try:
        assistant, documents = _open_assistant(settings, lang, status)
    except IndexUnavailable as problem:
        box.empty()   # no index, no questions: the page says what to do instead
        _show_unavailable(problem, settings, lang)
        with st.sidebar:
            st.info(t("notice", lang), icon=":material/gavel:")
        return
    _sidebar_filters(assistant, documents, settings, lang)
    _remember_originals(documents, settings)
    with status:
        _dense_status(assistant, settings, lang)
    turns = list(st.session_state.turns)
    pending = next((turn for turn in turns if not turn.done), None)
    pending_slot = None
    with conversation:
        for turn in turns:
            if turn is pending:
                pending_slot = st.empty()
                with pending_slot.container():
                    _render_turn(turn, settings, lang, first_pending=True)
            else:
                _render_turn(turn, settings, lang)
    with extras:
        _too_long_box(settings, lang)
        if not turns and not st.session_state.get("too_long"):
            _examples(lang)
    if pending is not None:
        try:
            _start_answer(assistant, pending, settings, lang)
            _wait_for(pending)
        except IndexUnavailable as problem:
            _show_unavailable(problem, settings, lang)   # "Erneut versuchen" answers it again
            return
        if pending.answer is not None:
            st.query_params.from_dict(to_query_params(pending.shared))
        if any(not turn.done for turn in st.session_state.turns):
            st.rerun()   # the next question in the queue
        # The answer takes the place of its "Wird beantwortet" in this same run: the whole page
        # is not drawn a second time for it.
        with pending_slot.container():
            _render_turn(pending, settings, lang)
    _sidebar_export(lang)
