"""Vectorised parsers for the value forms real exports use.

Each parser takes a polars expression of stripped raw strings (empty → null) and returns
(value, invalid): the parsed value and a boolean that is true where a non-empty raw value
could not be understood. No Python loop per row, except the USCC check digit, which is
delegated to python-stdnum once per distinct code.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import polars as pl
from stdnum.cn import uscc as stdnum_uscc

EXCEL_EPOCH = dt.date(1899, 12, 30)
MIN_DATE, MAX_DATE = dt.date(1900, 1, 1), dt.date(2100, 12, 31)

_FUZZY_PREFIX = r"(?:约|近|超过|逾|大约|共计|合计)?"
_FUZZY_SUFFIX = r"(?:余|多|左右)?"
AMOUNT_RE = (
    rf"^{_FUZZY_PREFIX}(\d+(?:\.\d+)?){_FUZZY_SUFFIX}(万|亿)?{_FUZZY_SUFFIX}(元)?(?:人民币)?{_FUZZY_SUFFIX}$"
)
COUNT_RE = rf"^{_FUZZY_PREFIX}(\d+)(?:\.0+)?{_FUZZY_SUFFIX}(?:人|笔|个|户|名|次)?{_FUZZY_SUFFIX}$"
SHARE_RE = r"^(\d+(?:\.\d+)?)(%)?$"
PARALLEL_MIN_CODES = 200_000  # below this, starting worker processes costs more than it saves
USCC_FORMAT_RE = r"^[0-9]{8}[0-9A-HJ-NPQRTUWXY]{10}$"


def clean(expr: pl.Expr, fold: bool = True) -> pl.Expr:
    """Trimmed, empty → null; with fold, NFKC first (full-width digits and brackets → half-width).

    Free text keeps its original characters (fold=False); typed values are folded before parsing.
    """
    text = expr.cast(pl.Utf8)
    text = (text.str.normalize("NFKC") if fold else text).str.strip_chars()
    return pl.when(text.str.len_chars() > 0).then(text).otherwise(None)


def _invalid(raw: pl.Expr, value: pl.Expr) -> pl.Expr:
    return raw.is_not_null() & value.is_null()


def parse_date(raw: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """2020-01-02, 2020/1/2, 2020.1.2, 2020年1月2日, 20200102, '2020-01-02 00:00:00', Excel serials."""
    head = raw.str.replace(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$", "")
    dashed = head.str.replace_all(r"[年月/.]", "-").str.replace(r"日$", "")
    parts = dashed.str.extract_groups(r"^(\d{4})-?(\d{1,2})-?(\d{1,2})$")
    year, month, day = (parts.struct.field(k) for k in ("1", "2", "3"))
    eight = head.str.contains(r"^\d{8}$")
    month = pl.when(eight).then(head.str.slice(4, 2)).otherwise(month)
    day = pl.when(eight).then(head.str.slice(6, 2)).otherwise(day)
    canonical = pl.concat_str(year, pl.lit("-"), month.str.zfill(2), pl.lit("-"), day.str.zfill(2))
    iso = canonical.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    serial_days = pl.when(head.str.contains(r"^\d{5}(\.0+)?$")).then(
        head.str.replace(r"\.0+$", "").cast(pl.Int64, strict=False)
    )
    serial = (pl.lit(EXCEL_EPOCH) + pl.duration(days=serial_days)).cast(pl.Date)
    value = pl.coalesce(iso, serial)
    value = pl.when(value.is_between(pl.lit(MIN_DATE), pl.lit(MAX_DATE))).then(value)
    return value, _invalid(raw, value)


def _amount_parts(raw: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    text = raw.str.replace_all(r"[,，\s￥¥]", "")
    groups = text.str.extract_groups(AMOUNT_RE)
    number = groups.struct.field("1").cast(pl.Float64, strict=False)
    return number, groups.struct.field("2"), groups.struct.field("3")


def parse_amount(raw: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """An amount in yuan: 1,234.5 / 约50万元 / 1.2亿 / ￥3000元."""
    number, unit, _ = _amount_parts(raw)
    scale = pl.when(unit == "亿").then(1e8).when(unit == "万").then(1e4).otherwise(1.0)
    value = number * scale
    return value, _invalid(raw, value)


def parse_amount_wan(raw: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """An amount in 10k yuan (注册资本): a bare number is already 万元; '500000元' is converted."""
    number, unit, yuan = _amount_parts(raw)
    scale = (
        pl.when(unit == "亿")
        .then(1e4)
        .when(unit == "万")
        .then(1.0)
        .when(yuan.is_not_null())
        .then(1e-4)
        .otherwise(1.0)
    )
    value = number * scale
    return value, _invalid(raw, value)


def parse_count(raw: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """A head or transaction count: 200 / 约200人 / 1,200余人."""
    text = raw.str.replace_all(r"[,，\s]", "")
    value = text.str.extract(COUNT_RE, 1).cast(pl.Int64, strict=False)
    return value, _invalid(raw, value)


def parse_share(raw: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """A share in [0, 1]: 0.35 / 35% / 35 (read as percent when above 1)."""
    groups = raw.str.replace_all(r"\s", "").str.extract_groups(SHARE_RE)
    number = groups.struct.field("1").cast(pl.Float64, strict=False)
    percent = groups.struct.field("2").is_not_null() | (number > 1)
    value = pl.when(percent).then(number / 100).otherwise(number)
    value = pl.when(value.is_between(0.0, 1.0)).then(value)
    return value, _invalid(raw, value)


def parse_enum(raw: pl.Expr, values: tuple[str, ...]) -> tuple[pl.Expr, pl.Expr]:
    """One of a fixed list of Chinese terms."""
    value = pl.when(raw.is_in(list(values))).then(raw)
    return value, _invalid(raw, value)


def compact_uscc(raw: pl.Expr) -> pl.Expr:
    """Upper case without spaces or hyphens, as stdnum's compact() does."""
    return raw.str.to_uppercase().str.replace_all(r"[\s\-]", "")


def _stdnum_check(codes: list[str]) -> list[bool]:
    return [stdnum_uscc.is_valid(c) for c in codes]


def _stdnum_check_all(codes: list[str]) -> list[bool]:
    """python-stdnum over many codes; large batches are split across the machine's cores."""
    workers = min(os.cpu_count() or 1, 4)
    if len(codes) < PARALLEL_MIN_CODES or workers < 2:
        return _stdnum_check(codes)
    size = -(-len(codes) // workers)
    chunks = [codes[i : i + size] for i in range(0, len(codes), size)]
    # fork: the workers only run stdnum on plain strings (no locks, no polars), and start in milliseconds.
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            return [ok for part in pool.map(_stdnum_check, chunks) for ok in part]
    except (OSError, BrokenProcessPool):
        return _stdnum_check(codes)


def uscc_is_valid(codes: pl.Series) -> pl.Series:
    """GB 32100-2015 check by python-stdnum, evaluated once per distinct well-formed code."""
    frame = pl.DataFrame({"code": codes.cast(pl.Utf8)})
    distinct = frame.filter(pl.col("code").str.contains(USCC_FORMAT_RE)).unique("code")
    checked = distinct.with_columns(
        pl.Series("ok", _stdnum_check_all(distinct["code"].to_list()), dtype=pl.Boolean)
    )
    joined = frame.join(checked, on="code", how="left", maintain_order="left")
    return joined["ok"].fill_null(False).rename(codes.name)


def parse_uscc(raw: pl.Expr, ok: pl.Expr | None = None) -> tuple[pl.Expr, pl.Expr]:
    """统一社会信用代码: compacted, then format and check digit verified by python-stdnum.

    `ok` may carry a precomputed validity column (see uscc_validity) so stdnum runs once per code.
    """
    code = compact_uscc(raw)
    if ok is None:
        ok = code.map_batches(uscc_is_valid, return_dtype=pl.Boolean)
    value = pl.when(ok).then(code)
    return value, raw.is_not_null() & ~ok.fill_null(False)
