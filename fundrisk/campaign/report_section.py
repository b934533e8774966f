"""The campaign report's 百日清零 section: progress per town (full) and per grid (compact), as HTML parts."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

import polars as pl

from fundrisk.campaign.progress import LABELS, campaign_progress, percent
from fundrisk.errors import BadInput
from fundrisk.warehouse.db import CatalogError, Connection

TOWN = ["town", "registrations", "surveyed", "coverage", "unregistered_doors", "unswept_grids"]
TOWN += ["found", "inspected", "rectifying", "overdue", "referred", "cleared", "open", "clearance"]
GRID = [
    "grid",
    "registrations",
    "surveyed",
    "coverage",
    "unregistered_doors",
    "found",
    "cleared",
    "clearance",
]


def _shown(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """Chinese headers, shares as percentages."""
    shares = [c for c in ("coverage", "clearance") if c in columns]
    frame = frame.select(columns).with_columns(
        pl.when(pl.col(c).is_null())
        .then(pl.lit("—"))
        .otherwise(pl.format("{}%", (pl.col(c) * 100).round(1)))
        .alias(c)
        for c in shares
    )
    return frame.rename({c: LABELS[c] for c in columns})


def progress_section(con: Connection, table: Callable[[pl.DataFrame], str]) -> list[str]:
    """HTML parts of the section; a campaign file that cannot be read is said in one line, not fatal."""
    try:
        progress = campaign_progress(con)
    except BadInput as exc:
        return ["<h2>七、百日清零进度</h2>", f"<p class='note'>{escape(str(exc))}</p>"]
    except CatalogError:  # a file from before the survey kind, opened read-only
        return [
            "<h2>七、百日清零进度</h2>",
            "<p class='note'>数据库版本较旧，运行一次 fundrisk run 后显示。</p>",
        ]
    c, t = progress.campaign, progress.total
    unswept = "、".join(progress.unswept) or "无"
    return [
        "<h2>七、百日清零进度</h2>",
        f"<p>{escape(c.name)}（{c.start:%Y-%m-%d} 至 {c.end:%Y-%m-%d}），统计截至 {progress.as_of:%Y-%m-%d}："
        f"发现风险主体 {t['found']} 家，已销号 {t['cleared']} 家，清零进度 {percent(t['clearance'])}"
        f"（目标 {c.target:.0%}，时间进度 {percent(progress.time_share)}）；排查覆盖率 {percent(t['coverage'])}，"
        f"未排查网格：{escape(unswept)}。</p>",
        "<h3>各镇街</h3>",
        table(_shown(progress.towns, TOWN)),
        "<h3>各网格</h3>",
        table(_shown(progress.grids, GRID)),
    ]
