"""Typed registry records as frames: the one shape both look-up paths hand to the fact builder (facts.py).

``heads`` has one row per record: idx (the record's place), uscc, name, basic (a struct, null when the
registry gave none), abnormal_total, lawsuit_total. ``items`` has, per list (abnormal, lawsuits, ...), one
row per item: idx, pos (the item's place in its list) and its fields. Dates are ``pl.Date``, the rest as
``model.typed_record`` types it. Vendor answers arrive as dicts (``from_records``); snapshot lines are
decoded and typed by polars (snapshot_decode) straight into this shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from enrichers.registry.model import BASIC_FIELDS, DATE_FIELDS, LIST_FIELDS

S, D, INT = pl.String, pl.Date, pl.Int64
TOTALS = ("abnormal_total", "lawsuit_total")
BASIC_DTYPE = pl.Struct({f: D if f in DATE_FIELDS else S for f in BASIC_FIELDS})
HEAD_SCHEMA: dict[str, Any] = {
    "idx": INT,
    "uscc": S,
    "name": S,
    "basic": BASIC_DTYPE,
    **dict.fromkeys(TOTALS, INT),
}
ITEM_SCHEMAS: dict[str, dict[str, Any]] = {
    key: {"idx": INT, "pos": INT, **{f: D if f in DATE_FIELDS else S for f in fields}}
    for key, fields in LIST_FIELDS.items()
}
UNUSABLE = "工商信息无法整理入库（{}），已跳过该主体"  # a record whose rows cannot be built


def _iso_to_date(column: str) -> pl.Expr:
    """ISO text (what model.to_date returns) to a Date, as the fact tables always converted it."""
    return pl.col(column).str.to_date("%Y-%m-%d", strict=False)


@dataclass
class TypedRecords:
    """Records as a head frame and one item frame per list (see the module docstring)."""

    heads: pl.DataFrame
    items: dict[str, pl.DataFrame]

    @classmethod
    def empty(cls) -> TypedRecords:
        return cls(
            pl.DataFrame(schema=HEAD_SCHEMA), {k: pl.DataFrame(schema=s) for k, s in ITEM_SCHEMAS.items()}
        )

    @classmethod
    def concat(cls, parts: list[TypedRecords]) -> TypedRecords:
        """All parts in one, ordered by idx (and pos): the order the records were asked for."""
        if not parts:
            return cls.empty()
        heads = pl.concat([p.heads for p in parts]).sort("idx", maintain_order=True)
        items = {
            k: pl.concat([p.items[k] for p in parts]).sort("idx", "pos", maintain_order=True)
            for k in ITEM_SCHEMAS
        }
        return cls(heads, items)


def from_records(records: list[dict[str, Any]], idx: list[int] | None = None) -> TypedRecords:
    """Typed records (``model.typed_record`` output) as frames; ``idx`` defaults to their positions.

    Built column by column from plain lists (polars converts a list of nested dicts one element at a
    time), dates from ISO text as the fact tables always converted them."""
    places = list(range(len(records))) if idx is None else idx
    basics = [r["basic"] or {} for r in records]
    flat = pl.DataFrame(
        {
            "idx": places,
            "uscc": [r["uscc"] for r in records],
            "name": [r["name"] for r in records],
            "has_basic": [r["basic"] is not None for r in records],
            **{f"b_{f}": [b.get(f) for b in basics] for f in BASIC_FIELDS},
            **{t: [r[t] for r in records] for t in TOTALS},
        },
        schema={
            "idx": INT, "uscc": S, "name": S, "has_basic": pl.Boolean,
            **{f"b_{f}": S for f in BASIC_FIELDS}, **dict.fromkeys(TOTALS, INT),
        },
    )  # fmt: skip
    fields = (_iso_to_date(f"b_{f}") if f in DATE_FIELDS else pl.col(f"b_{f}") for f in BASIC_FIELDS)
    basic = pl.when("has_basic").then(
        pl.struct(*(e.alias(f) for e, f in zip(fields, BASIC_FIELDS, strict=True)))
    )
    heads = flat.select("idx", "uscc", "name", basic.alias("basic"), *TOTALS)
    items = {}
    for key, names in LIST_FIELDS.items():
        rows = [
            (i, pos, item) for i, r in zip(places, records, strict=True) for pos, item in enumerate(r[key])
        ]
        listed = pl.DataFrame(
            {
                "idx": [i for i, _, _ in rows],
                "pos": [p for _, p, _ in rows],
                **{f: [it.get(f) for *_, it in rows] for f in names},
            },
            schema={"idx": INT, "pos": INT, **dict.fromkeys(names, S)},
        )
        items[key] = listed.with_columns(_iso_to_date(f) for f in names if f in DATE_FIELDS)
    return TypedRecords(heads, items)


def from_records_isolated(
    records: list[dict[str, Any]], idx: list[int]
) -> tuple[TypedRecords, dict[int, str]]:
    """``from_records``, with a record whose rows cannot be built (a lone surrogate, say) left out alone:
    the batch is halved until each failing record stands by itself. Returns the records built and, per
    failed idx, the reason (``UNUSABLE`` with the error's type)."""
    try:
        return from_records(records, idx), {}
    except Exception as exc:  # noqa: BLE001 - any error in one record must not cost the others
        if len(records) <= 1:
            return TypedRecords.empty(), {i: UNUSABLE.format(type(exc).__name__) for i in idx}
    half = len(records) // 2
    first, failed = from_records_isolated(records[:half], idx[:half])
    rest, failed_rest = from_records_isolated(records[half:], idx[half:])
    return TypedRecords.concat([first, rest]), failed | failed_rest


def exploded(frame: pl.DataFrame, key: str) -> pl.DataFrame:
    """(idx, list ``key``) → one row per non-null item: idx, pos and the item's fields."""
    return (
        frame.select("idx", key, pos=pl.int_ranges(pl.col(key).list.len(), dtype=INT))
        .explode(key, "pos")
        .filter(pl.col(key).is_not_null())
        .unnest(key)
    )
