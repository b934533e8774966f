"""Ingestion of all six kinds: formats, encodings, headers, bad rows, the count invariant, re-ingest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fundrisk.errors import BadInput
from fundrisk.ingest import ingest_file
from fundrisk.sources.spec import KINDS
from tests.samples import U1, U2, VALID, csv_bytes, make_uscc, write_kind

FORMATS = [("csv", "utf-8"), ("csv", "utf-8-sig"), ("csv", "gb18030"), ("xlsx", None), ("parquet", None)]


def counts(con, table):
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def quarantine(con):
    return con.execute("SELECT line, reason FROM quarantine ORDER BY line").fetchall()


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("chinese", [True, False], ids=["zh-headers", "canonical-headers"])
@pytest.mark.parametrize(("suffix", "encoding"), FORMATS, ids=[f"{s}-{e}" for s, e in FORMATS])
def test_every_kind_every_format_loads_cleanly(con, tmp_path, kind, chinese, suffix, encoding):
    path = write_kind(tmp_path / f"{kind}.{suffix}", kind, chinese=chinese, encoding=encoding or "utf-8")
    report = ingest_file(con, kind, path)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (
        len(VALID[kind]),
        len(VALID[kind]),
        0,
    )
    assert counts(con, KINDS[kind].table) == len(VALID[kind])
    if encoding:
        recorded = con.execute("SELECT encoding FROM ingested_files").fetchall()[0][0]
        assert recorded == {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "gb18030": "gb18030"}[encoding]


@pytest.mark.slow
def test_values_are_typed(con, tmp_path):
    ingest_file(con, "registrations", write_kind(tmp_path / "r.csv", "registrations"))
    ingest_file(con, "alerts", write_kind(tmp_path / "a.xlsx", "alerts"))
    row = con.execute(
        "SELECT registered_capital, established_on::VARCHAR FROM registrations WHERE uscc = ?", [U1]
    ).fetchall()[0]
    assert row == (1000.0, "2021-03-05")
    alert = con.execute(
        "SELECT inflow_amount, outflow_amount, txn_count, payer_count, elderly_payer_share FROM alerts "
        "WHERE alert_id = 'YJ2026-000001'"
    ).fetchall()[0]
    assert alert == (18_420_000.0, 16_500_000.0, 1200, 312, pytest.approx(0.64))


WRONG_CHECK = make_uscc(8)[:-1] + ("0" if make_uscc(8)[-1] != "0" else "1")
BAD_ROWS = {
    "registrations": [
        ({"uscc": "", "name": "无代码公司"}, "缺少必填项「统一社会信用代码」"),
        ({"uscc": WRONG_CHECK, "name": "坏校验位"}, "不是有效的统一社会信用代码"),
        ({"uscc": make_uscc(9), "name": ""}, "缺少必填项「企业名称」"),
        (
            {"uscc": make_uscc(10), "name": "甲", "established_on": "2020-13-45"},
            "成立日期「2020-13-45」无法识别为日期",
        ),
        (
            {"uscc": make_uscc(11), "name": "乙", "registered_capital": "很多"},
            "注册资本「很多」无法识别为金额",
        ),
    ],
    "alerts": [
        (
            {"alert_id": "A1", "account_name": "甲", "alert_date": "2026-01-01", "inflow_amount": "abc"},
            "转入金额「abc」",
        ),
        (
            {"alert_id": "A2", "account_name": "", "alert_date": "2026-01-01", "inflow_amount": "1"},
            "缺少必填项「账户名称」",
        ),
        (
            {"alert_id": "A3", "account_name": "甲", "alert_date": "昨天", "inflow_amount": "1"},
            "预警日期「昨天」",
        ),
        (
            {
                "alert_id": "A4",
                "account_name": "甲",
                "alert_date": "2026-01-01",
                "inflow_amount": "1",
                "elderly_payer_share": "250%",
            },
            "60岁以上对手方占比「250%」",
        ),
    ],
    "clues": [
        (
            {
                "clue_id": "C1",
                "received_on": "2026-01-01",
                "subject_name": "甲",
                "content": "x",
                "channel": "微信",
            },
            "线索来源「微信」不在可选值内",
        ),
        (
            {"clue_id": "C2", "received_on": "2026-01-01", "subject_name": "甲", "content": ""},
            "缺少必填项「线索内容」",
        ),
        (
            {
                "clue_id": "C3",
                "received_on": "2026-01-01",
                "subject_name": "甲",
                "content": "x",
                "claimed_participants": "好多人",
            },
            "涉及人数「好多人」",
        ),
    ],
    "provincial-list": [({"level": "高"}, "统一社会信用代码或企业名称至少填写一项")],
    "inspections": [
        ({"uscc": U1, "inspected_on": "2026-01-01", "conclusion": "有问题"}, "核查结论「有问题」不在可选值内")
    ],
    "actions": [({"uscc": U1, "action": "罚款", "action_on": "2026-01-01"}, "处置措施「罚款」不在可选值内")],
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(BAD_ROWS))
def test_bad_rows_are_quarantined_with_chinese_reasons(con, tmp_path, kind):
    bad = BAD_ROWS[kind]
    rows = VALID[kind] + [row for row, _ in bad]
    report = ingest_file(con, kind, write_kind(tmp_path / f"{kind}.csv", kind, rows))
    assert report.rows_loaded == len(VALID[kind])
    assert report.rows_quarantined == len(bad)
    assert report.rows_loaded + report.rows_quarantined == report.rows_read == len(rows)
    stored = quarantine(con)
    first_bad_line = len(VALID[kind]) + 2
    for (_line, reason), (_, expected) in zip(stored, bad, strict=True):
        assert expected in reason
    assert [line for line, _ in stored] == list(range(first_bad_line, first_bad_line + len(bad)))
    raw = json.loads(con.execute("SELECT raw FROM quarantine LIMIT 1").fetchall()[0][0])
    assert isinstance(raw, dict) and raw  # the raw values travel with the reason


@pytest.mark.parametrize("kind", list(KINDS))
def test_within_file_duplicate_keys_are_quarantined(con, tmp_path, kind):
    rows = VALID[kind] + [VALID[kind][0]]
    report = ingest_file(con, kind, write_kind(tmp_path / f"{kind}.csv", kind, rows))
    assert report.rows_quarantined == 1
    (line, reason), *_ = quarantine(con)
    assert line == len(rows) + 1
    assert reason.startswith("文件内重复") and "与第2行相同" in reason


@pytest.mark.slow
def test_personal_values_never_appear_in_reasons(con, tmp_path):
    rows = [{**VALID["clues"][0], "claimed_amount": "很多钱"}]
    ingest_file(con, "clues", write_kind(tmp_path / "c.csv", "clues", rows))
    (_, reason), *_ = quarantine(con)
    assert "13900001111" not in reason and "李某" not in reason


@pytest.mark.slow
def test_reingest_same_file_is_a_no_op(con, tmp_path):
    path = write_kind(
        tmp_path / "r.csv", "registrations", VALID["registrations"] + [{"uscc": "bad", "name": "x"}]
    )
    first = ingest_file(con, "registrations", path)
    second = ingest_file(con, "registrations", path)
    assert not first.skipped and second.skipped
    assert counts(con, "registrations") == 3
    assert counts(con, "registrations_history") == 3
    assert counts(con, "quarantine") == 1
    assert counts(con, "ingested_files") == 1


@pytest.mark.slow
def test_later_file_updates_entity_and_keeps_history(con, tmp_path):
    ingest_file(con, "registrations", write_kind(tmp_path / "r1.csv", "registrations"))
    changed = [{**VALID["registrations"][0], "name": "淄博鑫盛企业管理有限公司", "status": "吊销"}]
    report = ingest_file(con, "registrations", write_kind(tmp_path / "r2.csv", "registrations", changed))
    assert report.rows_updated == 1
    current = con.execute("SELECT name, status FROM registrations WHERE uscc = ?", [U1]).fetchall()
    assert current == [("淄博鑫盛企业管理有限公司", "吊销")]
    history = con.execute(
        "SELECT name, source_file FROM registrations_history WHERE uscc = ? ORDER BY loaded_at", [U1]
    ).fetchall()
    assert history == [("淄博鑫盛财富管理有限公司", "r1.csv"), ("淄博鑫盛企业管理有限公司", "r2.csv")]
    assert counts(con, "registrations") == 3


@pytest.mark.slow
def test_unknown_columns_are_kept(con, tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(csv_bytes(["统一社会信用代码", "企业名称", "备用字段"], [[U2, "张记面馆", "保留我"]]))
    ingest_file(con, "registrations", path)
    extra = con.execute("SELECT extra FROM registrations").fetchall()[0][0]
    assert json.loads(extra) == {"备用字段": "保留我"}


def test_missing_required_column_is_a_clear_error(con, tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(csv_bytes(["预警编号", "账户名称"], [["A1", "甲"]]))
    with pytest.raises(
        BadInput, match="缺少资金异动预警的必填列：预警日期（alert_date）、转入金额（inflow_amount）"
    ):
        ingest_file(con, "alerts", path)
    assert counts(con, "ingested_files") == 0


def test_ragged_rows_go_to_quarantine(con, tmp_path):
    path = tmp_path / "r.csv"
    text = f"统一社会信用代码,企业名称\n{U1},甲公司\n{U2},乙公司,多出的字段\n{make_uscc(5)},丙公司\n"
    path.write_text(text, encoding="utf-8")
    report = ingest_file(con, "registrations", path)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (3, 2, 1)
    assert quarantine(con) == [(3, "字段数为3，与表头的2列不一致（请检查分隔符或引号）")]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "是空文件"),
        ("binary.csv", b"\x00\x01\x02\xff\xfe", "编码无法识别"),
        ("book.xlsx", b"not a workbook", "不是可读取的 Excel 工作簿"),
        ("data.json", b"{}", "不支持的文件格式"),
    ],
)
def test_unusable_files_raise_bad_input(con, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(BadInput, match=message):
        ingest_file(con, "registrations", path)


@pytest.mark.slow
def test_header_only_file_loads_nothing(con, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("统一社会信用代码,企业名称\n", encoding="utf-8")
    report = ingest_file(con, "registrations", path)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (0, 0, 0)


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(KINDS))
def test_committed_samples_follow_the_contract(con, kind):
    path = Path(__file__).resolve().parents[1] / "data" / "samples" / f"{kind}.csv"
    report = ingest_file(con, kind, path)
    assert report.rows_read > 0 and report.rows_quarantined == 0
