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
    """One row per record with the derived red flags and their Chinese reason lines."""
    counts = max_in_year(frames["registry_changes"])
    yearly = {(r["uscc"], r["category"]): r["n"] for r in counts.iter_rows(named=True)}
    out = []
    # Split each table by uscc once: a filter per record and table is quadratic (minutes at 50,000 records).
    tables = {t: f for t, f in frames.items() if t in SCHEMAS}
    by_uscc = {t: f.partition_by("uscc", as_dict=True) for t, f in tables.items()}
    for record in records:
        uid = subject_id(record)
        basic = record.get("basic") or {}
        mine = {t: by_uscc[t].get((uid,), f.clear()) for t, f in tables.items()}
        abnormal, laws, related = (
            mine["registry_abnormal"],
            mine["registry_lawsuits"],
            mine["registry_related"],
        )
        home = basic.get("province") or province_of(
            uid if len(uid) == 18 else None, None, basic.get("address")
        )
        provinces = sorted({p for p in related["province"].to_list() if p} | ({home} if home else set()))
        reasons_seen = [r for r in laws["case_reason"].to_list() if r]
        flags = {
            "uscc": uid,
            "name": basic.get("name") or record.get("name"),
            "provider": provider,
            "reg_status": basic.get("status"),
            "home_province": home,
            "abnormal_count": max(abnormal.height, record.get("abnormal_total") or 0),
            "abnormal_current": int(abnormal["is_current"].sum()),
            "lawsuit_count": max(laws.height, record.get("lawsuit_total") or 0),
            "fundraising_lawsuits": int(laws["is_fundraising"].sum()),
            "lending_lawsuits": int(laws["is_lending"].sum()),
            "lawsuit_reasons": "、".join(dict.fromkeys(reasons_seen)) or None,
            **{f"{c}_changes_365": yearly.get((uid, c), 0) for c in KEY_CATEGORIES},
            "branch_count": mine["registry_branches"].height,
            "investment_count": mine["registry_investments"].height,
            "related_count": related.height,
            "provinces": "、".join(provinces) or None,
            "province_count": len(provinces),
            "out_of_province": sum(1 for p in related["province"].to_list() if p and home and p != home),
        }
        flags["frequent_changes"] = any(flags[f"{c}_changes_365"] >= 2 for c in KEY_CATEGORIES)
        flags["reasons"] = "；".join(registry_reasons(flags)) or None
        out.append(flags)
    return pl.DataFrame(out, schema=FLAG_SCHEMA, orient="row")


def registry_reasons(flags: dict[str, Any]) -> list[str]:
    """工商登记红旗：吊销注销、经营异常、涉诉（非吸/集资诈骗/民间借贷）、频繁变更、跨省关联。"""
    reasons = []
    status = flags.get("reg_status") or ""
    if "吊销" in status or "注销" in status:
        reasons.append(f"工商登记状态为「{status}」")
    if flags["abnormal_count"]:
        current = (
            f"，其中 {flags['abnormal_current']} 条尚未移出" if flags["abnormal_current"] else "，均已移出"
        )
        reasons.append(f"曾被列入经营异常名录 {flags['abnormal_count']} 次{current}")
    if flags["fundraising_lawsuits"]:
        reasons.append(f"涉及非法吸收公众存款、集资诈骗等案件 {flags['fundraising_lawsuits']} 起")
    if flags["lending_lawsuits"]:
        reasons.append(f"涉及民间借贷纠纷 {flags['lending_lawsuits']} 起")
    if flags["lawsuit_count"] and not (flags["fundraising_lawsuits"] or flags["lending_lawsuits"]):
        reasons.append(f"涉诉 {flags['lawsuit_count']} 起（{flags['lawsuit_reasons'] or '案由未知'}）")
    for category in KEY_CATEGORIES:
        if flags[f"{category}_changes_365"] >= 2:
            label = CATEGORY_LABELS[category]
            reasons.append(f"一年内{label}变更 {flags[f'{category}_changes_365']} 次")
    if flags["out_of_province"]:
        reasons.append(f"分支机构及对外投资涉及 {flags['province_count']} 个省份（{flags['provinces']}）")
    return reasons
