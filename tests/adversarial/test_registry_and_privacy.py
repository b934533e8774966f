"""Issue 16, items 1, 4, 11, 12 and 13: a hostile registry vendor, secrets, personal data, rich markup.

Every case failed before the fix: registry outcomes after the first 100 look-ups crashed the frame
(ComputeError), deep JSON raised RecursionError, a 20 MB body was read whole, an echoed token was cut
before it was masked, 15-digit IDs / dashed, spaced, +86, full-width and landline numbers passed the
free-text mask, and data was read as rich markup. Vendors are the loopback fakes of tests/registry_servers.py.
"""

from __future__ import annotations

import asyncio
import tracemalloc
from pathlib import Path
from typing import Any

import duckdb
import httpx
import polars as pl
import pytest
from typer.testing import CliRunner

from enrichers.privacy import SECRET_PIECE, mask_text
from enrichers.registry.base import RegistryProvider
from enrichers.registry.limits import RateLimit, RetryPolicy
from enrichers.registry.lookup import LookupReport
from enrichers.registry.qichacha import Qichacha
from enrichers.registry.tianyancha import Tianyancha
from fundrisk.cli import app
from fundrisk.ingest import ingest_file
from fundrisk.publish.safety import protect
from fundrisk.settings import Settings
from fundrisk.stages.registry import enrich_registry, lookup_subjects
from fundrisk.synth.registry_snapshot import write_snapshot
from fundrisk.warehouse import connect
from fundrisk.warehouse.registry_store import RegistryStore, ensure_registry_tables
from tests.registry_servers import FakeVendor
from tests.samples import VALID, csv_bytes, make_uscc, table_rows

TOKEN = "tyc-7d1e9a2b4c6f8e0a-echo-me-not-5b3c9d"
KEY, SECRET = "qcc-key-4f9a1c7e2b6d", "qcc-secret-8d2e6b0a9f3c1e"
ORDINARY = 101  # more than polars' 100 rows of schema inference


def pieces(secret: str) -> set[str]:
    return {secret[i : i + SECRET_PIECE] for i in range(len(secret) - SECRET_PIECE + 1)}


def leaked(text: str, *secrets: str) -> list[str]:
    """Every piece of a credential (SECRET_PIECE characters) found in the text."""
    return sorted(p for s in secrets for p in pieces(s) if p in text)


def database_text(con: duckdb.DuckDBPyConnection) -> str:
    """Every VARCHAR value of every table, one string (what a leak check must read)."""
    columns = con.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE data_type = 'VARCHAR'"
    ).fetchall()
    parts = []
    for table, column in columns:
        rows = con.execute(f'SELECT string_agg("{column}", chr(10)) FROM "{table}"').fetchone()  # noqa: S608
        parts.append((rows or [None])[0] or "")
    return "\n".join(parts)


def _provider(vendor: str, fake: FakeVendor) -> RegistryProvider:
    client = httpx.AsyncClient(base_url=fake.url)
    policy: dict[str, Any] = dict(
        rate=RateLimit(per_second=0, concurrency=4),
        retry=RetryPolicy(max_retries=1, base_delay=0.01, max_delay=0.05),
        endpoints=("basic",),
    )
    if vendor == "tianyancha":
        return Tianyancha(client, TOKEN, **policy)
    return Qichacha(client, KEY, SECRET, **policy)


# fault for the look-ups after the first ORDINARY ones → expected status of those subjects
VENDOR_CASES = [
    pytest.param("tianyancha", "not_found", "not_found", id="tyc-not-found-after-100"),
    pytest.param("tianyancha", "500", "failed", id="tyc-http-500-after-100"),
    pytest.param("tianyancha", "429", "failed", id="tyc-http-429-after-100"),
    pytest.param("tianyancha", "quota", "not_queried", id="tyc-quota-after-100"),
    pytest.param("tianyancha", "malformed", "failed", id="tyc-malformed-after-100"),
    pytest.param("tianyancha", "deep", "failed", id="tyc-deep-json"),
    pytest.param("tianyancha", "huge", "failed", id="tyc-huge-declared"),
    pytest.param("tianyancha", "huge_stream", "failed", id="tyc-huge-streamed"),
    pytest.param("tianyancha", "echo", "failed", id="tyc-token-echo"),
    pytest.param("qichacha", "echo", "failed", id="qcc-key-secret-echo"),
    pytest.param("qichacha", "quota", "not_queried", id="qcc-quota-echo-after-100"),
    pytest.param("qichacha", "deep", "failed", id="qcc-deep-json"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("vendor", "fault", "expected"), VENDOR_CASES)
def test_hostile_vendor_after_100_lookups(vendor: str, fault: str, expected: str) -> None:
    codes = [make_uscc(i, "91370303") for i in range(ORDINARY + 4)]
    hostile = codes[ORDINARY:]
    subjects = pl.DataFrame(
        {
            "uscc": [None if fault == "not_found" and c in hostile else c for c in codes],
            "name": [f"查无此企业{i}有限公司" if c in hostile else f"企业{i}" for i, c in enumerate(codes)],
            "priority": [1000.0 - i for i in range(len(codes))],
        }
    )
    con = duckdb.connect(":memory:")
    ensure_registry_tables(con)
    with FakeVendor(vendor, token=TOKEN, key=KEY, secret=SECRET) as fake:
        fake.echo, fake.retry_after = True, "0"
        if fault != "not_found":
            fake.faults_by_key = dict.fromkeys(hostile, fault)
        measure = fault.startswith("huge")  # tracemalloc slows every other case threefold
        if measure:
            tracemalloc.start()
        try:
            report: LookupReport = asyncio.run(
                lookup_subjects(subjects, _provider(vendor, fake), RegistryStore(con), budget=1000)
            )
            peak = tracemalloc.get_traced_memory()[1] if measure else 0
        finally:
            tracemalloc.stop()
    rows = con.execute("SELECT subject_key, status, detail FROM registry_lookups").fetchall()
    by_key = {key: (status, detail) for key, status, detail in rows}
    assert len(by_key) == len(codes)
    keys = [s["uscc"] or s["name"] for s in subjects.iter_rows(named=True)]
    assert all(by_key[k][0] == "fetched" for k in keys[:ORDINARY])
    outcomes = {by_key[k][0] for k in keys[ORDINARY:]}
    assert outcomes == {expected}, (outcomes, [by_key[k][1] for k in keys[ORDINARY:]])
    assert all(by_key[k][1] for k in keys[ORDINARY:]), "every degraded look-up says why, in Chinese"
    if expected != "not_found":
        assert "部分完成" in report.summary()
    assert peak < 12 * 1024 * 1024, f"a vendor body was read whole: peak {peak / 1e6:.0f} MB"
    text = database_text(con) + report.summary() + str(report.message)
    assert not leaked(text, TOKEN, KEY, SECRET)


@pytest.mark.slow
def test_lookup_outcomes_typed_whatever_comes_first(con: duckdb.DuckDBPyConnection) -> None:
    """101 plain outcomes (null detail, null uscc), then a not-found one: one frame, no inference."""
    ensure_registry_tables(con)
    rows: list[dict[str, Any]] = [
        {"subject_key": f"企业{i}", "uscc": None, "name": f"企业{i}", "priority": 1, "status": "fetched",
         "status_label": "已查询", "detail": None}
        for i in range(ORDINARY)
    ]  # fmt: skip
    rows.append(
        {"subject_key": "X", "uscc": "91370303MA3C7Q2X1K", "name": "X", "priority": 2.5,
         "status": "not_found", "status_label": "查无此企业", "detail": "查无此企业"}
    )  # fmt: skip
    RegistryStore(con).record_lookups("tianyancha", rows)
    assert con.execute("SELECT count(*), count(detail) FROM registry_lookups").fetchone() == (ORDINARY + 1, 1)


SNAPSHOT_CASES = [
    pytest.param({"abnormal_total": "很多"}, "fetched", id="total-not-a-number"),
    pytest.param({"abnormal": {"listed_on": "2023-01-01"}}, "fetched", id="list-as-object"),
    pytest.param({"lawsuits": [1, "x", {"judged_on": 10**30, "title": 5}]}, "fetched", id="items-not-dicts"),
    pytest.param({"basic": "存续"}, "fetched", id="basic-not-an-object"),
    pytest.param(None, "not_found", id="snapshot-lacks-company"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("extra", "expected"), SNAPSHOT_CASES)
def test_snapshot_oddities_after_100_records(
    tmp_path: Path, extra: dict[str, Any] | None, expected: str
) -> None:
    codes = [make_uscc(i, "91370303") for i in range(ORDINARY + 1)]
    records = [
        {"uscc": c, "name": f"企业{i}", "basic": {"uscc": c, "name": f"企业{i}"}} for i, c in enumerate(codes)
    ]
    if extra is None:
        records.pop()
    else:
        records[-1] |= extra
    path = write_snapshot(tmp_path / "snapshot.jsonl", records)
    subjects = pl.DataFrame({"uscc": codes, "name": [f"企业{i}" for i in range(len(codes))]}).with_columns(
        pl.lit(5.0).alias("priority")
    )
    con = connect(":memory:")
    report = enrich_registry(con, subjects, Settings(registry_provider="snapshot", registry_snapshot=path))
    status = con.execute("SELECT status FROM registry_lookups WHERE subject_key = ?", [codes[-1]]).fetchone()
    assert status == (expected,)
    assert report.counts["fetched"] == ORDINARY + (expected == "fetched")
    con.close()


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_echoed_token_never_reaches_db_stderr_or_prefect(tmp_path: Path, monkeypatch, capfd) -> None:
    """A whole run against a vendor that echoes the token and fails every way: run ends, nothing leaks."""
    from prefect.settings import PREFECT_SERVER_DATABASE_CONNECTION_URL

    from flows.pipeline import pipeline
    from fundrisk.synth import generate

    inbox, db = tmp_path / "inbox", tmp_path / "f.duckdb"
    generate(inbox, entities=300, seed=3)
    with FakeVendor("tianyancha", token=TOKEN) as fake:
        fake.echo, fake.retry_after = True, "0"
        fake.script = ["echo", "deep", "huge_stream", "500", "429", "malformed", "echo", "huge"]
        fake.quota_after = 12
        for name, value in {
            "FUNDRISK_REGISTRY_PROVIDER": "tianyancha",
            "FUNDRISK_TIANYANCHA_URL": fake.url,
            "FUNDRISK_TIANYANCHA_TOKEN": TOKEN,
            "FUNDRISK_REGISTRY_RATE_PER_SECOND": "500",
            "FUNDRISK_REGISTRY_MAX_RETRIES": "1",
        }.items():
            monkeypatch.setenv(name, value)
        summary = pipeline(inbox=str(inbox), db=str(db))
        assert fake.count > 0
    captured = capfd.readouterr()
    con = duckdb.connect(str(db), read_only=True)
    status = con.execute("SELECT status FROM runs WHERE run_id = ?", [summary["run_id"]]).fetchone()
    text = database_text(con)
    con.close()
    assert status is not None and status[0] in ("success", "partial")
    assert summary["registry"]["partial"] and status[0] == "partial"
    assert "查询次数已用完" in summary["registry"]["summary"]
    assert not leaked(text, TOKEN), "token in the DuckDB file"
    assert not leaked(captured.err + captured.out, TOKEN), "token on stderr/stdout"
    prefect_db = Path(str(PREFECT_SERVER_DATABASE_CONNECTION_URL.value()).split("///", 1)[-1])
    assert prefect_db.is_file(), prefect_db  # Prefect's own database: artifacts, logs, events
    raw = b"".join(f.read_bytes() for f in prefect_db.parent.glob(prefect_db.name + "*"))
    assert "工商信息查询" in raw.decode("utf-8", errors="replace")  # the run summary artifact is there
    assert not leaked(raw.decode("utf-8", errors="replace"), TOKEN), "token in Prefect's database"


# Personal numbers in free text: (text, the digits that must disappear)
PERSONAL = [
    pytest.param("身份证370303900101123", "900101", id="id-15-digit"),
    pytest.param("电话138-1234-5678", "1234", id="mobile-dashed"),
    pytest.param("电话138 1234 5678", "1234", id="mobile-spaced"),
    pytest.param("联系+8613812345678", "1234", id="mobile-plus86"),
    pytest.param("联系 +86 138 1234 5678", "1234", id="mobile-plus86-spaced"),
    pytest.param("联系００８６１３８１２３４５６７８", "1234", id="mobile-0086-full-width"),
    pytest.param("电话１３８１２３４５６７８", "1234", id="mobile-full-width"),
    pytest.param("身份证３７０３０３１９９００１０１１２３４", "19900101", id="id-18-full-width"),
    pytest.param("办公室0533-7654321", "765", id="landline-dashed"),
    pytest.param("办公室(0533)7654321", "765", id="landline-parens"),
    pytest.param("办公室（0533）76543210", "7654", id="landline-full-width-parens"),
    pytest.param("账号6222021234567890123", "02123456", id="bank-card"),
    pytest.param("卡号6222 0212 3456 7890", "0212", id="bank-card-grouped"),
]


@pytest.mark.parametrize(("text", "hidden"), PERSONAL)
def test_free_text_masking_in_every_export_column(text: str, hidden: str) -> None:
    frame = pl.DataFrame(
        {"统一社会信用代码": ["91370303MA3C7Q2X1K"], "经营地址": [f"淄博市{text}号"], "法定代表人": [text],
         "风险提示": [f"据群众反映{text}"]}
    )  # fmt: skip
    safe = protect(frame, codes=["统一社会信用代码"])
    for column in ("经营地址", "法定代表人", "风险提示"):
        value = safe[column][0]
        assert hidden not in value and "*" in value, (column, value)
        assert value == protect(frame.select(column))[column][0]
    assert mask_text(safe["法定代表人"][0]) == safe["法定代表人"][0]  # idempotent
    assert mask_text(text) == safe["法定代表人"][0]  # the plain-str twin agrees with the export
    assert safe["统一社会信用代码"][0] == "91370303MA3C7Q2X1K"


def test_quarantine_reason_masks_before_it_cuts(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """A phone typed into a date column is shown masked in the quarantine reason, then cut."""
    row = dict(VALID["registrations"][0], established_on="13812345678")
    header, body = table_rows("registrations", [row], chinese=True)
    path = tmp_path / "工商登记.csv"
    path.write_bytes(csv_bytes(header, body))
    ingest_file(con, "registrations", path)
    reasons = [r for (r,) in con.execute("SELECT reason FROM quarantine").fetchall()]
    assert reasons and all("12345678" not in r for r in reasons) and any("138****5678" in r for r in reasons)


runner = CliRunner()
MARKUP = [
    pytest.param(["screen", "[/bold]理财产品"], "[/bold]理财产品", id="closing-tag-alone"),
    pytest.param(["screen", "[red]鑫盛财富[/red]"], "[red]鑫盛财富[/red]", id="colour-tags-in-name"),
    pytest.param(
        ["screen", "[link=http://x]保本高息[/link]"], "[link=http://x]保本高息[/link]", id="link-tag"
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(("args", "shown"), MARKUP)
def test_rich_markup_printed_literally(args: list[str], shown: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert shown in result.output


@pytest.mark.slow
def test_file_name_with_brackets_shown_whole(tmp_path: Path) -> None:
    header, body = table_rows("registrations", VALID["registrations"][:1], chinese=True)
    path = tmp_path / "工商登记[new].csv"
    path.write_bytes(csv_bytes(header, body))
    result = runner.invoke(app, ["ingest", "registrations", str(path), "--db", str(tmp_path / "f.duckdb")])
    assert result.exit_code == 0, result.output
    assert "工商登记[new].csv" in result.output
