"""The HTML campaign report: every section present, database text escaped, .html only; read by an
official (issue 14 point 5): Chinese headers only, small tiers visible and labelled, runs by date, 未知
explained."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from fundrisk.errors import BadInput
from fundrisk.publish.report import build_report, write_report
from fundrisk.publish.svg import LOG_NOTE, bar_chart
from fundrisk.warehouse import connect
from tests.conftest import scored_district


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scored_district(tmp_path_factory.mktemp("report"), entities=1200, seed=5, run_id="R-rep")


@pytest.mark.slow
def test_report_sections_and_escaping(district: Path, tmp_path: Path) -> None:
    con = connect(district)
    con.execute(
        "UPDATE risk_scores SET name = '<script>alert(1)</script>' WHERE subject_id = "
        "(SELECT subject_id FROM risk_scores ORDER BY expected_yield DESC LIMIT 1)"
    )
    path = write_report(con, tmp_path / "报告.html")
    with pytest.raises(BadInput, match=r"\.html"):
        write_report(con, tmp_path / "报告.pdf")
    con.close()
    html = path.read_text(encoding="utf-8")
    for heading in (
        "风险等级分布",
        "各镇街风险主体",
        "历次运行",
        "处置进展",
        "重点核查对象",
        "逾期未整改事项",
    ):
        assert heading in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.count("<svg") >= 3 and "R-rep" in html


@pytest.mark.slow
def test_every_table_header_is_chinese(district: Path) -> None:
    con = connect(district, read_only=True)
    html = build_report(con)
    con.close()
    headers = re.findall(r"<th>(.*?)</th>", html)
    overdue = html[html.index("六、逾期未整改事项") : html.index("七、")]
    assert len(headers) > 20 and "<th>逾期天数</th>" in overdue and "<th>整改期限</th>" in overdue
    assert [h for h in headers if re.search(r"[A-Za-z_]", h)] == []


def bar_widths(svg: str) -> dict[str, float]:
    """label → drawn bar width, read back from the SVG."""
    pairs = re.findall(r'text-anchor="end">([^<]+)</text><rect x="\d+" y="[\d.]+" width="([\d.]+)"', svg)
    return {label: float(width) for label, width in pairs}


def test_small_tiers_are_drawn_on_a_log_scale_and_labelled() -> None:
    counts = [("高风险", 70.0), ("中风险", 59.0), ("低风险", 0.0), ("无明显风险", 2882.0)]
    svg = bar_chart(counts, " 家", shares=True)
    widths = bar_widths(svg)
    assert 'data-scale="log"' in svg and LOG_NOTE in svg
    assert widths["中风险"] > 0.4 * widths["无明显风险"]  # linear: 59/2882 = 2% of the longest bar
    assert widths["高风险"] > widths["中风险"] > widths["低风险"] == 0
    for label in ("70 家（2.3%）", "59 家（2.0%）", "0 家（0.0%）", "2,882 家（95.7%）"):
        assert label in svg
    linear = bar_chart([("高风险", 70.0), ("中风险", 59.0)], " 家")
    assert 'data-scale="linear"' in linear and LOG_NOTE not in linear
    assert bar_widths(linear)["中风险"] == pytest.approx(bar_widths(linear)["高风险"] * 59 / 70, abs=0.2)


@pytest.mark.slow
def test_tier_chart_of_the_report_labels_every_tier_count(district: Path) -> None:
    con = connect(district, read_only=True)
    counts = dict(con.execute("SELECT tier, count(*) FROM risk_scores GROUP BY tier").fetchall())
    html = build_report(con)
    con.close()
    chart = html[html.index("一、风险等级分布") : html.index("二、")]
    assert 'data-scale="log"' in chart  # a few 高/中风险 beside a thousand 无明显风险
    for tier in ("高风险", "中风险", "无明显风险"):
        assert f">{counts[tier]:,} 家（" in chart
    assert min(bar_widths(chart)[t] for t in ("高风险", "中风险")) > 0.3 * bar_widths(chart)["无明显风险"]


@pytest.mark.slow
def test_run_history_is_labelled_by_date_oldest_first(district: Path, tmp_path: Path) -> None:
    db = tmp_path / "copy.duckdb"
    db.write_bytes(district.read_bytes())
    con = connect(db)
    con.execute(
        "INSERT INTO risk_scores SELECT 'R-old' AS run_id, * EXCLUDE (run_id) FROM risk_scores "
        "WHERE run_id = 'R-rep'"
    )
    con.execute("UPDATE risk_scores SET tier = '中风险' WHERE run_id = 'R-old' AND tier = '高风险'")
    for run_id, started in (
        ("R-rep", dt.datetime(2026, 11, 3, 6, 30)),
        ("R-old", dt.datetime(2026, 11, 2, 6, 30)),
    ):
        con.execute(
            "INSERT INTO runs (run_id, started_at, finished_at, status) VALUES (?, ?, ?, 'success')",
            [run_id, started, started + dt.timedelta(minutes=3)],
        )
    html = build_report(con)
    con.close()
    assert "运行编号 R-rep，运行时间 2026-11-03 06:30" in html
    history = html[html.index("三、历次运行") : html.index("四、")]
    rows = re.findall(
        r"<tr><td>(20[^<]+)</td><td>([^<]+)</td><td>(\d+)</td>.*?<td>(R-[a-z]+)</td></tr>", history
    )
    assert [(r[0], r[1], r[3]) for r in rows] == [
        ("2026-11-02 06:30", "完成", "R-old"),
        ("2026-11-03 06:30", "完成", "R-rep"),
    ]
    assert rows[0][2] == "0" and int(rows[1][2]) > 0  # R-old had no 高风险
    labels = re.findall(r'text-anchor="end">([^<]+)</text>', history)
    assert labels[:2] == ["2026-11-02 06:30", "2026-11-03 06:30"]  # the charts speak dates, not ids
    assert not any("R-" in label for label in labels)


@pytest.mark.slow
def test_unknown_town_is_explained(district: Path, tmp_path: Path) -> None:
    db = tmp_path / "copy.duckdb"
    db.write_bytes(district.read_bytes())
    con = connect(db)
    blanked = [
        r[0]
        for r in con.execute(
            "SELECT subject_id FROM risk_scores WHERE run_id = 'R-rep' AND subject_kind = 'registration' "
            "ORDER BY subject_id LIMIT 2"
        ).fetchall()
    ]
    con.execute("UPDATE registrations SET town = NULL WHERE uscc IN (?, ?)", blanked)
    con.execute("UPDATE run_features SET town = NULL WHERE subject_id IN (?, ?)", blanked)
    leads = con.execute(
        "SELECT count(*) FROM risk_scores s JOIN run_features f USING (run_id, subject_kind, subject_id) "
        "WHERE s.run_id = 'R-rep' AND s.subject_kind = 'lead' AND coalesce(trim(f.town), '') = ''"
    ).fetchone()[0]
    html = build_report(con)
    con.close()
    towns = html[html.index("二、各镇街风险主体") : html.index("三、")]
    unknown_row = re.search(r"<tr><td>未知</td>((?:<td>\d+</td>)+)</tr>", towns)
    assert unknown_row is not None and towns.rindex("<tr><td>") == unknown_row.start()  # 未知 comes last
    assert re.findall(r"\d+", unknown_row.group(1))[-1] == str(leads + 2)  # 评分主体合计
    assert f"「未知」指没有所属镇街的主体，共 {leads + 2} 个" in towns
    assert "登记主体 2 家（工商登记中缺少所属镇街）" in towns
    if leads:
        assert f"无照经营线索 {leads} 个（线索或资金异动预警未能关联到登记主体" in towns
