"""One history of runs: latest and previous run by start time (ids are random), features kept per run,
explain of the newest run, and restated input rows that are not updates."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from fundrisk.cli import app
from fundrisk.explain import explain
from fundrisk.inbox import discover
from fundrisk.ingest import ingest_file
from fundrisk.publish import export, update_ledger
from fundrisk.publish.report import build_report
from fundrisk.publish.subjects import EVIDENCE_COLUMNS, FEATURE_COLUMNS, resolve_run
from fundrisk.settings import Settings
from fundrisk.stages.sequence import run_stages
from fundrisk.synth import generate
from fundrisk.warehouse import connect
from fundrisk.warehouse.case_store import STATUSES
from fundrisk.warehouse.db import scalar
from fundrisk.warehouse.features_store import run_feature_columns
from fundrisk.warehouse.frames import read
from fundrisk.warehouse.publish_store import latest_run_id
from fundrisk.warehouse.runs_store import latest_run, previous_run, scored_runs, start_run
from tests.samples import VALID, write_kind

# Oldest first; the oldest id sorts last and the newest first, so ordering by id would be exactly wrong.
RUN_A, RUN_B, RUN_C = "Rf3a9c2e1b7d4", "R8b21d0c9e6a3", "R0c7e5a1f2b98"
NEW_INFLOW = 98_765_400.0
EXPLAIN_KEYS = {
    "uscc",
    "name",
    "score",
    "tier",
    "reasons",
    "alerts",
    "clues",
    "run_id",
    "scored_at",
    "inspections",
    "actions",
    "status",
}
runner = CliRunner()


def _score_row(con: duckdb.DuckDBPyConnection, run_id: str, subject: str, at: dt.datetime) -> None:
    con.execute(
        "INSERT INTO risk_scores (run_id, subject_kind, subject_id, score, tier, scored_at)"
        " VALUES (?, 'registration', ?, 50, '中风险', ?)",
        [run_id, subject, at],
    )


def test_run_order_is_start_time_with_scoring_only_runs(con: duckdb.DuckDBPyConnection) -> None:
    t0 = dt.datetime(2026, 7, 1, 6, 30)
    for i, run in enumerate(["zz-first", "mm-second", "aa-fourth"]):
        start = t0 + dt.timedelta(days=[0, 1, 3][i])
        con.execute("INSERT INTO runs (run_id, started_at, status) VALUES (?, ?, 'success')", [run, start])
        _score_row(con, run, "S1", start + dt.timedelta(minutes=5))
    _score_row(con, "EVAL", "S1", t0 + dt.timedelta(days=2))  # scoring only: no runs row
    con.execute(  # started, never scored: not a scored run
        "INSERT INTO runs (run_id, started_at, status) VALUES ('zzz-running', ?, 'running')",
        [t0 + dt.timedelta(days=4)],
    )
    assert scored_runs(con) == ["zz-first", "mm-second", "EVAL", "aa-fourth"]
    assert latest_run(con) == latest_run_id(con) == resolve_run(con, None) == "aa-fourth"
    assert previous_run(con, "aa-fourth") == "EVAL" and previous_run(con, "EVAL") == "mm-second"
    assert previous_run(con, "zz-first") is None
    assert previous_run(con, "zzz-running") == "aa-fourth"  # a run not scored yet: the newest before it
    assert previous_run(con, "unknown") is None


def test_empty_database_has_no_latest_run(con: duckdb.DuckDBPyConnection) -> None:
    assert latest_run(con) is None and scored_runs(con) == []


def test_run_features_keep_every_export_column(con: duckdb.DuckDBPyConnection) -> None:
    kept = set(run_feature_columns(con))
    assert set(FEATURE_COLUMNS + EVIDENCE_COLUMNS) <= kept
    assert {"name", "town", "address", "industry", "as_of"} <= kept


# --- three pipeline runs with random ids ---------------------------------------------------------------


def _run(con: duckdb.DuckDBPyConnection, run_id: str, settings: Settings, inbox: Path) -> dict[str, object]:
    start_run(con, run_id, str(inbox), None)
    summary = run_stages(con, run_id, settings)
    update_ledger(con, run_id)
    return summary


def _changed_alert(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """A registered subject of run A with exactly one linked alert and no disposal yet: (uscc, alert_id)."""
    rows = read(
        con,
        """
        SELECT f.subject_id, min(l.source_id) AS alert_id FROM run_features f
        JOIN entity_links l ON l.uscc = f.subject_id AND l.source_kind = 'alert'
        WHERE f.run_id = ? AND f.subject_kind = 'registration' AND f.alert_count = 1
            AND f.subject_id NOT IN (SELECT uscc FROM actions)
        GROUP BY f.subject_id HAVING count(*) = 1 ORDER BY f.subject_id LIMIT 1
        """,
        [RUN_A],
    )
    return str(rows["subject_id"][0]), str(rows["alert_id"][0])


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """A district run three times; between runs one alert's inflow changes and old tiers are rewritten so
    that comparing with the wrong run would show."""
    root = tmp_path_factory.mktemp("history")
    summary = generate(root / "inbox", entities=600, seed=6)
    settings = Settings(registry_snapshot=summary.paths["registry_snapshot"])
    db = root / "f.duckdb"
    con = connect(db)
    for f in discover(root / "inbox"):
        ingest_file(con, f.kind, f.path)
    _run(con, RUN_A, settings, root / "inbox")
    subject, alert_id = _changed_alert(con)
    alert = read(
        con,
        "SELECT alert_id, account_name, strftime(alert_date, '%Y-%m-%d') AS alert_date, uscc, bank,"
        " alert_type, payer_count::VARCHAR AS payer_count FROM alerts WHERE alert_id = ?",
        [alert_id],
    ).to_dicts()[0]
    row = {k: "" if v is None else str(v) for k, v in alert.items()}
    row["inflow_amount"] = f"{NEW_INFLOW:.2f}"
    changed = ingest_file(con, "alerts", write_kind(root / "alerts-2.csv", "alerts", [row]))
    assert changed.rows_updated == 1
    _run(con, RUN_B, settings, root / "inbox")
    # Rewrite history: every subject 高风险 in A, none in B. "New 高风险" of run C must compare with B.
    con.execute("UPDATE risk_scores SET tier = '高风险', score = 1 WHERE run_id = ?", [RUN_A])
    con.execute("UPDATE risk_scores SET tier = '低风险', score = 2 WHERE run_id = ?", [RUN_B])
    summary_c = _run(con, RUN_C, settings, root / "inbox")
    con.close()
    yield {"db": db, "subject": subject, "summary_c": summary_c}


@pytest.mark.slow
def test_latest_and_previous_follow_start_time(history: dict[str, object]) -> None:
    con = connect(history["db"])
    assert scored_runs(con) == [RUN_A, RUN_B, RUN_C]
    assert latest_run(con) == resolve_run(con, None) == RUN_C
    assert previous_run(con, RUN_C) == RUN_B and previous_run(con, RUN_B) == RUN_A
    high = read(con, "SELECT name FROM risk_scores WHERE run_id = ? AND tier = '高风险'", [RUN_C])
    new_high = history["summary_c"]["scoring"]["new_high_risk"]  # type: ignore[index]
    assert high.height > 0 and sorted(new_high) == sorted(high["name"].to_list())
    assert set(read(con, "SELECT DISTINCT last_run FROM ledger_subjects")["last_run"]) == {RUN_C}
    assert update_ledger(con, RUN_B).get("stale") is True  # replaying an older run changes nothing
    con.close()


@pytest.mark.slow
def test_report_and_exports_use_the_newest_run(history: dict[str, object], tmp_path: Path) -> None:
    con = connect(history["db"])
    html = build_report(con)
    assert f"运行编号 {RUN_C}" in html
    history = html[html.index("三、历次运行") : html.index("四、处置进展")]  # by start time, labelled by date
    assert history.index(RUN_A) < history.index(RUN_B) < history.index(RUN_C)
    assert re.search(r"<td>20\d\d-\d\d-\d\d \d\d:\d\d(:\d\d)?</td>", history)
    export(con, "inspection-list", tmp_path / "list.xlsx")
    summary = list(openpyxl.load_workbook(tmp_path / "list.xlsx")["汇总"].iter_rows(values_only=True))
    assert any(r[0] == "运行批次" and r[1] == RUN_C for r in summary)
    con.close()


def _amount_of(path: Path, uscc: str) -> float:
    frame = pl.read_csv(path, infer_schema_length=0, encoding="utf8-lossy")
    row = frame.filter(pl.col("统一社会信用代码") == uscc)
    assert row.height == 1, f"{uscc} missing from {path.name}"
    return float(row["涉及金额(万元)"][0])


@pytest.mark.slow
def test_export_of_an_older_run_shows_that_runs_features(history: dict[str, object], tmp_path: Path) -> None:
    con = connect(history["db"])
    subject = str(history["subject"])
    kept = read(
        con,
        "SELECT run_id, inflow_yuan, claimed_amount_yuan FROM run_features WHERE subject_id = ? ORDER BY run_id",
        [subject],
    )
    inflow = dict(zip(kept["run_id"], kept["inflow_yuan"], strict=True))
    assert inflow[RUN_B] == inflow[RUN_C] == NEW_INFLOW != inflow[RUN_A]
    export(con, "inspection-list", tmp_path / "a.csv", run_id=RUN_A, min_tier="无")
    export(con, "inspection-list", tmp_path / "c.csv", run_id=RUN_C, min_tier="无")
    claimed = dict(zip(kept["run_id"], kept["claimed_amount_yuan"].fill_null(0.0), strict=True))[RUN_A]
    assert _amount_of(tmp_path / "a.csv", subject) == round(max(inflow[RUN_A], claimed) / 1e4, 2)
    assert _amount_of(tmp_path / "c.csv", subject) == round(NEW_INFLOW / 1e4, 2)
    con.close()


def _explained_subject(db: Path) -> str:
    """A 中/高风险 entity of run C with an inspection and actions; its stored reasons get a repeated line."""
    con = connect(db)
    code = str(
        con.execute(
            """
            SELECT s.subject_id FROM risk_scores s
            WHERE s.run_id = ? AND s.subject_kind = 'registration' AND s.tier IN ('高风险', '中风险')
                AND s.subject_id IN (SELECT uscc FROM inspections)
                AND s.subject_id IN (SELECT uscc FROM actions GROUP BY uscc HAVING count(*) > 1)
            ORDER BY s.score DESC LIMIT 1
            """,
            [RUN_C],
        ).fetchall()[0][0]
    )
    con.execute(
        "UPDATE risk_scores SET reasons = reasons || chr(10) || split_part(reasons, chr(10), 1)"
        " WHERE run_id = ? AND subject_id = ?",
        [RUN_C, code],
    )
    con.close()
    return code


@pytest.mark.slow
def test_explain_reports_the_newest_run_with_disposals(history: dict[str, object]) -> None:
    db = Path(str(history["db"]))
    code = _explained_subject(db)
    result = runner.invoke(app, ["explain", code, "--json", "--db", str(db)])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert set(body) == EXPLAIN_KEYS
    con = connect(db)
    score, scored_at = con.execute(
        "SELECT score, scored_at FROM risk_scores WHERE run_id = ? AND subject_id = ?", [RUN_C, code]
    ).fetchall()[0]
    inspections = read(
        con,
        "SELECT inspected_on, conclusion FROM inspections WHERE uscc = ? ORDER BY inspected_on DESC",
        [code],
    )
    actions = read(con, "SELECT action, action_on FROM actions WHERE uscc = ? ORDER BY action_on", [code])
    con.close()
    assert body["run_id"] == RUN_C and body["score"] == score > 2  # A and B were rewritten to 1 and 2
    assert dt.datetime.fromisoformat(body["scored_at"]) == scored_at.replace(microsecond=0)
    assert len(body["reasons"]) == len(set(body["reasons"])) and body["reasons"]
    assert [i["inspected_on"] for i in body["inspections"]] == [
        d.isoformat() for d in inspections["inspected_on"]
    ]
    assert [a["action_on"] for a in body["actions"]] == [d.isoformat() for d in actions["action_on"]]
    assert sorted(a["action"] for a in body["actions"]) == sorted(actions["action"])
    assert set(body["actions"][0]) == {"action", "action_on", "deadline"}
    assert body["status"] in STATUSES and body["status"] != "未核查"
    rich = runner.invoke(app, ["explain", code, "--db", str(db)])
    assert rich.exit_code == 0, rich.output
    assert f"评分批次：{RUN_C}" in rich.output and f"处置状态：{body['status']}" in rich.output
    assert "现场核查（最近在前）：" + body["inspections"][0]["inspected_on"] in rich.output
    assert "处置措施：" + body["actions"][0]["action_on"] in rich.output


@pytest.mark.slow
def test_explain_a_lead_has_the_same_keys(history: dict[str, object]) -> None:
    con = connect(history["db"])
    lead = con.execute(
        "SELECT subject_id FROM risk_scores WHERE run_id = ? AND subject_kind = 'lead' LIMIT 1", [RUN_C]
    ).fetchall()[0][0]
    body = explain(con, lead)
    con.close()
    assert set(body) == EXPLAIN_KEYS and body["run_id"] == RUN_C
    assert body["inspections"] == [] and body["actions"] == [] and body["status"] == "未核查"


# --- restated input rows --------------------------------------------------------------------------------


@pytest.mark.slow
def test_restated_rows_are_not_updates(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rows = [
        {"uscc": r["uscc"], "inspected_on": d, "conclusion": c}
        for r, d, c in zip(
            VALID["registrations"] * 2,
            ["2026-06-01", "2026-06-02", "2026-06-03", "2026-06-04"],
            ["确认非法集资", "未发现问题", "存在风险隐患", "未发现问题"],
            strict=False,
        )
    ]
    first = ingest_file(con, "inspections", write_kind(tmp_path / "a.csv", "inspections", rows))
    assert first.rows_loaded == 4 and first.rows_updated == 0
    changed = {**rows[3], "conclusion": "确认非法集资", "team": "第二核查组"}
    # Different bytes (xlsx, another order): three rows restated unchanged, one changed.
    second = ingest_file(
        con,
        "inspections",
        write_kind(tmp_path / "b.xlsx", "inspections", [rows[2], changed, rows[0], rows[1]]),
    )
    assert not second.skipped and second.rows_loaded == 4
    assert second.rows_updated == 1 and second.rows_unchanged == 3
    assert scalar(con, "SELECT count(*) FROM inspections_history") == 5
    assert scalar(con, "SELECT count(*) FROM inspections") == 4
    current = read(con, "SELECT conclusion, team, source_file FROM inspections ORDER BY inspected_on")
    assert current["conclusion"].to_list() == ["确认非法集资", "未发现问题", "存在风险隐患", "确认非法集资"]
    assert current["source_file"].to_list() == ["a.csv", "a.csv", "a.csv", "b.xlsx"]
    assert current["team"][3] == "第二核查组"
    updated = scalar(con, "SELECT rows_updated FROM ingested_files WHERE source_file = 'b.xlsx'")
    assert updated == 1
