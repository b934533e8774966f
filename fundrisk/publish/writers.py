"""Write export tables as UTF-8-with-BOM CSV or as XLSX with every cell typed explicitly.

Frames arrive already protected (fundrisk.publish.safety); the XLSX writer still never lets
xlsxwriter guess: strings go through write_string (so 18-character codes stay text and nothing
becomes a formula or a URL), numbers through write_number. A sheet made from a frame has its body
cells typed the same way a whole column at a time (fundrisk.publish.sheet_rows: ~5x faster at a
million cells).

Every file is written to a hidden temporary file in the same folder and renamed over the target
(os.replace is atomic on one filesystem): a run killed mid-export leaves the previous file or none,
never half a list.
Inside `fundrisk.publish.background.background_workbooks()` a workbook may be written by a helper
process while the caller queries the next list.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import xlsxwriter

from fundrisk.atomic import atomic_path
from fundrisk.errors import BadInput
from fundrisk.publish import background, sheet_rows

log = logging.getLogger(__name__)
SUFFIXES = (".csv", ".xlsx")
CELL_CHARS = 32767  # Excel's limit for one cell
WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}


@dataclass
class Sheet:
    """One worksheet: a name, a header row and body rows of str / int / float / None.

    `filtered_rows` limits the autofilter to the first rows of the body (a summary table followed by
    notes); None covers every row. A sheet made `from_frame` keeps the frame (its rows are read when
    the workbook is written), so it can travel to a worker process.
    """

    name: str
    header: list[str]
    rows: Iterable[Sequence[object]]
    widths: dict[int, int] = field(default_factory=dict)
    filtered_rows: int | None = None
    frame: pl.DataFrame | None = None

    @classmethod
    def from_frame(cls, name: str, frame: pl.DataFrame) -> Sheet:
        widths = {i: _width(frame, c) for i, c in enumerate(frame.columns)}
        return cls(name, list(frame.columns), (), widths, frame=frame)

    def body(self) -> Iterable[Sequence[object]]:
        return self.frame.iter_rows() if self.frame is not None else self.rows

    def portable(self) -> bool:
        return self.frame is not None or isinstance(self.rows, list | tuple)


def export_format(path: Path) -> str:
    """'csv' or 'xlsx' from the file suffix; anything else is the user's mistake."""
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise BadInput(f"不支持的导出格式「{suffix or '无后缀'}」，请使用 .xlsx 或 .csv 作为文件后缀")
    return suffix[1:]


def write_csv(frame: pl.DataFrame, path: Path) -> None:
    """UTF-8 with BOM so that Excel on a Chinese Windows opens it with the right encoding."""
    with atomic_path(path) as temp:
        frame.write_csv(temp, include_bom=True, float_precision=2)


def write_xlsx(sheets: Sequence[Sheet], path: Path) -> int:
    """Every cell written with write_string / write_number; the header row bold, frozen and filterable.

    Every sheet gets an autofilter over its header and data, so an analyst can narrow any list in
    Excel or WPS without first selecting the table. Returns how many cells were cut at Excel's limit.
    """
    if all(spec.portable() for spec in sheets) and background.submit(sheets, Path(path)):
        return 0  # the helper writes it (and logs what it cut)
    return _write_file(sheets, Path(path))


def _write_file(sheets: Sequence[Sheet], path: Path) -> int:
    with atomic_path(path) as temp:
        cut = _write_book(sheets, temp)
    if cut:
        log.warning("%s: %d cells over %d characters cut with a marker", path.name, cut, CELL_CHARS)
    return cut


def _write_book(sheets: Sequence[Sheet], path: Path) -> int:
    book = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    cut = 0
    try:
        bold = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        for spec in sheets:
            whole = spec.frame is not None and sheet_rows.supported(spec.frame)
            sheet = book.add_worksheet(spec.name, worksheet_class=sheet_rows.FrameSheet if whole else None)
            for j, title in enumerate(spec.header):
                sheet.write_string(0, j, title, bold)
                sheet.set_column(j, j, spec.widths.get(j, max(10, 2 * len(title) + 2)))
            sheet.freeze_panes(1, 0)
            last = 0
            if whole and spec.frame is not None:  # the body's cells as whole columns (sheet_rows)
                tails, n = sheet_rows.cell_tails(spec.frame, CELL_CHARS, fit_cell)
                sheet.set_body(tails)
                cut, last = cut + n, spec.frame.height
            for i, row in enumerate(() if whole else spec.body(), start=1):
                last = i
                for j, value in enumerate(row):
                    cut += write_cell(sheet, i, j, value)
            if spec.header:
                rows = last if spec.filtered_rows is None else min(last, spec.filtered_rows)
                sheet.autofilter(0, 0, rows, len(spec.header) - 1)
    finally:
        book.close()
    return cut


def fit_cell(text: str) -> str:
    """Text that fits one Excel cell: a longer one is cut visibly, ending 「…（已截断，共N字）」.

    xlsxwriter would cut it at 32,767 characters without a word; an analyst must see that it was cut.
    """
    if len(text) <= CELL_CHARS:
        return text
    marker = f"…（已截断，共{len(text)}字）"
    return text[: CELL_CHARS - len(marker)] + marker


def write_cell(sheet: xlsxwriter.worksheet.Worksheet, row: int, col: int, value: object) -> int:
    """One typed cell; bools become 是/否, dates ISO text, None stays empty. 1 when text was cut, else 0."""
    if value is None:
        return 0
    if isinstance(value, str) and len(value) > CELL_CHARS:
        sheet.write_string(row, col, fit_cell(value))
        return 1
    if isinstance(value, bool):
        sheet.write_string(row, col, "是" if value else "否")
    elif isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return 0
        sheet.write_number(row, col, value)
    elif isinstance(value, dt.date | dt.datetime):
        sheet.write_string(
            row, col, value.isoformat(sep=" ") if isinstance(value, dt.datetime) else str(value)
        )
    else:
        sheet.write_string(row, col, fit_cell(str(value)))
    return 0


def write_frame(frame: pl.DataFrame, path: Path, sheet_name: str = "名单") -> None:
    """A single table to either format, chosen by the suffix."""
    if export_format(path) == "csv":
        write_csv(frame, path)
    else:
        write_xlsx([Sheet.from_frame(sheet_name, frame)], path)


def _width(frame: pl.DataFrame, column: str) -> int:
    """A readable column width: header or longest value (CJK counted double), capped at 60."""
    header = 2 * len(column) + 2
    if frame.height == 0 or frame.schema[column] != pl.String:
        return max(10, header)
    longest = frame[column].head(200).str.len_bytes().max()
    size = int(longest) if isinstance(longest, int) else 0
    return min(60, max(10, header, size * 2 // 3 + 2))
