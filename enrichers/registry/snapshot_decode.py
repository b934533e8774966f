"""Snapshot lines decoded and typed by polars, for the lines polars reads exactly as Python's json does.

A line is *plain* when nothing in it could make polars and ``json.loads`` disagree: no escaped surrogate
(polars decodes a lone one differently), no known key twice in one object (polars keeps the first, Python
the last), nothing nested below the lists' items (Python's recursion limit), no float and no integer of
19 digits or more (polars prints 1.0 as 1; Python refuses integers past 4,300 digits). Lines with numbers
or booleans outside strings get ``columns.MARK`` in front of every string before polars decodes them (keys
too, so the field names carry it), which tells a string from a number in each leaf; lines without any are
decoded as they are and every leaf is a string. Each leaf is then typed as ``model.typed_record`` types it
(columns.py). Lines that are not plain, that polars refuses, or that hold a value the expressions do not
cover (``columns.odd_date``/``odd_count``) are left to the per-record path.
"""

from __future__ import annotations

import polars as pl

from enrichers.registry.columns import MARK, count_expr, date_expr, odd_count, odd_date, text_expr
from enrichers.registry.model import BASIC_FIELDS, DATE_FIELDS, LIST_FIELDS
from enrichers.registry.records import BASIC_DTYPE, ITEM_SCHEMAS, TOTALS, exploded

STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"'  # a JSON string token (the decoder checks its escapes)
CAPTURED = r'"([^"\\]*(?:\\.[^"\\]*)*)"'
KEY_OR_VALUE = rf"({STRING}[ \t\n\r]*:)|{STRING}"  # keys kept by "${1}", value strings dropped
SURROGATE = r"\\u[dD][89a-fA-F]"
BRACES = r"[{}\[\]]"
WS = r"[ \t\n\r]*"
KNOWN_KEYS = sorted(
    {
        "uscc",
        "name",
        "basic",
        *LIST_FIELDS,
        *TOTALS,
        *BASIC_FIELDS,
        *(f for fs in LIST_FIELDS.values() for f in fs),
    }
)
# The same known key twice with no brace or bracket between: twice in one flat object.
TWICE = "|".join(rf'"{k}"{WS}:[^{{}}\[\]]*"{k}"{WS}:' for k in KNOWN_KEYS)
FLAT_OBJECT, FLAT_ARRAY = r"\{[^{}\[\]]*\}", r"\[[^{}\[\]]*\]"
FLAT = rf"^{WS}\{{[^{{}}\[\]]*\}}{WS}$"


def _collapsed(text: pl.Expr) -> pl.Expr:
    """Flat objects to O, then flat arrays to A: a plain record becomes one flat object."""
    return text.str.replace_all(FLAT_OBJECT, "O").str.replace_all(FLAT_ARRAY, "A")


def _checks(structure: pl.Expr, simple: bool) -> list[str | pl.Expr]:
    line, bare = pl.col("line"), pl.col("bare")
    keys_plain = [] if simple else [~structure.str.replace_all(r'"[^"{}\[\]\\]*"', "").str.contains('"')]
    plain = pl.all_horizontal(
        ~line.str.contains(SURROGATE),
        *keys_plain,
        bare.str.replace_all("null|true|false", "").str.contains(r"^[ \t\n\r{}\[\],:0-9-]*$"),
        ~bare.str.contains(r"[0-9][.eE]|[0-9]{19}"),
        _collapsed(bare).str.contains(FLAT),
        ~structure.str.contains(TWICE),
        ~_collapsed(structure).str.contains(TWICE),
    )
    return ["line_no", "line", plain.alias("plain"), bare.str.contains("[0-9]|true|false").alias("marked")]


def classify(lines: pl.DataFrame) -> pl.DataFrame:
    """(line_no, line) with ``plain`` and ``marked`` (numbers or booleans outside strings) added.

    Most lines have no backslash and no brace inside a string: their text itself shows the objects and
    keys. The others are looked at with their value strings dropped (a slower regex, on them alone).
    """
    line = pl.col("line")
    frame = lines.with_columns(bare=line.str.replace_all(STRING, ""))
    simple = ~line.str.contains("\\", literal=True) & (
        line.str.count_matches(BRACES) == pl.col("bare").str.count_matches(BRACES)
    )
    frame = frame.with_columns(simple.alias("simple"))
    return pl.concat(
        [
            frame.filter("simple").select(_checks(line, simple=True)),
            frame.filter(~pl.col("simple")).select(
                _checks(line.str.replace_all(KEY_OR_VALUE, "${1}"), simple=False)
            ),
        ]
    )


def _dtype(mark: str) -> pl.Struct:
    def fields(names: dict[str, pl.DataType]) -> pl.Struct:
        return pl.Struct({mark + n: t for n, t in names.items()})

    text = pl.String()
    return fields(
        {
            "uscc": text,
            "name": text,
            "basic": fields(dict.fromkeys(BASIC_FIELDS, text)),
            **{key: pl.List(fields(dict.fromkeys(f, text))) for key, f in LIST_FIELDS.items()},
            **dict.fromkeys(TOTALS, text),
        }
    )


def _decode(lines: pl.Series, dtype: pl.Struct) -> tuple[pl.Series, list[bool]]:
    """Decoded lines and whether each decoded; a refused batch is halved until the refused lines are alone."""
    try:
        return lines.str.json_decode(dtype), [True] * lines.len()
    except (pl.exceptions.PolarsError, pl.exceptions.PanicException):
        if lines.len() <= 1:
            return pl.Series(lines.name, [None] * lines.len(), dtype=dtype), [False] * lines.len()
    half = lines.len() // 2
    first, ok_first = _decode(lines.slice(0, half), dtype)
    rest, ok_rest = _decode(lines.slice(half), dtype)
    return first.append(rest), ok_first + ok_rest


def _raw(lines: pl.DataFrame, marked: bool) -> pl.DataFrame:
    """Decoded plain lines, flat: idx, uscc, name, has_basic, basic fields as b_<field>, totals, lists; every
    string leaf starts with MARK (put there before decoding, or here when the line has no other scalar)."""
    text = lines["line"].str.replace_all(CAPTURED, r'"\u0001${1}"') if marked else lines["line"]
    decoded, ok = _decode(text, _dtype(MARK if marked else ""))
    frame = (
        lines.select(pl.col("line_no").cast(pl.Int64).alias("idx"))
        .with_columns(decoded.alias("raw"), pl.Series("decoded", ok, dtype=pl.Boolean))
        .filter("decoded")
        .drop("decoded")
        .unnest("raw")
        .rename(lambda c: c.removeprefix(MARK))
    )
    frame = frame.with_columns(pl.col("basic").is_not_null().alias("has_basic")).with_columns(
        pl.col("basic").struct.field(MARK + f if marked else f).alias(f"b_{f}") for f in BASIC_FIELDS
    )
    if not marked:
        frame = frame.with_columns(
            (MARK + pl.col(c)).alias(c) for c in ("uscc", "name", *TOTALS, *(f"b_{f}" for f in BASIC_FIELDS))
        )
    return frame.drop("basic")


def _items(raw: pl.DataFrame, key: str, marked: bool) -> pl.DataFrame:
    rows = exploded(raw.select("idx", key), key).rename(lambda c: c.removeprefix(MARK))
    return rows if marked else rows.with_columns((MARK + pl.col(f)).alias(f) for f in LIST_FIELDS[key])


def _typed(field: str, raw: pl.Expr) -> pl.Expr:
    typed = count_expr(raw) if field in TOTALS else date_expr(raw) if field in DATE_FIELDS else text_expr(raw)
    return typed.alias(field)


def _odd(field: str, raw: pl.Expr) -> pl.Expr:
    odd = odd_count(raw) if field in TOTALS else odd_date(raw) if field in DATE_FIELDS else pl.lit(False)
    return odd.fill_null(False)


# Lines decoded at a time: the nested structs of a province's look-ups took 3.4 GB at once.
DECODE_ROWS = 50_000


def decode_lines(
    lines: pl.DataFrame, rows: int = DECODE_ROWS
) -> tuple[pl.DataFrame, dict[str, pl.DataFrame]]:
    """(line_no, line) → typed heads per line (idx = line_no, uscc_raw, name_raw, basic, totals, column_ok)
    and typed items per list (idx, pos, fields). ``column_ok`` is False where the line needs Python; lines
    that are not plain or that polars refused are not in the heads at all.

    Each line is typed on its own, so the lines are decoded `rows` at a time and only the typed
    results are kept together."""
    parts = [_decode_slice(lines.slice(start, rows)) for start in range(0, max(lines.height, 1), rows)]
    heads = pl.concat([h for h, _ in parts])
    return heads, {key: pl.concat([items[key] for _, items in parts]) for key in LIST_FIELDS}


def _decode_slice(lines: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, pl.DataFrame]]:
    checked = classify(lines).filter("plain")
    parts = [(_raw(checked.filter(pl.col("marked") == m), m), m) for m in (False, True)]
    raw = pl.concat([p.drop(*LIST_FIELDS) for p, _ in parts])
    heads = raw.select(
        "idx",
        pl.col("uscc").alias("uscc_raw"),
        pl.col("name").alias("name_raw"),
        pl.when("has_basic")
        .then(pl.struct(_typed(f, pl.col(f"b_{f}")) for f in BASIC_FIELDS))
        .cast(BASIC_DTYPE)
        .alias("basic"),
        *(_typed(t, pl.col(t)) for t in TOTALS),
        ~pl.any_horizontal(
            _odd("established_on", pl.col("b_established_on")), *(_odd(t, pl.col(t)) for t in TOTALS)
        ).alias("column_ok"),
    )
    items, odd_lines = {}, []
    for key, fields in LIST_FIELDS.items():
        rows = pl.concat([_items(p, key, m) for p, m in parts])
        # Only dates and counts can be odd; a list of text fields has none (an all-literal predicate
        # made polars 2.1 fail over 20,000+ rows: "filter predicate length of 2").
        checks = [_odd(f, pl.col(f)) for f in fields if f in TOTALS or f in DATE_FIELDS]
        if checks:
            odd_lines.append(rows.filter(pl.any_horizontal(*checks))["idx"])
        items[key] = rows.select("idx", "pos", *(_typed(f, pl.col(f)) for f in fields)).cast(
            pl.Schema(ITEM_SCHEMAS[key])
        )
    odd = pl.concat(odd_lines).implode() if odd_lines else pl.Series("idx", [], pl.Int64).implode()
    return heads.with_columns(pl.col("column_ok") & ~pl.col("idx").is_in(odd)), items
