"""`fundrisk dossier CODE --out FILE.html|.xlsx [--unmask]`: one subject's case file (风险机构档案)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fundrisk.cli_support import DbOption, app, existing_folder_of, guarded, out, resolve_db


@app.command("dossier")
@guarded
def dossier_command(
    code: Annotated[str, typer.Argument(help="统一社会信用代码，或无照经营线索编号（WZ-…）")],
    out_path: Annotated[
        Path, typer.Option("--out", help="档案文件路径（.html 或 .xlsx）", callback=existing_folder_of)
    ],
    unmask: Annotated[
        bool, typer.Option("--unmask", help="不脱敏显示证件号码、电话、账号和举报人（将记入台账）")
    ] = False,
    db: DbOption = None,
) -> None:
    """风险机构档案：登记信息、负责人、工商信息、关联预警线索与排查登记、核查处置、等级变化和证据材料。"""
    from fundrisk.publish.dossier import dossier_format, write_dossier
    from fundrisk.warehouse.db import session

    dossier_format(out_path)  # a wrong suffix is reported before the database is opened
    with session(resolve_db(db), read_only=not unmask) as con:
        report = write_dossier(con, code, out_path, unmask=unmask)
    counts = report.records
    out.print(
        f"已生成风险机构档案：{report.path}（{report.name}，预警 {counts.get('alerts', 0)} 条、"
        f"线索 {counts.get('clues', 0)} 条、排查登记 {counts.get('surveys', 0)} 条、"
        f"证据材料 {report.evidence} 个）",
        markup=False,
        soft_wrap=True,
    )
    if unmask:
        out.print("本档案未脱敏，已记入动态管理台账。", markup=False)
