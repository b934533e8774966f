"""Issue 11 (province scale), the export step: frame-backed sheets are written a whole column at a time
(fundrisk/publish/sheet_rows.py) and a daily publish reads the ranked subjects once
(subjects.shared_subjects); the files hold exactly what the cell-by-cell writer and the lists written
one at a time hold: the same sheets, headers, cell values and types, widths, frozen pane and autofilter.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import re
import zipfile
from pathlib import Path

import fastexcel
import openpyxl
import polars as pl
import pytest

from fundrisk.ingest import ingest_file
from fundrisk.publish import export
from fundrisk.publish.background import background_workbooks
from fundrisk.publish.daily import DAILY, publish_daily, shared_floor
from fundrisk.publish.inspection_list import inspection_frame
from fundrisk.publish.police_referrals import CONFIRMED, referral_frame
from fundrisk.publish.sheet_rows import _RARE
from fundrisk.publish.subjects import scored_subjects, shared_subjects
from fundrisk.publish.writers import CELL_CHARS, Sheet, write_xlsx
from fundrisk.warehouse import connect
from tests.conftest import scored_district
from tests.samples import write_kind

RUN = "R-cells"
LONG = "集" * 40_000  # over Excel's 32,767: cut with the visible marker
ASTRAL = "𠀋" * 20_000  # 20,000 characters, 40,000 UTF-16 units: Excel's limit counts units
HOSTILE = pl.DataFrame(
    {
        "文本": [
            "=1+1",
            "'=SUM(A1)",
            "913703005678901234",
            '甲&乙<丙>"丁"',
            " 前后空格 ",
            "\u3000全角空格",
            "行一\n行二\r\n",
            "控制\x01字符\x1f",
            "_x0041_ 字面转义",
            "非字符\ufffe\uffff",
            LONG,
            ASTRAL,
            "😀 表情",
            "",
            None,
        ],
        "整数": [0, -1, 2**53, 7, None, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        "小数": [
            0.1,
            12.3,
            100.0,
            -0.0,
            1e20,
            1.5e-7,
            123456789.125,
            float("nan"),
            float("inf"),
            -float("inf"),
            None,
            2.5,
            1e15,
            0.0001,
            33.33,
        ],
        "布尔": [True, False, None] * 5,
        "日期": [dt.date(2026, 1, 2), None, dt.date(1999, 12, 31)] * 5,
        "时间": [dt.datetime(2026, 1, 2, 3, 4, 5), dt.datetime(2026, 1, 2, 3, 4, 5, 120), None] * 5,
        "空列": [None] * 15,
        "类别": pl.Series(["高风险", "中风险", None] * 5, dtype=pl.Categorical),
    }
)


def _read(value: object) -> object:
    # openpyxl undoes xlsxwriter's escape of a literal _xHHHH_ (_x005F_) in shared strings only; calamine
    # and Excel undo it in inline strings too (see `calamine`)
    return value.replace("x005F_", "") if isinstance(value, str) else value


def cells(path: Path, skip_first: str | None = None) -> dict[str, list[list[tuple[str, object]]]]:
    """Every sheet's rows as (type, value) pairs, read back by openpyxl."""
    book = openpyxl.load_workbook(path, read_only=True)
    return {
        name: [
            [(type(v).__name__, _read(v)) for v in row]
            for row in book[name].iter_rows(values_only=True)
            if not (skip_first and row and row[0] == skip_first)
        ]
        for name in book.sheetnames
    }


def calamine(path: Path) -> list[pl.DataFrame]:
    """Every sheet as read by calamine (fastexcel, the reader behind polars.read_excel), untyped header."""
    book = fastexcel.read_excel(str(path))
    return [book.load_sheet(name, header_row=None).to_polars() for name in book.sheet_names]


def parts(path: Path) -> dict[str, str]:
    """Every part of the package but the cells, the shared strings and the creation time."""
    with zipfile.ZipFile(path) as archive:
        texts = {
            name: archive.read(name).decode("utf-8")
            for name in archive.namelist()
            if name not in ("xl/sharedStrings.xml", "docProps/core.xml")
        }
    return {
        name: re.sub(r"<sheetData>.*</sheetData>|<sheetData/>", "", text, flags=re.S)
        for name, text in texts.items()
    }


def cell_by_cell(sheet: Sheet) -> Sheet:
    """The same sheet with its body as rows: writers' cell-by-cell path (write_cell)."""
    assert sheet.frame is not None
    return Sheet(sheet.name, sheet.header, sheet.frame.rows(), sheet.widths, sheet.filtered_rows)


def both_ways(tmp_path: Path, sheets: list[Sheet]) -> tuple[Path, Path, int, int]:
    whole, single = tmp_path / "whole.xlsx", tmp_path / "single.xlsx"
    cut_whole = write_xlsx(sheets, whole)
    cut_single = write_xlsx([cell_by_cell(s) if s.frame is not None else s for s in sheets], single)
    return whole, single, cut_whole, cut_single


def test_hostile_values_are_written_as_the_cell_by_cell_writer_writes_them(tmp_path: Path) -> None:
    trailing_empty = pl.DataFrame([pl.Series(c, [None], dtype=t) for c, t in HOSTILE.schema.items()])
    frame = pl.concat([HOSTILE, trailing_empty])  # a last row without any cell: the filter covers it
    whole, single, cut_whole, cut_single = both_ways(tmp_path, [Sheet.from_frame("名单", frame)])
    assert cut_whole == cut_single == 1  # the astral text is cut by xlsxwriter (UTF-16), silently as before
    assert cells(whole) == cells(single)
    assert all(a.equals(b) for a, b in zip(calamine(whole), calamine(single), strict=True))
    assert parts(whole) == parts(single)
    rows = cells(whole)["名单"]
    assert [v for _, v in rows[0]] == frame.columns
    text = [str(row[0][1]) for row in rows[1:]]
    assert text[:3] == ["=1+1", "'=SUM(A1)", "913703005678901234"]  # text, never a formula or a number
    assert text[10].endswith("…（已截断，共40000字）") and len(text[10]) == CELL_CHARS
    assert len(text[11].encode("utf-16-le")) // 2 <= CELL_CHARS
    assert rows[1][2] == ("float", 0.1) and rows[3][2] == ("int", 100) and rows[8][2] == ("NoneType", None)
    assert rows[1][3] == ("str", "是") and rows[2][3] == ("str", "否")
    assert rows[1][5] == ("str", "2026-01-02 03:04:05") and rows[2][5] == (
        "str",
        "2026-01-02 03:04:05.000120",
    )
    sheet = openpyxl.load_workbook(whole)["名单"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:H{frame.height + 1}"
    assert sheet.max_row == frame.height  # the dimension ends at the last row with a cell


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="background workbooks need a second core")
def test_a_helper_started_for_nothing_ends_with_the_block_quietly(caplog: pytest.LogCaptureFixture) -> None:
    """The helper starts when the block opens (its imports overlap the first query); a block that hands
    it no workbook tells it so, and it exits 0 (a failure would be logged)."""
    with caplog.at_level(logging.WARNING), background_workbooks():
        pass
    assert not caplog.records


def test_text_that_looks_like_rich_text_stays_literal(tmp_path: Path) -> None:
    """xlsxwriter writes a string '<r>…</r>' into the XML unescaped; a frame's cell keeps it as text."""
    path = tmp_path / "r.xlsx"
    write_xlsx([Sheet.from_frame("名单", pl.DataFrame({"名称": ["<r>甲</r>", "<r><t>乙</t></r>"]}))], path)
    assert [c for _, c in (r[0] for r in cells(path)["名单"])] == ["名称", "<r>甲</r>", "<r><t>乙</t></r>"]


def test_every_python_whitespace_edge_goes_the_exact_way() -> None:
    """xml:space="preserve" follows Python's \\s (xlsxwriter's rule): each such edge is handled by Python."""
    spaces = [chr(c) for c in range(0x110000) if re.match(r"\s", chr(c))]
    flagged = pl.Series([f"{s}x" for s in spaces] + [f"x{s}" for s in spaces]).str.contains(_RARE)
    assert flagged.all()


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scored_district(tmp_path_factory.mktemp("cells"), entities=3000, seed=7, run_id=RUN)


@pytest.mark.slow
def test_daily_lists_hold_what_each_list_written_alone_cell_by_cell_holds(
    district: Path, tmp_path: Path
) -> None:
    """publish_daily (one shared read, a helper process, whole-column cells) against each export alone, and
    the lists' real frames against the cell-by-cell writer. A 低风险 entity confirmed by an inspection
    after the run is referred at its tier: the shared read keeps it for the referral list only."""
    con = connect(district)
    try:
        found = con.execute(
            "SELECT min(subject_id) FROM risk_scores WHERE run_id = ? AND subject_kind = 'registration'"
            " AND tier = '低风险'",
            [RUN],
        ).fetchone()
        late = str(found[0]) if found else ""
        inspection = {"uscc": late, "inspected_on": dt.date.today().isoformat(), "conclusion": CONFIRMED}
        ingest_file(con, "inspections", write_kind(tmp_path / "核查.csv", "inspections", [inspection]))
    finally:
        con.close()
    publish_daily(district, RUN, tmp_path / "daily")
    alone = tmp_path / "alone"
    alone.mkdir()
    con = connect(district)
    try:
        for what, name in DAILY.items():
            export(con, what, alone / name, run_id=RUN)
        for floor, conclusion in [
            ("中风险", None),
            ("高风险", None),
            ("中风险", CONFIRMED),
            ("低风险", None),
        ]:
            with shared_subjects(shared_floor(), CONFIRMED):
                shared = scored_subjects(con, RUN, floor, conclusion)
            assert shared.equals(scored_subjects(con, RUN, floor, conclusion)), (floor, conclusion)
        table, _, _ = inspection_frame(con, RUN)
        referrals = referral_frame(con, RUN).select("uscc", "name", "basis", "score", "people", "loss_wan")
    finally:
        con.close()
    assert late in referrals["uscc"].to_list() and late not in table["统一社会信用代码"].to_list()
    for name in DAILY.values():
        daily, single = tmp_path / "daily" / RUN / name, alone / name
        if name.endswith(".csv"):
            assert daily.read_bytes() == single.read_bytes()
            continue
        assert cells(daily, skip_first="生成时间") == cells(single, skip_first="生成时间")
        assert parts(daily) == parts(single)
    assert table.height > 100 and referrals.height > 0
    sheets = [Sheet.from_frame("名单", table), Sheet.from_frame("移送", referrals)]
    whole, single, _, _ = both_ways(tmp_path, sheets)
    assert cells(whole) == cells(single) and parts(whole) == parts(single)
    numbers = [v for row in cells(whole)["名单"][1:] for _, v in row if isinstance(v, int | float)]
    assert numbers and all(math.isfinite(v) for v in numbers)
