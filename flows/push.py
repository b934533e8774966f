"""The weekly push flow: province-push CSV of risky entities the 金安工程 list does not hold yet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact

from flows.campaign_tasks import brief_task
from flows.pipeline import DB_TASK
from flows.steps import run_name, step
from fundrisk.exports import EXPORTS
from fundrisk.publish import export
from fundrisk.warehouse.db import session


@task(name=step("push"), **DB_TASK)  # type: ignore[call-overload]
def push_task(db: str, path: str, unit: str) -> dict[str, Any]:
    with session(db) as con:
        report = export(con, "province-push", Path(path), unit=unit)
    return {"file": str(report.path), "rows": report.rows}


def _push_run_name() -> str:
    return run_name("每周省推送")


@flow(name="fundrisk-weekly-push", flow_run_name=_push_run_name, log_prints=False)
def weekly_push(db: str, out_dir: str, unit: str) -> dict[str, Any]:
    """Export what has not been pushed yet (an empty file means nothing new this week), then the brief."""
    # fundrisk/exports.toml names the file; a second push the same day never replaces the first one's
    target = EXPORTS["province-push"].scheduled_path(Path(out_dir))
    result = push_task(db, str(target), unit)
    result["brief"] = brief_task(db, out_dir)["file"]  # 工作简报 of the week that just ended
    create_markdown_artifact(
        f"# 每周省推送\n\n本次推送 {result['rows']} 家主体，文件：`{result['file']}`。"
        f"\n\n本周工作简报：`{result['brief']}`。",
        key="fundrisk-weekly-push",
        description="每周省推送摘要",
    )
    return result
