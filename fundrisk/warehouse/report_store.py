"""Reads behind the campaign report (fundrisk/publish/report.py): counts per tier, town, run and action.

The report lays out and labels; every figure it shows comes from one of these queries.
"""

from __future__ import annotations

import duckdb
import polars as pl

from fundrisk.warehouse.frames import read

# Towns come from the run's features (a lead's town is its clues' or sweeps'), else the registration.
_SCORED_WITH_TOWN = """
SELECT s.subject_kind, s.tier, coalesce(nullif(trim(coalesce(f.town, r.town)), ''), '未知') AS town
FROM risk_scores s
LEFT JOIN run_features f ON f.run_id = s.run_id AND f.subject_kind = s.subject_kind AND f.subject_id = s.subject_id
LEFT JOIN registrations r ON s.subject_kind = 'registration' AND r.uscc = s.subject_id
WHERE s.run_id = ?
"""
# Subjects per scored run and tier, with when the run started (a scoring-only run: its first score).
_RUN_TIERS = """
WITH c AS (SELECT run_id, tier, count(*) AS n, min(scored_at) AS first_scored FROM risk_scores GROUP BY ALL)
SELECT c.run_id, c.tier, c.n, coalesce(u.started_at, min(c.first_scored) OVER (PARTITION BY c.run_id)) AS started,
    u.status
FROM c LEFT JOIN runs u USING (run_id)
"""
# Disposal progress: 移送公安 is a disposal and comes from the actions input only; the exports' records
# (建议移送 from the referral list, pushes to the province) are counted apart. An older file may still
# name its referral-export events 移送公安 (source 'referral') until the ledger next runs.
_PROGRESS = """
SELECT
    (SELECT count(DISTINCT uscc) FROM pushes) AS pushed,
    (SELECT count(DISTINCT (subject_kind, subject_id)) FROM ledger_events
        WHERE source = 'referral' AND event IN ('建议移送', '移送公安')) AS proposed,
    (SELECT count(DISTINCT uscc) FROM actions WHERE action = '移送公安') AS referred
"""


def tier_counts(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, int]:
    """Subjects of the run per tier."""
    frame = read(con, "SELECT tier, count(*) AS n FROM risk_scores WHERE run_id = ? GROUP BY tier", [run_id])
    return {str(tier): int(n) for tier, n in frame.iter_rows()}


def scored_with_town(con: duckdb.DuckDBPyConnection, run_id: str) -> pl.DataFrame:
    """subject_kind, tier and town (未知 when none is known) of every subject the run scored."""
    return read(con, _SCORED_WITH_TOWN, [run_id])


def run_tier_counts(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """run_id, tier, n, started, status: one row per scored run and tier."""
    return read(con, _RUN_TIERS)


def action_counts(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """action, n: disposal actions of the actions input, most frequent first."""
    return read(con, "SELECT action, count(*) AS n FROM actions GROUP BY action ORDER BY n DESC")


def disposal_progress(con: duckdb.DuckDBPyConnection) -> tuple[int, int, int]:
    """(pushed to the province, proposed to the police by the referral list, referred per the actions)."""
    pushed, proposed, referred = read(con, _PROGRESS).row(0)
    return int(pushed), int(proposed), int(referred)


def top_targets(con: duckdb.DuckDBPyConnection, run_id: str, tiers: list[str], limit: int) -> pl.DataFrame:
    """The run's subjects at `tiers` in inspection order (expected yield, then score), with Chinese headers."""
    return read(
        con,
        "SELECT name AS 主体名称, subject_id AS 代码或线索编号, tier AS 风险等级, round(score, 1) AS 风险评分, "
        "department AS 建议核查部门, disposal AS 建议处置措施 FROM risk_scores "
        "WHERE run_id = ? AND list_contains(?, tier) ORDER BY expected_yield DESC, score DESC LIMIT ?",
        [run_id, tiers, limit],
    )
