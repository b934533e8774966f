"""Stages side by side (fundrisk/stages/sequence.py `may_overlap`, flows/pipeline.py `_overlapped`).

The rule is pure and tested on its own; the flow test runs the same district twice through the Prefect
flow, once with the stages in order and once side by side, proves that keyword screening and entity
resolution really ran at the same time (each waits for the other to have started), that the keyword scan
started before the last file was ingested, and finds every table the stages write equal.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from fundrisk.errors import BadInput
from fundrisk.inbox import discover
from fundrisk.ingest import ingest_file
from fundrisk.settings import Settings, get_settings
from fundrisk.stages import sequence
from fundrisk.synth import generate
from fundrisk.warehouse import connect
from fundrisk.warehouse.db import Connection

GB = 1000**3


def test_auto_overlaps_only_a_large_district_within_half_the_budget() -> None:
    assert not sequence.may_overlap(50_000, 14 * GB)  # small: in order, easier to read
    assert sequence.may_overlap(1_000_000, 14 * GB)  # 3.8 GB within half of 14 GB
    assert not sequence.may_overlap(3_000_000, 14 * GB)  # 10.5 GB would not fit half the budget
    assert not sequence.may_overlap(1_000_000, 4 * GB)  # FUNDRISK_MEMORY_LIMIT=4GB: in order
    assert sequence.may_overlap(10, 1 * GB, "on") and not sequence.may_overlap(10**6, 14 * GB, "off")


def test_the_overlap_setting_is_checked_when_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUNDRISK_STAGE_OVERLAP", "ON ")
    assert get_settings().stage_overlap == "on"
    monkeypatch.setenv("FUNDRISK_STAGE_OVERLAP", "sometimes")
    with pytest.raises(BadInput, match="FUNDRISK_STAGE_OVERLAP"):
        get_settings()


def test_needs_follow_the_list_a_stage_taken_out_passes_its_needs_on(monkeypatch: pytest.MonkeyPatch) -> None:
    scoring = sequence.stage("scoring")
    assert sequence.needs_of(scoring) == ("sentiment", "surveys", "registry")
    assert sequence.needs_of(sequence.stage("surveys")) == ("keywords",)
    monkeypatch.setattr(sequence, "STAGES", tuple(s for s in sequence.STAGES if s.key != "registry"))
    assert sequence.needs_of(scoring) == ("sentiment", "surveys", "keywords", "resolution")


def test_a_stage_starts_early_only_when_its_kinds_are_in_and_it_needs_no_stage() -> None:
    keywords, sentiment, resolution = (sequence.stage(k) for k in ("keywords", "sentiment", "resolution"))
    assert sequence.ready_early(keywords, {"survey", "inspections"})
    assert not sequence.ready_early(keywords, {"clues", "survey"})
    assert sequence.ready_early(sentiment, {"registrations"}) and not sequence.ready_early(
        sentiment, {"clues"}
    )
    assert not sequence.ready_early(resolution, set())  # reads every input: waits for the last file
    assert not sequence.ready_early(replace(sentiment, needs=("keywords",)), set())


def test_every_need_comes_earlier_in_the_list() -> None:
    """The sequential order is one the needs allow (a stage never reads a table written after it)."""
    order = [s.key for s in sequence.STAGES]
    for stage in sequence.STAGES:
        assert all(order.index(need) < order.index(stage.key) for need in stage.needs), stage.key


# Tables written by the stages, compared whole (run_id and timestamps left out).
COMPARED = {
    "keyword_hits": "subject_kind, subject_id, field, term, category, weight, position",
    "keyword_scores": "subject_kind, subject_id, keyword_score, model_prob, hit_terms, top_terms, reason",
    "clue_signals": "clue_id, negativity, money_related, stability, reason",
    "entity_links": "source_kind, source_id, uscc, method, score",
    "link_review": "source_kind, source_id, uscc, score, rank",
    "entity_relations": "uscc, related_uscc, relation, strength",
    "registry_lookups": "provider, subject_key, uscc, priority, status",
    "registry_abnormal": "*",
    "risk_scores": "subject_kind, subject_id, score, tier, disposal, department, reasons, factors",
}


def _tables(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    con = connect(db)
    try:
        tables = {
            name for (name,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        }
        out = {}
        for table, columns in COMPARED.items():
            if table in tables:
                sql = f"SELECT {columns} FROM {table} ORDER BY ALL"  # noqa: S608 - constants above
                out[table] = con.execute(sql).fetchall()
        return out
    finally:
        con.close()


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_side_by_side_runs_really_overlap_and_write_what_the_ordered_run_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flows.pipeline as pipeline_module
    from flows.pipeline import pipeline

    summary = generate(tmp_path / "inbox", entities=800, seed=21)
    monkeypatch.setenv("FUNDRISK_REGISTRY_SNAPSHOT", str(summary.paths["registry_snapshot"]))
    monkeypatch.setenv("FUNDRISK_AS_OF", "2026-06-30")
    started = {"keywords": threading.Event(), "resolution": threading.Event()}
    other = {"keywords": "resolution", "resolution": "keywords"}
    met: list[str] = []

    def meeting(stage: sequence.Stage) -> sequence.Stage:
        """Keywords and resolution each wait (a while) for the other to have started."""

        def run(con: Connection, run_id: str, settings: Settings) -> dict[str, Any]:
            if stage.key in started and get_settings().stage_overlap == "on":
                started[stage.key].set()
                if started[other[stage.key]].wait(timeout=60):
                    met.append(stage.key)
            return stage.run(con, run_id, settings)

        return replace(stage, run=run)

    monkeypatch.setattr(sequence, "STAGES", tuple(meeting(s) for s in sequence.STAGES))
    # Side by side, the keyword scan starts once registrations and clues are in: the last file's ingest
    # waits (a while) for it to have started.
    last = discover(tmp_path / "inbox")[-1].kind
    assert last not in ("registrations", "clues")
    early: list[str] = []

    def ingest_last_after_keywords(con: Connection, kind: str, path: Path, run_id: str | None = None) -> Any:
        if kind == last and get_settings().stage_overlap == "on" and started["keywords"].wait(timeout=60):
            early.append("keywords")
        return ingest_file(con, kind, path, run_id)

    monkeypatch.setattr(pipeline_module, "ingest_file", ingest_last_after_keywords)
    results = {}
    for mode in ("off", "on"):
        monkeypatch.setenv("FUNDRISK_STAGE_OVERLAP", mode)
        db = tmp_path / f"{mode}.duckdb"
        flow_summary = pipeline(inbox=str(tmp_path / "inbox"), db=str(db))
        assert all(s.key in flow_summary for s in sequence.STAGES), mode
        results[mode] = (_tables(db), flow_summary["scoring"]["tiers"])
    assert sorted(met) == ["keywords", "resolution"]  # both were running at the same time
    assert early == ["keywords"]  # started before the last file was ingested
    ordered, overlapped = results["off"], results["on"]
    assert overlapped[1] == ordered[1] and sum(ordered[1].values()) > 0
    assert set(overlapped[0]) == set(ordered[0]) >= set(COMPARED)
    for table in ordered[0]:
        assert overlapped[0][table] == ordered[0][table], table
    assert ordered[0]["entity_links"] and ordered[0]["keyword_hits"]
