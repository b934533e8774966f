"""Issue 16, values and files: implausible values, long text, future dates, mixed encodings, stray quotes,
long cells and zip bombs. Each case holds rows loaded + rows quarantined = rows read (or refuses the
file whole with one Chinese line) and failed before the fix.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest

from fundrisk.errors import BadInput
from fundrisk.inbox import scan
from fundrisk.ingest import IngestReport, ingest_file
from fundrisk.publish.writers import Sheet, write_xlsx
from fundrisk.sources import batches, encodings, parse
from fundrisk.sources.spec import KINDS
from fundrisk.stages.features import build_features
from tests.samples import VALID, csv_bytes, headers, write_kind

TODAY = dt.date.today()


def ingest(con, kind: str, path: Path) -> IngestReport:
    """Ingest and hold the invariant every case shares."""
    report = ingest_file(con, kind, path)
    assert report.rows_loaded + report.rows_quarantined == report.rows_read
    stored = con.execute("SELECT count(*) FROM quarantine WHERE source_file = ?", [path.name]).fetchall()[0][
        0
    ]
    assert stored == report.rows_quarantined
    return report


def reasons(con) -> list[str]:
    return [r for (r,) in con.execute("SELECT reason FROM quarantine ORDER BY line").fetchall()]


def _with(kind: str, **values: str) -> list[dict[str, str]]:
    """The kind's valid sample rows, the first one changed."""
    rows = [dict(r) for r in VALID[kind]]
    rows[0].update(values)
    return rows


# (kind, changed values of the first row, a fragment of its quarantine reason)
VALUE_CASES = [
    ("alerts", {"inflow_amount": "9" * 400}, "转入金额「99"),
    ("alerts", {"inflow_amount": "1" + "0" * 23}, "超出合理范围（0–100000亿元）"),
    ("alerts", {"outflow_amount": "2亿亿"}, "无法识别为金额"),
    ("clues", {"claimed_amount": "20000000亿元"}, "涉及金额「20000000亿元」超出合理范围"),
    ("registrations", {"registered_capital": "1" + "0" * 30}, "注册资本"),
    ("alerts", {"payer_count": "1000000000"}, "转入对手方数量「1000000000」超出合理范围（0–100,000,000）"),
    ("registrations", {"name": "鑫" * 100_000}, "企业名称超过200字（共"),  # xlsxwriter keeps 32767
    ("clues", {"subject_name": "某" * 201}, "涉及主体超过200字（共201字）"),
    ("registrations", {"phone": "1" * 51}, "联系电话超过50字"),
    ("clues", {"content": "集资" * 10_001}, "线索内容超过20000字"),
    ("clues", {"received_on": "2100-12-31"}, "受理日期「2100-12-31」晚于今天"),
    ("alerts", {"alert_date": (TODAY + dt.timedelta(days=5)).isoformat()}, "预警日期"),
    ("registrations", {"established_on": "2099年1月1日"}, "成立日期「2099年1月1日」晚于今天"),
    ("inspections", {"inspected_on": "21000101"}, "核查日期"),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "values", "reason"), VALUE_CASES, ids=[f"{k}-{next(iter(v))}" for k, v, _ in VALUE_CASES]
)
@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_implausible_values_are_quarantined_with_the_limit(con, tmp_path, kind, values, reason, suffix):
    rows = _with(kind, **values)
    report = ingest(con, kind, write_kind(tmp_path / f"{kind}.{suffix}", kind, rows))
    assert (report.rows_read, report.rows_quarantined) == (len(rows), 1)
    assert reason in reasons(con)[0]
    # nothing downstream sees the value: every loaded amount is finite, every loaded name short
    if kind == "alerts":
        assert con.execute("SELECT max(inflow_amount) < 1e13 FROM alerts").fetchall()[0][0]
    if kind == "registrations":
        assert con.execute("SELECT max(length(name)) <= 200 FROM registrations").fetchall()[0][0]


def test_personal_value_over_its_cap_is_not_shown(con, tmp_path):
    rows = _with("registrations", legal_rep_id="3" * 41)
    ingest(con, "registrations", write_kind(tmp_path / "r.csv", "registrations", rows))
    (reason,) = reasons(con)
    assert reason == "证件号码超过40字（共41字），请核对" and "333" not in reason


def test_a_deadline_may_lie_ahead(con, tmp_path):
    later = (TODAY + dt.timedelta(days=60)).isoformat()
    rows = _with("actions", deadline=later)
    report = ingest(con, "actions", write_kind(tmp_path / "a.csv", "actions", rows))
    assert report.rows_quarantined == 0


@pytest.mark.slow
def test_as_of_is_the_run_date_not_the_latest_date_in_the_data(con, tmp_path, monkeypatch):
    """A clue dated 2100 that reached the table (an old database) no longer moves everyone's "as of"."""
    monkeypatch.delenv("FUNDRISK_AS_OF", raising=False)
    for kind in ("registrations", "clues", "alerts"):
        ingest(con, kind, write_kind(tmp_path / f"{kind}.csv", kind))
    con.execute(
        "UPDATE clues SET received_on = DATE '2100-12-31' WHERE clue_id = (SELECT min(clue_id) FROM clues)"
    )
    assert set(build_features(con)["as_of"]) == {TODAY}
    monkeypatch.setenv("FUNDRISK_AS_OF", "2026-06-30")  # replaying history
    assert set(build_features(con)["as_of"]) == {dt.date(2026, 6, 30)}
    monkeypatch.setenv("FUNDRISK_AS_OF", "昨天")
    with pytest.raises(BadInput, match="FUNDRISK_AS_OF"):
        build_features(con)


# ---- files -------------------------------------------------------------------------------------------


@pytest.fixture(params=["whole", "batched"])
def path_kind(request, monkeypatch):
    """Both CSV paths: read whole, and the batched reader large files take (forced with a zero threshold)."""
    if request.param == "batched":
        monkeypatch.setattr(batches, "STREAM_BYTES", 0)
        monkeypatch.setattr(batches, "BATCH_ROWS", 2)
    return request.param


MIXED_CASES = {
    "gb18030-main-utf8-rows": ("gb18030", {1}),
    "utf8-main-gb18030-row": ("utf-8", {0, 2}),
}


@pytest.mark.parametrize(("main", "other"), MIXED_CASES.values(), ids=list(MIXED_CASES))
def test_mixed_utf8_and_gb18030_lines_load_as_written(con, tmp_path, path_kind, main, other):
    rows = [dict(r) for r in VALID["registrations"]]
    header = headers("registrations", True)
    data = csv_bytes(header, [], main)
    for i, row in enumerate(rows):
        line = csv_bytes(header, [[row.get(c, "") for c in KINDS["registrations"].names]], main).split(
            b"\n", 1
        )[1]
        if i in other:
            line = line.decode(main).encode("gb18030" if main == "utf-8" else "utf-8")
        data += line
    path = tmp_path / "混合编码.csv"
    path.write_bytes(data)
    report = ingest(con, "registrations", path)
    assert (report.rows_read, report.rows_loaded) == (len(rows), len(rows))
    names = [n for (n,) in con.execute("SELECT name FROM registrations ORDER BY line").fetchall()]
    assert names == [r["name"] for r in rows]  # no mojibake
    assert con.execute("SELECT encoding FROM ingested_files").fetchall()[0][0] == encodings.MIXED
    assert any("UTF-8" in note for note in report.notes)


def test_a_pure_gb18030_file_is_still_gb18030(con, tmp_path):
    path = write_kind(tmp_path / "r.csv", "registrations", encoding="gb18030")
    ingest(con, "registrations", path)
    assert con.execute("SELECT encoding FROM ingested_files").fetchall()[0][0] == "gb18030"


STRAY_QUOTES = {
    # (data lines, line that opens a quote, line that closes it or None) → every physical line counts
    "closed-30-lines-later": (37, 8, 38),
    "never-closed": (37, 8, None),
    "mid-field-quote": (37, 8, -1),
}


@pytest.mark.slow
@pytest.mark.parametrize(("lines", "opens", "closes"), STRAY_QUOTES.values(), ids=list(STRAY_QUOTES))
def test_a_stray_quote_counts_every_physical_line(con, tmp_path, path_kind, lines, opens, closes):
    body = [f"Q{i:03d},2026-06-01,主体{i},群众反映高息揽储{i}" for i in range(1, lines + 1)]
    if closes == -1:
        body[opens - 1] = body[opens - 1].replace("主体", '主"体')
    else:
        body[opens - 1] = body[opens - 1].replace("主体", '"主体')
        if closes is not None:
            body[closes - 2] = body[closes - 2].replace("群众", '群"众')
    path = tmp_path / "线索.csv"
    path.write_text("线索编号,受理日期,涉及主体,线索内容\n" + "\n".join(body) + "\n", encoding="utf-8")
    report = ingest(con, "clues", path)
    assert report.rows_read == lines
    quarantined = con.execute("SELECT line FROM quarantine ORDER BY line").fetchall()
    loaded = con.execute("SELECT line FROM clues ORDER BY line").fetchall()
    assert sorted(quarantined + loaded) == [(n,) for n in range(2, lines + 2)]  # each physical line once
    if closes != -1:
        assert all("引号不成对" in r for r in reasons(con))


def _sheet_xml(rows: list[list[str]]) -> str:
    cells = "".join(
        f'<row r="{i}">'
        + "".join(f'<c r="{chr(65 + j)}{i}" t="inlineStr"><is><t>{v}</t></is></c>' for j, v in enumerate(row))
        + "</row>"
        for i, row in enumerate(rows, start=1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{cells}</sheetData></worksheet>"
    )


def _workbook(path: Path, sheet_xml: str | bytes) -> Path:
    """A minimal valid .xlsx around one sheet's XML (what a hostile tool can hand over)."""
    ns = "http://schemas.openxmlformats.org"
    parts = {
        "[Content_Types].xml": f'<?xml version="1.0"?><Types xmlns="{ns}/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
        '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": f'<?xml version="1.0"?><Relationships xmlns="{ns}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0"?><workbook xmlns="{ns}/spreadsheetml/2006/main" '
        f'xmlns:r="{ns}/officeDocument/2006/relationships"><sheets>'
        '<sheet name="线索" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<?xml version="1.0"?><Relationships xmlns="{ns}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for name, text in parts.items():
            book.writestr(name, text)
    return path


LONG_CELLS = {
    "known-column": ("线索内容", 40_000, "线索内容超过20000字"),
    "extra-column": ("附注", 33_000, "列「附注」超过32767字"),
}


@pytest.mark.slow
@pytest.mark.parametrize(("column", "size", "reason"), LONG_CELLS.values(), ids=list(LONG_CELLS))
def test_an_xlsx_cell_over_excels_limit_is_said_and_quarantined(con, tmp_path, column, size, reason):
    header = ["线索编号", "受理日期", "涉及主体", "线索内容", "附注"]
    rows = [[f"Q{i}", "2026-06-01", f"主体{i}", "高息揽储", ""] for i in range(1, 4)]
    rows[1][header.index(column)] = "长" * size
    path = _workbook(tmp_path / "线索.xlsx", _sheet_xml([header, *rows]))
    report = ingest(con, "clues", path)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (3, 2, 1)
    assert reason in reasons(con)[0]
    assert any("超过 32767 字" in note for note in report.notes)


@pytest.mark.parametrize("size", [32_767, 40_000, 100_000], ids=["at-limit", "over", "far-over"])
def test_xlsx_export_cuts_a_long_cell_visibly(tmp_path, size):
    path = tmp_path / "名单.xlsx"
    cut = write_xlsx([Sheet("名单", ["线索内容"], [["字" * size]])], path)
    value = openpyxl.load_workbook(path).active.cell(2, 1).value
    assert len(value) <= 32_767
    if size > 32_767:
        assert cut == 1 and value.endswith(f"…（已截断，共{size}字）")
    else:
        assert cut == 0 and value == "字" * size


def _bomb_rows(rows: int) -> bytes:
    head = (
        b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    )
    return head + b"<sheetData>" + b"<row><c><v>1</v></c></row>" * rows + b"</sheetData></worksheet>"


BOMBS = {
    # name: (limits changed for the test, rows in the sheet, a fragment of the refusal)
    "rows-over-default": ({}, 2_000_001, "超过 2,000,000 行"),
    "inflated-bytes": ({"xlsx_max_mb": 1}, 60_000, "解压后超过 1 MB"),
    "cells": ({"xlsx_max_cells": 10_000}, 10_001, "超过 10,000 个单元格"),
}


@pytest.mark.slow
@pytest.mark.parametrize(("limits", "rows", "message"), BOMBS.values(), ids=list(BOMBS))
def test_an_xlsx_zip_bomb_is_refused_before_reading(con, tmp_path, monkeypatch, limits, rows, message):
    for key, value in limits.items():
        monkeypatch.setitem(parse.LIMITS, key, value)
    path = _workbook(tmp_path / "炸弹.xlsx", _bomb_rows(rows))
    assert path.stat().st_size < 3 << 20  # small on disk
    with pytest.raises(BadInput) as caught:
        ingest_file(con, "clues", path)
    text = str(caught.value)
    assert message in text and "压缩炸弹" in text and "\n" not in text
    assert con.execute("SELECT count(*) FROM clues").fetchall()[0][0] == 0


# ---- items 5 and 8, checked ----------------------------------------------------------------------------


@pytest.mark.slow
def test_rows_on_every_matching_sheet_are_read(con, tmp_path):
    header = ["线索编号", "受理日期", "涉及主体", "线索内容"]
    book = openpyxl.Workbook()
    first = book.active
    first.title = "一月"
    first.append(header)
    first.append(["Q1", "2026-01-05", "甲", "高息"])
    second = book.create_sheet("二月")
    second.append(header)
    for i in range(2, 6):
        second.append([f"Q{i}", "2026-02-05", f"乙{i}", "高息"])
    path = tmp_path / "线索.xlsx"
    book.save(path)
    report = ingest(con, "clues", path)
    assert (report.rows_read, report.rows_loaded) == (5, 5)


def test_inbox_says_what_it_leaves_out(tmp_path):
    inbox = tmp_path / "收件箱"
    write_kind(inbox / "工商登记" / "r.csv", "registrations")
    (inbox / "工商登记" / "旧表.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    write_kind(inbox / "工商登记" / "二月" / "r2.csv", "registrations")
    write_kind(inbox / "工商登纪" / "r3.csv", "registrations")
    result = scan(inbox)
    assert [f.path.name for f in result.files] == ["r.csv"]
    text = "\n".join(result.warnings)
    assert "旧表.xls" in text and "二月" in text and "工商登纪" in text and "工商登记" in text
