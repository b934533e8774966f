"""The scored subjects of a run with everything the exports show: place, people, money, sources.

Column names here are English; each export picks and renames them to its exact Chinese headers.
Inside `shared_subjects(floor, conclusion)` (a daily publish) the lists of one run share one query:
the first call reads every subject at or above `floor` (or with `conclusion`) and each list filters that
frame; at a million registrations each read is ~2-4 s of DuckDB and polars.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field

import polars as pl

from enrichers.industries import industry_section
from enrichers.names import name_norm
from enrichers.provincial import on_list
from fundrisk.errors import BadInput
from fundrisk.warehouse.db import Connection
from fundrisk.warehouse.inputs_store import provincial_entries
from fundrisk.warehouse.publish_store import latest_run_id, scored_rows
from scoring.config import tier_scale

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
    """A tier name from its name or an alias of tiers.toml (高风险 / 高 / high …); else a usage error."""
    raw = (text or "").strip()
    scale = tier_scale()
    tier = scale.resolve(raw)
    if tier is None:
        names, shorts = "、".join(scale.names), "、".join(scale.short(n) for n in scale.names)
        raise BadInput(f"未知的风险等级「{raw}」，可选：{names}（或 {shorts}）")
    return tier


def tier_rank(expr: pl.Expr) -> pl.Expr:
    """The rank of tiers.toml (the lowest tier 0, each tier above one more; an unknown name 0)."""
    return expr.replace_strict(tier_scale().ranks, default=0, return_dtype=pl.Int64)


def resolve_run(con: Connection, run_id: str | None) -> str:
    run = run_id or latest_run_id(con)
    if run is None:
        raise BadInput("数据库中还没有风险评分结果，请先运行 fundrisk run")
    return run


@dataclass
class _Shared:
    """The read a `shared_subjects` block answers from: its scope, and the frame once read."""

    floor: int
    conclusion: str | None
    frames: dict[str, pl.DataFrame] = field(default_factory=dict)
    con: Connection | None = None


_shared: ContextVar[_Shared | None] = ContextVar("_shared_subjects", default=None)


@contextlib.contextmanager
def shared_subjects(min_tier: str, conclusion: str | None = None) -> Iterator[None]:
    """Inside, `scored_subjects` of a run at or above `min_tier` (with no conclusion or this one) is one
    read, filtered per call. For a block that does not change scores, details or inspections."""
    token = _shared.set(_Shared(tier_scale().rank(parse_tier(min_tier)), conclusion))
    try:
        yield
    finally:
        _shared.reset(token)


def scored_subjects(
    con: Connection, run_id: str, min_tier: str | None = None, conclusion: str | None = None
) -> pl.DataFrame:
    """Subjects of the run at or above `min_tier` (or whose latest inspection concluded `conclusion`),
    joined with details, features and sources.

    The features are those the run persisted when it was scored (run_features; publish_store.scored_rows
    says what stands in for a run from an older file), never rebuilt here. The join and the filter run
    in DuckDB, so a district of a million registrations hands polars only the rows an export shows.
    """
    floor = tier_scale().rank(parse_tier(min_tier or tier_scale().bottom))  # default: every tier
    shared = _shared.get()
    if shared is None or floor < shared.floor or conclusion not in (None, shared.conclusion):
        return _read(con, run_id, floor, conclusion)
    if shared.con is not con:
        shared.con, shared.frames = con, {}
    if run_id not in shared.frames:
        shared.frames[run_id] = _read(con, run_id, shared.floor, shared.conclusion)
    # The filter scored_rows applies in SQL, on the shared rows (every column it reads is kept).
    latest = pl.coalesce(pl.col("latest_conclusion"), pl.col("inspection_conclusion"))
    wanted = latest == conclusion if conclusion is not None else pl.lit(False)
    return shared.frames[run_id].filter((tier_rank(pl.col("tier")) >= floor) | wanted.fill_null(False))


def _read(con: Connection, run_id: str, floor: int, conclusion: str | None) -> pl.DataFrame:
    frame = scored_rows(con, run_id, floor, FEATURE_COLUMNS + EVIDENCE_COLUMNS, conclusion)
    for column in FEATURE_COLUMNS:  # a warehouse without some stage still exports
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(None).alias(column))
    # Ties broken by the subject, so two runs over the same data list rows in the same order.
    return _derive(con, frame).sort(
        ["expected_yield", "score", "subject_kind", "subject_id"],
        descending=[True, True, False, False],
        nulls_last=True,
    )


def _derive(con: Connection, frame: pl.DataFrame) -> pl.DataFrame:
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


def listed_expr(con: Connection, frame: pl.DataFrame) -> pl.Series:
    """On the provincial 金安工程 list (registrations only): as the run's features said, or by today's list
    (`enrichers.provincial.on_list`, which may have grown since the run was scored)."""
    own_norm = name_norm(frame["name"].fill_null("")) if frame.height else pl.Series([], dtype=pl.String)
    is_registration = frame["subject_kind"] == "registration"
    listed = on_list(frame["uscc"], own_norm, provincial_entries(con))
    by_feature = frame["on_provincial_list"].cast(pl.Boolean).fill_null(False)
    return (is_registration & (listed | by_feature)).rename("on_list")


def yes_no(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr.fill_null(False)).then(pl.lit("是")).otherwise(pl.lit("否"))
