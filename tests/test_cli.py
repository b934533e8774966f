"""The analyst-facing command: messages in Chinese, exit 0 / 2 / 1 as documented."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from fundrisk.cli import app
from tests.samples import write_kind

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


@pytest.mark.slow
def test_ingest_prints_counts(tmp_path):
    path = write_kind(tmp_path / "r.csv", "registrations")
    result = invoke("ingest", "registrations", str(path), "--db", str(tmp_path / "f.duckdb"))
    assert result.exit_code == 0, result.output
    assert "入库" in result.output and "r.csv" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest", "companies", "x.csv"], "未知的数据类型「companies」"),
        (["ingest", "alerts", "/nonexistent/a.csv"], "找不到文件"),
        (["run", "--inbox", "/nonexistent/inbox"], "收件箱文件夹「/nonexistent/inbox」不存在"),
    ],
)
def test_bad_input_exits_2_with_one_chinese_line(tmp_path, args, message):
    result = invoke(*args, "--db", str(tmp_path / "f.duckdb"))
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("错误：")]
    assert len(lines) == 1 and message in lines[0]


def test_usage_error_exits_2(tmp_path):
    assert invoke("ingest").exit_code == 2


def test_help_is_chinese():
    result = invoke("--help")
    assert result.exit_code == 0 and "非法集资" in result.output


@pytest.mark.slow
def test_busy_database_gives_a_clear_message(tmp_path):
    db = tmp_path / "f.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,time; c=duckdb.connect({str(db)!r}); print('ok', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        time.sleep(0.2)
        path = write_kind(tmp_path / "r.csv", "registrations")
        result = invoke("ingest", "registrations", str(path), "--db", str(db))
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 1
    assert "正被另一个进程" in result.stderr and "Traceback" not in result.output
