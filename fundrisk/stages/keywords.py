"""Stage: sensitive-word hits and scores for every registration and clue, replaced each run."""

from __future__ import annotations

import duckdb
import polars as pl

from enrichers.keyword_stage import keyword_enrichment
from fundrisk.warehouse.frames import read, replace_rows


def run_keywords(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, object]:
    """Recompute keyword hits and scores from the current tables; returns counts only."""
    regs = read(con, "SELECT uscc, name, business_scope FROM registrations")
    clues = read(con, "SELECT clue_id, subject_name, content FROM clues")
    hits, scores, version = keyword_enrichment(regs, clues)
    stamp = [pl.lit(version).alias("lexicon_version"), pl.lit(run_id).alias("run_id")]
    replace_rows(con, "keyword_hits", hits.with_columns(stamp))
    replace_rows(con, "keyword_scores", scores.with_columns(stamp))
    flagged = scores.filter(pl.col("keyword_score") >= 25).height
    return {"keyword_hits": hits.height, "subjects_flagged": flagged, "lexicon_version": version}
