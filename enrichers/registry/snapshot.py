"""Offline registry snapshot: a JSON Lines file of already-normalised company records.

One JSON object per line, UTF-8, in exactly the normalised record shape the HTTP providers produce
(see ``enrichers.registry.model``)::

    {"uscc": "91370300MA3C0XXXXX", "name": "淄博某某投资咨询有限公司",
     "basic": {"uscc": ..., "name": ..., "legal_rep": ..., "status": "存续", "registered_capital": "1000万人民币",
               "established_on": "2019-03-01", "address": ..., "province": "山东省", "city": "淄博市",
               "district": ..., "scope": ..., "entity_type": ...},
     "abnormal": [{"listed_on": "2023-05-01", "listed_reason": "通过登记的住所或者经营场所无法联系",
                   "listed_by": ..., "removed_on": null, "removed_reason": null, "removed_by": null}],
     "lawsuits": [{"case_no": ..., "title": ..., "case_reason": "民间借贷纠纷", "court": ..., "judged_on": ...,
                   "doc_type": "判决书"}],
     "branches": [{"name": ..., "uscc": ..., "legal_rep": ..., "status": ..., "province": ..., "city": ...}],
     "investments": [{"name": ..., "uscc": ..., "legal_rep": ..., "status": ..., "province": ...,
                      "share": "60%", "amount": "600万"}],
     "changes": [{"changed_on": "2023-02-01", "item": "法定代表人变更", "before": "张三", "after": "李四"}]}

A record is found by its uscc, else by its exact name. Missing list keys count as empty; ``basic`` may be
null for a company known only by name. Look-ups are free: no budget, no cache, no network.

A run asks for every subject at once (``lookup_columns``, issue 11): the wanted lines are decoded and typed
by polars (snapshot_decode, snapshot_columns), and only lines polars could read differently from
``json.loads`` go through Python; ``lookup`` (one subject) is the per-record path with the same answers.
``model.snapshot_line`` is the format of one line; files are written on the fundrisk side
(``fundrisk.synth.registry_snapshot.write_snapshot``, atomically).
"""

from __future__ import annotations

import io
import json
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar, Self

import polars as pl

from enrichers.detach import detached
from enrichers.registry.base import (
    FAILED,
    FETCHED,
    NOT_FOUND,
    NOT_QUERIED,
    CacheHooks,
    LookupResult,
    RegistryProvider,
    Subject,
)
from enrichers.registry.config import RegistryConfig
from enrichers.registry.snapshot_columns import (
    NO_RECORD,
    UNREADABLE,
    ColumnAnswers,
    answer_frame,
    normalise_found,
    not_queried,
)

CHUNK_BYTES = 64 << 20  # the file is read this much at a time (cut at a line end)
SCAN_THREADS = 2  # chunks decoded side by side


def snapshot_lines(path: Path, usccs: list[str] | None, names: list[str] | None) -> pl.DataFrame:
    """(uscc, name, line) of the records whose top-level code or name is wanted (all when None), in file order.

    Reads the file CHUNK_BYTES at a time (whole lines) and decodes only the two keys in Rust, so memory
    follows a chunk and the wanted lines, not the file (a province's snapshot is gigabytes; polars' own
    scan maps the whole file and a streaming scan of 2.5 GB held 4 GB). A line that is not valid JSON makes
    the fast path fail as a whole, and the slow path then skips just that line.
    """
    wanted = None
    if usccs is not None or names is not None:
        wanted = pl.col("uscc").is_in(pl.Series(usccs or [], dtype=pl.String).implode()) | pl.col(
            "name"
        ).is_in(pl.Series(names or [], dtype=pl.String).implode())
    try:
        parts = list(_scanned(_line_chunks(Path(path)), wanted))
    except pl.exceptions.PolarsError:
        return _snapshot_lines_slow(path, usccs, names)
    return pl.concat(parts) if parts else _wanted_lines(b"", wanted)


def _scanned(chunks: Iterator[bytes], wanted: pl.Expr | None) -> Iterator[pl.DataFrame]:
    """_wanted_lines of each chunk, in order, SCAN_THREADS chunks at a time: decoding a chunk's keys runs
    mostly on one core, and polars lets go of the GIL while it does. At most SCAN_THREADS chunks (and the
    one being read) are held."""
    with ThreadPoolExecutor(max_workers=SCAN_THREADS, thread_name_prefix="snapshot-scan") as pool:
        pending: deque[Future[pl.DataFrame]] = deque()
        try:
            for chunk in chunks:
                pending.append(pool.submit(_wanted_lines, chunk, wanted))
                if len(pending) >= SCAN_THREADS:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def _line_chunks(path: Path) -> Iterator[bytes]:
    """The file's bytes in pieces of about CHUNK_BYTES that end at a line end (the last one may not).

    A piece is completed with the rest of its last line (one copy of the piece; cutting it at its last
    line end and carrying the remainder over cost two, ~1 s of page faults at a million lines)."""
    with path.open("rb") as src:
        while block := src.read(CHUNK_BYTES):
            tail = b"" if block.endswith(b"\n") else src.readline()
            yield block + tail if tail else block


def _wanted_lines(chunk: bytes, wanted: pl.Expr | None) -> pl.DataFrame:
    """(uscc, name, line) of whole lines of the file; those `wanted` selects when given."""
    schema = {"uscc": pl.String, "name": pl.String, "line": pl.String}
    if not chunk:
        return pl.DataFrame(schema=schema)
    lines = pl.read_csv(
        io.BytesIO(chunk),
        has_header=False,
        separator="\x01",  # never inside valid JSON text: each line is one field
        quote_char=None,
        new_columns=["line"],
        schema={"line": pl.String},
        encoding="utf8-lossy",
    ).filter(pl.col("line").str.strip_chars() != "")
    keys = pl.Struct({"uscc": pl.String, "name": pl.String})
    frame = lines.with_columns(pl.col("line").str.json_decode(keys).alias("k")).select(
        pl.col("k").struct.field("uscc"), pl.col("k").struct.field("name"), "line"
    )
    kept = frame if wanted is None else frame.filter(wanted)
    # Filtered, the kept rows still point into the whole chunk's buffers: copied out, or every chunk of
    # a province's file stays in memory.
    return detached(kept).cast(schema)  # type: ignore[arg-type]


def _snapshot_lines_slow(path: Path, usccs: list[str] | None, names: list[str] | None) -> pl.DataFrame:
    wanted_usccs, wanted_names = set(usccs or []), set(names or [])
    everything = usccs is None and names is None
    rows = []
    with path.open(encoding="utf-8", errors="replace") as src:
        for line in src:
            try:
                record = json.loads(line) if line.strip() else None
            except (ValueError, RecursionError):
                continue  # a broken (or too deeply nested) line is one company the snapshot does not know
            if not isinstance(record, dict):
                continue
            uscc, name = _key(record.get("uscc")), _key(record.get("name"))
            if everything or uscc in wanted_usccs or name in wanted_names:
                rows.append((uscc, name, line))
    return pl.DataFrame(rows, schema={"uscc": pl.String, "name": pl.String, "line": pl.String}, orient="row")


def _key(value: Any) -> str | None:
    """A top-level code or name as text; one no subject can have (a lone surrogate, say ``\\ud800``) is None."""
    if not value:
        return None
    text = str(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return text


def read_snapshot(path: Path | str) -> list[dict[str, Any]]:
    """Every record of a snapshot file; blank lines are skipped."""
    with Path(path).open(encoding="utf-8") as src:
        return [json.loads(line) for line in src if line.strip()]


class Snapshot(RegistryProvider):
    name: ClassVar[str] = "snapshot"
    paid: ClassVar[bool] = False

    def __init__(self, path: Path | str | None, **kwargs: Any) -> None:
        super().__init__(None, **kwargs)
        # Only the lines of the companies a run asks for are kept (``prepare``): a province's snapshot
        # holds millions of records of which a run looks up a few per cent.
        self._path = Path(path) if path is not None else None
        self._by_uscc: dict[str, str] | None = None
        self._by_name: dict[str, str] = {}
        if path is None or not Path(path).exists():
            self.stopped = (
                f"未找到工商信息快照文件「{path or '未配置'}」（FUNDRISK_REGISTRY_SNAPSHOT），未查询工商信息"
            )

    @classmethod
    def from_config(cls, config: RegistryConfig, **policy: Any) -> Self:
        return cls(config.snapshot, **policy)

    @classmethod
    def configured(cls, config: RegistryConfig) -> bool:
        return config.snapshot is not None

    def prepare(self, subjects: list[Subject] | None) -> None:
        """Keep the lines of these subjects (every line when None): one streaming scan of the file."""
        self._by_uscc, self._by_name = {}, {}
        if self._path is None or self.stopped:
            return
        usccs = None if subjects is None else [s.uscc for s in subjects if s.uscc]
        names = None if subjects is None else [s.name for s in subjects if s.name]
        found = snapshot_lines(self._path, usccs, names)
        # A later line with the same code wins; with the same name the earlier line wins.
        for uscc, name, line in found.iter_rows():
            if uscc:
                self._by_uscc[uscc] = line
            if name:
                self._by_name.setdefault(name, line)

    def _record(self, line: str | None) -> dict[str, Any] | None:
        return json.loads(line) if line else None

    async def lookup(self, subject: Subject, cache: CacheHooks | None) -> LookupResult:
        if self.stopped:
            return LookupResult(subject, NOT_QUERIED, detail=self.stopped)
        if self._by_uscc is None:
            self.prepare(None)
        assert self._by_uscc is not None
        try:
            found = (self._record(self._by_uscc.get(subject.uscc)) if subject.uscc else None) or self._record(
                self._by_name.get(subject.name)
            )
        except (ValueError, RecursionError):  # a line nested too deep or broken after the key scan
            return LookupResult(subject, FAILED, detail=UNREADABLE)
        if not isinstance(found, dict):
            return LookupResult(subject, NOT_FOUND, detail=NO_RECORD)
        # Typed once, with every other answer, when the run's outcome is built (lookup.Lookups.outcome).
        return LookupResult(subject, FETCHED, self.normalise(subject, {"snapshot": found}))

    def normalise(self, subject: Subject, payloads: dict[str, Any]) -> dict[str, Any]:
        return normalise_found(subject.uscc, subject.name, payloads["snapshot"])

    def lookup_columns(self, wanted: pl.DataFrame) -> ColumnAnswers:
        """Every wanted subject (idx, uscc, name) at once: the same answers as ``lookup`` one by one, with
        the records typed by polars (snapshot_columns) and one streaming scan of the file."""
        if self.stopped or self._path is None:
            return not_queried(wanted, self.stopped or "")
        usccs = wanted["uscc"].drop_nulls().to_list()
        names = wanted.filter(pl.col("name") != "")["name"].to_list()
        return answer_frame(snapshot_lines(self._path, usccs, names), wanted)
