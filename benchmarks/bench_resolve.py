"""Link 100,000 clues and 100,000 alerts against 1,000,000 registrations; naive all-pairs beside it.

Sources come from the generator's own alerts and clues, re-sampled (with fresh ids) up to 100,000 of
each. The naive baseline scores every source against every registration with rapidfuzz's extractOne
(a C loop, but all pairs); it runs on a sample and is extrapolated, as the table says.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import polars as pl
from rapidfuzz import fuzz, process

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import peak_rss_mb, print_table, timed  # noqa: E402
from enrichers.leads import group_leads  # noqa: E402
from enrichers.names import name_parts  # noqa: E402
from enrichers.resolve import resolve  # noqa: E402
from fundrisk.inbox import discover  # noqa: E402
from fundrisk.sources.readers import read_table  # noqa: E402
from fundrisk.sources.spec import get_kind  # noqa: E402
from fundrisk.sources.validate import validate  # noqa: E402
from fundrisk.stages.resolve_sources import SOURCE_SCHEMA  # noqa: E402
from fundrisk.synth import generate  # noqa: E402

ENTITIES = 1_000_000
PER_KIND = 100_000
NAIVE_SAMPLE = 100


def load(out: Path) -> dict[str, pl.DataFrame]:
    frames = {}
    for f in discover(out):
        if f.kind in {"registrations", "alerts", "clues"}:
            frames[f.kind] = validate(read_table(f.path), get_kind(f.kind), f.path.name).loaded
    return frames


def upsample(frame: pl.DataFrame, n: int, seed: int) -> pl.DataFrame:
    sample = frame.sample(n, with_replacement=True, seed=seed)
    return sample.with_columns(
        (pl.col("source_id") + "-" + pl.int_range(pl.len()).cast(pl.Utf8)).alias("source_id")
    )


def sources(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    alerts = frames["alerts"].select(
        pl.lit("alert").alias("source_kind"),
        pl.col("alert_id").alias("source_id"),
        pl.col("account_name").alias("name"),
        "uscc",
        pl.lit(None, pl.Utf8).alias("address"),
        pl.lit(None, pl.Utf8).alias("town"),
        pl.lit(None, pl.Utf8).alias("grid"),
        pl.col("holder_id")
        if "holder_id" in frames["alerts"].columns
        else pl.lit(None, pl.Utf8).alias("holder_id"),
    )
    clues = frames["clues"].select(
        pl.lit("clue").alias("source_kind"),
        pl.col("clue_id").alias("source_id"),
        pl.col("subject_name").alias("name"),
        pl.col("subject_uscc").alias("uscc"),
        pl.col("subject_address").alias("address"),
        "town",
        "grid",
        pl.lit(None, pl.Utf8).alias("holder_id"),
    )
    return pl.concat([upsample(alerts, PER_KIND, 1), upsample(clues, PER_KIND, 2)]).cast(SOURCE_SCHEMA)  # type: ignore[arg-type]


def naive(regs: pl.DataFrame, src: pl.DataFrame) -> None:
    choices = name_parts(regs["name"])["core"].to_list()
    for query in name_parts(src["name"].head(NAIVE_SAMPLE))["core"].to_list():
        process.extractOne(query, choices, scorer=fuzz.ratio)


def run() -> list[dict[str, object]]:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "inbox"
        generate(out, entities=ENTITIES, seed=5)
        frames = load(out)
    regs = frames["registrations"]
    src = sources(frames)
    contexts = upsample(
        frames["clues"].select(
            pl.lit("clue").alias("source_kind"),
            pl.col("clue_id").alias("source_id"),
            pl.col("content").alias("context"),
        ),
        PER_KIND,
        2,
    )
    result, link_s = timed(lambda: resolve(regs, src, contexts))
    (leads, _), leads_s = timed(lambda: group_leads(result.unmatched))
    _, naive_s = timed(lambda: naive(regs, src))
    naive_full = naive_s * src.height / NAIVE_SAMPLE
    return [
        {"step": "registrations", "rows": regs.height, "seconds": None},
        {"step": "sources (alerts + clues)", "rows": src.height, "seconds": None},
        {
            "step": "link (blocked, incl. names inside clue text)",
            "rows": result.links.height,
            "seconds": link_s,
        },
        {"step": "review (two close candidates)", "rows": result.review.height, "seconds": None},
        {"step": "group unmatched into leads", "rows": leads.height, "seconds": leads_s},
        {
            "step": f"naive all-pairs (extrapolated from {NAIVE_SAMPLE})",
            "rows": src.height,
            "seconds": naive_full,
        },
        {"step": "speed-up blocked / naive", "rows": None, "seconds": naive_full / link_s},
        {"step": "peak RSS (MB)", "rows": None, "seconds": peak_rss_mb()},
    ]


if __name__ == "__main__":
    print_table(run())
