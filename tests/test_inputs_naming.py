"""Inputs as offices name them (issue 14 point 3): Chinese kind names and folders, warnings for what an
inbox cannot take, a header below a title block, data on a later sheet, and a header mismatch that says
what was found and what to change. Real files (openpyxl, csv), a real DuckDB, the real CLI."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from fundrisk.cli import app
from fundrisk.errors import BadInput
from fundrisk.inbox import discover, scan
from fundrisk.ingest import ingest_file
from fundrisk.sources.readers import read_table
from fundrisk.sources.spec import KINDS, get_kind, resolve_kind
from fundrisk.warehouse import connect
from tests.samples import VALID, table_rows, write_kind

CHINESE_FOLDERS = {
    "工商登记": "registrations",
    "资金预警": "alerts",
    "线索": "clues",
    "金安工程清单": "provincial-list",
    "核查结果": "inspections",
    "处置台账": "actions",
    "排查登记": "survey",
}
BAD_REGISTRATION = {"uscc": "91370306MA00000000", "name": "淄博某某财富管理有限公司"}  # wrong check digit


def counts(con, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 — test table names


@pytest.mark.parametrize(
    ("name", "kind"),
    [*CHINESE_FOLDERS.items(), ("资金异动预警", "alerts"), ("金安工程风险清单", "provincial-list"),
     ("现场核查结果", "inspections"), ("Registrations", "registrations"), ("ｃｌｕｅｓ", "clues")],
)  # fmt: skip
def test_every_kind_answers_to_its_office_names(name: str, kind: str) -> None:
    assert resolve_kind(name) == kind and get_kind(name).kind == kind


def test_an_unknown_kind_suggests_the_nearest_name() -> None:
    with pytest.raises(BadInput, match=r"未知的数据类型「工商登记表」，是否要输入「工商登记」？.*工商登记"):
        get_kind("工商登记表")
    with pytest.raises(BadInput) as raised:
        get_kind("companies")  # nothing close: no guess, the list of kinds
    assert "是否要输入" not in str(raised.value) and "registrations 工商登记" in str(raised.value)


@pytest.mark.slow
def test_chinese_inbox_folders_ingest(tmp_path: Path, con) -> None:
    inbox = tmp_path / "收件箱"
    for folder, kind in CHINESE_FOLDERS.items():
        write_kind(inbox / folder / f"{kind}.csv", kind)
    found = scan(inbox)
    assert found.warnings == []
    assert sorted(f.kind for f in found.files) == sorted(KINDS)
    assert found.files[0].kind == "registrations"  # reference data first, whatever the folder is called
    for f in found.files:
        report = ingest_file(con, f.kind, f.path)
        assert report.rows_loaded == len(VALID[f.kind]) and report.rows_quarantined == 0
    kinds = {row[0] for row in con.execute("SELECT kind FROM ingested_files").fetchall()}
    assert kinds == set(KINDS)  # recorded under the canonical kind


@pytest.mark.slow
def test_cli_ingest_takes_a_chinese_kind(tmp_path: Path) -> None:
    path = write_kind(tmp_path / "a.csv", "registrations")
    db = tmp_path / "f.duckdb"
    result = CliRunner().invoke(app, ["ingest", "工商登记", str(path), "--db", str(db)])
    assert result.exit_code == 0, result.output
    again = CliRunner().invoke(app, ["ingest", "registrations", str(path), "--db", str(db)])
    assert again.exit_code == 0 and "已导入过" in again.output  # same file, same kind: one record
    result = CliRunner().invoke(app, ["ingest", "工商登记表", str(path), "--db", str(db)])
    assert result.exit_code == 2 and "是否要输入「工商登记」" in result.stderr


def test_what_an_inbox_cannot_take_is_warned_once_each(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    write_kind(inbox / "工商登记" / "登记.csv", "registrations")
    write_kind(inbox / "工商登记" / "2026-11" / "登记2.csv", "registrations")  # nested
    (inbox / "工商登记" / "旧登记.xls").write_bytes(b"\xd0\xcf\x11\xe0")  # old binary Excel
    (inbox / "工商登记" / "~$登记.xlsx").write_bytes(b"lock")  # Excel's lock file: silent
    write_kind(inbox / "线素" / "c.csv", "clues")  # misspelled 线索
    write_kind(inbox / "registraton" / "r.csv", "registrations")  # misspelled registrations
    write_kind(inbox / "新建文件夹" / "x.csv", "clues")  # nothing like a kind
    write_kind(inbox / "散落.csv", "clues")  # at the top of the inbox
    for quiet in ("evidence/913/photo.jpg", "truth/entities.csv", "registry/snapshot.jsonl"):
        (inbox / quiet).parent.mkdir(parents=True, exist_ok=True)
        (inbox / quiet).write_bytes(b"x")
    found = scan(inbox)
    assert [f.path.name for f in found.files] == ["登记.csv"]
    assert discover(inbox) == found.files
    text = "\n".join(found.warnings)
    assert len(found.warnings) == 6, text
    expected = [
        "「工商登记/2026-11」是嵌套的子文件夹",
        "「工商登记/旧登记.xls」是旧版 Excel 格式（.xls），未导入：请在 Excel 或 WPS 中另存为 .xlsx 或 CSV",
        "子文件夹「线素」不是已知的数据类型，已忽略；是否应命名为「线索」？",
        "子文件夹「registraton」不是已知的数据类型，已忽略；是否应命名为「registrations」？",
        "子文件夹「新建文件夹」不是已知的数据类型，已忽略（可用的文件夹名：工商登记",
        "文件「散落.csv」在收件箱的最上层，未导入",
    ]
    for line in expected:
        assert sum(line in w for w in found.warnings) == 1, line
    assert all("\n" not in w and w.isascii() is False for w in found.warnings)
    assert not any(q in text for q in ("evidence", "truth", "registry", "~$"))


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_cli_run_on_chinese_folders_warns_and_exits_0(tmp_path: Path) -> None:
    """`fundrisk run` over Chinese folders: every kind loads, each ignored folder gets one stderr line."""
    inbox = tmp_path / "收件箱"
    for folder, kind in CHINESE_FOLDERS.items():
        write_kind(inbox / folder / f"{kind}.xlsx", kind)
    (inbox / "线素").mkdir()
    (inbox / "备份").mkdir()
    db, out = tmp_path / "f.duckdb", tmp_path / "exports"
    result = CliRunner().invoke(app, ["run", "--inbox", str(inbox), "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output + result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("警告：")]
    assert warnings == [
        "警告：子文件夹「备份」不是已知的数据类型，已忽略（可用的文件夹名：工商登记、资金异动预警、线索、"
        "金安工程风险清单、现场核查结果、处置台账、排查登记，或对应的英文名）",
        "警告：子文件夹「线素」不是已知的数据类型，已忽略；是否应命名为「线索」？",
    ]
    con = connect(db, read_only=True)
    try:
        for kind, spec in KINDS.items():
            assert counts(con, spec.table) == len(VALID[kind]), kind
    finally:
        con.close()


def titled_workbook(path: Path, sheets: list[tuple[str, list[list[object]]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets:
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        if rows and rows[0] and str(rows[0][0]).startswith("文昌湖区"):
            sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(rows[2]))
    book.save(path)
    return path


def registration_rows(rows: list[dict[str, str]]) -> list[list[object]]:
    header, body = table_rows("registrations", rows, chinese=True)
    return [header, *[[v or None for v in row] for row in body]]


@pytest.mark.slow
def test_xlsx_with_a_title_block_ingests(tmp_path: Path, con) -> None:
    rows = registration_rows([*VALID["registrations"], BAD_REGISTRATION])
    path = titled_workbook(tmp_path / "登记.xlsx", [("登记", [["文昌湖区工商登记 2026年11月"], [], *rows])])
    report = ingest_file(con, "registrations", path)
    good = len(VALID["registrations"])
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (good + 1, good, 1)
    line, reason = con.execute("SELECT line, reason FROM quarantine").fetchone()
    assert line == 3 + good + 1 and "统一社会信用代码" in reason  # the sheet's own row: title, blank, header
    lines = [r[0] for r in con.execute("SELECT line FROM registrations ORDER BY line").fetchall()]
    assert lines == list(range(4, 4 + good))


@pytest.mark.slow
def test_csv_with_a_title_line_ingests(tmp_path: Path, con) -> None:
    header, body = table_rows("registrations", VALID["registrations"], chinese=True)
    path = tmp_path / "登记.csv"
    with path.open("w", encoding="gb18030", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerows([["文昌湖区工商登记 2026年11月"], [], header, *body])
    raw = read_table(path)
    assert raw.notes == ("表头在第3行，上方的标题行已跳过",) and raw.frame["__line"][0] == 4
    report = ingest_file(con, "registrations", path)
    assert report.rows_loaded == report.rows_read == len(VALID["registrations"])


@pytest.mark.slow
def test_data_on_later_sheets_is_read_from_every_matching_sheet(tmp_path: Path, con) -> None:
    first, second = VALID["registrations"][:2], [*VALID["registrations"][2:], BAD_REGISTRATION]
    path = titled_workbook(
        tmp_path / "登记.xlsx",
        [
            ("填表说明", [["本表由各镇街填报"], ["统一社会信用代码须为18位"]]),
            ("萌水镇", registration_rows(first)),
            ("空白", []),
            ("商家镇", [["文昌湖区工商登记 2026年11月"], [], *registration_rows(second)]),
        ],
    )
    raw = read_table(path, get_kind("registrations"))
    assert raw.notes[0] == "工作表「填表说明」没有工商登记的表头，未导入"
    assert any("萌水镇、商家镇" in n for n in raw.notes)
    assert raw.frame["__line"].is_unique().all()  # one number per row across sheets
    report = ingest_file(con, "registrations", path)
    assert report.rows_read == len(first) + len(second) == counts(con, "registrations") + 1
    assert report.rows_quarantined == 1
    sheet = con.execute("SELECT raw FROM quarantine").fetchone()[0]
    assert '"工作表":"商家镇"' in sheet.replace(" ", "") and '"表内行号":"' in sheet.replace(" ", "")


def test_header_mismatch_lists_found_headers_nearest_names_and_missing(tmp_path: Path) -> None:
    rows = [
        ["社会信用代码号", "企业名", "注册资本", "联络人备注"],
        ["91370306MA0000000X", "某公司", "50", "无"],
    ]
    path = titled_workbook(tmp_path / "登记.xlsx", [("Sheet1", rows)])
    with pytest.raises(BadInput) as raised:
        read_table(path, get_kind("工商登记"))
    message = str(raised.value)
    assert "\n" not in message
    assert "缺少工商登记的必填列：统一社会信用代码（uscc）、企业名称（name）" in message
    assert (
        "文件中的表头：社会信用代码号（→统一社会信用代码？）、企业名（→企业名称？）、注册资本、联络人备注"
        in message
    )
    header, body = table_rows("alerts", VALID["alerts"], chinese=True)
    alerts = tmp_path / "预警.csv"
    with alerts.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([[h.replace("预警日期", "预警日") for h in header], *body])
    with pytest.raises(
        BadInput, match=r"必填列：预警日期（alert_date）；文件中的表头：预警编号、.*预警日（→预警日期？）"
    ):
        read_table(alerts, get_kind("alerts"))


def test_old_excel_is_refused_with_how_to_save_it(tmp_path: Path) -> None:
    path = tmp_path / "登记.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(BadInput, match=r"旧版 Excel 格式（\.xls），请在 Excel 或 WPS 中另存为 \.xlsx 或 CSV"):
        read_table(path)
