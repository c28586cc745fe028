"""Side-by-side comparison of evaluation reports (``python -m evaluation compare``).

Rows are the report numbers (in the order of the first report, then any others' extra
keys) and the configuration that tells runs apart; columns are the reports.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from evaluation.indexes import EvaluationError
from evaluation.report import format_value, markdown_table, summary_items

CONFIG_ROWS = ("retriever", "mode", "embedding", "k", "commit", "date")


def load_report(path: Path | str) -> dict[str, Any]:
    """A report.json (or a folder holding one)."""
    path = Path(path)
    if path.is_dir():
        path = path / "report.json"
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise EvaluationError(f"report {path} does not exist") from exc
    except json.JSONDecodeError as exc:
        raise EvaluationError(f"{path} is not a JSON report ({exc.msg})") from exc
    if not isinstance(report, dict) or "config" not in report:
        raise EvaluationError(f"{path} is not an evaluation report (no 'config')")
    return report


def report_label(path: Path | str) -> str:
    """Column title: the folder name for ``…/<run>/report.json``, else the file stem."""
    path = Path(path)
    if path.is_dir():
        return path.name
    return path.parent.name if path.name == "report.json" and path.parent.name else path.stem


def comparison(paths: Sequence[Path | str]) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of the comparison table, values formatted for display."""
    reports = [load_report(p) for p in paths]
    labels = [report_label(p) for p in paths]
    if len(set(labels)) < len(labels):
        labels = [str(p) for p in paths]
    keys: list[str] = []
    for report in reports:
        keys += [key for key, _ in summary_items(report) if key not in keys]
    rows = [[key, *(format_value(key, r.get(key)) if key in r else "" for r in reports)] for key in keys]
    for key in CONFIG_ROWS:
        values = [r["config"].get(key) for r in reports]
        if key == "commit":
            values = [str(v)[:10] if v else v for v in values]
        rows.append([key, *("" if v is None else str(v) for v in values)])
    return ["metric", *labels], rows


def render(paths: Sequence[Path | str], *, markdown: bool = False) -> str | Any:
    """The comparison as Markdown text, or as a rich ``Table``."""
    header, rows = comparison(paths)
    if markdown:
        return markdown_table(header, rows)
    from rich.table import Table

    table = Table(title="Evaluation comparison")
    table.add_column(header[0])
    for name in header[1:]:
        table.add_column(name, justify="right")
    for row in rows:
        table.add_row(*row)
    return table
