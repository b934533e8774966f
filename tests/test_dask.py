"""The pipeline on a two-worker Dask cluster gives the same tables as the single-process run."""

from __future__ import annotations

import logging

import pytest

from flows.pipeline import pipeline
from fundrisk.synth import generate
from fundrisk.warehouse import connect

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]

# table -> the columns that must agree (run ids differ between the two databases by design)
COMPARED = {
    "keyword_hits": "subject_kind, subject_id, field, term, category, weight, position, citation, lexicon_version",
    "keyword_scores": "subject_kind, subject_id, keyword_score, model_prob, hit_terms, top_terms, reason",
    "clue_signals": "clue_id, negativity, money_related, stability, stability_terms, reason, sentiment_version",
    "risk_scores": "subject_kind, subject_id, score, tier, reasons",
}


def rows(db, table: str) -> list[tuple]:
    con = connect(db, read_only=True)
    try:
        return con.execute(f"SELECT {COMPARED[table]} FROM {table} ORDER BY ALL").fetchall()
    finally:
        con.close()


def test_two_dask_workers_give_the_single_process_results(tmp_path, monkeypatch):
    from distributed import LocalCluster

    generated = generate(tmp_path / "inbox", entities=1000, seed=21)
    monkeypatch.setenv("FUNDRISK_REGISTRY_SNAPSHOT", str(generated.paths["registry_snapshot"]))
    monkeypatch.setenv("FUNDRISK_DASK_SHARED_DIR", str(tmp_path / "shared"))
    monkeypatch.setenv("FUNDRISK_DASK_PARTITIONS", "4")
    inbox = str(tmp_path / "inbox")
    single = tmp_path / "single.duckdb"
    alone = pipeline(inbox=inbox, db=str(single))
    assert "partitions" not in alone

    on_dask = tmp_path / "dask.duckdb"
    with LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None, silence_logs=logging.ERROR
    ) as cluster:
        summary = pipeline(inbox=inbox, db=str(on_dask), dask_address=cluster.scheduler_address)
        ran = {prefix for prefix in cluster.scheduler.task_prefixes}
    assert summary["partitions"] == 4
    assert any("enrich_partition" in p for p in ran), ran
    assert not list((tmp_path / "shared" / "partitions").glob("*")), "the run's partition folder is removed"
    for key in ("keywords", "sentiment"):
        assert summary[key] == alone[key], key
    for table in COMPARED:
        expected = rows(single, table)
        assert expected, table
        assert rows(on_dask, table) == expected, table


def test_default_path_imports_no_dask_and_the_runner_follows_the_settings():
    import subprocess
    import sys

    from flows.partitions import partition_count, task_runner
    from fundrisk.settings import Settings

    probe = "import sys, flows.pipeline, fundrisk.cli; print(any(m in sys.modules for m in ('distributed', 'dask')))"
    assert (
        subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout.strip()
        == "False"
    )
    plain = Settings(dask_address=None)
    assert task_runner(plain, None, None) is None
    local = task_runner(plain, 3, None)
    assert local is not None and local.cluster_kwargs["n_workers"] == 3
    assert partition_count(plain, 3, None) == 6
    remote = task_runner(Settings(dask_address="tcp://10.0.0.5:8786"), 3, None)  # the cluster wins
    assert remote is not None and remote.address == "tcp://10.0.0.5:8786"
    assert partition_count(Settings(dask_address="tcp://10.0.0.5:8786"), None, None) == 16
    assert partition_count(Settings(dask_partitions=5), 3, None) == 5
