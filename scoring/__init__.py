"""Risk grading of subjects (registered entities and unregistered leads) from the features frame.

result = score_subjects(features)          # features: scoring/FEATURES.md
result.scores                              # one row per subject: score, tier, disposal, department, reasons
inspection_order(result.scores)            # sorted by expected yield per visit
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from scoring.calibration import Fitted, calibrate, fit
from scoring.config import ScoringConfig, load_config
from scoring.engine import SCORE_COLUMNS, factor_frame, finish, inspection_order, rule_scores
from scoring.factors import FACTORS, LABELS, Anchors, factor_values, weights_table

__all__ = [
    "FACTORS",
    "LABELS",
    "SCORE_COLUMNS",
    "Anchors",
    "ScoringConfig",
    "ScoringResult",
    "fit_calibration",
    "factor_values",
    "inspection_order",
    "load_config",
    "score_subjects",
    "weights_table",
]


@dataclass(frozen=True)
class ScoringResult:
    scores: pl.DataFrame
    calibration: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str | None] = field(default_factory=dict)


def fit_calibration(labelled: pl.DataFrame, config: ScoringConfig | None = None) -> Fitted:
    """The outcome calibration learnt from the subjects that carry an inspection conclusion.

    Scoring a province in batches fits once on these rows (in population order) and hands the result
    to `score_subjects(batch, fitted=…)`: every batch is then graded as the whole population would be.
    """
    config = config or load_config()
    factors = factor_frame(labelled, config)
    _, rule = rule_scores(factors, config)
    return fit(factors, rule, labelled["inspection_conclusion"], config.calibration)


def score_subjects(
    features: pl.DataFrame,
    config: ScoringConfig | None = None,
    *,
    learn: bool = True,
    fitted: Fitted | None = None,
) -> ScoringResult:
    """Grade every subject: factors -> rule score -> (optional) outcome-calibrated blend -> tier and reasons.

    `learn=False` skips the calibration model (rule score only); `fitted` applies a calibration learnt
    beforehand (fit_calibration) instead of learning from `features` itself."""
    config = config or load_config()
    factors = factor_frame(features, config)
    contributions, rule = rule_scores(factors, config)
    prob: pl.Series | None = None
    if learn and fitted is not None:
        prob, report = fitted.predict(factors), fitted.report
    elif learn and "inspection_conclusion" in features.columns:
        prob, report = calibrate(factors, rule, features["inspection_conclusion"], config.calibration)
    else:
        report = {
            "labels": 0,
            "blended": False,
            "model_version": None,
            "note": "未启用模型校准，仅用规则评分",
        }
    scores = finish(features, factors, contributions, rule, prob, config)
    versions: dict[str, str | None] = {
        "weights": config.weights_version,
        "tiers": config.tiers_version,
        "model": report.get("model_version") if report.get("blended") else None,
    }
    return ScoringResult(scores=scores, calibration=report, versions=versions)
