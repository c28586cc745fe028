"""Writing evaluation reports: ``report.json``, ``report.md`` and ``chart.png`` in one folder.

The Markdown report has the summary table, the run configuration, the questions that miss a
criterion (so a closing note can say which fail and why) and the per-question table. The
chart shows recall@k for k = 1..10 and per-kind bars.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from evaluation import metrics

CURVE_KS = tuple(range(1, 11))
# Share metrics are fractions; these keys are counts or milliseconds.
COUNT_KEYS = {"n", "n_impossible", "n_answerable", "n_unanswerable"}
LATENCY_SUFFIX = "_ms"


def format_value(key: str, value: Any) -> str:
    """A report value as shown in tables: shares with 3 decimals, counts and ms as integers."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key in COUNT_KEYS or key.endswith(LATENCY_SUFFIX):
        return f"{value:.0f}" if isinstance(value, (int, float)) else str(value)
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def summary_items(report: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(key, value) of the report's numbers, in report order (no config, no per-question list)."""
    return [(key, value) for key, value in report.items() if key not in {"config", "per_question"}]


def write_json(report: Mapping[str, Any], path: Path) -> Path:
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------
# Markdown


def _cell(value: Any, key: str = "") -> str:
    text = format_value(key, value) if not isinstance(value, str) else value
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _config_lines(config: Mapping[str, Any]) -> list[str]:
    lines = []
    for key, value in config.items():
        if isinstance(value, Mapping):
            value = ", ".join(f"{k}: {v}" for k, v in value.items())
        lines.append(f"- **{key}**: {value}")
    return lines


def _summary_md(title: str, report: Mapping[str, Any]) -> list[str]:
    return [f"# {title}", "", markdown_table(["metric", "value"], [(k, format_value(k, v))
                                                                     for k, v in summary_items(report)]),
            "", "## Configuration", "", *_config_lines(report.get("config", {})), ""]


def _short(text: str, limit: int = 70) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _ratio(hits: Any, total: Any) -> str:
    return "–" if hits is None else f"{hits}/{total}"


def gold_markdown(report: Mapping[str, Any], title: str) -> str:
    rows = report.get("per_question", [])
    lines = _summary_md(title, report)
    halves = report.get("halves") or {}
    if halves:
        keys = [k for k in next(iter(halves.values())) if not k.startswith("latency")]
        lines += ["## Tuning half and check half", "",
                  markdown_table(["metric", *halves], [(k, *(format_value(k, halves[h].get(k)) for h in halves))
                                                      for k in keys]), ""]
    lines += ["## Questions that miss a criterion", ""]
    misses = []
    for row in rows:
        name = f"- `{row['id']}`:"
        gold = row.get("locator") or "?"
        retrieved = "; ".join(row.get("retrieved") or []) or "nothing"
        cited = "; ".join(row.get("cited") or []) or "nothing"
        if row.get("error"):
            misses.append(f"{name} error {row['error']}")
        if row["answerable"]:
            if row["evidence_rank"] is None or row["evidence_rank"] > 5:
                rank = format_value("", row["evidence_rank"])
                why = " | ".join(row.get("why_top") or [])
                evidence_why = f"; evidence passage: {row['why_evidence']}" if row.get("why_evidence") else ""
                if row.get("word_bridge"):
                    evidence_why += "; keywords bridged: " + ", ".join(
                        f"{word} → {' / '.join(found)}" for word, found in row["word_bridge"].items())
                misses.append(f"{name} evidence not in the top 5 (rank {rank}); gold {gold}; retrieved {retrieved}"
                              f" (why: {why}){evidence_why}")
            if row["abstained"]:
                misses.append(f"{name} abstained on an answerable question "
                              f"({row.get('abstain_reason') or 'no reason given'})")
            elif not row["supported"]:
                misses.append(f"{name} no citation holds the evidence; gold {gold}; cited {cited}")
            elif row["citations_holding"] < row["citations"]:
                misses.append(f"{name} {row['citations'] - row['citations_holding']} of {row['citations']} "
                              f"citations hold no evidence; cited {cited}")
        elif not row["abstained"]:
            misses.append(f"{name} answered an unanswerable question; cited {cited}")
        if row["markers_resolvable"] < row["markers"]:
            misses.append(f"{name} {row['markers'] - row['markers_resolvable']} of {row['markers']} markers "
                          f"point to no citation")
        if row["sentences_verified"] < row["sentences"]:
            misses.append(f"{name} {row['sentences'] - row['sentences_verified']} of {row['sentences']} "
                          f"sentences not verified")
    lines += (misses or ["None."]) + ["", "## Per question", ""]
    lines.append(markdown_table(
        ["id", "half", "kind", "lang", "answerable", "evidence rank", "abstained", "supported", "citations holding",
         "markers ok", "sentences verified", "ms", "why the top passage ranked first"],
        [(row["id"], row.get("half", ""), row.get("kind", ""), row.get("lang", ""), row["answerable"], row["evidence_rank"],
          row["abstained"], row["supported"], _ratio(row["citations_holding"], row["citations"]),
          f"{row['markers_resolvable']}/{row['markers']}", f"{row['sentences_verified']}/{row['sentences']}",
          f"{row['latency_ms']:.0f}", (row.get("why_top") or [""])[0]) for row in rows]))
    return "\n".join(lines) + "\n"


def squad_markdown(report: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], title: str) -> str:
    lines = _summary_md(title, report)
    lines += ["## Per question", ""]
    lines.append(markdown_table(
        ["id", "question", "kind", "paragraph rank", "abstained", "answer in citations", "ms"],
        [(row["id"], _short(row["question"]), row["kind"], row["paragraph_rank"], row["abstained"],
          row["answer_in_citations"], f"{row['latency_ms']:.0f}") for row in rows]))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------
# Chart


def recall_curve(ranks: Sequence[int | None], ks: Sequence[int] = CURVE_KS) -> dict[int, float | None]:
    return {k: metrics.recall_at_k(ranks, k) for k in ks}


def write_chart(path: Path, title: str, curve: Mapping[int, float | None], curve_label: str,
                bars: Mapping[str, Mapping[str, float | None]], sizes: Mapping[str, int]) -> Path:
    """Left: recall@k curve; right: grouped bars (one group per kind, one bar per metric,
    ``sizes`` = questions per group for the axis labels). Missing values draw no bar."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    ks = [k for k, v in curve.items() if v is not None]
    left.plot(ks, [curve[k] for k in ks], marker="o")
    left.set_xticks(list(curve))
    left.set_ylim(0, 1.05)
    left.set_xlabel("k")
    left.set_ylabel(curve_label)
    left.set_title(f"{curve_label} by k")
    left.grid(alpha=0.3)
    groups = list(bars)
    names = list(dict.fromkeys(name for values in bars.values() for name in values))
    width = 0.8 / max(1, len(names))
    for i, name in enumerate(names):
        values = [bars[g].get(name) for g in groups]
        xs = [j + (i - (len(names) - 1) / 2) * width for j in range(len(groups))]
        right.bar(xs, [math.nan if v is None else v for v in values], width, label=name)
    right.set_xticks(range(len(groups)), [f"{g}\n(n={sizes.get(g, '?')})" for g in groups], fontsize=8)
    right.set_ylim(0, 1.05)
    right.set_title("by kind")
    if names:
        right.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _share_of(rows: Sequence[Mapping[str, Any]], key: str) -> float | None:
    return sum(bool(row[key]) for row in rows) / len(rows) if rows else None


def gold_bars(rows: Sequence[Mapping[str, Any]]) -> tuple[dict[str, dict[str, float | None]], dict[str, int]]:
    """Per kind: evidence recall@5 and answer support (answerable), abstention (unanswerable)."""
    bars, sizes = {}, {}
    for kind in dict.fromkeys(row.get("kind") or "?" for row in rows):
        group = [row for row in rows if (row.get("kind") or "?") == kind]
        answerable = [row for row in group if row["answerable"]]
        bars[kind] = {
            "evidence recall@5": metrics.recall_at_k([r["evidence_rank"] for r in answerable], 5),
            "answer support": _share_of(answerable, "supported"),
            "abstention": _share_of([row for row in group if not row["answerable"]], "abstained"),
        }
        sizes[kind] = len(group)
    return bars, sizes


def squad_bars(rows: Sequence[Mapping[str, Any]]) -> tuple[dict[str, dict[str, float | None]], dict[str, int]]:
    """Answerable: recall@1, recall@5, answer in citations; impossible: abstention."""
    bars, sizes = {}, {}
    answerable = [row for row in rows if row["kind"] == "answerable"]
    impossible = [row for row in rows if row["kind"] == "impossible"]
    if answerable:
        ranks = [row["paragraph_rank"] for row in answerable]
        bars["answerable"] = {"recall@1": metrics.recall_at_k(ranks, 1), "recall@5": metrics.recall_at_k(ranks, 5),
                              "answer in citations": _share_of(answerable, "answer_in_citations")}
        sizes["answerable"] = len(answerable)
    if impossible:
        bars["impossible"] = {"abstention": _share_of(impossible, "abstained")}
        sizes["impossible"] = len(impossible)
    return bars, sizes


# ---------------------------------------------------------------------------------------
# Entry points


def write_gold_report(report: Mapping[str, Any], out: Path, title: str | None = None) -> dict[str, Path]:
    """Write report.json, report.md and chart.png of a gold run into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    title = title or f"Gold evaluation: {Path(report['config'].get('gold', 'gold')).name}, " \
                     f"{report['config']['retriever']}, {report['config']['mode']}"
    rows = report.get("per_question", [])
    ranks = [row["evidence_rank"] for row in rows if row["answerable"]]
    paths = {"json": write_json(report, out / "report.json")}
    paths["md"] = out / "report.md"
    paths["md"].write_text(gold_markdown(report, title), encoding="utf-8")
    paths["chart"] = write_chart(out / "chart.png", title, recall_curve(ranks), "evidence recall@k", *gold_bars(rows))
    return paths


def write_squad_report(report: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], out: Path,
                       title: str | None = None) -> dict[str, Path]:
    """Write report.json, report.md, chart.png and per_question.jsonl of a SQuAD run into ``out``.

    ``report.json`` keeps exactly the SQuAD report keys; the per-question records go to
    ``per_question.jsonl``.
    """
    out.mkdir(parents=True, exist_ok=True)
    title = title or f"SQuAD evaluation: {Path(report['config'].get('dataset', 'squad')).name}, " \
                     f"{report['config']['retriever']}, {report['config']['mode']}"
    ranks = [row["paragraph_rank"] for row in rows if row["kind"] == "answerable"]
    paths = {"json": write_json(report, out / "report.json")}
    paths["per_question"] = out / "per_question.jsonl"
    paths["per_question"].write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows),
                                     encoding="utf-8")
    paths["md"] = out / "report.md"
    paths["md"].write_text(squad_markdown(report, rows, title), encoding="utf-8")
    paths["chart"] = write_chart(out / "chart.png", title, recall_curve(ranks), "paragraph recall@k",
                                   *squad_bars(rows))
    return paths
