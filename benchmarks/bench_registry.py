"""Registry look-ups against a loopback vendor that answers in 50 ms: concurrency cap vs sequential.

2,000 paid look-ups (天眼查 base-info calls, each cached in DuckDB as it arrives) run under the
client-side rate limit and concurrency cap; the sequential figure is timed on 100 look-ups and
extrapolated to 2,000 (said so in the table). The fake server records arrival times so the busiest
one-second window can be checked against the rate limit.

Run: ``.venv/bin/python -m benchmarks.bench_registry`` from the project root.
"""

from __future__ import annotations

import asyncio
from typing import Any

import polars as pl

from benchmarks.common import peak_rss_mb, print_table, timed
from enrichers.registry.limits import RateLimit, RetryPolicy
from enrichers.registry.lookup import LookupReport
from fundrisk.settings import Settings
from fundrisk.stages.registry import lookup_subjects, provider_for
from fundrisk.warehouse import connect
from fundrisk.warehouse.registry_store import RegistryStore, ensure_registry_tables
from tests.registry_servers import FakeVendor

LOOKUPS = 2000
SEQUENTIAL_SAMPLE = 100
LATENCY = 0.05
RATE = RateLimit(per_second=400.0, concurrency=24)


def busiest_second(times: list[float]) -> int:
    """Most requests whose arrival falls in any half-open one-second window."""
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] >= 1.0:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def _lookups(fake: FakeVendor, n: int, offset: int, rate: RateLimit) -> LookupReport:
    subjects = pl.DataFrame(
        {
            "uscc": [f"91370303MA{offset + i:07d}X" for i in range(n)],
            "name": [f"企业{offset + i}" for i in range(n)],
            "priority": [1.0] * n,
        }
    )
    settings = Settings(
        registry_provider="tianyancha",
        tianyancha_url=fake.url,
        tianyancha_token=fake.token,
        registry_concurrency=rate.concurrency,
        registry_rate_per_second=rate.per_second,
    )
    con = connect(":memory:")
    ensure_registry_tables(con)

    async def go() -> LookupReport:
        provider = provider_for(
            settings, rate=rate, retry=RetryPolicy(max_retries=2, base_delay=0.05), endpoints=("basic",)
        )
        try:
            return await lookup_subjects(subjects, provider, RegistryStore(con), budget=n)
        finally:
            await provider.aclose()

    try:
        return asyncio.run(go())
    finally:
        con.close()


def _row(mode: str, n: int, seconds: float, rate: RateLimit, times: list[float], note: str) -> dict[str, Any]:
    busiest = busiest_second(times)
    return {
        "mode": mode,
        "lookups": n,
        "seconds": seconds,
        "per_second": n / seconds if seconds else 0.0,
        "concurrency": rate.concurrency,
        "rate_limit": rate.per_second,
        "busiest_1s": busiest,
        "rate_ok": "yes" if busiest <= rate.per_second else "NO",
        "peak_rss_mb": peak_rss_mb(),
        "note": note,
    }


def run() -> list[dict[str, Any]]:
    rows = []
    with FakeVendor("tianyancha") as fake:
        fake.latency = LATENCY
        report, seconds = timed(lambda: _lookups(fake, LOOKUPS, 0, RATE))
        assert report.counts["fetched"] == LOOKUPS, report.summary()
        rows.append(_row("concurrent", LOOKUPS, seconds, RATE, fake.times, f"{report.requests} HTTP calls"))

    bound = RateLimit(per_second=100.0, concurrency=RATE.concurrency)
    with FakeVendor("tianyancha") as fake:
        fake.latency = LATENCY
        report, seconds = timed(lambda: _lookups(fake, 500, 2_000_000, bound))
        assert report.counts["fetched"] == 500, report.summary()
        rows.append(_row("rate-bound", 500, seconds, bound, fake.times, "limiter binding: 100/s"))

    sequential = RateLimit(per_second=RATE.per_second, concurrency=1)
    with FakeVendor("tianyancha") as fake:
        fake.latency = LATENCY
        report, seconds = timed(lambda: _lookups(fake, SEQUENTIAL_SAMPLE, 5_000_000, sequential))
        assert report.counts["fetched"] == SEQUENTIAL_SAMPLE, report.summary()
        scale = LOOKUPS / SEQUENTIAL_SAMPLE
        row = _row(
            "sequential",
            LOOKUPS,
            seconds * scale,
            sequential,
            fake.times,
            f"timed on {SEQUENTIAL_SAMPLE}, extrapolated x{scale:g}",
        )
        rows.append(row)
    return rows


if __name__ == "__main__":
    print_table(run())
