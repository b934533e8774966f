"""Turn a RawTable into typed canonical rows and quarantined rows with Chinese reasons.

Everything is a whole-column polars expression: header mapping, parsing, required checks and
within-file duplicate keys. Invariant: loaded.height + quarantine.height == raw.rows_read.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from fundrisk.errors import BadInput
from fundrisk.sources import parse
from fundrisk.sources.readers import LINE, RawTable
from fundrisk.sources.spec import ColumnSpec, KindSpec, header_key

DATE_HINT = "（支持 2020-01-02、2020/1/2、2020年1月2日、20200102）"
PARSERS = {
    "date": (parse.parse_date, "无法识别为日期" + DATE_HINT),
    "amount": (parse.parse_amount, "无法识别为金额（如 1,234.5 或 约50万元）"),
    "amount_wan": (parse.parse_amount_wan, "无法识别为金额（万元）"),
    "count": (parse.parse_count, "无法识别为人数或笔数"),
    "share": (parse.parse_share, "无法识别为 0–1 之间的比例或百分比"),
    "uscc": (parse.parse_uscc, "不是有效的统一社会信用代码（18位，校验位须符合 GB 32100-2015）"),
}
QUARANTINE_SCHEMA = {
    "kind": pl.Utf8,
    "source_file": pl.Utf8,
    "line": pl.Int64,
    "reason": pl.Utf8,
    "raw": pl.Utf8,
}


@dataclass(frozen=True)
class Validated:
    loaded: pl.DataFrame
    quarantine: pl.DataFrame


def map_headers(columns: list[str], spec: KindSpec) -> tuple[dict[str, str], list[str]]:
    """canonical name → raw header for known columns, and the unknown raw headers kept as extras."""
    mapping: dict[str, str] = {}
    extras: list[str] = []
    for raw in columns:
        if raw == LINE:
            continue
        name = spec.aliases.get(header_key(raw))
        if name is not None and name not in mapping:
            mapping[name] = raw
        else:
            extras.append(raw)
    return mapping, extras


def _require_columns(mapping: dict[str, str], spec: KindSpec, file_name: str) -> None:
    missing = [c for c in spec.columns if c.required and c.name not in mapping]
    if missing:
        names = "、".join(f"{c.label}（{c.name}）" for c in missing)
        raise BadInput(f"文件「{file_name}」缺少{spec.label}的必填列：{names}")
    if spec.one_of and not any(n in mapping for n in spec.one_of):
        names = "或".join(spec.column(n).label for n in spec.one_of)
        raise BadInput(f"文件「{file_name}」至少需要一列：{names}")


def _column_exprs(col: ColumnSpec, raw: pl.Expr) -> tuple[pl.Expr, list[pl.Expr]]:
    """Parsed value and the reason expressions (each null where the row is fine) for one column."""
    reasons: list[pl.Expr] = []
    if col.required:
        reasons.append(pl.when(raw.is_null()).then(pl.lit(f"缺少必填项「{col.label}」")))
    if col.type == "enum":
        value, invalid = parse.parse_enum(raw, col.values)
        message = f"」不在可选值内（{'/'.join(col.values)}）"
    elif col.type in PARSERS:
        parser, hint = PARSERS[col.type]
        value, invalid = parser(raw)
        message = f"」{hint}"
    else:
        return raw, reasons
    shown = pl.lit("（已隐藏）") if col.personal else raw.str.slice(0, 40)
    reasons.append(pl.when(invalid).then(pl.concat_str(pl.lit(f"{col.label}「"), shown, pl.lit(message))))
    return value, reasons


def validate(raw: RawTable, spec: KindSpec, source_file: str) -> Validated:
    """Split a raw table into loaded rows (canonical, typed) and quarantined rows."""
    mapping, extras = map_headers(raw.frame.columns, spec)
    _require_columns(mapping, spec, source_file)
    frame = raw.frame
    raw_cols = [c for c in frame.columns if c != LINE]
    values: list[pl.Expr] = []
    reasons: list[pl.Expr] = []
    for col in spec.columns:
        cleaned = parse.clean(pl.col(mapping[col.name])) if col.name in mapping else pl.lit(None, pl.Utf8)
        value, column_reasons = _column_exprs(col, cleaned)
        values.append(value.alias(col.name))
        reasons.extend(column_reasons)
    if spec.one_of:
        present = [parse.clean(pl.col(mapping[n])).is_not_null() for n in spec.one_of if n in mapping]
        names = "或".join(spec.column(n).label for n in spec.one_of)
        reasons.append(pl.when(~pl.any_horizontal(present)).then(pl.lit(f"{names}至少填写一项")))
    raw_json = pl.struct(raw_cols).struct.json_encode() if raw_cols else pl.lit("{}")
    extra_json = pl.struct(extras).struct.json_encode() if extras else pl.lit(None, pl.Utf8)
    reason = pl.concat_str(reasons, separator="；", ignore_nulls=True) if reasons else pl.lit("")
    typed = frame.select(
        pl.col(LINE).alias("line"),
        *values,
        extra_json.alias("extra"),
        raw_json.alias("raw"),
        pl.when(reason.str.len_chars() > 0).then(reason).alias("reason"),
    )
    typed = _flag_duplicates(typed, spec)
    loaded = typed.filter(pl.col("reason").is_null()).select(
        *spec.names,
        "extra",
        pl.lit(source_file).alias("source_file"),
        "line",
        _record_key(spec).alias("record_key"),
    )
    rejected = typed.filter(pl.col("reason").is_not_null()).select(
        pl.lit(spec.kind).alias("kind"), pl.lit(source_file).alias("source_file"), "line", "reason", "raw"
    )
    parse_rejects = raw.rejects.select(
        pl.lit(spec.kind).alias("kind"), pl.lit(source_file).alias("source_file"), "line", "reason", "raw"
    )
    quarantine = pl.concat([rejected, parse_rejects]).cast(QUARANTINE_SCHEMA).sort("line")  # type: ignore[arg-type]
    return Validated(loaded, quarantine)


def _record_key(spec: KindSpec) -> pl.Expr:
    parts = [pl.col(k).cast(pl.Utf8).fill_null("") for k in spec.key]
    return pl.concat_str(parts, separator="|")


def _flag_duplicates(typed: pl.DataFrame, spec: KindSpec) -> pl.DataFrame:
    """Later repeats of a key among otherwise valid rows are quarantined, naming the first line."""
    key = _record_key(spec)
    valid = pl.col("reason").is_null()
    labels = "、".join(spec.column(k).label for k in spec.key)
    ranked = typed.with_columns(key.alias("__key"))
    ranked = ranked.with_columns(
        pl.when(valid).then(pl.int_range(pl.len()).over("__key", valid)).alias("__rank"),
        pl.when(valid).then(pl.col("line").min().over("__key", valid)).alias("__first"),
    )
    duplicate = valid & (pl.col("__rank") > 0)
    message = pl.concat_str(
        pl.lit(f"文件内重复：{labels}与第"), pl.col("__first").cast(pl.Utf8), pl.lit("行相同")
    )
    return ranked.with_columns(
        pl.when(duplicate).then(message).otherwise(pl.col("reason")).alias("reason")
    ).drop("__key", "__rank", "__first")
