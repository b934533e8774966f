"""Time the ingest of every file of an inbox as `fundrisk run` does it: one connection per file, closed after.

Closing the connection includes DuckDB's checkpoint, which a province-sized insert can make expensive
(rows written on several threads were compressed and written a second time there: ~8 s at 1,000,000
registrations before ingest wrote on one DuckDB thread), so it is timed as part of each file. A last
row re-ingests the registrations with a few rows changed: the path that compares a batch with the
stored rows. CPU seconds count every thread of the process (validation and writing overlap).

    python -m benchmarks.bench_ingest_files                  # generated district, 50,000 entities
    python -m benchmarks.bench_ingest_files /path/to/inbox   # an existing inbox (e.g. the 1M district)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import peak_rss_mb, print_table  # noqa: E402
from fundrisk.inbox import discover  # noqa: E402
from fundrisk.ingest import ingest_file  # noqa: E402
from fundrisk.synth import generate  # noqa: E402
from fundrisk.warehouse import connect  # noqa: E402

ENTITIES = 50_000
SEED = 4242
EDITED = 5  # rows of the registrations changed for the re-ingest


def ingest_timed(db: Path, kind: str, path: Path) -> dict[str, object]:
    start, cpu = time.perf_counter(), time.process_time()
    con = connect(db)
    report = ingest_file(con, kind, path)
    closing = time.perf_counter()
    con.close()  # the checkpoint
    seconds = time.perf_counter() - start
    return {
        "kind": kind,
        "file": path.name,
        "rows": report.rows_read,
        "seconds": seconds,
        "cpu s": time.process_time() - cpu,
        "close s": time.perf_counter() - closing,
        "rows/s": report.rows_read / seconds if seconds else None,
        "updated": report.rows_updated,
        "unchanged": report.rows_unchanged,
    }


def changed_copy(source: Path, target: Path) -> Path:
    """The registrations with EDITED names changed, spread over the file (a month's corrections)."""
    lines = source.read_text(encoding="utf-8-sig").splitlines()
    step = max(1, (len(lines) - 1) // EDITED)
    for number in range(1, len(lines), step)[:EDITED]:
        code, name, rest = lines[number].split(",", 2)
        lines[number] = f"{code},{name}（更名）,{rest}"
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def run(inbox: Path, work: Path) -> list[dict[str, object]]:
    db = work / "bench.duckdb"
    files = discover(inbox)
    rows = [ingest_timed(db, f.kind, f.path) for f in files]
    registrations = next(f.path for f in files if f.kind == "registrations")
    if registrations.suffix.lower() == ".csv":
        again = ingest_timed(
            db, "registrations", changed_copy(registrations, work / "registrations_更正.csv")
        )
        rows.append({**again, "kind": "registrations (re-ingest)"})
    seconds = sum(float(str(r["seconds"])) for r in rows)
    cpu = sum(float(str(r["cpu s"])) for r in rows)
    rows.append({"kind": "all files", "seconds": seconds, "cpu s": cpu})
    rows.append({"kind": "peak RSS (MB)", "seconds": peak_rss_mb()})
    return rows


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        if len(sys.argv) > 1:
            source = Path(sys.argv[1])
        else:
            generate(root / "inbox", entities=ENTITIES, seed=SEED)
            source = root / "inbox"
        print_table(run(source, root))
