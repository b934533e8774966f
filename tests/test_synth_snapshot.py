"""The generator's offline registry snapshot: coverage, determinism, consistency with ground truth."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from enrichers.registry.base import FETCHED, NOT_FOUND, Subject
from enrichers.registry.facts import fact_frames
from enrichers.registry.snapshot import Snapshot, read_snapshot
from fundrisk.synth import GeneratedSummary, generate

pytestmark = pytest.mark.slow

ENTITIES = 3000


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> GeneratedSummary:
    return generate(tmp_path_factory.mktemp("snapshot"), entities=ENTITIES, seed=5)


@pytest.fixture(scope="module")
def records(demo: GeneratedSummary) -> dict[str, dict[str, Any]]:
    return {r["uscc"]: r for r in read_snapshot(demo.paths["registry_snapshot"])}


@pytest.fixture(scope="module")
def truth(demo: GeneratedSummary) -> pl.DataFrame:
    return pl.read_csv(demo.out / "truth" / "entities.csv", infer_schema=False).with_columns(
        pl.col("is_planted", "is_licensed_fi") == "true"
    )


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _red() -> pl.Expr:
    return (
        (pl.col("abnormal_count") > 0)
        | (pl.col("lawsuit_count") > 0)
        | pl.col("frequent_changes")
        | (pl.col("out_of_province") > 0)
    ).alias("red")


def test_snapshot_covers_every_registration(demo: GeneratedSummary, records: dict[str, Any]) -> None:
    path = demo.paths["registry_snapshot"]
    assert path == demo.out / "registry" / "registry_snapshot.jsonl"
    assert demo.rows["registry_snapshot"] == ENTITIES == len(records)
    regs = pl.read_csv(demo.paths["registrations"], infer_schema=False)
    assert set(regs["统一社会信用代码"]) == set(records)
    sample = records[regs["统一社会信用代码"][0]]
    assert sample["basic"]["name"] == regs["企业名称"][0]
    assert sample["basic"]["legal_rep"] == regs["法定代表人"][0]
    assert set(sample) >= {"basic", "abnormal", "lawsuits", "branches", "investments", "changes"}


def test_snapshot_is_deterministic_by_seed(demo: GeneratedSummary, tmp_path: Path) -> None:
    again = generate(tmp_path / "again", entities=ENTITIES, seed=5)
    assert _digest(again.paths["registry_snapshot"]) == _digest(demo.paths["registry_snapshot"])
    other = generate(tmp_path / "other", entities=ENTITIES, seed=6)
    assert _digest(other.paths["registry_snapshot"]) != _digest(demo.paths["registry_snapshot"])


def test_planted_mostly_flagged_licensed_clean(records: dict[str, Any], truth: pl.DataFrame) -> None:
    planted = truth.filter("is_planted")["uscc"].to_list()
    flags = fact_frames([records[u] for u in planted], "snapshot")["registry_flags"]
    share = flags.select(_red().mean()).item()
    assert share > 0.6, share

    fi = truth.filter("is_licensed_fi")["uscc"].to_list()
    assert fi
    for u in fi:
        assert not any(
            records[u][key] for key in ("abnormal", "lawsuits", "branches", "investments", "changes")
        )

    ordinary = truth.filter(~pl.col("is_planted") & ~pl.col("is_licensed_fi"))["uscc"].to_list()[:800]
    plain = fact_frames([records[u] for u in ordinary], "snapshot")
    ordinary_share = plain["registry_flags"].select(_red().mean()).item()
    assert 0 < ordinary_share < 0.12, ordinary_share
    assert not plain["registry_lawsuits"]["is_fundraising"].any()


def test_repeat_offenders_share_facts_with_priors(demo: GeneratedSummary, records: dict[str, Any]) -> None:
    repeats = pl.read_csv(demo.out / "truth" / "repeat_offenders.csv")
    assert repeats.height
    for row in repeats.iter_rows(named=True):
        new, prior = records[row["uscc"]], records[row["prior_uscc"]]
        mentioned = {c["before"] for c in new["changes"]} | {new["basic"]["legal_rep"]}
        assert prior["basic"]["legal_rep"] in mentioned or prior["name"] in mentioned


def test_snapshot_provider_reads_it_back(demo: GeneratedSummary, truth: pl.DataFrame) -> None:
    provider = Snapshot(demo.paths["registry_snapshot"])
    planted = truth.filter("is_planted").select("uscc", "name").rows()

    async def lookup_all() -> list[Any]:
        subjects = [Subject(u, n) for u, n in planted] + [Subject(None, "不存在的某某公司")]
        return [await provider.lookup(s, None) for s in subjects]

    results = asyncio.run(lookup_all())
    assert results[-1].status == NOT_FOUND
    assert all(r.status == FETCHED for r in results[:-1])
    frames = fact_frames([r.record for r in results[:-1]], "snapshot")
    for table in ("registry_abnormal", "registry_lawsuits", "registry_changes", "registry_related"):
        assert frames[table].height > 0, table
    laws = frames["registry_lawsuits"]
    assert laws["is_fundraising"].any() and laws["is_lending"].any()
    assert frames["registry_flags"]["reasons"].is_not_null().sum() > len(planted) // 2
    by_name = asyncio.run(provider.lookup(Subject(None, planted[0][1]), None))
    assert by_name.status == FETCHED
