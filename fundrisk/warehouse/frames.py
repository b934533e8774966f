"""Polars frames in and out of DuckDB: parameterised reads, whole-table replacement, appends."""

from __future__ import annotations

import duckdb
import polars as pl

from fundrisk.warehouse.db import ident, transaction


def read(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | dict[str, object] | None = None
) -> pl.DataFrame:
    """The result of a parameterised query (positional ? or named $name parameters) as a polars frame."""
    return con.sql(sql, params=params or []).pl()


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


def append(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    if not frame.height:
        return
    con.register("_incoming_frame", frame)
    try:
        con.execute(f"INSERT INTO {ident(table)} BY NAME SELECT * FROM _incoming_frame")  # noqa: S608
    finally:
        con.unregister("_incoming_frame")
