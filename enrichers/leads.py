"""Unregistered operators (entity resolution, step 3): unlinked records grouped into 无照经营线索.

Alerts and clues that match no registration are joined into connected components: two records
belong together when they share the normalised name core or a non-null address key. Components
are found by min-label propagation over whole columns until nothing changes; the smallest member
key ("clue:XS2025-000001") is both the label and, prefixed with "WZ-", the stable lead id.
"""

from __future__ import annotations

import polars as pl

MIN_CORE_CHARS = 2  # a shorter core is no evidence that two records name the same operator
MAX_ROUNDS = 64  # propagation converges in about the diameter of the largest component


def _spread(label: pl.Expr, key: str) -> pl.Expr:
    return pl.when(pl.col(key).is_null()).then(label).otherwise(label.min().over(key))


def components(records: pl.DataFrame, merged: pl.DataFrame | None = None) -> pl.DataFrame:
    """member, label: label is the smallest member of the record's component (shared core or address).

    merged (member, group) joins the components of members an analyst decided are one operator
    (fundrisk review import, 合并): members of one group spread their label like a shared core does."""
    frame = records.select(
        pl.concat_str("source_kind", pl.lit(":"), "source_id").alias("member"),
        pl.when(pl.col("core").str.len_chars() >= MIN_CORE_CHARS).then(pl.col("core")).alias("k_core"),
        pl.col("address_key").alias("k_addr"),
    ).with_columns(pl.col("member").alias("label"))
    keys = ["k_core", "k_addr"]
    if merged is not None and merged.height:
        groups = merged.select("member", pl.col("group").alias("k_merge")).unique("member")
        frame = frame.join(groups, on="member", how="left", maintain_order="left")
        keys.append("k_merge")
    for _ in range(MAX_ROUNDS):
        step = frame
        for key in keys:
            step = step.with_columns(_spread(pl.col("label"), key).alias("label"))
        if step["label"].equals(frame["label"]):
            break
        frame = step
    return frame.select("member", "label")


def group_leads(
    unmatched: pl.DataFrame, merged: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Leads (one per group of unlinked records sharing a name core or an address) and their members.

    merged (member, group): see components()."""
    lead_schema = {
        "lead_id": pl.Utf8,
        "name": pl.Utf8,
        "core": pl.Utf8,
        "address_key": pl.Utf8,
        "town": pl.Utf8,
        "clue_count": pl.UInt32,
        "alert_count": pl.UInt32,
        "names": pl.Utf8,
    }
    member_schema = {"lead_id": pl.Utf8, "source_kind": pl.Utf8, "source_id": pl.Utf8}
    if unmatched.height == 0:
        return pl.DataFrame(schema=lead_schema), pl.DataFrame(schema=member_schema)
    records = unmatched.unique(["source_kind", "source_id"], keep="first").sort("source_kind", "source_id")
    labels = components(records, merged)
    members = records.with_columns(
        pl.concat_str("source_kind", pl.lit(":"), "source_id").alias("member")
    ).join(labels, on="member")
    members = members.with_columns(
        pl.concat_str(pl.lit("WZ-"), pl.col("label").str.replace(":", "-", literal=True)).alias("lead_id")
    )
    # Name of a lead: clue names before account holders (a person), then the most frequent core and
    # raw name, then text order.
    names = (
        members.group_by("lead_id", "name", "core")
        .agg(pl.len().alias("n"), (pl.col("source_kind") == "clue").any().alias("from_clue"))
        .drop_nulls("name")
        .with_columns(pl.col("n").sum().over("lead_id", "core").alias("n_core"))
        .sort(
            ["lead_id", "from_clue", "n_core", "n", "name"],
            descending=[False, True, True, True, False],
        )
        .group_by("lead_id", maintain_order=True)
        .agg(
            pl.col("name").first(),
            pl.col("core").first(),
            pl.col("name").str.join("、").alias("names"),
        )
    )
    places = (
        members.group_by("lead_id")
        .agg(
            _first_by_count("address_key"),
            _first_by_count("town"),
            (pl.col("source_kind") == "clue").sum().cast(pl.UInt32).alias("clue_count"),
            (pl.col("source_kind") == "alert").sum().cast(pl.UInt32).alias("alert_count"),
        )
        .join(names, on="lead_id", how="left")
    )
    leads = places.select(list(lead_schema)).cast(lead_schema).sort("lead_id")  # type: ignore[arg-type]
    return leads, members.select(list(member_schema)).sort("lead_id", "source_kind", "source_id")


def _first_by_count(col: str) -> pl.Expr:
    """Most frequent non-null value of col in the group, ties to the smallest (deterministic)."""
    return pl.col(col).drop_nulls().mode().sort().first().alias(col)
