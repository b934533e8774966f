"""Time `fundrisk generate` at scale: rows/s, seconds and peak RSS (run: python benchmarks/bench_generate.py)."""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from fundrisk.synth import generate


def run(entities: int = 1_000_000, seed: int = 7) -> list[dict[str, object]]:
    """Generate `entities` registrations into a temporary directory; one result row."""
    with tempfile.TemporaryDirectory(prefix="fundrisk-bench-") as tmp:
        start = time.perf_counter()
        summary = generate(Path(tmp), entities=entities, seed=seed)
        seconds = time.perf_counter() - start
        size = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file())
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    return [
        {
            "entities": entities,
            "seconds": round(seconds, 2),
            "rows_per_s": round(entities / seconds),
            "peak_rss_mb": round(peak_kb / 1024),
            "output_mb": round(size / 1e6),
            "alerts": summary.rows["alerts"],
            "clues": summary.rows["clues"],
        }
    ]


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rows = run(n)
    keys = list(rows[0])
    print(" | ".join(keys))
    for row in rows:
        print(" | ".join(str(row[k]) for k in keys))
