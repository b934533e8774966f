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

from fundrisk.campaign.report_section import progress_section
from fundrisk.errors import BadInput
from fundrisk.publish.ledger import overdue_rectifications
from fundrisk.publish.subjects import TIERS
from fundrisk.publish.svg import bar_chart
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


def _trend(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """高/中风险 counts per run, oldest run first (runs ordered by start time, not by their random ids)."""
    counts = read(
        con,
        "SELECT run_id, count(*) FILTER (WHERE tier = '高风险') AS high, "
        "count(*) FILTER (WHERE tier = '中风险') AS medium FROM risk_scores GROUP BY run_id",
    )
    order = pl.DataFrame({"run_id": scored_runs(con)}, schema={"run_id": pl.String}).with_row_index("seq")
    return order.join(counts, on="run_id", how="inner").sort("seq")


def build_report(con: duckdb.DuckDBPyConnection) -> str:
    """The report's HTML for the latest scored run."""
    run_id = _latest_run(con)
    tiers = read(con, "SELECT tier, count(*) AS n FROM risk_scores WHERE run_id = ? GROUP BY tier", [run_id])
    counts = dict(tiers.iter_rows())
    by_town = read(
        con,
        "SELECT coalesce(r.town, '未知') AS 所属镇街, count(*) FILTER (WHERE s.tier = '高风险') AS 高风险, "
        "count(*) FILTER (WHERE s.tier = '中风险') AS 中风险, count(*) FILTER (WHERE s.tier = '低风险') AS 低风险 "
        "FROM risk_scores s LEFT JOIN registrations r ON r.uscc = s.subject_id WHERE s.run_id = ? "
        "GROUP BY 1 ORDER BY 2 DESC, 3 DESC",
        [run_id],
    )
    trend = _trend(con)
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
    parts = [
        f"<h1>非法集资风险排查工作报告</h1><p class='note'>运行编号 {escape(run_id)}，"
        f"生成时间 {dt.datetime.now():%Y-%m-%d %H:%M}。</p>",
        "<h2>一、风险等级分布</h2>",
        bar_chart([(t, float(counts.get(t, 0))) for t in TIERS], " 家"),
        "<h2>二、各镇街风险主体</h2>",
        _table(by_town),
        "<h2>三、历次运行高、中风险主体数量</h2>",
        bar_chart([(f"{r['run_id']} 高风险", float(r["high"])) for r in trend.iter_rows(named=True)], " 家"),
        bar_chart(
            [(f"{r['run_id']} 中风险", float(r["medium"])) for r in trend.iter_rows(named=True)], " 家"
        ),
        "<h2>四、处置进展</h2>",
        f"<p>已移送公安 {referred} 家（据处置台账）；建议移送公安 {proposed} 家（已导出移送公安线索名单，"
        f"尚待处置台账确认）；已推送省金融监测运行中心 {pushed} 家；逾期未整改 {overdue.height} 家。</p>",
        bar_chart([(str(a), float(n)) for a, n in actions.iter_rows()], " 次"),
        "<h2>五、重点核查对象（前 30 名）</h2>",
        _table(top),
        "<h2>六、逾期未整改事项</h2>",
        _table(
            overdue.select([c for c in overdue.columns if c in ("name", "event", "deadline", "days_overdue")])
        ),
    ]
    parts += progress_section(con, _table)  # 百日清零 per town and grid (fundrisk/campaign)
    body = "\n".join(parts)
    return f"<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><title>工作报告</title><style>{STYLE}</style></head><body>{body}</body></html>"


def write_report(con: duckdb.DuckDBPyConnection, path: Path) -> Path:
    if path.suffix.lower() not in {".html", ".htm"}:
        raise BadInput(f"报告须保存为 .html 文件，当前为「{path.suffix or path.name}」")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(build_report(con), encoding="utf-8")
    return path
