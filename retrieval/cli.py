"""``python -m retrieval ask "Frage"``: a cited answer on the terminal."""
from __future__ import annotations

import argparse
import sys

from rich.console import Console

from fundstelle.logs import setup_logging
from fundstelle.settings import Settings

console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)  # one line per message, never wrapped


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m retrieval",
                                     description="Ask the Fundstelle index a question; every statement is cited.")
    sub = parser.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="answer a question with verified citations",
                         description="Answer a question from the indexed sources, with a numbered source list.")
    ask.add_argument("question", help="the question (any language; citations stay German)")
    ask.add_argument("--json", action="store_true", help="print the full Answer as JSON")
    ask.add_argument("--mode", choices=["extractive", "llm"], help="answer mode (default: settings)")
    ask.add_argument("--k", type=int, help="number of passages to retrieve")
    ask.add_argument("--kind", action="append", choices=["law", "landtag", "ba", "other"],
                     help="only this source kind (repeatable)")
    ask.add_argument("--law", action="append", help="only this law, e.g. 'SGB II' (repeatable)")
    ask.add_argument("--as-of", help="Rechtsstand: the Fassung of each law in force on this date (YYYY-MM-DD)")
    ask.add_argument("--retriever", choices=["hybrid", "dense", "bm25"], default="hybrid")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings()
    setup_logging(settings.log_path, settings.log_level)
    from retrieval.answer import FilterError, QuestionError
    from retrieval.assistant import Assistant

    from fundstelle.embeddings import limit_query_threads

    limit_query_threads(settings.query_threads)
    try:
        assistant = Assistant(settings, retriever=args.retriever)
        answer = assistant.ask(args.question, kinds=args.kind, laws=args.law, as_of=args.as_of, mode=args.mode,
                               k=args.k)
    except (QuestionError, FilterError) as exc:
        errors.print(f"error: {exc}", markup=False, highlight=False)
        return 2
    except Exception as exc:
        import logging

        logging.getLogger("retrieval").debug("fatal", exc_info=True)
        errors.print(f"error: {exc}", markup=False, highlight=False)
        return 2
    if args.json:
        print(answer.to_json(indent=2))
        return 0
    console.print(answer.text, markup=False, highlight=False)
    for notice in answer.notices:
        console.print(f"Hinweis: {notice}", style="yellow", markup=False, highlight=False)
    if answer.abstained:
        console.print(f"({answer.abstain_reason})", style="dim", markup=False, highlight=False)
        console.print("Nächste Fundstellen (beantworten die Frage nicht):", highlight=False)
        for passage in answer.passages[:3]:
            console.print(f"  – {passage.label} ({passage.title})", markup=False, highlight=False)
    else:
        console.print("\nQuellen:", highlight=False)
        for c in answer.citations:
            page = f", S. {c.page}" if c.page else ""
            console.print(f"[{c.number}] {c.label}{page} – {c.title}; {c.stand} – {c.url}", markup=False,
                          highlight=False)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
