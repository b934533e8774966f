"""`fundrisk export …`: the four lists an analyst hands over (format by suffix: .xlsx or .csv)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from fundrisk.cli_support import DbOption, existing_folder_of, guarded, out, resolve_db

export_app = typer.Typer(
    help="导出清单（按文件后缀 .xlsx 或 .csv 决定格式；CSV 为带 BOM 的 UTF-8）。", no_args_is_help=True
)
OutOption = Annotated[
    Path, typer.Option("--out", help="输出文件路径（.xlsx 或 .csv）", callback=existing_folder_of)
]
UnmaskOption = Annotated[bool, typer.Option("--unmask", help="不脱敏导出证件号码和电话（将记入台账）")]


def run_export(what: str, path: Path, db: Path | None, **options: Any) -> None:
    from fundrisk.publish import export
    from fundrisk.warehouse.db import session

    with session(resolve_db(db)) as con:
        report = export(con, what, path, **options)
    out.print(f"已导出 {report.rows} 行：{report.path}", markup=False)


@export_app.command("inspection-list")
@guarded
def export_inspection_list(
    out_path: OutOption,
    min_tier: Annotated[str, typer.Option("--min-tier", help="最低风险等级：高 / 中 / 低 / 无")] = "中",
    town: Annotated[
        str | None, typer.Option("--town", help="只导出该镇街的主体（如 萌水镇；多个用逗号分隔）")
    ] = None,
    grid: Annotated[
        str | None, typer.Option("--grid", help="只导出该网格的主体（如 萌水镇第3网格；多个用逗号分隔）")
    ] = None,
    unmask: UnmaskOption = False,
    db: DbOption = None,
) -> None:
    """现场核查重点机构名单：汇总表、按国民经济行业门类分表和字段说明；含核查与处置状态，已销号主体不列入。"""
    run_export("inspection-list", out_path, db, min_tier=min_tier, town=town, grid=grid, unmask=unmask)


@export_app.command("province-push")
@guarded
def export_province_push(
    out_path: OutOption,
    unit: Annotated[str | None, typer.Option("--unit", help="推送单位名称")] = None,
    unmask: UnmaskOption = False,
    db: DbOption = None,
) -> None:
    """向省金融监测运行中心推送：中风险及以上、不在金安工程清单内、未以同等或更高等级推送过的主体。"""
    run_export("province-push", out_path, db, unit=unit, unmask=unmask)


@export_app.command("police-referrals")
@guarded
def export_police_referrals(out_path: OutOption, unmask: UnmaskOption = False, db: DbOption = None) -> None:
    """移送公安线索：核查确认非法集资，或达到 2022 年司法解释第三条立案标准的主体，注明认定依据。"""
    run_export("police-referrals", out_path, db, unmask=unmask)


@export_app.command("warning-list")
@guarded
def export_warning_list(out_path: OutOption, db: DbOption = None) -> None:
    """风险提示名单（可公开）：名称、代码、地址与标准风险提示语。"""
    run_export("warning-list", out_path, db)


@export_app.command("stability-list")
@guarded
def export_stability_list(out_path: OutOption, unmask: UnmaskOption = False, db: DbOption = None) -> None:
    """涉稳群体/重点人员名单（推送公安分局、维稳办）：涉稳隐患高或出现跑路、无法兑付、聚集、上访等信号的主体。"""
    run_export("stability-list", out_path, db, unmask=unmask)
