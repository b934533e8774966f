"""Writes of one ingested file: history, current rows, quarantine and the file record, atomically."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass

import duckdb
import polars as pl

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


def write_batch(
    con: duckdb.DuckDBPyConnection,
    spec: KindSpec,
    loaded: pl.DataFrame,
    quarantine: pl.DataFrame,
    record: FileRecord,
) -> tuple[int, int]:
    """Store one batch of a file inside the caller's transaction; returns (records updated, restated).

    A row that restates its stored current row (same record_key, same values and extra columns; only the
    bookkeeping differs) is neither an update nor a new history version: the current row, with the file
    that first brought that version, stays as it is. Batches of one file share its ingest id and are
    told apart by their line range.
    """
    now = dt.datetime.now()
    stamp = [pl.lit(record.ingest_id).alias("ingest_id"), pl.lit(now).alias("loaded_at")]
    con.register("incoming", loaded.with_columns(stamp))
    con.register(
        "rejected",
        quarantine.with_columns(
            pl.lit(record.ingest_id).alias("ingest_id"), pl.lit(now).alias("quarantined_at")
        ),
    )
    table, history = ident(spec.table), ident(f"{spec.table}_history")
    same = " AND ".join(f't."{c}" IS NOT DISTINCT FROM i."{c}"' for c in [*spec.names, "extra"])
    lines = loaded.select(pl.col("line").min().alias("lo"), pl.col("line").max().alias("hi")).row(0)
    batch = [record.ingest_id, lines[0] or 0, lines[1] or 0]
    # Identifiers come from ident() (schema whitelist) and the kinds spec; every value is bound or a frame.
    try:
        # The changed rows go straight into history (no temporary copy of a province's file), and the
        # current table takes them back from there by this file's ingest id and this batch's lines.
        con.execute(
            f"""INSERT INTO {history} BY NAME SELECT i.* FROM incoming i
            WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.record_key = i.record_key AND {same})"""  # noqa: S608
        )
        mine = f"SELECT record_key FROM {history} WHERE ingest_id = ? AND line BETWEEN ? AND ?"  # noqa: S608
        changed = scalar(con, f"SELECT count(*) FROM ({mine})", batch)  # noqa: S608
        restated = loaded.height - changed
        in_mine = f"FROM {table} WHERE record_key IN ({mine})"  # noqa: S608
        updated = scalar(con, f"SELECT count(*) {in_mine}", batch)
        if updated:
            con.execute(f"DELETE {in_mine}", batch)
        con.execute(
            f"INSERT INTO {table} BY NAME SELECT * FROM {history} "  # noqa: S608
            "WHERE ingest_id = ? AND line BETWEEN ? AND ?",
            batch,
        )
        con.execute("INSERT INTO quarantine BY NAME SELECT * FROM rejected")
    finally:
        # In a transaction aborted by a failed insert, unregistering fails too: keep the first error.
        with contextlib.suppress(duckdb.Error):
            con.unregister("incoming")
            con.unregister("rejected")
    return updated, restated


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
