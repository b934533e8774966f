"""Stage: link alerts and clues to registrations, group the rest into unregistered-operator leads,
and relate new registrations to flagged entities (repeat offenders)."""

from __future__ import annotations

import polars as pl

from enrichers.leads import group_leads
from enrichers.offenders import flagged_entities, repeat_offenders
from enrichers.resolve import SOURCE_CHUNK, resolve
from fundrisk.review.feedback import lead_merge_groups, reviewed_links
from fundrisk.stages.resolve_sources import (
    clue_contexts,
    keyed_registrations,
    source_chunks,
    with_candidate_names,
    with_offender_columns,
)
from fundrisk.warehouse.db import Connection
from fundrisk.warehouse.frames import replace_rows
from fundrisk.warehouse.inputs_store import inspections, provincial_entries


def run_resolution(con: Connection, run_id: str) -> dict[str, object]:
    """Recompute links, leads and relations from the current tables (cheap; inputs may have changed)."""
    regs = keyed_registrations(con)  # parsed once, shared by resolve and offenders
    # An analyst's decisions (fundrisk review import) are honoured: confirmed links used, rejected ones
    # never proposed again, leads decided to be one operator merged. Source records are read a chunk
    # at a time as they are resolved.
    chunks = source_chunks(con, SOURCE_CHUNK)
    result = resolve(regs, chunks, clue_contexts(con), reviewed_links(con))
    leads, members = group_leads(result.unmatched, lead_merge_groups(con))
    stamp = pl.lit(run_id).alias("run_id")
    replace_rows(con, "entity_links", result.links.with_columns(stamp))
    replace_rows(con, "link_review", with_candidate_names(con, result.review).with_columns(stamp))
    replace_rows(con, "leads", leads.with_columns(stamp))
    replace_rows(con, "lead_members", members.with_columns(stamp))
    methods = dict(result.links.group_by("method").len().iter_rows())
    summary: dict[str, object] = {
        "links": result.links.height,
        "links_by_method": {str(k): int(v) for k, v in methods.items()},
        "review": result.review.select("source_kind", "source_id").unique().height,
        "unmatched": result.unmatched.height,
        "leads": leads.height,
    }
    del result, leads, members  # written: a province's links are not held beside the offender check
    regs = with_offender_columns(con, regs)
    flagged = flagged_entities(regs, provincial_entries(con), inspections(con))
    relations = repeat_offenders(regs, flagged)
    replace_rows(
        con,
        "entity_relations",
        relations.select("uscc", "related_uscc", "relation", "reason", "strength", "weight", stamp),
    )
    return summary | {
        "flagged": flagged.height,
        "relations": relations.height,
        "strong_relations": relations.filter(pl.col("strength") == "strong").height,
    }
