"""Stage: look up in the corporate registry only the subjects whose signals make it worth paying for.

The wiring between the registry logic (enrichers/registry: providers, look-ups, facts, all without
storage or settings) and fundrisk: the configuration comes from Settings, the cache and the writes from
``RegistryStore``, and the registry's own errors become fundrisk's where an analyst sees them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from typing import Any

import polars as pl

from enrichers.registry.base import RegistryProvider
from enrichers.registry.config import RegistryConfig
from enrichers.registry.errors import ConfigError
from enrichers.registry.lookup import SIGNALS, LookupReport, Lookups, prescreen
from enrichers.registry.providers import is_configured, make_provider
from fundrisk.errors import BadInput
from fundrisk.settings import Settings
from fundrisk.warehouse.db import Connection, DatabaseError, release_cache
from fundrisk.warehouse.registry_store import RegistryStore, ensure_registry_tables, lookup_signals

log = logging.getLogger(__name__)
MIN_PRIORITY = 1.0  # at least one linked alert or clue, or a strong keyword score, before paying


def registry_config(settings: Settings) -> RegistryConfig:
    """The registry's plain configuration; ``vendor`` holds the chosen vendor's ``<vendor>_*`` settings."""
    kind = settings.registry_provider.strip().lower()
    values = settings.model_dump()
    vendor = {k.removeprefix(f"{kind}_"): v for k, v in values.items() if k.startswith(f"{kind}_")}
    return RegistryConfig(
        provider=settings.registry_provider,
        snapshot=settings.registry_snapshot,
        vendor={k: None if v is None else str(v) for k, v in vendor.items()},
        budget=settings.registry_budget,
        cache_days=settings.registry_cache_days,
        rate_per_second=settings.registry_rate_per_second,
        concurrency=settings.registry_concurrency,
        timeout_seconds=settings.registry_timeout_seconds,
        max_retries=settings.registry_max_retries,
        breaker_failures=settings.registry_breaker_failures,
    )


def provider_for(settings: Settings, **policy: Any) -> RegistryProvider:
    """The configured provider; an unknown provider name is the analyst's input to fix (BadInput, exit 2)."""
    try:
        return make_provider(registry_config(settings), **policy)
    except ConfigError as exc:
        raise BadInput(str(exc)) from None


async def lookup_subjects(
    subjects: pl.DataFrame,
    provider: RegistryProvider,
    store: RegistryStore,
    budget: int,
    *,
    columns: bool = True,
) -> LookupReport:
    """Look up subjects with priority > 0 (cache in ``store``), then record outcomes and facts, also
    when the look-ups were cancelled part-way. ``columns=False`` forces the per-record path (tests)."""
    lookups = Lookups(subjects, provider, budget, columns=columns)
    try:
        await lookups.run(store)
    finally:
        store.close_writer()
        outcome = lookups.outcome()
        store.record_lookups(provider.name, outcome.lookups)
        if outcome.facts is not None:
            outcome.report.facts = store.write_facts(outcome.facts, outcome.subject_ids)
        outcome.report.seconds = time.perf_counter() - lookups.started  # writes included
        log.info("%s", outcome.report.summary())
    return outcome.report


async def _run(con: Connection, subjects: pl.DataFrame, settings: Settings, columns: bool) -> LookupReport:
    config = registry_config(settings)
    provider = provider_for(settings)
    try:
        store = RegistryStore(con, config.cache_days)
        report = await lookup_subjects(subjects, provider, store, config.budget, columns=columns)
    finally:
        await provider.aclose()
    report.unconfigured = not is_configured(config)
    return report


def enrich_registry(
    con: Connection, subjects: pl.DataFrame, settings: Settings, *, columns: bool = True
) -> LookupReport:
    """Sync entry point: tables ensured, look-ups done, facts written, report returned."""
    ensure_registry_tables(con)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_run(con, subjects, settings, columns))
    # Called from inside an event loop: run on a worker thread with its own cursor (never share con).
    cursor = con.cursor()
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, _run(cursor, subjects, settings, columns)).result()
    finally:
        cursor.close()


def run_registry(con: Connection, settings: Settings, *, columns: bool = True) -> dict[str, object]:
    """Pre-screen, then look up within the budget; cached answers cost nothing. Counts only.

    Registry facts are an enrichment: a failure that is not the database's or the disk's makes the
    enrichment partial (``partial``, shown in the run summary and its status), never the run failed.
    ``columns=False`` makes the snapshot answer subject by subject, as vendors do (kept for one test).
    """
    signals = lookup_signals(con, SIGNALS, MIN_PRIORITY)  # a superset of the subjects, read in SQL
    release_cache(con)  # the province's signals were read: the snapshot's records need the room
    subjects = prescreen(signals).filter(pl.col("priority") >= MIN_PRIORITY)
    try:
        report = enrich_registry(con, subjects, settings, columns=columns)
    except (DatabaseError, OSError, BadInput):
        raise
    except Exception as exc:  # noqa: BLE001 - any other failure leaves the run to go on without facts
        line = f"工商信息查询出错（{type(exc).__name__}），本次运行未取得工商信息，其余步骤照常进行"
        log.warning("%s", line)
        return {"candidates": subjects.height, "counts": {}, "requests": 0, "message": line,
                "summary": line, "partial": True}  # fmt: skip
    return {
        "provider": report.provider,
        "candidates": subjects.height,
        "counts": dict(report.counts),
        "requests": report.requests,
        "message": report.message or "",
        "summary": report.summary(),
        "partial": report.incomplete > 0,
    }
