"""Whole-column building blocks for factors and reasons: anchored log scales and Chinese number text."""

from __future__ import annotations

import math

import polars as pl

# The anchors themselves are configuration (weights.toml [anchors], legal thresholds from legal.toml).
AT_FIRST_ANCHOR = 0.7


def anchored(x: pl.Expr, anchors: tuple[float, float, float]) -> pl.Expr:
    """Piecewise log scale: 0 at or below anchors[0], 0.7 at anchors[1], 1.0 at and above anchors[2]."""
    floor, first, second = anchors
    v = x.cast(pl.Float64).fill_null(0.0).fill_nan(0.0).clip(lower_bound=floor)
    low = AT_FIRST_ANCHOR * (v / floor).log() / math.log(first / floor)
    high = AT_FIRST_ANCHOR + (1 - AT_FIRST_ANCHOR) * (v / first).log() / math.log(second / first)
    return pl.when(v < first).then(low).otherwise(high).clip(0.0, 1.0)


def num(col: str) -> pl.Expr:
    """A numeric feature column as f64 with nulls and NaN as 0."""
    return pl.col(col).cast(pl.Float64).fill_null(0.0).fill_nan(0.0)


def flag(col: str) -> pl.Expr:
    return pl.col(col).fill_null(False).cast(pl.Boolean)


def grouped(x: pl.Expr) -> pl.Expr:
    """Integer text with thousands separators: 1842 -> '1,842'."""
    text = x.cast(pl.Float64).fill_null(0.0).round(0).cast(pl.Int64).cast(pl.String)
    neg = text.str.starts_with("-")
    digits = text.str.strip_prefix("-").str.reverse().str.replace_all(r"(\d{3})", "${1},")
    body = digits.str.strip_suffix(",").str.reverse()
    return pl.when(neg).then(pl.lit("-") + body).otherwise(body)


def wan(yuan: pl.Expr) -> pl.Expr:
    """An amount in 元 as 万元 text: 18,420,000 -> '1,842万元'; below 10万 with one decimal."""
    w = yuan.cast(pl.Float64).fill_null(0.0) / 10_000.0
    small = w.round(1).cast(pl.String).str.strip_suffix(".0")
    return pl.when(w.abs() >= 10).then(grouped(w)).otherwise(small) + pl.lit("万元")


def pct(share: pl.Expr) -> pl.Expr:
    return (share.cast(pl.Float64).fill_null(0.0) * 100).round(0).cast(pl.Int64).cast(pl.String) + pl.lit("%")
