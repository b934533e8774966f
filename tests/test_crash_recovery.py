"""A run killed with SIGKILL at any point leaves a clean state: the next run marks it failed and redoes
what was not committed, ending with the same tables and tiers as a run that was never interrupted.

The pipeline runs as `fundrisk run` in a subprocess against the session's Prefect test server; the test
reads the run's progress lines on stderr and kills the process when a given step starts.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from fundrisk.synth import generate
from fundrisk.warehouse import connect
from fundrisk.warehouse.runs_store import DEAD_NOTE, fail_dead_runs, start_run

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]

# Tables that hold current state or history: identical counts after a kill and a fresh run.
TABLES = (
    "registrations",
    "registrations_history",
    "alerts",
    "alerts_history",
    "clues",
    "clues_history",
    "provincial_list",
    "provincial_list_history",
    "inspections",
    "inspections_history",
    "actions",
    "actions_history",
    "ingested_files",
    "quarantine",
    "entity_links",
    "entity_relations",
    "link_review",
    "leads",
    "keyword_hits",
    "keyword_scores",
    "clue_signals",
    "risk_scores",
    "run_features",
    "ledger_subjects",
    "ledger_tiers",
    "ledger_events",
)
FUNDRISK_BIN = Path(sys.executable).parent / "fundrisk"


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    from prefect.settings import PREFECT_API_URL

    root = tmp_path_factory.mktemp("crash")
    summary = generate(root / "gen", entities=1500, seed=12)
    env = {
        **os.environ,
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),  # the session's test server: no startup per run
        "FUNDRISK_REGISTRY_SNAPSHOT": str(summary.paths["registry_snapshot"]),
    }
    return root / "gen", env


def run(inbox: Path, db: Path, env: dict[str, str], kill_at: str | None = None) -> list[str]:
    """`fundrisk run` in a subprocess; with kill_at, SIGKILL as soon as a progress line contains it."""
    out = db.parent / f"{db.stem}-exports"
    cmd = [str(FUNDRISK_BIN), "run", "--inbox", str(inbox), "--db", str(db), "--out", str(out)]
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, encoding="utf-8"
    )
    assert proc.stderr is not None
    lines = []
    for line in proc.stderr:
        lines.append(line.rstrip())
        if kill_at and kill_at in line:
            proc.send_signal(signal.SIGKILL)
            break
    proc.stderr.close()
    code = proc.wait(timeout=300)
    if kill_at:
        assert code == -signal.SIGKILL, f"the run ended before step {kill_at!r}: {lines}"
    else:
        assert code == 0, lines
    return lines


def state(db: Path) -> dict[str, object]:
    con = connect(db, read_only=True)
    try:
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in TABLES}
        links = con.execute(
            "SELECT source_kind, source_id, uscc, method, score FROM entity_links ORDER BY ALL"
        ).fetchall()
        latest = con.execute(
            """SELECT subject_kind, subject_id, tier, score FROM risk_scores
            WHERE run_id = (SELECT run_id FROM runs WHERE status <> 'failed' ORDER BY started_at DESC LIMIT 1)
            ORDER BY ALL"""
        ).fetchall()
        runs = con.execute("SELECT status, note FROM runs ORDER BY started_at").fetchall()
    finally:
        con.close()
    return {"counts": counts, "links": links, "latest": latest, "runs": runs}


@pytest.fixture(scope="module")
def reference(district: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory) -> dict:
    gen, env = district
    inbox = tmp_path_factory.mktemp("reference") / "inbox"
    shutil.copytree(gen, inbox)
    run(inbox, inbox.parent / "f.duckdb", env)
    return state(inbox.parent / "f.duckdb")


# (where the run is killed, the progress line that starts that step)
KILL_POINTS = [
    ("ingest", "导入 alerts/"),
    ("scoring", "风险评分"),
    ("publish", "导出清单"),
]


@pytest.mark.parametrize(("point", "line"), KILL_POINTS, ids=[p for p, _ in KILL_POINTS])
def test_a_killed_run_then_a_fresh_run_equals_an_uninterrupted_run(
    district: tuple[Path, dict[str, str]], reference: dict, tmp_path: Path, point: str, line: str
) -> None:
    gen, env = district
    inbox, db = tmp_path / "inbox", tmp_path / "f.duckdb"
    shutil.copytree(gen, inbox)
    run(inbox, db, env, kill_at=line)
    after_kill = state(db)
    assert after_kill["runs"] == [("running", None)], point  # killed: nobody could record anything
    lines = run(inbox, db, env)
    assert any("中断的运行" in x for x in lines), lines
    got = state(db)
    assert got["runs"] == [("failed", DEAD_NOTE), ("success", None)], point
    assert got["counts"] == reference["counts"], point
    assert got["links"] == reference["links"], point
    assert got["latest"] == reference["latest"], point
    for export in (tmp_path / "f-exports").rglob("[!.]*.*"):  # a killed export is whole or absent
        if export.suffix == ".xlsx":
            assert load_workbook(export, read_only=True).sheetnames, export
        else:
            assert export.read_text(encoding="utf-8-sig").count("\n") >= 1, export


def test_only_runs_whose_process_is_gone_are_marked_failed(tmp_path: Path) -> None:
    """A gone pid or a reused one (another start time) is dead; this live process and other hosts are not."""
    con = connect(tmp_path / "f.duckdb")
    start_run(con, "Ralive", "inbox", None)  # this very process, still running it
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    insert = (
        "INSERT INTO runs (run_id, started_at, status, pid, hostname, process_started) "
        "SELECT ?, now(), 'running', ?, coalesce(?, hostname), TIMESTAMP '2000-01-01' FROM runs "
        "WHERE run_id = 'Ralive'"
    )
    try:
        con.execute(insert, ["Rgone", gone.pid, None])
        con.execute(insert, ["Rreused", holder.pid, None])  # alive, but not the process that started it
        con.execute(insert, ["Rremote", gone.pid, "another-host"])  # cannot be judged from here
        con.execute("INSERT INTO runs (run_id, started_at, status) VALUES ('Rlegacy', now(), 'running')")
        assert sorted(fail_dead_runs(con)) == ["Rgone", "Rlegacy", "Rreused"]
        status = dict(con.execute("SELECT run_id, status FROM runs").fetchall())
        assert status == {
            "Ralive": "running",
            "Rgone": "failed",
            "Rreused": "failed",
            "Rremote": "running",
            "Rlegacy": "failed",  # left `running` by a version that did not record its process
        }
        notes = con.execute("SELECT DISTINCT note FROM runs WHERE status = 'failed'").fetchall()
        assert notes == [(DEAD_NOTE,)]
    finally:
        holder.kill()
        holder.wait()
        con.close()


def test_a_run_that_raises_is_marked_failed_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    from flows import pipeline as flow_module
    from fundrisk.stages import sequence
    from tests.samples import write_kind

    write_kind(tmp_path / "inbox" / "registrations" / "r.csv", "registrations")

    def scoring_bug(con: object, run_id: str, settings: object) -> dict[str, object]:
        raise RuntimeError("a bug in the scoring stage")

    # A stage that raises (not an I/O error, so not retried) after ingest and enrichment committed rows.
    stages = tuple(replace(s, run=scoring_bug) if s.key == "scoring" else s for s in sequence.STAGES)
    monkeypatch.setattr(sequence, "STAGES", stages)
    db = tmp_path / "f.duckdb"
    with pytest.raises(RuntimeError):
        flow_module.pipeline(inbox=str(tmp_path / "inbox"), db=str(db))
    con = connect(db, read_only=True)
    try:
        runs = con.execute("SELECT status, note FROM runs").fetchall()
        scores = con.execute("SELECT count(*) FROM risk_scores").fetchall()[0][0]
    finally:
        con.close()
    assert len(runs) == 1 and runs[0][0] == "failed" and runs[0][1].startswith("运行出错"), runs
    assert scores == 0
