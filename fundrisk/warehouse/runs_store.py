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
