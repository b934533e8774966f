"""The `runs` table: one row per pipeline run, with what makes it reproducible.

A run also records the process that runs it (pid, host, the process's start time), so that the next
start can tell a run that is still going from one whose process was killed (OOM, kill -9, a reboot)
and mark the latter failed: see `fail_dead_runs`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket

import duckdb

from fundrisk.warehouse.db import transaction

DEAD_NOTE = "运行中断：进程已不存在，下次运行已重新执行"
# Rows a failed run may have left half-written; everything else a stage writes is replaced whole by the
# next run (current tables) or is idempotent per subject (ledger, export events).
PER_RUN_TABLES = ("risk_scores", "run_features")
_ACTIVE: set[str] = set()  # runs this process is executing now (a `fundrisk serve` process runs many)


def _process_started(pid: int) -> dt.datetime | None:
    """When the process `pid` started (None when it is gone or unknown): tells a reused pid apart."""
    try:
        import psutil

        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
        return dt.datetime.fromtimestamp(proc.create_time())
    except Exception:  # psutil missing, no such process, or no permission to look
        return None


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, inbox: str, flow_run_id: str | None) -> None:
    pid = os.getpid()
    con.execute(
        "INSERT INTO runs (run_id, started_at, status, flow_run_id, inbox, pid, hostname, process_started) "
        "VALUES (?, ?, 'running', ?, ?, ?, ?, ?)",
        [run_id, dt.datetime.now(), flow_run_id, inbox, pid, socket.gethostname(), _process_started(pid)],
    )
    _ACTIVE.add(run_id)


def _is_dead(pid: int | None, host: str | None, started: dt.datetime | None, run_id: str) -> bool:
    """True when the run's process is certainly gone; a run on another host is never judged from here.

    A run without a recorded process comes from a version that did not record one: it cannot be going on.
    """
    if pid is None:
        return True
    if host != socket.gethostname():
        return False
    if pid == os.getpid():
        return run_id not in _ACTIVE
    now_started = _process_started(pid)
    if now_started is None:
        return True
    return started is not None and abs((now_started - started).total_seconds()) > 1.0


def fail_dead_runs(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Mark every `running` run whose process is gone as failed and drop its half-written per-run rows.

    Called at the start of every pipeline run; returns the run ids it marked.
    """
    rows = con.execute(
        "SELECT run_id, pid, hostname, process_started FROM runs WHERE status = 'running' ORDER BY started_at"
    ).fetchall()
    dead = [str(r[0]) for r in rows if _is_dead(r[1], r[2], r[3], str(r[0]))]
    for run_id in dead:
        fail_run(con, run_id, DEAD_NOTE)
    return dead


def fail_run(con: duckdb.DuckDBPyConnection, run_id: str, note: str) -> None:
    """The run is failed: its status and note, and no scores that a finished run did not vouch for."""
    with transaction(con):
        for table in PER_RUN_TABLES:
            con.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])  # noqa: S608 — fixed names
        con.execute(
            "UPDATE runs SET status = 'failed', finished_at = coalesce(finished_at, ?), note = ? "
            "WHERE run_id = ?",
            [dt.datetime.now(), note, run_id],
        )
    _ACTIVE.discard(run_id)


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    status: str,
    input_hashes: list[str],
    versions: dict[str, str],
    summary: dict[str, object],
) -> None:
    con.execute(
        "UPDATE runs SET finished_at = ?, status = ?, input_hashes = ?, versions = ?, summary = ? WHERE run_id = ?",
        [
            dt.datetime.now(),
            status,
            json.dumps(sorted(input_hashes)),
            json.dumps(versions, ensure_ascii=False, sort_keys=True),
            json.dumps(summary, ensure_ascii=False, sort_keys=True),
            run_id,
        ],
    )
    _ACTIVE.discard(run_id)


# A run's place in history is its start time: run ids are random. A scoring-only run (benchmarks, tests
# calling stages.sequence.run_stages) has no `runs` row, so its first risk score stands in for its start.
# A failed run is no part of history (fail_run also drops its scores).
_SCORED_RUNS_SQL = """
WITH scored AS (SELECT run_id, min(scored_at) AS first_scored FROM risk_scores GROUP BY run_id)
SELECT s.run_id, coalesce(u.started_at, s.first_scored) AS started
FROM scored s LEFT JOIN runs u USING (run_id)
WHERE u.status IS DISTINCT FROM 'failed'
ORDER BY started NULLS FIRST, s.first_scored NULLS FIRST, s.run_id
"""


def scored_runs(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every run that has risk scores, oldest first (by start time; the id only breaks exact ties)."""
    return [str(row[0]) for row in con.execute(_SCORED_RUNS_SQL).fetchall()]


def latest_run(con: duckdb.DuckDBPyConnection) -> str | None:
    """The newest scored run: what explain, the report and the exports mean by "the latest run"."""
    runs = scored_runs(con)
    return runs[-1] if runs else None


def previous_run(con: duckdb.DuckDBPyConnection, run_id: str) -> str | None:
    """The scored run that started just before `run_id` (None for the first run)."""
    rows = con.execute(_SCORED_RUNS_SQL).fetchall()
    order = [str(r[0]) for r in rows]
    if run_id in order:
        index = order.index(run_id)
        return order[index - 1] if index > 0 else None
    started = con.execute("SELECT started_at FROM runs WHERE run_id = ?", [run_id]).fetchall()
    if not started:  # an unknown run: nothing to compare it with
        return None
    earlier = [str(r[0]) for r in rows if r[1] is not None and r[1] < started[0][0]]
    return earlier[-1] if earlier else None


def is_older_than_any(con: duckdb.DuckDBPyConnection, run_id: str, others: list[str]) -> bool:
    """True when one of `others` is a scored run that started after `run_id`."""
    order = scored_runs(con)
    if run_id not in order:
        return False
    position = order.index(run_id)
    return any(order.index(o) > position for o in others if o in order and o != run_id)
