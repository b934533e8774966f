"""Stage: public-opinion and stability signals of every clue's text (enrichers.sentiment)."""

from __future__ import annotations

import polars as pl

from enrichers.sentiment import clue_signals, sentiment_version
from fundrisk.warehouse.db import Connection
from fundrisk.warehouse.frames import replace_rows
from fundrisk.warehouse.inputs_store import clue_texts


def run_sentiment(con: Connection, run_id: str) -> dict[str, object]:
    """Recompute clue_signals from the current clues; counts only."""
    rows, counts = signal_rows(clue_texts(con), run_id)
    replace_rows(con, "clue_signals", rows)
    return counts


def signal_rows(clues: pl.DataFrame, run_id: str) -> tuple[pl.DataFrame, dict[str, object]]:
    """The clue_signals rows of these clues and their counts (pure: also run per Dask partition)."""
    signals = clue_signals(clues)
    version = sentiment_version()
    rows = signals.select(
        "clue_id",
        "negativity",
        "money_related",
        "money_prob",
        "stability",
        pl.col("stability_terms").list.join("、").alias("stability_terms"),
        "reason",
        pl.lit(version).alias("sentiment_version"),
        pl.lit(run_id).alias("run_id"),
    )
    return rows, {
        "clues": rows.height,
        "money_related": int(rows["money_related"].sum() or 0),
        "with_stability_signal": rows.filter(pl.col("stability") > 0).height,
        "sentiment_version": version,
    }
