"""Make an export frame safe to open and to hand out: no formulas, no unmasked personal data.

Whole-column polars expressions only. Masking (unless the caller explicitly unmasks) comes first, with
the patterns of enrichers/privacy.py (the one home for personal-number formats),
then every text cell that a spreadsheet would read as a formula is neutralised (OWASP CSV injection:
a cell starting with = + - @ TAB or CR gets a leading single quote).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

import polars as pl

from enrichers.privacy import mask_text_expr

MaskKind = Literal["id", "phone", "account", "name"]

FORMULA_START = r"^[=+\-@\t\r]"


def neutralise(expr: pl.Expr) -> pl.Expr:
    """Prefix a single quote to a text that a spreadsheet would run as a formula."""
    return pl.when(expr.str.contains(FORMULA_START)).then(pl.lit("'") + expr).otherwise(expr)


def _keep_ends(expr: pl.Expr, head: int, tail: int) -> pl.Expr:
    """First `head` and last `tail` characters, the middle as '*'; too short a value is all '*'."""
    text = expr.str.strip_chars()
    length = text.str.len_chars()
    stars = pl.lit("*").repeat_by(length - head - tail).list.join("")
    masked = text.str.slice(0, head) + stars + text.str.slice(-tail, tail)
    hidden = pl.lit("*").repeat_by(length).list.join("")
    return (
        pl.when(text.is_null() | (length == 0))
        .then(text)
        .when(length > head + tail)
        .then(masked)
        .otherwise(hidden)
    )


def mask_name(expr: pl.Expr) -> pl.Expr:
    """王建国 → 王**: the family name stays, so colleagues can still tell people apart."""
    rest = (expr.str.len_chars() - 1).clip(lower_bound=0)
    return pl.when(expr.str.len_chars() > 0).then(
        expr.str.slice(0, 1) + pl.lit("*").repeat_by(rest).list.join("")
    )


def mask(expr: pl.Expr, kind: MaskKind) -> pl.Expr:
    """ID 370303********1234, phone 138****5678, account ************5678, name 王**."""
    if kind == "name":
        return mask_name(expr)
    if kind == "id":
        return _keep_ends(expr, 6, 4)
    if kind == "phone":
        return _keep_ends(expr, 3, 4)
    return _keep_ends(expr, 0, 4)


def mask_embedded(expr: pl.Expr) -> pl.Expr:
    """Mask ID, phone, landline and card numbers written inside free text (enrichers.privacy, one home)."""
    return mask_text_expr(expr)


def protect(
    frame: pl.DataFrame,
    masks: Mapping[str, MaskKind] | None = None,
    codes: Iterable[str] = (),
    unmask: bool = False,
) -> pl.DataFrame:
    """Mask personal columns (and numbers inside free text) unless `unmask`, then neutralise every text column.

    `masks` maps a column to its kind of personal number; `codes` are identifier columns (credit
    codes) that must never be rewritten by the free-text masking.
    """
    masks = dict(masks or {})
    keep = set(codes) | set(masks)
    text_columns = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    if not unmask:
        frame = frame.with_columns(
            [mask(pl.col(c), kind).alias(c) for c, kind in masks.items() if c in frame.columns]
            + [mask_embedded(pl.col(c)).alias(c) for c in text_columns if c not in keep]
        )
    return frame.with_columns([neutralise(pl.col(c)).alias(c) for c in text_columns])


def safe_sheet_name(raw: str | None, taken: set[str]) -> str:
    """An Excel sheet name: no []:*?/\\ or control characters, no edge quotes, ≤ 31 chars, unique."""
    text = "".join(ch for ch in (raw or "") if ch not in "[]:*?/\\" and ch.isprintable())
    text = text.strip().strip("'").strip() or "其他"
    base = text[:31].rstrip("'")
    name, n = base, 1
    while name.lower() in {t.lower() for t in taken}:
        n += 1
        suffix = f"_{n}"
        name = base[: 31 - len(suffix)].rstrip("'") + suffix
    taken.add(name)
    return name
