"""A large CSV is ingested batch by batch and lands exactly as if it had been read whole.

The batch size and the streaming threshold are lowered so that a generated district's registrations
(a few hundred rows) cross several batches: duplicates across batches, bad rows, GB18030 and a file
polars refuses part-way must all give the same tables, counts and quarantine reasons.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fundrisk.errors import BadInput
from fundrisk.ingest import ingest_file
from fundrisk.sources import batches
from fundrisk.synth import generate
from fundrisk.warehouse.db import connect
from tests.samples import fail_at_batch

COMPARED = "SELECT * EXCLUDE (ingest_id, loaded_at) FROM {} ORDER BY line"


@pytest.fixture(scope="module")
def registrations(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("batches")
    summary = generate(root / "inbox", entities=300, seed=11)
    source = next((root / "inbox" / "registrations").glob("*.csv"))
    lines = source.read_text(encoding="utf-8-sig").splitlines()
    header, body = lines[0], lines[1:]
    # a repeat of line 3 far below it (another batch), and a row whose code is broken
    broken = body[5].split(",", 1)
    rows = [*body, body[1], "91370306XXXXXXXXXX," + broken[1]]
    target = root / "registrations.csv"
    target.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    assert summary.paths
    return target


def _ingest(
    path: Path, stream: bool, monkeypatch: pytest.MonkeyPatch, db: Path, staged: bool = False, *more: Path
):
    monkeypatch.setattr(batches, "STREAM_BYTES", 0 if stream else 1 << 40)
    monkeypatch.setattr(batches, "BATCH_ROWS", 64)
    con = connect(db)
    for earlier in more:  # files ingested before, the same way
        ingest_file(con, "registrations", earlier, stage_above=0 if staged else 1 << 40)
    report = ingest_file(con, "registrations", path, stage_above=0 if staged else 1 << 40)
    assert not con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'fundrisk_stage%'"
    ).fetchall()
    tables = {
        t: con.execute(COMPARED.format(t)).fetchall() for t in ("registrations", "registrations_history")
    }
    tables["quarantine"] = con.execute("SELECT line, reason, raw FROM quarantine ORDER BY line").fetchall()
    tables["files"] = con.execute(
        "SELECT rows_read, rows_loaded, rows_quarantined FROM ingested_files"
    ).fetchall()
    con.close()
    return report, tables


@pytest.mark.slow
@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_batches_equal_the_whole_file(registrations, tmp_path, monkeypatch, encoding):
    path = tmp_path / "registrations.csv"
    path.write_bytes(registrations.read_text(encoding="utf-8").encode(encoding))
    whole, expected = _ingest(path, False, monkeypatch, tmp_path / "whole.duckdb")
    streamed, got = _ingest(path, True, monkeypatch, tmp_path / "stream.duckdb")
    assert whole.rows_read == streamed.rows_read > 4 * 64  # several batches
    assert streamed.rows_quarantined == whole.rows_quarantined == 2
    assert got == expected
    staged, kept = _ingest(path, True, monkeypatch, tmp_path / "staged.duckdb", True)  # a province's file
    assert kept == expected and staged.as_dict() | {"ingest_id": None} == streamed.as_dict() | {
        "ingest_id": None
    }
    reasons = [reason for _, reason, _ in got["quarantine"]]
    assert any(reason.startswith("文件内重复") and "与第3行相同" in reason for reason in reasons)


@pytest.mark.slow
def test_a_file_polars_refuses_midway_falls_back_to_the_tolerant_reader(registrations, tmp_path, monkeypatch):
    lines = registrations.read_text(encoding="utf-8").splitlines()
    lines.insert(250, lines[250] + ',"extra field')  # ragged record with a stray quote, in a later batch
    path = tmp_path / "registrations.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    whole, expected = _ingest(path, False, monkeypatch, tmp_path / "whole.duckdb")
    streamed, got = _ingest(path, True, monkeypatch, tmp_path / "stream.duckdb")
    assert got == expected
    assert streamed.rows_loaded + streamed.rows_quarantined == streamed.rows_read == whole.rows_read


@pytest.mark.slow
@pytest.mark.parametrize("staged", [False, True])
def test_a_batch_that_fails_leaves_nothing_behind(registrations, tmp_path, monkeypatch, staged):
    """One transaction spans the batches (or writes the staged file): a failure in a late batch undoes
    the early ones, and a staged file's staging tables go with it."""
    path = tmp_path / "registrations.csv"
    shutil.copy(registrations, path)
    monkeypatch.setattr(batches, "STREAM_BYTES", 0)
    monkeypatch.setattr(batches, "BATCH_ROWS", 64)
    con = connect(tmp_path / "f.duckdb")
    fail_at_batch(monkeypatch, 3, OSError("disk gone"))
    with pytest.raises(OSError, match="disk gone"):
        ingest_file(con, "registrations", path, stage_above=0 if staged else 1 << 40)
    for table in ("registrations", "registrations_history", "quarantine", "ingested_files"):
        assert con.execute(f"SELECT count(*) FROM {table}").fetchall() == [(0,)], table
    assert not con.execute("SELECT 1 FROM duckdb_tables() WHERE table_name LIKE 'fundrisk_stage%'").fetchall()


@pytest.mark.slow
def test_a_staged_update_counts_and_keeps_history_as_batches_do(registrations, tmp_path, monkeypatch):
    """A province's second file (some records changed, some restated, one new) staged or not: the same."""
    lines = registrations.read_text(encoding="utf-8").splitlines()
    header, body = lines[0], lines[1:-2]  # without the repeat and the broken code
    changed = [
        row.replace("有限公司", "有限责任公司", 1) if i % 7 == 0 else row for i, row in enumerate(body)
    ]
    second = tmp_path / "second.csv"
    second.write_text("\n".join([header, *changed]) + "\n", encoding="utf-8")
    first = tmp_path / "first.csv"
    shutil.copy(registrations, first)
    plain, expected = _ingest(second, True, monkeypatch, tmp_path / "plain.duckdb", False, first)
    staged, got = _ingest(second, True, monkeypatch, tmp_path / "staged.duckdb", True, first)
    assert plain.rows_updated > 0 and plain.rows_unchanged > 0
    assert (staged.rows_updated, staged.rows_unchanged) == (plain.rows_updated, plain.rows_unchanged)
    assert got == expected


@pytest.mark.slow
def test_a_streamed_file_with_a_title_block_keeps_its_line_numbers(registrations, tmp_path, monkeypatch):
    """The header is found below a title block in a streamed file, as in a file read whole."""
    text = registrations.read_text(encoding="utf-8")
    path = tmp_path / "registrations.csv"
    path.write_text("文昌湖区工商登记（2026年11月）,,\n,,\n" + text, encoding="utf-8")
    whole, expected = _ingest(path, False, monkeypatch, tmp_path / "whole.duckdb")
    streamed, got = _ingest(path, True, monkeypatch, tmp_path / "stream.duckdb")
    assert got == expected
    assert streamed.rows_loaded == whole.rows_loaded == 300
    reasons = [reason for _, reason, _ in got["quarantine"]]
    assert any("与第5行相同" in reason for reason in reasons)  # the header is line 3 of the file
    assert streamed.notes == whole.notes and any("标题行已跳过" in note for note in streamed.notes)


def test_a_streamed_header_mismatch_says_what_the_whole_file_reader_says(
    registrations, tmp_path, monkeypatch
):
    lines = registrations.read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace("统一社会信用代码", "社会信用代码号", 1)
    path = tmp_path / "registrations.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    messages = []
    for stream in (False, True):
        with pytest.raises(BadInput) as caught:
            _ingest(path, stream, monkeypatch, tmp_path / f"{stream}.duckdb")
        messages.append(str(caught.value))
    assert messages[0] == messages[1] and "文件中的表头" in messages[1]
