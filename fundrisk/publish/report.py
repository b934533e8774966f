"""`fundrisk report`: the campaign report as one self-contained HTML file with charts.

Everything read from the database is HTML-escaped; no personal data is shown (names and codes of
entities only), so the file can be forwarded inside the office.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from pathlib import Path

import duckdb
import polars as pl

from fundrisk import atomic
from fundrisk.campaign.report_section import progress_section
from fundrisk.errors import BadInput
from fundrisk.publish.ledger import overdue_rectifications
from fundrisk.publish.subjects import TIERS
from fundrisk.publish.svg import PALETTE, bar_chart
from fundrisk.warehouse.frames import read
from fundrisk.warehouse.runs_store import latest_run, scored_runs

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


def _latest_run(con: duckdb.DuckDBPyConnection) -> str:
    run = latest_run(con)
    if run is None:
        raise BadInput("数据库中还没有风险评分，请先运行 fundrisk run")
    return run


# Disposal progress: 移送公安 is a disposal and comes from the actions input only; the exports' records
# (建议移送 from the referral list, pushes to the province) are shown apart and labelled as such. An older
# file may still name its referral-export events 移送公安 (source 'referral') until the ledger next runs.
_PROGRESS_SQL = """
SELECT
    (SELECT count(DISTINCT uscc) FROM pushes) AS pushed,
    (SELECT count(DISTINCT (subject_kind, subject_id)) FROM ledger_events
        WHERE source = 'referral' AND event IN ('建议移送', '移送公安')) AS proposed,
    (SELECT count(DISTINCT uscc) FROM actions WHERE action = '移送公安') AS referred
"""


# Towns come from the run's features (a lead's town is its clues' or sweeps'), else the registration.
_SCORED_WITH_TOWN = """
SELECT s.subject_kind, s.tier, coalesce(nullif(trim(coalesce(f.town, r.town)), ''), '未知') AS town
FROM risk_scores s
LEFT JOIN run_features f ON f.run_id = s.run_id AND f.subject_kind = s.subject_kind AND f.subject_id = s.subject_id
LEFT JOIN registrations r ON s.subject_kind = 'registration' AND r.uscc = s.subject_id
WHERE s.run_id = ?
"""
# 高/中风险 … per scored run with when it started (a scoring-only run: its first score), oldest first.
_HISTORY = """
SELECT s.run_id, coalesce(any_value(u.started_at), min(s.scored_at)) AS started, any_value(u.status) AS status,
    count(*) FILTER (WHERE s.tier = '高风险') AS high, count(*) FILTER (WHERE s.tier = '中风险') AS medium,
    count(*) FILTER (WHERE s.tier = '低风险') AS low, count(*) FILTER (WHERE s.tier = '无明显风险') AS none
FROM risk_scores s LEFT JOIN runs u USING (run_id) GROUP BY s.run_id
"""
HISTORY_SHOWN = 30  # runs in the history table and charts (a daily schedule makes ~100 in a campaign)
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


def _history(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """One row per scored run, oldest first (by start time, not by the random ids), labelled by date."""
    order = pl.DataFrame({"run_id": scored_runs(con)}, schema={"run_id": pl.String}).with_row_index("seq")
    runs = order.join(read(con, _HISTORY), on="run_id", how="inner").sort("seq").tail(HISTORY_SHOWN)
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
        pl.col("high").alias("高风险"),
        pl.col("medium").alias("中风险"),
        pl.col("low").alias("低风险"),
        pl.col("none").alias("无明显风险"),
        pl.col("run_id").alias("运行编号"),
    )
    rows = list(runs.select("label", "high", "medium").iter_rows())
    return [
        f"<p class='note'>按运行开始时间排列（最早在前），显示最近 {HISTORY_SHOWN} 次以内的评分运行。</p>",
        _table(table),
        "<h3>高风险主体数</h3>",
        bar_chart(
            [(label, float(high)) for label, high, _ in rows], " 家", log=False, colour=PALETTE["高风险"]
        ),
        "<h3>中风险主体数</h3>",
        bar_chart(
            [(label, float(medium)) for label, _, medium in rows], " 家", log=False, colour=PALETTE["中风险"]
        ),
    ]


def _towns(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[pl.DataFrame, str]:
    """Risk subjects per town, and a sentence saying who is under 未知 and why."""
    scored = read(con, _SCORED_WITH_TOWN, [run_id])
    by_town = (
        scored.group_by("town")
        .agg(
            (pl.col("tier") == "高风险").sum().alias("高风险"),
            (pl.col("tier") == "中风险").sum().alias("中风险"),
            (pl.col("tier") == "低风险").sum().alias("低风险"),
            pl.len().alias("评分主体合计"),
        )
        .sort([pl.col("town") == "未知", "高风险", "中风险", "town"], descending=[False, True, True, False])
        .rename({"town": "所属镇街"})  # 未知 last, explained under the table
    )
    unknown = scored.filter(pl.col("town") == "未知")
    if unknown.height == 0:
        return by_town, ""
    leads = unknown.filter(pl.col("subject_kind") == "lead").height
    registered = unknown.height - leads
    risky = unknown.filter(pl.col("tier").is_in(["高风险", "中风险"])).height
    causes = []
    if leads:
        causes.append(
            f"无照经营线索 {leads} 个（线索或资金异动预警未能关联到登记主体，举报、排查时也没有填写镇街或可识别的地址）"
        )
    if registered:
        causes.append(f"登记主体 {registered} 家（工商登记中缺少所属镇街）")
    note = (
        f"「未知」指没有所属镇街的主体，共 {unknown.height} 个，其中高、中风险 {risky} 个："
        f"{'；'.join(causes)}。在工商登记、线索或排查登记中补充镇街后再次运行即可归入相应镇街。"
    )
    return by_town, note


def build_report(con: duckdb.DuckDBPyConnection) -> str:
    """The report's HTML for the latest scored run; every header and label is Chinese."""
    run_id = _latest_run(con)
    tiers = read(con, "SELECT tier, count(*) AS n FROM risk_scores WHERE run_id = ? GROUP BY tier", [run_id])
    counts = dict(tiers.iter_rows())
    by_town, unknown_note = _towns(con, run_id)
    history = _history(con)
    started = history.filter(pl.col("run_id") == run_id)["label"]
    actions = read(con, "SELECT action, count(*) AS n FROM actions GROUP BY action ORDER BY n DESC")
    pushed, proposed, referred = read(con, _PROGRESS_SQL).row(0)
    top = read(
        con,
        "SELECT name AS 主体名称, subject_id AS 代码或线索编号, tier AS 风险等级, round(score, 1) AS 风险评分, "
        "department AS 建议核查部门, disposal AS 建议处置措施 FROM risk_scores "
        "WHERE run_id = ? AND tier IN ('高风险', '中风险') ORDER BY expected_yield DESC, score DESC LIMIT 30",
        [run_id],
    )
    overdue = overdue_rectifications(con)
    overdue = overdue.select([c for c in OVERDUE_HEADERS if c in overdue.columns]).rename(
        OVERDUE_HEADERS, strict=False
    )
    when = f"，运行时间 {started[0]}" if started.len() else ""
    parts = [
        f"<h1>非法集资风险排查工作报告</h1><p class='note'>运行编号 {escape(run_id)}{escape(when)}，"
        f"生成时间 {dt.datetime.now():%Y-%m-%d %H:%M}。</p>",
        "<h2>一、风险等级分布</h2>",
        bar_chart([(t, float(counts.get(t, 0))) for t in TIERS], " 家", shares=True),
        "<h2>二、各镇街风险主体</h2>",
        _table(by_town),
        f"<p class='note'>{escape(unknown_note)}</p>" if unknown_note else "",
        "<h2>三、历次运行高、中风险主体数量</h2>",
        *_history_parts(history),
        "<h2>四、处置进展</h2>",
        f"<p>已移送公安 {referred} 家（据处置台账）；建议移送公安 {proposed} 家（已导出移送公安线索名单，"
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


def write_report(con: duckdb.DuckDBPyConnection, path: Path) -> Path:
    if path.suffix.lower() not in {".html", ".htm"}:
        raise BadInput(f"报告须保存为 .html 文件，当前为「{path.suffix or path.name}」")
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(path, build_report(con))  # a killed or full-disk write keeps the old report
    return path
