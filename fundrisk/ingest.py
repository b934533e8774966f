"""Ingest one input file: read, validate, store — or skip it when its SHA-256 was seen before."""

from __future__ import annotations

import logging
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from fundrisk.errors import BadInput
from fundrisk.sources.readers import read_table, sha256_file
from fundrisk.sources.spec import get_kind
from fundrisk.sources.validate import validate
from fundrisk.warehouse.ingest_store import FileRecord, file_seen, write_ingest

log = logging.getLogger(__name__)


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
    con: duckdb.DuckDBPyConnection, kind: str, path: Path, run_id: str | None = None
) -> IngestReport:
    """Load one file of the given kind; raises BadInput when the file as a whole cannot be used."""
    spec = get_kind(kind)
    path = Path(path)
    if not path.is_file():
        raise BadInput(f"找不到文件「{path}」")
    digest = sha256_file(path)
    if file_seen(con, digest, kind):
        log.info("skip %s: already ingested", path.name)
        return IngestReport(kind, path.name, digest, skipped=True)
    raw = read_table(path)
    result = validate(raw, spec, path.name)
    read, loaded, rejected = raw.rows_read, result.loaded.height, result.quarantine.height
    if loaded + rejected != read:  # the invariant the analysts rely on; never silently break it
        raise AssertionError(f"row count mismatch in {path.name}: {loaded}+{rejected}!={read}")
    record = FileRecord(digest, kind, path.name, str(path.resolve()), raw.encoding, uuid.uuid4().hex, run_id)
    updated, unchanged = write_ingest(con, spec, result.loaded, result.quarantine, record)
    report = IngestReport(kind, path.name, digest, read, loaded, rejected, updated, rows_unchanged=unchanged)
    log.info("ingested %s: read=%d loaded=%d quarantined=%d", path.name, read, loaded, rejected)
    return report
