"""The features frame's schema (scoring/FEATURES.md) and a builder that fills its documented defaults."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl

FEATURE_SCHEMA: dict[str, pl.DataType] = {
    "subject_kind": pl.String(),
    "subject_id": pl.String(),
    "name": pl.String(),
    "entity_type": pl.String(),
    "status": pl.String(),
    "industry": pl.String(),
    "town": pl.String(),
    "address": pl.String(),
    "registered_capital_wan": pl.Float64(),
    "established_on": pl.Date(),
    "is_licensed_fi": pl.Boolean(),
    "alert_count": pl.Int64(),
    "single_payer_alerts": pl.Int64(),
    "payer_count": pl.Int64(),
    "inflow_yuan": pl.Float64(),
    "outflow_yuan": pl.Float64(),
    "txn_count": pl.Int64(),
    "elderly_share": pl.Float64(),
    "out_of_region_share": pl.Float64(),
    "alert_types": pl.String(),
    "alert_days": pl.Int64(),
    "clue_count": pl.Int64(),
    "money_clue_count": pl.Int64(),
    "channel_count": pl.Int64(),
    "days_since_last_clue": pl.Int64(),
    "claimed_participants": pl.Int64(),
    "claimed_amount_yuan": pl.Float64(),
    "clue_negativity": pl.Float64(),
    "stability_terms": pl.String(),
    "stability_signal": pl.Float64(),
    "keyword_score": pl.Int64(),
    "lexicon_hits": pl.Int64(),
    "nine_term_hits": pl.Int64(),
    "keyword_reason": pl.String(),
    "scope_disclaimer_only": pl.Boolean(),
    "registry_abnormal": pl.Int64(),
    "registry_fundraising_lawsuits": pl.Int64(),
    "registry_lending_lawsuits": pl.Int64(),
    "registry_frequent_changes": pl.Boolean(),
    "registry_out_of_province": pl.Boolean(),
    "registry_reasons": pl.String(),
    "relation_count": pl.Int64(),
    "weak_relation_weight": pl.Float64(),
    "relation_reasons": pl.String(),
    "on_provincial_list": pl.Boolean(),
    "inspection_conclusion": pl.String(),
    "inspected_on": pl.Date(),
    "confirmed_on": pl.Date(),
    "last_evidence_on": pl.Date(),
    "survey_count": pl.Int64(),
    "survey_flag_count": pl.Int64(),
    "as_of": pl.Date(),
}

# Non-null defaults: counts are 0 and flags false when absent (FEATURES.md); everything else is null.
DEFAULTS: dict[str, Any] = {
    "subject_kind": "registration",
    "is_licensed_fi": False,
    "scope_disclaimer_only": False,
    "registry_frequent_changes": False,
    "registry_out_of_province": False,
    "on_provincial_list": False,
    "stability_signal": 0.0,
    "inflow_yuan": 0.0,
    "outflow_yuan": 0.0,
    "weak_relation_weight": 0.0,
    "as_of": dt.date(2025, 6, 30),
}
for _col, _dtype in FEATURE_SCHEMA.items():
    if _dtype == pl.Int64() and _col not in {"alert_days", "days_since_last_clue", "claimed_participants"}:
        DEFAULTS.setdefault(_col, 0)


def feature_rows(rows: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """A features frame from partial rows: unknown keys are errors, missing columns take FEATURES.md defaults."""
    filled = []
    for i, row in enumerate(rows):
        unknown = set(row) - set(FEATURE_SCHEMA)
        if unknown:
            raise KeyError(f"not a features column: {sorted(unknown)}")
        full = {c: row.get(c, DEFAULTS.get(c)) for c in FEATURE_SCHEMA}
        full["subject_id"] = full["subject_id"] or f"S{i:06d}"
        full["name"] = full["name"] or f"主体{i}"
        filled.append(full)
    return pl.DataFrame(filled, schema=FEATURE_SCHEMA, orient="row")


def conform(features: pl.DataFrame) -> pl.DataFrame:
    """Add any FEATURES.md column a frame lacks (with its default), e.g. for back-tests on foreign data."""
    missing = [
        pl.lit(DEFAULTS.get(c), dtype=t).alias(c)
        for c, t in FEATURE_SCHEMA.items()
        if c not in features.columns
    ]
    return features.with_columns(missing) if missing else features
