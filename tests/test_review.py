"""Review queues that feed back (issue 14): export → edit in a spreadsheet → import → the next run obeys.

A generated district (seed 11, where the resolver leaves doubtful links and the leads hold one operator
twice) plus a registrations file with bad rows goes through every stage; the workbook is edited with
openpyxl as an analyst would in Excel or WPS, imported through the CLI, and the next run is checked.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import numpy as np
import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from enrichers.resolve import resolve
from fundrisk.cli import app
from fundrisk.inbox import discover
from fundrisk.ingest import ingest_file
from fundrisk.review.lead_pairs import suspected_pairs
from fundrisk.review.notes import describe, reason_counts, run_notes
from fundrisk.settings import Settings
from fundrisk.stages.sequence import run_stages
from fundrisk.synth import generate
from fundrisk.synth.ids import ORG_SPACE, make_uscc
from fundrisk.warehouse import connect

runner = CliRunner()
REVIEWER = "张三"
CODES = make_uscc(np.array(["91"] * 4), np.arange(ORG_SPACE - 4, ORG_SPACE)).to_list()
HEADER = [
    "统一社会信用代码",
    "企业名称",
    "法定代表人",
    "证件号码",
    "联系电话",
    "成立日期",
    "注册资本",
    "住所",
    "备用字段",
]
BAD_ROWS = [  # line 2 loads; 3 bad date; 4 bad amount and a formula-like address; 5 no name
    [
        CODES[0],
        "淄博复核测试商贸有限公司",
        "张一",
        "370303199001011234",
        "13812345678",
        "2020-01-02",
        "100",
        "萌山路1号",
        "甲",
    ],
    [
        CODES[1],
        "淄博复核日期有限公司",
        "李二",
        "370303199001011235",
        "13812345679",
        "2020-13-45",
        "100",
        "萌山路2号",
        "乙",
    ],
    [
        CODES[2],
        "淄博复核金额有限公司",
        "王三",
        "370303199001011236",
        "13812345670",
        "2021-03-04",
        "约abc万元",
        "=HYPERLINK(1)",
        "丙",
    ],
    [CODES[3], "", "赵四", "", "", "2021-03-04", "50", "萌山路4号", ""],
]


def invoke(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "400"})


def write_bad_file(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([HEADER, *BAD_ROWS])
    return path


@pytest.fixture(scope="module")
def district(tmp_path_factory) -> tuple[Path, Settings]:
    """Seed 11 at 1,500 registrations plus the bad registrations file, through every stage once."""
    root = tmp_path_factory.mktemp("review")
    summary = generate(root / "inbox", entities=1500, seed=11)
    write_bad_file(root / "inbox" / "registrations" / "登记补充.csv")
    settings = Settings(registry_snapshot=summary.paths["registry_snapshot"])
    con = connect(root / "f.duckdb")
    try:
        for f in discover(root / "inbox"):
            ingest_file(con, f.kind, f.path)
        run_stages(con, "R1", settings)
    finally:
        con.close()
    return root / "f.duckdb", settings


@pytest.fixture
def db(district, tmp_path) -> Path:
    target = tmp_path / "f.duckdb"
    shutil.copy(district[0], target)
    return target


def rows(db: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def sheet_rows(ws) -> list[dict[str, object]]:
    values = list(ws.iter_rows(values_only=True))
    header = list(values[0])
    return [dict(zip(header, row, strict=True)) for row in values[1:] if any(v is not None for v in row)]


def set_cells(ws, match, **cells) -> None:
    """Set cells (by header) of every row for which match(row) is true."""
    header = [c.value for c in ws[1]]
    hit = 0
    for i, row in enumerate(sheet_rows(ws), start=2):
        if match(row):
            hit += 1
            for name, value in cells.items():
                ws.cell(i, header.index(name) + 1, value)
    assert hit, f"no row matched in {ws.title}"


@pytest.mark.slow
def test_review_round_trip_changes_the_next_run(db, district, tmp_path):
    book_path = tmp_path / "待复核.xlsx"
    result = invoke("review", "export", "--out", str(book_path), "--db", str(db))
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(book_path)
    assert book.sheetnames[:3] == ["隔离数据", "待确认关联", "疑似同一经营者"]
    for name in book.sheetnames[:3]:
        ws = book[name]
        header = [c.value for c in ws[1]]
        assert header[:3] == ["键_类别", "键_编号", "键_对象"] and "复核结论" in header and "备注" in header
        assert ws.column_dimensions["A"].hidden and ws.column_dimensions["A"].max >= 3  # A:C hidden
        (validation,) = ws.data_validations.dataValidation
        assert (
            validation.type == "list"
            and header.index("复核结论") + 1 == next(iter(validation.sqref.ranges)).min_col
        )

    quarantined = sheet_rows(book["隔离数据"])
    assert sorted(r["行号"] for r in quarantined) == [3, 4, 5]
    by_line = {r["行号"]: r for r in quarantined}
    assert by_line[3]["成立日期"] == "2020-13-45" and by_line[3]["证件号码"] == "370303********1235"
    assert by_line[3]["联系电话"] == "138****5679" and by_line[3]["其他原始内容"] == '{"备用字段":"乙"}'
    assert by_line[4]["住所"] == "'=HYPERLINK(1)"  # formula-safe
    assert "成立日期「2020-13-45」无法识别为日期" in by_line[3]["隔离原因"]

    links = sheet_rows(book["待确认关联"])
    per_source: dict[str, list[dict]] = {}
    for r in links:
        per_source.setdefault(str(r["来源编号"]), []).append(r)
    single = next(s for s, c in per_source.items() if len(c) == 1)
    several = next(s for s, c in per_source.items() if len(c) > 1)
    rejected = (per_source[single][0]["键_类别"], single, per_source[single][0]["统一社会信用代码"])
    best = min(per_source[several], key=lambda r: r["候选排名"])
    confirmed = (best["键_类别"], several, best["统一社会信用代码"])
    (pair,) = sheet_rows(book["疑似同一经营者"])
    assert "萌水大街25号" in pair["疑似依据"]

    set_cells(
        book["待确认关联"], lambda r: r["来源编号"] == single, 复核结论="否定关联", 备注="名称相近但行业不同"
    )
    set_cells(
        book["待确认关联"],
        lambda r: (r["来源编号"], r["统一社会信用代码"]) == confirmed[1:],
        复核结论="确认关联",
    )
    q = book["隔离数据"]
    set_cells(q, lambda r: r["行号"] == 3, 成立日期="2020-12-05", 复核结论="已更正")
    set_cells(q, lambda r: r["行号"] == 4, 复核结论="已更正")  # not corrected: still fails
    set_cells(q, lambda r: r["行号"] == 5, 复核结论="作废")
    set_cells(book["疑似同一经营者"], lambda r: True, 复核结论="合并")
    other = next(r["统一社会信用代码"] for r in per_source[several] if r["统一社会信用代码"] != confirmed[2])
    set_cells(
        book["待确认关联"],
        lambda r: (r["来源编号"], r["统一社会信用代码"]) == (several, other),
        复核结论="待定",
    )
    filled = tmp_path / "待复核_已填.xlsx"
    book.save(filled)

    result = invoke("review", "import", str(filled), "--reviewer", REVIEWER, "--db", str(db))
    assert result.exit_code == 0, result.output
    assert "隔离数据 2 条，待确认关联 2 条，疑似同一经营者 1 条" in result.output
    assert "复核结论不在下拉选项内 1 行" in result.output
    assert "注册资本无法识别为金额 1" in result.output

    tables = ["review_decisions", "ledger_events", "registrations", "registrations_history", "ingested_files"]
    counts = [rows(db, f"SELECT count(*) FROM {t}")[0][0] for t in tables]
    again = invoke("review", "import", str(filled), "--reviewer", REVIEWER, "--db", str(db))
    assert again.exit_code == 0 and "与已有结论相同未重复记录 5 条" in again.output
    assert [rows(db, f"SELECT count(*) FROM {t}")[0][0] for t in tables] == counts  # idempotent

    events = rows(db, "SELECT event, actor, detail FROM ledger_events WHERE source = 'review' ORDER BY event")
    assert len(events) == 5 and all(actor == REVIEWER and REVIEWER in detail for _, actor, detail in events)
    assert {e for e, _, _ in events} == {
        "复核：否定关联",
        "复核：确认关联",
        "复核：已更正",
        "复核：作废",
        "复核：合并",
    }

    loaded = rows(
        db,
        "SELECT established_on, source_file, legal_rep_id, extra FROM registrations WHERE uscc = ?",
        [CODES[1]],
    )
    (established, source_file, rep_id, extra) = loaded[0]
    assert str(established) == "2020-12-05" and "复核更正" in source_file and REVIEWER in source_file
    assert (
        rep_id == "370303199001011235" and extra == '{"备用字段":"乙"}'
    )  # the masked cell kept the stored value
    assert (
        rows(db, "SELECT count(*) FROM registrations WHERE uscc IN (?, ?)", [CODES[2], CODES[3]])[0][0] == 0
    )
    assert dict(rows(db, "SELECT line, resolution FROM quarantine WHERE source_file = '登记补充.csv'")) == {
        3: "已更正",
        4: None,
        5: "作废",
    }

    con = connect(db)  # the next run
    try:
        run_stages(con, "R2", district[1])
    finally:
        con.close()
    review = set(rows(db, "SELECT source_kind, source_id, uscc FROM link_review"))
    linked = set(rows(db, "SELECT source_kind, source_id, uscc, method FROM entity_links"))
    assert rejected not in review and rejected not in {x[:3] for x in linked}
    assert (*confirmed, "review") in linked
    assert not any(x[:2] == confirmed[:2] for x in review)
    assert not rows(db, "SELECT 1 FROM lead_members WHERE source_id = ?", [confirmed[1]])
    lead_of = dict(rows(db, "SELECT source_id, lead_id FROM lead_members"))
    a, b = (str(pair[c]).split("-", 2)[2] for c in ("键_编号", "键_对象"))
    assert lead_of[a] == lead_of[b] == pair["键_编号"]  # merged under the smaller lead id

    result = invoke("review", "export", "--out", str(tmp_path / "again.xlsx"), "--db", str(db))
    assert result.exit_code == 0, result.output
    later = openpyxl.load_workbook(tmp_path / "again.xlsx")
    assert [r["行号"] for r in sheet_rows(later["隔离数据"])] == [4]
    keys = {(r["键_类别"], r["键_编号"], r["键_对象"]) for r in sheet_rows(later["待确认关联"])}
    assert rejected not in keys and not any(k[:2] == confirmed[:2] for k in keys)
    assert not sheet_rows(later["疑似同一经营者"])


@pytest.mark.slow
def test_ingest_table_explains_quarantine_per_file(tmp_path):
    path = write_bad_file(tmp_path / "登记补充.csv")
    result = invoke("ingest", "registrations", str(path), "--db", str(tmp_path / "f.duckdb"))
    assert result.exit_code == 0, result.output
    assert "隔离 3 行：" in result.output
    for part in ("成立日期无法识别为日期 1", "注册资本无法识别为金额 1", "缺少企业名称 1"):
        assert part in result.output


@pytest.mark.slow
def test_run_summary_notes_name_each_file_of_the_run(tmp_path):
    path = write_bad_file(tmp_path / "登记补充.csv")
    con = connect(tmp_path / "f.duckdb")
    try:
        ingest_file(con, "registrations", path, run_id="R9")
        notes = run_notes(con, "R9")
        assert run_notes(con, "R8") == []
    finally:
        con.close()
    assert notes == [
        (
            "registrations",
            "登记补充.csv",
            "隔离 3 行：成立日期无法识别为日期 1，注册资本无法识别为金额 1，缺少企业名称 1",
        )
    ]


@pytest.mark.parametrize(
    ("reasons", "expected"),
    [
        (
            [("成立日期「2020-13-45」无法识别为日期（支持 2020-01-02）", 2)],
            "隔离 2 行：成立日期无法识别为日期 2",
        ),
        (
            [
                ("缺少必填项「企业名称」；联系电话「（已隐藏）」无法识别", 1),
                ("文件内重复：统一社会信用代码与第2行相同", 3),
            ],
            "隔离 4 行：文件内重复 3，缺少企业名称 1，联系电话无法识别 1",
        ),
        (
            [("统一社会信用代码「123」不是有效的统一社会信用代码（18位）", 1)],
            "隔离 1 行：统一社会信用代码校验不通过 1",
        ),
        ([("字段数为5，与表头的14列不一致（请检查分隔符或引号）", 1)], "隔离 1 行：字段数与表头不一致 1"),
    ],
)
def test_reason_labels_count_together(reasons, expected):
    frame = pl.DataFrame(reasons, schema={"reason": pl.Utf8, "n": pl.Int64}, orient="row")
    assert describe(sum(n for _, n in reasons), reason_counts(frame)) == expected


@pytest.mark.slow
def test_malformed_or_foreign_workbook_is_exit_2(tmp_path):
    db = str(tmp_path / "f.duckdb")
    fake = tmp_path / "假的.xlsx"
    fake.write_text("not a workbook", encoding="utf-8")
    foreign = tmp_path / "别的表.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["企业名称"])
    book.save(foreign)
    cases = [
        (["review", "import", str(fake), "--reviewer", REVIEWER], "不是可读取的 Excel 工作簿"),
        (["review", "import", str(foreign), "--reviewer", REVIEWER], "没有复核工作表"),
        (["review", "import", str(tmp_path / "无.xlsx"), "--reviewer", REVIEWER], "找不到文件"),
        (["review", "export", "--out", str(tmp_path / "x.csv")], "只能导出为 .xlsx"),
    ]
    for args, message in cases:
        result = invoke(*args, "--db", db)
        assert result.exit_code == 2, (args, result.output)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("错误：") and message in lines[0]


@pytest.mark.slow
def test_import_without_reviewer_is_refused(db, tmp_path):
    out = tmp_path / "待复核.xlsx"
    assert invoke("review", "export", "--out", str(out), "--db", str(db)).exit_code == 0
    result = invoke("review", "import", str(out), "--db", str(db))
    assert result.exit_code == 2 and "--reviewer" in result.stderr


@pytest.mark.slow
def test_missing_key_column_is_exit_2(db, tmp_path):
    out = tmp_path / "待复核.xlsx"
    assert invoke("review", "export", "--out", str(out), "--db", str(db)).exit_code == 0
    book = openpyxl.load_workbook(out)
    book["待确认关联"].delete_cols(1)
    book.save(out)
    result = invoke("review", "import", str(out), "--reviewer", REVIEWER, "--db", str(db))
    assert result.exit_code == 2 and "缺少「键_类别」列" in result.stderr


LEADS = pl.DataFrame(
    [
        ("WZ-clue-1", "萌水大街25号那家健康体验店", None, "萌水镇"),
        ("WZ-clue-2", "秋悦健康体验店", "萌水大街25号", "萌水镇"),
        ("WZ-clue-3", "秋悦养生馆", None, "萌水镇"),
        ("WZ-clue-4", "秋悦理财", None, "商家镇"),
        ("WZ-clue-5", "瀚峰养生会馆", None, "萌水镇"),
        ("WZ-clue-6", "瀚锋养生会馆", None, "萌水镇"),
        ("WZ-clue-7", "王记面馆", None, "萌水镇"),
        ("WZ-clue-8", "王老板开的健康体验店", None, "萌水镇"),
        ("WZ-clue-9", "王老板开的财富中心", None, "萌水镇"),
    ],
    schema={"lead_id": pl.Utf8, "core": pl.Utf8, "address_key": pl.Utf8, "town": pl.Utf8},
    orient="row",
).with_columns(pl.col("core").alias("names"), pl.col("core").alias("name"))


@pytest.mark.parametrize(
    ("pair", "basis"),
    [
        (("WZ-clue-1", "WZ-clue-2"), "名称中写明的地址「萌水大街25号」"),
        (("WZ-clue-2", "WZ-clue-3"), "字号「秋悦」相同"),  # same brand, same town
        (("WZ-clue-3", "WZ-clue-7"), "开户人证件号码相同"),
    ],
)
def test_suspected_lead_pairs(pair, basis):
    holders = pl.DataFrame({"lead_id": ["WZ-clue-3", "WZ-clue-7"], "holder_id": ["37030319900101123X"] * 2})
    found = {(a, b): text for a, b, text in suspected_pairs(LEADS, holders).iter_rows()}
    assert basis in found[pair]
    assert ("WZ-clue-2", "WZ-clue-4") not in found  # same brand in another town is no tie
    assert ("WZ-clue-5", "WZ-clue-6") not in found  # one character apart: measured as noise, not proposed
    assert ("WZ-clue-8", "WZ-clue-9") not in found  # 王老板开的… is a description, not a brand


@pytest.mark.slow
def test_resolve_honours_confirmed_and_rejected_links():
    regs = pl.DataFrame(
        {
            "uscc": ["A", "B"],
            "name": ["淄博鑫盛财富管理有限公司", "淄博鑫盛建材有限公司"],
            "address": [None, None],
            "town": [None, None],
            "legal_rep": ["王建国", "李四"],
        },
        schema_overrides={"address": pl.Utf8, "town": pl.Utf8},
    )
    schema = {c: pl.Utf8 for c in ("source_kind", "source_id", "name", "uscc", "address", "town")}
    sources = pl.DataFrame([("clue", "S1", "鑫盛", None, None, None)], schema=schema, orient="row")
    assert sorted(resolve(regs, sources).review["uscc"]) == ["A", "B"]  # doubtful without a decision
    decided = pl.DataFrame(
        {"source_kind": ["clue"], "source_id": ["S1"], "uscc": ["B"], "decision": ["confirm"]}
    )
    result = resolve(regs, sources, reviewed=decided)
    assert result.links.select("uscc", "method").rows() == [("B", "review")] and result.review.height == 0
    rejected = decided.with_columns(pl.lit("reject").alias("decision"))
    result = resolve(regs, sources, reviewed=rejected)
    assert "B" not in result.review["uscc"].to_list() and "B" not in result.links["uscc"].to_list()
