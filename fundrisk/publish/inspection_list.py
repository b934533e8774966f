"""The key on-site inspection list (现场核查重点机构名单): who to visit, and where each case stands.

Subjects of the run at or above the minimum tier, highest expected yield of an inspection first (score
when the run has no expected yield), each with its case state (fundrisk.warehouse.case_store): the
latest inspection, 处置状态 and 整改期限. A closed case (已销号) leaves the working list; its history stays
in the ledger. `town` / `grid` narrow the list to one 镇街 or 网格. The .xlsx carries a 汇总 sheet,
one sheet per GB/T 4754-2017 section (门类) and a 字段说明 sheet; the columns and their explanations
are data (inspection_fields.toml).
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path

import polars as pl

from enrichers.industries import section_order
from fundrisk.errors import BadInput
from fundrisk.publish.safety import protect, safe_sheet_name
from fundrisk.publish.subjects import (
    parse_tier,
    resolve_run,
    scored_subjects,
    yes_no,
)
from fundrisk.publish.writers import Sheet, export_format, write_csv, write_xlsx
from fundrisk.warehouse.case_store import STATUSES, case_states, with_case_states
from fundrisk.warehouse.db import Connection
from fundrisk.warehouse.publish_store import known_places
from scoring.config import legal, tier_scale

SUMMARY_SHEET = "汇总"
FIELD_SHEET = "字段说明"
CLOSED = "已销号"
FIELDS_FILE = Path(__file__).with_name("inspection_fields.toml")
FIELDS: list[dict[str, str]] = tomllib.loads(FIELDS_FILE.read_text(encoding="utf-8"))["column"]
COLUMNS = {f["field"]: f["header"] for f in FIELDS}
_SPLIT = r"[,，、;；\s]+"


def inspection_frame(
    con: Connection,
    run_id: str,
    min_tier: str | None = None,
    unmask: bool = False,
    town: str | None = None,
    grid: str | None = None,
    as_of: dt.date | None = None,
) -> tuple[pl.DataFrame, pl.Series, int]:
    """(protected table with Chinese headers, each row's industry section, closed cases left out)."""
    subjects = scored_subjects(con, run_id, min_tier or tier_scale().floor_of("inspection_list"))
    if town or grid:
        places = known_places(con)
        subjects = _place_filter(subjects, places, "town", town, "镇街") if town else subjects
        subjects = _place_filter(subjects, places, "grid", grid, "网格") if grid else subjects
    subjects = with_case_states(subjects, case_states(con, as_of))
    closed = subjects.filter(pl.col("status") == CLOSED).height
    subjects = subjects.filter(pl.col("status") != CLOSED).with_columns(
        yes_no(pl.col("on_list")).alias("on_list_text")
    )
    table = subjects.select([pl.col(k).alias(v) for k, v in COLUMNS.items()])
    codes = ["统一社会信用代码", "线索编号"]
    safe = protect(table, {"证件号码": "id", "联系电话": "phone"}, codes=codes, unmask=unmask)
    return safe, subjects["industry_section"], closed


def _place_filter(
    frame: pl.DataFrame, places: pl.DataFrame, column: str, wanted: str, label: str
) -> pl.DataFrame:
    """Rows whose town (or grid) is one of the comma-separated values.

    A value that no registration or clue names is a usage error (a typo); a known one may simply have no
    subject on the list. A town also matches by its start (萌水 → 萌水镇), a grid by its end (第3网格).
    """
    values = [v for v in re.split(_SPLIT, wanted.strip()) if v]
    place = pl.col(column).fill_null("").str.strip_chars()
    part = (lambda v: place.str.starts_with(v)) if column == "town" else (lambda v: place.str.ends_with(v))
    for value in values:
        if places.filter((place == value) | part(value)).height == 0:
            known = places[column].drop_nulls().unique().sort().head(12).to_list()
            hint = f"，数据中的{label}有：{'、'.join(known)}" if known else ""
            raise BadInput(f"未找到{label}「{value}」{hint}")
    keep = pl.any_horizontal([(place == v) | part(v) for v in values]) if values else pl.lit(True)
    return frame.filter(keep)


def write_inspection_list(
    con: Connection,
    path: Path,
    min_tier: str | None = None,
    unmask: bool = False,
    run_id: str | None = None,
    town: str | None = None,
    grid: str | None = None,
    as_of: dt.date | None = None,
) -> int:
    """Write the list to .csv or .xlsx (by suffix); returns the number of subjects listed."""
    fmt = export_format(path)
    floor = parse_tier(min_tier or tier_scale().floor_of("inspection_list"))
    run = resolve_run(con, run_id)
    table, sections, closed = inspection_frame(con, run, floor, unmask, town, grid, as_of)
    if fmt == "csv":
        write_csv(table, path)
        return table.height
    taken = {SUMMARY_SHEET, FIELD_SHEET}
    notes = {"运行批次": run, "最低风险等级": floor, "镇街筛选": town or "全部", "网格筛选": grid or "全部"}
    sheets = [_summary(table, sections, notes, closed)]
    grouped = table.with_columns(sections.alias("_section"))
    for section in section_order(sections):
        part = grouped.filter(pl.col("_section") == section).drop("_section")
        sheets.append(Sheet.from_frame(safe_sheet_name(section, taken), part))
    sheets.append(_field_sheet())
    write_xlsx(sheets, path)
    return table.height


def _summary(table: pl.DataFrame, sections: pl.Series, notes: dict[str, str], closed: int) -> Sheet:
    """Counts per section × tier with totals, then the run, filters, time and the case states."""
    floor = notes["最低风险等级"]
    tiers = list(tier_scale().at_or_above(floor))
    frame = pl.DataFrame({"section": sections, "tier": table["风险等级"], "status": table["处置状态"]})
    order = section_order(sections)
    rows: list[list[object]] = []
    for section in order:
        part = frame.filter(pl.col("section") == section)
        counts = [part.filter(pl.col("tier") == t).height for t in tiers]
        rows.append([section, *counts, sum(counts)])
    totals = [frame.filter(pl.col("tier") == t).height for t in tiers]
    rows.append(["合计", *totals, sum(totals)])
    rows.append([])
    rows.extend([k, v] for k, v in notes.items())
    rows.append(["生成时间", dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")])
    rows.append(["名单主体总数", table.height])
    rows.extend(
        [f"处置状态：{s}", frame.filter(pl.col("status") == s).height] for s in STATUSES if s != CLOSED
    )
    rows.append(["已销号（不列入名单，见动态管理台账）", closed])
    return Sheet(SUMMARY_SHEET, ["所属行业", *tiers, "合计"], rows, {0: 36}, filtered_rows=len(order))


def _field_sheet() -> Sheet:
    """What each column of the list means (inspection_fields.toml), in column order; tier names and the
    law's figures are filled in from scoring/tiers.toml and scoring/legal.toml."""
    names = tier_scale().names
    facts = {"tiers": "、".join(names), "top": names[0], **legal().fields()}
    rows = [[f["header"], f["description"].format(**facts)] for f in FIELDS]
    return Sheet(FIELD_SHEET, ["字段", "说明"], rows, {0: 18, 1: 100})
