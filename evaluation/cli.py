"""``python -m evaluation``: citation-accuracy evaluations you can run, publish and compare.

    python -m evaluation gold GOLD.jsonl [--corpus DIR] [--mode extractive|llm] [--retriever R] [--out DIR]
    python -m evaluation squad FILE.json [--mode extractive|llm] [--retriever R] [--out DIR] [--limit N]
    python -m evaluation compare REPORT.json [REPORT.json ...] [--markdown]

Exit codes: 0 done, 1 some questions raised errors (recorded in the report), 2 the
evaluation could not run (missing file, bad format, empty index).
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any, Mapping

from rich.console import Console
from rich.table import Table

from evaluation.runner import DEFAULT_K, MODES, RETRIEVERS
from fundstelle.settings import REPO_ROOT

console = Console()
errors = Console(stderr=True, soft_wrap=True)
log = logging.getLogger("evaluation")

METRICS_HELP = "Metric definitions: see evaluation/metrics.py and the README's Evaluation section."


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--retriever", choices=RETRIEVERS, default="hybrid",
                        help="passage retrieval: dense + BM25 fused (hybrid, default), dense only, BM25 only")
    parser.add_argument("--mode", choices=MODES, default=None,
                        help="answer mode (default: FUNDSTELLE_ANSWER_MODE, i.e. extractive)")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for report.json, report.md and chart.png "
                             "(default: eval-out/<data set>-<retriever>[-<mode>])")
    parser.add_argument("--k", type=int, default=DEFAULT_K,
                        help=f"passages retrieved per question (default {DEFAULT_K})")
    parser.add_argument("--limit", type=int, default=None, metavar="N", help="ask only N questions")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m evaluation",
        description="Evaluate Fundstelle's retrieval and citations on a gold set or a SQuAD-style data set, "
                    "and compare reports.",
        epilog="Settings come from FUNDSTELLE_* environment variables (FUNDSTELLE_DATA, FUNDSTELLE_EMBEDDING, ...). "
               "Evaluation indexes live in <data>/eval-index/. " + METRICS_HELP)
    sub = parser.add_subparsers(dest="command", required=True, metavar="{gold,squad,calibrate,ablation,compare,feedback}")

    gold = sub.add_parser(
        "gold", help="evaluate on a gold JSONL file with evidence quotes",
        description="Ask every question of a gold JSONL file (id, question, answerable, evidence, ...) against the "
                    "index of --corpus (built or updated first, cached by content) and report evidence recall@k, "
                    "MRR@10, answer support, citation precision, resolvable markers, verified sentences, "
                    "abstention and latency.", epilog=METRICS_HELP)
    gold.add_argument("gold", type=Path, help="gold file, one JSON object per line (e.g. ../shared/eval/dev.jsonl)")
    gold.add_argument("--corpus", type=Path, default=None, help="corpus folder (default: the configured corpus)")
    _common(gold)

    squad = sub.add_parser(
        "squad", help="evaluate on SQuAD v1.1/v2.0-style JSON (GermanQuAD, XQuAD, MLQA)",
        description="Index every distinct paragraph of the file as one document (separate index, cached), ask "
                    "every question and report paragraph recall@1/@5, MRR@10, answer-in-citations, abstention "
                    "(v2.0 is_impossible questions) and latency. --limit asks N questions spread over the file; "
                    "all paragraphs stay in the index.", epilog=METRICS_HELP)
    squad.add_argument("file", type=Path, help="SQuAD-style JSON file")
    _common(squad)

    calibrate = sub.add_parser(
        "calibrate", help="choose the answerability thresholds on a gold file's tuning half",
        description="Ask every question of a gold JSONL file with answerability off, choose the thresholds "
                    "(best sentence similarity, key-term coverage) on the tuning half, write them with both "
                    "halves' figures and the check half's trade-off curve to --out, and draw the curve.")
    calibrate.add_argument("gold", type=Path, help="gold file (e.g. ../shared/eval/dev.jsonl)")
    calibrate.add_argument("--out", type=Path, default=REPO_ROOT / "retrieval" / "answerability.json",
                           help="thresholds file the assistant reads (default: retrieval/answerability.json)")
    calibrate.add_argument("--chart", type=Path, default=REPO_ROOT / "docs" / "abstention-curve.png",
                           help="trade-off chart (default: docs/abstention-curve.png)")
    calibrate.add_argument("--retriever", choices=RETRIEVERS, default="hybrid")
    calibrate.add_argument("--k", type=int, default=DEFAULT_K)
    calibrate.add_argument("--keep-thresholds", action="store_true",
                           help="keep the thresholds in --out, renew only their figures, curves and chart")
    calibrate.add_argument("--quiet", action="store_true", help="no progress bars")

    ablation = sub.add_parser(
        "ablation", help="retrieval with each lever of the legal-aware search turned off in turn",
        description="Retrieval only: evidence recall@1/@5 and MRR@10 on the gold set's tuning and check halves, and "
                    "paragraph recall@1 and MRR@10 on a SQuAD-style file (--squad), for all levers on, each one "
                    "off, and all off. Prints a Markdown table (the README's ablation table).")
    ablation.add_argument("gold", type=Path, help="gold file (e.g. ../shared/eval/dev.jsonl)")
    ablation.add_argument("--squad", type=Path, default=None, help="SQuAD-style file (e.g. GermanQuAD test)")
    ablation.add_argument("--limit", type=int, default=None, metavar="N", help="ask only N SQuAD questions")
    ablation.add_argument("--k", type=int, default=DEFAULT_K, help=f"passages per question (default {DEFAULT_K})")
    ablation.add_argument("--adapter", action="store_true",
                          help="add a row with a linear query adapter trained on pairs mined from the corpus "
                               "(evaluation/query_adapter.py; minutes on 2 cores)")
    ablation.add_argument("--finetune", action="store_true",
                          help="add a row with the e5 query encoder fine-tuned on the same corpus pairs "
                               "(evaluation/query_finetune.py; about a minute per epoch on 2 cores)")

    compare = sub.add_parser("compare", help="compare report.json files side by side",
                             description="Print the numbers and configuration of several reports side by side.")
    compare.add_argument("reports", type=Path, nargs="+", help="report.json files or folders holding one")
    compare.add_argument("--markdown", action="store_true", help="print a Markdown table (for the README)")

    feedback = sub.add_parser("feedback", help="export the app's thumbs up/down feedback as JSONL",
                              description="Write every feedback row stored by the app (question, answer text, "
                                          "citations, settings, rating, reason) as one JSON line.")
    feedback.add_argument("--out", type=Path, default=None, help="output file (default: standard output)")
    feedback.add_argument("--with-answer", action="store_true", help="include the full Answer (all passages)")
    return parser


def default_out(data: Path, retriever: str, mode: str | None) -> Path:
    return Path("eval-out") / "-".join([data.stem, retriever] + ([mode] if mode else []))


def summary_table(title: str, report: Mapping[str, Any]) -> Table:
    from evaluation.report import format_value, summary_items

    table = Table(title=title)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in summary_items(report):
        table.add_row(key, format_value(key, value))
    return table


def _finish(title: str, report: Mapping[str, Any], out: Path) -> int:
    console.print(summary_table(title, report))
    config = report["config"]
    console.print(f"{config['retriever']} retriever, {config['mode']} mode, embedding {config['embedding']}, "
                  f"k={config['k']}, commit {str(config['commit'])[:10]}", highlight=False)
    console.print(f"Report written to {out}/ (report.json, report.md, chart.png)", highlight=False)
    if config.get("synonyms") is False:
        errors.print("note: no thesaurus installed (bash scripts/ensure-thesaurus.sh): these figures are "
                     "without synonyms and not comparable with the README's", highlight=False)
    if config.get("errors"):
        errors.print(f"{config['errors']} question(s) raised errors; see report.md and the log", highlight=False)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    from fundstelle.logs import setup_logging
    from fundstelle.settings import Settings

    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    from evaluation.indexes import EvaluationError

    try:
        if args.command == "compare":
            from evaluation.compare import render

            output = render(args.reports, markdown=args.markdown)
            if args.markdown:
                print(output)
            else:
                console.print(output)
            return 0
        settings = Settings()
        if args.command == "feedback":
            from retrieval.feedback import export_jsonl

            if args.out:
                with args.out.open("w", encoding="utf-8") as handle:
                    count = export_jsonl(settings, handle, include_answer=args.with_answer)
                errors.print(f"{count} feedback rows written to {args.out}", highlight=False)
            else:
                count = export_jsonl(settings, sys.stdout, include_answer=args.with_answer)
            return 0
        if args.k < 1 or (getattr(args, "limit", None) is not None and args.limit < 1):
            errors.print("error: --k and --limit must be at least 1")
            return 2
        setup_logging(settings.log_path, settings.log_level)
        if args.command == "calibrate":
            from evaluation.calibrate import run_calibration

            result = run_calibration(args.gold, settings, retriever=args.retriever, k=args.k, out=args.out,
                                     chart=args.chart, progress=not args.quiet,
                                     keep_thresholds=args.keep_thresholds)
            console.print(f"thresholds {result['thresholds']} written to {args.out}", markup=False,
                          highlight=False)
            for half in ("tuning", "check"):
                console.print(f"{half}: {result[half]}", markup=False, highlight=False)
            return 0
        if args.command == "ablation":
            from evaluation.ablation import markdown, run_ablation

            rows = run_ablation(args.gold, settings, args.squad, args.limit, k=args.k, adapter=args.adapter,
                                finetune=args.finetune)
            print(markdown(rows))
            return 0
        if args.command == "gold":
            from evaluation.gold import run_gold

            out = args.out or default_out(args.gold, args.retriever, args.mode)
            report = run_gold(args.gold, settings, corpus=args.corpus, mode=args.mode, retriever=args.retriever,
                              out=out, k=args.k, limit=args.limit, progress=not args.quiet)
            return _finish(f"Gold: {args.gold.name}", report, out)
        from evaluation.squad import run_squad

        out = args.out or default_out(args.file, args.retriever, args.mode)
        report = run_squad(args.file, settings, mode=args.mode, retriever=args.retriever, out=out, k=args.k,
                           limit=args.limit, progress=not args.quiet)
        return _finish(f"SQuAD: {args.file.name}", report, out)
    except KeyboardInterrupt:
        errors.print("interrupted")
        return 130
    except EvaluationError as exc:
        errors.print(f"error: {exc}", markup=False, highlight=False)
        return 2
    except Exception as exc:  # one clear line; the traceback goes to the log
        log.info("fatal error", exc_info=True)
        errors.print(f"error: {type(exc).__name__}: {exc}", markup=False, highlight=False)
        return 2
