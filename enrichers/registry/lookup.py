"""Spend registry look-ups where they matter: pre-screen, budget, cache, concurrency; outcomes as values.

The logic of one run's look-ups, without storage: ``Lookups.run`` asks the provider (through the cache
hooks it is given) and ``Lookups.outcome`` turns what came back into the per-subject look-up rows and the
fact frames. Writing them is the caller's (``fundrisk.stages.registry`` with its ``RegistryStore``), which
also writes a cancelled run's outcome, so a killed run still records what it knows.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

import polars as pl

from enrichers.registry.base import (
    CACHED,
    FAILED,
    FETCHED,
    NOT_QUERIED,
    SKIPPED_BUDGET,
    STATUS_LABELS,
    CacheHooks,
    LookupResult,
    RegistryProvider,
    Subject,
)
from enrichers.registry.facts import fact_frames, subject_id
from enrichers.registry.model import typed_record

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


class RegistryCache(CacheHooks, Protocol):
    """The cache a paid run reads first: the hooks, plus one read of every wanted subject up front."""

    def preload(self, provider: str, keys: list[str]) -> int: ...


@dataclass
class LookupOutcome:
    """What one run learned: the report, one look-up row per subject, and the facts of those found."""

    report: LookupReport
    lookups: list[dict[str, Any]]
    facts: dict[str, pl.DataFrame] | None
    subject_ids: list[str]


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


def covered(cache: CacheHooks, provider: str, endpoints: tuple[str, ...], key: str) -> bool:
    """True when the subject needs no paid call (basic known as not found, or every endpoint cached)."""
    basic = cache.get(provider, endpoints[0], key) if endpoints else None
    if basic is not None and basic[0] == "not_found":
        return True
    return all(cache.get(provider, e, key) is not None for e in endpoints)


class Lookups:
    """One run's look-ups: subjects with priority > 0, highest first; only paid calls use the budget."""

    def __init__(self, subjects: pl.DataFrame, provider: RegistryProvider, budget: int) -> None:
        self.started = time.perf_counter()
        self.provider = provider
        self.budget = budget
        self.wanted = _subjects(subjects)
        self.results: dict[str, LookupResult] = {}

    async def run(self, cache: RegistryCache) -> None:
        """Ask the provider for every wanted subject; paid answers go through ``cache`` as they arrive."""
        provider = self.provider
        if provider.paid:
            cache.preload(provider.name, [s.key for s, _ in self.wanted])
        queue: list[Subject] = []
        left = self.budget
        for subject, _ in self.wanted:
            if not provider.paid or covered(cache, provider.name, provider.endpoints, subject.key):
                queue.append(subject)
            elif left > 0:
                left -= 1
                queue.append(subject)
            else:
                self.results[subject.key] = LookupResult(subject, SKIPPED_BUDGET, detail="超出本次查询预算")
        if not provider.stopped:
            provider.prepare(queue)
        pending = iter(queue)

        async def worker() -> None:
            for subject in pending:
                try:
                    self.results[subject.key] = await provider.lookup(
                        subject, cache if provider.paid else None
                    )
                except Exception as exc:  # one subject's failure is recorded; the others go on  # noqa: BLE001
                    log.warning("%s 查询 %s 出错：%s", provider.name, subject.key, type(exc).__name__)
                    self.results[subject.key] = LookupResult(
                        subject, FAILED, detail=f"查询出错（{type(exc).__name__}），已跳过该主体"
                    )

        workers = max(1, provider.rate.concurrency if provider.paid else 1)
        await asyncio.gather(*(worker() for _ in range(workers)))

    def outcome(self) -> LookupOutcome:
        """What the run knows now (a subject never reached is 未查询): report, look-up rows and facts."""
        provider, results = self.provider, self.results
        for subject, _ in self.wanted:  # a cancelled run still records what it knows
            results.setdefault(subject.key, LookupResult(subject, NOT_QUERIED, detail="运行中断，未查询"))
        for r in results.values():
            if r.status in (CACHED, FETCHED) and r.record:
                r.record = typed_record(r.record)
        records, frames = _facts(results, provider.name)
        counts = Counter(r.status for r in results.values())
        report = LookupReport(provider.name, counts={s: counts.get(s, 0) for s in STATUSES})
        report.requests, report.retries = provider.stats.requests, provider.stats.retries
        report.message = provider.stopped
        report.seconds = time.perf_counter() - self.started
        priority = {s.key: p for s, p in self.wanted}
        rows = [
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
        ]
        return LookupOutcome(report, rows, frames if records else None, [subject_id(r) for r in records])


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
