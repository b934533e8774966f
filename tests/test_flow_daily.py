"""The daily path as the scheduler drives it, under the Prefect test harness: `pipeline(out_dir=…)` leaves
the three daily lists of its run in out_dir/<run_id>/, the weekly push flow writes the province CSV,
records every pushed row and pushes nothing twice, and `fundrisk demo` runs end to end in a subprocess.

The files are read back as an analyst would open them and checked against the run's scores in DuckDB.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from flows.pipeline import pipeline
from flows.push import weekly_push
from fundrisk.publish import export
from fundrisk.publish.daily import DAILY
from fundrisk.synth import generate
from fundrisk.warehouse import connect

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]

BOM = b"\xef\xbb\xbf"
RISKY = {"高风险", "中风险"}
PUSH_HEADERS = ["统一社会信用代码", "企业名称", "法定代表人", "注册地址", "所属行业", "风险等级", "风险评分"]
PUSH_HEADERS += ["主要风险因素", "线索来源", "涉及人数", "涉及金额(万元)", "推送单位", "推送日期"]
REFERRAL_HEADERS = ["统一社会信用代码", "主体名称", "法定代表人", "涉及人数", "涉及金额(万元)", "认定依据"]
INSPECTION_HEADERS = [
    "风险等级",
    "风险评分",
    "主体名称",
    "统一社会信用代码",
    "主体类型",
    "线索编号",
    "处置状态",
]
NON_LIST_SHEETS = {"汇总", "字段说明"}
FUNDRISK_BIN = Path(sys.executable).parent / "fundrisk"


@pytest.fixture(scope="module")
def daily(prefect_harness: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One generated district run once through the flow with an out dir (the scheduler's daily call)."""
    root = tmp_path_factory.mktemp("daily")
    generated = generate(root / "inbox", entities=600, seed=5)
    db, out = root / "f.duckdb", root / "exports"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FUNDRISK_REGISTRY_SNAPSHOT", str(generated.paths["registry_snapshot"]))
        summary = pipeline(inbox=str(root / "inbox"), db=str(db), out_dir=str(out))
    yield {"db": db, "out": out, "summary": summary, "root": root}


def scores(db: Path, run_id: str) -> pl.DataFrame:
    con = connect(db, read_only=True)
    try:
        return con.sql(
            "SELECT subject_kind, subject_id, tier FROM risk_scores WHERE run_id = ?", params=[run_id]
        ).pl()
    finally:
        con.close()


def list_rows(path: Path) -> pl.DataFrame:
    """The data sheets of an exported workbook (the summary and field-explanation sheets left out)."""
    sheets = pl.read_excel(path, sheet_id=0, infer_schema_length=0)
    parts = [frame for name, frame in sheets.items() if name not in NON_LIST_SHEETS]
    return pl.concat(parts, how="diagonal_relaxed") if parts else pl.DataFrame()


def codes(frame: pl.DataFrame, column: str = "统一社会信用代码") -> set[str]:
    return {c for c in frame[column].to_list() if c}


def test_pipeline_writes_the_daily_lists_of_its_run_into_the_out_dir(daily):
    summary, out = daily["summary"], daily["out"]
    run_id = summary["run_id"]
    folder = out / run_id
    assert set(summary["exports"]) == set(DAILY)
    for what, name in DAILY.items():
        assert Path(summary["exports"][what]) == folder / name and (folder / name).stat().st_size > 0
    graded = scores(daily["db"], run_id)
    assert graded.height > 0

    # warning list: exactly the run's 高风险 subjects, as a UTF-8 CSV with BOM
    warning_path = folder / DAILY["warning-list"]
    assert warning_path.read_bytes().startswith(BOM)
    warning = pl.read_csv(warning_path, infer_schema=False)
    high = graded.filter(pl.col("tier") == "高风险")
    assert warning.height == high.height > 0
    assert codes(warning) == set(high.filter(pl.col("subject_kind") == "registration")["subject_id"])

    # inspection list: subjects at 中风险 or above, each with the tier the run gave it
    inspection = list_rows(folder / DAILY["inspection-list"])
    assert inspection.height > 0 and set(INSPECTION_HEADERS) <= set(inspection.columns)
    tier_of = dict(zip(graded["subject_id"], graded["tier"], strict=True))
    keys = inspection.select(pl.coalesce(pl.col("统一社会信用代码"), pl.col("线索编号")).alias("k"))["k"]
    assert all(k in tier_of for k in keys), "a listed subject the run did not grade"
    assert [tier_of[k] for k in keys] == inspection["风险等级"].to_list()
    assert set(inspection["风险等级"]) <= RISKY
    # the same rows the analyst's own `fundrisk export inspection-list` gives for that run
    con = connect(daily["db"], read_only=True)
    try:
        again = export(con, "inspection-list", daily["root"] / "again.csv", run_id=run_id)
    finally:
        con.close()
    assert again.rows == inspection.height
    assert sorted(keys) == sorted(
        pl.read_csv(again.path, infer_schema=False)
        .select(pl.coalesce(pl.col("统一社会信用代码"), pl.col("线索编号")))
        .to_series()
    )

    # police referrals: the documented headers, only subjects of the run
    referrals = list_rows(folder / DAILY["police-referrals"])
    assert set(REFERRAL_HEADERS) <= set(referrals.columns)
    assert codes(referrals) <= set(graded["subject_id"])


def test_weekly_push_writes_the_csv_records_every_row_and_pushes_nothing_twice(daily, tmp_path):
    db, out, unit = tmp_path / "f.duckdb", tmp_path / "push", "测试区防范和处置非法集资工作领导小组办公室"
    shutil.copy(daily["db"], db)
    out.mkdir()
    first = weekly_push(db=str(db), out_dir=str(out), unit=unit)
    path = Path(first["file"])
    assert path.parent == out and path.name.startswith("省推送_") and path.suffix == ".csv"
    assert path.read_bytes().startswith(BOM)
    pushed = pl.read_csv(path, infer_schema=False)
    assert set(PUSH_HEADERS) <= set(pushed.columns)
    assert pushed.height == first["rows"] > 0
    assert set(pushed["推送单位"]) == {unit} and set(pushed["风险等级"]) <= RISKY
    assert Path(first["brief"]).suffix == ".docx" and Path(first["brief"]).stat().st_size > 0

    con = connect(db, read_only=True)
    try:
        recorded = con.sql("SELECT uscc, tier, unit FROM pushes").pl()
        events = con.execute("SELECT count(*) FROM ledger_events WHERE source = 'push'").fetchall()[0][0]
        listed = {
            r[0] for r in con.execute("SELECT uscc FROM provincial_list WHERE uscc IS NOT NULL").fetchall()
        }
    finally:
        con.close()
    assert recorded.height == pushed.height and set(recorded["uscc"]) == codes(pushed)
    assert set(recorded["unit"]) == {unit} and events == pushed.height
    assert not codes(pushed) & listed, "an entity the 金安工程 list already holds was pushed"

    second = weekly_push(db=str(db), out_dir=str(out), unit=unit)
    assert second["rows"] == 0
    assert pl.read_csv(second["file"], infer_schema=False).height == 0
    assert second["file"] != first["file"]  # the same day's first push stays as it went out
    assert pl.read_csv(path, infer_schema=False).height == first["rows"]
    con = connect(db, read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM pushes").fetchall()[0][0] == recorded.height
    finally:
        con.close()


def test_demo_runs_end_to_end_and_prints_where_everything_is(tmp_path):
    from prefect.settings import PREFECT_API_URL

    db, demo_dir, exports = tmp_path / "demo.duckdb", tmp_path / "demo", tmp_path / "exports"
    env = {k: v for k, v in os.environ.items() if k != "FUNDRISK_REGISTRY_SNAPSHOT"}
    env |= {
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),  # the session's test server: no startup
        "FUNDRISK_DEMO_DIR": str(demo_dir),
        "FUNDRISK_EXPORTS_DIR": str(exports),
    }
    done = subprocess.run(
        [str(FUNDRISK_BIN), "demo", "--db", str(db)],
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    con = connect(db, read_only=True)
    try:
        runs = con.execute("SELECT run_id, status FROM runs").fetchall()
        pushes = con.execute("SELECT count(*) FROM pushes").fetchall()[0][0]
    finally:
        con.close()
    assert len(runs) == 1 and runs[0][1] == "success"
    run_dir = exports / runs[0][0]
    written = sorted(p.name for p in run_dir.iterdir())
    for name in DAILY.values():
        assert name in written and str(run_dir / name) in done.stdout
    push_files = [n for n in written if n.startswith("省推送_") and n.endswith(".csv")]
    assert len(push_files) == 1 and pl.read_csv(run_dir / push_files[0], infer_schema=False).height == pushes
    assert (run_dir / "工作报告.html").stat().st_size > 0 and "工作报告" in done.stdout
    assert (demo_dir / "truth").is_dir() and str(demo_dir) in done.stdout
