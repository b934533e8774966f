"""`fundrisk run` with the tianyancha provider pointed at a loopback fake: facts reach `explain`."""

from __future__ import annotations

import polars as pl
import pytest

from flows.pipeline import pipeline
from fundrisk.explain import explain
from fundrisk.synth import generate
from fundrisk.warehouse import connect
from tests import registry_servers
from tests.registry_servers import RISKY, FakeVendor

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]


def test_run_with_tianyancha_provider(tmp_path, monkeypatch):
    inbox, db = tmp_path / "inbox", str(tmp_path / "f.duckdb")
    generate(inbox, entities=1500, seed=21)
    alerts = pl.read_csv(inbox / "truth" / "alert_links.csv", infer_schema=False)
    target = alerts.filter(pl.col("profile") == "planted").drop_nulls("true_uscc")["true_uscc"][0]
    plain = registry_servers.company
    monkeypatch.setattr(
        registry_servers, "company", lambda key: {**RISKY, "uscc": key} if key == target else plain(key)
    )
    with FakeVendor("tianyancha") as fake:
        monkeypatch.setenv("FUNDRISK_REGISTRY_PROVIDER", "tianyancha")
        monkeypatch.setenv("FUNDRISK_TIANYANCHA_URL", fake.url)
        monkeypatch.setenv("FUNDRISK_TIANYANCHA_TOKEN", fake.token)
        monkeypatch.setenv("FUNDRISK_REGISTRY_RATE_PER_SECOND", "200")
        monkeypatch.setenv("FUNDRISK_REGISTRY_CONCURRENCY", "8")
        summary = pipeline(inbox=str(inbox), db=db)
        paid = fake.count
        assert summary["registry"]["provider"] == "tianyancha" and paid > 0
        again = pipeline(inbox=str(inbox), db=db)
        assert fake.count == paid  # the cache answers the re-run: nothing is paid twice
    assert again["registry"]["requests"] == 0
    con = connect(db)
    body = explain(con, target)
    con.close()
    registry = [r for r in body["reasons"] if r.startswith("工商信息")]
    assert any("非法吸收公众存款" in r or "经营异常" in r for r in registry), body["reasons"]
