"""Whole-column shortcuts for the value shapes a large file is mostly made of.

The full parsers in parse.py read every form an office writes (2020年1月2日 00:00, 约50万元, Excel
serials …) through a chain of regex rewrites: ~0.5 s per 250,000 dates, a large share of a province's
ingest. Most values come in a few plain shapes (2020-01-02, 2020/1/2, 20200102, 300, 300万元). A value
of such a shape, checked by an anchored regex so that nothing the full parser would read differently
slips in, is parsed by one native cast; every other non-empty value still goes through the full parser,
on just those rows. Results equal the full parsers' (tests/test_ingest_fast.py holds them equal).
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from fundrisk.sources import parse

Parser = Callable[[pl.Expr], tuple[pl.Expr, pl.Expr]]
Shape = tuple[str, Callable[[pl.Expr], pl.Expr]]

_NUMBER = r"\d+(?:\.\d+)?"


def _date(fmt: str) -> Callable[[pl.Expr], pl.Expr]:
    return lambda raw: raw.str.strptime(pl.Date, fmt, strict=False)


def _number(suffix: str, scale: float) -> Callable[[pl.Expr], pl.Expr]:
    # `number * scale` as parse._amount_parts computes it, so the float result is bit-for-bit the same
    return lambda raw: raw.str.strip_suffix(suffix).cast(pl.Float64, strict=False) * scale


# The digits are all the regex lets through, so strptime's leniency (signs, blanks) never applies.
DATE_SHAPES: tuple[Shape, ...] = (
    (r"^\d{4}-\d{1,2}-\d{1,2}$", _date("%Y-%m-%d")),
    (r"^\d{4}/\d{1,2}/\d{1,2}$", _date("%Y/%m/%d")),
    (r"^\d{8}$", _date("%Y%m%d")),
    (r"^\d{4}年\d{1,2}月\d{1,2}日$", _date("%Y年%m月%d日")),
)
SHAPES: dict[str, tuple[tuple[Shape, ...], Parser]] = {
    "date": (DATE_SHAPES, parse.parse_date),
    "amount": (
        ((f"^{_NUMBER}$", _number("", 1.0)), (f"^{_NUMBER}万元$", _number("万元", 1e4))),
        parse.parse_amount,
    ),
    "amount_wan": (
        ((f"^{_NUMBER}$", _number("", 1.0)), (f"^{_NUMBER}万元$", _number("万元", 1.0))),
        parse.parse_amount_wan,
    ),
}


def fold(text: pl.Series) -> pl.Series:
    """NFKC of a raw column, computed only where a value is not plain ASCII (NFKC leaves ASCII alone)."""
    text = text.cast(pl.Utf8)
    wide = (text.str.len_bytes() != text.str.len_chars()).fill_null(False)
    if not wide.any():
        return text
    index = wide.arg_true()
    return text.clone().scatter(index, text.gather(index).str.normalize("NFKC"))


def has_shortcut(kind: str) -> bool:
    return kind in SHAPES


def parse_column(kind: str, cleaned: pl.Series) -> pl.Series:
    """The parsed column of a type with shortcuts (see SHAPES): equal to the full parser's value."""
    shapes, full = SHAPES[kind]
    raw = pl.col("raw")
    frame = cleaned.to_frame("raw")
    value = frame.select(
        pl.coalesce([pl.when(raw.str.contains(shape)).then(cast(raw)) for shape, cast in shapes])
    ).to_series()
    rest = (value.is_null() & cleaned.is_not_null()).arg_true()
    if rest.len():
        others = cleaned.gather(rest).to_frame("raw").select(full(raw)[0]).to_series()
        value = value.scatter(rest, others.cast(value.dtype))
    if kind == "date":  # the full parser's range; a shortcut value outside it is refused the same way
        value = value.to_frame("v").select(
            pl.when(pl.col("v").is_between(pl.lit(parse.MIN_DATE), pl.lit(parse.MAX_DATE))).then(pl.col("v"))
        )["v"]
    return value.alias(cleaned.name)
