"""Read a large CSV as a stream of raw batches, so that ingest memory is bounded by a batch.

A city's or a province's registration file (1.4 GB at 3 million rows) is never held whole: polars
scans it lazily and hands over `BATCH_ROWS` rows at a time, each with its file line numbers. Files
under `STREAM_BYTES`, and every format but CSV, are read whole by `read_table` (with its title-row,
sheet and tolerant-CSV handling): they are small by nature. A large CSV may still carry a title
block above its header: the first records are looked at to find the header line. A large CSV that polars refuses part-way
(a ragged record, a stray quote) raises `NotStreamable`, and the caller reads it whole instead.
The first batch is handed over in two parts (a fifth, then the rest), so that the writer, the slower
half of ingest, starts after a fifth of a batch has been validated instead of a whole one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl

from fundrisk.errors import BadInput
from fundrisk.sources.readers import (
    LINE,
    RawTable,
    accept_csv_header,
    csv_header_line,
    empty_rejects,
    read_table,
    sniff_encoding,
    title_note,
    utf8_source,
)
from fundrisk.sources.spec import KindSpec

STREAM_BYTES = 64 << 20  # CSV files above this size are read in batches
BATCH_ROWS = 250_000
FIRST_SHARE = 5  # the first batch is split off in a fifth: its write starts while the rest is validated


class NotStreamable(Exception):  # noqa: N818 - a signal to fall back, not an error to report
    """Polars cannot split this file into records; read it whole with the tolerant reader."""


def streams(path: Path) -> bool:
    """True when the file is read in batches (a large CSV), False when it is read whole."""
    return path.suffix.lower() in {".csv", ".txt"} and path.stat().st_size > STREAM_BYTES


@contextmanager
def raw_batches(
    path: Path, spec: KindSpec | None = None, rows: int | None = None
) -> Iterator[tuple[str, Iterator[RawTable]]]:
    """(encoding, batches) of a file; one batch holding the whole file when it does not stream."""
    if not streams(path):
        raw = read_table(path, spec)
        yield raw.encoding, iter([raw])
        return
    encoding, content = sniff_encoding(path)
    if not content:
        raise BadInput(f"文件「{path.name}」是空文件")
    with utf8_source(path, encoding) as source:
        skip = csv_header_line(source, encoding if source == path else "utf-8", spec)
        yield encoding, _csv_batches(source, path.name, encoding, rows or BATCH_ROWS, skip, spec)


def _csv_batches(
    source: Path, name: str, encoding: str, rows: int, skip: int = 0, spec: KindSpec | None = None
) -> Iterator[RawTable]:
    """Batches of `rows` records below the header; lines are numbered as `read_csv` numbers them."""
    scan = pl.scan_csv(source, infer_schema=False, has_header=True, raise_if_empty=False, skip_rows=skip)
    try:
        headers = scan.collect_schema().names()
    except pl.exceptions.PolarsError:
        raise NotStreamable(name) from None
    accept_csv_header(headers, name, spec)
    if LINE in headers:
        raise NotStreamable(name)  # the whole-file reader reports the reserved column name
    numbered = scan.with_row_index(LINE, offset=skip + 2).with_columns(pl.col(LINE).cast(pl.Int64))
    notes = title_note(skip, encoding)  # said once, with the first batch
    try:
        first = True
        for frame in numbered.collect_batches(chunk_size=rows):
            head = frame.height // FIRST_SHARE if first else 0
            first = False
            for part in (frame.slice(0, head), frame.slice(head)) if head else (frame,):
                if part.height:
                    yield RawTable(part.select(LINE, *headers), empty_rejects(), encoding, notes)
                    notes = ()
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError, pl.exceptions.ShapeError):
        raise NotStreamable(name) from None
