"""Inspection outcomes over the points: what the joint working group found on site decides the grade.

A 确认非法集资 conclusion holds the subject at or above the configured tier whatever its factors add up to;
a 未发现问题 conclusion holds it at or below the configured tier until new evidence (a linked alert or
clue dated after the inspection) arrives. Both say so, with the inspection date, as the first reason.
"""

from __future__ import annotations

import polars as pl

from scoring.config import ScoringConfig


def _date_text() -> pl.Expr:
    return pl.col("inspected_on").cast(pl.Date).dt.strftime("%Y-%m-%d").fill_null("")


def _reason(template: str, tier: str) -> pl.Expr:
    """The configured sentence with {date} from the inspection and {tier} from the config."""
    head, _, tail = template.replace("{tier}", tier).partition("{date}")
    return pl.concat_str([pl.lit(head), _date_text(), pl.lit(tail)])


def outcome_columns(features: pl.DataFrame, config: ScoringConfig) -> pl.DataFrame:
    """__min (lowest allowed score or null), __max (highest allowed or null), __outcome_reason per subject."""
    o = config.outcomes
    if "inspection_conclusion" not in features.columns:
        return pl.DataFrame(
            {
                "__min": pl.Series([None] * features.height, dtype=pl.Float64),
                "__max": pl.Series([None] * features.height, dtype=pl.Float64),
                "__outcome_reason": pl.Series([None] * features.height, dtype=pl.String),
            }
        )
    conclusion = pl.col("inspection_conclusion")
    inspected = pl.col("inspected_on").cast(pl.Date) if "inspected_on" in features.columns else None
    evidence = pl.col("last_evidence_on").cast(pl.Date) if "last_evidence_on" in features.columns else None
    newer = (
        (evidence > inspected).fill_null(False)
        if inspected is not None and evidence is not None
        else pl.lit(False)
    )
    frame = features.with_columns(
        pl.col("inspected_on") if inspected is not None else pl.lit(None, dtype=pl.Date).alias("inspected_on")
    )
    confirmed = (conclusion == o.confirmed).fill_null(False)
    cleared = (conclusion == o.cleared).fill_null(False) & ~newer
    return frame.select(
        pl.when(confirmed).then(pl.lit(config.tier_floor(o.confirmed_tier))).alias("__min"),
        pl.when(cleared).then(pl.lit(config.tier_cap(o.cleared_max_tier))).alias("__max"),
        pl.when(confirmed)
        .then(_reason(o.confirmed_reason, o.confirmed_tier))
        .when(cleared)
        .then(_reason(o.cleared_reason, o.cleared_max_tier))
        .alias("__outcome_reason"),
    )
