"""`fundrisk campaign` (百日清零 progress by town, grid, phase and week) and `fundrisk brief` (工作简报)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from rich.markup import escape
from rich.table import Table

from fundrisk.cli_support import DataTable, DbOption, app, existing_folder_of, guarded, out, resolve_db
from fundrisk.errors import BadInput
from fundrisk.warehouse.db import CatalogError

CampaignOption = Annotated[
    Path | None,
    typer.Option(
        "--campaign",
        envvar="FUNDRISK_CAMPAIGN",
        help="活动配置文件 campaign.toml（默认：内置的百日清零专项行动）",
    ),
]
# Narrow headers for a terminal; --json and the report carry every column.
SHORT = {
    "town": "镇街",
    "grid": "网格",
    "registrations": "在册",
    "surveyed": "已排查",
    "coverage": "覆盖率",
    "unregistered_doors": "无照",
    "survey_records": "记录",
    "unswept_grids": "未排查网格",
    "found": "发现",
    "inspected": "核查",
    "rectifying": "整改中",
    "overdue": "逾期",
    "referred": "移送",
    "cleared": "销号",
    "open": "未清零",
    "clearance": "清零进度",
    "period": "时段",
    "start": "起",
    "end": "止",
    "surveys": "排查",
    "inspections": "核查",
    "disposals": "处置",
    "referrals": "移送",
    "closures": "销号",
}
PLACE = ["registrations", "surveyed", "coverage", "unregistered_doors", "survey_records", "unswept_grids"]
STATE = ["found", "inspected", "rectifying", "overdue", "referred", "cleared", "open", "clearance"]
GRID = ["grid", "registrations", "surveyed", "coverage", "unregistered_doors", "found", "cleared", "open"]
FLOWS = ["period", "start", "end", "surveys", "found", "inspections", "disposals", "referrals", "closures"]
SHARES = {"coverage", "clearance"}


def _day(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"日期「{text}」无法识别，请写成 2026-06-30") from None


def _rich(title: str, frame: pl.DataFrame, columns: list[str]) -> Table:
    from fundrisk.campaign.progress import percent

    table = DataTable(title=title)
    for col in columns:
        table.add_column(
            SHORT.get(col, col), justify="left" if col in ("town", "grid", "period") else "right"
        )
    for row in frame.select(columns).iter_rows(named=True):
        table.add_row(
            *[percent(v) if c in SHARES else ("—" if v is None else str(v)) for c, v in row.items()]
        )
    return table


@contextmanager
def _campaign_tables() -> Iterator[None]:
    """A database file from before the survey kind lacks its tables until a run has written to it."""
    try:
        yield
    except CatalogError:
        raise BadInput(
            "数据库中缺少排查登记等表（数据库版本较旧），请先运行一次 fundrisk run 或 fundrisk ingest"
        ) from None


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return [{k: _jsonable(v) for k, v in row.items()} for row in frame.iter_rows(named=True)]


@app.command("campaign")
@guarded
def campaign_command(
    db: DbOption = None,
    campaign: CampaignOption = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="统计截止日期（默认今天），如 2026-06-30")
    ] = None,
    town: Annotated[str | None, typer.Option("--town", help="只看一个镇街")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON 对象")] = False,
) -> None:
    """百日清零进度：全区、各镇街、各网格的发现、核查、整改、移送、销号与排查覆盖率，按阶段和按周。"""
    from fundrisk.campaign.progress import campaign_progress, percent
    from fundrisk.warehouse.db import session

    with session(resolve_db(db), read_only=True) as con, _campaign_tables():
        progress = campaign_progress(con, _day(as_of), campaign, town)
    if town is not None and progress.towns.height == 0:
        raise BadInput(f"没有镇街「{town}」的数据，请检查 --town")
    c = progress.campaign
    if as_json:
        print(
            json.dumps(
                {
                    "campaign": {
                        "name": c.name,
                        "start": c.start.isoformat(),
                        "end": c.end.isoformat(),
                        "target": c.target,
                        "phases": [
                            {"name": p.name, "start": p.start.isoformat(), "end": p.end.isoformat()}
                            for p in c.phases
                        ],
                    },
                    "as_of": progress.as_of.isoformat(),
                    "time_share": round(progress.time_share, 4),
                    "total": {k: _jsonable(v) for k, v in progress.total.items()},
                    "towns": _records(progress.towns),
                    "grids": _records(progress.grids),
                    "by_phase": _records(progress.by_phase),
                    "by_week": _records(progress.by_week),
                    "unswept_grids": progress.unswept,
                },
                ensure_ascii=False,
            )
        )
        return
    t = progress.total
    out.print(f"[bold]{escape(c.name)}[/bold]（{c.start:%Y-%m-%d} 至 {c.end:%Y-%m-%d}）", soft_wrap=True)
    out.print(
        f"统计截至 {progress.as_of:%Y-%m-%d}{'，' + town if town else ''}：发现风险主体 {t['found']} 家，"
        f"已销号 {t['cleared']} 家，清零进度 {percent(t['clearance'])}（目标 {c.target:.0%}，"
        f"时间进度 {percent(progress.time_share)}）；排查覆盖率 {percent(t['coverage'])}。",
        markup=False,
        soft_wrap=True,
    )
    total = pl.DataFrame([{"town": "合计", **t}])
    towns = pl.concat([progress.towns, total.select(progress.towns.columns)], how="vertical_relaxed")
    out.print(_rich("各镇街排查", towns, ["town", *PLACE]))
    out.print(_rich("各镇街处置与清零", towns, ["town", *STATE]))
    out.print(_rich("各网格（覆盖率 = 已排查在册主体 / 在册主体）", progress.grids, GRID))
    out.print(_rich("按阶段", progress.by_phase, FLOWS))
    out.print(_rich("按周", progress.by_week, FLOWS))
    if progress.unswept:
        out.print(
            f"未排查网格（{len(progress.unswept)} 个）：{'、'.join(progress.unswept)}",
            markup=False,
            soft_wrap=True,
        )


@app.command("brief")
@guarded
def brief_command(
    out_path: Annotated[
        Path, typer.Option("--out", help="工作简报文件路径（.docx）", callback=existing_folder_of)
    ],
    week: Annotated[
        str | None, typer.Option("--week", help="ISO 周次，如 2026-W24（默认：上一个完整的周）")
    ] = None,
    db: DbOption = None,
    campaign: CampaignOption = None,
) -> None:
    """生成本周工作简报（Word）：新发现风险、核查处置、移送、逾期整改、清零进度、各镇街情况和下步工作。"""
    from fundrisk.campaign.brief import write_brief
    from fundrisk.warehouse.db import session

    with session(resolve_db(db), read_only=True) as con, _campaign_tables():
        path = write_brief(con, out_path, week, campaign)
    out.print(f"已生成工作简报：{path}", markup=False)
