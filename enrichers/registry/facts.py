"""Typed registry records -> polars frames for the registry_* tables and registry_flags, whole-column.

Every derived column (is_current, is_fundraising, is_lending, the change category, the related rows,
the province fallback, the subject id) has its one definition here, used by both look-up paths: vendor
answers (dicts, typed by model.typed_record, then records.from_records) and the snapshot's column path
(snapshot_decode), which both end as ``records.TypedRecords``.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from enrichers.registry.columns import province_expr
from enrichers.registry.flags import FLAG_SCHEMA, KEY_CATEGORIES, flag_frame, max_in_year
from enrichers.registry.model import typed_record
from enrichers.registry.records import TypedRecords, from_records

__all__ = ["FLAG_SCHEMA", "KEY_CATEGORIES", "SCHEMAS", "build_frames", "fact_frames", "max_in_year"]

S, D, B = pl.String, pl.Date, pl.Boolean
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
FUNDRAISING = "非法吸收公众存款|集资诈骗|组织、领导传销|非法集资"
LENDING = "民间借贷"
CATEGORIES = [  # first match wins
    ("legal_rep", "法定代表人|法人代表|负责人|执行事务合伙人"),
    ("scope", "经营范围"),
    ("address", "住所|地址|经营场所"),
    ("name", "名称"),
    ("capital", "注册资本|资金数额"),
    ("shareholder", "股东|投资人|出资"),
]
RELATIONS = (("branches", "分支机构", "branch_uscc"), ("investments", "对外投资", "investee_uscc"))


def category_expr(item: pl.Expr) -> pl.Expr:
    """What a change record changed: legal_rep, scope, address, name, capital, shareholder or other."""
    out: Any = pl
    for category, pattern in CATEGORIES:
        out = out.when(item.str.contains(pattern)).then(pl.lit(category))
    return out.otherwise(pl.lit("other"))


def change_category(item: str | None) -> str:
    """category_expr for one item (the same definition)."""
    return str(pl.select(category_expr(pl.lit(item, S))).item())


def subject_id_expr() -> pl.Expr:
    """The key facts are stored under: the subject's uscc, else the registry's, else the name, else ''."""
    name = pl.col("name")
    return pl.coalesce(
        pl.col("uscc"), pl.col("basic").struct.field("uscc"), pl.when(name != "").then(name)
    ).fill_null("")


def fact_frames(records: list[dict[str, Any]], provider: str) -> dict[str, pl.DataFrame]:
    """One frame per registry_* fact table (registry_flags included) for these records (typed here)."""
    return build_frames(from_records([typed_record(r) for r in records]), provider)


def _items(typed: TypedRecords, key: str, ids: pl.DataFrame) -> pl.DataFrame:
    """One list's items with the record's subject id as ``uscc`` (the item's own uscc renamed first)."""
    frame = typed.items[key].rename({"uscc": "item_uscc"}, strict=False)
    return frame.join(ids, on="idx", how="left").sort("idx", "pos", maintain_order=True)


def build_frames(typed: TypedRecords, provider: str) -> dict[str, pl.DataFrame]:
    """The fact frames and registry_flags of typed records, in record order (items in list order)."""
    heads = typed.heads.with_columns(subject_id_expr().alias("sid"))
    ids = heads.select("idx", pl.col("sid").alias("uscc"))
    basic = heads.filter(pl.col("basic").is_not_null()).select(
        pl.col("sid").alias("uscc"),
        pl.col("basic").struct.unnest().name.prefix("b_"),
        pl.lit(provider, S).alias("provider"),
    )
    frames = {
        "registry_basic": basic.select(
            pl.col(f"b_{c}" if c not in ("uscc", "provider") else c).alias(c)
            for c in SCHEMAS["registry_basic"]
        ),
        "registry_abnormal": _items(typed, "abnormal", ids).with_columns(
            pl.col("removed_on").is_null().alias("is_current")
        ),
        "registry_lawsuits": _lawsuits(_items(typed, "lawsuits", ids)),
        "registry_changes": _items(typed, "changes", ids).with_columns(
            category_expr(pl.col("item")).alias("category")
        ),
    }
    related: list[pl.DataFrame] = []
    for key, relation, code in RELATIONS:
        items = _items(typed, key, ids).with_columns(
            pl.col("item_uscc").alias(code),
            pl.coalesce("province", province_expr(pl.col("item_uscc"), pl.col("name"))).alias("province"),
        )
        frames[f"registry_{key}"] = items
        related.append(
            items.select(
                "idx", "pos", "uscc", pl.col("name").alias("related_name"), pl.col("item_uscc").alias("related_uscc"),
                pl.lit(relation, S).alias("relation"), "province", "status", pl.lit(len(related)).alias("rel"),
            )
        )  # fmt: skip
    frames["registry_related"] = pl.concat(related).sort("idx", "rel", "pos", maintain_order=True)
    out = {t: frames[t].select(pl.col(c).cast(d) for c, d in s.items()) for t, s in SCHEMAS.items()}
    out["registry_flags"] = flag_frame(heads, out, provider)
    return out


def _lawsuits(laws: pl.DataFrame) -> pl.DataFrame:
    about = pl.concat_str(pl.col("case_reason").fill_null(""), pl.lit(" "), pl.col("title").fill_null(""))
    return laws.with_columns(
        about.str.contains(FUNDRAISING).alias("is_fundraising"),
        about.str.contains(LENDING).alias("is_lending"),
    )
