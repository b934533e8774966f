"""Being on the provincial 金安工程 risk list, defined once.

A registered entity is on the list when an entry carries its credit code, or (entries often carry a name
without a code) when an entry's name normalises (`enrichers.names.name_norm`) to its name's. The features
stage, every export (the list may have grown since the run was scored) and the repeat-offender check all
ask `on_list`, so the rule cannot drift between them.
"""

from __future__ import annotations

import polars as pl

from enrichers.names import name_norm


def on_list(codes: pl.Series, norms: pl.Series, entries: pl.DataFrame) -> pl.Series:
    """Per row: its credit code, or its normalised name (`name_norm`), is an entry of `entries` (uscc, name).

    An empty normalised name matches nothing; a null code or name is simply not on the list.
    """
    listed_codes = entries["uscc"].cast(pl.String).drop_nulls().unique().implode()
    listed = name_norm(entries["name"].cast(pl.String).drop_nulls())
    listed_norms = listed.filter(listed != "").unique().implode()
    by_code = codes.cast(pl.String).is_in(listed_codes).fill_null(False)
    by_name = norms.is_in(listed_norms).fill_null(False) & (norms.fill_null("") != "")
    return (by_code | by_name).rename("on_list")
