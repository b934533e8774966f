"""An export is not a disposal: the referral list needs pooling evidence, exporting it (or the push)
records 建议移送 / 已推送, and 移送公安 comes from the actions input only."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest

from fundrisk.inbox import discover
from fundrisk.ingest import ingest_file
from fundrisk.publish import export, update_ledger
from fundrisk.publish.police_referrals import RULES, referral_frame, select_referrals
from fundrisk.publish.report import build_report
from fundrisk.settings import Settings
from fundrisk.stages.sequence import run_stages
from fundrisk.synth import generate
from fundrisk.synth.alerts import TYPES, _profile
from fundrisk.warehouse import connect
from fundrisk.warehouse.db import scalar
from fundrisk.warehouse.frames import read
from scoring.config import legal
from scoring.factors import POOLING_TYPES
from tests.samples import U1, U2, make_uscc, write_kind

AMOUNT_YUAN, PEOPLE = legal().case.amount_yuan, legal().case.people  # 第三条 (legal.toml)

RUN = "R5d0e9a7c3b21"
RETAIL_TYPE = TYPES[3]  # the generator's retail profile is alerted as 频繁小额转入


def subjects(**columns: list[object]) -> pl.DataFrame:
    """Scored subjects as scored_subjects returns them (the columns the referral rule reads)."""
    n = len(next(iter(columns.values())))
    base: dict[str, list[object]] = {
        "subject_kind": ["registration"] * n,
        "subject_id": [f"S{i}" for i in range(n)],
        "tier": ["高风险"] * n,
        "score": [80.0] * n,
        "alert_count": [1] * n,
        "single_payer_alerts": [0] * n,
        "alert_types": [None] * n,
        "payer_count": [0] * n,
        "claimed_participants": [None] * n,
        "inflow_yuan": [0.0] * n,
        "outflow_yuan": [0.0] * n,
        "claimed_amount_yuan": [None] * n,
        "money_clue_count": [0] * n,
        "stability_terms": [None] * n,
        "latest_conclusion": [None] * n,
        "inspection_conclusion": [None] * n,
    }
    frame = pl.DataFrame({**base, **columns}, strict=False)
    people = pl.max_horizontal(pl.col("payer_count"), pl.col("claimed_participants").fill_null(0))
    amount = pl.max_horizontal(pl.col("inflow_yuan"), pl.col("claimed_amount_yuan").fill_null(0.0))
    return frame.with_columns(people.alias("people"), amount.alias("amount_yuan"))


CASES = [
    # (what, columns of one subject, referred, words the basis must hold)
    ("parcel station: 2,592 small payers", dict(alert_types=[RETAIL_TYPE], payer_count=[2592],
     inflow_yuan=[300_000.0], outflow_yuan=[200_000.0]), False, []),
    ("small inflows passed on", dict(alert_types=[RETAIL_TYPE], payer_count=[400],
     inflow_yuan=[300_000.0], outflow_yuan=[290_000.0]), True, ["人以上", "频繁小额转入"]),
    ("one big transfer", dict(alert_types=["大额转入"], payer_count=[1], single_payer_alerts=[1],
     inflow_yuan=[5_000_000.0], outflow_yuan=[1_000_000.0]), False, []),
    ("pooling alert, many payers", dict(alert_types=["分散转入集中转出"], payer_count=[312],
     inflow_yuan=[18_420_000.0], outflow_yuan=[16_500_000.0]), True, ["万元以上", "人以上", "多名对手方"]),
    ("pooling type on a single-payer alert", dict(alert_types=["快进快出"], payer_count=[1],
     single_payer_alerts=[1], inflow_yuan=[3_000_000.0], outflow_yuan=[2_900_000.0]), False, []),
    ("claimed amount in a money clue", dict(alert_count=[0], claimed_participants=[180],
     claimed_amount_yuan=[800_000.0], money_clue_count=[1]), True, ["人以上", "涉资金线索"]),
    ("claimed amount, not about money", dict(alert_count=[0], claimed_participants=[180],
     claimed_amount_yuan=[800_000.0], money_clue_count=[0]), False, []),
    ("headcount alone in clues", dict(alert_count=[0], claimed_participants=[900],
     money_clue_count=[2]), False, []),
    ("confirmed on site", dict(alert_count=[0], tier=["低风险"], latest_conclusion=["确认非法集资"]),
     True, ["确认非法集资"]),
    ("evidence but 低风险", dict(alert_types=["分散转入集中转出"], payer_count=[312], tier=["低风险"],
     inflow_yuan=[18_420_000.0]), False, []),
]  # fmt: skip


@pytest.mark.parametrize(("what", "columns", "referred", "words"), CASES, ids=[c[0] for c in CASES])
def test_referral_needs_pooling_evidence(
    what: str, columns: dict[str, list[object]], referred: bool, words: list[str]
) -> None:
    rows = select_referrals(subjects(**columns))
    assert rows.height == int(referred), what
    for word in words:
        assert word in rows["basis"][0], (what, rows["basis"][0])


def test_generator_retail_profile_is_never_referred() -> None:
    """Every alert the generator draws for a retail shop, even graded 高风险, stays off the list; the
    planted schemes' alerts with a threshold met are on it."""
    rng = np.random.default_rng(11)
    retail, planted = _profile(rng, "retail", 200), _profile(rng, "planted", 200)

    def frame(p: dict[str, np.ndarray]) -> pl.DataFrame:
        return subjects(
            alert_types=[TYPES[t] for t in p["type"].tolist()],
            payer_count=p["payers"].tolist(),
            inflow_yuan=p["inflow"].tolist(),
            outflow_yuan=p["out"].tolist(),
        )

    shops = frame(retail)
    assert (shops["people"] >= PEOPLE).sum() > 150  # the old headcount rule would refer most of them
    assert select_referrals(shops).height == 0
    schemes = frame(planted)
    meets = schemes.filter((pl.col("people") >= PEOPLE) | (pl.col("amount_yuan") >= AMOUNT_YUAN))
    assert select_referrals(schemes).height == meets.height > 0


def test_pooling_types_are_the_scoring_patterns() -> None:
    rules = RULES["alerts"]
    assert set(rules["pooling_types"]) | set(rules["pass_through_types"]) == set(POOLING_TYPES)


# --- a generated district: exports three times, the ledger and the report ------------------------------


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("referrals")
    summary = generate(root / "inbox", entities=800, seed=7)
    db = root / "f.duckdb"
    con = connect(db)
    for f in discover(root / "inbox"):
        ingest_file(con, f.kind, f.path)
    run_stages(con, RUN, Settings(registry_snapshot=summary.paths["registry_snapshot"]))
    update_ledger(con, RUN)
    con.close()
    return root


@pytest.fixture
def db(district: Path, tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    copy = tmp_path / "f.duckdb"
    shutil.copy(district / "f.duckdb", copy)
    con = connect(copy)
    yield con
    con.close()


@pytest.mark.slow
def test_retail_shops_of_the_district_are_not_referred(db: duckdb.DuckDBPyConnection, district: Path) -> None:
    truth = district / "inbox" / "truth"
    links = pl.read_csv(truth / "alert_links.csv", infer_schema_length=0)
    planted = pl.read_csv(truth / "entities.csv", infer_schema_length=0).filter(
        pl.col("is_planted") == "true"
    )
    retail = links.filter(pl.col("profile") == "retail")["true_uscc"].drop_nulls().unique()
    confirmed = read(db, "SELECT DISTINCT uscc FROM inspections WHERE conclusion = '确认非法集资'")["uscc"]
    shops = retail.filter(~retail.is_in(planted["uscc"].implode()) & ~retail.is_in(confirmed.implode()))
    assert shops.len() > 0
    # Grade every shop 高风险: the tier does not make a case, the evidence does.
    db.execute(
        "UPDATE risk_scores SET tier = '高风险' WHERE run_id = ? AND subject_id IN (SELECT unnest(?))",
        [RUN, shops.to_list()],
    )
    rows = referral_frame(db, RUN)
    assert rows.height > 0 and rows.filter(pl.col("uscc").is_in(shops.implode())).height == 0
    people = read(db, "SELECT subject_id, payer_count FROM run_features WHERE run_id = ?", [RUN])
    assert people.filter(pl.col("subject_id").is_in(shops.implode()))["payer_count"].max() >= PEOPLE
    assert rows["basis"].str.contains("集资证据|确认非法集资").all()


@pytest.mark.slow
def test_exports_record_proposals_never_disposals(db: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    referred_in_actions = scalar(db, "SELECT count(*) FROM actions WHERE action = '移送公安'")
    listed = referral_frame(db, RUN).height
    pushed = 0
    for i in range(3):
        assert export(db, "police-referrals", tmp_path / f"police-{i}.csv").rows == listed
        pushed += export(db, "province-push", tmp_path / f"push-{i}.xlsx").rows
        update_ledger(db, RUN)
    events = read(db, "SELECT subject_id, event, source FROM ledger_events")
    disposal = events.filter(pl.col("event") == "移送公安")
    assert disposal.height == referred_in_actions and (disposal["source"] == "actions").all()
    proposals = events.filter(pl.col("event") == "建议移送")
    assert proposals.height == listed > 0 and proposals["subject_id"].n_unique() == listed
    assert (proposals["source"] == "referral").all()
    sent = events.filter(pl.col("event") == "已推送")
    assert sent.height == pushed == scalar(db, "SELECT count(*) FROM pushes") > 0

    html = build_report(db)
    referred = scalar(db, "SELECT count(DISTINCT uscc) FROM actions WHERE action = '移送公安'")
    assert f"已移送公安 {referred} 家（据处置台账）" in html
    assert f"建议移送公安 {listed} 家" in html
    assert re.search(
        rf"已推送省金融监测运行中心 {scalar(db, 'SELECT count(DISTINCT uscc) FROM pushes')} 家", html
    )


@pytest.mark.slow
def test_old_database_export_events_are_renamed(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """A file written before this change: its exports recorded 移送公安 and 推送省监测中心."""
    for kind in ("registrations", "inspections", "actions"):
        ingest_file(con, kind, write_kind(tmp_path / f"{kind}.csv", kind))
    u9 = make_uscc(9)
    con.execute(
        "INSERT INTO ledger_events (subject_kind, subject_id, event, event_on, source) VALUES"
        " ('registration', ?, '移送公安', DATE '2026-06-20', 'referral'),"
        " ('registration', ?, '移送公安', DATE '2026-06-20', 'referral'),"
        " ('registration', ?, '推送省监测中心', DATE '2026-06-20', 'push')",
        [U1, u9, U2],
    )
    con.execute(
        "INSERT INTO risk_scores (run_id, subject_kind, subject_id, score, tier, scored_at)"
        " VALUES ('r1', 'registration', ?, 90, '高风险', now())",
        [U1],
    )
    before = build_report(con)  # not migrated yet: still counted apart from disposals
    assert "已移送公安 1 家" in before and "建议移送公安 2 家" in before  # U1 from actions; U1, u9 proposed
    update_ledger(con, "r1")
    events = read(con, "SELECT subject_id, event, source FROM ledger_events WHERE source <> 'actions'")
    assert sorted(events.select("event", "source").rows()) == [
        ("已推送", "push"),
        ("建议移送", "referral"),
        ("建议移送", "referral"),
    ]
    assert export(con, "police-referrals", tmp_path / "p.csv").rows == 1  # U1: 确认非法集资
    proposals = "SELECT count(*) FROM ledger_events WHERE event = '建议移送' AND subject_id = ?"
    assert scalar(con, proposals, [U1]) == 1  # the renamed event counts: not proposed twice
    assert "已移送公安 1 家" in build_report(con)
