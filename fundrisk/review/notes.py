"""Why rows were quarantined, in a few words per file: the 说明 of the ingest and run summaries.

A reason names the value and the accepted formats (成立日期「2020-13-45」无法识别为日期（支持…）); the label
drops both (成立日期无法识别为日期) so that rows count together: 隔离 3 行：成立日期无法识别为日期 2，缺少企业名称 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from fundrisk.warehouse import review_store as store
from fundrisk.warehouse.db import Connection

SHOWN = 4  # labels named per file; the rest are counted as 其他


def reason_label(part: pl.Expr) -> pl.Expr:
    """One reason (a row may have several, joined by '；') as a short label."""
    return (
        pl.when(part.str.starts_with("缺少必填项"))
        .then(pl.lit("缺少") + part.str.extract(r"「(.*)」", 1))
        .when(part.str.starts_with("文件内重复"))
        .then(pl.lit("文件内重复"))
        .when(part.str.starts_with("字段数为"))
        .then(pl.lit("字段数与表头不一致"))
        .otherwise(
            part.str.replace_all(r"「[^」]*」", "")
            .str.replace_all(r"（[^）]*）", "")
            .str.replace("不是有效的统一社会信用代码", "校验不通过", literal=True)
        )
    )


def reason_counts(reasons: pl.DataFrame) -> dict[str, int]:
    """reasons (reason, n) → label → rows, most frequent first."""
    if not reasons.height:
        return {}
    parts = (
        reasons.with_columns(pl.col("reason").str.split("；"))
        .explode("reason")
        .with_columns(pl.col("reason").str.strip_chars())
        .filter(pl.col("reason").str.len_chars() > 0)
        .with_columns(reason_label(pl.col("reason")).alias("label"))
        .group_by("label")
        .agg(pl.col("n").sum())
        .sort(["n", "label"], descending=[True, False])
    )
    return {str(label): int(n) for label, n in parts.iter_rows()}


def describe(rows: int, counts: Mapping[str, int]) -> str:
    """隔离 3 行：成立日期无法识别为日期 2，缺少企业名称 1 (the rest as 其他原因 N)."""
    if not rows:
        return ""
    items = list(counts.items())
    shown = [f"{label} {n}" for label, n in items[:SHOWN]]
    rest = sum(n for _, n in items[SHOWN:])
    if rest:
        shown.append(f"其他原因 {rest}")
    return f"隔离 {rows} 行：" + "，".join(shown) if shown else f"隔离 {rows} 行"


def file_notes(con: Connection, reports: Sequence[Mapping[str, Any]]) -> dict[tuple[Any, Any], str]:
    """(sha256, kind) → 说明 for every ingest report (fundrisk.ingest.IngestReport.as_dict) with quarantined rows."""
    files = pl.DataFrame(
        [
            (str(r["sha256"]), str(r["kind"]))
            for r in reports
            if r.get("sha256") and r.get("rows_quarantined")
        ],
        schema={"sha256": pl.Utf8, "kind": pl.Utf8},
        orient="row",
    )
    reasons = store.quarantine_reasons(con, files)
    notes: dict[tuple[Any, Any], str] = {}  # keyed like the reports: (sha256, kind)
    for (sha, kind), group in reasons.group_by(["sha256", "kind"], maintain_order=True):
        notes[(str(sha), str(kind))] = describe(int(group["rows_quarantined"][0]), reason_counts(group))
    return notes


def run_notes(con: Connection, run_id: str) -> list[tuple[str, str, str]]:
    """(kind, file, 说明) of every file of a run that had quarantined rows."""
    reasons = store.quarantine_reasons(con, store.run_files(con, run_id))
    out = []
    for (_, kind, name), group in reasons.group_by(["sha256", "kind", "source_file"], maintain_order=True):
        out.append((str(kind), str(name), describe(int(group["rows_quarantined"][0]), reason_counts(group))))
    return out
