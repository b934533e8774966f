"""Unregistered-operator leads and repeat-offender relations against the demo generator's ground truth.

Usage: python benchmarks/eval_leads.py [ENTITIES] [SEED ...]   (default: 3000 entities, seeds 7 and 99,
then 30000 entities, seed 7)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import print_table  # noqa: E402
from enrichers.leads import group_leads  # noqa: E402
from enrichers.offenders import flagged_entities, repeat_offenders  # noqa: E402
from enrichers.resolve import resolve  # noqa: E402
from fundrisk.inbox import discover  # noqa: E402
from fundrisk.ingest import ingest_file  # noqa: E402
from fundrisk.stages.resolve_sources import registrations_frame, sources_frame  # noqa: E402
from fundrisk.synth import generate  # noqa: E402
from fundrisk.warehouse import connect  # noqa: E402
from fundrisk.warehouse.frames import read  # noqa: E402


def pipeline(out: Path) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame, float]:
    """Ingest a generated inbox; leads, lead members, flagged entities, relations and seconds spent."""
    con = connect(":memory:")
    for f in discover(out):
        ingest_file(con, f.kind, f.path)
    regs, sources = registrations_frame(con), sources_frame(con)
    provincial = read(con, "SELECT uscc, name FROM provincial_list")
    inspections = read(con, "SELECT uscc, inspected_on, conclusion FROM inspections")
    start = time.perf_counter()
    resolution = resolve(regs, sources)
    leads, members = group_leads(resolution.unmatched)
    flagged = flagged_entities(regs, provincial, inspections)
    relations = repeat_offenders(regs, flagged)
    return leads, members, flagged, relations, time.perf_counter() - start


def evaluate(entities: int, seed: int) -> list[dict[str, object]]:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "inbox"
        generate(out, entities=entities, seed=seed)
        leads, members, _flagged, relations, seconds = pipeline(out)
        truth_leads = pl.read_csv(out / "truth" / "unregistered.csv", infer_schema=False)
        truth_rep = pl.read_csv(out / "truth" / "repeat_offenders.csv", infer_schema=False)
    label = f"{entities} seed {seed}"
    return [
        lead_row(label, truth_leads, leads, members, seconds),
        *relation_rows(label, truth_rep, relations),
    ]


def lead_row(
    label: str, truth: pl.DataFrame, leads: pl.DataFrame, members: pl.DataFrame, seconds: float
) -> dict[str, object]:
    clue_truth = truth.select(
        pl.col("lead_id").alias("true_lead"), pl.col("clue_ids").str.split(";").alias("source_id")
    ).explode("source_id")
    alert_truth = truth.select(
        pl.col("lead_id").alias("true_lead"), pl.col("alert_ids").str.split(";").alias("source_id")
    ).explode("source_id")
    keyed = pl.concat(
        [
            clue_truth.with_columns(pl.lit("clue").alias("source_kind")),
            alert_truth.with_columns(pl.lit("alert").alias("source_kind")),
        ]
    ).drop_nulls("source_id")
    hit = members.join(keyed, on=["source_kind", "source_id"])
    found = hit.filter(pl.col("source_kind") == "clue")["true_lead"].n_unique()
    mixed = hit.group_by("lead_id").agg(pl.col("true_lead").n_unique().alias("n")).filter(pl.col("n") > 1)
    split = hit.group_by("true_lead").agg(pl.col("lead_id").n_unique().alias("n")).filter(pl.col("n") > 1)
    return {
        "check": f"{label} leads",
        "truth": truth.height,
        "found": found,
        "recall": found / truth.height if truth.height else None,
        "extra": leads.height - hit["lead_id"].n_unique(),
        "impure": mixed.height,
        "split": split.height,
        "seconds": round(seconds, 2),
    }


def relation_rows(label: str, truth: pl.DataFrame, relations: pl.DataFrame) -> list[dict[str, object]]:
    pairs = relations.select("uscc", pl.col("related_uscc").alias("prior_uscc"), "relation").unique()
    hit = truth.join(pairs.select("uscc", "prior_uscc").unique(), on=["uscc", "prior_uscc"], how="semi")
    extra = pairs.join(truth, on=["uscc", "prior_uscc"], how="anti")
    rows: list[dict[str, object]] = [
        {
            "check": f"{label} repeat offenders",
            "truth": truth.height,
            "found": hit.height,
            "recall": hit.height / truth.height if truth.height else None,
            "extra": extra.select("uscc", "prior_uscc").unique().height,
            "impure": None,
            "split": None,
            "seconds": None,
        }
    ]
    for (shared,), part in truth.group_by("shared", maintain_order=True):
        got = part.join(pairs, on=["uscc", "prior_uscc"], how="semi").height
        kind = {"id": "same_legal_rep_id", "phone": "same_phone", "address": "same_address"}
        rel = kind.get(str(shared), "similar_brand")
        rows.append(
            {
                "check": f"  shared {shared}",
                "truth": part.height,
                "found": got,
                "recall": got / part.height if part.height else None,
                "extra": extra.filter(pl.col("relation").str.split("+").list.contains(rel)).height,
                "impure": None,
                "split": None,
                "seconds": None,
            }
        )
    return rows


def run(
    entities: int = 3000, seeds: tuple[int, ...] = (7, 99), big: int | None = 30000
) -> list[dict[str, object]]:
    rows = [row for seed in seeds for row in evaluate(entities, seed)]
    if big:
        rows += evaluate(big, seeds[0])
    return rows


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    chosen = tuple(int(s) for s in sys.argv[2:]) or (7, 99)
    print_table(run(n, chosen, big=30000 if len(sys.argv) <= 1 else None))
