"""Entity-resolution quality on the demo generator's ground truth, per method and per variant.

Usage: python benchmarks/eval_resolve.py [ENTITIES] [SEED ...]   (default 3000 entities, seeds 7 and 99)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import print_table  # noqa: E402
from enrichers.resolve import resolve  # noqa: E402
from fundrisk.inbox import discover  # noqa: E402
from fundrisk.ingest import ingest_file  # noqa: E402
from fundrisk.stages.resolve_sources import clue_contexts, registrations_frame, sources_frame  # noqa: E402
from fundrisk.synth import generate  # noqa: E402
from fundrisk.warehouse import connect  # noqa: E402


def truth_frame(out: Path) -> pl.DataFrame:
    clues = pl.read_csv(out / "truth" / "clue_links.csv", infer_schema=False).select(
        pl.lit("clue").alias("source_kind"), pl.col("clue_id").alias("source_id"), "true_uscc", "variant"
    )
    alerts = pl.read_csv(out / "truth" / "alert_links.csv", infer_schema=False).select(
        pl.lit("alert").alias("source_kind"),
        pl.col("alert_id").alias("source_id"),
        "true_uscc",
        pl.col("account").alias("variant"),
    )
    return pl.concat([clues, alerts])


def evaluate(entities: int, seed: int) -> list[dict[str, object]]:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "inbox"
        generate(out, entities=entities, seed=seed)
        con = connect(":memory:")
        for f in discover(out):
            ingest_file(con, f.kind, f.path)
        result = resolve(registrations_frame(con), sources_frame(con), clue_contexts(con))
        truth = truth_frame(out)
    joined = truth.join(
        result.links.select("source_kind", "source_id", "uscc", "method"),
        on=["source_kind", "source_id"],
        how="left",
    ).with_columns(
        correct=pl.col("uscc").is_not_null() & (pl.col("uscc") == pl.col("true_uscc")),
        linkable=pl.col("true_uscc").is_not_null(),
        in_review=pl.col("source_id").is_in(result.review["source_id"].implode()),
    )
    rows: list[dict[str, object]] = []
    for (kind,), part in joined.group_by("source_kind", maintain_order=True):
        rows.append(_row(f"seed {seed} {kind} (all)", part))
        for (variant,), sub in part.group_by("variant", maintain_order=True):
            rows.append(_row(f"  variant {variant}", sub))
    for (method,), sub in joined.filter(pl.col("method").is_not_null()).group_by(
        "method", maintain_order=True
    ):
        rows.append(_row(f"seed {seed} method {method}", sub))
    return rows


def _row(label: str, part: pl.DataFrame) -> dict[str, object]:
    linked = part.filter(pl.col("uscc").is_not_null()).height
    correct = part.filter("correct").height
    linkable = part.filter("linkable").height
    return {
        "slice": label,
        "records": part.height,
        "linkable": linkable,
        "linked": linked,
        "correct": correct,
        "review": part.filter("in_review").height,
        "precision": correct / linked if linked else None,
        "recall": correct / linkable if linkable else None,
    }


def run(entities: int = 3000, seeds: tuple[int, ...] = (7, 99)) -> list[dict[str, object]]:
    return [row for seed in seeds for row in evaluate(entities, seed)]


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    seeds = tuple(int(s) for s in sys.argv[2:]) or (7, 99)
    print_table(run(n, seeds))
