"""Decisions fed back into entity resolution: confirmed / rejected links and leads merged by a person."""

from __future__ import annotations

import polars as pl

from fundrisk.warehouse import review_store as store
from fundrisk.warehouse.db import Connection

MERGE_SCHEMA = {"member": pl.Utf8, "group": pl.Utf8}


def reviewed_links(con: Connection) -> pl.DataFrame:
    """source_kind, source_id, uscc, decision ('confirm' | 'reject'), oldest first (the last confirm wins)."""
    return store.reviewed_links(con)


def lead_merge_groups(con: Connection) -> pl.DataFrame:
    """member ('clue:XS…'), group: the records of leads a person decided to merge, one group per merged set.

    A lead is named by its smallest member (WZ-clue-XS2025-000005 ← clue:XS2025-000005), so that member
    always stands for it; the last run's members of the lead join too. Merges chain (A+B, B+C → one group).
    """
    pairs, members = store.merged_lead_members(con)
    if not pairs.height:
        return pl.DataFrame(schema=MERGE_SCHEMA)
    parent: dict[str, str] = {}

    def root(lead: str) -> str:
        while parent.get(lead, lead) != lead:
            lead = parent[lead]
        return lead

    for a, b in pairs.iter_rows():  # decisions a person made: a few hundred at most
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    leads = sorted({lead for pair in pairs.iter_rows() for lead in pair})
    groups = pl.DataFrame({"lead_id": leads, "group": [root(lead) for lead in leads]})
    named = groups.select(_member_of(pl.col("lead_id")).alias("member"), "group")
    listed = members.join(groups, on="lead_id").select("member", "group")
    return pl.concat([named.drop_nulls("member"), listed]).unique(maintain_order=True)


def _member_of(lead_id: pl.Expr) -> pl.Expr:
    """WZ-clue-XS2025-000005 → clue:XS2025-000005 (enrichers/leads.py names a lead after its smallest member)."""
    return (
        lead_id.str.extract(r"^WZ-([a-z]+)-(.+)$", 1)
        + pl.lit(":")
        + lead_id.str.extract(r"^WZ-([a-z]+)-(.+)$", 2)
    )
