"""The weekly brief (工作简报) for the 领导小组 as a Word document (python-docx).

One ISO week: what was found, inspected, disposed of and referred that week, overdue rectifications, the
清零 progress against the target and the time elapsed, a table by town and next steps drawn from the
state. Dates everywhere, never run ids alone. Written to a temporary file beside the target, then renamed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from docx import Document
from docx.oxml.ns import qn

from fundrisk.atomic import atomic_path
from fundrisk.campaign.progress import FLOW, LABELS, Progress, campaign_progress, percent
from fundrisk.errors import BadInput
from fundrisk.warehouse.campaign_store import overdue_cases, work_between
from fundrisk.warehouse.db import Connection

FONT = "宋体"
LIST_MAX = 15  # rows of a list table; the rest are counted
LOW_COVERAGE = 0.6
TOWN_COLUMNS = [
    "town",
    "registrations",
    "surveyed",
    "coverage",
    "unregistered_doors",
    "found",
    "inspected",
    "rectifying",
    "overdue",
    "referred",
    "cleared",
    "open",
    "clearance",
]
HEADINGS = (
    "一、本周工作概况",
    "二、本周新发现风险主体",
    "三、核查处置与移送",
    "四、逾期未整改事项",
    "五、清零进度",
    "六、各镇街进展",
    "七、下步工作",
)
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


@dataclass(frozen=True)
class Week:
    label: str  # 2026-W24
    start: dt.date  # Monday
    end: dt.date  # Sunday


def parse_week(text: str | None, today: dt.date | None = None) -> Week:
    """YYYY-Www (ISO week), or by default the last full week before today."""
    if text is None:
        day = today or dt.date.today()
        start = day - dt.timedelta(days=day.weekday() + 7)
    else:
        match = _WEEK.match(text.strip())
        try:
            if not match:
                raise ValueError(text)
            start = dt.date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
        except ValueError:
            raise BadInput(f"周次「{text}」无法识别，请写成 2026-W24 这样的 ISO 周次") from None
    iso = start.isocalendar()
    return Week(f"{iso.year}-W{iso.week:02d}", start, start + dt.timedelta(days=6))


def _cn(day: dt.date | None) -> str:
    return "—" if day is None else f"{day.year}年{day.month}月{day.day}日"


def _fonts(doc: object) -> None:
    """A CJK font for body text and headings (Word otherwise falls back to a Latin theme font)."""
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Table Grid"):
        style = doc.styles[name]  # type: ignore[attr-defined]
        style.font.name = FONT
        rpr = style.element.get_or_add_rPr()
        rpr.get_or_add_rFonts().set(qn("w:eastAsia"), FONT)


def _table(doc: object, frame: pl.DataFrame, headers: list[str]) -> None:
    table = doc.add_table(rows=1, cols=len(headers))  # type: ignore[attr-defined]
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = text
    for row in frame.iter_rows():
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = "" if value is None else str(value)


def _list(doc: object, frame: pl.DataFrame, headers: list[str], empty: str) -> None:
    if frame.height == 0:
        doc.add_paragraph(empty)  # type: ignore[attr-defined]
        return
    _table(doc, frame.head(LIST_MAX), headers)
    if frame.height > LIST_MAX:
        doc.add_paragraph(f"（另有 {frame.height - LIST_MAX} 项未列出，详见动态管理台账）")  # type: ignore[attr-defined]


def _week_figures(progress: Progress, week: Week) -> dict[str, int]:
    """The week's work by kind (inside or outside the campaign's dates)."""
    done = progress.work.filter(pl.col("day").is_between(week.start, week.end))
    counts = dict(done.group_by("kind").len().iter_rows())
    return {kind: int(counts.get(kind, 0)) for kind in FLOW}


def _next_steps(progress: Progress, overdue: pl.DataFrame, week: Week) -> list[str]:
    """Next steps from the state: overdue cases, unswept and thin grids, uninspected premises, the phase."""
    steps = []
    if overdue.height:
        names = "、".join(overdue["name"].fill_null(overdue["subject_id"]).head(5).to_list())
        steps.append(f"督办逾期未整改事项 {overdue.height} 件（{names}等），逐户约谈，限期整改到位。")
    if progress.unswept:
        grids = "、".join(progress.unswept[:8])
        steps.append(f"{len(progress.unswept)} 个网格尚无排查记录（{grids}），组织网格员补查，防止漏查漏排。")
    thin = progress.grids.filter(
        (pl.col("registrations") > 0) & (pl.col("survey_records") > 0) & (pl.col("coverage") < LOW_COVERAGE)
    )
    if thin.height:
        steps.append(f"{thin.height} 个网格排查覆盖率低于 {LOW_COVERAGE:.0%}，开展回头看，逐户补登。")
    waiting = progress.premises.filter(pl.col("status") == "未核查")
    if waiting.height:
        steps.append(f"已发现尚未现场核查的风险主体 {waiting.height} 家，按风险等级安排核查。")
    gap = progress.campaign.target * progress.time_share - progress.clearance
    if gap > 0:
        steps.append(f"清零进度落后时间进度 {gap * 100:.1f} 个百分点，加快整改销号。")
    upcoming = [p for p in progress.campaign.phases if p.start > week.end]
    if upcoming:
        p = upcoming[0]
        steps.append(f"{_cn(p.start)}起进入{p.name}阶段：{p.work or '按方案推进'}。")
    return steps or ["巩固清零成果，持续开展日常监测。"]


def build_brief(progress: Progress, week: Week, work: pl.DataFrame, overdue: pl.DataFrame) -> object:
    """The brief as a python-docx Document (pure: everything comes from the arguments)."""
    c = progress.campaign
    doc = Document()
    _fonts(doc)
    doc.add_heading(f"{c.short_name}专项行动工作简报", level=0)
    doc.add_paragraph(f"{c.lead_unit}　　{_cn(week.end + dt.timedelta(days=1))}")
    doc.add_paragraph(
        f"统计时段：{_cn(week.start)}至{_cn(week.end)}（{week.label}）；行动期 {_cn(c.start)}至{_cn(c.end)}。"
    )
    f = _week_figures(progress, week)
    doc.add_heading(HEADINGS[0], level=1)
    doc.add_paragraph(
        f"本周网格排查 {f['surveys']} 家次，新发现风险主体 {f['found']} 家，现场核查 {f['inspections']} 家次，"
        f"采取处置措施 {f['disposals']} 项，移送公安 {f['referrals']} 家，销号 {f['closures']} 家；"
        f"截至{_cn(week.end)}逾期未整改 {overdue.height} 件。"
    )
    doc.add_heading(HEADINGS[1], level=1)
    new = progress.premises.filter(pl.col("found_on").is_between(week.start, week.end)).sort("found_on")
    _list(
        doc,
        new.select("name", "town", "grid", "tier", _iso("found_on")),
        ["主体名称", "所属镇街", "网格", "风险等级", "发现日期"],
        "本周无新发现风险主体。",
    )
    doc.add_heading(HEADINGS[2], level=1)
    _list(
        doc,
        work.select(_iso("day"), "kind", "name", "town", "detail"),
        ["日期", "事项", "主体名称", "所属镇街", "结论或牵头单位"],
        "本周无现场核查和处置记录。",
    )
    doc.add_heading(HEADINGS[3], level=1)
    _list(
        doc,
        overdue.select("name", "town", _iso("deadline"), "days_overdue", "last_action"),
        ["主体名称", "所属镇街", "整改期限", "逾期天数", "最近措施"],
        "无逾期未整改事项。",
    )
    doc.add_heading(HEADINGS[4], level=1)
    t = progress.total
    doc.add_paragraph(
        f"截至{_cn(week.end)}，累计发现风险主体 {t['found']} 家，已销号 {t['cleared']} 家，已移送公安 "
        f"{t['referred']} 家，整改中 {t['rectifying']} 家，未清零 {t['open']} 家；清零进度 "
        f"{percent(t['clearance'])}。目标：{_cn(c.end)}前清零 {c.target:.0%}，按时间进度应达 "
        f"{percent(c.target * progress.time_share)}。全区在册主体 {t['registrations']} 家，已排查 "
        f"{t['surveyed']} 家，排查覆盖率 {percent(t['coverage'])}，发现无照门店 {t['unregistered_doors']} 家。"
    )
    doc.add_heading(HEADINGS[5], level=1)
    towns = progress.towns.select(TOWN_COLUMNS).with_columns(_pct("coverage"), _pct("clearance"))
    _table(doc, towns, [LABELS[col] for col in TOWN_COLUMNS])
    doc.add_heading(HEADINGS[6], level=1)
    for step in _next_steps(progress, overdue, week):
        doc.add_paragraph(step, style="List Number")
    return doc


def _iso(col: str) -> pl.Expr:
    return pl.col(col).dt.strftime("%Y-%m-%d")


def _pct(col: str) -> pl.Expr:
    return pl.format("{}%", (pl.col(col) * 100).round(1))


def write_brief(
    con: Connection, out: Path, week: str | None = None, campaign_file: Path | None = None
) -> Path:
    """Write the brief of the week (default: last full week) atomically; returns the path."""
    out = Path(out)
    if out.suffix.lower() != ".docx":
        raise BadInput(f"工作简报须保存为 .docx 文件，当前为「{out.suffix or out.name}」")
    span = parse_week(week)
    progress = campaign_progress(con, span.end, campaign_file)
    doc = build_brief(progress, span, work_between(con, span.start, span.end), overdue_cases(con, span.end))
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as temp:
        doc.save(str(temp))  # type: ignore[attr-defined]
    return out
