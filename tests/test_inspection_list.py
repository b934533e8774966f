"""The inspection list shows where each case stands: case states, new columns, sections, filters, departments."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from enrichers.industries import UNCLASSIFIED, industry_section, section_labels
from fundrisk.cli import app
from fundrisk.ingest import ingest_file
from fundrisk.publish import export, overdue_rectifications, update_ledger
from fundrisk.publish.ledger import subject_history
from fundrisk.synth.industries import INDUSTRIES
from fundrisk.synth.names import SHOP_TYPES
from fundrisk.warehouse import connect
from fundrisk.warehouse.case_store import NOT_INSPECTED, case_states, with_case_states
from scoring import score_subjects
from scoring.schema import feature_rows
from tests.conftest import realdata, scored_district
from tests.samples import U1, U2, U3, make_uscc, write_kind

runner = CliRunner()
TODAY = dt.date.today()
AS_OF = dt.date(2026, 3, 1)
NEW_HEADERS = ["最近核查日期", "核查结论", "处置状态", "整改期限", "线索编号"]
DESIGN_HEADERS = [
    "风险等级", "风险评分", "主体名称", "统一社会信用代码", "主体类型", "所属行业", "所属镇街", "网格", "经营地址",
    "法定代表人", "联系电话", "主要风险因素", "命中敏感词", "关联线索数", "关联预警数", "涉及人数", "涉及金额(万元)",
    "是否在省清单", "建议核查部门", "建议处置措施", *NEW_HEADERS,
]  # fmt: skip
LEAD = "WZ-clue-XS2026-000101"


def day(offset: int) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


def ingest(con: duckdb.DuckDBPyConnection, folder: Path, kind: str, rows: list[dict[str, str]]) -> None:
    name = f"{kind}-{len(list(folder.glob(f'{kind}-*')))}.csv"
    ingest_file(con, kind, write_kind(folder / name, kind, rows))


def action(uscc: str, what: str, on: str, deadline: str = "", notes: str = "") -> dict[str, str]:
    return {"uscc": uscc, "action": what, "action_on": on, "deadline": deadline, "notes": notes}


# --- case states -------------------------------------------------------------------------------------------

CASES: list[tuple[str, list[dict[str, str]], str, str | None, str | None]] = [
    # (label, actions, status on AS_OF, closed_on, deadline)
    ("rectifying", [action("A", "责令整改", "2026-01-10", "2026-04-10")], "整改中", None, "2026-04-10"),
    ("warned, no deadline", [action("A", "警示教育", "2026-01-10")], "整改中", None, None),
    ("overdue", [action("A", "责令整改", "2026-01-10", "2026-02-10")], "逾期未整改", None, "2026-02-10"),
    (
        "reviewed in time",
        [action("A", "责令整改", "2026-01-10", "2026-02-10"), action("A", "复查", "2026-02-08")],
        "已核查",
        None,
        None,
    ),
    (
        "referred beats overdue",
        [action("A", "责令整改", "2026-01-10", "2026-02-10"), action("A", "移送公安", "2026-01-20")],
        "已移送",
        None,
        "2026-02-10",
    ),
    (
        "closed",
        [
            action("A", "约谈", "2026-01-10"),
            action("A", "移送公安", "2026-01-12"),
            action("A", "销号", "2026-02-01"),
        ],
        "已销号",
        "2026-02-01",
        None,
    ),
    (
        "cleared out (清退完毕)",
        [action("A", "复查", "2026-02-03", notes="资金已清退完毕")],
        "已销号",
        "2026-02-03",
        None,
    ),
    (
        "closed then reopened",
        [action("A", "销号", "2026-01-05"), action("A", "约谈", "2026-02-01", "2026-04-01")],
        "整改中",
        None,
        "2026-04-01",
    ),
    (
        "closed after as_of",
        [action("A", "约谈", "2026-01-10"), action("A", "销号", "2026-03-05")],
        "整改中",
        None,
        None,
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("label", "actions", "status", "closed_on", "deadline"), CASES, ids=[c[0] for c in CASES]
)
def test_case_status_from_action_history(
    con: duckdb.DuckDBPyConnection,
    tmp_path: Path,
    label: str,
    actions: list[dict[str, str]],
    status: str,
    closed_on: str | None,
    deadline: str | None,
) -> None:
    ingest(con, tmp_path, "actions", [{**a, "uscc": U1} for a in actions])
    rows = case_states(con, AS_OF).to_dicts()
    assert len(rows) == 1 and rows[0]["subject_id"] == U1 and rows[0]["subject_kind"] == "registration"
    row = rows[0]
    assert row["status"] == status, label
    assert row["closed_on"] == (dt.date.fromisoformat(closed_on) if closed_on else None)
    assert row["deadline"] == (dt.date.fromisoformat(deadline) if deadline else None)
    assert row["status_on"] == AS_OF


@pytest.mark.slow
def test_inspected_and_never_touched(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    ingest(
        con,
        tmp_path,
        "inspections",
        [
            {"uscc": U1, "inspected_on": "2026-01-05", "conclusion": "存在风险隐患"},
            {"uscc": U1, "inspected_on": "2026-02-05", "conclusion": "未发现问题"},
            {"uscc": U2, "inspected_on": "2026-04-05", "conclusion": "确认非法集资"},  # after AS_OF
        ],
    )
    states = case_states(con, AS_OF)
    assert states.select("subject_id", "last_inspected_on", "last_conclusion", "status").rows() == [
        (U1, dt.date(2026, 2, 5), "未发现问题", "已核查")
    ]
    subjects = pl.DataFrame({"subject_kind": ["registration"] * 3, "subject_id": [U1, U2, U3]})
    joined = with_case_states(subjects, states)
    assert joined["status"].to_list() == ["已核查", NOT_INSPECTED, NOT_INSPECTED]


def test_exports_never_make_a_referral(con: duckdb.DuckDBPyConnection) -> None:
    """A referral export (建议移送, or 移送公安 as older databases recorded it) is not a disposal."""
    con.execute(
        "INSERT INTO ledger_events (subject_kind, subject_id, event, event_on, source) VALUES"
        " ('registration', ?, '建议移送', DATE '2026-01-05', 'referral'),"
        " ('registration', ?, '移送公安', DATE '2026-01-05', 'referral'),"
        " ('registration', ?, '移送公安', DATE '2026-01-05', 'review')",
        [U1, U2, U3],
    )
    assert case_states(con, AS_OF).select("subject_id", "status").rows() == [(U3, "已移送")]


def test_overdue_agrees_with_the_ledger(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    ingest(
        con,
        tmp_path,
        "actions",
        [
            action(U1, "责令整改", "2026-01-10", "2026-02-10"),
            action(U2, "责令整改", "2026-01-10", "2026-02-10"),
            action(U2, "复查", "2026-02-12"),
            action(U3, "约谈", "2026-01-10", "2026-02-20"),
            action(U3, "移送公安", "2026-01-15"),
        ],
    )
    overdue = set(overdue_rectifications(con, AS_OF)["subject_id"].to_list())
    states = case_states(con, AS_OF)
    shown = set(states.filter(pl.col("status") == "逾期未整改")["subject_id"].to_list())
    assert overdue == {U1, U3} and shown == {U1}  # U3 is overdue too, but 已移送 ranks above it


# --- the list itself ---------------------------------------------------------------------------------------

U5, U6, U7 = make_uscc(5), make_uscc(6), make_uscc(7)


def score_rows(con: duckdb.DuckDBPyConnection, rows: list[tuple[str, str, str, float, str]]) -> None:
    """risk_scores of run r1: (kind, subject_id, tier, score, department)."""
    for kind, subject, tier, value, department in rows:
        con.execute(
            "INSERT INTO risk_scores (run_id, subject_kind, subject_id, score, tier, disposal, department, reasons,"
            " expected_yield, scored_at) VALUES ('r1', ?, ?, ?, ?, '约谈', ?, '理由', ?, ?)",
            [kind, subject, value, tier, department, value / 100, dt.datetime(2026, 7, 1)],
        )


def populate(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """Five registrations in two towns, one lead with clue places, case histories, scores of run r1."""

    def reg(code: str, name: str, industry: str, town: str, grid: str) -> dict[str, str]:
        return {
            "uscc": code,
            "name": name,
            "industry": industry,
            "town": town,
            "grid": grid,
            "address": f"{town}1号",
        }

    ingest(
        con,
        folder,
        "registrations",
        [
            reg(U1, "淄博鑫盛财富管理有限公司", "商务服务业", "萌水镇", "萌水镇第3网格"),
            reg(U2, "淄博张记面馆", "餐饮业", "萌水镇", "萌水镇第1网格"),
            reg(U3, "淄博绿源种植专业合作社", "农业", "商家镇", "商家镇第2网格"),
            reg(U5, "淄博已销号投资有限公司", "L 租赁和商务服务业", "萌水镇", "萌水镇第3网格"),
            reg(U6, "淄博逾期商贸有限公司", "F5211", "商家镇", "商家镇第2网格"),
        ],
    )
    clue = {
        "received_on": "2026-06-20",
        "subject_name": "鑫隆养老服务中心",
        "content": "推销养老理财，承诺高息",
    }
    ingest(
        con,
        folder,
        "clues",
        [
            {**clue, "clue_id": "XS2026-000101", "subject_address": "萌水镇萌山路12号", "town": "萌水镇",
             "grid": "萌水镇第3网格"},
            {**clue, "clue_id": "XS2026-000102", "subject_address": "萌水镇萌山路12号", "town": "萌水镇"},
        ],
    )  # fmt: skip
    con.execute(
        "INSERT INTO leads (lead_id, name, core, address_key, town, clue_count, alert_count, run_id)"
        " VALUES (?, '鑫隆养老服务中心', '鑫隆', '萌山路12号', '萌水镇', 2, 0, 'r0')",
        [LEAD],
    )
    con.execute(
        "INSERT INTO lead_members VALUES (?, 'clue', 'XS2026-000101', 'r0'), (?, 'clue', 'XS2026-000102', 'r0')",
        [LEAD, LEAD],
    )
    ingest(
        con,
        folder,
        "inspections",
        [
            {"uscc": U1, "inspected_on": day(-40), "conclusion": "确认非法集资"},
            {"uscc": U6, "inspected_on": day(-60), "conclusion": "存在风险隐患"},
        ],
    )
    ingest(
        con,
        folder,
        "actions",
        [
            action(U1, "移送公安", day(-30)),
            action(U5, "责令整改", day(-90), day(-60)),
            action(U5, "销号", day(-20), notes="清退完毕"),
            action(U6, "责令整改", day(-50), day(-10)),
            action(U3, "约谈", day(-5), day(25)),
        ],
    )
    score_rows(
        con,
        [
            ("registration", U1, "高风险", 90, "公安分局"),
            ("registration", U5, "高风险", 85, "公安分局"),
            ("lead", LEAD, "高风险", 70, "市场监管局"),
            ("registration", U6, "中风险", 50, "税务局"),
            ("registration", U3, "中风险", 45, "属地镇街"),
            ("registration", U2, "中风险", 40, "市场监管局"),
        ],
    )


@pytest.fixture
def listed(tmp_path: Path) -> Iterator[tuple[duckdb.DuckDBPyConnection, Path]]:
    con = connect(":memory:")
    populate(con, tmp_path)
    yield con, tmp_path
    con.close()


def sheet_rows(ws: Any) -> list[dict[str, object]]:
    cells = list(ws.iter_rows(values_only=True))
    return [dict(zip(cells[0], row, strict=True)) for row in cells[1:]]


@pytest.mark.slow
def test_xlsx_columns_states_sheets_and_filters(listed: tuple[duckdb.DuckDBPyConnection, Path]) -> None:
    con, folder = listed
    path = folder / "名单.xlsx"
    assert export(con, "inspection-list", path).rows == 5  # U5 is closed (已销号): off the working list
    book = openpyxl.load_workbook(path)
    sections = ["A 农、林、牧、渔业", "F 批发和零售业", "H 住宿和餐饮业", "L 租赁和商务服务业"]
    assert book.sheetnames == ["汇总", *sections, UNCLASSIFIED, "字段说明"]
    for ws in book.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), ws.title
    rows = {str(r["主体名称"]): r for name in book.sheetnames[1:-1] for r in sheet_rows(book[name])}
    assert set(rows) == {"淄博鑫盛财富管理有限公司", "淄博张记面馆", "淄博绿源种植专业合作社", "淄博逾期商贸有限公司",
                         "鑫隆养老服务中心"}  # fmt: skip
    header = [c.value for c in next(book["L 租赁和商务服务业"].iter_rows(max_row=1))]
    assert set(DESIGN_HEADERS) <= set(header)
    assert (
        book["L 租赁和商务服务业"].auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(header))}2"
    )
    u1 = rows["淄博鑫盛财富管理有限公司"]
    assert (u1["处置状态"], u1["核查结论"], u1["最近核查日期"]) == ("已移送", "确认非法集资", day(-40))
    assert (
        u1["所属行业"] == "L 租赁和商务服务业" and u1["登记行业"] == "商务服务业" and u1["线索编号"] is None
    )
    u6 = rows["淄博逾期商贸有限公司"]
    assert (u6["处置状态"], u6["整改期限"], u6["所属行业"]) == ("逾期未整改", day(-10), "F 批发和零售业")
    assert (rows["淄博绿源种植专业合作社"]["处置状态"], rows["淄博绿源种植专业合作社"]["整改期限"]) == (
        "整改中",
        day(25),
    )
    assert rows["淄博张记面馆"]["处置状态"] == "未核查" and rows["淄博张记面馆"]["最近核查日期"] is None
    lead = rows["鑫隆养老服务中心"]
    assert (lead["线索编号"], lead["主体类型"], lead["统一社会信用代码"]) == (LEAD, "无照经营线索", None)
    assert (lead["经营地址"], lead["所属镇街"], lead["网格"]) == (
        "萌水镇萌山路12号",
        "萌水镇",
        "萌水镇第3网格",
    )
    assert lead["所属行业"] == UNCLASSIFIED
    fields = {str(r["字段"]): str(r["说明"]) for r in sheet_rows(book["字段说明"])}
    assert list(fields) == header and all(len(text) >= 8 for text in fields.values())
    assert "已销号" in fields["处置状态"] and "WZ-" in fields["线索编号"]
    summary = [row[:2] for row in book["汇总"].iter_rows(values_only=True)]
    assert ("已销号（不列入名单，见动态管理台账）", 1) in summary and ("处置状态：逾期未整改", 1) in summary
    assert book["汇总"].auto_filter.ref == "A1:D6"  # header + the five section rows, not the notes below


@pytest.mark.slow
def test_closed_subject_keeps_its_ledger(listed: tuple[duckdb.DuckDBPyConnection, Path]) -> None:
    con, folder = listed
    update_ledger(con, "r1")
    export(con, "inspection-list", folder / "all.csv", min_tier="低")
    listed_codes = {
        r["统一社会信用代码"]
        for r in csv.DictReader(io.StringIO((folder / "all.csv").read_text("utf-8-sig")))
    }
    assert U5 not in listed_codes and U1 in listed_codes
    history = subject_history(con, "registration", U5)
    assert history["subject"]["current_tier"] == "高风险"
    assert [e["event"] for e in history["events"]] == ["责令整改", "销号"]


def csv_out(folder: Path, name: str, *args: str) -> tuple[int, str, list[dict[str, str]]]:
    path = folder / name
    result = runner.invoke(app, ["export", "inspection-list", "--out", str(path), *args])
    rows = list(csv.DictReader(io.StringIO(path.read_text("utf-8-sig")))) if path.exists() else []
    return result.exit_code, result.output + (result.stderr or ""), rows


@pytest.mark.slow
def test_town_and_grid_filters_through_the_cli(tmp_path: Path) -> None:
    db = tmp_path / "f.duckdb"
    con = connect(db)
    populate(con, tmp_path)
    con.close()
    code, output, rows = csv_out(tmp_path, "town.csv", "--town", "商家镇", "--db", str(db))
    assert code == 0, output
    assert {r["主体名称"] for r in rows} == {"淄博绿源种植专业合作社", "淄博逾期商贸有限公司"}
    assert {r["所属镇街"] for r in rows} == {"商家镇"}
    code, output, rows = csv_out(tmp_path, "grid.csv", "--grid", "萌水镇第3网格", "--db", str(db))
    assert code == 0, output
    assert {r["主体名称"] for r in rows} == {"淄博鑫盛财富管理有限公司", "鑫隆养老服务中心"}  # U5 closed
    lead = next(r for r in rows if r["线索编号"])
    assert lead["线索编号"] == LEAD and lead["经营地址"] == "萌水镇萌山路12号"
    code, output, rows = csv_out(tmp_path, "both.csv", "--town", "萌水", "--grid", "第1网格", "--db", str(db))
    assert code == 0 and [r["主体名称"] for r in rows] == ["淄博张记面馆"]
    code, output, _ = csv_out(tmp_path, "none.csv", "--town", "九龙镇", "--db", str(db))
    assert code == 2 and "未找到镇街「九龙镇」" in output and "商家镇" in output
    assert not (tmp_path / "none.csv").exists()
    help_text = runner.invoke(app, ["export", "inspection-list", "--help"]).output
    assert "--town" in help_text and "镇街" in help_text and "--grid" in help_text


@pytest.mark.slow
def test_lead_place_from_alert_extra_columns(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """A bank file with 经营地址 / 所属镇街 / 网格 columns gives an alert-only lead its place."""
    path = tmp_path / "alerts.csv"
    path.write_text(
        "预警编号,账户名称,预警日期,转入金额,经营地址,所属镇街,网格\n"
        "YJ9,鑫隆养老服务中心,2026-06-01,500000,商家镇商业街3号,商家镇,商家镇第5网格\n",
        encoding="utf-8",
    )
    ingest_file(con, "alerts", path)
    con.execute("INSERT INTO leads (lead_id, name, run_id) VALUES ('WZ-alert-YJ9', '鑫隆养老服务中心', 'r0')")
    con.execute("INSERT INTO lead_members VALUES ('WZ-alert-YJ9', 'alert', 'YJ9', 'r0')")
    score_rows(con, [("lead", "WZ-alert-YJ9", "中风险", 40, "市场监管局")])
    export(con, "inspection-list", tmp_path / "l.csv")
    row = next(csv.DictReader(io.StringIO((tmp_path / "l.csv").read_text("utf-8-sig"))))
    assert (row["线索编号"], row["经营地址"], row["所属镇街"], row["网格"]) == (
        "WZ-alert-YJ9",
        "商家镇商业街3号",
        "商家镇",
        "商家镇第5网格",
    )


# --- industry sections -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "section"),
    [
        ("租赁和商务服务业", "L 租赁和商务服务业"),
        ("商务服务业", "L 租赁和商务服务业"),
        ("L 租赁和商务服务业", "L 租赁和商务服务业"),
        ("L72", "L 租赁和商务服务业"),
        ("7212", "L 租赁和商务服务业"),
        ("L", "L 租赁和商务服务业"),
        ("投资与资产管理", "L 租赁和商务服务业"),
        ("零售业", "F 批发和零售业"),
        ("F5211", "F 批发和零售业"),
        ("货币金融服务", "J 金融业"),
        ("其他金融业", "J 金融业"),
        ("网络借贷服务", "J 金融业"),
        ("农林牧渔业", "A 农、林、牧、渔业"),
        ("农业", "A 农、林、牧、渔业"),
        ("餐饮业", "H 住宿和餐饮业"),
        ("信息传输、计算机服务和软件业", "I 信息传输、软件和信息技术服务业"),  # GB/T 4754-2002 name
        ("房地产开发经营", "K 房地产业"),
        ("ｌ７２", "L 租赁和商务服务业"),  # full-width
        ("国际组织", "T 国际组织"),
        ("IT服务", UNCLASSIFIED),
        ("98", UNCLASSIFIED),
        ("", UNCLASSIFIED),
        (None, UNCLASSIFIED),
    ],
)
def test_industry_section(raw: str | None, section: str) -> None:
    assert industry_section(pl.Series("industry", [raw], dtype=pl.String)).to_list() == [section]


def test_generator_industries_all_classified() -> None:
    written = (
        {r[1] for r in INDUSTRIES} | {s[1] for s in SHOP_TYPES} | {"金融业", "公共管理、社会保障和社会组织"}
    )
    labels = industry_section(pl.Series(sorted(written)))
    assert UNCLASSIFIED not in labels.to_list()
    # the generator writes section names, which map to themselves
    assert all(
        label.split(" ", 1)[1] == raw for raw, label in zip(sorted(written), labels.to_list(), strict=True)
    )
    assert len(section_labels()) == 20


def test_listed_company_industries_from_real_data() -> None:
    """Real exports carry short industry names; banks, brokers and insurers land in J 金融业."""
    frame = pl.read_csv(realdata("company_names/a_share_companies_2022.csv"), infer_schema=False)
    finance = frame.filter(pl.col("industry").is_in(["银行", "证券", "保险"]))
    assert finance.height > 50
    assert set(industry_section(finance["industry"]).to_list()) == {"J 金融业"}


# --- departments -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "department"),
    [
        ({"inspection_conclusion": "确认非法集资"}, "公安分局"),
        (
            {"alert_count": 3, "payer_count": 400, "alert_types": "分散转入集中转出", "inflow_yuan": 8e6,
             "outflow_yuan": 7e6, "txn_count": 900, "stability_signal": 1.0, "elderly_share": 0.6},
            "公安分局",
        ),
        ({"payer_count": 600}, "属地镇街"),  # people without a criminal-level grade
        ({"subject_kind": "lead", "payer_count": 600}, "市场监管局"),
        ({"status": "吊销", "keyword_score": 50}, "市场监管局"),
        ({"keyword_score": 90, "industry": "金融业"}, "市场监管局"),
        ({"alert_count": 2, "payer_count": 40, "alert_types": "分散转入集中转出"}, "税务局"),
        ({"registry_fundraising_lawsuits": 1}, "经济发展局"),
        ({}, "属地镇街"),
    ],
)  # fmt: skip
def test_department_rules(row: dict[str, Any], department: str) -> None:
    assert score_subjects(feature_rows([row])).scores["department"][0] == department


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scored_district(tmp_path_factory.mktemp("district"), entities=800, seed=7, run_id="R-list")


@pytest.mark.slow
def test_generated_district_list(district: Path, tmp_path: Path) -> None:
    """公安 only for confirmed cases or 高风险 (the generator's 高风险 are planted pooling schemes); 中风险 elsewhere."""
    con = connect(district)
    try:
        graded = con.sql(
            """
            SELECT r.subject_kind, r.tier, r.department, i.conclusion FROM risk_scores r
            LEFT JOIN (SELECT uscc, arg_max(conclusion, inspected_on) AS conclusion FROM inspections GROUP BY uscc) i
                ON r.subject_kind = 'registration' AND i.uscc = r.subject_id
            WHERE r.tier IN ('高风险', '中风险')
            """
        ).pl()
        export(con, "inspection-list", tmp_path / "list.xlsx")
        states = case_states(con)
    finally:
        con.close()
    police = graded.filter(pl.col("department") == "公安分局")
    assert police.filter((pl.col("tier") != "高风险") & (pl.col("conclusion") != "确认非法集资")).height == 0
    medium = graded.filter(pl.col("tier") == "中风险")
    assert medium.height > 0 and "公安分局" not in medium["department"].to_list()
    assert set(graded.filter(pl.col("subject_kind") == "lead")["department"].to_list()) <= {
        "市场监管局",
        "公安分局",
    }
    assert graded["department"].n_unique() >= 3
    book = openpyxl.load_workbook(tmp_path / "list.xlsx")
    data_sheets = book.sheetnames[1:-1]
    assert data_sheets and all(
        name in section_labels().values() or name == UNCLASSIFIED for name in data_sheets
    )
    statuses = {str(r["处置状态"]) for name in data_sheets for r in sheet_rows(book[name])}
    assert "已销号" not in statuses and len(statuses) >= 2, statuses
    assert states.height > 0 and set(states["status"].unique().to_list()) <= {
        "已销号", "已移送", "逾期未整改", "整改中", "已核查"
    }  # fmt: skip
