"""Case-file attachments (evidence_files): one row per subject and SHA-256, whatever the file is called.

Registering the same bytes twice for a subject adds nothing (primary key subject_id, sha256), so the daily
run may walk the evidence folders again and again. `unchanged_paths` lets the caller skip hashing a file
whose path, size and modification time are already on record.
"""

from __future__ import annotations

import duckdb
import polars as pl

from fundrisk.warehouse.frames import read

COLUMNS = (
    "subject_id",
    "file_name",
    "sha256",
    "size_bytes",
    "media_type",
    "path",
    "registered_at",
    "modified_at",
    "note",
    "run_id",
)

_INSERT = """
INSERT INTO evidence_files BY NAME SELECT * FROM _incoming_evidence
ON CONFLICT (subject_id, sha256) DO NOTHING
"""


def unchanged_paths(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """path, size_bytes, modified_at of every registered file (to skip re-hashing what did not change)."""
    return read(
        con, "SELECT DISTINCT path, size_bytes, modified_at FROM evidence_files WHERE path IS NOT NULL"
    )


def register_files(con: duckdb.DuckDBPyConnection, files: pl.DataFrame) -> int:
    """Insert files (columns of COLUMNS) not yet registered for their subject; returns the rows added."""
    if files.height == 0:
        return 0
    frame = files.unique(["subject_id", "sha256"], keep="first", maintain_order=True).select(COLUMNS)
    before = _count(con)
    con.register("_incoming_evidence", frame)
    try:
        con.execute(_INSERT).fetchall()
    finally:
        con.unregister("_incoming_evidence")
    return _count(con) - before


def evidence_for(con: duckdb.DuckDBPyConnection, subject_id: str) -> pl.DataFrame:
    """One subject's files, oldest registration first (columns of COLUMNS)."""
    return read(
        con,
        f"SELECT {', '.join(COLUMNS)} FROM evidence_files WHERE subject_id = ? "  # noqa: S608 — constant names
        "ORDER BY registered_at, file_name",
        [subject_id],
    )


def _count(con: duckdb.DuckDBPyConnection) -> int:
    rows = con.execute("SELECT count(*) FROM evidence_files").fetchall()
    return int(rows[0][0]) if rows else 0
