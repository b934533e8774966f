"""The snapshot provider's column path: every wanted subject answered from the selected lines at once.

The answers are ``Snapshot.lookup``'s, subject by subject: the line with the subject's uscc (a later line
with the same code wins), else the line with its exact name (the earlier line wins); a line json cannot
read is FAILED, a record that is not an object NOT_FOUND. Plain lines are typed by polars
(snapshot_decode); the others are read by ``json.loads`` and typed by ``model.typed_record``, as every
line used to be, and join the same ``TypedRecords``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import polars as pl

from enrichers.registry.base import FAILED, FETCHED, NOT_FOUND, NOT_QUERIED
from enrichers.registry.columns import MARK, text_expr
from enrichers.registry.model import LISTS, empty_record, typed_record
from enrichers.registry.records import TOTALS, TypedRecords, from_records_isolated
from enrichers.registry.snapshot_decode import decode_lines

NO_RECORD = "快照中无此企业"
UNREADABLE = "快照中该企业的记录无法解析，已跳过"
ANSWER_SCHEMA = {"idx": pl.Int64, "status": pl.String, "detail": pl.String}


@dataclass
class ColumnAnswers:
    """One answer per wanted subject (idx, status, detail) and the typed records of those found (same idx)."""

    answers: pl.DataFrame
    records: TypedRecords


def normalise_found(uscc: str | None, name: str, found: dict[str, Any]) -> dict[str, Any]:
    """A snapshot record as the normalised record of the subject (uscc, name) that found it."""
    record = empty_record(uscc or found.get("uscc"), name or found.get("name", ""))
    record["basic"] = found.get("basic")
    for key in (*LISTS, *TOTALS):
        if found.get(key) is not None:
            record[key] = found[key]
    return record


def not_queried(wanted: pl.DataFrame, detail: str) -> ColumnAnswers:
    """Every subject 未查询 with the same reason (no snapshot file)."""
    answers = wanted.select(pl.col("idx").cast(pl.Int64), status=pl.lit(NOT_QUERIED), detail=pl.lit(detail))
    return ColumnAnswers(answers, TypedRecords.empty())


def _parsed(lines: pl.DataFrame) -> dict[int, Any]:
    """json.loads of each line; a line it refuses maps to the exception (ValueError or RecursionError)."""
    out: dict[int, Any] = {}
    for no, line in lines.iter_rows():
        try:
            out[no] = json.loads(line)
        except (ValueError, RecursionError) as exc:
            out[no] = exc
    return out


def _line_facts(column: pl.Series, parsed: dict[int, Any]) -> pl.DataFrame:
    """Per needed line: failed (json refuses it), truthy (``found or ...`` moves on when not), is_dict."""
    python = [
        (no, isinstance(v, Exception), not isinstance(v, Exception) and bool(v), isinstance(v, dict))
        for no, v in parsed.items()
    ]
    schema = {"no": pl.Int64, "failed": pl.Boolean, "truthy": pl.Boolean, "is_dict": pl.Boolean}
    frame = pl.DataFrame(python, schema=schema, orient="row")
    plain = pl.DataFrame({"no": column}, schema={"no": pl.Int64}).with_columns(
        failed=pl.lit(False), truthy=pl.lit(True), is_dict=pl.lit(True)
    )
    return pl.concat([plain, frame])


def _resolved(subjects: pl.DataFrame, facts: pl.DataFrame) -> pl.DataFrame:
    """Status, detail and the chosen line of each subject, as ``Snapshot.lookup`` decides them."""
    for side in ("u", "n"):
        subjects = subjects.join(
            facts.rename({c: f"{side}_{c}" for c in facts.columns}), on=f"{side}_no", how="left"
        )
    has_u, has_n = pl.col("u_no").is_not_null(), pl.col("n_no").is_not_null()
    by_code = has_u & pl.col("u_truthy")
    status = (
        pl.when(has_u & pl.col("u_failed"))
        .then(pl.lit(FAILED))
        .when(by_code)
        .then(pl.when(pl.col("u_is_dict")).then(pl.lit(FETCHED)).otherwise(pl.lit(NOT_FOUND)))
        .when(has_n & pl.col("n_failed"))
        .then(pl.lit(FAILED))
        .when(has_n & pl.col("n_is_dict"))
        .then(pl.lit(FETCHED))
        .otherwise(pl.lit(NOT_FOUND))
    )
    detail = (
        pl.when(status == FAILED).then(pl.lit(UNREADABLE)).when(status == NOT_FOUND).then(pl.lit(NO_RECORD))
    )
    return subjects.with_columns(
        status.alias("status"),
        detail.otherwise(pl.lit("")).alias("detail"),
        pl.when(by_code).then("u_no").otherwise("n_no").alias("chosen"),
    )


def _column_records(found: pl.DataFrame, heads: pl.DataFrame, items: dict[str, pl.DataFrame]) -> TypedRecords:
    """Records of subjects whose line polars typed: the subject's own uscc/name first, as normalise does."""
    pick = found.select("idx", pl.col("chosen").alias("line"), su="uscc", sn="name")
    uscc = pl.when(pl.col("su").is_not_null()).then(MARK + pl.col("su")).otherwise("uscc_raw")
    name = pl.when(pl.col("sn") != "").then(MARK + pl.col("sn")).otherwise("name_raw")
    typed_heads = pick.join(heads, left_on="line", right_on="idx").select(
        "idx",
        text_expr(uscc).alias("uscc"),
        text_expr(name).fill_null("").alias("name"),
        "basic",
        "abnormal_total",
        "lawsuit_total",
    )
    typed_items = {
        key: pick.select("idx", "line")
        .join(frame.rename({"idx": "line"}), on="line")
        .select("idx", *(c for c in frame.columns if c != "idx"))
        for key, frame in items.items()
    }
    return TypedRecords(typed_heads, typed_items)


def _python_records(found: pl.DataFrame, parsed: dict[int, Any]) -> tuple[TypedRecords, dict[int, str]]:
    """Records of subjects whose line json.loads read; a record whose rows cannot be built fails alone."""
    rows = found.select("idx", "uscc", "name", "chosen").rows()
    records = [typed_record(normalise_found(uscc, name, parsed[no])) for _, uscc, name, no in rows]
    return from_records_isolated(records, [idx for idx, *_ in rows])


def answer_frame(lines: pl.DataFrame, wanted: pl.DataFrame) -> ColumnAnswers:
    """Answers for ``wanted`` (idx, uscc, name) from the selected snapshot ``lines`` (uscc, name, line)."""
    numbered = lines.with_row_index("no").with_columns(pl.col("no").cast(pl.Int64))
    by_uscc = numbered.filter(pl.col("uscc") != "").group_by("uscc").agg(pl.col("no").max().alias("u_no"))
    by_name = numbered.filter(pl.col("name") != "").group_by("name").agg(pl.col("no").min().alias("n_no"))
    subjects = (
        wanted.select(pl.col("idx").cast(pl.Int64), "uscc", "name")
        .join(by_uscc, on="uscc", how="left")
        .join(by_name, on="name", how="left")
    )
    needed = pl.concat([subjects["u_no"], subjects["n_no"]]).drop_nulls().unique().implode()
    wanted_lines = numbered.filter(pl.col("no").is_in(needed)).select("no", "line")
    heads, items = decode_lines(wanted_lines.rename({"no": "line_no"}))
    column = heads.filter("column_ok")["idx"]
    parsed = _parsed(wanted_lines.filter(~pl.col("no").is_in(column.implode())))
    resolved = _resolved(subjects, _line_facts(column, parsed))
    fetched = resolved.filter(pl.col("status") == FETCHED)
    by_polars = fetched.filter(pl.col("chosen").is_in(column.implode()))
    by_python = fetched.filter(~pl.col("chosen").is_in(column.implode()))
    python_records, unusable = _python_records(by_python, parsed)
    records = TypedRecords.concat([_column_records(by_polars, heads, items), python_records])
    answers = resolved.select("idx", "status", "detail")
    if unusable:
        failed = pl.DataFrame(
            {"idx": list(unusable), "why": list(unusable.values())},
            schema={"idx": pl.Int64, "why": pl.String},
        )
        answers = answers.join(failed, on="idx", how="left").select(
            "idx",
            pl.when(pl.col("why").is_not_null()).then(pl.lit(FAILED)).otherwise("status").alias("status"),
            pl.coalesce("why", "detail").alias("detail"),
        )
    return ColumnAnswers(answers.sort("idx"), records)
