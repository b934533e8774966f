"""The scored subjects of a run with everything the exports show: place, people, money, sources.

Column names here are English; each export picks and renames them to its exact Chinese headers.
"""

from __future__ import annotations

import duckdb
import polars as pl

from enrichers.industries import industry_section
from enrichers.names import name_norm
from fundrisk.errors import BadInput
from fundrisk.stages.features import build_features
from fundrisk.warehouse.features_store import has_run_features
from fundrisk.warehouse.publish_store import (
    latest_run_id,
    provincial_entries,
    run_scores,
    scored_rows,
    subject_details,
    subject_sources,
)

TIERS = ("高风险", "中风险", "低风险", "无明显风险")
TIER_RANK = {"高风险": 3, "中风险": 2, "低风险": 1, "无明显风险": 0}
TIER_ALIASES = {
    "高": "高风险",
    "中": "中风险",
    "低": "低风险",
    "无": "无明显风险",
    "无明显": "无明显风险",
    "high": "高风险",
    "medium": "中风险",
    "low": "低风险",
    "none": "无明显风险",
}
KEYS = ["subject_kind", "subject_id"]
FEATURE_COLUMNS = [
    "alert_count",
    "clue_count",
    "payer_count",
    "claimed_participants",
    "inflow_yuan",
    "outflow_yuan",
    "claimed_amount_yuan",
    "on_provincial_list",
    "stability_terms",
    "inspection_conclusion",
]
# The pooling evidence the police-referral rule reads (publish/police_referrals.py, referral.toml).
EVIDENCE_COLUMNS = ["alert_types", "single_payer_alerts", "money_clue_count"]
TOP_REASONS = 3


def parse_tier(text: str | None) -> str:
    """A tier name from 高风险 / 高 / high …; anything else is a usage error."""
    raw = (text or "").strip()
    tier = raw if raw in TIER_RANK else TIER_ALIASES.get(raw.lower())
    if tier is None:
        raise BadInput(
            f"未知的风险等级「{raw}」，可选：高风险、中风险、低风险、无明显风险（或 高、中、低、无）"
        )
    return tier


def tier_rank(expr: pl.Expr) -> pl.Expr:
    """3 高风险, 2 中风险, 1 低风险, 0 otherwise."""
    return expr.replace_strict(TIER_RANK, default=0, return_dtype=pl.Int64)


def resolve_run(con: duckdb.DuckDBPyConnection, run_id: str | None) -> str:
    run = run_id or latest_run_id(con)
    if run is None:
        raise BadInput("数据库中还没有风险评分结果，请先运行 fundrisk run")
    return run


def scored_subjects(
    con: duckdb.DuckDBPyConnection, run_id: str, min_tier: str = "无明显风险", conclusion: str | None = None
) -> pl.DataFrame:
    """Subjects of the run at or above `min_tier` (or whose latest inspection concluded `conclusion`),
    joined with details, features and sources.

    With the run's persisted features the join and the filter run in DuckDB, so a district of a million
    registrations hands polars only the rows an export shows.
    """
    floor = TIER_RANK[parse_tier(min_tier)]
    wanted = FEATURE_COLUMNS + EVIDENCE_COLUMNS
    if has_run_features(con, run_id):
        frame = scored_rows(con, run_id, floor, wanted, conclusion)
    else:
        concluded = pl.coalesce("latest_conclusion", "inspection_conclusion").eq_missing(pl.lit(conclusion))
        frame = _joined_in_polars(con, run_id, wanted).filter(
            (tier_rank(pl.col("tier")) >= floor) | (concluded & pl.lit(conclusion is not None))
        )
    for column in FEATURE_COLUMNS:  # a warehouse without some stage still exports
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(None).alias(column))
    return _derive(con, frame).sort(
        ["expected_yield", "score"], descending=True, nulls_last=True, maintain_order=True
    )


def _joined_in_polars(con: duckdb.DuckDBPyConnection, run_id: str, wanted: list[str]) -> pl.DataFrame:
    """A run from before run_features: today's features rebuilt and joined here."""
    features = build_features(con)
    features = features.select(KEYS + [c for c in wanted if c in features.columns])
    frame = (
        run_scores(con, run_id)
        .join(subject_details(con), on=KEYS, how="left")
        .join(features, on=KEYS, how="left")
        .join(subject_sources(con), on=KEYS, how="left")
    )
    if "inspection_conclusion" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.String).alias("inspection_conclusion"))
    return frame


def _derive(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> pl.DataFrame:
    """Display columns computed once for every export (whole-column expressions)."""
    num = pl.col
    reasons = (
        pl.col("reasons")
        .fill_null("")
        .str.split("\n")
        .list.eval(pl.element().str.strip_chars().filter(pl.element().str.strip_chars() != ""))
    )
    blank = pl.col("industry").is_null() | (pl.col("industry").str.strip_chars() == "")
    frame = frame.with_columns(
        industry_section(frame["industry"]).alias("industry_section"),
        pl.when(pl.col("subject_kind") == "lead").then(pl.col("subject_id")).alias("lead_id"),
        pl.coalesce(pl.col("name"), pl.col("score_name")).alias("name"),
        reasons.list.head(TOP_REASONS).list.join("；").alias("top_reasons"),
        pl.when(blank).then(pl.lit("其他")).otherwise(pl.col("industry")).alias("industry"),
        pl.max_horizontal(num("payer_count").fill_null(0), num("claimed_participants").fill_null(0))
        .cast(pl.Int64)
        .alias("people"),
        pl.max_horizontal(num("inflow_yuan").fill_null(0.0), num("claimed_amount_yuan").fill_null(0.0))
        .cast(pl.Float64)
        .alias("amount_yuan"),
        pl.when(pl.col("subject_kind") == "registration")
        .then(pl.lit("登记主体"))
        .otherwise(pl.lit("无照经营线索"))
        .alias("subject_type"),
        pl.col("alert_count").fill_null(0).cast(pl.Int64),
        pl.col("clue_count").fill_null(0).cast(pl.Int64),
        pl.col("score").round(1),
    )
    frame = frame.with_columns((pl.col("amount_yuan") / 1e4).round(2).alias("amount_wan"))
    return frame.with_columns(listed_expr(con, frame).alias("on_list"))


def listed_expr(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> pl.Series:
    """On the provincial 金安工程 list by credit code or by normalised name (registrations only)."""
    listed = provincial_entries(con)
    codes = listed["uscc"].drop_nulls().unique().implode()
    names = listed["name"].drop_nulls()
    norms = name_norm(names).unique().implode() if names.len() else pl.Series([[]], dtype=pl.List(pl.String))
    own_norm = name_norm(frame["name"].fill_null("")) if frame.height else pl.Series([], dtype=pl.String)
    is_registration = frame["subject_kind"] == "registration"
    by_code = frame["uscc"].is_in(codes).fill_null(False)
    by_name = own_norm.is_in(norms).fill_null(False) & (own_norm != "")
    by_feature = frame["on_provincial_list"].cast(pl.Boolean).fill_null(False)
    return (is_registration & (by_code | by_name | by_feature)).rename("on_list")


def yes_no(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr.fill_null(False)).then(pl.lit("是")).otherwise(pl.lit("否"))
