"""Prefect tasks of the campaign (issue 13): the week's progress as a table artifact, the weekly brief.

Thin wrappers: the daily pipeline records progress after each run, the weekly push writes the brief.
Results are counts and paths only (no personal data) and are not persisted.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from flows.steps import step
from fundrisk.campaign.brief import parse_week, write_brief
from fundrisk.campaign.progress import LABELS, campaign_progress, percent, week_by_town
from fundrisk.errors import BadInput
from fundrisk.warehouse.db import DatabaseError, session

TASK: dict[str, Any] = {"persist_result": False, "cache_policy": NO_CACHE}
ARTIFACT_KEY = "fundrisk-campaign-progress"
WEEK = {"surveys": "本周排查", "found": "本周新发现", "inspections": "本周核查", "disposals": "本周处置"}
WEEK |= {"referrals": "本周移送公安", "closures": "本周销号"}


def week_rows(db: str, today: dt.date, in_run: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """The ISO week containing today and one row per town (and 合计): the week's work and the totals.

    in_run: read beside a run's own connections (duckdb opens a file one way per process: read-write)."""
    monday = today - dt.timedelta(days=today.weekday())
    with session(db, read_only=not in_run) as con:
        progress = campaign_progress(con, today)
    table = week_by_town(progress, monday, today)
    rows = []
    for r in table.iter_rows(named=True):
        row: dict[str, Any] = {"镇街": r["town"], **{label: r[k] for k, label in WEEK.items()}}
        row[LABELS["found"] + "（累计）"] = r["total_found"]
        row[LABELS["cleared"]] = r["total_cleared"]
        row[LABELS["clearance"]] = percent(r["total_clearance"])
        row[LABELS["coverage"]] = percent(r["total_coverage"])
        rows.append(row)
    iso = monday.isocalendar()
    return f"{iso.year}-W{iso.week:02d}（{monday:%Y-%m-%d} 至 {today:%Y-%m-%d}）", rows


@task(name=step("campaign"), **TASK)
def campaign_progress_task(db: str, in_run: bool = False) -> dict[str, Any]:
    """This week's progress per town as a Prefect table artifact; a campaign that cannot be read is logged.

    in_run: submitted by the pipeline beside its exports, on the run's kind of connection."""
    try:
        week, rows = week_rows(db, dt.date.today(), in_run)
    except (BadInput, DatabaseError) as exc:
        get_run_logger().warning("campaign progress not recorded: %s", exc)
        return {"recorded": False}
    create_table_artifact(rows, key=ARTIFACT_KEY, description=f"百日清零进度：{week}")
    return {"recorded": True, "week": week, "towns": len(rows) - 1}


@task(name=step("brief"), **TASK)
def brief_task(db: str, out_dir: str, week: str | None = None) -> dict[str, str]:
    """The weekly brief of the last full week (or `week`) as 工作简报_<week>.docx in out_dir."""
    span = parse_week(week)
    path = Path(out_dir) / f"工作简报_{span.label}.docx"
    with session(db, read_only=True) as con:
        written = write_brief(con, path, span.label)
    return {"file": str(written), "week": span.label}
