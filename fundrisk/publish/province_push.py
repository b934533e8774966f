"""Push to the provincial financial monitoring centre (省金融监测运行中心).

Registered entities only: the province files every pushed entity under its unified social credit code,
so unregistered operators (leads) stay in the district's own lists (inspection list, warning list).
An entity is pushed when its latest tier is at or above tiers.toml's `province_push` (中风险), it is not on the provincial 金安工程 list
(by code or by normalised name), and it has not been pushed before at the same or a higher tier, so a
second export right after the first holds no rows, and an entity is pushed again only when its tier
rises. Every pushed row is recorded in `pushes` and as a ledger event 已推送 (source 'push'): a record that
the list was sent, not a disposal.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from fundrisk.publish.safety import protect
from fundrisk.publish.subjects import resolve_run, scored_subjects, tier_rank
from fundrisk.publish.writers import export_format, write_frame
from fundrisk.settings import get_settings
from fundrisk.warehouse.db import Connection
from fundrisk.warehouse.publish_store import PUSH_EVENT, pushed_ranks, record_pushes
from scoring.config import tier_scale

DEFAULT_UNIT = "文昌湖区防范和处置非法集资工作领导小组办公室"
ALERT_CHANNEL = "资金异动监测"
EVENT = PUSH_EVENT
COLUMNS = {
    "uscc": "统一社会信用代码",
    "name": "企业名称",
    "legal_rep": "法定代表人",
    "address": "注册地址",
    "industry": "所属行业",
    "tier": "风险等级",
    "score": "风险评分",
    "top_reasons": "主要风险因素",
    "sources": "线索来源",
    "people": "涉及人数",
    "amount_wan": "涉及金额(万元)",
    "unit": "推送单位",
    "pushed_on_text": "推送日期",
}


def default_unit() -> str:
    """The pushing office: FUNDRISK_PUSH_UNIT when settings define it, else the district's 处非办."""
    return str(getattr(get_settings(), "push_unit", None) or DEFAULT_UNIT)


def push_candidates(con: Connection, run_id: str) -> pl.DataFrame:
    """Registered entities of the run from the push's tier (tiers.toml [lists]) up, off the provincial
    list, not yet pushed this high."""
    subjects = scored_subjects(con, run_id, tier_scale().floor_of("province_push")).filter(
        (pl.col("subject_kind") == "registration") & ~pl.col("on_list") & pl.col("uscc").is_not_null()
    )
    pushed = pushed_ranks(con)
    return (
        subjects.join(pushed, on="uscc", how="left")
        .filter(tier_rank(pl.col("tier")) > pl.col("pushed_rank").fill_null(0))
        .drop("pushed_rank")
    )


def _sources() -> pl.Expr:
    """Distinct channels of the linked clues, plus 资金异动监测 when fund-flow alerts are linked."""
    channels = (
        pl.col("channels").fill_null("").str.split("、").list.eval(pl.element().filter(pl.element() != ""))
    )
    alerts = (
        pl.when(pl.col("alert_count") > 0)
        .then(pl.lit([ALERT_CHANNEL]))
        .otherwise(pl.lit([], dtype=pl.List(pl.String)))
    )
    joined = pl.concat_list(channels, alerts).list.unique(maintain_order=True).list.join("、")
    return pl.when(joined == "").then(None).otherwise(joined)


def write_province_push(
    con: Connection,
    path: Path,
    unit: str | None = None,
    run_id: str | None = None,
    pushed_on: dt.date | None = None,
    unmask: bool = False,
) -> int:
    """Write the push file (.csv or .xlsx) and record what was pushed; returns the number of entities."""
    export_format(path)
    run = resolve_run(con, run_id)
    unit = (unit or "").strip() or default_unit()
    day = pushed_on or dt.date.today()
    rows = push_candidates(con, run)
    rows = rows.with_columns(
        _sources().alias("sources"),
        pl.lit(unit).alias("unit"),
        pl.lit(day.isoformat()).alias("pushed_on_text"),
    )
    table = rows.select([pl.col(k).alias(v) for k, v in COLUMNS.items()])
    write_frame(protect(table, codes=["统一社会信用代码"], unmask=unmask), path, sheet_name="推送名单")
    if rows.height:
        file = Path(path).name
        pushes = rows.select(
            "uscc",
            "tier",
            "score",
            pl.lit(day).alias("pushed_on"),
            pl.lit(file).alias("file"),
            pl.lit(run).alias("run_id"),
            pl.lit(unit).alias("unit"),
        )
        events = rows.select(
            "subject_kind",
            "subject_id",
            pl.lit(EVENT).alias("event"),
            pl.lit(day).alias("event_on"),
            pl.lit(unit).alias("unit"),
            pl.lit(None, dtype=pl.Date).alias("deadline"),
            pl.lit("push").alias("source"),
            pl.format("{}，评分 {}，文件 {}", pl.col("tier"), pl.col("score"), pl.lit(file)).alias("detail"),
            pl.lit(run).alias("run_id"),
        )
        record_pushes(con, pushes, events)
    return rows.height
