"""The `runs` table: one row per pipeline run, with what makes it reproducible."""

from __future__ import annotations

import datetime as dt
import json

import duckdb


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, inbox: str, flow_run_id: str | None) -> None:
    con.execute(
        "INSERT INTO runs (run_id, started_at, status, flow_run_id, inbox) VALUES (?, ?, 'running', ?, ?)",
        [run_id, dt.datetime.now(), flow_run_id, inbox],
    )


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


# A run's place in history is its start time: run ids are random. A scoring-only run (benchmarks, tests
# calling stages.sequence.run_stages) has no `runs` row, so its first risk score stands in for its start.
_SCORED_RUNS_SQL = """
WITH scored AS (SELECT run_id, min(scored_at) AS first_scored FROM risk_scores GROUP BY run_id)
SELECT s.run_id, coalesce(u.started_at, s.first_scored) AS started
FROM scored s LEFT JOIN runs u USING (run_id)
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
