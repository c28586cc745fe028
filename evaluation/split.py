"""The fixed split of a gold set into a tuning half and a check half.

Rules, weights and thresholds are chosen on the tuning half only; every report shows both
halves, so a gap between them (over-fitting to the questions we looked at) is visible. The
half of a question depends only on a hash of its id, so the split never changes when
questions are added or reordered.
"""
from __future__ import annotations

import hashlib

TUNING = "tuning"
CHECK = "check"
HALVES = (TUNING, CHECK)


def half_of(question_id: str) -> str:
    """``"tuning"`` or ``"check"``: the parity of the first byte of sha256(id)."""
    first = hashlib.sha256(question_id.encode("utf-8")).digest()[0]
    return TUNING if first % 2 == 0 else CHECK
