"""Read what entity resolution needs from the warehouse as frames (registrations and sources)."""

from __future__ import annotations

import duckdb
import polars as pl

from fundrisk.warehouse.frames import read

SOURCE_SCHEMA = {
    "source_kind": pl.Utf8,
    "source_id": pl.Utf8,
    "name": pl.Utf8,
    "uscc": pl.Utf8,
    "address": pl.Utf8,
    "town": pl.Utf8,
    "grid": pl.Utf8,
    "holder_id": pl.Utf8,
}


def registrations_frame(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return read(
        con,
        "SELECT uscc, name, address, town, grid, legal_rep, legal_rep_id, phone, status, industry FROM registrations",
    )


def sources_frame(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Alerts (account holder), clues (named subject) and surveys (signboard) as one frame to link."""
    alerts = read(
        con,
        "SELECT 'alert' AS source_kind, alert_id AS source_id, account_name AS name, uscc, "
        "NULL::VARCHAR AS address, NULL::VARCHAR AS town, NULL::VARCHAR AS grid, holder_id FROM alerts",
    )
    clues = read(
        con,
        "SELECT 'clue' AS source_kind, clue_id AS source_id, subject_name AS name, subject_uscc AS uscc, "
        "subject_address AS address, town, grid, NULL::VARCHAR AS holder_id FROM clues",
    )
    # Grid sweep records (排查登记): the signboard names the premise, the address places it.
    surveys = read(
        con,
        "SELECT 'survey' AS source_kind, survey_id AS source_id, signboard AS name, uscc, address, town, "
        "grid, NULL::VARCHAR AS holder_id FROM surveys",
    )
    frames = [alerts, clues, surveys]
    return pl.concat([f.cast(SOURCE_SCHEMA) for f in frames])  # type: ignore[arg-type]


def clue_contexts(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Clue text, where company names may be written besides the named subject."""
    return read(con, "SELECT 'clue' AS source_kind, clue_id AS source_id, content AS context FROM clues")
