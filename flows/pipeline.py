"""The main Prefect flow: ingest what is new in the inbox (later: enrich, score, publish).

Thin wiring only: every task calls a plain function. Results carry counts, never personal data,
and are not persisted. Tasks run one after another because the DuckDB file has one writer.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from fundrisk import __version__
from fundrisk.errors import BadInput, DatabaseBusy
from fundrisk.inbox import discover
from fundrisk.ingest import ingest_file
from fundrisk.publish import update_ledger
from fundrisk.publish.daily import publish_daily
from fundrisk.reports import run_summary_markdown, summarise_ingest
from fundrisk.settings import get_settings
from fundrisk.sources.spec import SCHEMA_VERSION
from fundrisk.stages.keywords import run_keywords
from fundrisk.stages.registry import run_registry
from fundrisk.stages.resolve import run_resolution
from fundrisk.stages.scoring import run_scoring
from fundrisk.stages.sentiment import run_sentiment
from fundrisk.warehouse.db import session
from fundrisk.warehouse.runs_store import finish_run, start_run


def retry_on_io(task: Any, task_run: Any, state: Any) -> bool:
    """Retry only when the database or the disk failed, never on bad input or a bug."""
    try:
        state.result()
    except (DatabaseBusy, OSError, duckdb.IOException):
        return True
    except Exception:
        return False
    return False


DB_TASK = dict(
    retries=3,
    retry_delay_seconds=[2, 5, 15],
    retry_condition_fn=retry_on_io,
    persist_result=False,
    cache_policy=NO_CACHE,
)


@task(name="登记运行", **DB_TASK)  # type: ignore[call-overload]
def begin_run(db: str, inbox: str) -> str:
    run_id = f"R{uuid.uuid4().hex[:12]}"
    with session(db) as con:
        start_run(con, run_id, inbox, str(flow_run.id) if flow_run.id else None)
    return run_id


@task(name="导入文件", task_run_name="导入 {kind}/{name}", **DB_TASK)  # type: ignore[call-overload]
def ingest_task(db: str, kind: str, path: str, name: str, run_id: str) -> dict[str, object]:
    """One file; a file that cannot be used at all is reported, not fatal for the run."""
    with session(db) as con:
        try:
            return ingest_file(con, kind, Path(path), run_id).as_dict()
        except BadInput as exc:
            return {"kind": kind, "source_file": name, "error": str(exc)}


def _registry(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, object]:
    """Network errors are retried inside the registry client; the task retries only on the database."""
    return run_registry(con, get_settings())


# summary key → (step shown in the Prefect UI, plain function of (connection, run_id)), in flow order.
STAGES: dict[str, tuple[str, Callable[[duckdb.DuckDBPyConnection, str], dict[str, Any]]]] = {
    "keywords": ("敏感词筛查", run_keywords),
    "sentiment": ("线索舆情分析", run_sentiment),
    "resolution": ("主体关联", run_resolution),
    "registry": ("工商信息查询", _registry),
    "scoring": ("风险评分", run_scoring),
    "ledger": ("更新动态管理台账", update_ledger),
}


@task(name="流水线步骤", task_run_name="{label}", **DB_TASK)  # type: ignore[call-overload]
def stage_task(db: str, key: str, label: str, run_id: str) -> dict[str, Any]:
    """One enrichment, scoring or ledger step on its own connection (the file has one writer)."""
    with session(db) as con:
        return STAGES[key][1](con, run_id)


@task(name="导出清单", **DB_TASK)  # type: ignore[call-overload]
def publish_task(db: str, run_id: str, out_dir: str) -> dict[str, str]:
    """The daily lists; the provincial push has its own weekly flow (flows/push.py)."""
    return publish_daily(Path(db), run_id, Path(out_dir))


@task(name="结束运行", **DB_TASK)  # type: ignore[call-overload]
def end_run(db: str, run_id: str, summary: dict[str, Any]) -> None:
    status = "success" if not summary["rejected_files"] else "partial"
    versions = {
        "fundrisk": __version__,
        "input_schema": SCHEMA_VERSION,
        "lexicon": str(summary.get("keywords", {}).get("lexicon_version", "")),
        "sentiment": str(summary.get("sentiment", {}).get("sentiment_version", "")),
        **{k: str(v) for k, v in summary.get("scoring", {}).get("versions", {}).items()},
    }
    with session(db) as con:
        finish_run(con, run_id, status, summary["input_hashes"], versions, summary)


@flow(name="fundrisk-pipeline", log_prints=False)
def pipeline(inbox: str, db: str, out_dir: str | None = None) -> dict[str, Any]:
    """Ingest every new file of the inbox, enrich, score, update the ledger and (with out_dir) publish."""
    logger = get_run_logger()
    files = discover(Path(inbox))
    run_id = begin_run(db, inbox)
    reports = [ingest_task(db, f.kind, str(f.path), f.path.name, run_id) for f in files]
    summary = summarise_ingest(run_id, reports)
    for key, (label, _) in STAGES.items():
        summary[key] = stage_task(db, key, label, run_id)
    if out_dir:
        summary["exports"] = publish_task(db, run_id, out_dir)
    end_run(db, run_id, summary)
    create_markdown_artifact(
        run_summary_markdown(summary), key="fundrisk-run-summary", description="本次运行摘要"
    )
    logger.info(
        "run %s: %d files, %d rows loaded, %d quarantined",
        run_id,
        summary["files"],
        summary["rows_loaded"],
        summary["rows_quarantined"],
    )
    return summary
