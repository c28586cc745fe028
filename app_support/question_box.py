"""The question box: a text area with a send button (Enter sends, Shift+Enter starts a new
line) that loses no question, however fast they are sent.

``st.chat_input`` sends each question as a one-off trigger; when several arrive while the
page script is busy, Streamlit merges their reruns and keeps only the newest. This box is a
small Streamlit component (``question_box_frontend/index.html``, protocol v1, no build step)
whose value is every question sent from the page that the server has not yet confirmed, each
with an id made in the browser. A merged rerun still carries all of them; the page takes each
id once, in order (``Submissions.take``), and confirms them in the next render so the
browser stops sending them.

In the browser, identical questions within a second are one question, and an over-long
question shows the limit and stays in the box so it can be shortened.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import streamlit.components.v1 as components

from app_support.i18n import t

log = logging.getLogger(__name__)

FRONTEND = Path(__file__).parent / "question_box_frontend"
_component = components.declare_component("fundstelle_question_box", path=str(FRONTEND))


@dataclass(frozen=True)
class Submission:
    """One question as sent from the browser."""

    id: str
    text: str


def parse(value: object) -> list[Submission]:
    """The component's value as submissions; entries that are not ``{id, text}`` are dropped."""
    if not isinstance(value, list):
        return []
    submissions = []
    for entry in value:
        if isinstance(entry, dict) and isinstance(entry.get("id"), str) and isinstance(entry.get("text"), str):
            submissions.append(Submission(entry["id"], entry["text"]))
        else:
            log.warning("question box: dropped a malformed entry %r", str(entry)[:200])
    return submissions


@dataclass
class Submissions:
    """The ids this page session has taken in (kept in the session state)."""

    taken: set[str] = field(default_factory=set)

    def take(self, submissions: list[Submission]) -> list[Submission]:
        """The submissions not seen before, in the order they were sent; marks them taken."""
        new = [s for s in submissions if s.id not in self.taken]
        self.taken.update(s.id for s in new)
        return new


def question_box(lang: str, max_chars: int, confirmed: list[str], *, key: str,
                 paste_factor: int = 20) -> list[Submission]:
    """Draw the box; return what the browser has sent and the server has not confirmed.

    ``confirmed``: ids already taken, which the browser may stop sending. Over-long questions
    never leave the browser: it shows ``question_too_long`` with the limit ``max_chars``.
    """
    value = _component(key=key, default=[], lang=lang, placeholder=t("chat_placeholder", lang),
                       send=t("question_send", lang), max_chars=max_chars, paste_factor=paste_factor,
                       too_long=t("question_too_long", lang, n="{n}", max="{max}"), taken=confirmed)
    return parse(value)
