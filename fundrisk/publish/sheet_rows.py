"""The body rows of a frame-backed worksheet rendered as SpreadsheetML by whole-column polars expressions.

xlsxwriter spends ~10 µs of Python per cell (the write call, the shared-string table, then the XML of
each cell at close): ~13 s for the million cells of a province's inspection list. Here every column
becomes its cells' XML in polars, rows are joined in chunks and written straight into the worksheet's
<sheetData>; xlsxwriter still writes everything else (header row and its format, column widths, frozen
pane, autofilter, workbook, styles), so only the cells' encoding changes, never what they hold:
- text is an inline string (t="inlineStr", as xlsxwriter's constant_memory mode writes it), escaped as
  xlsxwriter escapes it (&<> always; control characters as _xHHHH_, xml:space="preserve" for edge
  whitespace, Excel's 32,767-character cut with the visible marker of `writers.fit_cell`); the rare text
  that needs more than &<> goes through those rules in Python, one value at a time;
- numbers are numbers (the shortest text that reads back as the same double; NaN and ±inf stay empty),
  booleans 是/否, dates ISO text, nulls no cell at all.
A frame with another column type (a list, a duration …) is written cell by cell as before (`supported`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import polars as pl
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

CHUNK_ROWS = 20_000  # rows rendered and written at a time: bounded memory, few calls
# What the vectorised path does not handle: control characters and non-characters, literal _xHHHH_
# (xlsxwriter escapes both), edge whitespace (xml:space) and text long enough to be cut.
_RARE = r"[\x00-\x08\x0B-\x1F\x{FFFE}\x{FFFF}]|_x[0-9a-fA-F]{4}_|^\s|\s$"
_ESCAPED_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")
_EDGE_SPACE = re.compile(r"^\s|\s$")
_TEXT_HEAD, _TEXT_TAIL = '" t="inlineStr"><is><t>', "</t></is></c>"
_KEPT_HEAD = '" t="inlineStr"><is><t xml:space="preserve">'
_NUMBER_HEAD, _NUMBER_TAIL = '"><v>', "</v></c>"


def supported(frame: pl.DataFrame) -> bool:
    """True when every column has a type rendered here (text, number, boolean, date, naive datetime)."""
    return all(_renders(dtype) for dtype in frame.schema.values())


def _renders(dtype: pl.DataType) -> bool:
    if isinstance(dtype, pl.Datetime):
        return dtype.time_zone is None  # an aware one keeps its offset in isoformat: cell by cell
    return (
        dtype in (pl.String, pl.Boolean, pl.Date, pl.Null)
        or isinstance(dtype, pl.Categorical | pl.Enum)
        or dtype.is_integer()
        or dtype.is_float()
    )


def cell_tails(frame: pl.DataFrame, limit: int, cut_text: Callable[[str], str]) -> tuple[pl.DataFrame, int]:
    """Per column, each cell's XML after its reference (`" t="inlineStr">…</c>` or `"><v>…</v></c>`),
    null where the cell stays empty; and how many texts were cut at Excel's limit of `limit` characters.

    `cut_text` is the visible cut (writers.fit_cell), applied to text over `limit` characters.
    """
    tails: list[pl.Expr] = []
    rare: list[pl.Expr] = []
    for name, dtype in frame.schema.items():
        text = _as_text(pl.col(name), dtype)
        if text is None:
            tails.append(_number_tail(pl.col(name), dtype).alias(name))
            continue
        tails.append(_text_tail(text).alias(name))
        if dtype == pl.String or isinstance(dtype, pl.Categorical | pl.Enum):
            needs = text.str.contains(_RARE) | (text.str.len_chars() > limit // 2)
            rare.append(needs.fill_null(False).alias(name))
    out = frame.select(tails)  # one pass, columns in parallel
    cut = 0
    flagged = frame.select(rare)
    for name in flagged.columns:
        where = flagged.get_column(name).arg_true()
        if where.len():  # the few texts that need xlsxwriter's other rules, one at a time
            texts = frame.get_column(name).cast(pl.String).gather(where).to_list()
            cut += sum(len(t) > limit for t in texts)
            fixed = out.get_column(name).scatter(where, [_rare_tail(t, limit, cut_text) for t in texts])
            out = out.with_columns(fixed)
    return out, cut


def _as_text(column: pl.Expr, dtype: pl.DataType) -> pl.Expr | None:
    """The text a cell of this type shows (bool 是/否, ISO dates), None for a number column."""
    if dtype == pl.Boolean:
        return pl.when(column).then(pl.lit("是")).when(column.not_()).then(pl.lit("否"))
    if isinstance(dtype, pl.Datetime):  # datetime.isoformat(sep=' '): microseconds only when there are some
        whole, fine = column.dt.strftime("%Y-%m-%d %H:%M:%S"), column.dt.strftime("%Y-%m-%d %H:%M:%S%.6f")
        return pl.when(column.dt.microsecond() == 0).then(whole).otherwise(fine)
    if dtype == pl.Null:
        return pl.lit(None, dtype=pl.String)
    if dtype.is_integer() or dtype.is_float():
        return None
    return column.cast(pl.String)  # String, Categorical, Enum, Date (ISO)


def _number_tail(column: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """A finite number as its shortest round-trip text (an integral float without '.0', as Excel writes)."""
    if dtype.is_float():
        wide = column.cast(pl.Float64)
        text = pl.when(wide.is_finite()).then(wide).cast(pl.String).str.replace(r"\.0$", "")
    else:
        text = column.cast(pl.String)
    return pl.concat_str([pl.lit(_NUMBER_HEAD), text, pl.lit(_NUMBER_TAIL)])


def _text_tail(text: pl.Expr) -> pl.Expr:
    escaped = (
        text.str.replace_all("&", "&amp;", literal=True)
        .str.replace_all("<", "&lt;", literal=True)
        .str.replace_all(">", "&gt;", literal=True)
    )
    return pl.concat_str([pl.lit(_TEXT_HEAD), escaped, pl.lit(_TEXT_TAIL)])


def _rare_tail(text: str, limit: int, cut_text: Callable[[str], str]) -> str:
    """xlsxwriter's rules for one text: cut, UTF-16 limit, _xHHHH_ escapes, preserve, &<>."""
    if len(text) > limit:
        text = cut_text(text)
    if len(text.encode("utf-16-le")) // 2 > limit:  # astral characters count twice in Excel
        text = text.encode("utf-16-le")[: 2 * limit].decode("utf-16-le", "ignore")
    text = _ESCAPED_ESCAPE.sub(r"_x005F\1", text)
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
    text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    head = _KEPT_HEAD if _EDGE_SPACE.search(text) else _TEXT_HEAD
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return head + text + _TEXT_TAIL


def rows_xml(tails: pl.DataFrame, first_row: int) -> str:
    """<row> elements of `tails` (cell_tails), the first on 0-based sheet row `first_row`; rows without
    any cell are left out, as xlsxwriter leaves them out."""
    if tails.height == 0:
        return ""
    number = pl.int_range(first_row + 1, first_row + 1 + tails.height, eager=True).cast(pl.String)
    numbered = tails.with_columns(number.alias("__row"))
    row = pl.col("__row")
    cells = [
        pl.concat_str([pl.lit(f'<c r="{xl_col_to_name(j)}'), row, pl.col(name)])
        for j, name in enumerate(tails.columns)
    ]
    if not cells:
        return ""
    present = pl.any_horizontal([pl.col(name).is_not_null() for name in tails.columns])
    xml = numbered.filter(present).select(
        pl.concat_str([pl.lit('<row r="'), row, pl.lit('">'), *cells, pl.lit("</row>")], ignore_nulls=True)
    )
    return str(xml.to_series().str.join("").item()) if xml.height else ""


def last_filled(tails: pl.DataFrame) -> int | None:
    """0-based index of the last row that has a cell, None when no row has one."""
    if tails.width == 0 or tails.height == 0:
        return None
    filled = tails.select(pl.any_horizontal(pl.all().is_not_null())).to_series().arg_true()
    return int(filled[-1]) if filled.len() else None


class FrameSheet(Worksheet):
    """A worksheet whose body rows come from `set_body` (cell_tails) instead of per-cell writes.

    Hooks into xlsxwriter's row writer (`_write_rows`, the non-constant_memory path): its own rows (the
    header) are written first, then the body in chunks; `_check_dimensions` keeps <dimension> right.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._body: pl.DataFrame | None = None
        self._body_row = 1

    def set_body(self, tails: pl.DataFrame, first_row: int = 1) -> None:
        if self.constant_memory:  # that mode writes rows as they come and never calls _write_rows
            raise ValueError("FrameSheet needs a workbook without constant_memory")
        # Cells beyond Excel's last row or column are dropped, as write_string / write_number drop them.
        tails = tails.head(self.xls_rowmax - first_row).select(tails.columns[: self.xls_colmax])
        last = last_filled(tails)
        self._body, self._body_row = tails, first_row
        if last is not None:
            self._check_dimensions(first_row + last, 0)

    def _write_rows(self) -> None:
        super()._write_rows()
        body = self._body
        if body is None:
            return
        for start in range(0, body.height, CHUNK_ROWS):
            self.fh.write(rows_xml(body.slice(start, CHUNK_ROWS), self._body_row + start))
