"""The scores of a run (`risk_scores`, with its `run_features`): cleared, appended, compared to the last run.

The scoring stage (fundrisk/stages/scoring.py) grades frames; this module is where its rows meet DuckDB.
"""

from __future__ import annotations

import duckdb
import polars as pl

from fundrisk.warehouse.frames import append, read
from fundrisk.warehouse.runs_store import previous_run

RUN_TABLES = ("risk_scores", "run_features")  # what a scoring run writes, one row per subject


def clear_run_scores(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Delete what an earlier attempt of this run wrote, so that a re-run replaces and never duplicates.

    No transaction around the scoring batches that follow: a large one is held in memory until it
    commits, and a run that dies midway is redone from here.
    """
    for table in RUN_TABLES:
        con.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])  # noqa: S608 — constant names


def append_scores(con: duckdb.DuckDBPyConnection, rows: pl.DataFrame) -> None:
    """One batch of the run's graded subjects (columns of risk_scores)."""
    append(con, "risk_scores", rows)


def newly_at_tier(con: duckdb.DuckDBPyConnection, run_id: str, tier: str) -> list[str]:
    """Names of the run's subjects at `tier` that were not at it in the previous run, highest score first."""
    frame = read(
        con,
        """
        SELECT now.name FROM risk_scores now
        LEFT JOIN risk_scores before
          ON before.run_id = $previous AND before.subject_kind = now.subject_kind
          AND before.subject_id = now.subject_id
        WHERE now.run_id = $run AND now.tier = $tier AND coalesce(before.tier, '') <> $tier
        ORDER BY now.score DESC
        """,
        {"run": run_id, "previous": previous_run(con, run_id), "tier": tier},
    )
    return frame["name"].to_list()
