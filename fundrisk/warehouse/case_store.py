"""Where each case stands (处置状态), derived from the inspections and actions inputs as of a date.

The working lists, `explain` and scoring all need the same answer to "what was already done", so it is
computed once here, in SQL. One row per subject that has an inspection or an action on or before
`as_of`; a subject with neither is 未核查 (callers fill that in after their join).

Statuses, first match wins (STATUSES is that order):
- 已销号: a 销号 action, or any action whose notes say 清退完毕, not followed by a later reopening action
  (anything but 复查/销号/清退完毕; a same-day action does not reopen). closed_on is its date.
- 已移送: a 移送公安 disposal after the last closure. Disposals come from `actions`, or from ledger_events
  of a reviewed decision (source in REVIEWED_SOURCES); an export's events (建议移送, 已推送, and the
  移送公安 that older databases recorded for a referral export) never count.
- 逾期未整改: an open action whose deadline is before as_of. "Open" is the rule of
  fundrisk.publish.ledger.overdue_rectifications: no 复查 or 销号 on or after the action (here a
  清退完毕 action also ends it).
- 整改中: an open action (约谈, 责令整改, 公告公示, …) that is not overdue.
- 已核查: inspected, or every action was followed by a 复查, and nothing above applies.
deadline is the earliest 整改期限 among the open actions (the overdue one when overdue).
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from fundrisk.warehouse.frames import read
from fundrisk.warehouse.inspections_sql import latest_inspections

NOT_INSPECTED = "未核查"
STATUSES = ("已销号", "已移送", "逾期未整改", "整改中", "已核查", NOT_INSPECTED)
CASE_COLUMNS = (
    "subject_kind",
    "subject_id",
    "last_inspected_on",
    "last_conclusion",
    "status",
    "closed_on",
    "deadline",
    "status_on",
    "last_action",
    "last_action_on",
)
# Disposals a reviewed decision may add to ledger_events (the vocabulary of the actions input).
DISPOSALS = ("约谈", "警示教育", "责令整改", "公告公示", "行政处罚", "移送公安", "物业通报", "复查", "销号")
REVIEWED_SOURCES = ("review",)
_DISPOSAL_LIST = ", ".join(f"'{d}'" for d in DISPOSALS)
_SOURCE_LIST = ", ".join(f"'{s}'" for s in REVIEWED_SOURCES)

_CASE_STATES = f"""
WITH events AS (
    SELECT 'registration' AS subject_kind, uscc AS subject_id, action AS event, action_on AS event_on,
        deadline, coalesce(notes, '') AS notes
    FROM actions WHERE action_on <= $as_of AND ($subject IS NULL OR uscc = $subject)
    UNION ALL
    SELECT subject_kind, subject_id, event, event_on, deadline, coalesce(detail, '')
    FROM ledger_events
    WHERE source IN ({_SOURCE_LIST}) AND event IN ({_DISPOSAL_LIST}) AND event_on <= $as_of
        AND ($subject IS NULL OR subject_id = $subject)
), marked AS (
    SELECT *, event = '销号' OR notes LIKE '%清退完毕%' AS closing FROM events
), bounds AS (
    SELECT subject_kind, subject_id,
        max(event_on) FILTER (WHERE closing) AS closed_on,
        max(event_on) FILTER (WHERE closing OR event IN ('复查', '销号')) AS reviewed_on
    FROM marked GROUP BY ALL
), flagged AS (
    SELECT m.*, b.closed_on,
        NOT m.closing AND m.event NOT IN ('复查', '销号')
            AND (b.reviewed_on IS NULL OR m.event_on > b.reviewed_on) AS open,
        NOT m.closing AND m.event <> '复查' AND m.event_on > b.closed_on AS reopens
    FROM marked m JOIN bounds b USING (subject_kind, subject_id)
), acted AS (
    SELECT subject_kind, subject_id, any_value(closed_on) AS closed_on,
        coalesce(bool_or(reopens), FALSE) AS reopened,
        bool_or(event = '移送公安' AND (closed_on IS NULL OR event_on > closed_on)) AS referred,
        bool_or(open AND deadline < $as_of) AS overdue,
        bool_or(open) AS in_progress,
        min(deadline) FILTER (WHERE open) AS deadline,
        arg_max(event, event_on) AS last_action, max(event_on) AS last_action_on
    FROM flagged GROUP BY ALL
), inspected AS (
    SELECT 'registration' AS subject_kind, uscc AS subject_id, inspected_on AS last_inspected_on,
        conclusion AS last_conclusion
    FROM ({latest_inspections("inspected_on <= $as_of AND ($subject IS NULL OR uscc = $subject)")})
), joined AS (
    SELECT subject_kind, subject_id, i.last_inspected_on, i.last_conclusion,
        a.closed_on IS NOT NULL AND NOT a.reopened AS closed, a.*  EXCLUDE (subject_kind, subject_id)
    FROM inspected i FULL OUTER JOIN acted a USING (subject_kind, subject_id)
)
SELECT subject_kind, subject_id, last_inspected_on, last_conclusion,
    CASE WHEN closed THEN '已销号' WHEN referred THEN '已移送' WHEN overdue THEN '逾期未整改'
        WHEN in_progress THEN '整改中' ELSE '已核查' END AS status,
    CASE WHEN closed THEN closed_on END AS closed_on,
    CASE WHEN closed THEN NULL ELSE deadline END AS deadline,
    $as_of::DATE AS status_on, last_action, last_action_on
FROM joined
ORDER BY subject_kind, subject_id
"""  # noqa: S608 — constant SQL text (literal tuples above); values are parameters


def case_states(
    con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None, subject_id: str | None = None
) -> pl.DataFrame:
    """One row per subject with an inspection or action by `as_of` (default today); see the module doc.

    `subject_id` limits the work to one subject (explain), instead of computing every case and filtering.

    Columns: subject_kind, subject_id, last_inspected_on, last_conclusion, status, closed_on, deadline,
    status_on, last_action, last_action_on.
    """
    day = as_of or dt.date.today()
    return read(con, _CASE_STATES, {"as_of": day, "subject": subject_id}).select(CASE_COLUMNS)


def with_case_states(frame: pl.DataFrame, states: pl.DataFrame) -> pl.DataFrame:
    """Left-join the states onto a frame keyed by subject_kind/subject_id; subjects without any are 未核查."""
    joined = frame.join(states, on=["subject_kind", "subject_id"], how="left")
    return joined.with_columns(pl.col("status").fill_null(NOT_INSPECTED))
