"""registry_flags: one row per record with its derived red flags and their Chinese reason lines.

Built whole-column from the record heads (records.TypedRecords) and the split fact tables (facts.py).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from enrichers.registry.columns import province_expr

S, B, INT = pl.String, pl.Boolean, pl.Int64
FLAG_SCHEMA: dict[str, Any] = {
    "uscc": S,
    "name": S,
    "provider": S,
    "reg_status": S,
    "home_province": S,
    "abnormal_count": INT,
    "abnormal_current": INT,
    "lawsuit_count": INT,
    "fundraising_lawsuits": INT,
    "lending_lawsuits": INT,
    "lawsuit_reasons": S,
    "legal_rep_changes_365": INT,
    "address_changes_365": INT,
    "name_changes_365": INT,
    "scope_changes_365": INT,
    "frequent_changes": B,
    "branch_count": INT,
    "investment_count": INT,
    "related_count": INT,
    "provinces": S,
    "province_count": INT,
    "out_of_province": INT,
    "reasons": S,
}
KEY_CATEGORIES = ("legal_rep", "address", "name", "scope")
CATEGORY_LABELS = {"legal_rep": "法定代表人", "address": "住所", "name": "名称", "scope": "经营范围"}


def max_in_year(changes: pl.DataFrame) -> pl.DataFrame:
    """Per (uscc, category): the most changes that fall within any 365-day window."""
    dated = changes.filter(pl.col("changed_on").is_not_null()).select("uscc", "category", "changed_on")
    pairs = dated.join(dated, on=["uscc", "category"], suffix="_b").filter(
        (pl.col("changed_on_b") >= pl.col("changed_on"))
        & (pl.col("changed_on_b") < pl.col("changed_on") + pl.duration(days=365))
    )
    per_start = pairs.group_by("uscc", "category", "changed_on").agg(pl.len().alias("n"))
    return per_start.group_by("uscc", "category").agg(pl.col("n").max().cast(INT))


def flag_frame(heads: pl.DataFrame, frames: dict[str, pl.DataFrame], provider: str) -> pl.DataFrame:
    """One row per record head (with its ``sid``) with the derived red flags and their reason lines."""
    basic, sid = pl.col("basic"), pl.col("sid")
    base = heads.select(
        sid.alias("uscc"),
        pl.coalesce(basic.struct.field("name"), pl.col("name")).alias("name"),
        basic.struct.field("status").alias("reg_status"),
        pl.coalesce(
            basic.struct.field("province"),
            province_expr(pl.when(sid.str.len_chars() == 18).then(sid), basic.struct.field("address")),
        ).alias("home_province"),
        pl.col("abnormal_total").fill_null(0),
        pl.col("lawsuit_total").fill_null(0),
        pl.lit(provider, S).alias("provider"),
    )
    flags = base.join(_per_subject(frames, base), on="uscc", how="left", nulls_equal=True).with_columns(
        pl.max_horizontal("abnormal_n", "abnormal_total").alias("abnormal_count"),
        pl.max_horizontal("lawsuit_n", "lawsuit_total").alias("lawsuit_count"),
    )
    flags = flags.with_columns(
        pl.any_horizontal(pl.col(f"{c}_changes_365") >= 2 for c in KEY_CATEGORIES).alias("frequent_changes")
    )
    return flags.with_columns(_reasons_expr().alias("reasons")).select(
        pl.col(c).cast(t) for c, t in FLAG_SCHEMA.items()
    )


def _per_subject(frames: dict[str, pl.DataFrame], base: pl.DataFrame) -> pl.DataFrame:
    """Counts per uscc from the split tables, zero where a subject has no rows."""
    keys = base.select("uscc", "home_province").unique("uscc", keep="first", maintain_order=True)
    laws = (
        frames["registry_lawsuits"]
        .group_by("uscc", maintain_order=True)
        .agg(
            pl.len().alias("lawsuit_n"),
            pl.col("is_fundraising").sum().alias("fundraising_lawsuits"),
            pl.col("is_lending").sum().alias("lending_lawsuits"),
            pl.col("case_reason")
            .filter(pl.col("case_reason") != "")
            .unique(maintain_order=True)
            .alias("reasons_seen"),
        )
    )
    abnormal = (
        frames["registry_abnormal"]
        .group_by("uscc")
        .agg(pl.len().alias("abnormal_n"), pl.col("is_current").sum().alias("abnormal_current"))
    )
    home = pl.col("home_province")
    seen = pl.col("province").append(home.first()).drop_nulls()
    related = (
        frames["registry_related"]
        .join(keys, on="uscc", how="left")
        .group_by("uscc")
        .agg(
            pl.len().alias("related_count"),
            seen.filter(seen != "").unique().sort().alias("related_provinces"),  # the home province too
            ((pl.col("province") != "") & (home != "") & (pl.col("province") != home))
            .sum()
            .alias("out_of_province"),
        )
    )
    yearly = (
        max_in_year(frames["registry_changes"])
        .filter(pl.col("category").is_in(KEY_CATEGORIES))
        .with_columns(pl.col("category") + "_changes_365")
    )
    changes = keys.select("uscc").join(
        yearly.pivot("category", index="uscc", values="n") if yearly.height else yearly.select("uscc"),
        on="uscc",
        how="left",
    )
    counts = [
        frames["registry_branches"].group_by("uscc").agg(pl.len().alias("branch_count")),
        frames["registry_investments"].group_by("uscc").agg(pl.len().alias("investment_count")),
        laws,
        abnormal,
        related,
        changes,
    ]
    out = keys
    for frame in counts:
        out = out.join(frame, on="uscc", how="left", nulls_equal=True)
    # Provinces: the related rows' and the home province (sorted, distinct); the home alone without rows.
    listed, alone = pl.col("related_provinces"), pl.when(home != "").then(home)
    has_rows = listed.is_not_null()
    zero = [
        "branch_count", "investment_count", "lawsuit_n", "fundraising_lawsuits", "lending_lawsuits",
        "abnormal_n", "abnormal_current", "related_count", "out_of_province",
        *(f"{c}_changes_365" for c in KEY_CATEGORIES),
    ]  # fmt: skip
    return out.with_columns(
        *(pl.col(c).cast(INT).fill_null(0) if c in out.columns else pl.lit(0, INT).alias(c) for c in zero),
        pl.col("reasons_seen").list.join("、").replace("", None).alias("lawsuit_reasons"),
        pl.when(has_rows).then(listed.list.join("、").replace("", None)).otherwise(alone).alias("provinces"),
        pl.when(has_rows)
        .then(listed.list.len())
        .otherwise(alone.is_not_null())
        .cast(INT)
        .alias("province_count"),
    ).drop("home_province", "reasons_seen", "related_provinces")


def _reasons_expr() -> pl.Expr:
    """工商登记红旗：吊销注销、经营异常、涉诉（非吸/集资诈骗/民间借贷）、频繁变更、跨省关联 — joined by ；."""
    c = pl.col
    status = c("reg_status").fill_null("")
    current = (
        pl.when(c("abnormal_current") > 0)
        .then(pl.format("，其中 {} 条尚未移出", c("abnormal_current")))
        .otherwise(pl.lit("，均已移出"))
    )
    parts = [
        pl.when(status.str.contains("吊销|注销")).then(pl.format("工商登记状态为「{}」", status)),
        pl.when(c("abnormal_count") > 0).then(
            pl.format("曾被列入经营异常名录 {} 次{}", c("abnormal_count"), current)
        ),
        pl.when(c("fundraising_lawsuits") > 0).then(
            pl.format("涉及非法吸收公众存款、集资诈骗等案件 {} 起", c("fundraising_lawsuits"))
        ),
        pl.when(c("lending_lawsuits") > 0).then(pl.format("涉及民间借贷纠纷 {} 起", c("lending_lawsuits"))),
        pl.when(
            (c("lawsuit_count") > 0) & (c("fundraising_lawsuits") == 0) & (c("lending_lawsuits") == 0)
        ).then(pl.format("涉诉 {} 起（{}）", c("lawsuit_count"), c("lawsuit_reasons").fill_null("案由未知"))),
        *(
            pl.when(c(f"{k}_changes_365") >= 2).then(
                pl.format("一年内{}变更 {} 次", pl.lit(CATEGORY_LABELS[k]), c(f"{k}_changes_365"))
            )
            for k in KEY_CATEGORIES
        ),
        pl.when(c("out_of_province") > 0).then(
            pl.format("分支机构及对外投资涉及 {} 个省份（{}）", c("province_count"), c("provinces"))
        ),
    ]
    return pl.concat_str(parts, separator="；", ignore_nulls=True).replace("", None)
