"""Polars frames in and out of DuckDB: parameterised reads, whole-table replacement, appends."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

from fundrisk.warehouse.db import ident, transaction


def read(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | dict[str, object] | None = None
) -> pl.DataFrame:
    """The result of a parameterised query (positional ? or named $name parameters) as a polars frame."""
    return con.sql(sql, params=params or []).pl()


def read_batches(
    con: duckdb.DuckDBPyConnection, sql: str, rows: int, params: list[object] | None = None
) -> Iterator[pl.DataFrame]:
    """The result of a parameterised query as frames of at most `rows` rows, in the query's order: a
    province's table is turned into what a stage keeps one slice at a time, never held raw at once.

    The query runs on its own cursor: the caller may write on `con` between slices (a query on a
    connection would close the open result of the one before)."""
    cursor = con.cursor()
    try:
        reader = cursor.sql(sql, params=params or []).to_arrow_reader(rows)
        held: list[pa.RecordBatch] = []  # DuckDB hands out smaller batches than asked: gathered to `rows`
        count, empty = 0, True
        for batch in reader:
            held.append(batch)
            count += batch.num_rows
            if count >= rows:
                yield pl.from_arrow(pa.Table.from_batches(held))  # type: ignore[misc]
                held, count, empty = [], 0, False
        if held or empty:  # an empty table is one empty frame with the query's columns, not none
            yield pl.from_arrow(pa.Table.from_batches(held, schema=reader.schema))  # type: ignore[misc]
    finally:
        cursor.close()


def replace_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    frame: pl.DataFrame,
    where: str = "TRUE",
    params: list[object] | None = None,
) -> None:
    """Delete the rows `where` selects (parameterised) and insert the frame, in one transaction."""
    name = ident(table)
    con.register("_incoming_frame", frame)
    try:
        with transaction(con):
            con.execute(f"DELETE FROM {name} WHERE {where}", params or [])  # noqa: S608 — ident() + fixed clauses
            if frame.height:
                con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM _incoming_frame")  # noqa: S608
    finally:
        con.unregister("_incoming_frame")


def spill_folder(con: duckdb.DuckDBPyConnection) -> Path:
    """DuckDB's spill folder for this database (FUNDRISK_TEMP_DIR, else beside the file), created."""
    folder = Path(str(con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0]))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def concat_compact(parts: Iterable[pl.DataFrame], folder: Path) -> pl.DataFrame:
    """The parts concatenated, each parked in an Arrow file as it is made and all read back at the end.

    A province's registrations keyed a slice at a time, kept in memory, took twice their size: each
    slice's kept columns sat between the freed temporaries of its keying (10M: 5.9 GB for 2.6 GB of
    columns). Read back after the last slice they are allocated in one piece. One part is kept as it is."""
    frames: list[pl.DataFrame] = []
    with tempfile.TemporaryDirectory(dir=folder, prefix="fundrisk-slices-") as parked:
        paths: list[Path] = []
        for number, part in enumerate(parts):
            if number == 0:
                frames.append(part)
                continue
            if number == 1:  # more than one: park the first as well
                paths.append(_park(frames.pop(), Path(parked), 0))
            paths.append(_park(part, Path(parked), number))
            del part
        frames += [pl.read_ipc(path) for path in paths]
    return pl.concat(frames)


def _park(frame: pl.DataFrame, folder: Path, number: int) -> Path:
    path = folder / f"{number:05d}.arrow"
    frame.write_ipc(path, compression="uncompressed")
    return path


def delete_rows(
    con: duckdb.DuckDBPyConnection, table: str, where: str = "TRUE", params: list[object] | None = None
) -> None:
    """Delete the rows `where` selects (parameterised): the first step of a table a stage then appends
    to a slice at a time (a dead run's partial rows are cleared by its redo the same way)."""
    con.execute(f"DELETE FROM {ident(table)} WHERE {where}", params or [])  # noqa: S608 — ident() + fixed clauses


def append(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    if not frame.height:
        return
    con.register("_incoming_frame", frame)
    try:
        con.execute(f"INSERT INTO {ident(table)} BY NAME SELECT * FROM _incoming_frame")  # noqa: S608
    finally:
        con.unregister("_incoming_frame")
