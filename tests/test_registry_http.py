"""Registry providers against real loopback HTTP servers speaking each vendor's documented shape."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import Counter
from typing import Any

import duckdb
import polars as pl
import pytest

from enrichers.registry.limits import RateLimit, RetryPolicy
from enrichers.registry.lookup import LookupReport
from fundrisk.settings import Settings
from fundrisk.stages.registry import enrich_registry, lookup_subjects, provider_for
from fundrisk.warehouse.registry_store import RegistryStore, ensure_registry_tables, registry_flags_for
from tests.registry_servers import CLEAN, MISSING_NAME, RISKY, FakeVendor

VENDORS = ["tianyancha", "qichacha"]
CALLS = {"tianyancha": 6, "qichacha": 5}  # endpoints per found company
FAST = RetryPolicy(max_retries=4, base_delay=0.01, max_delay=2.0)


def settings_for(fake: FakeVendor, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "registry_provider": fake.vendor,
        "tianyancha_url": fake.url,
        "tianyancha_token": fake.token,
        "qichacha_url": fake.url,
        "qichacha_key": fake.key,
        "qichacha_secret": fake.secret,
        "registry_rate_per_second": 1000.0,
        "registry_concurrency": 1,
        "registry_timeout_seconds": 0.3,
        "registry_max_retries": 4,
        "registry_breaker_failures": 3,
    }
    return Settings(**(values | overrides))


def subjects(*rows: tuple[str | None, str, float]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema={"uscc": pl.String, "name": pl.String, "priority": pl.Float64}, orient="row"
    )


THREE = subjects(
    (RISKY["uscc"], RISKY["name"], 3.0), (CLEAN["uscc"], CLEAN["name"], 2.0), (None, MISSING_NAME, 1.0)
)


def run(
    con: duckdb.DuckDBPyConnection,
    fake: FakeVendor,
    frame: pl.DataFrame,
    budget: int = 50,
    settings: Settings | None = None,
    **policy: Any,
) -> LookupReport:
    ensure_registry_tables(con)
    provider = provider_for(settings or settings_for(fake), **({"retry": FAST} | policy))
    store = RegistryStore(con, 30)

    async def go() -> LookupReport:
        try:
            return await lookup_subjects(frame, provider, store, budget)
        finally:
            await provider.aclose()

    return asyncio.run(go())


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(sql).fetchall()


@pytest.mark.slow
@pytest.mark.parametrize("vendor", VENDORS)
def test_facts_extracted_and_rerun_makes_zero_calls(con: duckdb.DuckDBPyConnection, vendor: str) -> None:
    with FakeVendor(vendor) as fake:
        report = run(con, fake, THREE)
        assert (report.counts["fetched"], report.counts["not_found"], report.counts["failed"]) == (2, 1, 0)
        assert fake.count == 2 * CALLS[vendor] + 1
        flags = registry_flags_for(con, RISKY["uscc"])
        assert flags is not None
        assert (flags["abnormal_count"], flags["abnormal_current"]) == (2, 1)
        assert (flags["fundraising_lawsuits"], flags["lending_lawsuits"]) == (1, 2)
        assert flags["legal_rep_changes_365"] == 3 and flags["frequent_changes"]
        assert flags["address_changes_365"] == 1
        assert "江苏省" in flags["provinces"] and flags["out_of_province"] >= 1
        assert "非法吸收公众存款" in flags["reasons"] and "一年内法定代表人变更 3 次" in flags["reasons"]
        reasons = {r[0] for r in rows(con, "SELECT case_reason FROM registry_lawsuits")}
        assert reasons == {"非法吸收公众存款", "民间借贷纠纷"}
        basic = rows(
            con, f"SELECT established_on, province FROM registry_basic WHERE uscc = '{RISKY['uscc']}'"
        )
        assert basic == [(dt.date(2019, 3, 1), "山东省")]
        if vendor == "tianyancha":
            assert "广东省" in flags["provinces"] and flags["investment_count"] == 1
        clean = registry_flags_for(con, CLEAN["uscc"])
        assert clean is not None and clean["reasons"] is None

        before = fake.count
        again = run(con, fake, THREE)
        assert fake.count == before, "a re-run must be served from the cache"
        assert (again.counts["cached"], again.counts["not_found"], again.requests) == (2, 1, 0)
        assert registry_flags_for(con, RISKY["uscc"]) is not None


@pytest.mark.slow
@pytest.mark.parametrize("vendor", VENDORS)
def test_throttle_429_5xx_and_timeouts_are_retried(con: duckdb.DuckDBPyConnection, vendor: str) -> None:
    with FakeVendor(vendor) as fake:
        fake.retry_after, fake.slow_seconds = "0.4", 0.6
        fake.script = ["throttle", "429", "500", "slow"]
        started = time.perf_counter()
        report = run(con, fake, subjects((CLEAN["uscc"], CLEAN["name"], 1.0)))
        assert report.counts["fetched"] == 1 and report.retries == 4
        assert time.perf_counter() - started >= 0.4, "Retry-After must be honoured"
        assert fake.count == CALLS[vendor] + 4


@pytest.mark.slow
@pytest.mark.parametrize("vendor", VENDORS)
def test_malformed_json_skips_only_that_entity(con: duckdb.DuckDBPyConnection, vendor: str) -> None:
    with FakeVendor(vendor) as fake:
        fake.malformed_keys = {RISKY["uscc"]}
        report = run(con, fake, THREE)
        assert (report.counts["failed"], report.counts["fetched"], report.counts["not_found"]) == (1, 1, 1)
        detail = rows(con, f"SELECT detail FROM registry_lookups WHERE subject_key = '{RISKY['uscc']}'")
        assert "无法解析" in detail[0][0]
        assert not report.aborted


@pytest.mark.slow
@pytest.mark.parametrize("vendor", VENDORS)
def test_quota_exhaustion_stops_the_run_and_keeps_what_was_paid(
    con: duckdb.DuckDBPyConnection, vendor: str
) -> None:
    with FakeVendor(vendor) as fake:
        fake.quota_after = CALLS[vendor]
        report = run(con, fake, THREE)
        assert report.aborted and "停止" in (report.message or "")
        assert (report.counts["fetched"], report.counts["not_queried"]) == (1, 2)
        assert fake.count == CALLS[vendor] + 1
        assert registry_flags_for(con, RISKY["uscc"]) is not None
        labels = {r[0] for r in rows(con, "SELECT status_label FROM registry_lookups")}
        assert "未查询" in labels

        fake.quota_after = None  # the account is topped up: resume without paying twice
        again = run(con, fake, THREE)
        assert (again.counts["cached"], again.counts["fetched"], again.counts["not_found"]) == (1, 1, 1)
        paid = Counter(
            (r["path"], r["query"].get("keyword") or r["query"].get("searchKey")) for r in fake.requests
        )
        repeated = {k: n for k, n in paid.items() if n > 1 and k[1] == RISKY["uscc"]}
        assert not repeated


@pytest.mark.slow
@pytest.mark.parametrize("vendor", VENDORS)
def test_wrong_credentials_abort_after_one_call(con: duckdb.DuckDBPyConnection, vendor: str) -> None:
    with FakeVendor(vendor) as fake:
        wrong = settings_for(fake, tianyancha_token="wrong-token", qichacha_secret="wrong-secret")
        report = run(con, fake, THREE, settings=wrong)
        assert report.aborted and report.counts["not_queried"] == 3 and fake.count == 1
        assert ("令牌" if vendor == "tianyancha" else "签名") in (report.message or "")


@pytest.mark.slow
def test_circuit_breaker_marks_the_rest_not_queried(con: duckdb.DuckDBPyConnection) -> None:
    with FakeVendor("tianyancha") as fake:
        fake.always = "500"
        many = subjects(*((f"91370303MA3C00{i:03d}X", f"企业{i}", 10.0 - i) for i in range(6)))
        report = run(con, fake, many, retry=RetryPolicy(max_retries=1, base_delay=0.01))
        assert (report.counts["failed"], report.counts["not_queried"]) == (3, 3)
        assert fake.count == 3 * 2
        assert "连续 3 次查询失败" in (report.message or "")


@pytest.mark.slow
@pytest.mark.parametrize("vendor", VENDORS)
def test_secrets_never_reach_logs_or_cache(
    con: duckdb.DuckDBPyConnection, vendor: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with FakeVendor(vendor) as fake:
        fake.script = ["throttle", "500"]
        run(con, fake, THREE)
        run(
            con,
            fake,
            subjects(("91370303MA3C00999X", "另一家", 1.0)),
            settings=settings_for(
                fake, tianyancha_token="bad-" + fake.token, qichacha_secret="bad-" + fake.secret
            ),
        )
    secrets = [fake.token, fake.key, fake.secret]
    assert "HTTP Request" in caplog.text  # httpx did log the requests...
    dumped = str(rows(con, "SELECT * FROM registry_cache")) + str(rows(con, "SELECT * FROM registry_lookups"))
    for secret in secrets:
        assert secret not in caplog.text  # ...with credentials masked
        assert secret not in dumped


@pytest.mark.slow
def test_killed_run_resumes_without_paying_twice(con: duckdb.DuckDBPyConnection) -> None:
    many = subjects(*((f"91370303MA3C01{i:03d}X", f"企业{i}", 10.0 - i) for i in range(8)))
    with FakeVendor("tianyancha") as fake:
        fake.latency = 0.02
        settings = settings_for(fake, registry_concurrency=2)

        async def killed() -> None:
            ensure_registry_tables(con)
            provider = provider_for(settings, retry=FAST)
            try:
                await asyncio.wait_for(lookup_subjects(many, provider, RegistryStore(con), 50), timeout=0.35)
            finally:
                await provider.aclose()

        with pytest.raises(TimeoutError):
            asyncio.run(killed())
        paid_before = fake.count
        assert 0 < paid_before < 8 * 6
        assert rows(con, "SELECT count(*) FROM registry_cache")[0][0] >= paid_before - 2
        report = run(con, fake, many, settings=settings)
        assert report.counts["cached"] + report.counts["fetched"] == 8
        paid = Counter((r["path"], r["query"]["keyword"]) for r in fake.requests)
        assert sum(n - 1 for n in paid.values()) <= 2, "at most the in-flight calls at kill time are repaid"


@pytest.mark.slow
def test_budget_spends_on_highest_priority_and_cache_hits_are_free(con: duckdb.DuckDBPyConnection) -> None:
    with FakeVendor("tianyancha") as fake:
        first = run(con, fake, THREE, budget=1)
        assert (first.counts["fetched"], first.counts["skipped_budget"]) == (1, 2)
        assert {r["query"]["keyword"] for r in fake.requests} == {RISKY["uscc"]}
        second = run(con, fake, THREE, budget=1)
        assert (second.counts["cached"], second.counts["fetched"], second.counts["skipped_budget"]) == (
            1,
            1,
            1,
        )
        zero = subjects((RISKY["uscc"], RISKY["name"], 0.0))
        assert sum(run(con, fake, zero).counts.values()) == 0


@pytest.mark.slow
def test_expired_cache_is_fetched_again(con: duckdb.DuckDBPyConnection) -> None:
    with FakeVendor("tianyancha") as fake:
        one = subjects((CLEAN["uscc"], CLEAN["name"], 1.0))
        run(con, fake, one)
        con.execute("UPDATE registry_cache SET fetched_at = fetched_at - INTERVAL 40 DAY")
        report = run(con, fake, one)
        assert report.counts["fetched"] == 1 and fake.count == 12
        assert rows(con, "SELECT count(*) FROM registry_cache")[0][0] == 12  # paid answers are kept
        run(con, fake, one)
        assert fake.count == 12


@pytest.mark.slow
def test_rate_limit_is_never_exceeded(con: duckdb.DuckDBPyConnection) -> None:
    many = subjects(*((f"91370303MA3C02{i:03d}X", f"企业{i}", 1.0) for i in range(30)))
    with FakeVendor("tianyancha") as fake:
        fake.latency = 0.01
        report = run(con, fake, many, rate=RateLimit(per_second=20, concurrency=4), endpoints=("basic",))
        assert report.counts["fetched"] == 30
        times = fake.times
        busiest = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
        assert busiest <= 20


@pytest.mark.slow
def test_enrich_registry_sync_wrapper_with_tianyancha(con: duckdb.DuckDBPyConnection) -> None:
    with FakeVendor("tianyancha") as fake:
        settings = settings_for(fake, registry_concurrency=3, registry_budget=2)
        report = enrich_registry(con, THREE, settings)
        assert report.counts["fetched"] == 2 and report.counts["skipped_budget"] == 1
        assert "工商信息查询" in report.summary()
        assert registry_flags_for(con, RISKY["uscc"]) is not None
