"""Polars expressions that give what model.text, model.to_date, model._count and model.province_of give.

The snapshot's column path (snapshot_decode) types every field of a decoded line with these, so the
Python helpers stay for vendor answers (one dict at a time) and both give the same answer; tests hold
them to it. A decoded leaf is a string: a JSON string arrives with ``MARK`` in front (the decoder adds
it), a number as its digits and a boolean as ``true``/``false``, so each is typed as Python would.
Values these expressions do not cover exactly (``odd_date``, ``odd_count``) send their line to the
per-record path instead.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from enrichers.registry.model import PROVINCE_CODES, PROVINCE_PREFIXES

MARK = "\x01"
# Every character str.strip() removes (str.isspace() in Python 3.11); Rust's trim differs on \x1c-\x1f.
PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
NULLISH = ["", "-", "--", "null", "None"]
DATE_PARTS = r"^([0-9]{4})[^0-9]?([0-9]{1,2})[^0-9]?([0-9]{1,2})"
NON_ASCII_DIGIT = r"[\d&&[^0-9]]"
BEIJING_MS = 8 * 3600 * 1000
DAY_MS = 86_400_000
# Epoch milliseconds whose Beijing date Python can make (0001-01-01 UTC to 9999-12-31 Beijing).
FIRST_MS, LAST_MS = -62_135_596_800_000, 253_402_300_799_999 - BEIJING_MS
EPOCH = dt.date(1970, 1, 1)


def is_string(raw: pl.Expr) -> pl.Expr:
    return raw.str.starts_with(MARK)


def is_bool(raw: pl.Expr) -> pl.Expr:
    return raw.is_in(["true", "false"])


def _stripped(raw: pl.Expr) -> pl.Expr:
    return raw.str.slice(1).str.strip_chars(PY_WHITESPACE)


def text_expr(raw: pl.Expr) -> pl.Expr:
    """model.text: strings stripped and '', '-', '--', 'null', 'None' as null; numbers as Python prints them."""
    stripped = _stripped(raw)
    return (
        pl.when(is_string(raw))
        .then(pl.when(stripped.is_in(NULLISH)).then(None).otherwise(stripped))
        .when(raw == "true")
        .then(pl.lit("True"))
        .when(raw == "false")
        .then(pl.lit("False"))
        .otherwise(raw)  # an integer (lines with other numbers never get here): str() is its digits
    )


def date_expr(raw: pl.Expr) -> pl.Expr:
    """model.to_date as a Date: 'YYYY?M?D' at the start of the text, or epoch milliseconds in Beijing time."""
    parts = _stripped(raw).str.extract_groups(DATE_PARTS)
    year, month, day = (parts.struct.field(str(i)) for i in (1, 2, 3))
    iso = pl.concat_str(year, pl.lit("-"), month.str.zfill(2), pl.lit("-"), day.str.zfill(2))
    from_text = pl.when(year != "0000").then(iso.str.to_date("%Y-%m-%d", strict=False))
    ms = raw.cast(pl.Int64, strict=False)
    from_ms = pl.when(ms.is_between(FIRST_MS, LAST_MS)).then(
        ((ms + BEIJING_MS) // DAY_MS).cast(pl.Int32).cast(pl.Date)
    )
    return (
        pl.when(is_string(raw))
        .then(from_text)
        .when(is_bool(raw))
        .then(pl.lit(EPOCH))  # True is 1 ms, False 0 ms: both 1970-01-01 in Beijing
        .otherwise(from_ms)
    )


def count_expr(raw: pl.Expr) -> pl.Expr:
    """model._count: a non-negative integer below 2**62, or decimal digits (fewer than 18) as text."""
    digits = text_expr(raw)
    from_text = pl.when(digits.str.contains(r"^[0-9]+$") & (digits.str.len_chars() < 18)).then(
        digits.cast(pl.Int64, strict=False)
    )
    number = raw.cast(pl.Int64, strict=False)
    from_int = pl.when(number.is_between(0, 2**62 - 1)).then(number)
    return pl.when(is_string(raw)).then(from_text).when(is_bool(raw)).then(None).otherwise(from_int)


def odd_date(raw: pl.Expr) -> pl.Expr:
    """True where Python's regex could read the date differently: a non-ASCII digit near the start."""
    return is_string(raw) & _stripped(raw).str.slice(0, 12).str.contains(NON_ASCII_DIGIT)


def odd_count(raw: pl.Expr) -> pl.Expr:
    """True for a count written with non-ASCII digits (Python's int() reads them)."""
    return is_string(raw) & raw.str.contains(NON_ASCII_DIGIT)


def province_expr(uscc: pl.Expr, text: pl.Expr) -> pl.Expr:
    """model.province_of(uscc, None, text): a USCC's division code, else the text's province prefix."""
    by_code = (
        pl.when(uscc.str.len_chars() == 18)
        .then(uscc.str.slice(2, 2))
        .replace_strict(PROVINCE_CODES, default=None, return_dtype=pl.String)
    )
    start = text.str.strip_chars(PY_WHITESPACE)
    three = {k: v for k, v in PROVINCE_PREFIXES.items() if len(k) == 3}
    two = {k: v for k, v in PROVINCE_PREFIXES.items() if len(k) == 2}
    by_text = pl.coalesce(
        start.str.slice(0, 3).replace_strict(three, default=None, return_dtype=pl.String),
        start.str.slice(0, 2).replace_strict(two, default=None, return_dtype=pl.String),
    )
    return pl.coalesce(by_code, by_text)
