"""Past one machine: the partitionable stages as Prefect tasks on a Dask cluster (prefect-dask).

The keyword scan (registrations and clues) and the clue-sentiment stage are pure polars and per row,
so they split by a hash of the subject's key. The flow exports each input table as N Parquet
partitions into a folder every worker sees (FUNDRISK_DASK_SHARED_DIR), each task reads its partition,
computes and writes Parquet results, and the flow loads them back: only the flow touches DuckDB.
Resolution, registry look-ups, scoring (one calibration over all labels) and the ledger stay in the
flow. Nothing here is imported unless a cluster was asked for, so the default path pays no Dask cost.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl
from prefect import flow, task, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import TaskRunner

from flows.steps import run_name, step
from fundrisk.settings import Settings
from fundrisk.stages.keywords import keyword_rows, sum_counts
from fundrisk.stages.sentiment import signal_rows
from fundrisk.warehouse.db import session
from fundrisk.warehouse.inputs_store import CLUE_SQL, REGISTRATION_SQL
from fundrisk.warehouse.partition_store import export_partitions, load_results

# input name -> (query, partition key, columns a task reads)
INPUTS = {
    "registrations": (REGISTRATION_SQL, "uscc", ("uscc", "name", "business_scope")),
    "clues": (CLUE_SQL, "clue_id", ("clue_id", "subject_name", "content")),
}
OUTPUT_TABLES = ("keyword_hits", "keyword_scores", "clue_signals")
WORKER_TASK: dict[str, Any] = dict(
    retries=2, retry_delay_seconds=[2, 5], persist_result=False, cache_policy=NO_CACHE
)
FLOW_TASK: dict[str, Any] = dict(persist_result=False, cache_policy=NO_CACHE)
EXTERNAL_PARTITIONS = 16  # on a cluster of unknown size: enough pieces to keep a few dozen cores busy


def task_runner(settings: Settings, workers: int | None, address: str | None) -> TaskRunner[Any] | None:
    """A DaskTaskRunner for the scheduler at `address` (or FUNDRISK_DASK_ADDRESS), else a local cluster
    of `workers` processes; None when neither is asked for (the single-process path)."""
    address = address or settings.dask_address
    if not address and not workers:
        return None
    from prefect_dask import DaskTaskRunner

    if address:
        return DaskTaskRunner(address=address)
    logging.getLogger("distributed").setLevel(logging.WARNING)  # the cluster's start-up chatter
    local = {"n_workers": workers, "threads_per_worker": 1, "processes": True, "silence_logs": logging.ERROR}
    return DaskTaskRunner(cluster_kwargs=local)


@contextmanager
def api_for_workers() -> Iterator[None]:
    """Let worker processes report to this process's ephemeral Prefect API.

    Without PREFECT_API_URL each Dask worker would start an ephemeral API of its own; the URL of the one
    this process runs is put in the settings that Prefect ships with every task. A multi-machine cluster
    needs a real `prefect server` that the workers can reach (README, "Past one machine").
    """
    from prefect.settings import PREFECT_API_URL, temporary_settings

    if PREFECT_API_URL.value():
        yield
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start()  # the instance this process's client already uses; a no-op when it is running
    with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
        yield


def partition_count(settings: Settings, workers: int | None, address: str | None) -> int:
    if settings.dask_partitions > 0:
        return settings.dask_partitions
    return EXTERNAL_PARTITIONS if (address or settings.dask_address) else max(2, 2 * (workers or 1))


def _read_part(folder: Path, columns: tuple[str, ...]) -> pl.DataFrame:
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    if not files:
        return pl.DataFrame(schema=dict.fromkeys(columns, pl.String))
    return pl.read_parquet(files).select(columns)


def _write(frame: pl.DataFrame, path: Path) -> None:
    """Write then rename, so a retried or killed task never leaves half a result file."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    frame.write_parquet(temp)
    os.replace(temp, path)


@task(name=step("part-scan"), task_run_name=step("part-scan", "分区{part}"), **WORKER_TASK)
def enrich_partition(root: str, part: int, run_id: str) -> dict[str, dict[str, Any]]:
    """One partition's keyword hits and scores and its clue signals, written as Parquet; counts only.

    Both stages in one task: a Prefect task run costs a few API round trips, so fewer, fuller tasks.
    """
    base, out = Path(root), Path(root) / "out"
    regs = _read_part(base / "registrations" / f"part={part}", INPUTS["registrations"][2])
    clues = _read_part(base / "clues" / f"part={part}", INPUTS["clues"][2])
    hits, scores, keywords = keyword_rows(regs, clues, run_id)
    signals, sentiment = signal_rows(clues, run_id)
    for table, frame in (("keyword_hits", hits), ("keyword_scores", scores), ("clue_signals", signals)):
        _write(frame, out / f"{table}-{part:04d}.parquet")
    return {"keywords": keywords, "sentiment": sentiment}


@task(name=step("part-export"), **FLOW_TASK)
def export_inputs(db: str, root: str, partitions: int) -> list[int]:
    """Both inputs as hashed Parquet partitions; returns the partition numbers that hold any row."""
    parts: set[int] = set()
    with session(db) as con:
        for name, (query, key, _) in INPUTS.items():
            parts |= set(export_partitions(con, query, key, partitions, Path(root) / name))
    (Path(root) / "out").mkdir(parents=True, exist_ok=True)
    return sorted(parts)


@task(name=step("part-load"), **FLOW_TASK)
def load_outputs(db: str, root: str, parts: list[int]) -> dict[str, int]:
    out = Path(root) / "out"
    loaded: dict[str, int] = {}
    with session(db) as con:
        for table in OUTPUT_TABLES:
            files = [out / f"{table}-{p:04d}.parquet" for p in parts]
            loaded[table] = load_results(con, table, files)
    return loaded


def _partitions_run_name() -> str:
    return run_name("分区筛查")


@flow(name="fundrisk-partitioned-enrichment", flow_run_name=_partitions_run_name, log_prints=False)
def partitioned_enrichment(db: str, run_id: str, partitions: int, root: str) -> dict[str, Any]:
    """Keyword scan and clue sentiment per partition on the task runner; the flow alone writes DuckDB."""
    try:
        parts = export_inputs(db, root, partitions)
        done = [f.result() for f in enrich_partition.map(unmapped(root), parts, unmapped(run_id))]
        keywords = sum_counts(d["keywords"] for d in done)
        sentiment = sum_counts(d["sentiment"] for d in done)
        load_outputs(db, root, parts)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if not parts:  # nothing to scan: the counts and versions a single-process run reports
        regs, clues = (_read_part(Path(root), columns) for _, _, columns in INPUTS.values())
        keywords = keyword_rows(regs, clues, run_id)[2]
        sentiment = signal_rows(clues, run_id)[1]
    return {"keywords": keywords, "sentiment": sentiment, "partitions": len(parts)}
