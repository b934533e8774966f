"""The shortcuts that make a province's ingest fast give exactly what the general paths give.

Parsing: a value of a common shape is read by one native cast, everything else by the full parser.
Writing: a batch whose keys are all new is written as it is, in file order, with one DuckDB thread
(and the database's settings put back afterwards); a batch touching stored keys is compared first.
Encoding: UTF-8 is checked block by block without splitting a character.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from fundrisk.errors import BadInput
from fundrisk.ingest import ingest_file
from fundrisk.sources import batches, encodings, fastparse, parse, readers
from fundrisk.warehouse.db import connect
from tests.samples import fail_at_batch, make_uscc

DATES = [
    *(f"{y}{a}{m}{b}{d}{c}" for y in ("2020", "0000", "1900", "2100", "2101") for m in ("1", "01", "13", "0")
      for d in ("2", "02", "29", "30", "32", "0") for a, b, c in (("-", "-", ""), ("/", "/", ""), ("", "", ""),
                                                                ("年", "月", "日"), (".", ".", ""))),
    "+2020-1-2", " 2020-01-02", "２０２０-01-02", "2020-01-02 00:00:00", "2020-01-02T10:11", "45000",
    "45000.0", "2020-01/02", "2020年1月2", "2020-1-2x", "١٢٣٤-01-02", "2020-001-02", "abc", "", None,
]  # fmt: skip
AMOUNTS = [
    "1", "1.5", "00012", "5.", ".5", "1,234.5", "约50万元", "300万元", "300万", "300元", "1.2亿", "1e5", "inf",
    "NaN", "-5", "+5", "1" * 400, "1" * 400 + "万元", "３００万元", "300 万元", "50万元左右", "万元", "1.5万元", "", None,
]  # fmt: skip


def _cleaned(values: list[str | None]) -> pl.Series:
    return (
        pl.DataFrame({"raw": values}, schema={"raw": pl.Utf8}).select(parse.clean(pl.col("raw"))).to_series()
    )


@pytest.mark.parametrize(("kind", "values"), [("date", DATES), ("amount", AMOUNTS), ("amount_wan", AMOUNTS)])
def test_shortcuts_equal_the_full_parser(kind, values):
    cleaned = _cleaned(values)
    full = fastparse.SHAPES[kind][1]
    expected = cleaned.to_frame("raw").select(full(pl.col("raw"))[0]).to_series()
    got = fastparse.parse_column(kind, cleaned)
    assert got.dtype == expected.dtype
    assert got.to_list() == expected.to_list()  # ("NaN" never parses: the table holds no NaN value)
    raw = pl.col("raw")
    shaped = cleaned.to_frame("raw").select(
        pl.any_horizontal(raw.str.contains(s) for s, _ in fastparse.SHAPES[kind][0])
    )
    assert 0 < shaped.to_series().sum() < cleaned.is_not_null().sum()  # both paths are exercised


def test_fold_is_nfkc_and_leaves_the_raw_column_alone():
    frame = pl.DataFrame({"raw": ["91370306ＭＡ", "abc", None, "２０２０年１月２日", ""]})
    folded = fastparse.fold(frame["raw"])
    assert folded.to_list() == frame.select(pl.col("raw").str.normalize("NFKC")).to_series().to_list()
    assert frame["raw"].to_list() == [
        "91370306ＭＡ",
        "abc",
        None,
        "２０２０年１月２日",
        "",
    ]  # not changed in place


@pytest.mark.parametrize("codes", [[], [None, None], ["", "1" * 17, "中文代码"]])
def test_uscc_check_of_columns_without_a_well_formed_code(codes):
    got = parse.uscc_is_valid(pl.Series("c", codes, dtype=pl.Utf8))
    assert got.to_list() == [False] * len(codes)


def _registrations(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    lines = ["统一社会信用代码,企业名称,注册资本"] + [",".join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def streamed(monkeypatch):
    """Every CSV streamed in batches of 40 rows, into a database file (optimistic writes happen there)."""
    monkeypatch.setattr(batches, "STREAM_BYTES", 0)
    monkeypatch.setattr(batches, "BATCH_ROWS", 40)


def test_a_first_load_lands_in_file_order_and_a_second_file_updates_by_batch(tmp_path, streamed):
    rows = [(make_uscc(i), f"淄博第{i}商贸有限公司", f"{i}万元") for i in range(1, 201)]
    con = connect(tmp_path / "f.duckdb")
    first = ingest_file(con, "registrations", _registrations(tmp_path / "a.csv", rows))
    assert (first.rows_loaded, first.rows_updated, first.rows_unchanged) == (200, 0, 0)
    for table in ("registrations", "registrations_history"):  # no ORDER BY: the order readers see
        assert [line for (line,) in con.execute(f"SELECT line FROM {table}").fetchall()] == list(
            range(2, 202)
        )
    # second file: 10 changed names spread over the batches, 3 new codes, the rest restated
    changed = {i: (code, name + "（变更）", cap) for i, (code, name, cap) in enumerate(rows) if i % 20 == 7}
    new = [(make_uscc(1000 + i), f"新设{i}有限公司", "100") for i in range(3)]
    second_rows = [changed.get(i, row) for i, row in enumerate(rows)] + new
    second = ingest_file(con, "registrations", _registrations(tmp_path / "b.csv", second_rows))
    assert (second.rows_loaded, second.rows_updated, second.rows_unchanged) == (203, 10, 190)
    assert con.execute("SELECT count(*) FROM registrations").fetchone() == (203,)
    assert con.execute("SELECT count(*) FROM registrations_history").fetchone() == (213,)
    renamed = con.execute("SELECT count(*) FROM registrations WHERE name LIKE '%（变更）'").fetchone()
    from_b = con.execute("SELECT count(*) FROM registrations WHERE source_file = 'b.csv'").fetchone()
    assert renamed == (10,) and from_b == (13,)  # restated rows keep the file that first brought them
    con.close()


def _settings(con):
    return con.execute(
        "SELECT current_setting('threads'), current_setting('write_buffer_row_group_count')"
    ).fetchone()


def test_the_write_settings_are_put_back_after_a_file_lands_or_fails(tmp_path, streamed, monkeypatch):
    rows = [(make_uscc(i), f"淄博第{i}商贸有限公司", "5") for i in range(1, 121)]
    con = connect(tmp_path / "s.duckdb")
    con.execute("SET threads = 2")
    before = _settings(con)
    ingest_file(con, "registrations", _registrations(tmp_path / "a.csv", rows))
    assert _settings(con) == before
    fail_at_batch(monkeypatch, 2, OSError("disk gone"))
    with pytest.raises(OSError, match="disk gone"):
        ingest_file(con, "registrations", _registrations(tmp_path / "b.csv", rows[:100]))
    assert _settings(con) == before
    assert con.execute("SELECT count(*) FROM ingested_files").fetchone() == (1,)
    con.close()


UTF8_TEXT = "统一社会信用代码,企业名称\n" + "".join(
    f"{make_uscc(i)},淄博市文昌湖区第{i}号店😀\n" for i in range(30)
)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (UTF8_TEXT.encode(), ("utf-8", True)),
        (b"\xef\xbb\xbf" + UTF8_TEXT.encode(), ("utf-8-sig", True)),
        ("\ufeff \u3000\n".encode(), ("utf-8-sig", False)),
        (UTF8_TEXT.encode("gb18030"), ("gb18030", True)),
        (UTF8_TEXT.encode() + "混合,行\n".encode("gb18030"), (encodings.MIXED, True)),
    ],
    ids=["utf-8", "bom", "bom-and-blanks", "gb18030", "mixed"],
)
@pytest.mark.parametrize("block", [5, 7, 1 << 22])
def test_encoding_is_found_whatever_the_block_boundaries(tmp_path, monkeypatch, content, expected, block):
    monkeypatch.setattr(readers, "BLOCK", block)
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    assert readers.sniff_encoding(path) == expected


@pytest.mark.parametrize("block", [5, 1 << 22])
@pytest.mark.parametrize(
    "content",
    [
        UTF8_TEXT.encode()[:50] + b"\x00" + UTF8_TEXT.encode()[50:],
        UTF8_TEXT.encode()[:-2] + b"\xe4\xb8",  # the last character cut short: neither UTF-8 nor GB18030
    ],
    ids=["nul", "cut-short"],
)
def test_unreadable_content_is_refused(tmp_path, monkeypatch, block, content):
    monkeypatch.setattr(readers, "BLOCK", block)
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    with pytest.raises(BadInput, match="二进制"):
        readers.sniff_encoding(path)
