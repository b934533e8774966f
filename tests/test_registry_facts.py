"""Registry facts, snapshot provider, pre-screen and storage, without any network."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from enrichers.registry.facts import SCHEMAS, change_category, fact_frames, max_in_year
from enrichers.registry.lookup import prescreen
from enrichers.registry.model import province_of, to_date
from enrichers.registry.qichacha import sign
from enrichers.registry.snapshot import read_snapshot
from fundrisk.settings import Settings
from fundrisk.stages.registry import enrich_registry
from fundrisk.synth.registry_snapshot import write_snapshot
from fundrisk.warehouse.registry_store import (
    REGISTRY_DDL,
    ensure_registry_tables,
    lookup_status_for,
    registry_flags_for,
)

RECORD = {
    "uscc": "91370303MA3C7Q2X1K",
    "name": "淄博鑫源财富投资咨询有限公司",
    "basic": {
        "uscc": "91370303MA3C7Q2X1K",
        "name": "淄博鑫源财富投资咨询有限公司",
        "status": "吊销，未注销",
        "province": "山东省",
        "established_on": "2019-03-01",
    },
    "abnormal": [{"listed_on": "2023-05-10", "listed_reason": "未依照规定报送年度报告", "removed_on": None}],
    "lawsuits": [{"case_no": "(2023)鲁0303刑初1号", "title": "集资诈骗一审", "case_reason": "集资诈骗"}],
    "branches": [{"name": "南京分公司", "uscc": "91320100MA1X00001A"}],
    "investments": [],
    "changes": [
        {"changed_on": "2022-01-01", "item": "经营范围变更"},
        {"changed_on": "2022-12-31", "item": "经营范围变更"},
        {"changed_on": "2023-02-01", "item": "经营范围变更"},
        {"changed_on": "2023-03-01", "item": "企业名称变更"},
    ],
}


@pytest.mark.parametrize(
    ("item", "category"),
    [
        ("法定代表人变更", "legal_rep"),
        ("负责人变更", "legal_rep"),
        ("住所变更", "address"),
        ("经营场所变更", "address"),
        ("名称变更", "name"),
        ("经营范围变更", "scope"),
        ("注册资本变更", "capital"),
        ("投资人(股权)变更", "shareholder"),
        ("章程备案", "other"),
        (None, "other"),
    ],
)
def test_change_category(item: str | None, category: str) -> None:
    assert change_category(item) == category


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        (1551369600000, "2019-03-01"),
        ("2019-03-01 00:00:00", "2019-03-01"),
        ("2019/3/1", "2019-03-01"),
        ("2019年3月1日", "2019-03-01"),
        ("20190301", "2019-03-01"),
        ("-", None),
        (None, None),
        ("2019-02-30", None),
    ],
)
def test_to_date(value: object, iso: str | None) -> None:
    assert to_date(value) == iso


def test_province_from_code_base_or_address() -> None:
    assert province_of("91320100MA1X00001A") == "江苏省"
    assert province_of(None, "gd") == "广东省"
    assert province_of(None, "山东省", None) == "山东省"
    assert province_of(None, None, "内蒙古自治区呼和浩特市") == "内蒙古自治区"
    assert province_of(None, None, "某某分公司") is None


def test_qichacha_signature_is_upper_md5() -> None:
    assert sign("k", "s", "1700000000") == "438332D68F7CA81925B1129C10156CD2"  # md5("k1700000000s")
    assert sign("k", "s", "1") != sign("k", "s", "2")


def test_fact_frames_and_flags() -> None:
    frames = fact_frames([RECORD], "snapshot")
    flags = frames["registry_flags"].row(0, named=True)
    assert flags["scope_changes_365"] == 2 and flags["name_changes_365"] == 1 and flags["frequent_changes"]
    assert flags["fundraising_lawsuits"] == 1 and flags["abnormal_current"] == 1
    assert set(flags["provinces"].split("、")) == {"山东省", "江苏省"} and flags["out_of_province"] == 1
    assert "吊销" in flags["reasons"] and "2 个省份" in flags["reasons"]
    assert frames["registry_related"].height == 1
    assert frames["registry_changes"]["changed_on"].dtype == pl.Date


def test_max_in_year_counts_any_365_day_window() -> None:
    changes = pl.DataFrame(
        {
            "uscc": ["a"] * 4,
            "category": ["legal_rep"] * 4,
            "changed_on": ["2020-01-01", "2020-12-30", "2021-01-02", "2022-06-01"],
        },
    ).with_columns(pl.col("changed_on").str.to_date())
    assert max_in_year(changes).row(0, named=True)["n"] == 2


def test_ddl_matches_fact_schemas(con: duckdb.DuckDBPyConnection) -> None:
    ensure_registry_tables(con)
    ensure_registry_tables(con)  # idempotent
    for table, schema in SCHEMAS.items():
        columns = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
        assert columns == list(schema), table
    assert "token" not in REGISTRY_DDL.lower()


def test_prescreen_priorities_and_missing_columns() -> None:
    frame = pl.DataFrame(
        {
            "uscc": ["a", "b", "c"],
            "name": ["甲", "乙", "丙"],
            "alert_count": [0, 2, None],
            "keyword_score": [80.0, 0.0, 0.0],
        }
    )
    out = prescreen(frame)
    assert out["uscc"].to_list() == ["b", "a", "c"]
    assert out.filter(pl.col("uscc") == "c")["priority"].item() == 0.0


@pytest.mark.slow
def test_snapshot_provider_end_to_end(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write_snapshot(tmp_path / "registry.jsonl", [RECORD, {"uscc": None, "name": "无照门店"}])
    assert len(read_snapshot(path)) == 2
    subjects = pl.DataFrame(
        {
            "uscc": [RECORD["uscc"], None, "91370303MA3D000000"],
            "name": [RECORD["name"], "无照门店", "不在快照"],
            "priority": [2.0, 1.0, 1.0],
        }
    )
    report = enrich_registry(con, subjects, Settings(registry_provider="snapshot", registry_snapshot=path))
    assert (report.counts["fetched"], report.counts["not_found"], report.requests) == (2, 1, 0)
    flags = registry_flags_for(con, RECORD["uscc"])
    assert flags is not None and "集资诈骗" in flags["reasons"]
    status = lookup_status_for(con, "91370303MA3D000000")
    assert status is not None and status["status_label"] == "查无此企业"


@pytest.mark.slow
def test_missing_snapshot_or_credentials_mark_not_queried(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    subjects = pl.DataFrame({"uscc": [RECORD["uscc"]], "name": [RECORD["name"]], "priority": [1.0]})
    report = enrich_registry(con, subjects, Settings(registry_provider="snapshot", registry_snapshot=None))
    assert report.counts["not_queried"] == 1 and "快照" in (report.message or "")
    settings = Settings(
        registry_provider="tianyancha", tianyancha_token=None, tianyancha_url="http://127.0.0.1:9"
    )
    report = enrich_registry(con, subjects, settings)
    assert report.counts["not_queried"] == 1 and "FUNDRISK_TIANYANCHA_TOKEN" in (report.message or "")
    status = lookup_status_for(con, RECORD["uscc"])
    assert status is not None and status["status_label"] == "未查询"
