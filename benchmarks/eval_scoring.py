"""Risk tiers against the demo generator's ground truth (the scoring issue's acceptance figures).

Usage: python benchmarks/eval_scoring.py [ENTITIES] [SEED ...]   (default 3000 entities, seeds 7 and 99)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import print_table  # noqa: E402
from fundrisk.inbox import discover  # noqa: E402
from fundrisk.ingest import ingest_file  # noqa: E402
from fundrisk.settings import Settings  # noqa: E402
from fundrisk.stages.sequence import run_stages  # noqa: E402
from fundrisk.synth import generate  # noqa: E402
from fundrisk.warehouse import connect  # noqa: E402
from fundrisk.warehouse.frames import read  # noqa: E402

RISKY = ["高风险", "中风险"]


def scored_world(entities: int, seed: int) -> tuple[pl.DataFrame, dict[str, pl.DataFrame]]:
    """Generate, ingest, run every stage; return risk scores and the truth tables."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "inbox"
        summary = generate(out, entities=entities, seed=seed)
        con = connect(":memory:")
        for f in discover(out):
            ingest_file(con, f.kind, f.path)
        run_stages(con, "EVAL", Settings(registry_snapshot=summary.paths.get("registry_snapshot")))
        scores = read(con, "SELECT subject_kind, subject_id, score, tier FROM risk_scores")
        members = read(con, "SELECT lead_id, source_kind, source_id FROM lead_members")
        truth = {
            name: pl.read_csv(out / "truth" / f"{name}.csv", infer_schema=False)
            for name in ("entities", "clue_links", "alert_links", "unregistered", "repeat_offenders")
        }
        truth["members"] = members
        con.close()
    return scores, truth


def evaluate(entities: int, seed: int) -> list[dict[str, object]]:
    scores, truth = scored_world(entities, seed)
    regs = scores.filter(pl.col("subject_kind") == "registration").rename({"subject_id": "uscc"})
    ent = truth["entities"].join(regs, on="uscc", how="left")
    planted = ent.filter(pl.col("is_planted") == "true")
    risky = ent.filter(pl.col("tier").is_in(RISKY))
    licensed = ent.filter(pl.col("is_licensed_fi") == "true")
    noise_only = _noise_only(truth, ent)
    single = _single_transfer_only(truth, ent)
    disclaimer_only = ent.filter(pl.col("is_planted") != "true")  # ordinary scopes carry the disclaimer
    repeat = ent.filter(pl.col("is_repeat_offender") == "true")
    leads = _lead_tiers(truth, scores)
    rows = [
        ("planted in 高/中风险 (≥ 95%)", planted.filter(pl.col("tier").is_in(RISKY)).height, planted.height),
        (
            "高/中风险 truly planted (≥ 80%)",
            risky.filter(pl.col("is_planted") == "true").height,
            risky.height,
        ),
        (
            "licensed institutions above 低风险 (0)",
            licensed.filter(pl.col("tier").is_in(RISKY)).height,
            licensed.height,
        ),
        (
            "noise-only complaint subjects in 高风险 (0)",
            noise_only.filter(pl.col("tier") == "高风险").height,
            noise_only.height,
        ),
        (
            "one-payer-transfer subjects in 高风险 (0)",
            single.filter(pl.col("tier") == "高风险").height,
            single.height,
        ),
        (
            "ordinary (disclaimer scopes) in 高风险",
            disclaimer_only.filter(pl.col("tier") == "高风险").height,
            disclaimer_only.height,
        ),
        (
            "repeat offenders at ≥ 中风险 (all)",
            repeat.filter(pl.col("tier").is_in(RISKY)).height,
            repeat.height,
        ),
        (
            "unregistered operators at ≥ 中风险 (all)",
            leads.filter(pl.col("tier").is_in(RISKY)).height,
            leads.height,
        ),
    ]
    return [
        {"seed": seed, "check": c, "count": n, "of": d, "share": (n / d if d else None)} for c, n, d in rows
    ]


def _noise_only(truth: dict[str, pl.DataFrame], ent: pl.DataFrame) -> pl.DataFrame:
    clues = truth["clue_links"].drop_nulls("true_uscc")
    noisy = clues.filter(pl.col("variant") == "noise")["true_uscc"].unique()
    other = clues.filter(pl.col("variant") != "noise")["true_uscc"].unique()
    alerted = truth["alert_links"]["true_uscc"].drop_nulls().unique()
    keep = noisy.filter(~noisy.is_in(other.implode()) & ~noisy.is_in(alerted.implode()))
    return ent.filter(pl.col("uscc").is_in(keep.implode()) & (pl.col("is_planted") != "true"))


def _single_transfer_only(truth: dict[str, pl.DataFrame], ent: pl.DataFrame) -> pl.DataFrame:
    alerts = truth["alert_links"].drop_nulls("true_uscc")
    single = alerts.filter(pl.col("profile") == "single_transfer")["true_uscc"].unique()
    return ent.filter(pl.col("uscc").is_in(single.implode()) & (pl.col("is_planted") != "true"))


def _lead_tiers(truth: dict[str, pl.DataFrame], scores: pl.DataFrame) -> pl.DataFrame:
    """Each truth operator's best tier over the leads that hold any of its clues."""
    operators = (
        truth["unregistered"]
        .select("lead_id", pl.col("clue_ids").str.split(";").alias("source_id"))
        .explode("source_id")
    )
    found = operators.join(
        truth["members"].filter(pl.col("source_kind") == "clue").rename({"lead_id": "found"}), on="source_id"
    ).join(scores.rename({"subject_id": "found"}), on="found")
    rank = pl.col("tier").replace_strict({"高风险": 0, "中风险": 1, "低风险": 2, "无明显风险": 3}, default=4)
    best = found.sort(rank).group_by("lead_id").agg(pl.col("tier").first())
    return truth["unregistered"].select("lead_id").join(best, on="lead_id", how="left")


def run(entities: int = 3000, seeds: tuple[int, ...] = (7, 99)) -> list[dict[str, object]]:
    return [row for seed in seeds for row in evaluate(entities, seed)]


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    print_table(run(n, tuple(int(s) for s in sys.argv[2:]) or (7, 99)))
