"""Spend registry look-ups where they matter: pre-screen, budget, cache, concurrency; facts to DuckDB."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import duckdb
import polars as pl

from enrichers.registry.base import (
    CACHED,
    FAILED,
    FETCHED,
    NOT_QUERIED,
    SKIPPED_BUDGET,
    STATUS_LABELS,
    LookupResult,
    RegistryProvider,
    Subject,
)
from enrichers.registry.client import make_client
from enrichers.registry.facts import fact_frames, subject_id
from enrichers.registry.limits import CircuitBreaker, RateLimit, RetryPolicy
from enrichers.registry.model import typed_record
from enrichers.registry.qichacha import Qichacha
from enrichers.registry.snapshot import Snapshot
from enrichers.registry.tianyancha import Tianyancha
from fundrisk.errors import BadInput
from fundrisk.settings import Settings
from fundrisk.warehouse.registry_store import RegistryStore, ensure_registry_tables

log = logging.getLogger(__name__)

SIGNALS = {"keyword_score": 0.02, "alert_count": 1.5, "clue_count": 1.0, "relation_count": 0.5}
STATUSES = ("cached", "fetched", "not_found", "failed", "skipped_budget", "not_queried")
INCOMPLETE = ("failed", "not_queried")  # subjects the run meant to look up and could not


@dataclass
class LookupReport:
    provider: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    requests: int = 0
    retries: int = 0
    message: str | None = None
    facts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    unconfigured: bool = False  # no snapshot or vendor credentials set: skipped by choice, not partial

    @property
    def aborted(self) -> bool:
        return self.message is not None

    @property
    def incomplete(self) -> int:
        """Subjects left without registry facts by a failure or a stop (the enrichment is partial)."""
        if self.unconfigured:
            return 0
        return sum(self.counts.get(s, 0) for s in INCOMPLETE)

    def summary(self) -> str:
        """One Chinese line for logs and the run summary."""
        parts = "，".join(f"{STATUS_LABELS[s]} {self.counts.get(s, 0)}" for s in STATUSES)
        line = f"工商信息查询（{self.provider}）：{parts}；实际请求 {self.requests} 次"
        if self.incomplete:
            line += f"；部分完成：{self.incomplete} 个主体未取得工商信息"
        return f"{line}。{self.message}" if self.message else line


def prescreen(registrations_with_signals: pl.DataFrame) -> pl.DataFrame:
    """Look-up priority from keyword_score (0–100), alert_count, clue_count, relation_count (missing = 0)."""
    frame = registrations_with_signals
    terms = [
        (pl.col(c).cast(pl.Float64, strict=False).fill_null(0).clip(lower_bound=0) * w)
        if c in frame.columns
        else pl.lit(0.0)
        for c, w in SIGNALS.items()
    ]
    return frame.with_columns(pl.sum_horizontal(terms).alias("priority")).sort(
        "priority", descending=True, maintain_order=True
    )


def _subjects(subjects: pl.DataFrame) -> list[tuple[Subject, float]]:
    frame = subjects.with_columns(
        [pl.lit(None, pl.String).alias(c) for c in ("uscc", "name") if c not in subjects.columns]
    )
    frame = frame.filter(pl.col("priority") > 0).sort("priority", descending=True, maintain_order=True)
    out: dict[str, tuple[Subject, float]] = {}
    for row in frame.select("uscc", "name", "priority").iter_rows(named=True):
        uscc = (row["uscc"] or "").strip() or None
        subject = Subject(uscc, (row["name"] or "").strip())
        if subject.key and subject.key not in out:
            out[subject.key] = (subject, float(row["priority"]))
    return list(out.values())


async def lookup_subjects(
    subjects: pl.DataFrame, provider: RegistryProvider, store: RegistryStore, budget: int
) -> LookupReport:
    """Look up subjects with priority > 0, highest first; only look-ups needing a paid call use budget."""
    started = time.perf_counter()
    wanted = _subjects(subjects)
    report = LookupReport(provider.name)
    if provider.paid:
        store.preload(provider.name, [s.key for s, _ in wanted])
    results: dict[str, LookupResult] = {}
    queue: list[Subject] = []
    left = budget
    for subject, _ in wanted:
        if not provider.paid or store.has_all(provider.name, provider.endpoints, subject.key):
            queue.append(subject)
        elif left > 0:
            left -= 1
            queue.append(subject)
        else:
            results[subject.key] = LookupResult(subject, SKIPPED_BUDGET, detail="超出本次查询预算")
    if not provider.stopped:
        provider.prepare(queue)
    pending = iter(queue)

    async def worker() -> None:
        for subject in pending:
            try:
                results[subject.key] = await provider.lookup(subject, store if provider.paid else None)
            except Exception as exc:  # one subject's failure is recorded; the others go on  # noqa: BLE001
                log.warning("%s 查询 %s 出错：%s", provider.name, subject.key, type(exc).__name__)
                results[subject.key] = LookupResult(
                    subject, FAILED, detail=f"查询出错（{type(exc).__name__}），已跳过该主体"
                )

    workers = max(1, provider.rate.concurrency if provider.paid else 1)
    try:
        await asyncio.gather(*(worker() for _ in range(workers)))
    finally:
        store.close_writer()
        for subject, _ in wanted:  # a cancelled run still records what it knows
            results.setdefault(subject.key, LookupResult(subject, NOT_QUERIED, detail="运行中断，未查询"))
        _finish(report, wanted, results, provider, store, started)
    return report


def _finish(
    report: LookupReport,
    wanted: list[tuple[Subject, float]],
    results: dict[str, LookupResult],
    provider: RegistryProvider,
    store: RegistryStore,
    started: float,
) -> None:
    for r in results.values():
        if r.status in (CACHED, FETCHED) and r.record:
            r.record = typed_record(r.record)
    records, frames = _facts(results, provider.name)
    counts = Counter(r.status for r in results.values())
    report.counts = {s: counts.get(s, 0) for s in STATUSES}
    report.requests, report.retries = provider.stats.requests, provider.stats.retries
    report.message = provider.stopped
    priority = {s.key: p for s, p in wanted}
    store.record_lookups(
        provider.name,
        [
            {
                "subject_key": r.subject.key,
                "uscc": r.subject.uscc or (subject_id(r.record) if r.record else None),
                "name": r.subject.name,
                "priority": priority.get(r.subject.key),
                "status": r.status,
                "status_label": STATUS_LABELS[r.status],
                "detail": provider.scrub(r.detail) if r.detail else None,
            }
            for r in results.values()
        ],
    )
    if records and frames is not None:
        report.facts = store.write_facts(frames, [subject_id(r) for r in records])
    report.seconds = time.perf_counter() - started
    log.info("%s", report.summary())


def _facts(
    results: dict[str, LookupResult], provider: str
) -> tuple[list[dict[str, Any]], dict[str, pl.DataFrame] | None]:
    """Records and their fact frames; a record whose rows cannot be built is marked failed, alone."""
    found = [r for r in results.values() if r.status in (CACHED, FETCHED) and r.record]
    records = [r.record for r in found if r.record]
    if not records:
        return [], None
    try:
        return records, fact_frames(records, provider)
    except Exception:  # noqa: BLE001 - find the subjects at fault, one by one
        good: list[dict[str, Any]] = []
        for r in found:
            try:
                fact_frames([r.record] if r.record else [], provider)
                good += [r.record] if r.record else []
            except Exception as exc:  # noqa: BLE001
                r.status, r.record = FAILED, None
                r.detail = f"工商信息无法整理入库（{type(exc).__name__}），已跳过该主体"
        return good, (fact_frames(good, provider) if good else None)


def make_provider(settings: Settings, **policy: Any) -> RegistryProvider:
    """The configured provider with its own client; ``policy`` overrides rate/retry/breaker/endpoints."""
    policy.setdefault("rate", RateLimit.from_settings(settings))
    policy.setdefault("retry", RetryPolicy.from_settings(settings))
    policy.setdefault("breaker", CircuitBreaker.from_settings(settings))
    kind = settings.registry_provider.strip().lower()
    if kind == "snapshot":
        return Snapshot(settings.registry_snapshot, **policy)
    if kind == "tianyancha":
        provider: RegistryProvider = Tianyancha(
            make_client(settings, settings.tianyancha_url), settings.tianyancha_token or "", **policy
        )
        if not settings.tianyancha_token:
            provider.stopped = "未配置天眼查令牌（FUNDRISK_TIANYANCHA_TOKEN），未查询工商信息"
        return provider
    if kind == "qichacha":
        provider = Qichacha(
            make_client(settings, settings.qichacha_url),
            settings.qichacha_key or "",
            settings.qichacha_secret or "",
            **policy,
        )
        if not (settings.qichacha_key and settings.qichacha_secret):
            provider.stopped = (
                "未配置企查查密钥（FUNDRISK_QICHACHA_KEY / FUNDRISK_QICHACHA_SECRET），未查询工商信息"
            )
        return provider
    raise BadInput(f"未知的工商信息来源「{settings.registry_provider}」，可选 snapshot、tianyancha、qichacha")


def is_configured(settings: Settings) -> bool:
    """Whether the run was given a registry source at all (a snapshot path, or the vendor's credentials)."""
    kind = settings.registry_provider.strip().lower()
    if kind == "tianyancha":
        return bool(settings.tianyancha_token)
    if kind == "qichacha":
        return bool(settings.qichacha_key and settings.qichacha_secret)
    return settings.registry_snapshot is not None


async def _run(con: duckdb.DuckDBPyConnection, subjects: pl.DataFrame, settings: Settings) -> LookupReport:
    provider = make_provider(settings)
    try:
        store = RegistryStore(con, settings.registry_cache_days)
        report = await lookup_subjects(subjects, provider, store, settings.registry_budget)
    finally:
        await provider.aclose()
    report.unconfigured = not is_configured(settings)
    return report


def enrich_registry(
    con: duckdb.DuckDBPyConnection, subjects: pl.DataFrame, settings: Settings
) -> LookupReport:
    """Sync entry point for the flow stage: tables ensured, look-ups done, facts written, report returned."""
    ensure_registry_tables(con)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_run(con, subjects, settings))
    # Called from inside an event loop: run on a worker thread with its own cursor (never share con).
    cursor = con.cursor()
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, _run(cursor, subjects, settings)).result()
    finally:
        cursor.close()
