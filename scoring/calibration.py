"""Learning from inspection outcomes: a logistic model over the factor values, blended only when it wins.

Labels come from `inspection_conclusion`: 确认非法集资 is positive, 未发现问题 is negative. 存在风险隐患
(risk found, fundraising not confirmed) is excluded by default: it is neither a confirmed case nor a clean
visit, and counting it either way would teach the model the inspectors' caution rather than the outcome;
`calibration.hidden_risk = "positive"` in weights.toml counts it as positive instead.

The model is blended into the score only when its out-of-fold ROC AUC (stratified k-fold, fixed seed)
beats the rule score's AUC on the same labelled rows; otherwise the rule score stands alone.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from scoring.config import Calibration

if TYPE_CHECKING:  # scikit-learn is imported where a model is fitted: reading tier names stays light
    from sklearn.linear_model import LogisticRegression

POSITIVE = "确认非法集资"
NEGATIVE = "未发现问题"
HIDDEN_RISK = "存在风险隐患"


def labels_of(conclusions: pl.Series, hidden_risk: str = "exclude") -> np.ndarray:
    """1 / 0 per row, -1 where the row carries no usable label."""
    text = conclusions.cast(pl.String).fill_null("").str.strip_chars()
    hidden = 1 if hidden_risk == "positive" else -1
    mapped = (
        pl.DataFrame({"c": text})
        .select(
            pl.when(pl.col("c") == POSITIVE)
            .then(1)
            .when(pl.col("c") == NEGATIVE)
            .then(0)
            .when(pl.col("c") == HIDDEN_RISK)
            .then(hidden)
            .otherwise(-1)
        )
        .to_series()
    )
    return mapped.to_numpy().astype(np.int64)


def precision_at_k(y: np.ndarray, score: np.ndarray, k: int) -> float:
    if k <= 0:
        return float("nan")
    top = np.argsort(-score, kind="stable")[:k]
    return float(y[top].mean())


def _model() -> LogisticRegression:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=1.0, max_iter=2000)


def _version(model: LogisticRegression, n: int) -> str:
    coefs = np.round(np.concatenate([model.coef_.ravel(), model.intercept_]), 6).tobytes()
    return f"logit-n{n}-{hashlib.sha1(coefs).hexdigest()[:8]}"


def cross_validate(
    x: np.ndarray, y: np.ndarray, rule: np.ndarray, cal: Calibration
) -> tuple[np.ndarray, dict[str, Any]]:
    """Out-of-fold probabilities and the metrics comparing them with the rule score on the same rows."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    folds = StratifiedKFold(n_splits=cal.folds, shuffle=True, random_state=cal.seed)
    oof = np.zeros(len(y))
    for train, test in folds.split(x, y):
        oof[test] = _model().fit(x[train], y[train]).predict_proba(x[test])[:, 1]
    k = int(min(y.sum(), cal.max_k))
    return oof, {
        "auc_rule": float(roc_auc_score(y, rule)),
        "auc_model": float(roc_auc_score(y, oof)),
        "k": k,
        "precision_at_k": precision_at_k(y, oof, k),
        "precision_at_k_rule": precision_at_k(y, rule, k),
    }


@dataclass(frozen=True)
class Fitted:
    """A calibration learnt once from the labelled rows and applied to any batch of subjects.

    `model` is None when the rule score stands alone (too few labels, or the model did not win).
    """

    model: LogisticRegression | None
    report: dict[str, Any]

    def predict(self, factors: pl.DataFrame) -> pl.Series | None:
        if self.model is None:
            return None
        prob = self.model.predict_proba(factors.to_numpy().astype(np.float64))[:, 1]
        return pl.Series("model_prob", prob, dtype=pl.Float64)


def calibrate(
    factors: pl.DataFrame, rule: pl.Series, conclusions: pl.Series, cal: Calibration
) -> tuple[pl.Series | None, dict[str, Any]]:
    """(model probability for every row when blended, else None; the report dict)."""
    fitted = fit(factors, rule, conclusions, cal)
    return fitted.predict(factors), fitted.report


def fit(factors: pl.DataFrame, rule: pl.Series, conclusions: pl.Series, cal: Calibration) -> Fitted:
    """Learn from the rows that carry a label; rows without one are ignored, so a frame of only the
    labelled subjects (in the same order) gives the same model as the whole population."""
    y_all = labels_of(conclusions, cal.hidden_risk)
    mask = y_all >= 0
    y = y_all[mask]
    pos, neg = int(y.sum()), int((y == 0).sum())
    report: dict[str, Any] = {
        "labels": int(mask.sum()),
        "positives": pos,
        "negatives": neg,
        "hidden_risk": cal.hidden_risk,
        "auc_rule": None,
        "auc_model": None,
        "k": None,
        "precision_at_k": None,
        "precision_at_k_rule": None,
        "blended": False,
        "model_version": None,
        "note": "",
    }
    if mask.sum() < cal.min_labels or min(pos, neg) < max(cal.min_per_class, cal.folds):
        report["note"] = (
            f"核查结论不足（{int(mask.sum())}条，确认{pos}/未发现{neg}），"
            f"需至少{cal.min_labels}条且每类{cal.min_per_class}条，仅用规则评分"
        )
        return Fitted(None, report)
    x_all = factors.to_numpy().astype(np.float64)
    rule_all = rule.to_numpy().astype(np.float64)
    _, metrics = cross_validate(x_all[mask], y, rule_all[mask], cal)
    report.update(metrics)
    model = _model().fit(x_all[mask], y)
    report["model_version"] = _version(model, int(mask.sum()))
    if metrics["auc_model"] <= metrics["auc_rule"]:
        report["note"] = "模型交叉验证AUC未超过规则评分，仅用规则评分"
        return Fitted(None, report)
    report["blended"] = True
    report["note"] = (
        f"模型交叉验证AUC {metrics['auc_model']:.3f} 高于规则评分 {metrics['auc_rule']:.3f}，按α={cal.alpha}融合"
    )
    return Fitted(model, report)
