"""The dynamic management ledger (动态管理台账): tiers over runs, every disposal action, overdue rectification.

`update_ledger(con, run_id)` runs once per pipeline run, after that run's risk_scores are written:
- `ledger_tiers` gains one row per subject whose tier differs from the tier the ledger last knew
  (a subject first seen at 无明显风险 is not a change; first seen at 低风险 or above is, with no previous tier);
- `ledger_subjects` holds the current tier, when the subject was first flagged (低风险 or above) and the last run;
- `ledger_events` mirrors the `actions` input (source 'actions'); pushes, referrals and unmasked exports
  add their own events when they happen. An export records a proposal or a sending (建议移送, 已推送),
  never a disposal: 移送公安 and the other disposals come only from `actions` (or a reviewed decision),
  and export events an older database recorded under a disposal's name are renamed here.
Running it twice for the same run adds nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import polars as pl

from fundrisk.warehouse.db import scalar
from fundrisk.warehouse.frames import read
from fundrisk.warehouse.publish_store import TIER_RANK_SQL, record_events, rename_export_events
from fundrisk.warehouse.runs_store import is_older_than_any

CLOSING_EVENTS = ("复查", "销号")

_RUN_SCORES = """
run_scores AS (
    SELECT subject_kind, subject_id, name, tier, score, coalesce(scored_at, $now) AS at
    FROM risk_scores WHERE run_id = $run
    QUALIFY row_number() OVER (PARTITION BY subject_kind, subject_id ORDER BY scored_at DESC NULLS LAST) = 1
)"""

_TIER_CHANGES = f"""
INSERT INTO ledger_tiers (subject_kind, subject_id, run_id, tier, previous_tier, score, changed_at)
WITH {_RUN_SCORES}
SELECT r.subject_kind, r.subject_id, $run, r.tier, s.current_tier, r.score, r.at
FROM run_scores r LEFT JOIN ledger_subjects s USING (subject_kind, subject_id)
WHERE r.tier IS DISTINCT FROM s.current_tier
    AND NOT (s.current_tier IS NULL AND r.tier = '无明显风险')
    AND NOT EXISTS (
        SELECT 1 FROM ledger_tiers t
        WHERE t.subject_kind = r.subject_kind AND t.subject_id = r.subject_id AND t.run_id = $run
    )
"""  # noqa: S608 — constant CTE text only; values are named parameters

_FLAGGED = TIER_RANK_SQL.format(col="r.tier") + " >= 1"
_SUBJECTS = f"""
INSERT INTO ledger_subjects (subject_kind, subject_id, name, current_tier, current_score, first_flagged_run,
    first_flagged_at, last_run, last_changed_at, updated_at)
WITH {_RUN_SCORES}
SELECT r.subject_kind, r.subject_id, r.name, r.tier, r.score,
    CASE WHEN {_FLAGGED} THEN $run END, CASE WHEN {_FLAGGED} THEN r.at END, $run, r.at, $now
FROM run_scores r
ON CONFLICT (subject_kind, subject_id) DO UPDATE SET
    name = coalesce(EXCLUDED.name, name),
    last_changed_at = CASE WHEN current_tier IS DISTINCT FROM EXCLUDED.current_tier
        THEN EXCLUDED.last_changed_at ELSE last_changed_at END,
    current_tier = EXCLUDED.current_tier,
    current_score = EXCLUDED.current_score,
    first_flagged_run = coalesce(first_flagged_run, EXCLUDED.first_flagged_run),
    first_flagged_at = coalesce(first_flagged_at, EXCLUDED.first_flagged_at),
    last_run = EXCLUDED.last_run,
    updated_at = EXCLUDED.updated_at
"""  # noqa: S608 — constant SQL text only; values are named parameters

_SYNC_ACTIONS = """
INSERT INTO ledger_events (subject_kind, subject_id, event, event_on, unit, deadline, source, detail, run_id,
    recorded_at)
SELECT 'registration', uscc, action, action_on, unit, deadline, 'actions', notes, $run, $now
FROM actions
"""

_OVERDUE = """
WITH events AS (
    SELECT subject_kind, subject_id, event, event_on, unit, deadline FROM ledger_events WHERE source <> 'actions'
    UNION
    SELECT 'registration', uscc, action, action_on, unit, deadline FROM actions
), open_actions AS (
    SELECT d.* FROM events d
    WHERE d.deadline IS NOT NULL AND d.deadline < $as_of AND d.event NOT IN ('复查', '销号')
        AND NOT EXISTS (
            SELECT 1 FROM events e
            WHERE e.subject_kind = d.subject_kind AND e.subject_id = d.subject_id
                AND e.event IN ('复查', '销号') AND e.event_on >= d.event_on AND e.event_on <= $as_of
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


def update_ledger(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any]:
    """Record the run's tier changes, refresh the subjects and mirror the actions input (idempotent)."""
    now = dt.datetime.now()
    params: dict[str, object] = {"run": run_id, "now": now}
    rename_export_events(con)
    if _is_stale(con, run_id):  # an older run replayed after a newer one must not rewrite the present
        return {
            "run_id": run_id,
            "subjects": 0,
            "tier_changes": 0,
            "action_events": 0,
            "overdue": 0,
            "stale": True,
        }
    before = scalar(con, "SELECT count(*) FROM ledger_tiers WHERE run_id = ?", [run_id])
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(_TIER_CHANGES, params)
        con.execute(_SUBJECTS, params)
        con.execute("DELETE FROM ledger_events WHERE source = 'actions'")
        con.execute(_SYNC_ACTIONS, params)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    changes = scalar(con, "SELECT count(*) FROM ledger_tiers WHERE run_id = ?", [run_id]) - before
    return {
        "run_id": run_id,
        "subjects": scalar(con, "SELECT count(*) FROM ledger_subjects WHERE last_run = ?", [run_id]),
        "tier_changes": changes,
        "action_events": scalar(con, "SELECT count(*) FROM ledger_events WHERE source = 'actions'"),
        "overdue": overdue_rectifications(con, now.date()).height,
    }


def _is_stale(con: duckdb.DuckDBPyConnection, run_id: str) -> bool:
    """True when the ledger already holds a run that started after this one."""
    last_runs = read(con, "SELECT DISTINCT last_run FROM ledger_subjects WHERE last_run IS NOT NULL")
    return is_older_than_any(con, run_id, last_runs["last_run"].to_list())


def overdue_rectifications(con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None) -> pl.DataFrame:
    """One row per subject with an action whose deadline passed before `as_of` and no later 复查 or 销号.

    Columns: subject_kind, subject_id, name, current_tier, event, event_on, unit, deadline (the most
    overdue action), days_overdue, open_actions (how many such actions the subject has).
    """
    return read(con, _OVERDUE, {"as_of": as_of or dt.date.today()})


def subject_history(con: duckdb.DuckDBPyConnection, subject_kind: str, subject_id: str) -> dict[str, Any]:
    """The ledger of one subject: its row, its tier changes and its events, oldest first."""
    key: list[object] = [subject_kind, subject_id]
    where = "WHERE subject_kind = ? AND subject_id = ?"
    row = read(con, f"SELECT * FROM ledger_subjects {where}", key)  # noqa: S608
    tiers = read(con, f"SELECT * FROM ledger_tiers {where} ORDER BY changed_at, run_id", key)  # noqa: S608
    events = read(
        con,
        f"SELECT * FROM ledger_events {where} ORDER BY event_on NULLS LAST, recorded_at",  # noqa: S608
        key,
    )
    return {
        "subject": row.to_dicts()[0] if row.height else None,
        "tiers": tiers.to_dicts(),
        "events": events.to_dicts(),
    }


def record_unmasked_export(con: duckdb.DuckDBPyConnection, what: str, file: str, rows: int) -> None:
    """An export with personal data in clear: one '导出未脱敏' event naming the file."""
    event = {
        "subject_kind": "export",
        "subject_id": what,
        "event": "导出未脱敏",
        "event_on": dt.date.today(),
        "unit": None,
        "deadline": None,
        "source": "unmask",
        "detail": f"文件：{file}；行数：{rows}",
        "run_id": None,
    }
    record_events(con, pl.DataFrame([event], schema_overrides={"unit": pl.String, "deadline": pl.Date}))
