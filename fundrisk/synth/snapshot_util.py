"""Small vectorised helpers shared by the registry-snapshot builders."""

from __future__ import annotations

import numpy as np
import polars as pl

from fundrisk.synth.registry import days

NOW = days("2026-11-28")
_S = pl.String


def _iso(d: np.ndarray) -> pl.Series:
    return pl.Series(d.astype(np.int32), dtype=pl.Int32).cast(pl.Date).dt.strftime("%Y-%m-%d")


def _expand(rows: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row index and sequence number (0..count-1) for each of count items per row."""
    counts = counts.astype(np.int64)
    r = np.repeat(rows.astype(np.int64), counts)
    starts = np.cumsum(counts) - counts
    seq = np.arange(r.size, dtype=np.int64) - np.repeat(starts, counts)
    return r, seq


def _between(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray | int) -> np.ndarray:
    """A day in [lo, hi] (lo clipped to hi)."""
    hi_arr = np.broadcast_to(np.asarray(hi, dtype=np.int64), lo.shape)
    lo = np.minimum(lo.astype(np.int64), hi_arr)
    return lo + ((hi_arr - lo + 1) * rng.random(lo.size)).astype(np.int64)


def _counts(rng: np.random.Generator, p_any: np.ndarray, sizes: list[int], p_size: list[float]) -> np.ndarray:
    """Per row: 0 with probability 1 - p_any, else a size drawn from sizes."""
    has = rng.random(p_any.size) < p_any
    return np.where(has, np.asarray(sizes)[rng.choice(len(sizes), p_any.size, p=p_size)], 0)
