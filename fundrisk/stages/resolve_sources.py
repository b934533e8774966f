"""What entity resolution needs as frames (registrations and sources), read by fundrisk/warehouse/inputs_store.py."""

from __future__ import annotations

import polars as pl

from fundrisk.warehouse import inputs_store
from fundrisk.warehouse.db import Connection

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


def registrations_frame(con: Connection) -> pl.DataFrame:
    return inputs_store.resolution_registrations(con)


def sources_frame(con: Connection) -> pl.DataFrame:
    """Alerts (account holder), clues (named subject) and surveys (signboard) as one frame to link."""
    frames = inputs_store.link_sources(con)
    return pl.concat([f.cast(SOURCE_SCHEMA) for f in frames])  # type: ignore[arg-type]


def clue_contexts(con: Connection) -> pl.DataFrame:
    """Clue text, where company names may be written besides the named subject."""
    return inputs_store.clue_contexts(con)
