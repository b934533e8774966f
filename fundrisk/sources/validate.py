"""Turn a RawTable into typed canonical rows and quarantined rows with Chinese reasons.

Everything is a whole-column polars expression: header mapping, parsing, required checks and
within-file duplicate keys. Invariant: loaded.height + quarantine.height == raw.rows_read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from enrichers.privacy import mask_text_expr
from fundrisk.errors import BadInput
from fundrisk.sources import fastparse, parse
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


def _parsed(col: ColumnSpec, cleaned: pl.Expr, ok: pl.Expr | None) -> tuple[pl.Expr, str | None]:
    """The parsed value of one column and the message tail used when it cannot be parsed."""
    if col.type == "enum":
        return parse.parse_enum(cleaned, col.values)[0], f"」不在可选值内（{'/'.join(col.values)}）"
    if col.type == "uscc":
        return parse.parse_uscc(cleaned, ok)[0], f"」{PARSERS['uscc'][1]}"
    if col.type in PARSERS:
        parser, hint = PARSERS[col.type]
        return parser(cleaned)[0], f"」{hint}"
    return cleaned, None


def _reasons(col: ColumnSpec, message: str | None) -> list[pl.Expr]:
    """Reason expressions (null where the row is fine) over the materialised cleaned and parsed columns."""
    cleaned, value = pl.col(f"__c_{col.name}"), pl.col(col.name)
    reasons: list[pl.Expr] = []
    if col.required:
        reasons.append(pl.when(cleaned.is_null()).then(pl.lit(f"缺少必填项「{col.label}」")))
    if message is not None:
        shown = pl.lit("（已隐藏）") if col.personal else mask_text_expr(cleaned).str.slice(0, 40)
        invalid = cleaned.is_not_null() & value.is_null()
        reasons.append(pl.when(invalid).then(pl.concat_str(pl.lit(f"{col.label}「"), shown, pl.lit(message))))
    today = dt.date.today()
    reasons += parse.limit_reasons(col.name, col.type, col.label, cleaned, value, today, col.personal)
    return reasons


def validate(raw: RawTable, spec: KindSpec, source_file: str, seen: pl.DataFrame | None = None) -> Validated:
    """Split a raw table into loaded rows (canonical, typed) and quarantined rows.

    Three materialised steps — clean, parse, explain — so no parsed column is computed twice.
    `seen` (record_key, line) holds the keys loaded from earlier batches of the same file: a repeat of
    one of them is a within-file duplicate like a repeat inside this batch.
    """
    mapping, extras = map_headers(raw.frame.columns, spec)
    _require_columns(mapping, spec, source_file)
    raw_cols = [c for c in raw.frame.columns if c != LINE]
    frame = raw.frame
    # Typed values are NFKC-folded before parsing; fold() touches only the values that are not ASCII.
    folded = {
        c.name: fastparse.fold(frame[mapping[c.name]]).alias(f"__f_{c.name}")
        for c in spec.columns
        if c.type != "text" and c.name in mapping
    }
    cleaned = [
        (
            parse.clean(pl.col(f"__f_{c.name}" if c.name in folded else mapping[c.name]), fold=False)
            if c.name in mapping
            else pl.lit(None, pl.Utf8)
        ).alias(f"__c_{c.name}")
        for c in spec.columns
    ]
    extra_json = pl.struct(extras).struct.json_encode() if extras else pl.lit(None, pl.Utf8)
    stage = (  # lazy, so that each trimmed value is computed once (common subexpressions)
        frame.with_columns(folded.values())
        .lazy()
        .select(pl.col(LINE).alias("line"), *cleaned, extra_json.alias("extra"), _cell_reason(extras))
        .collect()
    )
    stage = _with_uscc_validity(stage, spec, mapping)
    parsed = {c.name: _parsed(c, pl.col(f"__c_{c.name}"), _ok(c, mapping)) for c in spec.columns}
    stage = stage.with_columns(
        fastparse.parse_column(c.type, stage[f"__c_{c.name}"]).alias(c.name)
        if fastparse.has_shortcut(c.type)
        else parsed[c.name][0].alias(c.name)
        for c in spec.columns
    )
    reasons = [r for c in spec.columns for r in _reasons(c, parsed[c.name][1])] + [pl.col("__cell")]
    if spec.one_of:
        present = [pl.col(f"__c_{n}").is_not_null() for n in spec.one_of]
        names = "或".join(spec.column(n).label for n in spec.one_of)
        reasons.append(pl.when(~pl.any_horizontal(present)).then(pl.lit(f"{names}至少填写一项")))
    reason = pl.concat_str(reasons, separator="；", ignore_nulls=True) if reasons else pl.lit("")
    typed = stage.select(
        "line", *spec.names, "extra", pl.when(reason.str.len_chars() > 0).then(reason).alias("reason")
    )
    typed = _flag_duplicates(typed, spec, seen)
    loaded = typed.filter(pl.col("reason").is_null()).select(
        *spec.names,
        "extra",
        pl.lit(source_file).alias("source_file"),
        "line",
        _record_key(spec).alias("record_key"),
    )
    # Raw values are JSON-encoded for the rejected rows only: most files reject few rows.
    rejected = (
        typed.filter(pl.col("reason").is_not_null())
        .select("line", "reason")
        .join(frame, left_on="line", right_on=LINE)
        .select(
            pl.lit(spec.kind).alias("kind"),
            pl.lit(source_file).alias("source_file"),
            "line",
            "reason",
            (pl.struct(raw_cols).struct.json_encode() if raw_cols else pl.lit("{}")).alias("raw"),
        )
    )
    parse_rejects = raw.rejects.select(
        pl.lit(spec.kind).alias("kind"), pl.lit(source_file).alias("source_file"), "line", "reason", "raw"
    )
    quarantine = pl.concat([rejected, parse_rejects]).cast(QUARANTINE_SCHEMA).sort("line")  # type: ignore[arg-type]
    return Validated(loaded, quarantine)


def _cell_reason(extras: list[str]) -> pl.Expr:
    """Columns kept as extras are not typed, but none may exceed what one Excel cell holds."""
    cap = parse.cell_cap()
    over = [pl.when(pl.col(c).str.len_chars() > cap).then(pl.lit(f"「{c}」")) for c in extras]
    names = pl.concat_str(over, ignore_nulls=True) if over else pl.lit(None, pl.Utf8)
    return (
        pl.when(names.str.len_chars() > 0)
        .then(pl.concat_str(pl.lit("列"), names, pl.lit(f"超过{cap}字（Excel 单元格上限），请核对")))
        .alias("__cell")
    )


def _ok(col: ColumnSpec, mapping: dict[str, str]) -> pl.Expr | None:
    return pl.col(f"__ok_{col.name}") if col.type == "uscc" and col.name in mapping else None


def _with_uscc_validity(stage: pl.DataFrame, spec: KindSpec, mapping: dict[str, str]) -> pl.DataFrame:
    """Check every code column once (whole-column GB 32100-2015 check) on its cleaned values."""
    checks = []
    for col in spec.columns:
        if col.type == "uscc" and col.name in mapping:
            codes = stage.select(parse.compact_uscc(pl.col(f"__c_{col.name}"))).to_series()
            checks.append(parse.uscc_is_valid(codes).alias(f"__ok_{col.name}"))
    return stage.with_columns(checks) if checks else stage


def _record_key(spec: KindSpec) -> pl.Expr:
    parts = [pl.col(k).cast(pl.Utf8).fill_null("") for k in spec.key]
    return pl.concat_str(parts, separator="|")


def _flag_duplicates(typed: pl.DataFrame, spec: KindSpec, seen: pl.DataFrame | None) -> pl.DataFrame:
    """Later repeats of a key among otherwise valid rows are quarantined, naming the first line.

    Most batches repeat no key: two hash passes say so, and the window ranking is skipped.
    """
    key = _record_key(spec)
    valid = pl.col("reason").is_null()
    keys = typed.filter(valid).select(key.alias("record_key"))
    repeats = seen is not None and seen.height > 0 and keys.join(seen, on="record_key", how="semi").height > 0
    if not repeats and keys["record_key"].n_unique() == keys.height:
        return typed
    labels = "、".join(spec.column(k).label for k in spec.key)
    ranked = typed.with_columns(key.alias("__key"))
    ranked = ranked.with_columns(
        pl.when(valid).then(pl.int_range(pl.len()).over("__key", valid)).alias("__rank"),
        pl.when(valid).then(pl.col("line").min().over("__key", valid)).alias("__first"),
    )
    if seen is not None and seen.height:
        earlier = seen.select(pl.col("record_key").alias("__key"), pl.col("line").alias("__earlier"))
        ranked = ranked.join(earlier, on="__key", how="left", maintain_order="left")
        ranked = ranked.with_columns(
            pl.when(valid & pl.col("__earlier").is_not_null())
            .then(pl.lit(1))
            .otherwise(pl.col("__rank"))
            .alias("__rank"),
            pl.coalesce("__earlier", "__first").alias("__first"),
        ).drop("__earlier")
    duplicate = valid & (pl.col("__rank") > 0)
    message = pl.concat_str(
        pl.lit(f"文件内重复：{labels}与第"), pl.col("__first").cast(pl.Utf8), pl.lit("行相同")
    )
    return ranked.with_columns(
        pl.when(duplicate).then(message).otherwise(pl.col("reason")).alias("reason")
    ).drop("__key", "__rank", "__first")
