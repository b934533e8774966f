"""Quarantined rows as an analyst edits them: raw values back in their columns, and back into a raw table.

A quarantined row keeps its raw values as JSON ({header: value}, or a list for a record that could not
be split). The export maps each header to its kind's column the way validation does (the kinds spec's
aliases) and shows it under the column's Chinese name; headers no column knows stay together as JSON in
其他原始内容. The import rebuilds a raw table under the canonical names from the edited sheet, taking
the stored value wherever the analyst left the (masked) cell as exported, so masking never leaks into
the data, and sends it through the kind's normal validation.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import polars as pl

from fundrisk.publish.safety import mask_name, protect
from fundrisk.review.config import DECISION, KEY_COLUMNS, NOTE, masks
from fundrisk.sources.spec import KINDS, header_key

EXTRA = "其他原始内容"
FIXED = ("数据类型", "来源文件", "行号", "隔离原因")
_ID_KEYS = ["ingest_id", "line"]


def value_labels(kinds: Iterable[str]) -> list[str]:
    """The Chinese column names of the given kinds, in spec order, each once."""
    present = set(kinds)
    labels = [c.label for spec in KINDS.values() if spec.kind in present for c in spec.columns]
    return list(dict.fromkeys(labels))


def header_map(cells: pl.DataFrame) -> pl.DataFrame:
    """kind, header, label: the column each distinct raw header fills (label null: none, kept as extra)."""
    pairs = cells.select("kind", "header").unique(maintain_order=True)
    labels = []
    for kind, header in pairs.iter_rows():  # distinct headers of a few files, not rows
        spec = KINDS.get(kind)
        name = spec.aliases.get(header_key(header)) if spec else None
        labels.append(spec.column(name).label if spec and name else None)
    return pairs.with_columns(pl.Series("label", labels, dtype=pl.Utf8))


def _json_text(expr: pl.Expr) -> pl.Expr:
    """A JSON string literal of a text column (null → null)."""
    escaped = (
        expr.str.replace_all("\\", "\\\\", literal=True)
        .str.replace_all('"', '\\"', literal=True)
        .str.replace_all("\n", "\\n", literal=True)
        .str.replace_all("\r", "\\r", literal=True)
        .str.replace_all("\t", "\\t", literal=True)
    )
    return pl.when(expr.is_null()).then(pl.lit("null")).otherwise(pl.lit('"') + escaped + pl.lit('"'))


def raw_values(rows: pl.DataFrame, cells: pl.DataFrame) -> pl.DataFrame:
    """rows (kind, source_file, line, reason, ingest_id, positional, raw) with one column per value label
    and EXTRA (unknown headers as a JSON object, or the whole record of a positional row)."""
    mapped = cells.join(header_map(cells), on=["kind", "header"], how="left", maintain_order="left")
    known = mapped.filter(pl.col("label").is_not_null()).with_columns(
        pl.int_range(pl.len()).over([*_ID_KEYS, "label"]).alias("__n")
    )
    # A second header naming a column already filled is kept with the unknown ones (as validation does).
    extras = pl.concat(
        [
            mapped.filter(pl.col("label").is_null()).select(*_ID_KEYS, "header", "value"),
            known.filter(pl.col("__n") > 0).select(*_ID_KEYS, "header", "value"),
        ]
    )
    labels = value_labels(rows["kind"].unique().to_list())
    wide = rows.select(*_ID_KEYS, "kind")
    firsts = known.filter(pl.col("__n") == 0)
    if firsts.height:
        pivot = firsts.pivot(on="label", index=_ID_KEYS, values="value", aggregate_function="first")
        wide = wide.join(pivot, on=_ID_KEYS, how="left", maintain_order="left")
    extra_json = extras.group_by(_ID_KEYS, maintain_order=True).agg(
        (
            pl.lit("{")
            + (_json_text(pl.col("header")) + pl.lit(":") + _json_text(pl.col("value"))).str.join(",")
            + pl.lit("}")
        ).alias(EXTRA)
    )
    wide = wide.join(extra_json, on=_ID_KEYS, how="left", maintain_order="left")
    missing = [pl.lit(None, pl.Utf8).alias(label) for label in labels if label not in wide.columns]
    wide = wide.with_columns(missing) if missing else wide
    if EXTRA not in wide.columns:
        wide = wide.with_columns(pl.lit(None, pl.Utf8).alias(EXTRA))
    out = rows.join(wide.drop("kind"), on=_ID_KEYS, how="left", maintain_order="left")
    out = out.with_columns(
        pl.when(pl.col("positional")).then(pl.col("raw")).otherwise(pl.col(EXTRA)).alias(EXTRA)
    )
    return out.select("kind", "source_file", "line", "reason", "ingest_id", *labels, EXTRA)


def _personal_labels() -> dict[str, str]:
    """Chinese label of every personal column → how it is masked."""
    kinds = masks()
    return {c.label: kinds.get(c.name, "name") for spec in KINDS.values() for c in spec.columns if c.personal}


def display(values: pl.DataFrame, unmask: bool) -> pl.DataFrame:
    """The 隔离数据 sheet: hidden keys, where the row came from, why, the decision cells, the raw values."""
    labels = [
        c for c in values.columns if c not in ("kind", "source_file", "line", "reason", "ingest_id", EXTRA)
    ]
    kind_label = pl.col("kind").replace_strict({k: s.label for k, s in KINDS.items()}, default=pl.col("kind"))
    frame = values.select(
        pl.col("kind").alias(KEY_COLUMNS[0]),
        pl.col("ingest_id").alias(KEY_COLUMNS[1]),
        pl.col("line").cast(pl.Utf8).alias(KEY_COLUMNS[2]),
        kind_label.alias(FIXED[0]),
        pl.col("source_file").alias(FIXED[1]),
        pl.col("line").alias(FIXED[2]),
        pl.col("reason").alias(FIXED[3]),
        pl.lit(None, pl.Utf8).alias(DECISION),
        pl.lit(None, pl.Utf8).alias(NOTE),
        *labels,
        EXTRA,
    )
    personal = {label: how for label, how in _personal_labels().items() if label in labels}
    if not unmask:
        frame = frame.with_columns(
            mask_name(pl.col(label)).alias(label) for label, how in personal.items() if how == "name"
        )
    numbers = {label: how for label, how in personal.items() if how != "name"}
    codes = [*KEY_COLUMNS, *(c.label for s in KINDS.values() for c in s.columns if c.type == "uscc")]
    return protect(frame, numbers, codes=codes, unmask=unmask)  # type: ignore[arg-type]


def rebuild(sheet: pl.DataFrame, stored: pl.DataFrame) -> list[dict[str, object]]:
    """One raw record per edited row: {'kind', 'ingest_id', 'line', 'values': {name: text}, 'error'}.

    sheet: the rows read back (KEY_COLUMNS, value labels, EXTRA); stored: raw_values() of the same rows.
    A cell left as exported (masked, neutralised or not) takes the stored value; an edited cell its text.
    """
    masked, plain = display(stored, unmask=False), display(stored, unmask=True)
    keys = list(KEY_COLUMNS)
    labels = [c for c in masked.columns if c not in (*keys, *FIXED, DECISION, NOTE)]
    raw = stored.select(
        pl.col("kind").alias(keys[0]),
        pl.col("ingest_id").alias(keys[1]),
        pl.col("line").cast(pl.Utf8).alias(keys[2]),
        *labels,
    )
    edited = [c for c in labels if c in sheet.columns]  # a column deleted from the sheet keeps its values

    def tagged(frame: pl.DataFrame, tag: str) -> pl.DataFrame:
        return frame.select(*keys, *(pl.col(c).alias(f"{c}{tag}") for c in labels))

    joined = (
        sheet.select(*keys, *edited)
        .join(tagged(masked, "__m"), on=keys)
        .join(tagged(plain, "__p"), on=keys)
        .join(tagged(raw, "__r"), on=keys)
    )
    as_exported = {
        c: pl.col(c).eq_missing(pl.col(f"{c}__m")) | pl.col(c).eq_missing(pl.col(f"{c}__p")) for c in edited
    }
    kept = [
        pl.when(as_exported[c]).then(pl.col(f"{c}__r")).otherwise(pl.col(c)).alias(c)
        if c in as_exported
        else pl.col(f"{c}__r").alias(c)
        for c in labels
    ]
    merged = joined.select(*keys, *kept)
    return [_record(row) for row in merged.iter_rows(named=True)]  # human-scale: the rows marked 已更正


def _record(row: dict[str, object]) -> dict[str, object]:
    kind = str(row[KEY_COLUMNS[0]])
    spec = KINDS[kind]
    values: dict[str, object] = {c.name: row.get(c.label) for c in spec.columns}
    error = None
    extra = row.get(EXTRA)
    if isinstance(extra, str) and extra.strip():
        try:
            parsed = json.loads(extra)
        except json.JSONDecodeError:
            parsed = None
        if isinstance(parsed, dict):
            for header, value in parsed.items():
                values.setdefault(str(header), None if value is None else str(value))
        elif not isinstance(parsed, list):  # a ragged record's fields: shown for reference, not loaded
            error = f"{EXTRA}不是有效的 JSON"
    return {
        "kind": kind,
        "ingest_id": row[KEY_COLUMNS[1]],
        "line": int(str(row[KEY_COLUMNS[2]])),
        "values": values,
        "error": error,
    }


def keys_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """kind, ingest_id, line of sheet rows."""
    return frame.select(
        pl.col(KEY_COLUMNS[0]).alias("kind"),
        pl.col(KEY_COLUMNS[1]).alias("ingest_id"),
        pl.col(KEY_COLUMNS[2]).cast(pl.Int64, strict=False).alias("line"),
    )
