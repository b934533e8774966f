"""`fundrisk review export / import`: the queues a person decides, out to a workbook and back.

Registered on the app by fundrisk/cli.py. Messages are Simplified Chinese; bad input is exit 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from fundrisk.cli_support import DbOption, existing_folder_of, guarded, out, resolve_db

review_app = typer.Typer(
    help="人工复核：导出待复核清单（隔离数据、待确认关联、疑似同一经营者），填写复核结论后导入。",
    no_args_is_help=True,
)


@review_app.command("export")
@guarded
def review_export(
    out_path: Annotated[
        Path,
        typer.Option(
            "--out", help="待复核清单文件路径（.xlsx），如 待复核.xlsx", callback=existing_folder_of
        ),
    ],
    unmask: Annotated[bool, typer.Option("--unmask", help="不脱敏导出证件号码和电话（将记入台账）")] = False,
    db: DbOption = None,
) -> None:
    """导出待复核清单：每类事项一个工作表，「复核结论」列下拉选择，「备注」列填写依据。

    示例：fundrisk review export --out 待复核.xlsx
    """
    from fundrisk.review.export import export_review
    from fundrisk.warehouse.db import session

    with session(resolve_db(db)) as con:
        counts = export_review(con, out_path, unmask=unmask)
    out.print(f"已导出待复核清单：{out_path}", markup=False, soft_wrap=True)
    out.print(
        f"隔离数据 {counts['quarantine']} 行，待确认关联 {counts['link']} 行，疑似同一经营者 {counts['lead']} 对。"
        "填写「复核结论」后运行 fundrisk review import 文件 --reviewer 姓名",
        markup=False,
        soft_wrap=True,
    )


@review_app.command("import")
@guarded
def review_import(
    path: Annotated[Path, typer.Argument(help="填写了复核结论的待复核清单（.xlsx）")],
    reviewer: Annotated[str | None, typer.Option("--reviewer", help="复核人姓名（记入动态管理台账）")] = None,
    db: DbOption = None,
) -> None:
    """导入复核结论：确认或否定的关联、合并的线索在下次运行时生效；已更正的隔离行重新校验入库。

    示例：fundrisk review import 待复核.xlsx --reviewer 张三
    """
    from fundrisk.review.apply import import_review
    from fundrisk.warehouse.db import session

    with session(resolve_db(db)) as con:
        result = import_review(con, path, reviewer or "")
    for line in import_lines(result.as_dict()):
        out.print(line, markup=False, soft_wrap=True)


def import_lines(r: dict[str, Any]) -> list[str]:
    """The import's summary in a few Chinese lines (counts only)."""
    applied = "，".join(f"{sheet} {n} 条" for sheet, n in r["applied"].items()) or "无"
    lines = [f"已记录复核结论：{applied}；与已有结论相同未重复记录 {r['unchanged']} 条。"]
    if r["reloaded"]:
        lines.append(f"已更正的隔离行重新导入 {r['reloaded']} 行。")
    skipped = [
        (r["blank"], "未填写复核结论"),
        (r["unknown"], "复核结论不在下拉选项内"),
        (r["missing"], "找不到对应记录（可能已在新的运行中变化）"),
        (r["conflicts"], "同一条记录确认了多个候选主体"),
    ]
    parts = [f"{label} {n} 行" for n, label in skipped if n]
    if parts:
        lines.append("已跳过：" + "，".join(parts) + "。")
    if r["still_invalid"]:
        reasons = "，".join(f"{label} {n}" for label, n in r["still_invalid"].items())
        lines.append(f"更正后仍未通过校验、留在隔离数据中：{reasons}。")
    lines.append("关联与线索的复核结论将在下次运行（fundrisk run）时生效。")
    return lines


def print_quarantine_notes(db: Path, run_id: str) -> None:
    """After a run: each file with quarantined rows, why, and how to review them."""
    from fundrisk.review.notes import run_notes
    from fundrisk.warehouse.db import session

    with session(db, read_only=True) as con:
        notes = run_notes(con, run_id)
    print_notes(notes)


def print_notes(notes: Sequence[tuple[str, str, str]]) -> None:
    from fundrisk.sources.spec import KINDS

    for kind, name, note in notes:
        label = KINDS[kind].label if kind in KINDS else kind
        out.print(f"{label}/{name}：{note}", markup=False, soft_wrap=True)
    if notes:
        out.print("被隔离的行可用 fundrisk review export --out 待复核.xlsx 导出、更正后导入。", markup=False)
