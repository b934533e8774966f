"""Stage: link alerts and clues to registrations; keep the doubtful ones for review."""

from __future__ import annotations

import duckdb
import polars as pl

from enrichers.resolve import resolve
from fundrisk.stages.resolve_sources import registrations_frame, sources_frame
from fundrisk.warehouse.frames import replace_rows


def run_resolution(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, object]:
    """Recompute every link from the current tables (links are cheap; inputs may have changed)."""
    regs = registrations_frame(con)
    result = resolve(regs, sources_frame(con))
    stamp = pl.lit(run_id).alias("run_id")
    replace_rows(con, "entity_links", result.links.with_columns(stamp))
    replace_rows(con, "link_review", result.review.with_columns(stamp))
    methods = dict(result.links.group_by("method").len().iter_rows())
    return {
        "links": result.links.height,
        "links_by_method": {str(k): int(v) for k, v in methods.items()},
        "review": result.review.select("source_kind", "source_id").unique().height,
        "unmatched": result.unmatched.height,
    }
