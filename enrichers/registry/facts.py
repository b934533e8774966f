"""Pure functions: normalised registry records -> polars frames for the registry_* tables and flags."""

from __future__ import annotations

import re
from typing import Any

import polars as pl

from enrichers.registry.model import province_of

S, D, B, INT = pl.String, pl.Date, pl.Boolean, pl.Int64
SCHEMAS: dict[str, dict[str, Any]] = {
    "registry_basic": {
        "uscc": S,
        "name": S,
        "legal_rep": S,
        "status": S,
        "registered_capital": S,
        "established_on": D,
        "address": S,
        "province": S,
        "city": S,
        "district": S,
        "scope": S,
        "entity_type": S,
        "provider": S,
    },
    "registry_abnormal": {
        "uscc": S,
        "listed_on": D,
        "listed_reason": S,
        "listed_by": S,
        "removed_on": D,
        "removed_reason": S,
        "removed_by": S,
        "is_current": B,
    },
    "registry_lawsuits": {
        "uscc": S,
        "case_no": S,
        "title": S,
        "case_reason": S,
        "court": S,
        "judged_on": D,
        "doc_type": S,
        "is_fundraising": B,
        "is_lending": B,
    },
    "registry_branches": {
        "uscc": S,
        "name": S,
        "branch_uscc": S,
        "legal_rep": S,
        "status": S,
        "province": S,
        "city": S,
    },
    "registry_investments": {
        "uscc": S,
        "name": S,
        "investee_uscc": S,
        "legal_rep": S,
        "status": S,
        "province": S,
        "share": S,
        "amount": S,
    },
    "registry_changes": {"uscc": S, "changed_on": D, "item": S, "category": S, "before": S, "after": S},
    "registry_related": {
        "uscc": S,
        "related_name": S,
        "related_uscc": S,
        "relation": S,
        "province": S,
        "status": S,
    },
}
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
FUNDRAISING = re.compile("非法吸收公众存款|集资诈骗|组织、领导传销|非法集资")
LENDING = re.compile("民间借贷")
CATEGORIES = [  # first match wins
    ("legal_rep", re.compile("法定代表人|法人代表|负责人|执行事务合伙人")),
    ("scope", re.compile("经营范围")),
    ("address", re.compile("住所|地址|经营场所")),
    ("name", re.compile("名称")),
    ("capital", re.compile("注册资本|资金数额")),
    ("shareholder", re.compile("股东|投资人|出资")),
]
KEY_CATEGORIES = ("legal_rep", "address", "name", "scope")
CATEGORY_LABELS = {"legal_rep": "法定代表人", "address": "住所", "name": "名称", "scope": "经营范围"}


def change_category(item: str | None) -> str:
    """What a change record changed: legal_rep, scope, address, name, capital, shareholder or other."""
    for category, pattern in CATEGORIES:
        if item and pattern.search(item):
            return category
    return "other"


def subject_id(record: dict[str, Any]) -> str:
    """The key facts are stored under: the subject's uscc, else the registry's, else the name."""
    basic = record.get("basic") or {}
    return str(record.get("uscc") or basic.get("uscc") or record.get("name") or "")


def _frame(table: str, rows: list[dict[str, Any]]) -> pl.DataFrame:
    schema = SCHEMAS[table]
    dates = [c for c, t in schema.items() if t == D]
    raw = pl.DataFrame(rows, schema={c: (S if t == D else t) for c, t in schema.items()}, orient="row")
    return raw.with_columns(pl.col(c).str.to_date("%Y-%m-%d", strict=False) for c in dates)


def fact_frames(records: list[dict[str, Any]], provider: str) -> dict[str, pl.DataFrame]:
    """One frame per registry_* fact table (registry_flags included) for the given records."""
    rows: dict[str, list[dict[str, Any]]] = {table: [] for table in SCHEMAS}
    for record in records:
        uid = subject_id(record)
        basic = record.get("basic")
        if basic:
            rows["registry_basic"].append(
                {**{k: basic.get(k) for k in SCHEMAS["registry_basic"]}, "uscc": uid, "provider": provider}
            )
        for a in record.get("abnormal") or []:
            rows["registry_abnormal"].append({**a, "uscc": uid, "is_current": not a.get("removed_on")})
        for law in record.get("lawsuits") or []:
            about = f"{law.get('case_reason') or ''} {law.get('title') or ''}"
            rows["registry_lawsuits"].append(
                {
                    **law,
                    "uscc": uid,
                    "is_fundraising": bool(FUNDRAISING.search(about)),
                    "is_lending": bool(LENDING.search(about)),
                }
            )
        for rel, table, code in (
            ("分支机构", "registry_branches", "branch_uscc"),
            ("对外投资", "registry_investments", "investee_uscc"),
        ):
            for item in record.get("branches" if rel == "分支机构" else "investments") or []:
                province = item.get("province") or province_of(item.get("uscc"), None, item.get("name"))
                rows[table].append({**item, "uscc": uid, code: item.get("uscc"), "province": province})
                rows["registry_related"].append(
                    {
                        "uscc": uid,
                        "related_name": item.get("name"),
                        "related_uscc": item.get("uscc"),
                        "relation": rel,
                        "province": province,
                        "status": item.get("status"),
                    }
                )
        for change in record.get("changes") or []:
            rows["registry_changes"].append(
                {**change, "uscc": uid, "category": change_category(change.get("item"))}
            )
    frames = {
        table: _frame(table, [{c: r.get(c) for c in SCHEMAS[table]} for r in rs])
        for table, rs in rows.items()
    }
    frames["registry_flags"] = flag_frame(records, frames, provider)
    return frames


def max_in_year(changes: pl.DataFrame) -> pl.DataFrame:
    """Per (uscc, category): the most changes that fall within any 365-day window."""
    dated = changes.filter(pl.col("changed_on").is_not_null()).select("uscc", "category", "changed_on")
    pairs = dated.join(dated, on=["uscc", "category"], suffix="_b").filter(
        (pl.col("changed_on_b") >= pl.col("changed_on"))
        & (pl.col("changed_on_b") < pl.col("changed_on") + pl.duration(days=365))
    )
    per_start = pairs.group_by("uscc", "category", "changed_on").agg(pl.len().alias("n"))
    return per_start.group_by("uscc", "category").agg(pl.col("n").max().cast(INT))


def flag_frame(records: list[dict[str, Any]], frames: dict[str, pl.DataFrame], provider: str) -> pl.DataFrame:
    """One row per record with the derived red flags and their Chinese reason lines (whole-column)."""
    heads = []
    for record in records:
        uid = subject_id(record)
        basic = record.get("basic") or {}
        home = basic.get("province") or province_of(
            uid if len(uid) == 18 else None, None, basic.get("address")
        )
        heads.append(
            (uid, basic.get("name") or record.get("name"), basic.get("status"), home or None,
             record.get("abnormal_total") or 0, record.get("lawsuit_total") or 0)
        )  # fmt: skip
    base = pl.DataFrame(
        heads,
        schema={
            "uscc": S,
            "name": S,
            "reg_status": S,
            "home_province": S,
            "abnormal_total": INT,
            "lawsuit_total": INT,
        },
        orient="row",
    ).with_columns(pl.lit(provider, S).alias("provider"))
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
    related = (
        frames["registry_related"]
        .join(keys, on="uscc", how="left")
        .group_by("uscc")
        .agg(
            pl.len().alias("related_count"),
            pl.col("province").filter(pl.col("province") != "").unique().alias("related_provinces"),
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
    provinces = (
        pl.concat_list(pl.col("related_provinces").fill_null([]), pl.concat_list(home))
        .list.drop_nulls()
        .list.eval(pl.element().filter(pl.element() != ""))
        .list.unique()
        .list.sort()
    )
    zero = [
        "branch_count", "investment_count", "lawsuit_n", "fundraising_lawsuits", "lending_lawsuits",
        "abnormal_n", "abnormal_current", "related_count", "out_of_province",
        *(f"{c}_changes_365" for c in KEY_CATEGORIES),
    ]  # fmt: skip
    return out.with_columns(
        *(pl.col(c).cast(INT).fill_null(0) if c in out.columns else pl.lit(0, INT).alias(c) for c in zero),
        pl.col("reasons_seen").list.join("、").replace("", None).alias("lawsuit_reasons"),
        provinces.list.join("、").replace("", None).alias("provinces"),
        provinces.list.len().cast(INT).alias("province_count"),
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
    return pl.concat_list(parts).list.drop_nulls().list.join("；").replace("", None)
