"""Tables out to Parquet partitions and results back in: the only DuckDB side of a Dask run.

Workers never open the database (it has one writer); the flow streams an input query into N hashed
Parquet partitions in a folder every worker can read, and loads the workers' Parquet results back in
one transaction per table, replacing the table as the single-process stage does.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from fundrisk.warehouse.db import ident, scalar, transaction


def export_partitions(
    con: duckdb.DuckDBPyConnection, query: str, key: str, partitions: int, folder: Path
) -> dict[int, Path]:
    """Stream `query` into folder/part=K/*.parquet by hash of column `key`; returns the non-empty parts.

    `query` and `key` are constants of the calling stage (never user text); the count and folder are bound.
    """
    folder.mkdir(parents=True, exist_ok=True)
    con.execute(
        f"COPY (SELECT *, hash({key}) % ? AS part FROM ({query})) TO ? "  # noqa: S608 — stage constants
        "(FORMAT parquet, PARTITION_BY (part), OVERWRITE_OR_IGNORE)",
        [partitions, str(folder)],
    )
    return {
        int(d.name.split("=", 1)[1]): d for d in sorted(folder.glob("part=*")) if any(d.glob("*.parquet"))
    }


def load_results(con: duckdb.DuckDBPyConnection, table: str, files: list[Path]) -> int:
    """Replace `table` with the rows of the result files (in file order), in one transaction."""
    name = ident(table)
    present = [str(f) for f in files if f.exists()]
    with transaction(con):
        con.execute(f"DELETE FROM {name}")  # noqa: S608 — ident() whitelist
        if present:
            con.execute(
                f"INSERT INTO {name} BY NAME SELECT * EXCLUDE (filename, file_row_number) "  # noqa: S608
                "FROM read_parquet(?, union_by_name = true, filename = true, file_row_number = true) "
                "ORDER BY list_position(?, filename), file_row_number",
                [present, present],
            )
    return scalar(con, f"SELECT count(*) FROM {name}")  # noqa: S608
