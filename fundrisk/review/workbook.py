"""The review workbook: one sheet per queue with a drop-down 复核结论, hidden keys, text cells; and reading it back.

Cells go through the export writer's typed write_cell (no formulas, 18-character codes stay text) and the
file is written beside the target and renamed, like every export. Editable cells are formatted as text so
a date or a long number typed in Excel stays what was typed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import xlsxwriter

from fundrisk.atomic import atomic_path
from fundrisk.errors import BadInput
from fundrisk.publish.writers import WORKBOOK_OPTIONS, write_cell
from fundrisk.review.config import DECISION, KEY_COLUMNS, NOTE

GUIDE = "填写说明"
_MIDNIGHT = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T]00:00:00(?:\.0+)?$")


@dataclass(frozen=True)
class ReviewSheet:
    name: str
    frame: pl.DataFrame  # KEY_COLUMNS first, then what the analyst reads, DECISION and NOTE among them
    choices: tuple[str, ...]
    editable: tuple[str, ...] = ()  # value columns the analyst may correct (besides DECISION and NOTE)


def write_book(sheets: Sequence[ReviewSheet], guide: Sequence[str], path: Path) -> None:
    with atomic_path(path) as temp:
        book = xlsxwriter.Workbook(str(temp), WORKBOOK_OPTIONS)
        try:
            for sheet in sheets:
                _write_sheet(book, sheet)
            _write_guide(book, guide)
        finally:
            book.close()


def _write_sheet(book: xlsxwriter.Workbook, spec: ReviewSheet) -> None:
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    asked = book.add_format({"bold": True, "bg_color": "#FFF2CC", "border": 1})
    text = book.add_format({"num_format": "@"})
    sheet = book.add_worksheet(spec.name)
    frame = spec.frame
    editable = {DECISION, NOTE, *spec.editable}
    for j, column in enumerate(frame.columns):
        sheet.write_string(0, j, column, asked if column in editable else header)
        if column in KEY_COLUMNS:
            sheet.set_column(j, j, 12, None, {"hidden": True})
        else:
            sheet.set_column(j, j, _width(frame, column), text if column in editable else None)
    for i, row in enumerate(frame.iter_rows(), start=1):
        for j, value in enumerate(row):
            write_cell(sheet, i, j, value)
    last = max(frame.height, 1)
    col = frame.columns.index(DECISION)
    sheet.data_validation(
        1,
        col,
        last,
        col,
        {
            "validate": "list",
            "source": list(spec.choices),
            "error_title": DECISION,
            "error_message": f"请从下拉列表中选择：{'、'.join(spec.choices)}",
        },
    )
    sheet.freeze_panes(1, len(KEY_COLUMNS))
    sheet.autofilter(0, 0, last, len(frame.columns) - 1)


def _width(frame: pl.DataFrame, column: str) -> int:
    """Header or longest of the first values (CJK counted double), between 8 and 50."""
    longest = 0
    if frame.height and frame.schema[column] == pl.Utf8:
        value = frame[column].head(200).str.len_bytes().max()
        longest = int(value) * 2 // 3 if isinstance(value, int) else 0
    return min(50, max(8, 2 * len(column) + 2, longest + 2))


def _write_guide(book: xlsxwriter.Workbook, lines: Sequence[str]) -> None:
    sheet = book.add_worksheet(GUIDE)
    sheet.set_column(0, 0, 110)
    for i, line in enumerate(lines):
        sheet.write_string(i, 0, line)


def read_book(path: Path, sheet_names: Sequence[str]) -> dict[str, pl.DataFrame]:
    """The review sheets present in the workbook, every cell as text (blank → null, a date as YYYY-MM-DD)."""
    if path.suffix.lower() != ".xlsx":
        raise BadInput(f"「{path.name}」不是 .xlsx 文件，请导入 fundrisk review export 导出的待复核工作簿")
    if not path.is_file():
        raise BadInput(f"找不到文件「{path}」")
    try:
        book = pl.read_excel(path, sheet_id=0, infer_schema_length=0, raise_if_empty=False)
    except Exception as exc:  # fastexcel raises its own tree for a corrupt or foreign file
        raise BadInput(
            f"「{path.name}」不是可读取的 Excel 工作簿（{type(exc).__name__}），请重新导出后填写"
        ) from None
    found = {name: frame for name, frame in book.items() if name in sheet_names}
    if not found:
        raise BadInput(
            f"「{path.name}」中没有复核工作表（{'、'.join(sheet_names)}），请使用 fundrisk review export 导出的文件"
        )
    out: dict[str, pl.DataFrame] = {}
    for name, frame in found.items():
        if frame.width == 0:
            continue
        missing = [c for c in (*KEY_COLUMNS, DECISION) if c not in frame.columns]
        if missing:
            raise BadInput(
                f"工作表「{name}」缺少「{'、'.join(missing)}」列，请使用 fundrisk review export 导出的文件"
            )
        out[name] = frame.with_columns(_clean(pl.col(c)).alias(c) for c in frame.columns)
    return out


def _clean(expr: pl.Expr) -> pl.Expr:
    """Trimmed text; empty is null; a date typed into a text cell and stored as a date loses its 00:00:00."""
    text = expr.cast(pl.Utf8).str.strip_chars()
    text = text.str.replace(_MIDNIGHT.pattern, "${1}")
    return pl.when(text.str.len_chars() > 0).then(text)
