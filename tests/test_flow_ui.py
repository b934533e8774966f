"""What the Prefect UI shows of a `fundrisk run`: task names an ASCII key first, the flow run named by
district and date, the progress lines as the run's log; and `run --json` is machine-readable.

`fundrisk run` runs in a child process (as an analyst starts it) against the session's test API.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from flows.steps import STEPS, district
from fundrisk.warehouse import connect
from tests.samples import write_kind

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]
ASCII_KEY = re.compile(r"^[a-z][a-z-]* · \S")


async def ui_view(flow_run_id: str) -> tuple[str, list[str], list[str]]:
    """The flow run's name, its task runs' names and its log messages, read back from the API."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, LogFilter, LogFilterFlowRunId

    async with get_client() as client:
        flow_run = await client.read_flow_run(flow_run_id)
        ids = FlowRunFilter(id=FlowRunFilterId(any_=[flow_run.id]))
        tasks = await client.read_task_runs(flow_run_filter=ids)
        logs = await client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run.id]))
        )
    return flow_run.name, [t.name for t in tasks], [log.message for log in logs]


def test_run_as_the_ui_shows_it(tmp_path: Path):
    from prefect.settings import PREFECT_API_URL

    inbox, db = tmp_path / "收件箱", tmp_path / "f.duckdb"
    for kind in ("registrations", "clues"):
        write_kind(inbox / kind / f"{kind}.csv", kind)
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())}
    result = subprocess.run(
        [sys.executable, "-m", "fundrisk.cli", "run", "--inbox", str(inbox), "--db", str(db), "--json"]
        + ["--out", str(tmp_path / "导出")],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)  # stdout is the JSON object and nothing else
    assert summary["files"] == 2 and summary["rows_loaded"] > 0 and summary["db"] == str(db)
    assert set(summary["per_kind"]) == {"registrations", "clues"}
    assert "Traceback" not in result.stderr

    con = connect(db)
    (flow_run_id,) = con.execute("SELECT flow_run_id FROM runs").fetchone()
    con.close()
    name, tasks, logs = asyncio.run(ui_view(flow_run_id))

    assert district() == "文昌湖区" and name.startswith(district())
    assert dt.date.today().isoformat() in name
    assert tasks and all(ASCII_KEY.match(t) for t in tasks), tasks
    keys = {t.split(" · ")[0] for t in tasks}
    assert {"recover", "begin", "ingest", "keywords", "resolution", "scoring", "publish", "finish"} <= keys
    assert keys <= set(STEPS)
    assert any(t.startswith("ingest · 导入 registrations/") for t in tasks)
    assert any("风险评分" in message for message in logs), logs  # progress lines reached the UI
    assert any(message.startswith("运行 ") and "完成" in message for message in logs)
