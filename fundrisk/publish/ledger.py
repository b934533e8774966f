"""The dynamic management ledger (动态管理台账): tiers over runs, every disposal action, overdue rectification.

`update_ledger(con, run_id)` runs once per pipeline run, after that run's risk_scores are written:
- `ledger_tiers` gains one row per subject whose tier differs from the tier the ledger last knew
  (a subject first seen at the lowest tier is not a change; first seen above it is, with no previous tier);
- `ledger_subjects` holds the current tier, when the subject was first flagged (above the lowest tier) and the last run;
- `ledger_events` mirrors the `actions` input (source 'actions'); pushes, referrals and unmasked exports
  add their own events when they happen. An export records a proposal or a sending (建议移送, 已推送),
  never a disposal: 移送公安 and the other disposals come only from `actions` (or a reviewed decision),
  and export events an older database recorded under a disposal's name are renamed here.
Running it twice for the same run adds nothing. The SQL and the one transaction of a run's record are in
fundrisk/warehouse/ledger_store.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from fundrisk.warehouse import ledger_store
from fundrisk.warehouse.db import Connection
from fundrisk.warehouse.publish_store import record_events, rename_export_events
from fundrisk.warehouse.runs_store import is_older_than_any
from scoring.config import tier_scale

CLOSING_EVENTS = ("复查", "销号")


def update_ledger(con: Connection, run_id: str) -> dict[str, Any]:
    """Record the run's tier changes, refresh the subjects and mirror the actions input (idempotent)."""
    now = dt.datetime.now()
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
    # a subject first seen at the lowest tier of tiers.toml is not a change
    changes = ledger_store.record_run(con, run_id, now, unflagged=tier_scale().bottom)
    return {
        "run_id": run_id,
        "subjects": ledger_store.run_subjects(con, run_id),
        "tier_changes": changes,
        "action_events": ledger_store.action_events(con),
        "overdue": overdue_rectifications(con, now.date()).height,
    }


def _is_stale(con: Connection, run_id: str) -> bool:
    """True when the ledger already holds a run that started after this one."""
    return is_older_than_any(con, run_id, ledger_store.ledger_runs(con))


def overdue_rectifications(con: Connection, as_of: dt.date | None = None) -> pl.DataFrame:
    """One row per subject with an action whose deadline passed before `as_of` and no later 复查 or 销号.

    Columns: subject_kind, subject_id, name, current_tier, event, event_on, unit, deadline (the most
    overdue action), days_overdue, open_actions (how many such actions the subject has).
    """
    return ledger_store.overdue_actions(con, as_of or dt.date.today(), CLOSING_EVENTS)


def subject_history(con: Connection, subject_kind: str, subject_id: str) -> dict[str, Any]:
    """The ledger of one subject: its row, its tier changes and its events, oldest first."""
    row, tiers, events = ledger_store.subject_ledger(con, subject_kind, subject_id)
    return {
        "subject": row.to_dicts()[0] if row.height else None,
        "tiers": tiers.to_dicts(),
        "events": events.to_dicts(),
    }


def record_unmasked_export(con: Connection, what: str, file: str, rows: int) -> None:
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
