"""The Prefect pipeline on a real inbox, under the Prefect test harness."""

from __future__ import annotations

import json

import pytest

from flows.pipeline import pipeline
from fundrisk.sources.spec import KINDS
from fundrisk.warehouse import connect
from tests.samples import VALID, write_kind

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]


def make_inbox(root):
    for i, kind in enumerate(KINDS):
        suffix = ["csv", "xlsx", "parquet"][i % 3]
        write_kind(root / kind / f"{kind}.{suffix}", kind, chinese=i % 2 == 0)
    return root


def table_count(db, table):
    con = connect(db)
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    finally:
        con.close()


def test_pipeline_ingests_inbox_and_records_the_run(tmp_path):
    inbox, db = make_inbox(tmp_path / "inbox"), str(tmp_path / "f.duckdb")
    (inbox / "truth").mkdir()
    (inbox / "truth" / "labels.csv").write_text("not an input\n")  # unknown folders are ignored
    summary = pipeline(inbox=str(inbox), db=db)
    assert summary["files"] == len(KINDS)
    assert summary["rows_loaded"] == sum(len(rows) for rows in VALID.values())
    assert summary["rows_quarantined"] == 0 and not summary["rejected_files"]
    con = connect(db)
    status, hashes, versions = con.execute("SELECT status, input_hashes, versions FROM runs").fetchall()[0]
    con.close()
    assert status == "success"
    assert len(json.loads(hashes)) == len(KINDS)
    assert "input_schema" in json.loads(versions)

    again = pipeline(inbox=str(inbox), db=db)
    assert again["files_skipped"] == len(KINDS) and again["rows_loaded"] == 0
    assert table_count(db, "registrations_history") == len(VALID["registrations"])
    assert table_count(db, "runs") == 2


def test_unusable_file_is_reported_and_the_rest_still_loads(tmp_path):
    inbox, db = make_inbox(tmp_path / "inbox"), str(tmp_path / "f.duckdb")
    (inbox / "alerts" / "broken.csv").write_text("预警编号\nA1\n", encoding="utf-8")
    summary = pipeline(inbox=str(inbox), db=db)
    assert [bad["file"] for bad in summary["rejected_files"]] == ["broken.csv"]
    assert "缺少资金异动预警的必填列" in summary["rejected_files"][0]["error"]
    assert table_count(db, "alerts") == len(VALID["alerts"])
    con = connect(db)
    assert con.execute("SELECT status FROM runs").fetchall() == [("partial",)]
    con.close()
