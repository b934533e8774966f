"""Reads of the input tables the enrichment stages work on, as frames (the stages hold no SQL).

REGISTRATION_SQL and CLUE_SQL are also what a Dask run exports in partitions (flows/partitions.py), so
one query defines what the keyword scan reads on either path.
"""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import polars as pl

from fundrisk.warehouse.frames import read, read_batches

REGISTRATION_SQL = "SELECT uscc, name, business_scope FROM registrations"
CLUE_SQL = "SELECT clue_id, subject_name, content FROM clues"


def keyword_registration_slices(con: duckdb.DuckDBPyConnection, rows: int) -> Iterator[pl.DataFrame]:
    """What the sensitive-word scan reads of registrations (uscc, name, scope), `rows` at a time; the
    clues (subject, text) it reads are clue_texts."""
    return read_batches(con, REGISTRATION_SQL, rows)


def clue_texts(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every clue's subject and text (clue_id, subject_name, content), for the sentiment stage."""
    return read(con, CLUE_SQL)


SURVEY_SQL = "SELECT survey_id, signboard, found FROM surveys"


def survey_texts(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every survey's signboard and found-text (survey_id, signboard, found)."""
    return read(con, SURVEY_SQL)


def survey_text_slices(con: duckdb.DuckDBPyConnection, rows: int) -> Iterator[pl.DataFrame]:
    """survey_texts, `rows` surveys at a time."""
    return read_batches(con, SURVEY_SQL, rows)


def resolution_registrations(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The registration columns entity resolution and the offender check compare."""
    return read(
        con,
        "SELECT uscc, name, address, town, grid, legal_rep, legal_rep_id, phone, status, industry FROM registrations",
    )


def registration_slices(con: duckdb.DuckDBPyConnection, rows: int) -> Iterator[pl.DataFrame]:
    """resolution_registrations without what only the offender check compares (offender_column_slices), a
    slice of `rows` at a time: a province's registrations are keyed slice by slice, never held raw."""
    sql = "SELECT uscc, name, address, town, grid, legal_rep, legal_rep_id FROM registrations"
    return read_batches(con, sql, rows)


def offender_column_slices(con: duckdb.DuckDBPyConnection, rows: int) -> Iterator[pl.DataFrame]:
    """uscc, name, status, industry, phone, legal_rep_id: what the offender check compares beside the
    name keys, in the same order as registration_slices (DuckDB keeps a table's insertion order), a
    slice of `rows` at a time (read whole, a province's result took twice its size while converted)."""
    sql = "SELECT uscc, name, status, industry, phone, legal_rep_id FROM registrations"
    return read_batches(con, sql, rows)


def registration_names(con: duckdb.DuckDBPyConnection, codes: pl.DataFrame) -> pl.DataFrame:
    """uscc, name of the registrations whose code is in `codes` (a frame with a uscc column)."""
    con.register("wanted_codes", codes.select("uscc"))
    try:
        return read(
            con, "SELECT r.uscc, r.name FROM registrations r SEMI JOIN wanted_codes w ON w.uscc = r.uscc"
        )
    finally:
        con.unregister("wanted_codes")


# Alerts (account holder), clues (named subject) and surveys (signboard, address) in one column shape.
LINK_SOURCE_SQL = (
    "SELECT 'alert' AS source_kind, alert_id AS source_id, account_name AS name, uscc, "
    "NULL::VARCHAR AS address, NULL::VARCHAR AS town, NULL::VARCHAR AS grid, holder_id FROM alerts",
    "SELECT 'clue' AS source_kind, clue_id AS source_id, subject_name AS name, subject_uscc AS uscc, "
    "subject_address AS address, town, grid, NULL::VARCHAR AS holder_id FROM clues",
    "SELECT 'survey' AS source_kind, survey_id AS source_id, signboard AS name, uscc, address, town, "
    "grid, NULL::VARCHAR AS holder_id FROM surveys",
)


def link_sources(con: duckdb.DuckDBPyConnection) -> list[pl.DataFrame]:
    """Alerts, clues and surveys as three frames of one column shape."""
    return [read(con, sql) for sql in LINK_SOURCE_SQL]


def link_source_batches(con: duckdb.DuckDBPyConnection, rows: int) -> Iterator[pl.DataFrame]:
    """link_sources as frames of at most `rows` records, alerts first, then clues, then surveys."""
    for sql in LINK_SOURCE_SQL:
        yield from read_batches(con, sql, rows)


def clue_contexts(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Clue text, where company names may be written besides the named subject."""
    return read(con, "SELECT 'clue' AS source_kind, clue_id AS source_id, content AS context FROM clues")


def provincial_entries(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The provincial 金安工程 list's codes and names (either may be missing)."""
    return read(con, "SELECT uscc, name FROM provincial_list")


def inspections(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every on-site inspection (uscc, inspected_on, conclusion)."""
    return read(con, "SELECT uscc, inspected_on, conclusion FROM inspections")


def count_registrations(con: duckdb.DuckDBPyConnection) -> int:
    """How many registrations the current table holds (what the stages' memory follows)."""
    row = con.execute("SELECT count(*) FROM registrations").fetchone()
    return int(row[0]) if row else 0
