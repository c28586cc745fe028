"""Reading gold JSONL files: the shared dev set and broken files."""
from __future__ import annotations

import json

import pytest

from evaluation.gold import load_gold
from evaluation.indexes import EvaluationError
from fundstelle.settings import REPO_ROOT

DEV = REPO_ROOT.parent / "shared" / "eval" / "dev.jsonl"


def write_lines(path, items):
    path.write_text("\n".join(json.dumps(item, ensure_ascii=False) for item in items) + "\n", encoding="utf-8")
    return path


def test_shared_dev_set_loads_with_its_counts():
    items = load_gold(DEV)
    assert len(items) == 78
    assert sum(1 for i in items if i["answerable"]) == 62


def test_the_projects_fresh_question_set_loads_with_its_counts():
    # Written 2026-12-03 from units drawn at random, to see how the system does on questions it
    # was never tuned on (README, "Fresh questions"); a check set, nothing is chosen on it.
    items = load_gold(REPO_ROOT / "evaluation" / "fresh" / "fresh-2026-12-03.jsonl")
    answerable = [i for i in items if i["answerable"]]
    assert (len(items), len(answerable)) == (69, 25)
    assert all(i["locator"] and i["evidence"] for i in answerable)


def test_fixture_gold_set_loads_in_file_order():
    items = load_gold(REPO_ROOT / "tests" / "fixtures" / "eval_gold.jsonl")
    assert [i["id"] for i in items] == ["regelbedarf-alleinstehend", "weiterbildungsgeld-hoehe",
                                        "mehrbedarf-schwangerschaft", "hundesteuer-koeln"]


def test_blank_lines_are_skipped(tmp_path):
    path = tmp_path / "g.jsonl"
    path.write_text('\n{"id": "a", "question": "Q?", "answerable": false, "evidence": []}\n\n', encoding="utf-8")
    assert [i["id"] for i in load_gold(path)] == ["a"]


def test_missing_key_names_the_line(tmp_path):
    path = write_lines(tmp_path / "g.jsonl", [{"id": "a", "question": "Q?", "answerable": False, "evidence": []},
                                              {"id": "b", "question": "Q?", "evidence": []}])
    with pytest.raises(EvaluationError, match=r"g\.jsonl:2: missing answerable"):
        load_gold(path)


def test_answerable_item_without_evidence_is_refused(tmp_path):
    path = write_lines(tmp_path / "g.jsonl", [{"id": "a", "question": "Q?", "answerable": True, "evidence": []}])
    with pytest.raises(EvaluationError, match="non-empty list"):
        load_gold(path)


def test_duplicate_id_is_refused(tmp_path):
    item = {"id": "a", "question": "Q?", "answerable": False, "evidence": []}
    with pytest.raises(EvaluationError, match="duplicate id 'a'"):
        load_gold(write_lines(tmp_path / "g.jsonl", [item, item]))


def test_line_that_is_not_json_is_refused(tmp_path):
    path = tmp_path / "g.jsonl"
    path.write_text("{not json}\n", encoding="utf-8")
    with pytest.raises(EvaluationError, match=r"g\.jsonl:1: not JSON"):
        load_gold(path)
