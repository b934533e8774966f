"""The main Prefect flow: ingest what is new in the inbox, enrich, score, keep the ledger, publish.

Thin wiring only: every task calls a plain function. Results carry counts, never personal data,
and are not persisted. Tasks run one after another, except that on a large district within the memory
budget a stage starts as soon as the stages it needs are done (fundrisk/stages/sequence.py
`may_overlap`): each task has its own connection to the one DuckDB file in this process, and stages
that run side by side write different tables. With a Dask cluster (FUNDRISK_DASK_ADDRESS or
`--workers N`) the keyword and sentiment stages run per partition on it (flows/partitions.py).
Every start first marks runs whose process died as failed; a run that raises is marked failed too,
so the next run simply redoes what was not committed.

In the Prefect UI every task is named by an ASCII stage key and its Chinese label (flows/steps.py),
the flow run by the district and the time, and the progress lines are the run's log.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import sys
import uuid
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.exceptions import MissingContextError
from prefect.futures import PrefectFuture, wait
from prefect.runtime import flow_run

from flows.campaign_tasks import campaign_progress_task
from flows.steps import STEPS, run_name, step
from fundrisk import __version__
from fundrisk.allocator import release_freed_memory
from fundrisk.errors import BadInput, DatabaseBusy
from fundrisk.evidence import register_inbox_evidence
from fundrisk.inbox import InboxFile, discover
from fundrisk.ingest import ingest_file
from fundrisk.publish import update_ledger
from fundrisk.publish.daily import publish_daily
from fundrisk.reports import run_summary_markdown, summarise_ingest
from fundrisk.settings import get_settings
from fundrisk.sources.spec import SCHEMA_VERSION
from fundrisk.stages import sequence
from fundrisk.warehouse.db import DatabaseIOError, session
from fundrisk.warehouse.inputs_store import count_registrations
from fundrisk.warehouse.runs_store import fail_dead_runs, fail_run, finish_run, start_run


def retry_on_io(task: Any, task_run: Any, state: Any) -> bool:
    """Retry only when the database or the disk failed, never on bad input or a bug."""
    try:
        state.result()
    except (DatabaseBusy, OSError, DatabaseIOError):
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


def progress(line: str) -> None:
    """One plain line per step on stderr (the analyst sees where a long run is, a test can act on it),
    and the same line in the run's log, which the Prefect UI shows on the run page. The step before
    has ended: the memory it freed is handed back first, so it does not add to the next step's peak."""
    release_freed_memory()
    print(f"[{dt.datetime.now():%H:%M:%S}] {line}", file=sys.stderr, flush=True)
    with contextlib.suppress(MissingContextError):  # called outside a flow run
        get_run_logger().info(line)


@task(name=step("recover"), **DB_TASK)  # type: ignore[call-overload]
def recover_runs(db: str) -> list[str]:
    """Mark runs whose process is gone as failed (and drop their half-written scores and partitions)."""
    with session(db) as con:
        dead = fail_dead_runs(con)
    for run_id in dead:
        shutil.rmtree(get_settings().partition_root(db) / "partitions" / run_id, ignore_errors=True)
    return dead


@task(name=step("begin"), **DB_TASK)  # type: ignore[call-overload]
def begin_run(db: str, inbox: str) -> str:
    run_id = f"R{uuid.uuid4().hex[:12]}"
    with session(db) as con:
        start_run(con, run_id, inbox, str(flow_run.id) if flow_run.id else None)
    return run_id


@task(name=step("ingest"), task_run_name=step("ingest", "导入 {kind}/{name}"), **DB_TASK)  # type: ignore[call-overload]
def ingest_task(db: str, kind: str, path: str, name: str, run_id: str) -> dict[str, object]:
    """One file; a file that cannot be used at all is reported, not fatal for the run."""
    with session(db) as con:
        try:
            return ingest_file(con, kind, Path(path), run_id).as_dict()
        except BadInput as exc:
            return {"kind": kind, "source_file": name, "error": str(exc)}


@task(name=step("evidence"), **DB_TASK)  # type: ignore[call-overload]
def evidence_task(db: str, inbox: str, run_id: str) -> dict[str, int]:
    """Hash and register the case-file attachments under INBOX/evidence/<code or WZ-id>/ (counts only)."""
    with session(db) as con:
        return register_inbox_evidence(con, Path(inbox), run_id)


@task(name=step("stage"), task_run_name=step("{key}", "{label}"), **DB_TASK)  # type: ignore[call-overload]
def stage_task(db: str, key: str, label: str, run_id: str) -> dict[str, Any]:
    """One stage of fundrisk/stages/sequence.py on its own connection; its progress line as it starts."""
    progress(label)
    with session(db) as con:
        return sequence.stage(key).run(con, run_id, get_settings())


@task(name=step("plan"), **DB_TASK)  # type: ignore[call-overload]
def overlap_task(db: str) -> bool:
    """Whether the stages may run side by side on this database (its size, the memory budget)."""
    settings = get_settings()
    with session(db) as con:
        registrations = count_registrations(con)
    return sequence.may_overlap(registrations, settings.memory_limit_bytes(), settings.stage_overlap)


@task(name=step("ledger"), **DB_TASK)  # type: ignore[call-overload]
def ledger_task(db: str, run_id: str) -> dict[str, Any]:
    """The dynamic management ledger after the run's grading (publish/ledger.py)."""
    with session(db) as con:
        return update_ledger(con, run_id)


@task(name=step("publish"), **DB_TASK)  # type: ignore[call-overload]
def publish_task(db: str, run_id: str, out_dir: str) -> dict[str, str]:
    """The daily lists; the provincial push has its own weekly flow (flows/push.py)."""
    return publish_daily(Path(db), run_id, Path(out_dir))


@task(name=step("finish"), **DB_TASK)  # type: ignore[call-overload]
def end_run(db: str, run_id: str, summary: dict[str, Any]) -> None:
    partial = summary["rejected_files"] or summary.get("registry", {}).get("partial")  # enrichment incomplete
    status = "success" if not partial else "partial"
    versions = {
        "fundrisk": __version__,
        "input_schema": SCHEMA_VERSION,
        "lexicon": str(summary.get("keywords", {}).get("lexicon_version", "")),
        "sentiment": str(summary.get("sentiment", {}).get("sentiment_version", "")),
        **{k: str(v) for k, v in summary.get("scoring", {}).get("versions", {}).items()},
    }
    with session(db) as con:
        finish_run(con, run_id, status, summary["input_hashes"], versions, summary)


def abandon_run(db: str, run_id: str, exc: BaseException) -> None:
    """Mark a run that raised as failed; a database that cannot be reached is left to the next start."""
    try:
        with session(db) as con:
            fail_run(con, run_id, f"运行出错（{type(exc).__name__}），已标记为失败，下次运行将重新执行")
    except Exception:  # the original error is what matters; recover_runs catches the rest later
        get_run_logger().warning("运行 %s 未能标记为失败，下次运行开始时会处理", run_id)


def _steps(
    db: str, files: list[InboxFile], out_dir: str | None, run_id: str, dask: tuple[int | None, str | None]
) -> dict[str, Any]:
    """Every step after the run is registered, in order, with a progress line before each."""
    workers, dask_address = dask
    settings = get_settings()
    runner = None
    if workers or dask_address or settings.dask_address:
        from flows.partitions import task_runner

        runner = task_runner(settings, workers, dask_address)
    reports, early, overlap = _ingest(db, files, run_id, side_by_side=runner is None)
    summary = summarise_ingest(run_id, reports)
    if overlap:
        summary.update(_overlapped(db, run_id, early))
    else:
        partitioned = False
        for stage in sequence.STAGES:  # the one ordered list of stages
            if runner is not None and stage.partitioned:  # keywords and sentiment: one subflow on Dask
                if not partitioned:
                    summary.update(_partitioned(db, run_id, settings, runner, workers, dask_address))
                    partitioned = True
                continue
            summary[stage.key] = stage_task(db, stage.key, stage.label, run_id)
    progress(STEPS["ledger"])
    summary["ledger"] = ledger_task(db, run_id)
    # The week's progress reads tables the exports do not write (they write files): it is counted beside
    # them, not after them. Beside the ledger as well it gained nothing (measured at 1M).
    progress("百日清零进度")
    campaign = campaign_progress_task.submit(db, in_run=True)
    try:
        if out_dir:
            progress(STEPS["publish"])
            summary["exports"] = publish_task(db, run_id, out_dir)
    finally:
        wait([campaign])
    summary["campaign"] = campaign.result()
    return summary


Futures = dict[str, PrefectFuture[dict[str, Any]]]


def _ingest(
    db: str, files: list[InboxFile], run_id: str, side_by_side: bool
) -> tuple[list[dict[str, Any]], Futures, bool]:
    """Ingest the files in order; (reports, stages started early, whether stages run side by side).

    Side by side (`overlap_task`, decided once the registrations are in), a stage that reads only some
    input kinds (`Stage.reads`, needing no other stage) starts as soon as the last file of those kinds is
    in: the keyword scan and the clue sentiment run while the surveys and the rest are still ingested."""
    reports: list[dict[str, Any]] = []
    early: Futures = {}
    overlap: bool | None = None if side_by_side else False
    try:
        for i, f in enumerate(files):
            progress(f"导入 {f.kind}/{f.path.name}")
            reports.append(ingest_task(db, f.kind, str(f.path), f.path.name, run_id))
            left = {later.kind for later in files[i + 1 :]}
            if overlap is None and "registrations" not in left:
                overlap = overlap_task(db)
            for stage in sequence.STAGES if overlap else ():
                if stage.key not in early and sequence.ready_early(stage, left):
                    early[stage.key] = stage_task.submit(db, stage.key, stage.label, run_id)
    except BaseException:
        wait(list(early.values()))  # a stage started early ends before the run does
        raise
    if overlap is None:  # an empty inbox: the tables as they are decide
        overlap = overlap_task(db)
    return reports, early, overlap


def _overlapped(db: str, run_id: str, early: Futures) -> dict[str, Any]:
    """Every stage not started `early` submitted at once, each waiting for the stages it needs (the
    flow's thread pool runs the ones whose needs are done side by side); the results by stage key, in
    list order."""
    futures: Futures = {}
    for stage in sequence.STAGES:
        needs = [futures[key] for key in sequence.needs_of(stage)]
        if stage.key in early:
            futures[stage.key] = early[stage.key]
        else:
            futures[stage.key] = stage_task.submit(db, stage.key, stage.label, run_id, wait_for=needs)
    try:
        return {key: future.result() for key, future in futures.items()}
    finally:
        wait(list(futures.values()))  # a stage that failed leaves the others to end before the run does


def _partitioned(
    db: str, run_id: str, settings: Any, runner: Any, workers: int | None, address: str | None
) -> dict[str, Any]:
    """Keyword scan and clue sentiment per partition on the Dask task runner (a subflow)."""
    from flows.partitions import api_for_workers, partition_count, partitioned_enrichment

    partitions = partition_count(settings, workers, address)
    progress(f"敏感词筛查、线索舆情分析（{partitions} 个分区，Dask 并行）")
    root = str(settings.partition_root(db) / "partitions" / run_id)
    with api_for_workers():
        return dict(partitioned_enrichment.with_options(task_runner=runner)(db, run_id, partitions, root))


def _pipeline_run_name() -> str:
    return run_name("流水线")


@flow(name="fundrisk-pipeline", flow_run_name=_pipeline_run_name, log_prints=False)
def pipeline(
    inbox: str,
    db: str,
    out_dir: str | None = None,
    workers: int | None = None,
    dask_address: str | None = None,
) -> dict[str, Any]:
    """Ingest every new file of the inbox, enrich, score, update the ledger and (with out_dir) publish.

    `workers` starts a local Dask cluster of that many processes and `dask_address` (or
    FUNDRISK_DASK_ADDRESS) names a running scheduler; without either everything runs in this process.
    """
    logger = get_run_logger()
    files = discover(Path(inbox))
    progress("检查上次运行")
    recovered = recover_runs(db)
    if recovered:
        progress(f"发现 {len(recovered)} 次中断的运行（{'、'.join(recovered)}），已标记为失败，本次重新执行")
    run_id = begin_run(db, inbox)
    progress(f"开始运行 {run_id}")
    try:
        progress("登记证据材料")
        evidence = evidence_task(db, inbox, run_id)
        summary = _steps(db, files, out_dir, run_id, (workers, dask_address))
        summary["evidence"] = evidence
        summary["recovered_runs"] = recovered
        progress("结束运行")
        end_run(db, run_id, summary)
    except BaseException as exc:
        abandon_run(db, run_id, exc)
        raise
    create_markdown_artifact(
        run_summary_markdown(summary), key="fundrisk-run-summary", description="本次运行摘要"
    )
    logger.info(
        "运行 %s 完成：文件 %d 个，入库 %d 行，隔离 %d 行",
        run_id,
        summary["files"],
        summary["rows_loaded"],
        summary["rows_quarantined"],
    )
    return summary
