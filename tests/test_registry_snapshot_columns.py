"""Issue 11: the snapshot's column path gives exactly the per-record path's answers, frames and tables.

The per-record path (``Lookups(..., columns=False)``: ``Snapshot.lookup`` per subject, ``json.loads`` and
``model.typed_record`` per record) is the reference; every comparison is ``frame.equals`` after a sort on
all columns, dtypes included. The awkward lines are the ones polars and Python could read differently.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from enrichers.registry import model
from enrichers.registry.base import FAILED, FETCHED, NOT_FOUND, NOT_QUERIED
from enrichers.registry.columns import (
    MARK,
    count_expr,
    date_expr,
    odd_count,
    odd_date,
    province_expr,
    text_expr,
)
from enrichers.registry.lookup import LookupOutcome, Lookups
from enrichers.registry.snapshot import Snapshot, snapshot_lines
from enrichers.registry.snapshot_decode import decode_lines
from fundrisk.settings import Settings
from fundrisk.stages.registry import run_registry
from fundrisk.synth import generate
from fundrisk.warehouse import connect
from fundrisk.warehouse.frames import read
from fundrisk.warehouse.registry_store import FACT_TABLES

D = "2023-05-01"
BASIC = {
    "uscc": "91370303MA3C000001",
    "name": "甲",
    "status": "存续",
    "province": "山东省",
    "established_on": D,
}


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False)


# Lines json reads that carry types, values or shapes the record does not document.
AWKWARD = [
    _line({"uscc": "U01", "name": 12345, "basic": {"uscc": "U01", "name": True, "legal_rep": 7, "status": False,
           "registered_capital": 1000, "address": -5, "province": None, "scope": 10**20}}),
    _line({"uscc": "U02", "name": "总数公司", "abnormal_total": "3", "lawsuit_total": " 12 "}),
    _line({"uscc": "U03", "name": "全角总数", "abnormal_total": "１２", "lawsuit_total": "²"}),
    _line({"uscc": "U04", "name": "大数", "abnormal_total": 2**62, "lawsuit_total": "100000000000000000"}),
    _line({"uscc": "U05", "name": "负数", "abnormal_total": -1, "lawsuit_total": True}),
    _line({"uscc": "U06", "name": "小数", "abnormal_total": 5.0, "basic": {"registered_capital": 1000.0}}),
    _line({"uscc": "U07", "name": "横线", "basic": {"legal_rep": "-", "status": "--", "address": " null ",
           "city": "None", "scope": "", "district": " \u3000淄川区\x1c ", "entity_type": "\x85"}}),
    _line({"uscc": "U08", "name": "日期", "basic": {"established_on": 1682870400000}, "abnormal": [
        {"listed_on": "2023/5/1", "removed_on": "2023年5月1日"}, {"listed_on": "garbage", "removed_on": "20230501"},
        {"listed_on": " 2023-05-01 10:00:00 ", "removed_on": "0000-01-01"}, {"listed_on": "2023-02-30"},
        {"listed_on": "２０２３-05-01", "removed_on": True}, {"listed_on": 1.5e12, "removed_on": -1}]}),
    _line({"uscc": "U09", "name": "数字日期", "changes": [{"changed_on": 1682870400000, "item": "法定代表人变更"},
           {"changed_on": "20230502", "item": "法定代表人变更"}, {"changed_on": -62135596800001, "item": "住所变更"}]}),
    _line({"uscc": "U10", "name": "列表是对象", "abnormal": {"listed_on": D}, "lawsuits": "无", "changes": 5}),
    _line({"uscc": "U11", "name": "项不是对象", "branches": ["分公司", 1, None, {"name": "济南分公司", "uscc": "91370100MA00000001"},
           {}], "investments": [[], {"name": "上海某某", "share": 60}]}),
    _line({"uscc": "U12", "name": "无基本信息"}),
    _line({"uscc": "U13", "name": "基本为空", "basic": None}),
    _line({"uscc": "U14", "name": "基本为空对象", "basic": {}}),
    _line({"uscc": "U15", "name": "基本是文字", "basic": "无"}),
    _line({"uscc": "U16", "name": "旧行", "basic": {**BASIC, "name": "旧"}}),
    _line({"uscc": "U16", "name": "新行", "basic": {**BASIC, "name": "新"}}),  # a later line with the code wins
    _line({"uscc": None, "name": "同名公司", "basic": {**BASIC, "name": "先"}}),
    _line({"uscc": None, "name": "同名公司", "basic": {**BASIC, "name": "后"}}),  # the earlier name wins
    '{"uscc": "U17", "name": "重复键", "basic": {"name": "甲", "name": "乙", "status": "存续"}}',
    '{"uscc": "U18", "name": "顶层重复键", "abnormal": [], "abnormal": [{"listed_on": "2023-01-01"}]}',
    '{"uscc": "U19", "n\\u0061me": "转义键", "name": "真名"}',
    '{"uscc": "U20", "name": "孤代理\\ud800", "basic": {"name": "\\ud800"}}',
    '{"uscc": "U21", "name": "表情\\ud83d\\ude00", "basic": {"name": "\\ud83d\\ude00", "scope": "a\\u0000b"}}',
    '{"uscc": "U23", "name": "嵌套过深", "junk": ' + "[" * 1000 + "]" * 1000 + "}",  # polars reads it, json not
    '{"uscc": "U24", "name": "未知键", "extra": {"a": [1, {"b": 2.5}]}, "basic": {"status": "注销"}}',
    _line({"uscc": "U25", "name": "省份", "branches": [{"name": "深圳分公司", "uscc": "91440300MA5F000001"},
           {"name": "内蒙古分公司"}, {"name": "某某", "province": "江苏省"}], "basic": {"address": "\u3000黑龙江省某地"},
           "investments": [{"name": "上海某某", "uscc": "bad"}]}),
    _line({"uscc": "U26", "name": "诉讼", "lawsuits": [{"case_reason": "民间借贷纠纷", "title": "一审"},
           {"case_reason": "", "title": "集资诈骗案"}, {"case_reason": "买卖合同纠纷"}, {}], "abnormal_total": 9}),
    _line({"uscc": "U27", "name": "变更", "changes": [{"changed_on": f"2023-0{m}-01", "item": item} for m, item in
           ((1, "负责人变更"), (2, "经营场所变更"), (3, "名称变更"), (4, "投资人变更"), (5, "章程备案"), (6, None))]}),
    _line({"uscc": "U28", "name": "按名称找到", "basic": BASIC}),
    _line({"name": "只有名称", "basic": {"uscc": "91370303MA3C000009", "name": "只有名称"}}),
    _line({"uscc": "U29", "basic": {"name": "无顶层名称"}}),
    _line({"uscc": "U30", "name": "空白\t", "basic": {"uscc": "  ", "name": " x "}}),
    '{"uscc": "U31", "name": 1.0, "abnormal_total": 0}',
]  # fmt: skip
BROKEN = [  # lines that make the fast key scan fail, so the whole file takes the line-by-line scan
    "",
    "   ",
    '{"uscc": "U40", "name": "坏行", "basic": {',
    '{"uscc": "U41", "name": "制表符\tin", "basic": {}}',
    '{"uscc": {"x": 1}, "name": "代码是对象"}',
    '{"uscc": "U22", "name": "超长整数", "junk": ' + "9" * 5000 + "}",  # json refuses over 4,300 digits
    "[1, 2]",
    "5",
]
SUBJECTS = [
    *[(f"U{i:02d}", "") for i in range(1, 32)],
    ("U40", "坏行"),
    ("U41", ""),
    ("U99", "按名称找到"),  # no line with this code: found by name
    ("U98", "不存在"),
    (None, "同名公司"),
    (None, "只有名称"),
    (None, "12345"),
    (None, "True"),
    (None, "true"),
    ("U16", "同名公司"),  # the code's line wins over the name's
    (None, "代码是对象"),
    ("-", "横线代码"),
]


def _subjects(pairs: list[tuple[str | None, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {"uscc": [u for u, _ in pairs], "name": [n for _, n in pairs], "priority": [1.0] * len(pairs)},
        schema={"uscc": pl.String, "name": pl.String, "priority": pl.Float64},
    )


def _outcome(path: Path | None, subjects: pl.DataFrame, columns: bool) -> LookupOutcome:
    lookups = Lookups(subjects, Snapshot(path), budget=0, columns=columns)
    asyncio.run(lookups.run(None))  # type: ignore[arg-type]  # a free provider never touches the cache
    assert (lookups.answers is not None) == columns
    return lookups.outcome()


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns, nulls_last=True)


def _assert_same(path: Path | None, subjects: pl.DataFrame) -> LookupOutcome:
    """Both paths over the same file and subjects: equal look-up rows, fact frames and subject ids."""
    old, new = _outcome(path, subjects, columns=False), _outcome(path, subjects, columns=True)
    assert new.lookups.schema == old.lookups.schema
    assert _sorted(new.lookups).equals(_sorted(old.lookups))
    assert sorted(new.subject_ids) == sorted(old.subject_ids)
    assert (new.facts is None) == (old.facts is None)
    old_facts, new_facts = old.facts or {}, new.facts or {}
    for table, frame in old_facts.items():
        assert new_facts[table].schema == frame.schema, table
        assert _sorted(new_facts[table]).equals(_sorted(frame)), table
    assert new.report.counts == old.report.counts
    return new


def _status(outcome: LookupOutcome) -> dict[str, tuple[str, str | None]]:
    rows = outcome.lookups.select("subject_key", "status", "detail").rows()
    return {key: (status, detail) for key, status, detail in rows}


def test_typing_expressions_give_what_the_python_helpers_give() -> None:
    rng = random.Random(7)
    values: list[Any] = [None, "", " ", "-", "--", "null", "None", "\u3000x\x1c", "\x85-", 0, 1, -1, True, False,
              2**62 - 1, 2**62, 10**17, "100000000000000000", "99999999999999999", " 12 ", "²", "12a", "007",
              "2023/5/1", "2023年5月1日", "20230501", "2023123", "0000-01-01", "0001-01-01", "9999-12-31",
              "2024-02-29", "2023-02-29", "2023-13-01", "2023\n5\n1", "garbage", 1682870400000, -28800001,
              -28800000, -62135596800000, -62135596800001, 253402271999999, 253402272000000]  # fmt: skip
    for _ in range(2000):
        y, m, d = rng.randint(0, 9999), rng.randint(0, 13), rng.randint(0, 32)
        sep = rng.choice(["-", "/", "年", "", " ", "x"])
        values += [rng.randint(-(10**15), 10**15), f"{y:04d}{sep}{m}{sep}{d}"]
    raw = [None if v is None else str(v).lower() if isinstance(v, bool) else str(v) if isinstance(v, int) else MARK + v
           for v in values]  # fmt: skip
    got = pl.DataFrame({"r": raw}, schema={"r": pl.String}).select(
        t=text_expr(pl.col("r")), d=date_expr(pl.col("r")), c=count_expr(pl.col("r")),
        odd=odd_date(pl.col("r")) | odd_count(pl.col("r")),
    )  # fmt: skip
    for value, (t, d, c, odd) in zip(values, got.rows(), strict=True):
        assert not odd, value
        iso = model.to_date(value)
        assert (t, d, c) == (
            model.text(value),
            dt.date.fromisoformat(iso) if iso else None,
            model._count(value),
        )
    usccs = [None, "91370300MA3C0XXXXX", "91320100MA1X00001A", "91990100MA1X00001A", "9137"]
    texts = [None, "", "山东省淄博", " 内蒙古呼和", "\u3000黑龙江", "某某", "广西"]
    pairs = [(u, t) for u in usccs for t in texts]
    frame = pl.DataFrame(pairs, schema={"u": pl.String, "t": pl.String}, orient="row")
    provinces = frame.select(province_expr(pl.col("u"), pl.col("t")))
    assert provinces.to_series().to_list() == [model.province_of(u, None, t) for u, t in pairs]


@pytest.mark.slow
def test_awkward_lines_give_the_same_answers(tmp_path: Path) -> None:
    path = tmp_path / "snapshot.jsonl"
    path.write_text("\n".join(AWKWARD) + "\n", encoding="utf-8")
    outcome = _assert_same(path, _subjects(SUBJECTS))
    status = _status(outcome)
    assert status["U23"] == (FAILED, "快照中该企业的记录无法解析，已跳过")
    assert status["U20"][0] == FAILED and "工商信息无法整理入库" in str(status["U20"][1])
    assert status["U98"] == (NOT_FOUND, "快照中无此企业") and status["U99"][0] == FETCHED
    assert outcome.facts is not None
    basic = outcome.facts["registry_basic"]
    assert basic.filter(pl.col("uscc") == "U16")["name"].to_list() == ["新"]
    assert basic.filter(pl.col("uscc") == "91370303MA3C000001")["name"].to_list() == ["先"]
    assert basic.filter(pl.col("uscc") == "U17")["name"].to_list() == ["乙"]  # json keeps the last key
    assert basic.filter(pl.col("uscc") == "U01").row(0, named=True)["legal_rep"] == "7"
    flags = outcome.facts["registry_flags"].filter(pl.col("uscc") == "U02").row(0, named=True)
    assert (flags["abnormal_count"], flags["lawsuit_count"]) == (3, 12)
    # Both ways were taken: most lines typed by polars, the awkward ones by json and typed_record.
    lines = snapshot_lines(path, None, None).with_row_index("line_no")
    heads, items = decode_lines(lines.select("line_no", "line"))
    typed_by_polars = heads.filter("column_ok").height
    assert 10 < typed_by_polars < lines.height - 10
    # Each line is typed on its own: decoded 7 lines at a time, the same heads and items (in another order).
    sliced_heads, sliced_items = decode_lines(lines.select("line_no", "line"), rows=7)
    assert sliced_heads.sort("idx").equals(heads.sort("idx"))
    assert sliced_items.keys() == items.keys()
    assert all(sliced_items[k].sort("idx", "pos").equals(items[k].sort("idx", "pos")) for k in items)
    assert sum(frame.height for frame in items.values()) > 0


@pytest.mark.slow
def test_a_broken_file_gives_the_same_answers(tmp_path: Path) -> None:
    path = tmp_path / "snapshot.jsonl"
    path.write_text(
        "\n".join([BROKEN[0], *AWKWARD[:20], *BROKEN[1:], *AWKWARD[20:]]) + "\n", encoding="utf-8"
    )
    status = _status(_assert_same(path, _subjects(SUBJECTS)))
    assert status["U40"][0] == status["U41"][0] == status["U22"][0] == NOT_FOUND


def test_missing_snapshot_is_not_queried_either_way(tmp_path: Path) -> None:
    outcome = _assert_same(tmp_path / "none.jsonl", _subjects(SUBJECTS[:3]))
    assert {s for s, _ in _status(outcome).values()} == {NOT_QUERIED}
    assert "未找到工商信息快照文件" in str(outcome.lookups["detail"][0])


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("seed7")
    return Path(generate(root / "inbox", entities=3000, seed=7).paths["registry_snapshot"])


@pytest.mark.slow
def test_generated_snapshot_gives_the_same_answers(district: Path) -> None:
    records = [json.loads(line) for line in district.read_text(encoding="utf-8").splitlines()]
    pairs = [(r["uscc"], r["name"]) for r in records]
    pairs += [(None, n) for _, n in pairs[::7]] + [(f"X{i}", n) for i, (_, n) in enumerate(pairs[1::11])]
    pairs += [(f"91370303MA{i:08d}", f"查无此企业{i}") for i in range(50)]
    outcome = _assert_same(district, _subjects(pairs))
    assert outcome.facts is not None and outcome.facts["registry_lawsuits"].height > 0
    assert outcome.report.counts[FETCHED] == len(pairs) - 50
    lines = snapshot_lines(district, None, None).with_row_index("line_no")
    heads, _ = decode_lines(lines.select("line_no", "line"))
    assert heads["column_ok"].all() and heads.height == len(records)  # a generated line never needs Python


def _database(path: Path, pairs: list[tuple[str | None, str]]) -> duckdb.DuckDBPyConnection:
    """Registrations (uscc, name) each with one linked alert, so every one is worth a look-up."""
    con = connect(path)
    frame = pl.DataFrame({"uscc": [u for u, _ in pairs], "name": [n for _, n in pairs]})
    con.register("subjects", frame)
    con.execute(
        "INSERT INTO registrations (uscc, name, record_key, ingest_id, loaded_at) "
        "SELECT uscc, name, uscc, 'test', now() FROM subjects"
    )
    con.execute(
        "INSERT INTO entity_links (source_kind, source_id, uscc, method, score) "
        "SELECT 'alert', 'A-' || uscc, uscc, 'exact', 1.0 FROM subjects"
    )
    con.unregister("subjects")
    return con


@pytest.mark.slow
def test_stored_tables_are_the_same_after_run_registry(district: Path, tmp_path: Path) -> None:
    snapshot = tmp_path / "snapshot.jsonl"
    snapshot.write_text(district.read_text(encoding="utf-8") + "\n".join(AWKWARD) + "\n", encoding="utf-8")
    records = [json.loads(line) for line in district.read_text(encoding="utf-8").splitlines()]
    pairs = [(r["uscc"], r["name"]) for r in records[:1500]] + [(u, n) for u, n in SUBJECTS if u and u != "-"]
    tables: list[dict[str, pl.DataFrame]] = []
    for columns in (False, True):
        con = _database(tmp_path / f"columns_{columns}.duckdb", pairs)
        summary = run_registry(con, Settings(registry_snapshot=snapshot), columns=columns)
        assert summary["counts"][FETCHED] > 1500, summary  # type: ignore[index]
        stored = {t: read(con, f"SELECT * FROM {t}") for t in FACT_TABLES if t != "registry_flags"}  # noqa: S608
        stored["registry_flags"] = read(con, "SELECT * EXCLUDE (updated_at) FROM registry_flags")
        stored["registry_lookups"] = read(con, "SELECT * EXCLUDE (looked_up_at) FROM registry_lookups")
        con.close()
        tables.append(stored)
    old, new = tables
    for name, frame in old.items():
        assert frame.height > 0, name
        assert new[name].schema == frame.schema and _sorted(new[name]).equals(_sorted(frame)), name


def test_a_province_sized_list_of_text_only_items_decodes() -> None:
    """Branches and investments carry no dates or counts; an all-literal "odd item" predicate over
    20,000+ rows made polars fail ("filter predicate length of 2") and the 3M run lost every registry fact."""
    n = 25_000
    lines = pl.DataFrame(
        {
            "line_no": range(n),
            "line": [
                model.snapshot_line(
                    {"uscc": f"91370303MA{i:08d}", "name": f"分支测试{i}有限公司",
                     "branches": [{"name": f"分支测试{i}有限公司一分公司", "uscc": None, "status": "存续"}]}
                ).strip()
                for i in range(n)
            ],
        },
        schema={"line_no": pl.UInt32, "line": pl.String},
    )  # fmt: skip
    heads, items = decode_lines(lines)
    assert heads.height == n and heads["column_ok"].all()
    assert items["branches"].height == n


def test_the_file_read_in_small_chunks_gives_the_same_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks cut at line ends: lines longer than a chunk, a blank line, CRLF and no final newline."""
    import enrichers.registry.snapshot as snapshot

    records = [
        model.snapshot_line({"uscc": f"91370306MA{i:08d}", "name": f"淄博某某{i}号商贸有限公司"})
        for i in range(60)
    ]
    records[7] = json.dumps({"uscc": "91370306MA00000007", "name": "长" * 300}, ensure_ascii=False)
    text = "\n".join(records[:20]) + "\n\n" + "\r\n".join(records[20:40]) + "\n" + "\n".join(records[40:])
    path = tmp_path / "snapshot.jsonl"
    path.write_text(text, encoding="utf-8")  # no newline after the last line
    wanted = [json.loads(r)["uscc"] for r in records[::3]]
    whole = snapshot_lines(path, wanted, ["长" * 300])
    monkeypatch.setattr(snapshot, "CHUNK_BYTES", 97)  # far shorter than the long line
    assert snapshot_lines(path, wanted, ["长" * 300]).equals(whole)
    assert whole.height == 21 and whole["name"].to_list()[3] == "长" * 300  # lines 0, 3, 6, then 7 by name
    assert snapshot_lines(path, None, None).height == 60
