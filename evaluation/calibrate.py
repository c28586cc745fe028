"""Calibrating answerability: ``python -m evaluation calibrate ../shared/eval/dev.jsonl``.

Asks every question of a gold file once with answerability switched off, records the
evidence features of each answer (best sentence similarity, coverage of the question's key
terms, unknown terms, unstated premises, a number asked for and not stated), once more with
the thesaurus switched off (the coverage floor of a machine without it), and chooses the
thresholds on the *tuning* half only: the most abstention on unanswerable questions with at
most ``MAX_FALSE_ABSTENTION`` false abstention, ties to the lower false abstention, then to the
middle of the plateau of equally good thresholds. Writes them to
``retrieval/answerability.json`` (which the assistant reads) together with both halves' figures,
the trade-off curve of the check half and the documents of the index asked (the thresholds hold
where an index is built mostly from them; elsewhere the file's ``general`` thresholds, carried
over from the file it replaces), and draws that curve (``docs/abstention-curve.png``).
Deterministic: the same index and gold file give the same file.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from evaluation.split import CHECK, TUNING, half_of

log = logging.getLogger(__name__)

MAX_FALSE_ABSTENTION = 0.05
SIMILARITY_GRID = [round(0.70 + 0.005 * i, 3) for i in range(41)]    # 0.70 … 0.90
COVERAGE_GRID = [round(0.05 * i, 2) for i in range(15)]              # 0.00 … 0.70


@dataclass
class Features:
    """What answerability decides on, for one question."""

    id: str
    half: str
    answerable: bool
    german: bool
    similarity: float
    coverage: float
    unknown: bool      # the unknown-term rule refuses it (terms the corpus never uses, after lemmas and synonyms;
                       # in another language its German terms)
    premise: bool      # the question presupposes what the top passages do not state
    no_answer: bool    # no passage, no word, or no quotable sentence at all
    evidence: dict | None = None   # every evidence feature of the answer (margin, agreement ...), for study
    figure_missing: bool = False   # asks for a number that no sentence near the best one states


def abstains(f: Features, min_similarity: float, min_coverage: float, min_similarity_cross: float | None = None) -> bool:
    """The assistant's rule (``retrieval.answerability``) applied to recorded features."""
    floor = min_similarity if f.german or min_similarity_cross is None else min_similarity_cross
    from retrieval.answerability import near_a_training_question

    evidence = f.evidence or {}
    near = near_a_training_question(evidence.get("training_similarity", 0.0))
    below = f.similarity < floor and not evidence.get("defines_asked_term") and not near
    return (f.no_answer or (f.unknown and not near) or below
            or (f.german and f.coverage < min_coverage) or f.premise or f.figure_missing)


def rates(features: Sequence[Features], min_similarity: float, min_coverage: float,
          min_similarity_cross: float | None = None) -> dict[str, float | None]:
    answerable = [f for f in features if f.answerable]
    unanswerable = [f for f in features if not f.answerable]
    false_abst = sum(abstains(f, min_similarity, min_coverage, min_similarity_cross) for f in answerable)
    abst = sum(abstains(f, min_similarity, min_coverage, min_similarity_cross) for f in unanswerable)
    return {"abstention": round(abst / len(unanswerable), 4) if unanswerable else None,
            "false_abstention": round(false_abst / len(answerable), 4) if answerable else None,
            "answerable": len(answerable), "unanswerable": len(unanswerable)}


def _middle(values: Sequence[float]) -> float:
    """The middle of sorted ``values`` (of two, the lower one)."""
    ordered = sorted(values)
    return ordered[(len(ordered) - 1) // 2]


def choose(features: Sequence[Features]) -> tuple[float, float]:
    """(min_similarity, min_coverage) with the highest abstention at false abstention
    <= MAX_FALSE_ABSTENTION and, among those, the lowest false abstention. Where several do as
    well (a plateau), the middle one: the similarity in the middle of the plateau's, then the
    coverage in the middle of those at that similarity (of two, the lower). The plateau's ends
    lie at one tuning question each; its middle keeps the widest distance from both (the
    stricter end refused more unseen answerable questions, README "Twenty-ninth session"). A
    group without unanswerable examples has no lower end: it gets the strictest thresholds its
    answerable questions allow."""
    scored = []
    for similarity in SIMILARITY_GRID:
        for cov in COVERAGE_GRID:
            r = rates(features, similarity, cov)
            if r["false_abstention"] is not None and r["false_abstention"] > MAX_FALSE_ABSTENTION:
                continue
            scored.append(((r["abstention"] or 0.0, -(r["false_abstention"] or 0.0)), similarity, cov))
    if not scored:
        return SIMILARITY_GRID[0], COVERAGE_GRID[0]
    top = max(key for key, _, _ in scored)
    plateau = [(similarity, cov) for key, similarity, cov in scored if key == top]
    if all(f.answerable for f in features):
        return max(plateau)
    similarity = _middle([s for s, _ in plateau])
    return similarity, _middle([c for s, c in plateau if s == similarity])


def choose_all(features: Sequence[Features]) -> dict[str, float]:
    """German questions: similarity and coverage; questions in other languages: similarity
    alone (the coverage floor does not apply to them; the unknown-term rule refuses their German
    terms whatever the thresholds). Each group is chosen on its own, so neither spends the
    other's false-abstention budget."""
    german = [f for f in features if f.german]
    similarity, cov = choose(german)
    other = [Features(**{**vars(f), "german": True, "coverage": 1.0})
             for f in features if not f.german]
    cross = choose(other)[0] if other else similarity
    return {"min_similarity": similarity, "min_similarity_cross": cross, "min_coverage": cov}


def choose_coverage(features: Sequence[Features], min_similarity: float) -> float:
    """The coverage floor for German questions with the highest abstention at false abstention
    <= MAX_FALSE_ABSTENTION, the similarity threshold fixed; ties: lower false abstention, then
    the middle of the plateau (``choose``). Chooses the floor for a machine without the
    thesaurus, on features recorded there."""
    scored = []
    for cov in COVERAGE_GRID:
        r = rates(features, min_similarity, cov)
        if r["false_abstention"] is not None and r["false_abstention"] > MAX_FALSE_ABSTENTION:
            continue
        scored.append(((r["abstention"] or 0.0, -(r["false_abstention"] or 0.0)), cov))
    if not scored:
        return COVERAGE_GRID[0]
    top = max(key for key, _ in scored)
    plateau = [cov for key, cov in scored if key == top]
    return max(plateau) if all(f.answerable for f in features) else _middle(plateau)


def curve(features: Sequence[Features], min_coverage: float) -> list[dict[str, float]]:
    """Abstention vs. false abstention as the similarity threshold moves (coverage fixed)."""
    points = []
    for similarity in SIMILARITY_GRID:
        r = rates(features, similarity, min_coverage)
        points.append({"min_similarity": similarity, "abstention": r["abstention"],
                       "false_abstention": r["false_abstention"]})
    return points


def collect(assistant, items: Sequence[dict[str, Any]], *, k: int, progress: bool = True) -> list[Features]:
    """Ask every question with answerability off and record its features."""
    from evaluation.runner import ask_all
    from retrieval.answerability import premise_terms

    with assistant.deciding_with(None):
        asked = ask_all(assistant, [item["question"] for item in items], k=k, mode="extractive", progress=progress,
                        desc="Calibration")
    out = []
    for item, result in zip(items, asked):
        answer = result.answer
        evidence = answer.evidence if answer is not None else {}
        german = (answer.language if answer is not None else "de") == "de"
        unknown = bool(answer is not None
                       and assistant.refused_terms(answer.question, answer.passages[:3], answer.language))
        premise = bool(answer is not None and premise_terms(answer.question, answer.passages[:3]))
        out.append(Features(id=item["id"], half=half_of(item["id"]), answerable=bool(item["answerable"]),
                            german=german, similarity=float(evidence.get("best_similarity", 0.0)),
                            coverage=float(evidence.get("coverage", 0.0)), unknown=unknown, premise=premise,
                            no_answer=answer is None or answer.abstained, evidence=dict(evidence),
                            figure_missing=bool(evidence.get("figure_missing", 0.0))))
    return out


def calibrate(features: Sequence[Features], kept: dict[str, float | None] | None = None,
              without_synonyms: Sequence[Features] | None = None) -> dict[str, Any]:
    """Thresholds chosen on the tuning half with both halves' figures and curves; with ``kept``
    (thresholds chosen before), only the figures and curves are renewed. ``without_synonyms``:
    the same questions' features recorded with the thesaurus switched off, for the coverage
    floor of a machine without it (chosen by the same rule where ``kept`` has none)."""
    tuning = [f for f in features if f.half == TUNING]
    check = [f for f in features if f.half == CHECK]
    chosen = {key: value for key, value in (kept or choose_all(tuning)).items() if value is not None}
    args = (chosen["min_similarity"], chosen["min_coverage"], chosen["min_similarity_cross"])
    rule = (f"chosen on the tuning half, German and other-language questions apart: most abstention with "
            f"false abstention <= {MAX_FALSE_ABSTENTION}, then the lowest false abstention, ties to the middle "
            f"of the plateau")
    result: dict[str, Any] = {
        "thresholds": chosen,
        "rule": rule if kept is None else f"kept from an earlier calibration ({rule}); figures renewed",
        "tuning": rates(tuning, *args),
        "check": rates(check, *args),
        "all": rates(features, *args),
    }
    if without_synonyms is not None:
        floor = chosen.get("min_coverage_without_synonyms")
        if floor is None:
            floor = choose_coverage([f for f in without_synonyms if f.half == TUNING and f.german],
                                    chosen["min_similarity"])
            result["rule"] += ("; the coverage floor without the thesaurus chosen on the tuning half's German "
                               "questions recorded without synonyms, by the same rule")
        chosen["min_coverage_without_synonyms"] = floor
        bare = (chosen["min_similarity"], floor, chosen["min_similarity_cross"])
        result["without_synonyms"] = {
            "tuning": rates([f for f in without_synonyms if f.half == TUNING], *bare),
            "check": rates([f for f in without_synonyms if f.half == CHECK], *bare),
            "all": rates(without_synonyms, *bare),
        }
    result.update({
        "check_curve": curve(check, chosen["min_coverage"]),
        "tuning_curve": curve(tuning, chosen["min_coverage"]),
        "features": [vars(f) for f in features],
    })
    return result


def draw(result: dict[str, Any], path: Path) -> None:
    """The check half's trade-off curve (and the tuning half's, dashed), the chosen point marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4))
    for name, style in (("check_curve", "-o"), ("tuning_curve", "--")):
        points = [p for p in result[name] if p["abstention"] is not None and p["false_abstention"] is not None]
        ax.plot([p["false_abstention"] for p in points], [p["abstention"] for p in points], style, markersize=3,
                label=f"{name.split('_')[0]} half")
    chosen = result["check"]
    ax.plot([chosen["false_abstention"]], [chosen["abstention"]], "r*", markersize=14,
            label=f"chosen (sim ≥ {result['thresholds']['min_similarity']}, other languages "
                  f"≥ {result['thresholds']['min_similarity_cross']}, coverage ≥ {result['thresholds']['min_coverage']})")
    ax.set_xlabel("false abstention (answerable questions refused)")
    ax.set_ylabel("abstention (unanswerable questions refused)")
    ax.set_title("Answerability trade-off, dev set (similarity threshold varied)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _general_thresholds(path: Path) -> dict[str, Any] | None:
    """The ``general`` block of the thresholds file being replaced (None where it has none or
    cannot be read: the new file then holds its thresholds for every index)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    general = data.get("general") if isinstance(data, dict) else None
    return general if isinstance(general, dict) else None


def _kept_thresholds(path: Path) -> dict[str, float]:
    """The thresholds in ``path`` for ``--keep-thresholds``; a missing or unreadable file is an
    error (defaults would be "kept" silently)."""
    from evaluation.indexes import EvaluationError
    from retrieval.answerability import Thresholds

    if not path.exists():
        raise EvaluationError(f"--keep-thresholds: no thresholds file at {path}")
    try:
        return Thresholds.load(path).to_dict()
    except ValueError as exc:
        raise EvaluationError(f"--keep-thresholds: {exc}") from exc


def run_calibration(gold_path: Path, settings, *, retriever: str = "hybrid", k: int = 10, out: Path,
                    chart: Path | None, progress: bool = True, keep_thresholds: bool = False) -> dict[str, Any]:
    from evaluation.gold import load_gold
    from evaluation.indexes import corpus_index
    from evaluation.runner import open_assistant
    from index import thesaurus

    kept = _kept_thresholds(out) if keep_thresholds else None   # before the long run: a bad file fails fast
    items = load_gold(gold_path)
    index_settings, _ = corpus_index(settings, progress=progress)
    assistant = open_assistant(index_settings, retriever)
    features = collect(assistant, items, k=k, progress=progress)
    # The same questions as on a machine without the thesaurus (no synonyms in the search, the
    # coverage or the unknown-term rule): the coverage floor that holds there.
    with thesaurus.switched_off():
        bare = collect(open_assistant(index_settings, retriever), items, k=k, progress=progress)
    result = {"gold": str(gold_path), "retriever": retriever, "k": k, **calibrate(features, kept, bare)}
    # The thresholds hold for the documents asked about here (where they give at least
    # ``retrieval.answerability.CORPUS_SHARE`` of an index's passages); an index built mostly from others
    # keeps the general thresholds of the file being replaced (``retrieval.answerability.Calibration``).
    result["corpus"] = {"documents": sorted(assistant.searcher.catalog.documents)}
    general = _general_thresholds(out)
    if general is not None:
        result["general"] = general
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if chart is not None:
        draw(result, chart)
    return result
