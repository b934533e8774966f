"""The memory budget and spill folder reach DuckDB; ingest and export writes land whole or not at all."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import polars as pl
import pytest

from fundrisk.errors import BadInput
from fundrisk.ingest import ingest_file
from fundrisk.publish.background import background_workbooks
from fundrisk.publish.writers import Sheet, write_csv, write_xlsx
from fundrisk.settings import DEFAULT_MEMORY_SHARE, Settings, machine_memory, parse_size
from fundrisk.sources.readers import read_table, sha256_file
from fundrisk.sources.spec import get_kind
from fundrisk.sources.validate import validate
from fundrisk.warehouse import connect
from fundrisk.warehouse.db import release_cache
from fundrisk.warehouse.ingest_store import FileRecord, write_ingest
from tests.samples import VALID, write_kind


def setting(con, name: str) -> str:
    return str(con.execute("SELECT current_setting(?)", [name]).fetchall()[0][0])


def expected_limit(text: str) -> str:
    """What DuckDB itself reports for the same number of MiB (its own formatting)."""
    import duckdb

    probe = duckdb.connect()
    probe.execute("SET memory_limit = ?", [f"{parse_size(text) // 1024**2}MiB"])
    return setting(probe, "memory_limit")


@pytest.mark.slow
@pytest.mark.parametrize("limit", ["512MB", "1GiB", "3%"])
def test_memory_limit_and_spill_folder_reach_every_connection(tmp_path, monkeypatch, limit):
    spill = tmp_path / "spill"
    monkeypatch.setenv("FUNDRISK_MEMORY_LIMIT", limit)
    monkeypatch.setenv("FUNDRISK_TEMP_DIR", str(spill))
    db = tmp_path / "f.duckdb"
    con = connect(db)
    assert setting(con, "memory_limit") == expected_limit(limit)
    assert setting(con, "temp_directory") == str(spill)
    con.close()
    reader = connect(db, read_only=True)
    assert setting(reader, "memory_limit") == expected_limit(limit)
    reader.close()


@pytest.mark.slow
def test_default_budget_is_a_share_of_the_machine_and_spills_beside_the_file(tmp_path, monkeypatch):
    monkeypatch.delenv("FUNDRISK_MEMORY_LIMIT", raising=False)
    monkeypatch.delenv("FUNDRISK_TEMP_DIR", raising=False)
    assert Settings().memory_limit_bytes() == int(machine_memory() * DEFAULT_MEMORY_SHARE)
    con = connect(tmp_path / "f.duckdb")
    assert setting(con, "temp_directory") == f"{tmp_path / 'f.duckdb'}.tmp"
    assert setting(con, "memory_limit") == expected_limit("60%")
    con.close()


@pytest.mark.slow
def test_release_cache_hands_back_read_blocks_and_keeps_the_budget(tmp_path, monkeypatch):
    monkeypatch.setenv("FUNDRISK_MEMORY_LIMIT", "1GiB")
    con = connect(tmp_path / "f.duckdb")
    con.execute(
        "CREATE TABLE wide AS SELECT range AS id, repeat('登记', 20) || range AS name FROM range(2000000)"
    )
    con.close()
    con = connect(tmp_path / "f.duckdb")  # a fresh database instance: nothing cached yet
    used = "SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory()"
    assert con.execute("SELECT count(DISTINCT name) FROM wide").fetchall()[0][0] == 2_000_000
    cached = con.execute(used).fetchall()[0][0]
    assert cached > 20 * 2**20  # the table's blocks stay cached after the read
    release_cache(con)
    assert con.execute(used).fetchall()[0][0] < cached / 2
    assert setting(con, "memory_limit") == expected_limit("1GiB")
    assert con.execute("SELECT count(*) FROM wide").fetchall()[0][0] == 2_000_000  # read again from disk
    con.close()


def test_a_second_connection_opens_after_something_spilled(tmp_path, monkeypatch):
    monkeypatch.setenv("FUNDRISK_MEMORY_LIMIT", "1GiB")
    db = tmp_path / "f.duckdb"
    con = connect(db)
    con.execute(
        "CREATE TEMP TABLE wide AS SELECT range AS id, repeat('登记', 20) || range AS name FROM range(500000)"
    )
    release_cache(con)  # the temporary table's blocks are spilled to the database's spill folder
    assert any(Path(setting(con, "temp_directory")).iterdir())
    other = connect(db)  # a stage running beside another opens its own connection
    assert setting(other, "temp_directory") == setting(con, "temp_directory")
    assert con.execute("SELECT count(*) FROM wide").fetchall()[0][0] == 500_000  # read back from the spill
    other.close()
    con.close()


@pytest.mark.parametrize(
    ("text", "size"),
    [("4GB", 4 * 10**9), ("4 GiB", 4 * 2**30), ("512mb", 512 * 10**6), ("1.5T", 15 * 10**11)],
)
def test_sizes_parse(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["lots", "0%", "120%", "10MB", "4XB"])
def test_a_bad_memory_limit_is_a_chinese_usage_error(text, monkeypatch):
    monkeypatch.setenv("FUNDRISK_MEMORY_LIMIT", text)
    with pytest.raises(BadInput, match="FUNDRISK_MEMORY_LIMIT"):
        connect(":memory:")


@pytest.mark.slow
def test_a_file_whose_write_fails_midway_leaves_no_rows_and_no_record(tmp_path):
    """The history, current rows, quarantine and the file record commit together or not at all."""
    path = write_kind(tmp_path / "registrations.csv", "registrations")
    spec = get_kind("registrations")
    raw = read_table(path)
    result = validate(raw, spec, path.name)
    record = FileRecord(sha256_file(path), "registrations", path.name, str(path), raw.encoding, "I1", None)
    broken = result.quarantine.with_columns(pl.lit("x").alias("no_such_column"))  # fails after the inserts
    con = connect(":memory:")
    with pytest.raises(Exception, match="no_such_column"):
        write_ingest(con, spec, result.loaded, broken, record)
    for table in ("registrations", "registrations_history", "quarantine", "ingested_files"):
        assert con.execute(f"SELECT count(*) FROM {table}").fetchall() == [(0,)], table
    report = ingest_file(con, "registrations", path)  # not taken for already ingested
    assert not report.skipped and report.rows_loaded == len(VALID["registrations"])


def test_an_export_that_fails_midway_keeps_the_previous_file(tmp_path):
    target = tmp_path / "名单.xlsx"
    write_xlsx([Sheet("名单", ["主体名称"], [["甲公司"]])], target)
    before = target.read_bytes()

    def rows():
        yield ["乙公司"]
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_xlsx([Sheet("名单", ["主体名称"], rows())], target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["名单.xlsx"]  # no temporary file left behind
    csv = tmp_path / "名单.csv"
    write_csv(pl.DataFrame({"主体名称": ["甲公司"]}), csv)
    assert csv.read_text(encoding="utf-8-sig").splitlines() == ["主体名称", "甲公司"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["名单.csv", "名单.xlsx"]


@pytest.mark.slow  # a helper process
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="background workbooks need a second core")
def test_a_background_workbook_lands_whole_and_its_warnings_reach_the_caller(tmp_path, caplog):
    """The first book goes to the helper process, the second (helper busy) is written here; both land,
    and the helper's warning about a cut cell is logged by the caller, not lost with its stderr."""
    from openpyxl import load_workbook

    long_text = "乙" * 40_000
    first, second = tmp_path / "一.xlsx", tmp_path / "二.xlsx"
    with caplog.at_level(logging.WARNING), background_workbooks():
        write_xlsx([Sheet.from_frame("名单", pl.DataFrame({"主体名称": ["甲公司", long_text]}))], first)
        write_xlsx([Sheet("名单", ["主体名称"], [["丙公司"]])], second)
    cells = [r[0] for r in load_workbook(first, read_only=True)["名单"].iter_rows(values_only=True)]
    assert cells[:2] == ["主体名称", "甲公司"] and cells[2].endswith("（已截断，共40000字）")
    assert [r[0] for r in load_workbook(second, read_only=True)["名单"].iter_rows(values_only=True)] == [
        "主体名称",
        "丙公司",
    ]
    assert any("cells over" in r.getMessage() and "一.xlsx" in r.getMessage() for r in caplog.records)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["一.xlsx", "二.xlsx"]
