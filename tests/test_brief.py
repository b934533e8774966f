"""The weekly brief (工作简报, .docx read back with python-docx) and the campaign's Prefect tasks."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from docx import Document
from prefect import flow
from typer.testing import CliRunner

from flows.campaign_tasks import ARTIFACT_KEY, campaign_progress_task
from flows.push import weekly_push
from fundrisk.campaign.brief import HEADINGS, parse_week
from fundrisk.campaign.progress import campaign_progress
from fundrisk.cli import app
from fundrisk.warehouse import connect
from tests.conftest import scored_district

runner = CliRunner()


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scored_district(tmp_path_factory.mktemp("brief"), entities=1200, seed=7, run_id="RUN1")


@pytest.mark.slow
def test_brief_docx_has_the_headings_figures_and_a_town_table(district: Path, tmp_path: Path) -> None:
    out = tmp_path / "简报" / "简报.docx"
    out.parent.mkdir()
    out.write_bytes(b"last week's file")  # replaced whole, never half-written
    result = runner.invoke(app, ["brief", "--out", str(out), "--week", "2026-W25", "--db", str(district)])
    assert result.exit_code == 0, result.output
    assert list(out.parent.iterdir()) == [out]  # the temporary file was renamed, nothing left behind
    doc = Document(str(out))
    assert doc.paragraphs[0].style.name == "Title" and "工作简报" in doc.paragraphs[0].text
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings == list(HEADINGS)
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "统计时段：2026年6月15日至2026年6月21日（2026-W25）" in text
    assert "RUN1" not in text  # dates, never run ids
    con = connect(district, read_only=True)
    progress = campaign_progress(con, dt.date(2026, 6, 21))
    con.close()
    week = progress.by_week.filter(pl.col("period") == "2026-W25").row(0, named=True)
    assert week["surveys"] > 0 and f"本周网格排查 {week['surveys']} 家次" in text
    assert f"累计发现风险主体 {progress.total['found']} 家" in text
    towns = next(t for t in doc.tables if t.rows[0].cells[0].text == "镇街")
    header = [c.text for c in towns.rows[0].cells]
    assert {"在册主体", "排查覆盖率", "发现风险", "已销号", "清零进度"} <= set(header)
    rows = {r.cells[0].text: [c.text for c in r.cells] for r in towns.rows[1:]}
    assert set(rows) == set(progress.towns["town"])
    for town in progress.towns.iter_rows(named=True):
        assert rows[town["town"]][header.index("已销号")] == str(town["cleared"])
        assert rows[town["town"]][header.index("在册主体")] == str(town["registrations"])
    steps = [p.text for p in doc.paragraphs if p.style.name == "List Number"]
    assert any(progress.unswept[0] in s for s in steps)  # unswept grids are chased by name
    assert any("清理打击" in s for s in steps)  # the next phase of the campaign file


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--week", "2026-W60"], "周次「2026-W60」无法识别"),
        (["--week", "上周"], "周次「上周」无法识别"),
    ],
)
def test_brief_rejects_a_bad_week(district: Path, tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["brief", "--out", str(tmp_path / "b.docx"), "--db", str(district), *args])
    assert result.exit_code == 2 and message in result.stderr
    bad = runner.invoke(app, ["brief", "--out", str(tmp_path / "b.pdf"), "--db", str(district)])
    assert bad.exit_code == 2 and "须保存为 .docx" in bad.stderr


def test_default_week_is_the_last_full_week() -> None:
    for today in (dt.date(2026, 6, 15), dt.date(2026, 6, 17), dt.date(2026, 6, 21)):
        week = parse_week(None, today)
        assert (week.label, week.start, week.end) == ("2026-W24", dt.date(2026, 6, 8), dt.date(2026, 6, 14))
    assert parse_week("2026w3").start == dt.date(2026, 1, 12)


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_weekly_push_writes_the_brief_and_the_daily_run_records_progress(
    district: Path, tmp_path: Path
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    db = tmp_path / "copy.duckdb"
    shutil.copy(district, db)  # the push records what it sent; keep the module's district as it was
    result = weekly_push(str(db), str(tmp_path / "exports"), "文昌湖区处非办")
    brief = Path(result["brief"])
    assert brief.parent == tmp_path / "exports" and brief.name.startswith("工作简报_")
    assert [p.text for p in Document(str(brief)).paragraphs if p.style.name == "Heading 1"] == list(HEADINGS)

    @flow
    def daily(db: str) -> dict:
        return campaign_progress_task(db)

    recorded = daily(str(db))
    assert recorded["recorded"] and recorded["towns"] == 2
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[ARTIFACT_KEY]))
        )
    assert artifacts and artifacts[0].type == "table"
    table = artifacts[0].data if isinstance(artifacts[0].data, list) else json.loads(str(artifacts[0].data))
    assert [row["镇街"] for row in table][-1] == "合计"
    assert {"本周排查", "本周销号", "清零进度", "排查覆盖率"} <= set(table[0])
