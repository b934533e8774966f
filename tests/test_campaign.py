"""`fundrisk campaign` on a generated district: per-town and per-grid progress against the generator's truth."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from fundrisk.campaign.config import load_campaign
from fundrisk.cli import app
from fundrisk.errors import BadInput
from fundrisk.publish.report import build_report
from fundrisk.warehouse import connect
from fundrisk.warehouse.campaign_store import found_premises
from tests.conftest import scored_district

runner = CliRunner()


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scored_district(tmp_path_factory.mktemp("campaign"), entities=1500, seed=5, run_id="RUN1")


def _campaign(db: Path, *args: str) -> dict:
    result = runner.invoke(app, ["campaign", "--json", "--db", str(db), *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _truth(db: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(db.parent / "inbox" / "truth" / f"{name}.csv", infer_schema=False)


@pytest.mark.slow
def test_grid_coverage_and_doors_match_the_truth(district: Path) -> None:
    data = _campaign(district)
    grids = pl.DataFrame(data["grids"]).select("grid", "registrations", "surveyed", "unregistered_doors")
    truth = _truth(district, "survey_grids").select(
        "grid",
        pl.col("registrations").cast(pl.Int64),
        pl.col("surveyed_premises").cast(pl.Int64).alias("surveyed"),
        pl.col("unregistered_doors").cast(pl.Int64),
        pl.col("swept") == "true",
    )
    joined = truth.join(grids, on="grid", how="left", suffix="_got")
    for col in ("registrations", "surveyed", "unregistered_doors"):
        assert joined[col].to_list() == joined[f"{col}_got"].to_list(), col
    assert sorted(data["unswept_grids"]) == sorted(truth.filter(~pl.col("swept"))["grid"].to_list())
    towns = {t["town"]: t for t in data["towns"]}
    by_town = (
        truth.with_columns(pl.col("grid").str.extract(r"^(.+?镇)").alias("town"))
        .group_by("town")
        .agg(
            pl.col("registrations", "surveyed", "unregistered_doors").sum(),
            (~pl.col("swept")).sum().alias("unswept"),
        )
    )
    for row in by_town.iter_rows(named=True):
        got = towns[row["town"]]
        assert (got["registrations"], got["surveyed"]) == (row["registrations"], row["surveyed"])
        assert got["unregistered_doors"] == row["unregistered_doors"]
        assert got["coverage"] == pytest.approx(row["surveyed"] / row["registrations"], abs=1e-4)
        assert got["unswept_grids"] == row["unswept"]
    total = data["total"]
    assert (
        total["surveyed"] == truth["surveyed"].sum()
        and total["registrations"] == truth["registrations"].sum()
    )


@pytest.mark.slow
def test_disposals_per_town_match_the_generated_ledger(district: Path) -> None:
    data = _campaign(district)
    towns = {t["town"]: t for t in data["towns"]}
    inbox = district.parent / "inbox"
    actions = pl.read_csv(inbox / "actions" / "actions.csv", infer_schema=False)
    entities = _truth(district, "entities").select("uscc", "town")
    acted = actions.join(entities, on="uscc")
    for action, column in (("销号", "cleared"), ("移送公安", "referred")):
        expected = acted.filter(pl.col("action") == action).group_by("town").agg(pl.col("uscc").n_unique())
        assert expected.height >= 1
        for town, n in expected.iter_rows():
            assert towns[town][column] == n, (action, town)
    for t in data["towns"]:
        assert t["open"] == t["found"] - t["cleared"]
        assert t["clearance"] == pytest.approx(t["cleared"] / t["found"], abs=1e-4)
    # Every door running a scheme that the sweep found is a premise found, in its town.
    doors = _truth(district, "surveys").filter(
        (pl.col("door_kind") == "unregistered") & pl.col("scheme").is_not_null()
    )
    per_town = doors.group_by("town").agg(pl.col("door_id").n_unique().alias("n"))
    con = connect(district, read_only=True)
    found = found_premises(con, dt.date.today())
    con.close()
    leads = found.filter(pl.col("subject_kind") == "lead")
    for town, n in per_town.iter_rows():
        assert (
            leads.filter((pl.col("town") == town) & pl.col("subject_id").str.starts_with("WZ-survey")).height
            >= n
        )


@pytest.mark.slow
def test_phases_and_weeks_count_the_work(district: Path) -> None:
    data = _campaign(district)
    surveys = pl.read_excel(next((district.parent / "inbox" / "survey").iterdir()))
    phases = {p["period"]: p for p in data["by_phase"]}
    assert sum(p["surveys"] for p in data["by_phase"]) == surveys.height
    # The generator sweeps in 专项排查 (June 8–30) and revisits in 清理打击.
    assert phases["专项排查"]["surveys"] > phases["清理打击"]["surveys"] > 0
    assert phases.get("动员部署", {"surveys": 0})["surveys"] == 0
    weeks = [w["period"] for w in data["by_week"]]
    assert weeks[0] == "2026-W23" and weeks[-1] == "2026-W37"
    assert sum(w["surveys"] for w in data["by_week"]) == surveys.height
    assert data["campaign"]["start"] == "2026-06-01"  # the year comes from the data


@pytest.mark.slow
def test_town_filter_and_text_output(district: Path) -> None:
    data = _campaign(district, "--town", "萌水镇")
    assert {t["town"] for t in data["towns"]} == {"萌水镇"}
    assert all(g.startswith("萌水镇") for g in data["unswept_grids"])
    result = runner.invoke(app, ["campaign", "--db", str(district)])
    assert result.exit_code == 0, result.output
    for text in ("各镇街排查", "各镇街处置与清零", "按阶段", "按周", "专项排查", "清零进度", "未排查网格"):
        assert text in result.output
    bad = runner.invoke(app, ["campaign", "--db", str(district), "--town", "不存在镇"])
    assert bad.exit_code == 2 and "没有镇街「不存在镇」" in bad.stderr


@pytest.mark.slow
def test_campaign_file_override(district: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    own = tmp_path / "campaign.toml"
    own.write_text(
        'name = "夏季专项"\nstart = "2026-06-10"\nend = "2026-07-31"\n'
        '[[phase]]\nname = "排查"\nstart = "06-10"\nend = "06-30"\n'
        '[[phase]]\nname = "整治"\nstart = "07-01"\nend = "07-31"\n',
        encoding="utf-8",
    )
    data = _campaign(district, "--campaign", str(own))
    assert data["campaign"]["name"] == "夏季专项"
    assert [p["name"] for p in data["campaign"]["phases"]] == ["排查", "整治"]
    monkeypatch.setenv("FUNDRISK_CAMPAIGN", str(own))
    assert _campaign(district)["campaign"]["end"] == "2026-07-31"
    monkeypatch.delenv("FUNDRISK_CAMPAIGN")
    overlapping = tmp_path / "bad.toml"
    overlapping.write_text(
        'name = "x"\nstart = "06-01"\nend = "09-10"\n[[phase]]\nname = "甲"\nstart = "06-01"\nend = "06-20"\n'
        '[[phase]]\nname = "乙"\nstart = "06-10"\nend = "06-30"\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["campaign", "--db", str(district), "--campaign", str(overlapping)])
    assert result.exit_code == 2 and "「甲」与「乙」日期重叠" in result.stderr
    with pytest.raises(BadInput, match="不是日期"):
        broken = tmp_path / "broken.toml"
        broken.write_text(
            'name = "x"\nstart = "六月"\nend = "09-10"\n[[phase]]\nname = "甲"\n', encoding="utf-8"
        )
        load_campaign(2026, broken)


def test_default_campaign_has_the_seed_plan_phases() -> None:
    c = load_campaign(2027)
    assert [p.name for p in c.phases] == ["动员部署", "专项排查", "清理打击", "巩固总结"]
    assert (c.start, c.end) == (dt.date(2027, 6, 1), dt.date(2027, 9, 10))
    assert c.phase_of(dt.date(2027, 6, 20)) == "专项排查" and c.phase_of(dt.date(2027, 5, 1)) == "行动前"


@pytest.mark.slow
def test_report_shows_progress_per_town_and_grid(district: Path) -> None:
    con = connect(district, read_only=True)
    html = build_report(con)
    con.close()
    section = html[html.index("七、百日清零进度") :]
    assert "<h3>各镇街</h3>" in section and "<h3>各网格</h3>" in section
    assert "排查覆盖率" in section and "清零进度" in section
    assert "萌水镇第1网格" in section and "商家镇" in section
