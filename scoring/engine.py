"""Rule score, tiers, disposals, departments and reasons over the features frame, whole-column."""

from __future__ import annotations

import polars as pl

from scoring.config import ScoringConfig
from scoring.departments import lead_departments, rule_frame
from scoring.factors import Anchors, factor_values
from scoring.outcomes import outcome_columns
from scoring.reasons import top_reasons

SCORE_COLUMNS = [
    "subject_kind",
    "subject_id",
    "name",
    "score",
    "tier",
    "disposal",
    "department",
    "reasons",
    "factors",
    "rule_score",
    "model_prob",
]


def anchors_of(config: ScoringConfig) -> Anchors:
    return Anchors(config.people_anchors, config.money_anchors)


def factor_frame(features: pl.DataFrame, config: ScoringConfig) -> pl.DataFrame:
    """One column per configured factor, values in [0, 1]."""
    return factor_values(features, anchors_of(config), list(config.points))


def rule_scores(factors: pl.DataFrame, config: ScoringConfig) -> tuple[pl.DataFrame, pl.Series]:
    """(points per factor, rule score 0-100) from factor values and the configured points."""
    contributions = factors.select([(pl.col(n) * config.points[n]).alias(n) for n in factors.columns])
    total = contributions.select(pl.sum_horizontal(pl.all()).clip(0.0, 100.0).alias("rule_score"))
    return contributions, total.to_series()


def tier_expr(score: pl.Expr, config: ScoringConfig, field: str) -> pl.Expr:
    """The tier name (field='name') or its disposal (field='disposal') for a score."""
    tiers = config.tiers  # highest cut-off first
    out = pl.lit(getattr(tiers[-1], field))
    for t in reversed(tiers[:-1]):
        out = pl.when(score >= t.min_score).then(pl.lit(getattr(t, field))).otherwise(out)
    return out


def department_column(
    features: pl.DataFrame, factors: pl.DataFrame, scored: pl.DataFrame, config: ScoringConfig
) -> pl.Series:
    """建议核查部门 from the rule table in tiers.toml (scoring/departments.py), after the final tier."""
    frame = rule_frame(features, factors, scored["tier"], scored["score"], scored["__best"])
    return lead_departments(frame, config.department_rules)


def dominant(contributions: pl.DataFrame, min_points: float) -> pl.Series:
    """Name of the factor with the most points per row (earlier factors win ties), null below min_points."""
    names = pl.Series("__best", contributions.columns, dtype=pl.String)
    if contributions.height == 0 or not contributions.columns:
        return pl.Series("__best", [None] * contributions.height, dtype=pl.String)
    values = contributions.to_numpy()
    best = names.gather(values.argmax(axis=1))
    return best.set(pl.Series(values.max(axis=1) < min_points), None)


def floor_columns(features: pl.DataFrame, config: ScoringConfig) -> tuple[pl.Series, pl.Series]:
    """(lowest score each subject may have, the reason of the floor that sets it) from tiers.toml floors."""
    if not config.floors:
        zero = pl.Series("__floor", [0.0] * features.height, dtype=pl.Float64)
        return zero, pl.Series("__floor_reason", [None] * features.height, dtype=pl.String)
    ordered = sorted(config.floors, key=lambda f: -config.tier_floor(f.tier))
    exprs = [pl.sql_expr(f.when).fill_null(False) for f in ordered]
    frame = features.select(
        pl.max_horizontal(
            [
                pl.when(e).then(config.tier_floor(f.tier)).otherwise(0.0)
                for e, f in zip(exprs, ordered, strict=True)
            ]
        ).alias("__floor"),
        pl.coalesce([pl.when(e).then(pl.lit(f.reason)) for e, f in zip(exprs, ordered, strict=True)]).alias(
            "__floor_reason"
        ),
    )
    return frame["__floor"], frame["__floor_reason"]


def finish(
    features: pl.DataFrame,
    factors: pl.DataFrame,
    contributions: pl.DataFrame,
    rule: pl.Series,
    model_prob: pl.Series | None,
    config: ScoringConfig,
) -> pl.DataFrame:
    """Blend (when a model prob is given), cap licensed institutions, and attach tier, disposal, reasons."""
    a = anchors_of(config)
    alpha = config.calibration.alpha
    prob = model_prob if model_prob is not None else pl.Series("model_prob", [None] * rule.len(), pl.Float64)
    base = features.select(
        "subject_kind", "subject_id", "name", pl.col("is_licensed_fi").fill_null(False).alias("__fi")
    ).with_columns(
        rule.alias("rule_score"),
        prob.alias("model_prob"),
        dominant(contributions, config.min_points),
        factors.select(pl.struct(pl.all().round(4)).struct.json_encode().alias("factors")).to_series(),
        top_reasons(features, contributions, a, config.max_sentences, config.min_points),
    )
    blended = pl.when(pl.col("model_prob").is_not_null())
    score = blended.then((1 - alpha) * pl.col("rule_score") + alpha * 100 * pl.col("model_prob")).otherwise(
        pl.col("rule_score")
    )
    floor, floor_reason = floor_columns(features, config)
    base = base.with_columns(floor, floor_reason)
    raised = pl.col("__floor") > score
    score = pl.max_horizontal(score, pl.col("__floor"))
    cap = config.licensed_fi_cap()
    capped = pl.when(pl.col("__fi")).then(score.clip(upper_bound=cap)).otherwise(score)
    fi_prob = pl.when(pl.col("__fi")).then(pl.col("model_prob").clip(upper_bound=cap / 100))
    with_floor_reason = pl.when(raised & pl.col("__floor_reason").is_not_null()).then(
        pl.concat_str(
            [pl.col("reasons"), pl.col("__floor_reason")], separator="\n", ignore_nulls=True
        ).str.strip_chars("\n")
    )
    base = base.with_columns(capped.alias("__capped"))
    base = base.with_columns(outcome_columns(features, base["__capped"], config))
    lowered = pl.col("__max").is_not_null() & (capped > pl.col("__max"))
    held = pl.when(lowered).then(pl.col("__max")).otherwise(capped)
    final = (
        pl.when(pl.col("__min").is_not_null() & (held < pl.col("__min")))
        .then(pl.col("__min"))
        .otherwise(held)
    )
    decided = pl.col("__min").is_not_null() | lowered  # the outcome sentence leads only when it decided
    reasons = with_floor_reason.otherwise(pl.col("reasons"))
    out = base.with_columns(
        final.clip(0.0, 100.0).round(2).alias("score"),
        fi_prob.otherwise(pl.col("model_prob")).alias("model_prob"),
        pl.when(decided)
        .then(pl.concat_str([pl.col("__outcome_reason"), reasons], separator="\n", ignore_nulls=True))
        .otherwise(reasons)
        .str.strip_chars("\n")
        .alias("reasons"),
    ).with_columns(
        tier_expr(pl.col("score"), config, "name").alias("tier"),
        tier_expr(pl.col("score"), config, "disposal").alias("disposal"),
    )
    return out.with_columns(department_column(features, factors, out, config)).select(SCORE_COLUMNS)


def inspection_order(scored: pl.DataFrame) -> pl.DataFrame:
    """Inspection list order: expected yield per visit (calibrated probability, else score / 100)."""
    yield_ = pl.coalesce(pl.col("model_prob"), pl.col("score") / 100.0).alias("expected_yield")
    return scored.with_columns(yield_).sort(
        ["expected_yield", "score", "subject_id"], descending=[True, True, False], nulls_last=True
    )
