"""Stage helper: the subject features frame (scoring/FEATURES.md), one row per entity or lead.

The warehouse assembles and stages the features (fundrisk/warehouse/features_store.py, its SQL in
features_sql.py); this module adds the one fact SQL cannot: a provincial-list entry that carries a name
without a code, matched on the normalised name. `build_features` returns the whole frame for small callers;
the scoring stage reads the staged features one hash partition at a time.
"""

from __future__ import annotations

import polars as pl

from enrichers.names import name_norm
from enrichers.provincial import on_list
from fundrisk.warehouse import features_store as store
from fundrisk.warehouse.db import Connection
from fundrisk.warehouse.inputs_store import provincial_entries

drop_staged = store.drop_staged
stage_features = store.stage_features


def build_features(con: Connection) -> pl.DataFrame:
    """Aggregate links, alerts, clues, keywords, registry facts and relations per subject."""
    return _mark_listed_by_name(con, store.current_features(con))


def staged_part(con: Connection, part: int, parts: int) -> pl.DataFrame:
    """One hash partition of the staged features (every subject falls in exactly one)."""
    return _mark_listed_by_name(con, store.staged_part(con, part, parts))


def staged_labelled(con: Connection) -> pl.DataFrame:
    """The subjects with an inspection conclusion, in a fixed order (the calibration's folds follow it)."""
    return _mark_listed_by_name(con, store.staged_labelled(con))


def _mark_listed_by_name(con: Connection, features: pl.DataFrame) -> pl.DataFrame:
    """The provincial list sometimes carries a name without a code: `enrichers.provincial.on_list` (the
    one definition of being listed) also matches the normalised name."""
    entries = provincial_entries(con)
    if entries.height == 0 or features.height == 0:
        return features
    norms = name_norm(features["name"].fill_null(""))
    listed = on_list(features["subject_id"], norms, entries) & (features["subject_kind"] == "registration")
    return features.with_columns((pl.col("on_provincial_list") | listed).alias("on_provincial_list"))
