"""Publishing: the dynamic ledger, the four exports, and their safety (formulas, masking, codes, BOM)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import duckdb
import openpyxl
import pytest

from fundrisk.errors import BadInput
from fundrisk.ingest import ingest_file
from fundrisk.publish import export, overdue_rectifications, update_ledger
from fundrisk.warehouse import connect
from fundrisk.warehouse.db import scalar
from fundrisk.warehouse.frames import read
from tests.samples import U1, U2, U3, make_uscc, write_kind

U4 = make_uscc(4)  # named like the provincial list's code-less entry: excluded by normalised name
U5 = make_uscc(5)
T0 = dt.datetime(2026, 7, 1, 9, 0)
PAYLOADS = ["=1+1", "+SUM(A1)", "-2", "@cmd", "\t=x", "\r=x"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def ingest(
    con: duckdb.DuckDBPyConnection, folder: Path, kind: str, rows: list[dict[str, str]] | None = None
) -> None:
    name = f"{kind}-{len(list(folder.glob(f'{kind}-*')))}.csv"
    ingest_file(con, kind, write_kind(folder / name, kind, rows))


def score(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    rows: list[tuple[str, str, float]],
    at: dt.datetime = T0,
    kind: str = "registration",
    reasons: str = "涉众人数较多\n资金快进快出\n含敏感字样\n第四条理由",
) -> None:
    """risk_scores rows for a run: (subject_id, tier, score)."""
    for subject_id, tier, value in rows:
        con.execute(
            "INSERT INTO risk_scores (run_id, subject_kind, subject_id, name, score, tier, disposal, department,"
            " reasons, expected_yield, scored_at) VALUES (?, ?, ?, NULL, ?, ?, '约谈+责令整改', '公安分局', ?, ?, ?)",
            [run_id, kind, subject_id, value, tier, reasons, value / 100, at],
        )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def db(folder: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Sample inputs of every kind, plus U4 (on the provincial list by name only) and U5, and links for U1."""
    con = connect(":memory:")
    for kind in ("registrations", "alerts", "clues", "provincial-list", "inspections", "actions"):
        ingest(con, folder, kind)
    extra = [
        {"uscc": U4, "name": "淄博 某某投資諮詢有限公司", "industry": "商务服务业"},
        {"uscc": U5, "name": "淄博恒利农业发展有限公司", "industry": "农业", "phone": "13900002222"},
    ]
    ingest(con, folder, "registrations", extra)
    con.execute(
        "INSERT INTO entity_links VALUES ('alert', 'YJ2026-000001', ?, 'uscc', 1.0, 'r0'),"
        " ('clue', 'XS2026-000001', ?, 'name', 0.9, 'r0')",
        [U1, U1],
    )
    yield con
    con.close()


def csv_rows(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "CSV exports are UTF-8 with BOM"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def xlsx_rows(path: Path, sheet: str | None = None) -> list[dict[str, object]]:
    book = openpyxl.load_workbook(path)
    ws = book[sheet] if sheet else book.worksheets[0]
    cells = list(ws.iter_rows())
    header = [c.value for c in cells[0]]
    for row in cells:
        for cell in row:
            assert cell.data_type != "f", f"formula in {cell.coordinate}: {cell.value!r}"

    # openpyxl leaves the OOXML escape of a carriage return (_x000D_) as is; Excel decodes it.
    def value(cell: object) -> object:
        raw = getattr(cell, "value", None)
        return raw.replace("_x000D_", "\r") if isinstance(raw, str) else raw

    return [dict(zip(header, [value(c) for c in row], strict=True)) for row in cells[1:]]


def rows_of(path: Path) -> list[dict[str, object]]:
    """Every data row of an export; for a workbook, of every sheet but 汇总 and 字段说明 (cells still checked)."""
    if path.suffix == ".csv":
        return list(csv_rows(path))
    rows: list[dict[str, object]] = []
    for name in openpyxl.load_workbook(path).sheetnames:
        sheet_rows = xlsx_rows(path, name)
        if name in ("汇总", "字段说明"):
            assert not any(str(v).startswith(FORMULA_STARTS) for r in sheet_rows for v in r.values() if v)
        else:
            rows.extend(sheet_rows)
    return rows


# --- province push -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_push_excludes_listed_and_is_idempotent(db: duckdb.DuckDBPyConnection, folder: Path) -> None:
    score(db, "r1", [(U1, "高风险", 90), (U4, "高风险", 80), (U2, "中风险", 40), (U3, "低风险", 20)])
    first = export(db, "province-push", folder / "push1.csv", unit="经济发展局")
    rows = csv_rows(folder / "push1.csv")
    assert first.rows == 1 and [r["统一社会信用代码"] for r in rows] == [U2]  # U1 by code, U4 by name
    assert rows[0]["推送单位"] == "经济发展局" and rows[0]["推送日期"] == dt.date.today().isoformat()
    assert rows[0]["风险等级"] == "中风险"
    second = export(db, "province-push", folder / "push2.csv")
    assert second.rows == 0
    assert (folder / "push2.csv").read_text(encoding="utf-8-sig").strip().startswith("统一社会信用代码")
    assert csv_rows(folder / "push2.csv") == []
    pushes = read(db, "SELECT uscc, tier, file, unit FROM pushes")
    assert pushes.rows() == [(U2, "中风险", "push1.csv", "经济发展局")]
    events = read(db, "SELECT subject_id FROM ledger_events WHERE event = '已推送' AND source = 'push'")
    assert events["subject_id"].to_list() == [U2]


@pytest.mark.slow
def test_push_again_only_when_tier_rises(db: duckdb.DuckDBPyConnection, folder: Path) -> None:
    score(db, "r1", [(U2, "中风险", 40), (U3, "低风险", 20)], at=T0)
    assert export(db, "province-push", folder / "a.xlsx").rows == 1
    score(db, "r2", [(U2, "中风险", 45), (U3, "中风险", 38)], at=T0 + dt.timedelta(days=7))
    assert export(db, "province-push", folder / "b.xlsx").rows == 1  # U3 rose to 中; U2 unchanged
    assert [r["统一社会信用代码"] for r in xlsx_rows(folder / "b.xlsx")] == [U3]
    score(db, "r3", [(U2, "高风险", 70), (U3, "低风险", 20)], at=T0 + dt.timedelta(days=14))
    assert export(db, "province-push", folder / "c.csv").rows == 1  # U2 rose to 高
    assert export(db, "province-push", folder / "d.csv").rows == 0
    pushes = read(db, "SELECT uscc, tier, run_id FROM pushes ORDER BY pushed_at, uscc")
    assert pushes.rows() == [(U2, "中风险", "r1"), (U3, "中风险", "r2"), (U2, "高风险", "r3")]


# --- ledger --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_ledger_across_three_runs(db: duckdb.DuckDBPyConnection, folder: Path) -> None:
    ingest(
        db,
        folder,
        "actions",
        [{"uscc": U2, "action": "责令整改", "action_on": "2026-06-05", "deadline": "2026-06-30"}],
    )
    score(db, "r1", [(U1, "高风险", 90), (U2, "中风险", 40), (U3, "无明显风险", 5)], at=T0)
    first = update_ledger(db, "r1")
    assert first["tier_changes"] == 2  # U3 first seen at 无明显风险 is not a change
    score(
        db, "r2", [(U1, "高风险", 88), (U2, "低风险", 20), (U3, "中风险", 40)], at=T0 + dt.timedelta(days=7)
    )
    update_ledger(db, "r2")
    ingest(
        db,
        folder,
        "actions",
        [{"uscc": U1, "action": "复查", "action_on": "2026-07-10", "unit": "经济发展局"}],
    )
    score(
        db, "r3", [(U1, "中风险", 50), (U2, "低风险", 22), (U3, "高风险", 75)], at=T0 + dt.timedelta(days=14)
    )
    update_ledger(db, "r3")

    def snapshot() -> tuple[list[tuple[object, ...]], ...]:
        tiers = read(
            db, "SELECT subject_id, run_id, previous_tier, tier FROM ledger_tiers ORDER BY run_id, subject_id"
        )
        subjects = read(db, "SELECT * EXCLUDE (updated_at) FROM ledger_subjects ORDER BY subject_id")
        events = read(db, "SELECT subject_id, event, event_on, source FROM ledger_events ORDER BY ALL")
        return tiers.rows(), subjects.rows(), events.rows()

    tiers, subjects, events = snapshot()
    assert tiers == [
        (U1, "r1", None, "高风险"),
        (U2, "r1", None, "中风险"),
        (U2, "r2", "中风险", "低风险"),
        (U3, "r2", "无明显风险", "中风险"),
        (U1, "r3", "高风险", "中风险"),
        (U3, "r3", "中风险", "高风险"),
    ]
    by_id = {row[1]: row for row in subjects}
    assert by_id[U3][3] == "高风险" and by_id[U3][5] == "r2"  # current tier, first flagged run
    assert by_id[U1][5] == "r1" and by_id[U1][6] == T0 and by_id[U1][7] == "r3"
    assert len([e for e in events if e[3] == "actions"]) == 4

    overdue = overdue_rectifications(db, dt.date(2026, 8, 1))
    # U1's 约谈 (deadline 07-03) was followed by a 复查; U2's 责令整改 (deadline 06-30) was not.
    assert overdue["subject_id"].to_list() == [U2]
    assert overdue["event"][0] == "责令整改" and overdue["days_overdue"][0] == 32
    assert overdue["current_tier"][0] == "低风险"
    assert overdue_rectifications(db, dt.date(2026, 6, 20)).height == 0  # deadlines not yet passed
    assert overdue_rectifications(db, dt.date(2026, 7, 5))["subject_id"].sort().to_list() == sorted([U1, U2])

    again = update_ledger(db, "r3")
    assert again["tier_changes"] == 0
    assert snapshot() == (tiers, subjects, events)
    assert update_ledger(db, "r2")["tier_changes"] == 0  # an older run replayed changes nothing
    assert snapshot() == (tiers, subjects, events)


@pytest.mark.slow
def test_referrals_recorded_once(db: duckdb.DuckDBPyConnection, folder: Path) -> None:
    ingest(db, folder, "clues", [_clue("XS9", "淄博恒利农业", "约180人", "约80万元", "老板跑路了，无法兑付")])
    db.execute("INSERT INTO entity_links VALUES ('clue', 'XS9', ?, 'name', 0.9, 'r0')", [U5])
    db.execute("INSERT INTO clue_signals (clue_id, money_related) VALUES ('XS9', TRUE)")  # pooling evidence
    score(db, "r1", [(U1, "高风险", 90), (U5, "中风险", 45), (U2, "低风险", 20)])
    report = export(db, "police-referrals", folder / "police.csv")
    rows = {r["统一社会信用代码"]: r for r in csv_rows(folder / "police.csv")}
    assert report.rows == 2 and set(rows) == {U1, U5}
    assert rows[U1]["核查结论"] == "确认非法集资" and "确认非法集资" in rows[U1]["认定依据"]
    assert rows[U5]["核查结论"] == "未核查" and "150人以上" in rows[U5]["认定依据"]
    assert "100万元以上" not in rows[U5]["认定依据"] and rows[U5]["涉及人数"] == "180"
    export(db, "police-referrals", folder / "police.xlsx")
    sql = "SELECT count(*) FROM ledger_events WHERE event = '建议移送' AND source = 'referral'"
    assert scalar(db, sql) == 2


def _clue(clue_id: str, subject: str, people: str, amount: str, content: str) -> dict[str, str]:
    return {
        "clue_id": clue_id,
        "received_on": "2026-06-20",
        "subject_name": subject,
        "content": content,
        "channel": "网格员排查",
        "claimed_participants": people,
        "claimed_amount": amount,
    }


# --- inspection list, warning list -----------------------------------------------------------------------


def add_lead(con: duckdb.DuckDBPyConnection, lead_id: str, name: str, address: str) -> None:
    con.execute(
        "INSERT INTO leads (lead_id, name, core, address_key, town, clue_count, alert_count, run_id)"
        " VALUES (?, ?, ?, ?, '萌水镇', 1, 0, 'r0')",
        [lead_id, name, name, address],
    )


@pytest.mark.slow
def test_inspection_list_sheets_order_and_tiers(db: duckdb.DuckDBPyConnection, folder: Path) -> None:
    add_lead(db, "WZ-clue-XS1", "鑫隆养老服务中心", "萌水镇萌山路12号")
    score(db, "r1", [(U1, "高风险", 90), (U2, "中风险", 40), (U5, "中风险", 50), (U3, "低风险", 20)])
    score(db, "r1", [("WZ-clue-XS1", "高风险", 65)], kind="lead")
    report = export(db, "inspection-list", folder / "list.xlsx")
    assert report.rows == 4 and report.kind == "xlsx"
    book = openpyxl.load_workbook(folder / "list.xlsx")
    assert book.sheetnames[0] == "汇总"
    sections = ["A 农、林、牧、渔业", "H 住宿和餐饮业", "L 租赁和商务服务业", "其他（未分类）"]
    assert book.sheetnames == ["汇总", *sections, "字段说明"]  # GB/T 4754 门类 in the standard's order
    summary = [r for r in book["汇总"].iter_rows(values_only=True)]
    assert summary[0] == ("所属行业", "高风险", "中风险", "合计")
    assert ("合计", 2, 2, 4) in summary and any(r[0] == "运行批次" and r[1] == "r1" for r in summary)
    assert any(r[0] == "生成时间" for r in summary)
    lead = xlsx_rows(folder / "list.xlsx", "其他（未分类）")
    assert lead[0]["主体类型"] == "无照经营线索" and lead[0]["统一社会信用代码"] is None
    assert lead[0]["经营地址"] == "萌水镇萌山路12号"
    u1 = xlsx_rows(folder / "list.xlsx", "L 租赁和商务服务业")[0]
    assert u1["主要风险因素"] == "涉众人数较多；资金快进快出；含敏感字样" and u1["是否在省清单"] == "是"
    assert u1["涉及人数"] == 312 and u1["涉及金额(万元)"] == 1842 and u1["关联预警数"] == 1
    export(db, "inspection-list", folder / "all.csv", min_tier="低")
    listed = csv_rows(folder / "all.csv")
    assert [r["主体名称"] for r in listed][:2] == ["淄博鑫盛财富管理有限公司", "鑫隆养老服务中心"]
    assert len(listed) == 5 and listed[-1]["风险等级"] == "低风险"


@pytest.mark.slow
def test_warning_list(db: duckdb.DuckDBPyConnection, folder: Path) -> None:
    add_lead(db, "WZ-clue-XS1", "鑫隆养老服务中心", "萌水镇萌山路12号")
    score(db, "r1", [(U1, "高风险", 90), (U2, "中风险", 40)])
    score(db, "r1", [("WZ-clue-XS1", "高风险", 65)], kind="lead")
    assert export(db, "warning-list", folder / "warn.csv").rows == 2
    rows = {r["主体名称"]: r for r in csv_rows(folder / "warn.csv")}
    assert rows["鑫隆养老服务中心"]["经营地址"] == "萌水镇萌山路12号"
    assert rows["淄博鑫盛财富管理有限公司"]["统一社会信用代码"] == U1
    assert {r["风险提示"] for r in rows.values()} == {
        "该公司不具备开展集资、吸储、保险、理财经营资格，谨防上当受骗"
    }


@pytest.mark.slow
def test_tied_subjects_keep_one_order_whatever_the_storage_order(folder: Path) -> None:
    """Equal yield and score: the lists order by the subject, so two runs over the same data agree line
    by line (before, ties came out in whatever order DuckDB returned them)."""
    tied = [(U1, "高风险", 70.0), (U2, "高风险", 70.0), (U5, "高风险", 70.0)]
    lists = []
    for order in (tied, tied[::-1]):
        con = connect(":memory:")
        ingest(con, folder, "registrations")
        score(con, "r1", order)
        export(con, "warning-list", folder / "warn.csv")
        lists.append([r["统一社会信用代码"] for r in csv_rows(folder / "warn.csv")])
        con.close()
    assert lists[0] == lists[1] == [U1, U2, ""]  # U5 is not registered: no code to show


def test_bad_input(db: duckdb.DuckDBPyConnection, folder: Path) -> None:
    with pytest.raises(BadInput, match="风险评分"):
        export(db, "warning-list", folder / "w.csv")
    score(db, "r1", [(U1, "高风险", 90)])
    with pytest.raises(BadInput, match=r"\.xlsx 或 \.csv"):
        export(db, "inspection-list", folder / "list.txt")
    with pytest.raises(BadInput, match="未知的风险等级"):
        export(db, "inspection-list", folder / "list.csv", min_tier="极高")
    with pytest.raises(BadInput, match="未知的导出类型"):
        export(db, "everything", folder / "x.csv")
    assert not list(folder.glob("list.*"))


# --- safety: formulas, masking, codes --------------------------------------------------------------------

PAYLOAD_COLUMNS = {
    "inspection-list": [
        "主体名称",
        "登记行业",  # 所属行业 is the GB/T 4754 section the raw text maps to
        "所属镇街",
        "网格",
        "经营地址",
        "法定代表人",
        "证件号码",
        "联系电话",
        "主要风险因素",
        "命中敏感词",
        "建议核查部门",
        "建议处置措施",
    ],
    "province-push": ["企业名称", "法定代表人", "注册地址", "所属行业", "主要风险因素", "推送单位"],
    "police-referrals": ["主体名称", "法定代表人", "证件号码", "经营地址"],
    "warning-list": ["主体名称", "经营地址"],
}


def payload_state(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """One registered entity per payload, the payload in every text field it has; all 高风险 and confirmed."""
    codes: dict[str, str] = {}
    for i, payload in enumerate(PAYLOADS):
        code = make_uscc(100 + i)
        codes[code] = payload
        con.execute(
            "INSERT INTO registrations (uscc, name, legal_rep, legal_rep_id, phone, industry, address, town, grid,"
            " record_key, ingest_id, loaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'test', now())",
            [code, *[payload] * 8, code],
        )
        con.execute(
            "INSERT INTO inspections (uscc, inspected_on, conclusion, record_key, ingest_id, loaded_at)"
            " VALUES (?, DATE '2026-06-01', '确认非法集资', ?, 'test', now())",
            [code, code],
        )
        con.execute(
            "INSERT INTO keyword_hits (subject_kind, subject_id, field, term, category) VALUES"
            " ('registration', ?, 'name', ?, '测试')",
            [code, payload],
        )
        con.execute(
            "INSERT INTO risk_scores (run_id, subject_kind, subject_id, name, score, tier, disposal, department,"
            " reasons, scored_at) VALUES ('r1', 'registration', ?, ?, 80, '高风险', ?, ?, ?, ?)",
            [code, payload, payload, payload, f"{payload}\n第二条", T0],
        )
    return codes


@pytest.mark.slow
@pytest.mark.parametrize("what", list(PAYLOAD_COLUMNS))
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_owasp_payloads_neutralised(
    db: duckdb.DuckDBPyConnection, folder: Path, what: str, suffix: str
) -> None:
    codes = payload_state(db)
    options: dict[str, object] = {"unit": "=1+1"} if what == "province-push" else {}
    path = folder / f"{what}{suffix}"
    report = export(db, what, path, unmask=True, **options)
    rows = rows_of(path)
    assert report.rows == len(rows) >= len(PAYLOADS)
    for row in rows:
        for column, value in row.items():
            assert not (isinstance(value, str) and value.startswith(FORMULA_STARTS)), (column, value)
    payload_rows = [r for r in rows if r.get("统一社会信用代码") in codes]
    assert len(payload_rows) == len(PAYLOADS)
    for row in payload_rows:
        payload = codes[str(row["统一社会信用代码"])]
        for column in PAYLOAD_COLUMNS[what]:
            value = str(row[column])
            expected = "=1+1" if column == "推送单位" else payload
            expected = expected.strip() if column == "主要风险因素" else expected  # reason lines are trimmed
            assert value.startswith("'"), (column, value)
            assert value.startswith("'" + expected) or value == "'" + expected, (column, value)
    masked = folder / f"masked-{what}{suffix}"
    db.execute("DELETE FROM pushes")
    export(db, what, masked, **options)
    for row in rows_of(masked):
        assert not any(isinstance(v, str) and v.startswith(FORMULA_STARTS) for v in row.values())


@pytest.mark.slow
def test_masking_and_unmask_recorded(db: duckdb.DuckDBPyConnection, folder: Path) -> None:
    score(db, "r1", [(U1, "高风险", 90), (U5, "中风险", 50)])
    export(db, "inspection-list", folder / "masked.csv")
    row = {r["统一社会信用代码"]: r for r in csv_rows(folder / "masked.csv")}
    assert row[U1]["联系电话"] == "138****5678" and row[U1]["证件号码"] == "370303********1234"
    assert row[U5]["联系电话"] == "139****2222"
    assert export(db, "police-referrals", folder / "police.csv").rows == 1
    police = csv_rows(folder / "police.csv")
    assert police[0]["证件号码"] == "370303********1234"
    assert scalar(db, "SELECT count(*) FROM ledger_events WHERE event = '导出未脱敏'") == 0
    export(db, "inspection-list", folder / "clear.xlsx", unmask=True)
    clear = xlsx_rows(folder / "clear.xlsx", "L 租赁和商务服务业")[0]
    assert clear["联系电话"] == "13812345678" and clear["证件号码"] == "370303196501011234"
    events = read(db, "SELECT subject_id, source, detail FROM ledger_events WHERE event = '导出未脱敏'")
    assert events.height == 1 and events["source"][0] == "unmask"
    assert events["subject_id"][0] == "inspection-list" and "clear.xlsx" in events["detail"][0]


@pytest.mark.slow
def test_codes_stay_18_character_text(db: duckdb.DuckDBPyConnection, folder: Path) -> None:
    digits_only = next(make_uscc(n) for n in range(200, 300) if make_uscc(n).isdigit())
    ingest(
        db,
        folder,
        "registrations",
        [{"uscc": digits_only, "name": "淄博长数字投资有限公司", "industry": "商务服务业"}],
    )
    ingest(
        db,
        folder,
        "inspections",
        [{"uscc": digits_only, "inspected_on": "2026-06-05", "conclusion": "确认非法集资"}],
    )
    score(db, "r1", [(U1, "高风险", 90), (digits_only, "高风险", 80), (U5, "中风险", 50)])
    for what in ("inspection-list", "warning-list", "police-referrals", "province-push"):
        path = folder / f"{what}.xlsx"
        export(db, what, path, min_tier="中") if what == "inspection-list" else export(db, what, path)
        book = openpyxl.load_workbook(path)
        seen = []
        for ws in book.worksheets:
            header = [c.value for c in next(ws.iter_rows(max_row=1))]
            if "统一社会信用代码" not in header:
                continue
            col = header.index("统一社会信用代码")
            for row in ws.iter_rows(min_row=2):
                cell = row[col]
                if cell.value is not None:
                    assert cell.data_type == "s" and len(str(cell.value)) == 18, (what, cell.value)
                    seen.append(cell.value)
        assert digits_only in seen, what


def test_a_keyed_ledger_from_an_older_file_is_rebuilt_without_its_key(folder: Path) -> None:
    path = folder / "old.duckdb"
    old = duckdb.connect(str(path))
    old.execute(
        "CREATE TABLE ledger_subjects (subject_kind VARCHAR NOT NULL, subject_id VARCHAR NOT NULL, name VARCHAR,"
        " current_tier VARCHAR, current_score DOUBLE, first_flagged_run VARCHAR, first_flagged_at TIMESTAMP,"
        " last_run VARCHAR, last_changed_at TIMESTAMP, updated_at TIMESTAMP, PRIMARY KEY (subject_kind, subject_id))"
    )
    old.execute(
        "INSERT INTO ledger_subjects VALUES ('registration', ?, '甲', '高风险', 90, 'r0', ?, 'r0', ?, ?)",
        [U1, T0, T0, T0],
    )
    old.close()
    keyed = "SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'ledger_subjects' AND constraint_type = 'PRIMARY KEY'"
    con = connect(path)
    assert scalar(con, keyed) == 0
    assert read(con, "SELECT subject_id, current_tier, first_flagged_run FROM ledger_subjects").rows() == [
        (U1, "高风险", "r0")
    ]
    score(con, "r1", [(U1, "中风险", 50), (U2, "高风险", 80)], at=T0 + dt.timedelta(days=1))
    update_ledger(con, "r1")
    update_ledger(con, "r1")  # again: still one row per subject
    rows = read(
        con, "SELECT subject_id, current_tier, first_flagged_run, last_run FROM ledger_subjects ORDER BY 1"
    )
    assert rows.rows() == sorted([(U1, "中风险", "r0", "r1"), (U2, "高风险", "r1", "r1")])
    con.close()
    connect(path).close()  # a rebuilt file is left as it is
