"""Stage helper: the subject features frame (scoring/FEATURES.md), one row per entity or lead."""

from __future__ import annotations

import duckdb
import polars as pl

from enrichers.names import name_norm
from fundrisk.stages.features_sql import FEATURES_PARAMS, FEATURES_SQL
from fundrisk.warehouse.frames import read


def build_features(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Aggregate links, alerts, clues, keywords, registry facts and relations per subject."""
    features = read(con, FEATURES_SQL, FEATURES_PARAMS)
    return _mark_listed_by_name(con, features)


def _mark_listed_by_name(con: duckdb.DuckDBPyConnection, features: pl.DataFrame) -> pl.DataFrame:
    """The provincial list sometimes carries a name without a code: match it on the normalised name."""
    listed = read(con, "SELECT name FROM provincial_list WHERE name IS NOT NULL")
    if listed.height == 0 or features.height == 0:
        return features
    listed_norms = name_norm(listed["name"]).unique().implode()
    norms = name_norm(features["name"].fill_null(""))
    by_name = norms.is_in(listed_norms) & (features["subject_kind"] == "registration")
    return features.with_columns((pl.col("on_provincial_list") | by_name).alias("on_provincial_list"))
