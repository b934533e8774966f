"""Writes of one ingested file: history, current rows, quarantine and the file record, atomically.

A province's file is written batch by batch while the next batch is validated (fundrisk/ingest.py):
the cheap cases are kept cheap (a batch of new records is inserted as it is, no comparison), and
the file is written on one DuckDB thread so that nothing has to be rewritten at the next checkpoint.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import duckdb
import polars as pl
import pyarrow as pa

from fundrisk.sources.spec import KindSpec
from fundrisk.warehouse.db import ident, scalar, transaction


@dataclass(frozen=True)
class FileRecord:
    sha256: str
    kind: str
    source_file: str
    path: str
    encoding: str
    ingest_id: str
    run_id: str | None


def file_seen(con: duckdb.DuckDBPyConnection, sha256: str, kind: str) -> bool:
    """True when the same bytes were already ingested as the same kind."""
    return (
        scalar(con, "SELECT count(*) FROM ingested_files WHERE sha256 = ? AND kind = ?", [sha256, kind]) > 0
    )


def write_ingest(
    con: duckdb.DuckDBPyConnection,
    spec: KindSpec,
    loaded: pl.DataFrame,
    quarantine: pl.DataFrame,
    record: FileRecord,
) -> tuple[int, int]:
    """Store one whole file's outcome in a single transaction; returns (records changed, restated)."""
    with transaction(con):
        updated, restated = write_batch(con, spec, loaded, quarantine, record)
        record_file(con, record, loaded.height + quarantine.height, loaded.height, quarantine.height, updated)
    return updated, restated


@dataclass(frozen=True)
class StagedBatch:
    """One batch as DuckDB scans it: Arrow tables stamped with the file's ingest id and the time."""

    loaded: pa.Table
    rejected: pa.Table


def stage_batch(loaded: pl.DataFrame, quarantine: pl.DataFrame, record: FileRecord) -> StagedBatch:
    """Stamp and convert a validated batch; done on the validating thread, the writer only writes."""
    now = dt.datetime.now()
    stamp = [pl.lit(record.ingest_id).alias("ingest_id"), pl.lit(now).alias("loaded_at")]
    rejected = quarantine.with_columns(
        pl.lit(record.ingest_id).alias("ingest_id"), pl.lit(now).alias("quarantined_at")
    )
    return StagedBatch(loaded.with_columns(stamp).to_arrow(), rejected.to_arrow())


def write_batch(
    con: duckdb.DuckDBPyConnection,
    spec: KindSpec,
    loaded: pl.DataFrame,
    quarantine: pl.DataFrame,
    record: FileRecord,
) -> tuple[int, int]:
    """Store one batch of a file inside the caller's transaction; returns (records updated, restated)."""
    return write_staged(con, spec, stage_batch(loaded, quarantine, record))


def write_staged(
    con: duckdb.DuckDBPyConnection, spec: KindSpec, batch: StagedBatch, compare_threads: int | None = None
) -> tuple[int, int]:
    """Store one staged batch inside the caller's transaction; returns (records updated, restated).

    A row that restates its stored current row (same record_key, same values and extra columns; only the
    bookkeeping differs) is neither an update nor a new history version: the current row, with the file
    that first brought that version, stays as it is. Every other row is a new version: it goes into
    history and replaces the current row of its key (an update) or becomes one (a new record).
    A batch none of whose keys is stored yet (a first load) is written as it is, compared to nothing;
    otherwise its changed rows are picked once, into a temporary table both inserts read. Under
    `one_thread`, `compare_threads` gives that comparison (a join, nothing written to the file) back
    the database's threads.
    """
    con.register("incoming", batch.loaded)
    con.register("rejected", batch.rejected)
    try:
        return write_from(con, spec, "incoming", "rejected", compare_threads)
    finally:
        with contextlib.suppress(duckdb.Error):  # an aborted transaction refuses this too
            con.unregister("incoming")
            con.unregister("rejected")


def write_from(
    con: duckdb.DuckDBPyConnection,
    spec: KindSpec,
    loaded: str,
    rejected: str,
    compare_threads: int | None = None,
) -> tuple[int, int]:
    """write_staged's writes from the relations named `loaded` and `rejected` (a registered batch, or a
    large file's staging tables); returns (records updated, restated)."""
    table, history = ident(spec.table), ident(f"{spec.table}_history")
    source, changed, updated = loaded, scalar(con, f"SELECT count(*) FROM {loaded}"), 0  # noqa: S608
    incoming = changed
    # Identifiers come from ident() (schema whitelist), the kinds spec and this module; every value is
    # bound or a frame.
    try:
        with _threads(con, compare_threads):
            stored = _any_stored(con, table, loaded)
            if stored:
                same = " AND ".join(f't."{c}" IS NOT DISTINCT FROM i."{c}"' for c in [*spec.names, "extra"])
                con.execute(
                    f"""CREATE OR REPLACE TEMP TABLE {CHANGED} AS SELECT i.* FROM {loaded} i
                    WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.record_key = i.record_key AND {same})"""  # noqa: S608
                )
        if stored:
            source = CHANGED
            changed = scalar(con, f"SELECT count(*) FROM {CHANGED}")  # noqa: S608
            replaced = f"FROM {table} WHERE record_key IN (SELECT record_key FROM {CHANGED})"  # noqa: S608
            updated = scalar(con, f"SELECT count(*) {replaced}")
            if updated:
                con.execute(f"DELETE {replaced}")
        con.execute(f"INSERT INTO {history} BY NAME SELECT * FROM {source}")  # noqa: S608
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {source}")  # noqa: S608
        con.execute(f"INSERT INTO quarantine BY NAME SELECT * FROM {rejected}")  # noqa: S608
    finally:
        # In a transaction aborted by a failed insert, this fails too: keep the first error.
        with contextlib.suppress(duckdb.Error):
            con.execute(f"DROP TABLE IF EXISTS {CHANGED}")
    return updated, incoming - changed


# A large file's batches are appended to staging tables, each committed at once, and written to the
# tables in one transaction at the end: DuckDB holds a transaction's appended rows in memory until it
# commits (about 0.9 GB per million registrations), so a province's file is not written batch by batch
# inside one.
def _stages(spec: KindSpec) -> tuple[str, str]:
    """The staging tables of one kind (two kinds' files may be staged side by side)."""
    return f"main.fundrisk_stage_{spec.table}", f"main.fundrisk_stage_{spec.table}_rejected"


def drop_stage(con: duckdb.DuckDBPyConnection, spec: KindSpec) -> None:
    """Drop a kind's staging tables (left over by a run killed while staging, or done with)."""
    for stage in _stages(spec):
        con.execute(f"DROP TABLE IF EXISTS {stage}")  # noqa: S608 — the kinds spec's table names


def stage_rows(
    con: duckdb.DuckDBPyConnection, spec: KindSpec, batch: StagedBatch, compare_threads: int | None = None
) -> tuple[int, int]:
    """Append one batch to the staging tables, outside any transaction (write_staged's signature: it
    is what the ingest's writer thread calls); nothing is counted as updated before the end."""
    con.register("incoming", batch.loaded)
    con.register("rejected", batch.rejected)
    try:
        for stage, source in zip(_stages(spec), ("incoming", "rejected"), strict=True):
            con.execute(f"CREATE TABLE IF NOT EXISTS {stage} AS SELECT * FROM {source} LIMIT 0")  # noqa: S608
            con.execute(f"INSERT INTO {stage} BY NAME SELECT * FROM {source}")  # noqa: S608
    finally:
        con.unregister("incoming")
        con.unregister("rejected")
    return 0, 0


def write_stage(
    con: duckdb.DuckDBPyConnection, spec: KindSpec, compare_threads: int | None = None
) -> tuple[int, int]:
    """Write the staged file inside the caller's transaction and drop its staging tables with it."""
    counts = write_from(con, spec, *_stages(spec), compare_threads)
    drop_stage(con, spec)
    return counts


CHANGED = "temp.main.fundrisk_changed_rows"  # the changed rows of the batch being written


def _any_stored(con: duckdb.DuckDBPyConnection, table: str, loaded: str) -> bool:
    """Whether any key of the relation `loaded` already has a row in the current table.

    A semi-join on the key alone: a fraction of the cost of comparing every column of every row.
    """
    sql = f"SELECT count(*) FROM {loaded} i SEMI JOIN {table} t ON t.record_key = i.record_key"  # noqa: S608
    return scalar(con, sql) > 0


@contextlib.contextmanager
def _threads(con: duckdb.DuckDBPyConnection, threads: int | None) -> Iterator[None]:
    """Run a read-only step (a join) on `threads` DuckDB threads, then go back to one."""
    if not threads or threads == 1:
        yield
        return
    con.execute("SET threads = ?", [threads])
    try:
        yield
    finally:
        with contextlib.suppress(duckdb.Error):  # an aborted transaction refuses SET: one_thread restores
            con.execute("SET threads = 1")


@contextlib.contextmanager
def one_thread(con: duckdb.DuckDBPyConnection) -> Iterator[int]:
    """A file's writes on one DuckDB thread, each row group written as soon as it is full.

    Measured at 1,000,000 registrations: inserted on two threads, the batches' row groups are written
    during the inserts and then compressed and written again by the next checkpoint (at the latest when
    the database is closed), ~8 s of CPU; on one thread they are written once, in file order. And with
    DuckDB's default of five row groups buffered, most of the writing waits for the COMMIT after the last
    batch, where nothing overlaps it; one at a time, it happens on the writer thread while the next
    batch is validated on the other core. Both settings are database-wide: they are put back as soon
    as the file's transaction has ended (committed or rolled back: an aborted transaction refuses SET).
    Yields the database's thread count, for the steps that only read (see write_staged).
    """
    names = ("threads", "write_buffer_row_group_count")
    before = [scalar(con, "SELECT current_setting(?)", [name]) for name in names]
    con.execute("SET threads = 1")
    con.execute("SET write_buffer_row_group_count = 1")
    try:
        yield before[0]
    finally:
        con.execute("SET threads = ?", [before[0]])
        con.execute("SET write_buffer_row_group_count = ?", [before[1]])


def record_file(
    con: duckdb.DuckDBPyConnection,
    record: FileRecord,
    read: int,
    loaded: int,
    quarantined: int,
    updated: int,
) -> None:
    """The file's row in ingested_files: written last, so a file counts as seen only when it landed whole."""
    row = [record.sha256, record.kind, record.source_file, record.path, record.encoding]
    con.execute(
        "INSERT INTO ingested_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [*row, read, loaded, quarantined, updated, record.ingest_id, record.run_id, dt.datetime.now()],
    )
