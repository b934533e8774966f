"""The subject features: assembled for scoring (features_sql.py), and kept per run (`run_features`).

A province has millions of subjects: the features are assembled once into a DuckDB temporary table
(which spills to disk under the memory budget) and read back in hash partitions, so the scoring stage
holds one partition at a time. What each run scored is kept, so an export of a past run shows that
run's facts: rebuilding them at export time would mix today's inputs into an old run's list. Only the
columns the exports and the referral rule read are kept (the table's columns), one row per subject per run.
"""

from __future__ import annotations

import duckdb
import polars as pl

from fundrisk.warehouse.features_sql import FEATURES_SQL, features_params
from fundrisk.warehouse.frames import append, read

TABLE = "run_features"
KEYS = ("run_id", "subject_kind", "subject_id")
STAGED = "subject_features"
PART = "hash(subject_kind || ':' || subject_id) % $parts = $part"


def current_features(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every subject's features from the current tables, in one frame (small callers, tests)."""
    return read(con, FEATURES_SQL, features_params())


# Subjects assembled per statement: the joins' and ordered aggregates' memory follows it.
STAGE_ROWS = 2_000_000


def stage_features(con: duckdb.DuckDBPyConnection, stage_rows: int = STAGE_ROWS) -> int:
    """Assemble every subject's features into a temporary table; returns the number of subjects.

    Above `stage_rows` subjects the assembly runs one hash partition at a time (each CTE narrows its own
    table, features_sql.in_part): a whole province in one statement held its string aggregates and hash
    tables at once and ran out of DuckDB's budget.
    """
    total = con.execute("SELECT (SELECT count(*) FROM registrations) + (SELECT count(*) FROM leads)")
    parts = max(1, -(-int(total.fetchall()[0][0]) // stage_rows))
    for part in range(parts):
        head = f"CREATE OR REPLACE TEMP TABLE {STAGED} AS" if part == 0 else f"INSERT INTO {STAGED}"
        con.execute(f"{head} {FEATURES_SQL}", {**features_params(), "parts": parts, "part": part})
    return int(con.execute(f"SELECT count(*) FROM {STAGED}").fetchall()[0][0])  # noqa: S608


def staged_part(con: duckdb.DuckDBPyConnection, part: int, parts: int) -> pl.DataFrame:
    """One hash partition of the staged features (every subject falls in exactly one)."""
    return read(con, f"SELECT * FROM {STAGED} WHERE {PART}", {"part": part, "parts": parts})  # noqa: S608


def staged_labelled(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The staged subjects with an inspection conclusion, in a fixed order (the calibration's folds follow it)."""
    sql = f"SELECT * FROM {STAGED} WHERE inspection_conclusion IS NOT NULL ORDER BY subject_kind, subject_id"  # noqa: S608
    return read(con, sql)


def drop_staged(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"DROP TABLE IF EXISTS {STAGED}")


def run_feature_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The feature columns the table keeps (its columns minus the keys), in table order."""
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        [TABLE],
    ).fetchall()
    return [str(r[0]) for r in rows if r[0] not in KEYS]


def append_run_features(con: duckdb.DuckDBPyConnection, run_id: str, features: pl.DataFrame) -> int:
    """Add one batch of the run's subjects (the caller cleared the run's rows first)."""
    kept = [c for c in run_feature_columns(con) if c in features.columns]
    frame = features.select(pl.lit(run_id).alias("run_id"), "subject_kind", "subject_id", *kept)
    append(con, TABLE, frame)
    return frame.height


def has_run_features(con: duckdb.DuckDBPyConnection, run_id: str) -> bool:
    """Whether the run persisted its features (a database from before run_features did not)."""
    if not run_feature_columns(con):  # a read-only connection to an old file never ran the DDL
        return False
    rows = con.execute("SELECT count(*) FROM (SELECT 1 FROM run_features WHERE run_id = ? LIMIT 1)", [run_id])
    return bool(rows.fetchall()[0][0])
