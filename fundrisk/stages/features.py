"""Stage helper: the subject features frame (scoring/FEATURES.md), one row per entity or lead.

A province has millions of subjects: the features are assembled once into a DuckDB temporary table
(which spills to disk under the memory budget) and read back in hash partitions, so the scoring stage
holds one partition at a time; `build_features` still returns the whole frame for small callers.
"""

from __future__ import annotations

import duckdb
import polars as pl

from enrichers.names import name_norm
from fundrisk.stages.features_sql import FEATURES_SQL, features_params
from fundrisk.warehouse.frames import read

STAGED = "subject_features"
PART = "hash(subject_kind || ':' || subject_id) % $parts = $part"


def build_features(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Aggregate links, alerts, clues, keywords, registry facts and relations per subject."""
    features = read(con, FEATURES_SQL, features_params())
    return _mark_listed_by_name(con, features)


def stage_features(con: duckdb.DuckDBPyConnection) -> int:
    """Assemble every subject's features into a temporary table; returns the number of subjects."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {STAGED} AS {FEATURES_SQL}", features_params())
    return int(con.execute(f"SELECT count(*) FROM {STAGED}").fetchall()[0][0])  # noqa: S608


def staged_part(con: duckdb.DuckDBPyConnection, part: int, parts: int) -> pl.DataFrame:
    """One hash partition of the staged features (every subject falls in exactly one)."""
    frame = read(con, f"SELECT * FROM {STAGED} WHERE {PART}", {"part": part, "parts": parts})  # noqa: S608
    return _mark_listed_by_name(con, frame)


def staged_labelled(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The subjects with an inspection conclusion, in a fixed order (the calibration's folds follow it)."""
    sql = f"SELECT * FROM {STAGED} WHERE inspection_conclusion IS NOT NULL ORDER BY subject_kind, subject_id"  # noqa: S608
    return _mark_listed_by_name(con, read(con, sql))


def drop_staged(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"DROP TABLE IF EXISTS {STAGED}")


def _mark_listed_by_name(con: duckdb.DuckDBPyConnection, features: pl.DataFrame) -> pl.DataFrame:
    """The provincial list sometimes carries a name without a code: match it on the normalised name."""
    listed = read(con, "SELECT name FROM provincial_list WHERE name IS NOT NULL")
    if listed.height == 0 or features.height == 0:
        return features
    listed_norms = name_norm(listed["name"]).unique().implode()
    norms = name_norm(features["name"].fill_null(""))
    by_name = norms.is_in(listed_norms) & (features["subject_kind"] == "registration")
    return features.with_columns((pl.col("on_provincial_list") | by_name).alias("on_provincial_list"))
