"""Refuse an .xlsx zip bomb before it is opened: its parts are inflated as a stream and counted.

A 3 MB workbook can inflate to gigabytes of sheet XML (issue 16: 3.3 GB of memory for one file). The
reader (fastexcel) loads whole sheets, so the guard runs first: the sizes the zip declares, then the
real inflated bytes, rows and cells, each stopped at its limit (kinds.toml [limits]) — a bomb costs at
most that much inflating at constant memory, and one Chinese line.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from fundrisk.errors import BadInput
from fundrisk.sources.parse import LIMITS

CHUNK = 1 << 23
_TAIL = 32  # bytes kept between chunks so a tag split by a chunk boundary is still counted
_PREFIX = re.compile(rb"<([A-Za-z_][\w.-]*:)?worksheet[\s>]")


def _tags(first: bytes) -> tuple[bytes, bytes]:
    """The row and cell tag openings of a sheet, with its namespace prefix if it uses one (<x:row>).

    `<row` and `<c` also open a handful of other elements (rowBreaks, col, cfRule …): a few per sheet,
    never one per cell, so the counts stay honest bounds.
    """
    found = _PREFIX.search(first[:4096])
    prefix = (found.group(1) or b"") if found else b""
    return b"<" + prefix + b"row", b"<" + prefix + b"c"


def _refuse(path: Path, what: str) -> BadInput:
    return BadInput(
        f"文件「{path.name}」{what}，可能是压缩炸弹或过大的工作簿，未导入；请拆分成多个文件或另存为 CSV 后再导入"
    )


def check_workbook(path: Path) -> None:
    """BadInput when the workbook inflates beyond the byte, row or cell limits; silent otherwise."""
    max_bytes = int(LIMITS["xlsx_max_mb"]) << 20
    max_rows, max_cells = int(LIMITS["xlsx_max_rows"]), int(LIMITS["xlsx_max_cells"])
    too_big = _refuse(path, f"解压后超过 {LIMITS['xlsx_max_mb']} MB")
    try:
        book = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return  # not a zip at all: the workbook reader says so in its own words
    with book:
        infos = book.infolist()
        if sum(info.file_size for info in infos) > max_bytes:
            raise too_big
        total = rows = cells = 0
        try:
            for info in infos:
                sheet = info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
                tail, tags = b"", (b"", b"")
                with book.open(info) as part:
                    while chunk := part.read(CHUNK):
                        total += len(chunk)
                        if total > max_bytes:
                            raise too_big
                        if not sheet:
                            continue
                        if not tail:
                            tags = _tags(chunk)
                        data = tail + chunk
                        rows += data.count(tags[0]) - tail.count(tags[0])
                        cells += data.count(tags[1]) - tail.count(tags[1])
                        tail = data[-_TAIL:]
                        if rows > max_rows:
                            raise _refuse(path, f"的工作表共超过 {max_rows:,} 行")
                        if cells > max_cells:
                            raise _refuse(path, f"的工作表共超过 {max_cells:,} 个单元格")
        except (zipfile.BadZipFile, EOFError, NotImplementedError, ValueError, OSError) as exc:
            raise BadInput(f"文件「{path.name}」不是可读取的 Excel 工作簿（{type(exc).__name__}）") from None
