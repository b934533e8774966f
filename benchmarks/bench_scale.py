"""The whole pipeline at district, city and province scale: wall time per stage, peak RSS, rows/s.

For each size, a district is generated (alerts and clues at the generator's rates), then a child process
(so its peak memory is its own) ingests the inbox into a fresh DuckDB file and runs every stage the flow
runs (keywords, clue sentiment, survey screen, resolution, registry, scoring, ledger, the daily exports), timing each.
DuckDB's own `read_csv` of the same registrations file is timed in the same child as the floor no
pipeline can beat; the ratio says how far above that floor the whole run is.

Usage: python -m benchmarks.bench_scale [SIZE ...] [--seed S]   (default 100000 1000000 3000000;
10000000 runs when named). Prefect's own overhead (the ephemeral API, ~10-75 s once) is not included.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import print_table, sizes_and_seed

DEFAULT_SIZES = (100_000, 1_000_000, 3_000_000)
DEFAULT_SEED = 4545  # never used by tests/


def child(inbox: Path, db: Path, out: Path) -> None:
    """Run in a fresh process: ingest and every stage; print one JSON line per step."""
    import resource

    import duckdb

    from fundrisk.campaign.survey_stage import run_survey_screen
    from fundrisk.inbox import discover
    from fundrisk.ingest import ingest_file
    from fundrisk.publish import update_ledger
    from fundrisk.publish.daily import publish_daily
    from fundrisk.settings import Settings
    from fundrisk.stages.keywords import run_keywords
    from fundrisk.stages.registry import run_registry
    from fundrisk.stages.resolve import run_resolution
    from fundrisk.stages.scoring import run_scoring
    from fundrisk.stages.sentiment import run_sentiment
    from fundrisk.warehouse import connect

    def report(step: str, seconds: float, rows: int | None = None) -> None:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
        print(json.dumps({"step": step, "seconds": seconds, "rows": rows, "peak_gb": peak}), flush=True)

    reg_csv = inbox / "registrations" / "registrations.csv"
    start = time.perf_counter()
    floor = duckdb.connect()
    n = floor.execute("SELECT count(*) FROM read_csv(?, all_varchar=true)", [str(reg_csv)]).fetchone()
    floor.close()
    report("duckdb read_csv (floor)", time.perf_counter() - start, int(n[0]) if n else None)

    settings = Settings(registry_snapshot=inbox / "registry" / "registry_snapshot.jsonl")
    con = connect(db)
    start = time.perf_counter()
    rows = 0
    for f in discover(inbox):
        rows += ingest_file(con, f.kind, f.path).rows_read
    report("ingest", time.perf_counter() - start, rows)
    run_id = "BENCH"
    stages = [
        ("keywords", lambda: run_keywords(con, run_id)),
        ("sentiment", lambda: run_sentiment(con, run_id)),
        ("survey screen", lambda: run_survey_screen(con, run_id)),
        ("resolution", lambda: run_resolution(con, run_id)),
        ("registry", lambda: run_registry(con, settings)),
        ("scoring", lambda: run_scoring(con, run_id)),
        ("ledger", lambda: update_ledger(con, run_id)),
    ]
    for step, func in stages:
        start = time.perf_counter()
        func()
        report(step, time.perf_counter() - start)
    con.close()
    start = time.perf_counter()
    publish_daily(db, run_id, out)
    report("exports", time.perf_counter() - start)


def measure(size: int, seed: int) -> list[dict[str, object]]:
    from fundrisk.synth import generate

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        start = time.perf_counter()
        generate(root / "inbox", entities=size, seed=seed)
        generated = time.perf_counter() - start
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.bench_scale",
                "--child",
                str(root / "inbox"),
                str(root / "b.duckdb"),
                str(root / "exports"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            tail = proc.stderr.strip().splitlines()[-3:]
            return [{"registrations": size, "step": "FAILED", "seconds": None, "note": " | ".join(tail)}]
        steps = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    floor = next(s for s in steps if s["step"].startswith("duckdb"))
    work = [s for s in steps if not s["step"].startswith("duckdb")]
    total = sum(float(s["seconds"]) for s in work)
    rows = [{"registrations": size, "step": "generate (not in total)", "seconds": round(generated, 1)}]
    for s in steps:
        rows.append(
            {
                "registrations": size,
                "step": s["step"],
                "seconds": round(float(s["seconds"]), 1),
                "rows/s": round(size / float(s["seconds"])) if float(s["seconds"]) else None,
                "peak RSS GB": round(float(s["peak_gb"]), 2),
            }
        )
    rows.append(
        {
            "registrations": size,
            "step": "TOTAL (ingest → exports)",
            "seconds": round(total, 1),
            "rows/s": round(size / total),
            "peak RSS GB": round(max(float(s["peak_gb"]) for s in steps), 2),
            "× read_csv": round(total / float(floor["seconds"]), 1),
        }
    )
    return rows


def main(argv: list[str]) -> None:
    if argv[:1] == ["--child"]:
        child(Path(argv[1]), Path(argv[2]), Path(argv[3]))
        return
    sizes, seed = sizes_and_seed(argv, DEFAULT_SIZES, DEFAULT_SEED)
    table: list[dict[str, object]] = []
    for size in sizes:
        part = measure(size, seed)
        print_table(part)
        print(flush=True)
        table.extend(part)
    print("== pipeline at scale (per stage)")
    print_table(table)


if __name__ == "__main__":
    main(sys.argv[1:])
