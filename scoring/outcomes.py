"""Inspection outcomes over the points: what the joint working group found on site decides the grade.

A 确认非法集资 conclusion holds the subject at or above the configured tier whatever its factors add up to;
a 未发现问题 conclusion lowers the grade by the configured number of tiers until new evidence (a linked alert
or clue dated after the inspection) arrives. Either says so, with the inspection date, as the first reason.
"""

from __future__ import annotations

import polars as pl

from scoring.config import ScoringConfig


def _reason(template: str, tier: pl.Expr, day: str) -> pl.Expr:
    """The configured sentence with {date} from the inspection (column `day`) and {tier} filled in."""
    date = pl.col(day).cast(pl.Date).dt.strftime("%Y-%m-%d").fill_null("")
    parts: list[pl.Expr] = []
    for i, chunk in enumerate(template.split("{date}")):
        if i:
            parts.append(date)
        for j, piece in enumerate(chunk.split("{tier}")):
            if j:
                parts.append(tier)
            parts.append(pl.lit(piece))
    return pl.concat_str(parts)


def _lowered(score: pl.Expr, config: ScoringConfig, steps: int) -> tuple[pl.Expr, pl.Expr]:
    """(the highest score `steps` tiers below the score's tier or null when already lowest, its tier name)."""
    tiers = config.tiers  # highest cut-off first
    cap: pl.Expr = pl.lit(None, dtype=pl.Float64)
    name: pl.Expr = pl.lit(tiers[-1].name)
    for i in reversed(range(len(tiers))):
        target = min(i + steps, len(tiers) - 1)
        value = pl.lit(config.tier_cap(tiers[target].name)) if target > i else pl.lit(None, dtype=pl.Float64)
        cap = pl.when(score >= tiers[i].min_score).then(value).otherwise(cap)
        name = pl.when(score >= tiers[i].min_score).then(pl.lit(tiers[i].name)).otherwise(name)
    return cap, name


def outcome_columns(features: pl.DataFrame, score: pl.Series, config: ScoringConfig) -> pl.DataFrame:
    """__min (lowest allowed score or null), __max (highest allowed or null), __outcome_reason per subject.

    `score` is the grade before outcomes (points, floors and caps applied)."""
    o = config.outcomes
    frame = features.select(
        pl.col("inspection_conclusion")
        if "inspection_conclusion" in features.columns
        else pl.lit(None).alias("inspection_conclusion"),
        pl.col("inspected_on").cast(pl.Date)
        if "inspected_on" in features.columns
        else pl.lit(None, dtype=pl.Date).alias("inspected_on"),
        *(
            pl.col(c).cast(pl.Date) if c in features.columns else pl.lit(None, dtype=pl.Date).alias(c)
            for c in ("last_evidence_on", "confirmed_on")
        ),
    ).with_columns(score.alias("__score"))
    conclusion = pl.col("inspection_conclusion").cast(pl.String)
    newer = (pl.col("last_evidence_on") > pl.col("inspected_on")).fill_null(False)
    # A confirmed case stays confirmed: a later re-check (存在风险隐患 after rectification) does not undo it.
    once = pl.col("confirmed_on").is_not_null()
    confirmed = once | (conclusion == o.confirmed).fill_null(False)
    confirmed_day = pl.coalesce(pl.col("confirmed_on"), pl.col("inspected_on")).alias("__confirmed_day")
    cleared = (conclusion == o.cleared).fill_null(False) & ~newer
    cap, was = _lowered(pl.col("__score"), config, o.cleared_lowers_by)
    frame = frame.with_columns(confirmed_day)
    return frame.select(
        pl.when(confirmed).then(pl.lit(config.tier_floor(o.confirmed_tier))).alias("__min"),
        pl.when(cleared & ~confirmed).then(cap).alias("__max"),
        pl.when(confirmed)
        .then(_reason(o.confirmed_reason, pl.lit(o.confirmed_tier), "__confirmed_day"))
        .when(cleared)
        .then(_reason(o.cleared_reason, was, "inspected_on"))
        .alias("__outcome_reason"),
    )
