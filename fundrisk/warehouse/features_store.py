"""The features each run scored (`run_features`), so an export of a past run shows that run's facts.

Rebuilding the features at export time would mix today's inputs into an old run's list. Only the columns
the exports and the referral rule read are kept (the table's columns), one row per subject per run.
"""

from __future__ import annotations

import duckdb
import polars as pl

from fundrisk.warehouse.frames import append

TABLE = "run_features"
KEYS = ("run_id", "subject_kind", "subject_id")


def run_feature_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The feature columns the table keeps (its columns minus the keys), in table order."""
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        [TABLE],
    ).fetchall()
    return [str(r[0]) for r in rows if r[0] not in KEYS]


def append_run_features(con: duckdb.DuckDBPyConnection, run_id: str, features: pl.DataFrame) -> int:
    """Add one batch of the run's subjects (the caller cleared the run's rows first)."""
    kept = [c for c in run_feature_columns(con) if c in features.columns]
    frame = features.select(pl.lit(run_id).alias("run_id"), "subject_kind", "subject_id", *kept)
    append(con, TABLE, frame)
    return frame.height


def has_run_features(con: duckdb.DuckDBPyConnection, run_id: str) -> bool:
    """Whether the run persisted its features (a database from before run_features did not)."""
    if not run_feature_columns(con):  # a read-only connection to an old file never ran the DDL
        return False
    rows = con.execute("SELECT count(*) FROM (SELECT 1 FROM run_features WHERE run_id = ? LIMIT 1)", [run_id])
    return bool(rows.fetchall()[0][0])
