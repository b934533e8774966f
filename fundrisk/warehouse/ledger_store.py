"""The dynamic management ledger's tables (ledger_subjects, ledger_tiers, ledger_events): its SQL and writes.

fundrisk/publish/ledger.py decides when the ledger moves (not for a replayed older run) and what it
reports; here a run's grading is recorded in one transaction (`db.transaction`), and the ledger is read.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from fundrisk.warehouse.db import scalar, transaction
from fundrisk.warehouse.frames import read
from fundrisk.warehouse.publish_store import TIER_RANK_SQL, tier_params

_RUN_SCORES = """
run_scores AS (
    SELECT subject_kind, subject_id, name, tier, score, coalesce(scored_at, $now) AS at
    FROM risk_scores WHERE run_id = $run
    QUALIFY row_number() OVER (PARTITION BY subject_kind, subject_id ORDER BY scored_at DESC NULLS LAST) = 1
)"""

# A subject first seen at the lowest tier ($unflagged) is not a change; first seen above it is.
_TIER_CHANGES = f"""
INSERT INTO ledger_tiers (subject_kind, subject_id, run_id, tier, previous_tier, score, changed_at)
WITH {_RUN_SCORES}
SELECT r.subject_kind, r.subject_id, $run, r.tier, s.current_tier, r.score, r.at
FROM run_scores r LEFT JOIN ledger_subjects s USING (subject_kind, subject_id)
WHERE r.tier IS DISTINCT FROM s.current_tier
    AND NOT (s.current_tier IS NULL AND r.tier = $unflagged)
    AND NOT EXISTS (
        SELECT 1 FROM ledger_tiers t
        WHERE t.subject_kind = r.subject_kind AND t.subject_id = r.subject_id AND t.run_id = $run
    )
"""  # noqa: S608 — constant CTE text only; values are named parameters

_FLAGGED = TIER_RANK_SQL.format(col="r.tier") + " >= 1"
_SUBJECTS = f"""
MERGE INTO ledger_subjects s
USING (WITH {_RUN_SCORES} SELECT * FROM run_scores) r
ON s.subject_kind = r.subject_kind AND s.subject_id = r.subject_id
WHEN MATCHED THEN UPDATE SET
    name = coalesce(r.name, s.name),
    last_changed_at = CASE WHEN s.current_tier IS DISTINCT FROM r.tier THEN r.at ELSE s.last_changed_at END,
    current_tier = r.tier,
    current_score = r.score,
    first_flagged_run = coalesce(s.first_flagged_run, CASE WHEN {_FLAGGED} THEN $run END),
    first_flagged_at = coalesce(s.first_flagged_at, CASE WHEN {_FLAGGED} THEN r.at END),
    last_run = $run,
    updated_at = $now
WHEN NOT MATCHED THEN INSERT (subject_kind, subject_id, name, current_tier, current_score, first_flagged_run,
    first_flagged_at, last_run, last_changed_at, updated_at)
VALUES (r.subject_kind, r.subject_id, r.name, r.tier, r.score,
    CASE WHEN {_FLAGGED} THEN $run END, CASE WHEN {_FLAGGED} THEN r.at END, $run, r.at, $now)
"""  # noqa: S608 — constant SQL text only; values are named parameters

_SYNC_ACTIONS = """
INSERT INTO ledger_events (subject_kind, subject_id, event, event_on, unit, deadline, source, detail, run_id,
    recorded_at)
SELECT 'registration', uscc, action, action_on, unit, deadline, 'actions', notes, $run, $now
FROM actions
"""

# An action is open while no closing event ($closing: 复查, 销号) of the subject followed it by $as_of.
_OVERDUE = """
WITH events AS (
    SELECT subject_kind, subject_id, event, event_on, unit, deadline FROM ledger_events WHERE source <> 'actions'
    UNION
    SELECT 'registration', uscc, action, action_on, unit, deadline FROM actions
), open_actions AS (
    SELECT d.* FROM events d
    WHERE d.deadline IS NOT NULL AND d.deadline < $as_of AND NOT list_contains($closing, d.event)
        AND NOT EXISTS (
            SELECT 1 FROM events e
            WHERE e.subject_kind = d.subject_kind AND e.subject_id = d.subject_id
                AND list_contains($closing, e.event) AND e.event_on >= d.event_on AND e.event_on <= $as_of
        )
)
SELECT o.subject_kind, o.subject_id, coalesce(s.name, g.name) AS name, s.current_tier, o.event, o.event_on,
    o.unit, o.deadline, date_diff('day', o.deadline, $as_of::DATE) AS days_overdue,
    count(*) OVER (PARTITION BY o.subject_kind, o.subject_id) AS open_actions
FROM open_actions o
LEFT JOIN ledger_subjects s USING (subject_kind, subject_id)
LEFT JOIN registrations g ON o.subject_kind = 'registration' AND g.uscc = o.subject_id
QUALIFY row_number() OVER (PARTITION BY o.subject_kind, o.subject_id ORDER BY o.deadline, o.event_on, o.event) = 1
ORDER BY days_overdue DESC, o.subject_kind, o.subject_id
"""


def ledger_runs(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The runs the ledger's subjects were last graded by."""
    rows = read(con, "SELECT DISTINCT last_run FROM ledger_subjects WHERE last_run IS NOT NULL")
    return rows["last_run"].to_list()


def record_run(con: duckdb.DuckDBPyConnection, run_id: str, now: dt.datetime, unflagged: str) -> int:
    """The run's tier changes, the refreshed subjects and the actions mirrored as events, in one
    transaction; returns how many tier changes the run added (0 when it was recorded before)."""
    params: dict[str, object] = {"run": run_id, "now": now}
    before = scalar(con, "SELECT count(*) FROM ledger_tiers WHERE run_id = ?", [run_id])
    with transaction(con):
        con.execute(_TIER_CHANGES, {**params, "unflagged": unflagged})
        con.execute(_SUBJECTS, {**params, **tier_params()})
        con.execute("DELETE FROM ledger_events WHERE source = 'actions'")
        con.execute(_SYNC_ACTIONS, params)
    return scalar(con, "SELECT count(*) FROM ledger_tiers WHERE run_id = ?", [run_id]) - before


def run_subjects(con: duckdb.DuckDBPyConnection, run_id: str) -> int:
    """Subjects the run graded last."""
    return scalar(con, "SELECT count(*) FROM ledger_subjects WHERE last_run = ?", [run_id])


def action_events(con: duckdb.DuckDBPyConnection) -> int:
    """Events mirrored from the actions input."""
    return scalar(con, "SELECT count(*) FROM ledger_events WHERE source = 'actions'")


def overdue_actions(con: duckdb.DuckDBPyConnection, as_of: dt.date, closing: tuple[str, ...]) -> pl.DataFrame:
    """One row per subject with an action past its deadline and no closing event since (most overdue kept)."""
    return read(con, _OVERDUE, {"as_of": as_of, "closing": list(closing)})


def subject_ledger(
    con: duckdb.DuckDBPyConnection, subject_kind: str, subject_id: str
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """One subject's ledger row, its tier changes and its events, oldest first."""
    key: list[object] = [subject_kind, subject_id]
    where = "WHERE subject_kind = ? AND subject_id = ?"
    row = read(con, f"SELECT * FROM ledger_subjects {where}", key)  # noqa: S608
    tiers = read(con, f"SELECT * FROM ledger_tiers {where} ORDER BY changed_at, run_id", key)  # noqa: S608
    events = read(
        con,
        f"SELECT * FROM ledger_events {where} ORDER BY event_on NULLS LAST, recorded_at",  # noqa: S608
        key,
    )
    return row, tiers, events
