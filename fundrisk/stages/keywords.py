"""Stage: sensitive-word hits and scores for every registration and clue, replaced each run."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import polars as pl

from enrichers.keyword_stage import keyword_enrichment
from fundrisk.warehouse.db import Connection
from fundrisk.warehouse.frames import append, delete_rows
from fundrisk.warehouse.inputs_store import clue_texts, keyword_registration_slices

SLICE_ROWS = 1_000_000  # registrations scanned at a time
REGISTRATION_COLUMNS = {"uscc": pl.Utf8, "name": pl.Utf8, "business_scope": pl.Utf8}
CLUE_COLUMNS = {"clue_id": pl.Utf8, "subject_name": pl.Utf8, "content": pl.Utf8}


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


def run_keywords(con: Connection, run_id: str, slice_rows: int = SLICE_ROWS) -> dict[str, object]:
    """Recompute keyword hits and scores from the current tables; returns counts only.

    Every subject is scored on its own text, so registrations are scanned a slice at a time and the
    clues last (the rows land in the order one whole scan gives): memory follows the slice, not the
    province. No transaction around the slices (a large one is held in memory until it commits): a
    run that dies here is redone from the delete."""
    delete_rows(con, "keyword_hits")
    delete_rows(con, "keyword_scores")
    counts = []
    for regs, clues in _parts(con, slice_rows):
        hits, scores, part = keyword_rows(regs, clues, run_id)
        append(con, "keyword_hits", hits)
        append(con, "keyword_scores", scores)
        counts.append(part)
    return sum_counts(counts)


def _parts(con: Connection, rows: int) -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]:
    """(registrations, clues): the registrations a slice at a time without clues, then the clues."""
    for regs in keyword_registration_slices(con, rows):
        yield regs, pl.DataFrame(schema=CLUE_COLUMNS)
    yield pl.DataFrame(schema=REGISTRATION_COLUMNS), clue_texts(con)


def sum_counts(counts: Iterable[dict[str, object]]) -> dict[str, object]:
    """Slices' or partitions' counts added up; a text (a version) is the same for every one of them."""
    total: dict[str, object] = {}
    for part in counts:
        for key, value in part.items():
            total[key] = int(total.get(key, 0)) + value if isinstance(value, int) else value  # type: ignore[call-overload]
    return total
