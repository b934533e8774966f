"""Reads behind the campaign's progress (fundrisk/campaign): premises found, grid coverage, dated activity.

All SQL, whole-table; values are parameters. A subject's place is its registration's town and grid, or for
an unregistered-operator lead the grid of its surveys (else of its clues). Case states come from
fundrisk.warehouse.case_store, the one definition of 整改中 / 逾期未整改 / 已移送 / 已销号.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from fundrisk.warehouse.case_store import case_states, with_case_states
from fundrisk.warehouse.features_sql import SURVEY_FLAG
from fundrisk.warehouse.frames import read
from fundrisk.warehouse.runs_store import latest_run
from scoring.config import tier_scale

PROBLEMS = ("确认非法集资", "存在风险隐患")  # inspection conclusions that find a premise whatever its score
UNKNOWN = "未知"
_PROBLEMS = ", ".join(f"'{c}'" for c in PROBLEMS)
# A deregistered entity (注销, not 吊销未注销) has no premise to sweep.
_LIVE = "NOT (coalesce(status, '') LIKE '%注销%' AND coalesce(status, '') NOT LIKE '%未注销%')"

_PLACES = f"""
grid_town AS (
    SELECT grid, min(town) AS town FROM registrations WHERE grid IS NOT NULL GROUP BY grid
), lead_place AS (
    SELECT m.lead_id, min(v.grid) AS survey_grid, min(c.grid) AS clue_grid,
        min(v.town) AS survey_town, min(c.town) AS clue_town
    FROM lead_members m
    LEFT JOIN surveys v ON m.source_kind = 'survey' AND v.survey_id = m.source_id
    LEFT JOIN clues c ON m.source_kind = 'clue' AND c.clue_id = m.source_id
    GROUP BY m.lead_id
), lead_rows AS (
    SELECT l.lead_id, l.name, coalesce(p.survey_grid, p.clue_grid) AS grid,
        coalesce(l.town, p.survey_town, p.clue_town) AS town,
        p.survey_grid IS NOT NULL AS surveyed_door
    FROM leads l LEFT JOIN lead_place p USING (lead_id)
), live AS (
    SELECT uscc, name, town, grid FROM registrations WHERE {_LIVE}
)"""  # noqa: S608 — constant text

_FOUND = f"""
WITH {_PLACES.strip()}, latest AS (
    SELECT subject_kind, subject_id, name, tier FROM risk_scores WHERE run_id = $run
), first_flag AS (
    SELECT subject_kind, subject_id, min(scored_at)::DATE AS flagged_on
    FROM risk_scores WHERE list_contains($found_tiers, tier) GROUP BY ALL
), problem AS (
    SELECT 'registration' AS subject_kind, uscc AS subject_id, min(inspected_on) AS problem_on
    FROM inspections WHERE conclusion IN ({_PROBLEMS}) AND inspected_on <= $as_of GROUP BY uscc
), links AS (
    SELECT 'registration' AS subject_kind, uscc AS subject_id, source_kind, source_id FROM entity_links
    UNION SELECT 'lead', lead_id, source_kind, source_id FROM lead_members
), surveyed AS (
    SELECT l.subject_kind, l.subject_id, min(v.surveyed_on) AS first_surveyed_on,
        min(v.surveyed_on) FILTER (WHERE k.keyword_score >= $flag) AS flagged_survey_on
    FROM links l
    JOIN surveys v ON l.source_kind = 'survey' AND v.survey_id = l.source_id AND v.surveyed_on <= $as_of
    LEFT JOIN keyword_scores k ON k.subject_kind = 'survey' AND k.subject_id = v.survey_id
    GROUP BY ALL
), found AS (
    SELECT subject_kind, subject_id FROM latest WHERE list_contains($found_tiers, tier)
    UNION SELECT subject_kind, subject_id FROM problem
)
SELECT f.subject_kind, f.subject_id, coalesce(t.name, r.name, d.name) AS name,
    coalesce(r.town, d.town, g.town, '{UNKNOWN}') AS town, coalesce(r.grid, d.grid, '{UNKNOWN}') AS grid,
    t.tier, least(ff.flagged_on, p.problem_on, s.flagged_survey_on) AS found_on, p.problem_on,
    s.first_surveyed_on
FROM found f
LEFT JOIN latest t USING (subject_kind, subject_id)
LEFT JOIN first_flag ff USING (subject_kind, subject_id)
LEFT JOIN problem p USING (subject_kind, subject_id)
LEFT JOIN surveyed s USING (subject_kind, subject_id)
LEFT JOIN registrations r ON f.subject_kind = 'registration' AND r.uscc = f.subject_id
LEFT JOIN lead_rows d ON f.subject_kind = 'lead' AND d.lead_id = f.subject_id
LEFT JOIN grid_town g ON g.grid = d.grid
WHERE least(ff.flagged_on, p.problem_on, s.flagged_survey_on) <= $as_of
ORDER BY f.subject_kind, f.subject_id
"""  # noqa: S608 — constant text; values are parameters

_GRIDS = f"""
WITH {_PLACES.strip()}, regs AS (
    SELECT grid, min(town) AS town, count(*) AS registrations FROM live GROUP BY grid
), visits AS (
    SELECT grid, min(town) AS town, count(*) AS survey_records, count(DISTINCT address) AS doors_visited,
        min(surveyed_on) AS first_surveyed_on, max(surveyed_on) AS last_surveyed_on
    FROM surveys WHERE surveyed_on <= $as_of GROUP BY grid
), covered AS (
    SELECT r.grid, count(DISTINCT r.uscc) AS surveyed
    FROM entity_links e
    JOIN surveys v ON e.source_kind = 'survey' AND v.survey_id = e.source_id AND v.surveyed_on <= $as_of
    JOIN live r ON r.uscc = e.uscc
    GROUP BY r.grid
), doors AS (
    SELECT grid, count(*) AS unregistered_doors FROM lead_rows WHERE surveyed_door GROUP BY grid
)
SELECT coalesce(g.grid, v.grid) AS grid,
    coalesce(g.town, v.town, t.town, '{UNKNOWN}') AS town,
    coalesce(g.registrations, 0) AS registrations, coalesce(c.surveyed, 0) AS surveyed,
    coalesce(d.unregistered_doors, 0) AS unregistered_doors, coalesce(v.survey_records, 0) AS survey_records,
    coalesce(v.doors_visited, 0) AS doors_visited, v.first_surveyed_on, v.last_surveyed_on
FROM regs g
FULL JOIN visits v ON v.grid = g.grid
LEFT JOIN grid_town t ON t.grid = coalesce(g.grid, v.grid)
LEFT JOIN covered c ON c.grid = coalesce(g.grid, v.grid)
LEFT JOIN doors d ON d.grid = coalesce(g.grid, v.grid)
WHERE coalesce(g.grid, v.grid) IS NOT NULL
ORDER BY town, grid
"""  # noqa: S608 — constant text; values are parameters

# Dated work of the campaign, one row per event: 排查 (a survey), 核查 (an inspection), 处置 (an action
# other than 复查, 移送公安 and 销号), 移送公安, 销号. 发现 comes from the found premises (found_on).
_ACTIVITY = """
WITH grid_town AS (
    SELECT grid, min(town) AS town FROM registrations WHERE grid IS NOT NULL GROUP BY grid
), events AS (
    SELECT v.surveyed_on AS day, coalesce(v.town, g.town) AS town, v.grid, '排查' AS kind
    FROM surveys v LEFT JOIN grid_town g USING (grid)
    UNION ALL
    SELECT i.inspected_on, r.town, r.grid, '核查' FROM inspections i LEFT JOIN registrations r USING (uscc)
    UNION ALL
    SELECT a.action_on, r.town, r.grid,
        CASE a.action WHEN '移送公安' THEN '移送公安' WHEN '销号' THEN '销号' ELSE '处置' END
    FROM actions a LEFT JOIN registrations r USING (uscc) WHERE a.action <> '复查'
)
SELECT day, coalesce(town, '未知') AS town, coalesce(grid, '未知') AS grid, kind
FROM events WHERE day IS NOT NULL AND day <= $as_of
ORDER BY day, kind, town, grid
"""


def campaign_year(con: duckdb.DuckDBPyConnection) -> int | None:
    """The year of the newest survey (the data's campaign year), or None without surveys."""
    row = con.execute("SELECT year(max(surveyed_on)) FROM surveys").fetchone()
    return int(row[0]) if row and row[0] is not None else None


def found_premises(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pl.DataFrame:
    """Premises found by as_of (latest run at tiers.toml's `campaign_found` tier or above, or an inspection
    found a problem) with place and state.

    found_on is the first of: a run grading it so, an inspection finding a problem, a flagged survey.

    Columns: subject_kind, subject_id, name, town, grid, tier, found_on, problem_on, first_surveyed_on,
    then case_store's last_inspected_on, last_conclusion, status, closed_on, deadline, last_action(_on).
    """
    scale = tier_scale()
    params: dict[str, object] = {
        "run": latest_run(con),
        "as_of": as_of,
        "flag": SURVEY_FLAG,
        "found_tiers": list(scale.at_or_above(scale.floor_of("campaign_found"))),
    }
    found = read(con, _FOUND, params)
    states = case_states(con, as_of).drop("status_on")
    return with_case_states(found, states)


def grid_coverage(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pl.DataFrame:
    """Per grid: live registrations, registrations surveyed, unregistered doors found, survey records."""
    return read(con, _GRIDS, {"as_of": as_of})


def activity(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pl.DataFrame:
    """Dated campaign work (day, town, grid, kind) up to as_of."""
    return read(con, _ACTIVITY, {"as_of": as_of})


_WEEK_WORK = """
SELECT i.inspected_on AS day, '现场核查' AS kind, i.conclusion AS detail, NULL::DATE AS deadline,
    i.uscc AS subject_id, r.name, coalesce(r.town, '未知') AS town, r.grid
FROM inspections i LEFT JOIN registrations r USING (uscc)
WHERE i.inspected_on BETWEEN $start AND $end
UNION ALL
SELECT a.action_on, a.action, coalesce(a.unit, ''), a.deadline, a.uscc, r.name, coalesce(r.town, '未知'), r.grid
FROM actions a LEFT JOIN registrations r USING (uscc)
WHERE a.action_on BETWEEN $start AND $end
ORDER BY day, kind, subject_id
"""


def work_between(con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date) -> pl.DataFrame:
    """Inspections and actions dated in [start, end] with the subject's name and place (the brief's lists).

    Columns: day, kind (现场核查 or the action), detail (conclusion or unit), deadline, subject_id, name,
    town, grid."""
    return read(con, _WEEK_WORK, {"start": start, "end": end})


def overdue_cases(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pl.DataFrame:
    """Every case 逾期未整改 on as_of with its name, place, deadline and days overdue, most overdue first."""
    states = case_states(con, as_of).filter(pl.col("status") == "逾期未整改")
    names = read(
        con,
        "SELECT 'registration' AS subject_kind, uscc AS subject_id, name, coalesce(town, '未知') AS town, grid "
        "FROM registrations WHERE uscc IN (SELECT uscc FROM actions WHERE deadline < $as_of) "
        "UNION ALL SELECT 'lead', lead_id, name, coalesce(town, '未知'), NULL FROM leads "
        "WHERE lead_id IN (SELECT subject_id FROM ledger_events WHERE deadline < $as_of)",
        {"as_of": as_of},
    )
    joined = states.join(names, on=["subject_kind", "subject_id"], how="left")
    return joined.with_columns(
        (pl.lit(as_of) - pl.col("deadline")).dt.total_days().alias("days_overdue")
    ).sort(["days_overdue", "subject_id"], descending=[True, False])
