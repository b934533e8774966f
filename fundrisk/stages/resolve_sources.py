"""What entity resolution needs as frames (registrations and sources), read by fundrisk/warehouse/inputs_store.py."""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl

from enrichers.names import with_name_keys
from enrichers.resolve import id_key
from fundrisk.warehouse import inputs_store
from fundrisk.warehouse.db import Connection, release_cache
from fundrisk.warehouse.frames import concat_compact, spill_folder

SOURCE_SCHEMA = {
    "source_kind": pl.Utf8,
    "source_id": pl.Utf8,
    "name": pl.Utf8,
    "uscc": pl.Utf8,
    "address": pl.Utf8,
    "town": pl.Utf8,
    "grid": pl.Utf8,
    "holder_id": pl.Utf8,
}
REGISTRATION_SLICE = 1_000_000  # registrations read and keyed at a time


def registrations_frame(con: Connection) -> pl.DataFrame:
    return inputs_store.resolution_registrations(con)


def keyed_registrations(con: Connection, rows: int = REGISTRATION_SLICE) -> pl.DataFrame:
    """Registrations with their name keys (with_name_keys), keyed a slice at a time, for the resolution.

    At a province this frame is most of the stage's memory: the raw name and address are dropped once
    keyed, the representative's ID is kept as its join key (rep_id), town and grid (a few dozen values)
    are categorical, and what only the offender check compares is added after the resolution
    (with_offender_columns); the review's candidate names are read for its few rows (with_candidate_names)."""
    keyed = (
        with_name_keys(part)
        .with_columns(
            id_key(part["legal_rep_id"]).alias("rep_id"), pl.col("town", "grid").cast(pl.Categorical)
        )
        .drop("name", "address", "legal_rep_id")
        for part in inputs_store.registration_slices(con, rows)
    )
    frame = concat_compact(keyed, spill_folder(con))  # held as made, the slices took twice their size
    release_cache(con)  # the table's blocks DuckDB cached while it was read are now the frame's room
    return frame


def with_offender_columns(
    con: Connection, regs: pl.DataFrame, rows: int = REGISTRATION_SLICE
) -> pl.DataFrame:
    """keyed_registrations plus name, status, industry, phone and legal_rep_id (for rep_id), read in
    the same order."""
    slices = (
        part.with_columns(pl.col("status", "industry").cast(pl.Categorical))
        for part in inputs_store.offender_column_slices(con, rows)
    )
    extra = concat_compact(slices, spill_folder(con))
    release_cache(con)
    if not extra["uscc"].equals(regs["uscc"]):  # the table changed in between: match on the code
        extra = regs.select("uscc").join(extra, on="uscc", how="left", maintain_order="left")
    columns = extra.select("name", "status", "industry", "phone", "legal_rep_id")
    return regs.drop("rep_id").hstack(columns.get_columns())


def with_candidate_names(con: Connection, review: pl.DataFrame) -> pl.DataFrame:
    """The review rows with each candidate's registered name (keyed_registrations holds no names)."""
    names = inputs_store.registration_names(con, review.select("uscc").unique())
    named = review.drop("candidate_name").join(names, on="uscc", how="left", maintain_order="left")
    return named.rename({"name": "candidate_name"}).select(review.columns)


def sources_frame(con: Connection) -> pl.DataFrame:
    """Alerts (account holder), clues (named subject) and surveys (signboard) as one frame to link."""
    frames = inputs_store.link_sources(con)
    return pl.concat([f.cast(SOURCE_SCHEMA) for f in frames])  # type: ignore[arg-type]


def source_chunks(con: Connection, rows: int) -> Iterator[pl.DataFrame]:
    """sources_frame `rows` records at a time: a province's millions of records are read as resolved."""
    for frame in inputs_store.link_source_batches(con, rows):
        release_cache(con)  # each chunk's blocks, cached by DuckDB, grew the stage chunk by chunk
        yield frame.cast(SOURCE_SCHEMA)  # type: ignore[arg-type]


def clue_contexts(con: Connection) -> pl.DataFrame:
    """Clue text, where company names may be written besides the named subject."""
    return inputs_store.clue_contexts(con)
