"""`fundrisk export …`: the four lists an analyst hands over (format by suffix: .xlsx or .csv)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from fundrisk.cli_support import DbOption, existing_folder_of, guarded, out, resolve_db
from fundrisk.exports import EXPORTS
from scoring.config import tier_scale

# Help lines and the --min-tier default come from fundrisk/exports.toml and scoring/tiers.toml.
_SCALE = tier_scale()
_SHORT = [_SCALE.short(name) for name in _SCALE.names]
_DEFAULT_TIER = _SCALE.short(_SCALE.floor_of("inspection_list"))

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


@export_app.command("inspection-list", help=EXPORTS["inspection-list"].help())
@guarded
def export_inspection_list(
    out_path: OutOption,
    min_tier: Annotated[
        str, typer.Option("--min-tier", help=f"最低风险等级：{' / '.join(_SHORT)}")
    ] = _DEFAULT_TIER,
    town: Annotated[
        str | None, typer.Option("--town", help="只导出该镇街的主体（如 萌水镇；多个用逗号分隔）")
    ] = None,
    grid: Annotated[
        str | None, typer.Option("--grid", help="只导出该网格的主体（如 萌水镇第3网格；多个用逗号分隔）")
    ] = None,
    unmask: UnmaskOption = False,
    db: DbOption = None,
) -> None:
    run_export("inspection-list", out_path, db, min_tier=min_tier, town=town, grid=grid, unmask=unmask)


@export_app.command("province-push", help=EXPORTS["province-push"].help())
@guarded
def export_province_push(
    out_path: OutOption,
    unit: Annotated[str | None, typer.Option("--unit", help="推送单位名称")] = None,
    unmask: UnmaskOption = False,
    db: DbOption = None,
) -> None:
    run_export("province-push", out_path, db, unit=unit, unmask=unmask)


@export_app.command("police-referrals", help=EXPORTS["police-referrals"].help())
@guarded
def export_police_referrals(out_path: OutOption, unmask: UnmaskOption = False, db: DbOption = None) -> None:
    run_export("police-referrals", out_path, db, unmask=unmask)


@export_app.command("warning-list", help=EXPORTS["warning-list"].help())
@guarded
def export_warning_list(out_path: OutOption, db: DbOption = None) -> None:
    run_export("warning-list", out_path, db)


@export_app.command("stability-list", help=EXPORTS["stability-list"].help())
@guarded
def export_stability_list(out_path: OutOption, unmask: UnmaskOption = False, db: DbOption = None) -> None:
    run_export("stability-list", out_path, db, unmask=unmask)
