"""The key on-site inspection list (现场核查重点机构名单) of the latest run.

Subjects at or above the minimum tier, highest expected yield of an inspection first (score when the
run has no expected yield). The .xlsx carries a 汇总 sheet (tier × industry counts, run, time,
totals) and one sheet per industry category (所属行业; unknown → 其他).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl

from fundrisk.publish.safety import protect, safe_sheet_name
from fundrisk.publish.subjects import TIER_RANK, TIERS, parse_tier, resolve_run, scored_subjects, yes_no
from fundrisk.publish.writers import Sheet, export_format, write_csv, write_xlsx

SUMMARY_SHEET = "汇总"
COLUMNS = {
    "tier": "风险等级",
    "score": "风险评分",
    "name": "主体名称",
    "uscc": "统一社会信用代码",
    "subject_type": "主体类型",
    "industry": "所属行业",
    "town": "所属镇街",
    "grid": "网格",
    "address": "经营地址",
    "legal_rep": "法定代表人",
    "legal_rep_id": "证件号码",
    "phone": "联系电话",
    "top_reasons": "主要风险因素",
    "terms": "命中敏感词",
    "clue_count": "关联线索数",
    "alert_count": "关联预警数",
    "people": "涉及人数",
    "amount_wan": "涉及金额(万元)",
    "on_list_text": "是否在省清单",
    "department": "建议核查部门",
    "disposal": "建议处置措施",
}


def inspection_frame(
    con: duckdb.DuckDBPyConnection, run_id: str, min_tier: str = "中风险", unmask: bool = False
) -> tuple[pl.DataFrame, pl.Series]:
    """The protected export table (Chinese headers) and, row for row, each row's industry category."""
    subjects = scored_subjects(con, run_id, min_tier).with_columns(
        yes_no(pl.col("on_list")).alias("on_list_text")
    )
    table = subjects.select([pl.col(k).alias(v) for k, v in COLUMNS.items()])
    safe = protect(table, {"证件号码": "id", "联系电话": "phone"}, codes=["统一社会信用代码"], unmask=unmask)
    return safe, subjects["industry"]


def write_inspection_list(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    min_tier: str = "中风险",
    unmask: bool = False,
    run_id: str | None = None,
) -> int:
    """Write the list to .csv or .xlsx (by suffix); returns the number of subjects listed."""
    fmt = export_format(path)
    floor = parse_tier(min_tier)
    run = resolve_run(con, run_id)
    table, industries = inspection_frame(con, run, floor, unmask)
    if fmt == "csv":
        write_csv(table, path)
        return table.height
    taken = {SUMMARY_SHEET}
    sheets = [_summary(table, industries, run, floor)]
    grouped = table.with_columns(industries.alias("_industry"))
    for industry in _industry_order(industries):
        part = grouped.filter(pl.col("_industry") == industry).drop("_industry")
        sheets.append(Sheet.from_frame(safe_sheet_name(industry, taken), part))
    write_xlsx(sheets, path)
    return table.height


def _industry_order(industries: pl.Series) -> list[str]:
    """Industries by how many subjects they hold, most first, then by name."""
    counts = industries.value_counts(name="n").sort(["n", industries.name], descending=[True, False])
    return [str(v) for v in counts[industries.name].to_list()]


def _summary(table: pl.DataFrame, industries: pl.Series, run_id: str, floor: str) -> Sheet:
    """Counts per industry × tier with totals, then the run id, the time and the tier floor."""
    tiers = [t for t in TIERS if TIER_RANK[t] >= TIER_RANK[floor]]
    frame = pl.DataFrame({"industry": industries, "tier": table["风险等级"]})
    order = _industry_order(industries)
    labels = protect(pl.DataFrame({"v": order}, schema={"v": pl.String}), unmask=True)["v"].to_list()
    rows: list[list[object]] = []
    for industry, label in zip(order, labels, strict=True):
        part = frame.filter(pl.col("industry") == industry)
        counts = [part.filter(pl.col("tier") == t).height for t in tiers]
        rows.append([label, *counts, sum(counts)])
    totals = [frame.filter(pl.col("tier") == t).height for t in tiers]
    rows.append(["合计", *totals, sum(totals)])
    rows.append([])
    rows.append(["运行批次", run_id])
    rows.append(["生成时间", dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")])
    rows.append(["最低风险等级", floor])
    rows.append(["名单主体总数", table.height])
    return Sheet(SUMMARY_SHEET, ["所属行业", *tiers, "合计"], rows, {0: 24})
