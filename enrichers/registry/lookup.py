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
from typing import Protocol, runtime_checkable

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
from enrichers.registry.columns import PY_WHITESPACE
from enrichers.registry.facts import build_frames, subject_id_expr
from enrichers.registry.model import typed_record
from enrichers.registry.records import TypedRecords, from_records_isolated
from enrichers.registry.snapshot_columns import ColumnAnswers

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


@runtime_checkable
class ColumnLookup(Protocol):
    """A free provider that answers every subject at once, records typed as frames (the snapshot)."""

    def lookup_columns(self, wanted: pl.DataFrame) -> ColumnAnswers: ...


class RegistryCache(CacheHooks, Protocol):
    """The cache a paid run reads first: the hooks, plus one read of every wanted subject up front."""

    def preload(self, provider: str, keys: list[str]) -> int: ...


@dataclass
class LookupOutcome:
    """What one run learned: the report, one look-up row per subject (LOOKUP_COLUMNS), and the facts of
    those found under their subject ids."""

    report: LookupReport
    lookups: pl.DataFrame
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


def _subjects(subjects: pl.DataFrame) -> pl.DataFrame:
    """idx, subject_key, uscc, name, priority: subjects with priority > 0, highest first, the first of each
    key (uscc, else name; both stripped as str.strip does, a blank uscc null, a blank key dropped)."""
    frame = subjects.with_columns(
        [pl.lit(None, pl.String).alias(c) for c in ("uscc", "name") if c not in subjects.columns]
    )
    uscc, name = (
        pl.col(c).cast(pl.String).fill_null("").str.strip_chars(PY_WHITESPACE) for c in ("uscc", "name")
    )
    return (
        frame.filter(pl.col("priority") > 0)
        .sort("priority", descending=True, maintain_order=True)
        .select(
            pl.when(uscc != "").then(uscc).alias("uscc"),
            name.alias("name"),
            pl.col("priority").cast(pl.Float64),
        )
        .with_columns(pl.coalesce("uscc", "name").alias("subject_key"))
        .filter(pl.col("subject_key") != "")
        .unique("subject_key", keep="first", maintain_order=True)
        .with_row_index("idx")
        .select(pl.col("idx").cast(pl.Int64), "subject_key", "uscc", "name", "priority")
    )


def covered(cache: CacheHooks, provider: str, endpoints: tuple[str, ...], key: str) -> bool:
    """True when the subject needs no paid call (basic known as not found, or every endpoint cached)."""
    basic = cache.get(provider, endpoints[0], key) if endpoints else None
    if basic is not None and basic[0] == "not_found":
        return True
    return all(cache.get(provider, e, key) is not None for e in endpoints)


class Lookups:
    """One run's look-ups: subjects with priority > 0, highest first; only paid calls use the budget.

    A free provider that answers in columns (``ColumnLookup``: the snapshot) is asked once for every
    subject unless ``columns`` is False (kept for the test that holds both paths to the same tables).
    """

    def __init__(
        self, subjects: pl.DataFrame, provider: RegistryProvider, budget: int, columns: bool = True
    ) -> None:
        self.started = time.perf_counter()
        self.provider = provider
        self.budget = budget
        self.columns = columns
        self.wanted_frame = _subjects(subjects)
        self.results: dict[str, LookupResult] = {}
        self.answers: ColumnAnswers | None = None
        self._wanted: list[tuple[Subject, float]] | None = None

    @property
    def wanted(self) -> list[tuple[Subject, float]]:
        """The wanted subjects as (Subject, priority), in order (the per-record path's view of wanted_frame)."""
        if self._wanted is None:
            rows = self.wanted_frame.select("uscc", "name", "priority").iter_rows()
            self._wanted = [(Subject(uscc, name), priority) for uscc, name, priority in rows]
        return self._wanted

    async def run(self, cache: RegistryCache) -> None:
        """Ask the provider for every wanted subject; paid answers go through ``cache`` as they arrive."""
        provider = self.provider
        if self.columns and not provider.paid and isinstance(provider, ColumnLookup):
            self.answers = provider.lookup_columns(self.wanted_frame)
            return
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

    def _report(self, statuses: pl.Series) -> LookupReport:
        provider = self.provider
        counts = dict(Counter(statuses.to_list()))
        report = LookupReport(provider.name, counts={s: counts.get(s, 0) for s in STATUSES})
        report.requests, report.retries = provider.stats.requests, provider.stats.retries
        report.message = provider.stopped
        report.seconds = time.perf_counter() - self.started
        return report

    def _rows(self, answers: pl.DataFrame, typed: TypedRecords) -> pl.DataFrame:
        """Look-up rows from answers (idx, status, detail): the found subjects' uscc is their subject id."""
        sids = typed.heads.select("idx", subject_id_expr().alias("sid"))
        rows = self.wanted_frame.join(answers, on="idx", how="left").join(sids, on="idx", how="left")
        details = [d for d in rows["detail"].unique().to_list() if d]
        scrubbed = {d: self.provider.scrub(d) for d in details}
        return rows.sort("idx").select(
            "subject_key",
            pl.coalesce("uscc", "sid").alias("uscc"),
            "name",
            "priority",
            "status",
            pl.col("status").replace_strict(STATUS_LABELS, return_dtype=pl.String).alias("status_label"),
            pl.when(pl.col("detail") != "")
            .then(pl.col("detail").replace_strict(scrubbed, default=None, return_dtype=pl.String))
            .alias("detail"),
        )

    def outcome(self) -> LookupOutcome:
        """What the run knows now (a subject never reached is 未查询): report, look-up rows and facts."""
        if self.answers is not None:
            answers, typed = self.answers.answers, self.answers.records
        else:
            answers, typed = self._dict_answers()
        rows = self._rows(answers, typed)
        report = self._report(rows["status"])
        if not typed.heads.height:
            return LookupOutcome(report, rows, None, [])
        ids = typed.heads.select(subject_id_expr().alias("sid"))["sid"].to_list()
        return LookupOutcome(report, rows, build_frames(typed, self.provider.name), ids)

    def _dict_answers(self) -> tuple[pl.DataFrame, TypedRecords]:
        """The per-subject results as answers and typed records (the per-record path: vendors, cancelled runs)."""
        results = self.results
        for subject, _ in self.wanted:  # a cancelled run still records what it knows
            results.setdefault(subject.key, LookupResult(subject, NOT_QUERIED, detail="运行中断，未查询"))
        place = {s.key: i for i, (s, _) in enumerate(self.wanted)}
        found = [r for r in results.values() if r.status in (CACHED, FETCHED) and r.record]
        for r in found:
            r.record = typed_record(r.record)
        typed = _typed(found, place)
        answers = pl.DataFrame(
            [(place[r.subject.key], r.status, r.detail) for r in results.values() if r.subject.key in place],
            schema={"idx": pl.Int64, "status": pl.String, "detail": pl.String},
            orient="row",
        )
        return answers, typed


def _typed(found: list[LookupResult], place: dict[str, int]) -> TypedRecords:
    """Typed records of the found results; a record whose rows cannot be built is marked failed, alone."""
    typed, failed = from_records_isolated(
        [r.record or {} for r in found], [place[r.subject.key] for r in found]
    )
    for r in found:
        why = failed.get(place[r.subject.key])
        if why is not None:
            r.status, r.record, r.detail = FAILED, None, why
    return typed
