"""Leads that may be one unregistered operator: pairs an analyst should look at (疑似同一经营者).

Leads are already the components of records sharing an exact name core or address (enrichers/leads.py);
what the grouping cannot see are the looser ties the resolver and the repeat-offender rules use elsewhere:
- a name that writes another lead's address (萌水大街25号那家健康体验店 ↔ the lead at 萌水大街25号);
- the same brand (字号) in the same town (秋悦健康体验店 ↔ 秋悦养生馆), unless the "brand" is a description
  (王老板开的…: review.toml [lead_pairs] descriptive);
- alerts of the two leads whose accounts have the same holder's ID.
Every join is blocked on a shared key, and a key shared by many leads proves nothing and is dropped.
Cores one character apart (the resolver's typo rule) were tried and left out: on the generator's district
at 100,000 registrations they proposed 127 pairs and none was one operator (马老板开的理财工作室 ↔ 蒋老板开的…,
安康健康体验店 ↔ 安恒健康体验店), while a written address was right 13 times out of 13.
"""

from __future__ import annotations

import polars as pl

from enrichers.names import address_key, name_parts
from fundrisk.review.config import descriptive

BLOCK_CAP = 12  # a key shared by more leads than this (a common brand, a market's address) is no evidence
GENERIC_BRAND = r"^.记$"  # 王记, 李记: a surname and 记 names many shops
# A street or village address written inside a name or description: 萌水大街25号, 周家村138号.
ADDRESS_IN_TEXT = r"[\p{Han}]{1,8}?(?:大街|大道|路|街|巷|村|庄|里|小区|广场)\d+号"
PAIR_SCHEMA = {"lead_a": pl.Utf8, "lead_b": pl.Utf8, "basis": pl.Utf8}


def _pairs(frame: pl.DataFrame, key: str, basis: pl.Expr) -> pl.DataFrame:
    """Every two leads sharing `key` (blocks of at most BLOCK_CAP), lead_a < lead_b, with the basis text."""
    block = frame.drop_nulls(key).filter(pl.len().over(key) <= BLOCK_CAP).unique(["lead_id", key])
    pairs = block.join(block, on=key, suffix="_b").filter(pl.col("lead_id") < pl.col("lead_id_b"))
    return pairs.select(
        pl.col("lead_id").alias("lead_a"), pl.col("lead_id_b").alias("lead_b"), basis.alias("basis")
    )


def _address_in_name(leads: pl.DataFrame) -> pl.DataFrame:
    """A lead whose names write the address of another lead."""
    written = (
        leads.select("lead_id", pl.col("names").str.extract_all(ADDRESS_IN_TEXT).alias("written"))
        .explode("written")
        .drop_nulls("written")
    )
    if not written.height:
        return pl.DataFrame(schema=PAIR_SCHEMA)
    written = written.with_columns(address_key(written["written"]).alias("address_key")).drop_nulls(
        "address_key"
    )
    places = leads.select(pl.col("lead_id").alias("other"), "address_key").drop_nulls("address_key")
    places = places.filter(pl.len().over("address_key") <= BLOCK_CAP)
    hits = written.join(places, on="address_key").filter(pl.col("lead_id") != pl.col("other"))
    return hits.select(
        pl.min_horizontal("lead_id", "other").alias("lead_a"),
        pl.max_horizontal("lead_id", "other").alias("lead_b"),
        pl.concat_str(
            pl.lit("名称中写明的地址「"), pl.col("written"), pl.lit("」与另一线索的经营地址相同")
        ).alias("basis"),
    )


def _same_brand(leads: pl.DataFrame) -> pl.DataFrame:
    """The same brand (字号) in the same known town (a brand alone across towns is no tie)."""
    brands = leads.select("lead_id", "town", name_parts(leads["core"].fill_null(""))["brand"].alias("brand"))
    brand = pl.col("brand")
    brands = brands.filter(
        (brand.str.len_chars() >= 2) & ~brand.str.contains(GENERIC_BRAND) & ~brand.str.contains(descriptive())
    )
    brands = brands.with_columns(pl.concat_str("town", pl.lit("|"), "brand").alias("k"))
    basis = pl.concat_str(pl.lit("同一镇街内字号「"), pl.col("brand"), pl.lit("」相同"))
    return _pairs(brands, "k", basis)


def _same_holder(holders: pl.DataFrame) -> pl.DataFrame:
    """Alerts of both leads on accounts opened with the same ID (the number itself is never shown)."""
    return _pairs(holders, "holder_id", pl.lit("预警账户的开户人证件号码相同"))


def suspected_pairs(leads: pl.DataFrame, holders: pl.DataFrame) -> pl.DataFrame:
    """lead_a, lead_b (lead_a < lead_b), basis (reasons joined by '；'), one row per pair."""
    if leads.height < 2:
        return pl.DataFrame(schema=PAIR_SCHEMA)
    found = [_address_in_name(leads), _same_brand(leads), _same_holder(holders)]
    pairs = pl.concat([f.cast(PAIR_SCHEMA) for f in found])  # type: ignore[arg-type]
    return (
        pairs.filter(pl.col("lead_a") != pl.col("lead_b"))
        .unique(maintain_order=True)
        .group_by("lead_a", "lead_b", maintain_order=True)
        .agg(pl.col("basis").str.join("；"))
        .sort("lead_a", "lead_b")
    )
