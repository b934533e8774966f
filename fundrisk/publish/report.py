"""`fundrisk report`: the campaign report as one self-contained HTML file with charts.

Everything read from the database is HTML-escaped; no personal data is shown (names and codes of
entities only), so the file can be forwarded inside the office.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from pathlib import Path

import polars as pl

from fundrisk import atomic
from fundrisk.campaign.report_section import progress_section
from fundrisk.errors import BadInput
from fundrisk.exports import label
from fundrisk.publish.ledger import overdue_rectifications
from fundrisk.publish.svg import bar_chart
from fundrisk.warehouse import report_store
from fundrisk.warehouse.db import Connection
from fundrisk.warehouse.runs_store import latest_run, scored_runs
from scoring.config import tier_scale

STYLE = (
    "body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px}"
    "th{background:#f4f4f4}h2{border-bottom:2px solid #c0392b;padding-bottom:4px}.note{color:#666}"
)


def _table(frame: pl.DataFrame) -> str:
    if frame.height == 0:
        return "<p>（无）</p>"
    head = "".join(f"<th>{escape(str(c))}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{escape('' if v is None else str(v))}</td>" for v in row) + "</tr>"
        for row in frame.iter_rows()
    )
    return f"<table><tr>{head}</tr>{rows}</table>"


def _latest_run(con: Connection) -> str:
    run = latest_run(con)
    if run is None:
        raise BadInput("数据库中还没有风险评分，请先运行 fundrisk run")
    return run


HISTORY_SHOWN = 30  # runs in the history table and charts (a daily schedule makes ~100 in a campaign)
TOP_SHOWN = 30  # subjects in the key-targets table (the two highest tiers)
# runs.status in Chinese; a run without a `runs` row was scored outside the flow (tests, benchmarks).
STATUS = {"success": "完成", "partial": "完成（有文件未能导入）", "running": "运行中", "": "仅评分"}
OVERDUE_HEADERS = {
    "name": "主体名称",
    "subject_id": "代码或线索编号",
    "current_tier": "当前风险等级",
    "event": "处置措施",
    "event_on": "处置日期",
    "unit": "牵头单位",
    "deadline": "整改期限",
    "days_overdue": "逾期天数",
    "open_actions": "逾期事项数",
}


def _history(con: Connection) -> pl.DataFrame:
    """One row per scored run, oldest first (by start time, not by the random ids), labelled by date;
    a column per tier (its name) with the run's count."""
    order = pl.DataFrame({"run_id": scored_runs(con)}, schema={"run_id": pl.String}).with_row_index("seq")
    per_run = (
        report_store.run_tier_counts(con)
        .group_by("run_id")
        .agg(
            pl.col("started").first(),
            pl.col("status").first(),
            *[pl.col("n").filter(pl.col("tier") == t).sum().alias(t) for t in tier_scale().names],
        )
    )
    runs = order.join(per_run, on="run_id", how="inner").sort("seq").tail(HISTORY_SHOWN)
    label = pl.col("started").dt.strftime("%Y-%m-%d %H:%M")
    runs = runs.with_columns(label.fill_null("时间未知").alias("label"))
    if runs["label"].n_unique() < runs.height:  # two runs in the same minute: show the seconds
        runs = runs.with_columns(
            pl.col("started").dt.strftime("%Y-%m-%d %H:%M:%S").fill_null("时间未知").alias("label")
        )
    return runs


def _history_parts(runs: pl.DataFrame) -> list[str]:
    table = runs.select(
        pl.col("label").alias("运行时间"),
        pl.col("status")
        .fill_null("")
        .replace_strict(STATUS, default="其他", return_dtype=pl.String)
        .alias("状态"),
        *[pl.col(t) for t in tier_scale().names],
        pl.col("run_id").alias("运行编号"),
    )
    charts = []
    scale = tier_scale()
    for tier in scale.names[:2]:  # the two highest tiers, one chart each, in the tier's colour
        bars = [(label, float(n)) for label, n in runs.select("label", tier).iter_rows()]
        charts += [f"<h3>{tier}主体数</h3>", bar_chart(bars, " 家", log=False, colour=scale.colours[tier])]
    return [
        f"<p class='note'>按运行开始时间排列（最早在前），显示最近 {HISTORY_SHOWN} 次以内的评分运行。</p>",
        _table(table),
        *charts,
    ]


def _towns(con: Connection, run_id: str) -> tuple[pl.DataFrame, str]:
    """Risk subjects per town, and a sentence saying who is under 未知 and why."""
    scored = report_store.scored_with_town(con, run_id)
    names = tier_scale().names
    high, medium = names[0], names[1]
    by_town = (
        scored.group_by("town")
        .agg(
            *[(pl.col("tier") == t).sum().alias(t) for t in names[:-1]],  # every tier but the lowest
            pl.len().alias("评分主体合计"),
        )
        .sort([pl.col("town") == "未知", high, medium, "town"], descending=[False, True, True, False])
        .rename({"town": "所属镇街"})  # 未知 last, explained under the table
    )
    unknown = scored.filter(pl.col("town") == "未知")
    if unknown.height == 0:
        return by_town, ""
    leads = unknown.filter(pl.col("subject_kind") == "lead").height
    registered = unknown.height - leads
    risky = unknown.filter(pl.col("tier").is_in([high, medium])).height
    causes = []
    if leads:
        causes.append(
            f"无照经营线索 {leads} 个（线索或资金异动预警未能关联到登记主体，举报、排查时也没有填写镇街或可识别的地址）"
        )
    if registered:
        causes.append(f"登记主体 {registered} 家（工商登记中缺少所属镇街）")
    note = (
        f"「未知」指没有所属镇街的主体，共 {unknown.height} 个，其中{tier_scale().phrase(names[:2])} {risky} 个："
        f"{'；'.join(causes)}。在工商登记、线索或排查登记中补充镇街后再次运行即可归入相应镇街。"
    )
    return by_town, note


def build_report(con: Connection) -> str:
    """The report's HTML for the latest scored run; every header and label is Chinese."""
    run_id = _latest_run(con)
    counts = report_store.tier_counts(con, run_id)
    by_town, unknown_note = _towns(con, run_id)
    history = _history(con)
    started = history.filter(pl.col("run_id") == run_id)["label"]
    actions = report_store.action_counts(con)
    # 移送公安 (a disposal) comes from the actions input only; the exports' records are counted apart
    pushed, proposed, referred = report_store.disposal_progress(con)
    top = report_store.top_targets(con, run_id, list(tier_scale().names[:2]), TOP_SHOWN)
    overdue = overdue_rectifications(con)
    overdue = overdue.select([c for c in OVERDUE_HEADERS if c in overdue.columns]).rename(
        OVERDUE_HEADERS, strict=False
    )
    when = f"，运行时间 {started[0]}" if started.len() else ""
    parts = [
        f"<h1>非法集资风险排查工作报告</h1><p class='note'>运行编号 {escape(run_id)}{escape(when)}，"
        f"生成时间 {dt.datetime.now():%Y-%m-%d %H:%M}。</p>",
        "<h2>一、风险等级分布</h2>",
        bar_chart([(t, float(counts.get(t, 0))) for t in tier_scale().names], " 家", shares=True),
        "<h2>二、各镇街风险主体</h2>",
        _table(by_town),
        f"<p class='note'>{escape(unknown_note)}</p>" if unknown_note else "",
        f"<h2>三、历次运行{tier_scale().phrase(tier_scale().names[:2])}主体数量</h2>",
        *_history_parts(history),
        "<h2>四、处置进展</h2>",
        f"<p>已移送公安 {referred} 家（据处置台账）；建议移送公安 {proposed} 家（已导出{label('police-referrals')}名单，"
        f"尚待处置台账确认）；已推送省金融监测运行中心 {pushed} 家；逾期未整改 {overdue.height} 家。</p>",
        bar_chart([(str(a), float(n)) for a, n in actions.iter_rows()], " 次"),
        "<h2>五、重点核查对象（前 30 名）</h2>",
        _table(top),
        "<h2>六、逾期未整改事项</h2>",
        _table(overdue),
    ]
    parts += progress_section(con, _table)  # 百日清零 per town and grid (fundrisk/campaign)
    body = "\n".join(parts)
    return f"<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><title>工作报告</title><style>{STYLE}</style></head><body>{body}</body></html>"


def write_report(con: Connection, path: Path) -> Path:
    if path.suffix.lower() not in {".html", ".htm"}:
        raise BadInput(f"报告须保存为 .html 文件，当前为「{path.suffix or path.name}」")
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(path, build_report(con))  # a killed or full-disk write keeps the old report
    return path
