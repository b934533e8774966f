"""Stage: grade every registered entity and unregistered lead, and keep the scores of this run."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import polars as pl

from fundrisk.stages.features import build_features
from fundrisk.warehouse.features_store import save_run_features
from fundrisk.warehouse.frames import append, read
from fundrisk.warehouse.runs_store import previous_run
from scoring import inspection_order, load_config, score_subjects
from scoring.engine import SCORE_COLUMNS


def run_scoring(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any]:
    """Score from the current features; risk_scores and run_features keep one row per subject per run.

    The features are kept with the scores so that an export of this run later shows what it scored.
    """
    features = build_features(con)
    config = load_config()  # tiers.toml names the tiers; the counts follow it
    result = score_subjects(features, config)
    ordered = inspection_order(result.scores)
    rows = ordered.select(
        pl.lit(run_id).alias("run_id"),
        *SCORE_COLUMNS,
        "expected_yield",
        pl.lit(dt.datetime.now()).alias("scored_at"),
    )
    con.execute("DELETE FROM risk_scores WHERE run_id = ?", [run_id])
    append(con, "risk_scores", rows)
    save_run_features(con, run_id, features)
    tiers = dict(rows.group_by("tier").len().iter_rows())
    return {
        "subjects": rows.height,
        "tiers": {t.name: int(tiers.get(t.name, 0)) for t in config.tiers},
        "new_high_risk": _new_high_risk(con, run_id),
        "calibration": {k: v for k, v in result.calibration.items() if not isinstance(v, pl.Series)},
        "versions": {k: v or "" for k, v in result.versions.items()},
    }


def _new_high_risk(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    """Names of subjects at 高风险 now that were not at 高风险 in the previous run (for the run summary)."""
    frame = read(
        con,
        """
        SELECT now.name FROM risk_scores now
        LEFT JOIN risk_scores before
          ON before.run_id = $previous AND before.subject_kind = now.subject_kind
          AND before.subject_id = now.subject_id
        WHERE now.run_id = $run AND now.tier = '高风险' AND coalesce(before.tier, '') <> '高风险'
        ORDER BY now.score DESC
        """,
        {"run": run_id, "previous": previous_run(con, run_id)},
    )
    return frame["name"].to_list()
