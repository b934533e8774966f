"""Frames that hold only their own text bytes.

A polars text column cut from a larger one (a filter, a join, a slice) keeps pointing into the larger
one's buffers (string views), so a few kept rows can hold a whole chunk in memory: the registry
snapshot's kept lines held every chunk of a province's file (2.5 GB for 0.24 GB kept), and the
resolution's per-chunk results held every chunk's names and addresses (10M: 6.7 GB after nine
chunks, 5.1 GB detached).
"""

from __future__ import annotations

import polars as pl


def detached(frame: pl.DataFrame) -> pl.DataFrame:
    """The same frame (values, types, order) with text copied out of any larger buffer.

    Arrow's offset strings (the oldest compat level) copy just the bytes each row uses."""
    return pl.DataFrame(pl.from_arrow(frame.to_arrow(compat_level=pl.CompatLevel.oldest())))
