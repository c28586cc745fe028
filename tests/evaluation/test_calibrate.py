"""Choosing the answerability thresholds on the tuning half, and the file the assistant reads."""
from __future__ import annotations

import json

from evaluation.calibrate import Features, abstains, calibrate, choose, draw, rates
from retrieval.answerability import Thresholds


def _features() -> list[Features]:
    out = []
    # 20 answerable questions with similarities 0.80 … 0.895, 6 unanswerable 0.74 … 0.815, both halves alike.
    for half in ("tuning", "check"):
        for i in range(20):
            out.append(Features(f"a{half}{i}", half, True, True, 0.80 + 0.005 * i, 0.9, False, False, False))
        for i in range(6):
            out.append(Features(f"u{half}{i}", half, False, True, 0.74 + 0.015 * i, 0.9, False, False, False))
    return out


def test_the_chosen_thresholds_keep_false_abstention_within_the_limit_on_the_tuning_half():
    features = _features()
    similarity, coverage = choose([f for f in features if f.half == "tuning"])
    tuning = rates([f for f in features if f.half == "tuning"], similarity, coverage)
    assert tuning["false_abstention"] <= 0.05
    # The highest threshold that refuses at most one answerable question in 20: five of six refused.
    # Every coverage floor from 0 to 0.7 does as well (all coverages are 0.9): the middle one.
    assert similarity == 0.805 and coverage == 0.35
    assert tuning["abstention"] == round(5 / 6, 4)


def test_ties_go_to_the_middle_of_the_plateau_and_without_unanswerable_questions_to_the_strictest():
    # Answerable questions from 0.86 up, unanswerable ones at 0.80 and below: every floor from
    # 0.805 to 0.86 refuses all unanswerable and no answerable question; the middle is taken.
    features = [Features(f"a{i}", "tuning", True, True, 0.86 + 0.005 * i, 1.0, False, False, False) for i in range(10)]
    features += [Features(f"u{i}", "tuning", False, True, 0.76 + 0.02 * i, 1.0, False, False, False) for i in range(3)]
    similarity, coverage = choose(features)
    assert similarity == 0.83 and coverage == 0.35
    # Without an unanswerable question nothing bounds the plateau from below: the strictest
    # thresholds the answerable questions allow.
    assert choose([f for f in features if f.answerable]) == (0.86, 0.7)


def test_unknown_terms_premises_and_missing_figures_abstain_whatever_the_thresholds():
    unknown = Features("x", "tuning", False, True, 0.95, 1.0, True, False, False)
    premise = Features("y", "tuning", False, True, 0.95, 1.0, False, True, False)
    foreign_unknown = Features("z", "tuning", False, False, 0.95, 0.0, True, False, False)
    foreign = Features("v", "tuning", False, False, 0.95, 0.0, False, False, False)
    figure = Features("w", "tuning", False, False, 0.95, 1.0, False, False, False, figure_missing=True)
    assert abstains(unknown, 0.7, 0.0) and abstains(premise, 0.7, 0.0)
    assert abstains(figure, 0.7, 0.0), "a number asked for and not stated is no answer, in any language"
    assert abstains(foreign_unknown, 0.7, 0.0), "a German term the corpus never uses refuses in any language"
    assert not abstains(foreign, 0.7, 0.5), "the coverage floor is a German-only rule"


def test_the_calibration_file_is_what_the_assistant_reads(tmp_path):
    result = calibrate(_features())
    path = tmp_path / "answerability.json"
    path.write_text(json.dumps(result), encoding="utf-8")
    thresholds = Thresholds.load(path)
    assert thresholds.min_similarity == result["thresholds"]["min_similarity"]
    assert result["check"]["false_abstention"] <= 0.05 and result["check_curve"]
    draw(result, tmp_path / "curve.png")
    assert (tmp_path / "curve.png").read_bytes()[:4] == b"\x89PNG"


def test_kept_thresholds_stay_and_only_their_figures_are_renewed():
    features = _features()
    kept = {"min_similarity": 0.75, "min_similarity_cross": 0.75, "min_coverage": 0.0}
    result = calibrate(features, kept)
    assert result["thresholds"] == kept and result["rule"].startswith("kept")
    # At 0.75 only the one unanswerable question below it is refused, on each half.
    assert result["tuning"]["abstention"] == round(1 / 6, 4) and result["check_curve"]
    assert calibrate(features)["thresholds"]["min_similarity"] == 0.805


def _without_synonyms(features: list[Features]) -> list[Features]:
    """The same questions as recorded without the thesaurus: the answerable ones of each half
    cover less (0.9 → 0.25 … 0.44), the unanswerable ones 0.3."""
    out, seen = [], {}
    for f in features:
        if f.answerable:
            seen[f.half] = seen.get(f.half, -1) + 1
        coverage = 0.25 + 0.01 * seen[f.half] if f.answerable else 0.3
        out.append(Features(**{**vars(f), "coverage": coverage}))
    return out


def test_the_coverage_floor_without_the_thesaurus_keeps_false_abstention_within_the_limit():
    features = _features()
    result = calibrate(features, without_synonyms=_without_synonyms(features))
    floor = result["thresholds"]["min_coverage_without_synonyms"]
    # The floor that holds with synonyms (0.35) would refuse most answerable questions here.
    assert floor < result["thresholds"]["min_coverage"]
    assert result["without_synonyms"]["tuning"]["false_abstention"] <= 0.05
    # Floors 0 … 0.25 refuse no more answerable questions than the rule allows: the middle one.
    assert floor == 0.1


def test_a_kept_floor_without_the_thesaurus_stays(tmp_path):
    features = _features()
    kept = {"min_similarity": 0.75, "min_similarity_cross": 0.75, "min_coverage": 0.0,
            "min_coverage_without_synonyms": 0.1}
    result = calibrate(features, kept, _without_synonyms(features))
    assert result["thresholds"]["min_coverage_without_synonyms"] == 0.1
    path = tmp_path / "answerability.json"
    path.write_text(json.dumps(result), encoding="utf-8")
    assert Thresholds.load(path).without_synonyms().min_coverage == 0.1
