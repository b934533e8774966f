"""Read an input file into a frame of raw strings, whatever its format or encoding.

The encoding is found by decoding the file in blocks (UTF-8 first, then GB18030) without keeping the
text; polars then reads a UTF-8 file straight from disk, and a GB18030 file from a UTF-8 copy written
block by block, so a province's registrations are never held as bytes, text and frame at once.
The fast path is polars' CSV reader; a file it refuses (ragged rows, stray quotes) is re-read
with the csv module so that every record is either a row or a parse reject — nothing is lost.
A title block above the header is skipped (fundrisk/sources/headers.py finds the header row), and every
sheet of a workbook whose header fits is read; told the kind, a header that does not fit says why.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from fundrisk.errors import BadInput
from fundrisk.sources import encodings, parse
from fundrisk.sources.headers import SCAN_ROWS, best_header_row, known_headers, mismatch_message
from fundrisk.sources.spec import KindSpec
from fundrisk.sources.workbook import ROW, dedupe_headers, read_workbook

log = logging.getLogger(__name__)
LINE = "__line"
SUPPORTED = {".csv", ".txt", ".xlsx", ".parquet"}
OLD_EXCEL = {".xls", ".et"}  # binary Excel/WPS workbooks: saved as .xlsx or CSV first
BLOCK = 1 << 22  # bytes decoded at a time while finding a file's encoding
csv.field_size_limit(1 << 30)  # a long field is quarantined by its column's cap, not a whole-file error


@dataclass(frozen=True)
class RawTable:
    """Raw string columns as they were in the file, plus a LINE column (header is line 1)."""

    frame: pl.DataFrame
    rejects: pl.DataFrame  # line, reason, raw — records that could not be split into fields
    encoding: str
    notes: tuple[str, ...] = ()  # Chinese lines for the analyst: sheets left out, a title block skipped

    @property
    def rows_read(self) -> int:
        return self.frame.height + self.rejects.height


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    for block in _blocks(path):
        digest.update(block)
    return digest.hexdigest()


def _blocks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        yield from iter(lambda: handle.read(BLOCK), b"")


def sniff_encoding(path: Path) -> tuple[str, bool]:
    """(encoding, has non-blank content) of a text file, decoded block by block and never kept whole.

    UTF-8 (with or without BOM) is tried first; a file that is not UTF-8 throughout is looked at line by
    line: GB18030, or MIXED when some lines are UTF-8 (a GB18030 export with UTF-8 rows pasted in, which
    decoded whole as GB18030 would load those rows as mojibake). A NUL byte means binary content.
    """
    unreadable = BadInput(
        f"文件「{path.name}」编码无法识别或含有二进制内容，请另存为 UTF-8 或 GB18030 编码的 CSV"
    )
    with path.open("rb") as handle:
        bom = handle.read(3) == b"\xef\xbb\xbf"
    encoding = "utf-8-sig" if bom else "utf-8"
    try:
        return encoding, _utf8_content(path, bom, unreadable)
    except UnicodeDecodeError:
        pass
    try:
        utf8_lines, content = encodings.classify_lines(_blocks(path))
    except UnicodeDecodeError:
        raise unreadable from None
    return (encodings.MIXED if utf8_lines else "gb18030"), content


def _utf8_content(path: Path, bom: bool, unreadable: BadInput) -> bool:
    """Whether a UTF-8 file has non-blank text; UnicodeDecodeError where it is not UTF-8 throughout.

    Each block is checked by polars' UTF-8 validation (a province's file in half the time Python's
    decoder takes to build the text), cut before the last character's first byte so that no character
    is split; the few bytes after the cut must be the start of a character, as Python's incremental
    decoder requires, and are checked again with the next block. Text is decoded (to look for
    something besides blanks) only until it is found.
    """
    content = False
    pending, skip = b"", (b"\xef\xbb\xbf" if bom else b"")  # the BOM itself is no content
    for block in _blocks(path):
        if b"\x00" in block:
            raise unreadable  # binary content: no encoding will do
        data = pending + block
        cut = _last_start(data)
        whole, pending = data[:cut], data[cut:]
        try:
            pl.Series([whole], dtype=pl.Binary).cast(pl.Utf8)
        except pl.exceptions.PolarsError:
            raise UnicodeDecodeError("utf-8", whole, 0, len(whole), "invalid UTF-8") from None
        codecs.getincrementaldecoder("utf-8")().decode(pending)  # an impossible start fails here
        if not content and whole:
            content = bool(whole.removeprefix(skip).decode("utf-8").strip())
            skip = b""
    if pending and not content:
        content = bool(pending.removeprefix(skip).decode("utf-8").strip())  # a character cut short fails
    elif pending:
        pending.decode("utf-8")
    return content


def _last_start(data: bytes) -> int:
    """Where the last (possibly incomplete) multi-byte character of `data` starts; len(data) if none."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:  # ASCII: every character before it is complete
            return len(data) - back + 1
        if byte >= 0xC0:  # the first byte of a multi-byte character
            return len(data) - back
    return len(data)


@contextmanager
def utf8_source(path: Path, encoding: str) -> Iterator[Path]:
    """The file itself when it is UTF-8, else a temporary UTF-8 copy written block by block."""
    if encoding.startswith("utf-8"):
        yield path
        return
    handle, name = tempfile.mkstemp(suffix=".csv", prefix=".fundrisk-utf8-")
    try:
        decoder = codecs.getincrementaldecoder(encoding)()
        with os.fdopen(handle, "wb") as out:
            for block in _blocks(path):
                out.write(decoder.decode(block).encode("utf-8"))
            out.write(decoder.decode(b"", final=True).encode("utf-8"))
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def empty_rejects() -> pl.DataFrame:
    return pl.DataFrame(schema={"line": pl.Int64, "reason": pl.Utf8, "raw": pl.Utf8})


def _with_lines(frame: pl.DataFrame, offset: int = 2) -> pl.DataFrame:
    if LINE in frame.columns:  # a file's own column of that name is kept as __line_2 (issue 16)
        frame = frame.rename(dict(zip(frame.columns, dedupe_headers(frame.columns), strict=True)))
    return frame.with_row_index(LINE, offset=offset).with_columns(pl.col(LINE).cast(pl.Int64))


def _check_headers(headers: list[str], name: str) -> None:
    if not headers or all(not h.strip() for h in headers):
        raise BadInput(f"文件「{name}」没有表头行，请确认第一行是列名")


def _read_csv_fast(source: Path, skip: int = 0) -> pl.DataFrame:
    return pl.read_csv(
        source,
        infer_schema=False,
        has_header=True,
        raise_if_empty=False,
        skip_rows=skip,
    )


def csv_header_line(path: Path, encoding: str, spec: KindSpec | None = None) -> int:
    """Lines above the header (a title block): the first SCAN_ROWS records are read, never the file.

    A streaming reader skips this many lines and numbers rows from it + 2, as `read_csv` does.
    """
    known = known_headers(spec)
    starts: list[int] = []
    rows: list[list[str]] = []
    with path.open(encoding=encoding, newline="", errors="replace") as handle:
        reader = csv.reader(handle)
        try:
            while len(rows) < SCAN_ROWS:
                start = reader.line_num
                rows.append(next(reader))
                starts.append(start)
        except (StopIteration, csv.Error):
            pass
    index, _ = best_header_row(rows, known) if rows else (0, 0)
    return starts[index] if rows else 0


def _read_csv_tolerant(text: str, name: str, skip: int = 0) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Slow path for files polars refuses: split with the csv module, set ragged records aside.

    Records are numbered by their first physical line. A ragged record spanning several lines is an
    unbalanced quote that swallowed the lines after it: each of those lines is quarantined on its own,
    so rows read counts every physical record (a stray quote never turns 30 lines into one).
    """
    lines = io.StringIO(text, newline="").readlines()
    reader = csv.reader(lines)
    records: list[tuple[int, int, list[str]]] = []  # first line, last line, fields
    try:
        for record in reader:
            start = records[-1][1] + 1 if records else 1
            records.append((start, reader.line_num, record))
    except csv.Error as exc:
        raise BadInput(f"文件「{name}」CSV 格式错误（{exc}），请检查引号是否成对") from None
    if len(records) <= skip:
        raise BadInput(f"文件「{name}」是空文件")
    header = records[skip][2]
    _check_headers(header, name)
    width = len(header)
    good: list[list[str]] = []
    good_lines: list[int] = []
    bad: list[dict[str, object]] = []
    for first, last, record in records[skip + 1 :]:
        if not record:
            continue
        if len(record) == width:
            good.append(record)
            good_lines.append(first)
        elif last > first:
            reason = f"引号不成对：第{first}–{last}行被合并成一条记录，已逐行隔离（请检查第{first}行的引号）"
            for number in range(first, last + 1):
                raw = lines[number - 1].rstrip("\r\n")
                if raw.strip():
                    bad.append(
                        {"line": number, "reason": reason, "raw": json.dumps([raw], ensure_ascii=False)}
                    )
        else:
            reason = f"字段数为{len(record)}，与表头的{width}列不一致（请检查分隔符或引号）"
            bad.append({"line": first, "reason": reason, "raw": json.dumps(record, ensure_ascii=False)})
    names = dedupe_headers(header)
    frame = pl.DataFrame(good, schema={n: pl.Utf8 for n in names}, orient="row")
    frame = frame.with_columns(pl.Series(LINE, good_lines, dtype=pl.Int64)).select(LINE, *names)
    rejects = pl.DataFrame(bad, schema=empty_rejects().schema) if bad else empty_rejects()
    return frame, rejects


def encoding_note(encoding: str) -> tuple[str, ...]:
    """Say so when a file's lines were decoded each in its own encoding."""
    if encoding == encodings.MIXED:
        return ("文件同时含有 GB18030 和 UTF-8 编码的行，已逐行按各自的编码读取",)
    return ()


def title_note(skip: int, encoding: str = "") -> tuple[str, ...]:
    title = (f"表头在第{skip + 1}行，上方的标题行已跳过",) if skip else ()
    return (*encoding_note(encoding), *title)


def accept_csv_header(columns: list[str], name: str, spec: KindSpec | None) -> None:
    """The checks of a CSV header, whether the file is read whole or streamed in batches."""
    _check_headers(columns, name)
    _fit(columns, spec, f"文件「{name}」")


def _fit(columns: list[str], spec: KindSpec | None, where: str) -> None:
    """Told the kind, refuse a header without its required columns, saying what was found and what to change."""
    message = mismatch_message([c for c in columns if c != LINE], spec, where) if spec else None
    if message:
        raise BadInput(message)


def read_csv(path: Path, spec: KindSpec | None = None) -> RawTable:
    encoding, content = sniff_encoding(path)
    if not content:
        raise BadInput(f"文件「{path.name}」是空文件")
    skip = csv_header_line(path, encoding, spec)
    try:
        with utf8_source(path, encoding) as source:
            frame = _read_csv_fast(source, skip)
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError, pl.exceptions.ShapeError):
        text = path.read_text(encoding=encoding)  # the slow path needs the text; such files are rare
        frame, rejects = _read_csv_tolerant(text, path.name, skip)
        _fit(frame.columns, spec, f"文件「{path.name}」")
        return RawTable(frame, rejects, encoding, title_note(skip, encoding))
    accept_csv_header(frame.columns, path.name, spec)
    return RawTable(_with_lines(frame, skip + 2), empty_rejects(), encoding, title_note(skip, encoding))


def read_xlsx(path: Path, spec: KindSpec | None = None) -> RawTable:
    """Every sheet whose header fits (rows of all of them are read), the header found below any title."""
    book = read_workbook(path, spec)
    _check_headers(book.frame.columns, path.name)
    for note in book.notes:  # the caller shows them (RawTable.notes); a warning here would reach Prefect's
        log.info("%s: %s", path.name, note)  # API handler outside any run and print a logging error
    frame = book.frame.rename({ROW: LINE}).select(LINE, pl.exclude(LINE))
    return RawTable(frame, empty_rejects(), "xlsx", (*book.notes, *_long_cells_note(frame)))


def _long_cells_note(frame: pl.DataFrame) -> tuple[str, ...]:
    """Excel holds at most 32,767 characters a cell: a longer one did not come from Excel intact.

    Its row is quarantined by the column caps (validate.py); the note says why rows went missing.
    """
    cap = parse.cell_cap()
    texts = frame.select(pl.col(pl.Utf8).str.len_chars().gt(cap).sum())
    over = sum(int(v or 0) for v in texts.row(0)) if texts.width else 0
    return (f"有 {over} 个单元格超过 {cap} 字（Excel 单元格上限），所在行已隔离",) if over else ()


def read_parquet(path: Path) -> RawTable:
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:  # polars raises several kinds for a corrupt file
        raise BadInput(f"文件「{path.name}」不是可读取的 Parquet 文件（{type(exc).__name__}）") from None
    try:
        frame = frame.select(pl.all().cast(pl.Utf8, strict=False))
    except pl.exceptions.PolarsError:
        raise BadInput(f"文件「{path.name}」含有无法转换为文本的嵌套列，请导出为平铺的表格") from None
    return RawTable(_with_lines(frame), empty_rejects(), "parquet")


def read_table(path: Path, spec: KindSpec | None = None) -> RawTable:
    """Dispatch by suffix; BadInput for a missing file or an unsupported format.

    With the kind's spec the header row and sheets are matched against that kind, and a header
    without its required columns is refused here with the headers found and the nearest names;
    without it they are matched against every kind (validation then names what is missing).
    """
    if not path.is_file():
        raise BadInput(f"找不到文件「{path}」")
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt"}:
        return read_csv(path, spec)
    if suffix == ".xlsx":
        return read_xlsx(path, spec)
    if suffix == ".parquet":
        raw = read_parquet(path)
        _fit(raw.frame.columns, spec, f"文件「{path.name}」")
        return raw
    raise BadInput(unsupported_format(path))


def unsupported_format(path: Path) -> str:
    """Why a file cannot be read, and how to save it so that it can."""
    suffix = path.suffix.lower()
    if suffix in OLD_EXCEL:
        return (
            f"「{path.name}」是旧版 Excel 格式（{suffix}），请在 Excel 或 WPS 中另存为 .xlsx 或 CSV 后再导入"
        )
    return f"不支持的文件格式「{suffix or path.name}」，请提供 CSV、XLSX 或 Parquet 文件"
