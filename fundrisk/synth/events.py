"""Shared helpers for event rows (alerts, clues, follow-ups): dates, amounts, shares, ids."""

from __future__ import annotations

import numpy as np
import polars as pl

from fundrisk.synth.registry import days, format_dates

GENERATED_AS_OF = "2026-11-28"  # the last day generated events fall on: the demo district grades as of it
EVENT_LO = days("2025-01-01")
EVENT_HI = days(GENERATED_AS_OF)


def event_days(
    rng: np.random.Generator, est: np.ndarray, lo: int = EVENT_LO, hi: int = EVENT_HI
) -> np.ndarray:
    """A day in [max(lo, est + 30), hi] per row."""
    start = np.minimum(np.maximum(lo, est.astype(np.int64) + 30), hi)
    return start + ((hi - start) * rng.random(est.shape[0])).astype(np.int64)


def date_text(rng: np.random.Generator, d: np.ndarray, p: tuple[float, float, float, float]) -> pl.Series:
    """Dates as text in the four accepted spellings with the given probabilities."""
    return format_dates(
        pl.Series(d, dtype=pl.Int32).cast(pl.Date), np.asarray(rng.choice(4, d.shape[0], p=list(p)))
    )


def amount_text(rng: np.random.Generator, yuan: np.ndarray, p: tuple[float, float, float]) -> list[str]:
    """Amounts as '1,234,567.50', '约50万元' or '1234567.50'."""
    style = np.asarray(rng.choice(3, yuan.shape[0], p=list(p))).tolist()
    out = []
    for s, x in zip(style, yuan.tolist(), strict=True):
        if s == 1 and x >= 20_000:
            out.append(f"约{round(x / 10_000)}万元")
        elif s == 0:
            out.append(f"{x:,.2f}")
        else:
            out.append(f"{x:.2f}")
    return out


def share_text(rng: np.random.Generator, share: np.ndarray) -> list[str]:
    """Shares as '35%', '35.2%' or '0.35'."""
    style = np.asarray(rng.choice(3, share.shape[0], p=[0.5, 0.2, 0.3])).tolist()
    fmt = ["{:.0f}%", "{:.1f}%", "{:.2f}"]
    return [fmt[s].format(x * 100 if s < 2 else x) for s, x in zip(style, share.tolist(), strict=True)]


def assign_ids(frame: pl.DataFrame, day_col: str, prefix: str, id_col: str) -> pl.DataFrame:
    """Sort by day (stable) and number rows per year: PREFIX2026-000123."""
    frame = frame.with_row_index("_row").sort([day_col, "_row"])
    year = pl.col(day_col).cast(pl.Date).dt.year()
    seq = pl.int_range(1, pl.len() + 1).over(year)
    return frame.with_columns(
        pl.concat_str(
            pl.lit(prefix), year.cast(pl.String), pl.lit("-"), seq.cast(pl.String).str.zfill(6)
        ).alias(id_col)
    ).drop("_row")


def repeat_rows(frame: pl.DataFrame, counts: np.ndarray) -> pl.DataFrame:
    """Each row repeated counts[i] times (row order kept)."""
    take = np.repeat(np.arange(frame.height), counts)
    return frame[take] if take.size else frame.clear()
