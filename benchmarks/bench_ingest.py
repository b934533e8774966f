"""Generate and ingest 1,000,000 registrations; the naive per-row loader is timed beside it.

The naive baseline is what a first version would write: csv.DictReader, stdnum and strptime
per row, and executemany into DuckDB. It runs on a sample and is extrapolated (stated in the table).
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
import tempfile
from pathlib import Path

import duckdb
from stdnum.cn import uscc

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import peak_rss_mb, print_table, timed  # noqa: E402
from fundrisk.ingest import ingest_file  # noqa: E402
from fundrisk.synth import generate  # noqa: E402
from fundrisk.warehouse import connect  # noqa: E402

ENTITIES = 1_000_000
NAIVE_SAMPLE = 20_000
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y%m%d")


def naive_date(text: str) -> dt.date | None:
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def naive_ingest(path: Path, limit: int) -> int:
    """Row-at-a-time: read, validate, insert. Returns rows handled."""
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE r (uscc VARCHAR, name VARCHAR, established_on DATE, capital VARCHAR)")
    good: list[tuple[object, ...]] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for i, row in enumerate(csv.DictReader(handle)):
            if i >= limit:
                break
            code = row["统一社会信用代码"]
            if uscc.is_valid(code) and row["企业名称"]:
                good.append((code, row["企业名称"], naive_date(row["成立日期"]), row["注册资本"]))
    con.executemany("INSERT INTO r VALUES (?, ?, ?, ?)", good)
    con.close()
    return limit


def run(entities: int = ENTITIES) -> list[dict[str, object]]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        summary, gen_s = timed(lambda: generate(root / "inbox", entities=entities, seed=11))
        reg_path = summary.paths["registrations"]
        con = connect(root / "bench.duckdb")
        report, ingest_s = timed(lambda: ingest_file(con, "registrations", reg_path))
        con.close()
        _, naive_s = timed(lambda: naive_ingest(reg_path, NAIVE_SAMPLE))
    naive_full = naive_s * entities / NAIVE_SAMPLE
    return [
        {"step": "generate (all kinds)", "rows": entities, "seconds": gen_s, "rows/s": entities / gen_s},
        {
            "step": "ingest registrations (vectorised)",
            "rows": report.rows_read,
            "seconds": ingest_s,
            "rows/s": report.rows_read / ingest_s,
            "loaded": report.rows_loaded,
            "quarantined": report.rows_quarantined,
        },
        {
            "step": f"ingest naive per-row (extrapolated from {NAIVE_SAMPLE:,})",
            "rows": entities,
            "seconds": naive_full,
            "rows/s": entities / naive_full,
        },
        {"step": "speed-up vectorised / naive", "rows": None, "seconds": naive_full / ingest_s},
        {"step": "peak RSS (MB)", "rows": None, "seconds": peak_rss_mb()},
    ]


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else ENTITIES
    print_table(run(n))
