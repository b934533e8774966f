"""The large-run shortcuts give the same answers as the plain paths: names parsed once per run and
shared, the norm-only key, the snapshot read by line offset, the registry flags split once by uscc."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import polars as pl
import pytest

from enrichers import resolve_candidates
from enrichers.detach import detached
from enrichers.names import name_norm, name_parts, with_name_keys
from enrichers.offenders import flagged_entities, repeat_offenders
from enrichers.registry.base import FETCHED, NOT_FOUND, Subject
from enrichers.registry.facts import fact_frames
from enrichers.registry.snapshot import Snapshot, read_snapshot
from enrichers.resolve import Resolution, prepare_registrations, prepare_sources, resolve
from fundrisk.campaign.survey_stage import run_survey_screen, survey_keyword_rows
from fundrisk.inbox import discover
from fundrisk.ingest import ingest_file
from fundrisk.stages.keywords import keyword_rows, run_keywords
from fundrisk.stages.resolve import run_resolution
from fundrisk.stages.resolve_sources import (
    clue_contexts,
    keyed_registrations,
    registrations_frame,
    source_chunks,
    sources_frame,
    with_offender_columns,
)
from fundrisk.synth import GeneratedSummary, generate
from fundrisk.warehouse import connect
from fundrisk.warehouse.db import Connection
from fundrisk.warehouse.frames import read


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> GeneratedSummary:
    return generate(tmp_path_factory.mktemp("scale"), entities=2000, seed=12)


def _ingested(demo: GeneratedSummary) -> Connection:
    """A fresh in-memory database holding every file of the demo district."""
    con = connect(":memory:")
    for f in discover(demo.out):
        ingest_file(con, f.kind, f.path)
    return con


def _same_resolution(got: Resolution, expected: Resolution) -> None:
    for part in ("links", "review", "unmatched"):
        assert getattr(got, part).equals(getattr(expected, part)), part


def test_name_norm_is_name_parts_norm() -> None:
    names = pl.Series(
        ["淄博鑫盛財富管理有限公司", "鑫盛财富（文昌湖店）", " 王记·面馆 ", "", None, "ＡＢＣ投资"]
    )
    assert name_norm(names).to_list() == name_parts(names)["norm"].to_list()


@pytest.mark.slow
def test_records_resolved_in_chunks_are_resolved_as_in_one(demo: GeneratedSummary) -> None:
    con = _ingested(demo)
    regs, sources, contexts = with_name_keys(registrations_frame(con)), sources_frame(con), clue_contexts(con)
    # Clue texts that name companies, so that the mention step has something to find in every chunk.
    companies = regs.filter(pl.col("name").str.ends_with("有限公司"))["name"].head(contexts.height)
    named = pl.concat_str(pl.lit("我在"), pl.Series(companies), pl.lit("买了理财"))
    contexts = contexts.head(companies.len()).with_columns(named.alias("context"))
    first = resolve(regs, sources, contexts)
    assert first.review.height > 0 and (first.links["method"] == "content").any()
    # An analyst's decisions travel with their records: one link rejected, one review candidate confirmed.
    rejected = first.links.filter(pl.col("method") != "code").head(1)
    confirmed = first.review.filter(pl.col("rank") == 2).head(1)
    reviewed = pl.concat(
        [
            rejected.select("source_kind", "source_id", "uscc", pl.lit("reject").alias("decision")),
            confirmed.select("source_kind", "source_id", "uscc", pl.lit("confirm").alias("decision")),
        ]
    )
    whole = resolve(regs, sources, contexts, reviewed)
    chunked = resolve(regs, sources, contexts, reviewed, chunk_rows=97, context_rows=13)
    assert sources.height > 10 * 97 and contexts.height > 5 * 13  # many chunks of each
    assert not whole.links.equals(first.links)  # the decisions changed something
    _same_resolution(chunked, whole)


@pytest.mark.slow
def test_the_stage_reads_a_slice_at_a_time_and_gets_the_whole_frames_answer(demo: GeneratedSummary) -> None:
    con = _ingested(demo)
    regs = registrations_frame(con)
    keyed = keyed_registrations(con, rows=301)
    assert keyed.height == regs.height > 3 * 301
    plain = with_name_keys(regs)
    assert keyed.select(pl.col("town", "grid").cast(pl.Utf8), "norm", "core", "addr_key").equals(
        plain.select("town", "grid", "norm", "core", "addr_key")
    )
    chunks = list(source_chunks(con, 211))
    sources = sources_frame(con)
    assert len(chunks) > 5 and pl.concat(chunks).equals(sources)
    # The stage (slices, chunks, offender columns added after the resolution) against the plain frames.
    run_resolution(con, "R1")
    whole = resolve(plain, sources, clue_contexts(con))
    links = read(con, "SELECT source_kind, source_id, uscc, method, score FROM entity_links")
    assert links.sort("source_kind", "source_id", "uscc").equals(whole.links)
    review = read(con, f"SELECT {', '.join(whole.review.columns)} FROM link_review")
    assert whole.review.height > 0 and whole.review["candidate_name"].is_not_null().all()
    assert review.sort("source_kind", "source_id", "rank").equals(whole.review)
    prov = read(con, "SELECT uscc, name FROM provincial_list")
    insp = read(con, "SELECT uscc, inspected_on, conclusion FROM inspections")
    full = with_offender_columns(con, keyed, rows=307)
    assert full["phone"].equals(regs["phone"]) and full["status"].cast(pl.Utf8).equals(regs["status"])
    assert full["name"].equals(regs["name"]) and full["legal_rep_id"].equals(regs["legal_rep_id"])
    relations = repeat_offenders(plain, flagged_entities(plain, prov, insp))
    stored = read(con, "SELECT uscc, related_uscc, relation, reason, strength, weight FROM entity_relations")
    assert relations.height > 0
    assert stored.sort("uscc", "related_uscc").equals(relations.select(stored.columns))


@pytest.mark.slow
def test_registrations_counted_a_slice_at_a_time_as_in_one(
    demo: GeneratedSummary, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Block sizes, unique keys and rare bigrams counted over slices of registrations (each keeps only
    its locally rare keys) are the counts over all of them."""
    con = _ingested(demo)
    regs, sources, contexts = with_name_keys(registrations_frame(con)), sources_frame(con), clue_contexts(con)
    whole = resolve(regs, sources, contexts)
    reg, src = prepare_registrations(regs), prepare_sources(sources)
    steps = {
        "brand": lambda: resolve_candidates.unique_pairs(src, reg, "brand", "brand", "brand"),
        "typo": lambda: resolve_candidates.evidence_pairs(src, reg),
        "rare": lambda: resolve_candidates.rare_bigrams(reg),
        "exact": lambda: resolve_candidates.exact_pairs(src, reg),
        "fuzzy": lambda: resolve_candidates.fuzzy_pairs(src, reg),
    }
    expected = {name: step().sort(pl.all()) for name, step in steps.items()}
    monkeypatch.setattr(resolve_candidates, "SLICE_ROWS", 113)
    assert regs.height > 10 * 113
    for name, step in steps.items():  # keys shared across slices are counted as over all registrations
        assert step().sort(pl.all()).equals(expected[name]), name
    sliced = resolve(regs, sources, contexts)
    assert whole.links.height > 0 and whole.review.height > 0
    methods = set(whole.links["method"]) | set(whole.review["method"])
    assert {"typo", "fuzzy", "address"} <= methods, methods
    _same_resolution(sliced, whole)


@pytest.mark.slow
def test_keywords_and_surveys_screened_a_slice_at_a_time_as_in_one(demo: GeneratedSummary) -> None:
    con = _ingested(demo)
    regs = read(con, "SELECT uscc, name, business_scope FROM registrations")
    clues = read(con, "SELECT clue_id, subject_name, content FROM clues")
    surveys = read(con, "SELECT survey_id, signboard, found FROM surveys")
    assert regs.height > 5 * 307 and surveys.height > 3 * 307
    hits, scores, counts = keyword_rows(regs, clues, "R1")
    s_hits, s_scores, s_counts = survey_keyword_rows(surveys, "R1")
    assert run_keywords(con, "R1", slice_rows=307) == counts
    assert run_survey_screen(con, "R1", slice_rows=307) == s_counts
    order = ["subject_kind", "subject_id"]
    stored = read(con, "SELECT * FROM keyword_scores").sort(order)
    whole = pl.concat([scores, s_scores], how="diagonal_relaxed").sort(order)
    assert stored.height == whole.height > 0
    for column in ("subject_id", "keyword_score", "model_prob", "hit_terms", "top_terms", "reason"):
        assert stored[column].cast(pl.Utf8).equals(whole[column].cast(pl.Utf8)), column
    assert read(con, "SELECT count(*) AS n FROM keyword_hits")["n"][0] == hits.height + s_hits.height


def test_detached_frames_keep_values_types_and_order() -> None:
    whole = pl.DataFrame(
        {
            "town": pl.Series(["萌水镇", None, "商家镇"] * 1000, dtype=pl.Categorical),
            "rank": pl.Series([1, 2, 3] * 1000, dtype=pl.Int32),
            "name": [f"淄博市文昌湖区第{i}号经营部有限公司" for i in range(3000)],
        }
    )
    kept = whole.filter(pl.col("rank") == 2)  # points into the whole frame's text buffers
    assert detached(kept).equals(kept) and detached(kept).schema == kept.schema
    assert detached(whole.clear()).schema == whole.schema


def test_brand_ties_compared_a_slice_at_a_time_as_in_one(demo: GeneratedSummary) -> None:
    con = _ingested(demo)
    regs = with_name_keys(registrations_frame(con))
    prov = read(con, "SELECT uscc, name FROM provincial_list")
    insp = read(con, "SELECT uscc, inspected_on, conclusion FROM inspections")
    flagged = flagged_entities(regs, prov, insp)
    whole = repeat_offenders(regs, flagged)
    assert whole.filter(pl.col("relation").str.contains("brand")).height > 0
    assert repeat_offenders(regs, flagged, slice_rows=37).equals(whole)


@pytest.mark.slow
def test_shared_name_keys_change_nothing(demo: GeneratedSummary) -> None:
    con = _ingested(demo)
    regs, keyed = registrations_frame(con), with_name_keys(registrations_frame(con))
    assert {"norm", "core", "brand", "addr_key"} <= set(keyed.columns)
    sources, contexts = sources_frame(con), clue_contexts(con)
    plain, shared = resolve(regs, sources, contexts), resolve(keyed, sources, contexts)
    assert plain.links.height > 0
    assert plain.links.equals(shared.links)
    assert plain.unmatched.equals(shared.unmatched)
    prov = read(con, "SELECT uscc, name FROM provincial_list")
    insp = read(con, "SELECT uscc, inspected_on, conclusion FROM inspections")
    flagged = flagged_entities(regs, prov, insp)
    assert flagged.height > 0
    assert flagged.equals(flagged_entities(keyed, prov, insp))
    relations = repeat_offenders(regs, flagged)
    assert relations.height > 0
    assert relations.equals(repeat_offenders(keyed, flagged))


@pytest.mark.slow
def test_snapshot_by_offset_finds_the_same_records(demo: GeneratedSummary, tmp_path: Path) -> None:
    path = Path(demo.paths["registry_snapshot"])
    records = read_snapshot(path)
    first, second = records[0], records[1]
    # A later line with the same code wins; with the same name the earlier line wins (as before).
    twin = dict(second, uscc=first["uscc"])
    copy = tmp_path / "snap.jsonl"
    copy.write_text(path.read_text(encoding="utf-8") + "\n" + json.dumps(twin, ensure_ascii=False) + "\n")
    snap = Snapshot(copy)

    def look(subject: Subject) -> tuple[str, dict[str, object] | None]:
        found = asyncio.run(snap.lookup(subject, None))
        return found.status, found.record

    status, record = look(Subject(first["uscc"], ""))
    assert status == FETCHED and record is not None and record["basic"] == second["basic"]
    status, record = look(Subject(None, second["name"]))
    assert status == FETCHED and record is not None and record["basic"] == second["basic"]
    assert look(Subject("91370300MA00000000", "并不存在的公司"))[0] == NOT_FOUND


@pytest.mark.slow
def test_registry_flags_per_record(demo: GeneratedSummary) -> None:
    """Flags built from the split tables match a direct count per record."""
    records = read_snapshot(demo.paths["registry_snapshot"])[:300]
    frames = fact_frames(records, "snapshot")
    flags = frames["registry_flags"]
    assert flags.height == len(records)
    for table, column in (("registry_lawsuits", "lawsuit_count"), ("registry_branches", "branch_count")):
        per = frames[table].group_by("uscc").len()
        got = flags.join(per, on="uscc", how="left").with_columns(pl.col("len").fill_null(0))
        if column == "branch_count":
            assert (got[column] == got["len"]).all()
        else:
            assert (got[column] >= got["len"]).all()
    assert flags["lawsuit_count"].sum() > 0 and flags["branch_count"].sum() > 0


@pytest.mark.slow
def test_snapshot_skips_a_broken_line_and_keeps_the_rest(demo: GeneratedSummary, tmp_path: Path) -> None:
    """One line that is not JSON costs that line only (the fast path falls back to line-by-line)."""
    path = Path(demo.paths["registry_snapshot"])
    records = read_snapshot(path)
    copy = tmp_path / "snap.jsonl"
    copy.write_text("这不是 JSON\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    snap = Snapshot(copy)
    wanted = [Subject(r["uscc"], r["name"]) for r in records[:5]]
    snap.prepare(wanted)
    found = [asyncio.run(snap.lookup(s, None)) for s in wanted]
    assert [f.status for f in found] == [FETCHED] * 5
    assert [f.record["basic"] for f in found if f.record] == [r["basic"] for r in records[:5]]
