"""screen, explain and export through the CLI on a scored demo district (no Prefect needed)."""

from __future__ import annotations

import json

import openpyxl
import pytest
from typer.testing import CliRunner

from fundrisk.cli import app
from fundrisk.warehouse import connect
from tests.conftest import scored_district

runner = CliRunner()


@pytest.fixture(scope="module")
def scored_db(tmp_path_factory):
    db = scored_district(tmp_path_factory.mktemp("district"), entities=1500, seed=3, run_id="R-test")
    con = connect(db)
    top = con.execute(
        "SELECT subject_id FROM risk_scores WHERE subject_kind = 'registration' ORDER BY score DESC LIMIT 1"
    ).fetchall()[0][0]
    con.close()
    return db, top


@pytest.mark.slow
def test_screen_json_is_one_object_per_text():
    result = runner.invoke(app, ["screen", "鑫盛财富管理", "张记面馆", "--json"])
    assert result.exit_code == 0
    objects = [json.loads(line) for line in result.output.splitlines()]
    assert [o["text"] for o in objects] == ["鑫盛财富管理", "张记面馆"]
    assert objects[0]["score"] > objects[1]["score"] and objects[0]["hits"][0]["term"] == "财富管理"
    assert set(objects[0]) >= {"text", "score", "hits"}


@pytest.mark.slow
def test_explain_json_has_the_documented_keys(scored_db):
    db, top = scored_db
    result = runner.invoke(app, ["explain", top, "--json", "--db", str(db)])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    keys = "uscc name score tier reasons alerts clues run_id scored_at inspections actions status"
    assert set(body) == set(keys.split())
    assert body["run_id"] == "R-test" and len(body["reasons"]) == len(set(body["reasons"]))
    assert body["tier"] == "高风险" and body["reasons"] and (body["alerts"] or body["clues"])


@pytest.mark.slow
def test_explain_unknown_code_exits_2(scored_db):
    db, _ = scored_db
    result = runner.invoke(app, ["explain", "91370306MA0000000X", "--db", str(db)])
    assert result.exit_code == 2 and "没有统一社会信用代码" in result.stderr


@pytest.mark.slow
def test_export_inspection_list_xlsx(scored_db, tmp_path):
    db, top = scored_db
    path = tmp_path / "名单.xlsx"
    result = runner.invoke(app, ["export", "inspection-list", "--out", str(path), "--db", str(db)])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[0] == "汇总" and len(book.sheetnames) > 1
    codes = [
        row[3]
        for sheet in book.sheetnames[1:]
        if sheet != "字段说明"
        for row in book[sheet].iter_rows(min_row=2, values_only=True)
    ]
    assert top in codes


@pytest.mark.slow
def test_export_bad_suffix_exits_2(scored_db, tmp_path):
    db, _ = scored_db
    result = runner.invoke(app, ["export", "warning-list", "--out", str(tmp_path / "x.pdf"), "--db", str(db)])
    assert result.exit_code == 2 and "不支持的导出格式" in result.stderr


@pytest.mark.slow
def test_explain_a_lead(scored_db):
    db, _ = scored_db
    con = connect(db)
    lead = con.execute("SELECT lead_id FROM leads ORDER BY clue_count DESC LIMIT 1").fetchall()[0][0]
    con.close()
    result = runner.invoke(app, ["explain", lead, "--json", "--db", str(db)])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["uscc"] == lead and body["tier"] in {"高风险", "中风险"} and body["clues"]
