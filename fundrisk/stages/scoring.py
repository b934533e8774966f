"""Stage: grade every registered entity and unregistered lead, and keep the scores of this run."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import polars as pl

from fundrisk.stages.features import drop_staged, stage_features, staged_labelled, staged_part
from fundrisk.warehouse.db import Connection
from fundrisk.warehouse.features_store import append_run_features
from fundrisk.warehouse.scores_store import append_scores, clear_run_scores, newly_at_tier
from scoring import fit_calibration, inspection_order, load_config, score_subjects
from scoring.config import tier_scale
from scoring.engine import SCORE_COLUMNS

PART_ROWS = 400_000  # subjects scored at a time: memory follows this, not the number of registrations


def run_scoring(con: Connection, run_id: str, part_rows: int | None = None) -> dict[str, Any]:
    """Score from the current features; risk_scores and run_features keep one row per subject per run.

    The features are staged in DuckDB and scored one hash partition at a time; the outcome calibration
    is learnt once from the inspected subjects, so every partition is graded as the whole would be.
    The features are kept with the scores so that an export of this run later shows what it scored.
    """
    config = load_config()  # tiers.toml names the tiers; the counts follow it
    subjects = stage_features(con)
    parts = max(1, -(-subjects // (part_rows or PART_ROWS)))
    fitted = fit_calibration(staged_labelled(con), config)
    scored_at = dt.datetime.now()
    counts: dict[str, int] = {}
    versions: dict[str, str | None] = {}
    # No transaction around the batches: a large one is held in memory until it commits, and a run
    # that dies here is redone from clear_run_scores, which clears whatever this run wrote before.
    # A part is written on its own connection while the next one is scored (DuckDB's insert and polars
    # both let go of the GIL): one part in flight at most, and the pool's exit waits for it, also on a
    # failure, before the connection is closed.
    writer = con.cursor()
    try:
        clear_run_scores(con, run_id)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="scores-write") as pool:
            pending: Future[None] | None = None
            for part in range(parts):
                features = staged_part(con, part, parts)
                result = score_subjects(features, config, fitted=fitted)
                rows = inspection_order(result.scores).select(
                    pl.lit(run_id).alias("run_id"),
                    *SCORE_COLUMNS,
                    "expected_yield",
                    pl.lit(scored_at).alias("scored_at"),
                )
                if pending is not None:
                    pending.result()
                pending = pool.submit(_write_part, writer, run_id, rows, features)
                for tier, n in rows.group_by("tier").len().iter_rows():
                    counts[tier] = counts.get(tier, 0) + n
                versions = result.versions
                del features, result, rows
            if pending is not None:
                pending.result()
    finally:
        writer.close()
        drop_staged(con)
    return {
        "subjects": subjects,
        "tiers": {t.name: int(counts.get(t.name, 0)) for t in config.tiers},
        "new_high_risk": newly_at_tier(con, run_id, tier_scale().floor_of("new_in_summary")),
        "calibration": {k: v for k, v in fitted.report.items() if not isinstance(v, pl.Series)},
        "versions": {k: v or "" for k, v in versions.items()},
    }


def _write_part(writer: Connection, run_id: str, rows: pl.DataFrame, features: pl.DataFrame) -> None:
    """One part's scores and features, on the writer's own connection."""
    append_scores(writer, rows)
    append_run_features(writer, run_id, features)
