"""Read an .xlsx workbook as offices send it: a title block above the header, data on any sheet.

Each sheet is loaded once as raw strings without a header; its header row is the one among the first
rows that names the most known columns (headers.py). Every sheet whose header fits is read — rows of all
of them count as read — and a sheet left out is named in a note, never dropped silently. Rows keep the
sheet's own row numbers; with several sheets the numbers run on across sheets (so each row has its own)
and the sheet name and its row number travel with the row as two extra columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import fastexcel
import polars as pl

from fundrisk.errors import BadInput
from fundrisk.sources.headers import SCAN_ROWS, best_header_row, fits, known_headers, mismatch_message
from fundrisk.sources.spec import KindSpec
from fundrisk.sources.zipguard import check_workbook

ROW = "__row"
SHEET, SHEET_ROW = "工作表", "表内行号"  # extra columns when rows come from several sheets
MIN_KNOWN = 2  # without the kind, a sheet is data when its header names at least this many known columns


@dataclass(frozen=True)
class Workbook:
    frame: pl.DataFrame  # raw string columns and ROW
    notes: tuple[str, ...]  # for the analyst: sheets left out (first), a title block skipped, sheets read


@dataclass(frozen=True, eq=False)
class _Sheet:
    name: str
    frame: pl.DataFrame  # the whole sheet from its first row, no header
    header_index: int
    headers: list[str]
    score: int


def dedupe_headers(headers: list[str]) -> list[str]:
    """Unique, non-blank column names: a blank header becomes 列, a repeat gets _2, _3 …

    The reader's own column names (__line, __row) are taken: a file's column of that name gets _2.
    """
    seen: dict[str, int] = {"__line": 1, ROW: 1}
    out = []
    for h in headers:
        h = h.strip() or "列"
        n = seen.get(h, 0)
        seen[h] = n + 1
        out.append(h if n == 0 else f"{h}_{n + 1}")
    return out


def _load(path: Path, known: dict[str, str]) -> tuple[list[_Sheet], list[str]]:
    check_workbook(path)  # a zip bomb is refused before fastexcel inflates it
    try:
        reader = fastexcel.read_excel(path)
    except Exception as exc:  # fastexcel raises its own tree for corrupt workbooks
        raise BadInput(f"文件「{path.name}」不是可读取的 Excel 工作簿（{type(exc).__name__}）") from None
    sheets: list[_Sheet] = []
    notes: list[str] = []
    for name in reader.sheet_names:
        try:
            frame = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string").to_polars()
        except Exception as exc:  # one damaged sheet must not hide the others
            notes.append(f"工作表「{name}」无法读取（{type(exc).__name__}），未导入")
            continue
        if frame.width == 0 or frame.height == 0:
            continue  # blank sheets (Sheet2, Sheet3 of a new workbook) say nothing
        index, score = best_header_row(frame.head(SCAN_ROWS).rows(), known)
        headers = ["" if v is None else str(v).strip() for v in frame.row(index)]
        sheets.append(_Sheet(name, frame, index, headers, score))
    return sheets, notes


def _choose(sheets: list[_Sheet], spec: KindSpec | None, path: Path) -> list[_Sheet]:
    """The sheets holding the data: those that fit the kind, or (kind unknown) that name known columns."""
    if spec is not None:
        chosen = [s for s in sheets if fits(s.headers, spec)]
        if not chosen:
            best = max(sheets, key=lambda s: s.score)  # max keeps the first of equals
            where = f"文件「{path.name}」" + (
                f"（工作表「{best.name}」第{best.header_index + 1}行）" if len(sheets) > 1 else ""
            )
            raise BadInput(mismatch_message(best.headers, spec, where) or where)
        return chosen
    top = max(s.score for s in sheets)
    if top >= MIN_KNOWN:
        return [s for s in sheets if s.score >= MIN_KNOWN]
    return [next(s for s in sheets if s.score == top)]


def _rows(sheet: _Sheet) -> pl.DataFrame:
    """The sheet's data rows under its header, numbered by sheet row; blank rows and blank columns dropped."""
    names = dedupe_headers(sheet.headers)
    body = sheet.frame.slice(sheet.header_index + 1)
    body = body.rename(dict(zip(body.columns, names, strict=True)))
    empty = [
        n for n, h in zip(names, sheet.headers, strict=True) if not h and body[n].null_count() == body.height
    ]
    body = body.drop(empty).with_row_index(ROW, offset=sheet.header_index + 2)
    body = body.with_columns(pl.col(ROW).cast(pl.Int64))
    return body.filter(~pl.all_horizontal(pl.exclude(ROW).is_null()))


def read_workbook(path: Path, spec: KindSpec | None = None) -> Workbook:
    """Rows of every sheet that holds the kind's data, with notes on the sheets left out."""
    sheets, notes = _load(path, known_headers(spec))
    if not sheets:
        raise BadInput(
            f"文件「{path.name}」：{notes[0]}"
            if notes
            else f"文件「{path.name}」没有数据：所有工作表都是空的"
        )
    chosen = _choose(sheets, spec, path)
    label = spec.label if spec is not None else "可识别"
    notes += [
        f"工作表「{s.name}」没有{label}的表头，未导入" for s in sheets if all(s is not c for c in chosen)
    ]
    notes += [
        f"工作表「{s.name}」的表头在第{s.header_index + 1}行，上方的标题行已跳过"
        for s in chosen
        if s.header_index
    ]
    frames = [_rows(s) for s in chosen]
    if len(frames) == 1:
        return Workbook(frames[0], tuple(notes))
    numbered, carried = [], 0
    for sheet, frame in zip(chosen, frames, strict=True):
        numbered.append(
            frame.with_columns(
                pl.lit(sheet.name).alias(SHEET),
                pl.col(ROW).cast(pl.Utf8).alias(SHEET_ROW),
                pl.col(ROW) + carried,
            )
        )
        last = frame[ROW].max()
        carried += last if isinstance(last, int) else sheet.header_index + 1
    notes.append(f"读取了 {len(frames)} 个工作表：{'、'.join(s.name for s in chosen)}")
    return Workbook(pl.concat(numbered, how="diagonal"), tuple(notes))
