"""Ingest one input file: read, validate, store — or skip it when its SHA-256 was seen before."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext, suppress
from dataclasses import asdict, dataclass
from pathlib import Path

import polars as pl

from fundrisk.errors import BadInput
from fundrisk.sources.batches import NotStreamable, raw_batches
from fundrisk.sources.readers import RawTable, read_table, sha256_file
from fundrisk.sources.spec import KindSpec, get_kind
from fundrisk.sources.validate import validate
from fundrisk.warehouse.db import Connection, transaction
from fundrisk.warehouse.ingest_store import (
    FileRecord,
    drop_stage,
    file_seen,
    one_thread,
    record_file,
    stage_batch,
    stage_rows,
    write_stage,
    write_staged,
)

log = logging.getLogger(__name__)
STAGE_BYTES = 1 << 30  # a CSV above this (about 2 million registrations) is staged before its transaction


@dataclass(frozen=True)
class IngestReport:
    """Counts only — safe to log and to keep as a task result (no personal data)."""

    kind: str
    source_file: str
    sha256: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_updated: int = 0
    skipped: bool = False
    rows_unchanged: int = 0  # rows restating their stored record: neither an update nor a new version
    notes: tuple[str, ...] = ()  # what the reader decided for the analyst (sheets left out, title rows)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def describe(self) -> str:
        if self.skipped:
            return f"{self.source_file}：该文件已导入过（内容相同），跳过"
        return (
            f"{self.source_file}：读取 {self.rows_read} 行，入库 {self.rows_loaded} 行"
            f"（更新已有 {self.rows_updated} 条，与已有记录相同 {self.rows_unchanged} 条），"
            f"隔离 {self.rows_quarantined} 行"
        )


def ingest_file(
    con: Connection, kind: str, path: Path, run_id: str | None = None, *, stage_above: int = STAGE_BYTES
) -> IngestReport:
    """Load one file of the given kind; raises BadInput when the file as a whole cannot be used.

    A large CSV is validated and written batch by batch inside one transaction, so memory is bounded
    by a batch while the file still lands whole or not at all. A file above `stage_above` bytes (a
    province's) is staged batch by batch in the database first and written in one transaction at the
    end: DuckDB would hold its every row in memory until a transaction around the batches commits.
    """
    spec = get_kind(kind)  # accepts the Chinese names; everything below records the canonical kind
    kind = spec.kind
    path = Path(path)
    if not path.is_file():
        raise BadInput(f"找不到文件「{path}」")
    digest = sha256_file(path)
    if file_seen(con, digest, kind):
        log.info("skip %s: already ingested", path.name)
        return IngestReport(kind, path.name, digest, skipped=True)
    ingest_id = uuid.uuid4().hex
    try:
        with raw_batches(path, spec) as (encoding, batches):
            record = FileRecord(digest, kind, path.name, str(path.resolve()), encoding, ingest_id, run_id)
            counts, notes = _store(con, spec, record, batches, staged=path.stat().st_size > stage_above)
    except NotStreamable:  # polars refused a record part-way: the tolerant whole-file reader decides
        raw = read_table(path, spec)
        record = FileRecord(digest, kind, path.name, str(path.resolve()), raw.encoding, ingest_id, run_id)
        counts, notes = _store(con, spec, record, iter([raw]))
    read, loaded, rejected, updated, unchanged = counts
    log.info("ingested %s: read=%d loaded=%d quarantined=%d", path.name, read, loaded, rejected)
    return IngestReport(
        kind, path.name, digest, read, loaded, rejected, updated, rows_unchanged=unchanged, notes=notes
    )


def _store(
    con: Connection, spec: KindSpec, record: FileRecord, batches: Iterator[RawTable], staged: bool = False
) -> tuple[tuple[int, int, int, int, int], tuple[str, ...]]:
    """Validate and write every batch in one transaction.

    A batch is written on a helper thread while the next one is read and validated: DuckDB's insert
    and polars' validation both release the GIL, so the two cores overlap instead of taking turns
    (DuckDB on one thread of its own for the file: `one_thread`). Only that thread touches the
    connection while a write is pending, and every write has finished before the transaction commits
    or rolls back. Returns (read, loaded, quarantined, updated, restated) and the readers' notes.
    `staged`: the batches are appended to staging tables as they come (each committed), and written in
    one transaction after the last (ingest_file).
    """
    read = loaded = rejected = updated = unchanged = 0
    notes: tuple[str, ...] = ()
    seen = pl.DataFrame(schema={"record_key": pl.Utf8, "line": pl.Int64})
    pending: Future[tuple[int, int]] | None = None
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-write")
    # The pool is entered last, so it is left first: on a failure its exit waits for a pending write
    # before the transaction rolls back.
    write = stage_rows if staged else write_staged
    if staged:
        drop_stage(con, spec)  # a run killed while staging left its rows there
    try:
        with one_thread(con) as threads, nullcontext() if staged else transaction(con), pool as writer:
            for raw in batches:
                result = validate(raw, spec, record.source_file, seen)
                rows, ok, bad = raw.rows_read, result.loaded.height, result.quarantine.height
                if ok + bad != rows:  # the invariant the analysts rely on; never silently break it
                    raise AssertionError(f"row count mismatch in {record.source_file}: {ok}+{bad}!={rows}")
                if pending is not None:
                    changed, restated = pending.result()
                    updated, unchanged = updated + changed, unchanged + restated
                staged_batch = stage_batch(result.loaded, result.quarantine, record)  # Arrow, on this thread
                pending = writer.submit(write, con, spec, staged_batch, threads)
                read, loaded, rejected = read + rows, loaded + ok, rejected + bad
                seen = pl.concat([seen, result.loaded.select("record_key", "line")])
                notes = (*notes, *(note for note in raw.notes if note not in notes))
            if pending is not None:
                changed, restated = pending.result()
                updated, unchanged = updated + changed, unchanged + restated
            if not staged:
                record_file(con, record, read, loaded, rejected, updated)
        if staged:
            with one_thread(con) as threads, transaction(con):
                updated, unchanged = write_stage(con, spec, threads)
                record_file(con, record, read, loaded, rejected, updated)
    except BaseException:
        if staged:
            with suppress(Exception):  # the first error is the one to report
                drop_stage(con, spec)
        raise
    return (read, loaded, rejected, updated, unchanged), notes
