"""Stage: sensitive-word hits and scores for every registration and clue, replaced each run."""

from __future__ import annotations

import polars as pl

from enrichers.keyword_stage import keyword_enrichment
from fundrisk.warehouse.db import Connection
from fundrisk.warehouse.frames import replace_rows
from fundrisk.warehouse.inputs_store import keyword_inputs


def keyword_rows(
    regs: pl.DataFrame, clues: pl.DataFrame, run_id: str
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, object]]:
    """The rows of keyword_hits and keyword_scores for these subjects, and their counts (pure: also
    what each Dask partition computes, flows/partitions.py)."""
    hits, scores, version = keyword_enrichment(regs, clues)
    stamp = [pl.lit(version).alias("lexicon_version"), pl.lit(run_id).alias("run_id")]
    flagged = scores.filter(pl.col("keyword_score") >= 25).height
    counts = {"keyword_hits": hits.height, "subjects_flagged": flagged, "lexicon_version": version}
    return hits.with_columns(stamp), scores.with_columns(stamp), counts


def run_keywords(con: Connection, run_id: str) -> dict[str, object]:
    """Recompute keyword hits and scores from the current tables; returns counts only."""
    hits, scores, counts = keyword_rows(*keyword_inputs(con), run_id)
    replace_rows(con, "keyword_hits", hits)
    replace_rows(con, "keyword_scores", scores)
    return counts
