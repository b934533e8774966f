"""`fundrisk review import`: store a reviewed workbook's decisions and record who decided, idempotently.

A row counts when its 复核结论 is one of its sheet's choices; blank and unknown choices are skipped and
counted. A decision equal to the stored one changes nothing, so importing the same file twice is a no-op.
Links and lead pairs are stored for the next run's resolution to honour; a quarantined row marked 已更正
goes through its kind's normal validation (provenance: file name + 复核更正 + reviewer) and leaves
quarantine only when it now passes; 作废 resolves it. Every stored decision is a ledger event whose actor
is the reviewer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

import polars as pl

from fundrisk.errors import BadInput
from fundrisk.review.config import DECISION, KEY_COLUMNS, NOTE, Queue, queues
from fundrisk.review.export import SOURCE_KINDS
from fundrisk.review.notes import reason_counts
from fundrisk.review.quarantine import keys_frame, raw_values, rebuild
from fundrisk.review.workbook import read_book
from fundrisk.sources.readers import LINE, RawTable
from fundrisk.sources.spec import KINDS
from fundrisk.sources.validate import validate
from fundrisk.warehouse import review_store as store
from fundrisk.warehouse.db import Connection
from fundrisk.warehouse.ingest_store import FileRecord, file_seen, write_ingest

REF = ["ref_kind", "ref_id", "target_id"]


@dataclass
class ImportResult:
    """Counts only (safe to print and log)."""

    applied: dict[str, int] = field(default_factory=dict)  # sheet → decisions stored (new or changed)
    unchanged: int = 0  # same decision as stored, or a quarantined row already resolved
    blank: int = 0
    unknown: int = 0  # a 复核结论 that is not one of the sheet's choices
    missing: int = 0  # the record no longer exists
    conflicts: int = 0  # several candidates of one record confirmed in the same file
    reloaded: int = 0  # corrected rows that passed validation and were loaded
    still_invalid: dict[str, int] = field(default_factory=dict)  # reason → corrected rows still failing

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class _Batch:
    """What one import writes, accumulated over the sheets and stored in one transaction."""

    reviewer: str
    review_file: str
    at: dt.datetime
    decisions: list[pl.DataFrame] = field(default_factory=list)
    events: list[pl.DataFrame] = field(default_factory=list)
    resolved: list[pl.DataFrame] = field(default_factory=list)

    def add(self, queue: Queue, rows: pl.DataFrame, subject: list[pl.Expr], detail: pl.Expr) -> None:
        """Decision rows (REF, decision, note, outcome) and one ledger event each."""
        label = pl.col("decision").replace_strict(queue.labels, default=pl.col("decision"))
        stamp = [pl.lit(self.reviewer).alias("reviewer"), pl.lit(self.at).alias("decided_at")]
        self.decisions.append(
            rows.select(
                pl.lit(queue.key).alias("queue"),
                *REF,
                "decision",
                "note",
                "outcome",
                *stamp,
                pl.lit(self.review_file).alias("review_file"),
            )
        )
        note = (
            pl.when(pl.col("note").is_not_null())
            .then(pl.lit("；备注：") + pl.col("note"))
            .otherwise(pl.lit(""))
        )
        self.events.append(
            rows.select(
                *subject,
                (pl.lit("复核：") + label).alias("event"),
                pl.lit(self.at.date()).alias("event_on"),
                pl.lit(None, pl.Utf8).alias("unit"),
                pl.lit(None, pl.Date).alias("deadline"),
                pl.lit("review").alias("source"),
                pl.concat_str(detail, pl.lit(f"；复核人：{self.reviewer}"), note).alias("detail"),
                pl.lit(None, pl.Utf8).alias("run_id"),
                pl.lit(self.at).alias("recorded_at"),
                pl.lit(self.reviewer).alias("actor"),
            )
        )


def import_review(con: Connection, path: Path, reviewer: str) -> ImportResult:
    reviewer = (reviewer or "").strip()
    if not reviewer:
        raise BadInput("请用 --reviewer 写明复核人姓名（将记入动态管理台账）")
    qs = queues()
    book = read_book(Path(path), [q.sheet for q in qs.values()])
    result = ImportResult()
    batch = _Batch(reviewer, Path(path).name, store.now())
    for key, queue in qs.items():
        if queue.sheet not in book:
            continue
        rows = _chosen(book[queue.sheet], queue, result)
        rows = _changed(rows, store.decided_keys(con, key), result)
        before = sum(d.height for d in batch.decisions)
        {"link": _links, "lead": _leads, "quarantine": _quarantine}[key](con, queue, rows, batch, result)
        result.applied[queue.sheet] = sum(d.height for d in batch.decisions) - before
    if batch.decisions:
        store.save_decisions(
            con,
            pl.concat(batch.decisions, how="vertical_relaxed"),
            pl.concat(batch.events, how="vertical_relaxed"),
            pl.concat(batch.resolved, how="vertical_relaxed") if batch.resolved else _RESOLVED_EMPTY,
        )
    return result


_RESOLVED_EMPTY = pl.DataFrame(
    schema={
        "kind": pl.Utf8,
        "ingest_id": pl.Utf8,
        "line": pl.Int64,
        "resolution": pl.Utf8,
        "resolved_by": pl.Utf8,
        "resolved_at": pl.Datetime("us"),
    }
)


def _chosen(sheet: pl.DataFrame, queue: Queue, result: ImportResult) -> pl.DataFrame:
    """Rows with a known choice: REF, decision (code), note, and the sheet's other cells."""
    choice = pl.col(DECISION)
    result.blank += sheet.filter(choice.is_null()).height
    known = choice.is_in(list(queue.choices))
    result.unknown += sheet.filter(choice.is_not_null() & ~known).height
    rows = sheet.filter(known)
    keyed = pl.all_horizontal(pl.col(c).is_not_null() for c in KEY_COLUMNS)
    result.missing += rows.filter(~keyed).height
    note = pl.col(NOTE) if NOTE in rows.columns else pl.lit(None, pl.Utf8)
    return (
        rows.filter(keyed)
        .with_columns(
            *(pl.col(k).alias(r) for k, r in zip(KEY_COLUMNS, REF, strict=True)),
            choice.replace_strict(queue.choices).alias("decision"),
            note.alias("note"),
            pl.lit(None, pl.Utf8).alias("outcome"),
        )
        .unique(REF, keep="last", maintain_order=True)
    )


def _changed(rows: pl.DataFrame, stored: pl.DataFrame, result: ImportResult) -> pl.DataFrame:
    """Drop rows whose decision is already stored (counted as unchanged)."""
    same = rows.join(stored.select(*REF, "decision"), on=[*REF, "decision"], how="semi")
    result.unchanged += same.height
    return rows.join(stored.select(*REF, "decision"), on=[*REF, "decision"], how="anti")


def _links(con: Connection, queue: Queue, rows: pl.DataFrame, batch: _Batch, result: ImportResult) -> None:
    confirms = pl.col("decision") == "confirm"
    crowded = rows.filter(confirms).filter(pl.len().over("ref_kind", "ref_id") > 1)
    result.conflicts += crowded.height
    rows = rows.join(crowded.select(REF), on=REF, how="anti")
    found = rows.join(store.existing_links(con, rows), on=REF, how="semi")
    result.missing += rows.height - found.height
    source = pl.col("ref_kind").replace_strict(SOURCE_KINDS, default=pl.col("ref_kind"))
    label = pl.col("decision").replace_strict(queue.labels)
    batch.add(
        queue,
        found,
        [pl.lit("registration").alias("subject_kind"), pl.col("target_id").alias("subject_id")],
        pl.concat_str(source, pl.col("ref_id"), pl.lit(" 与本主体："), label),
    )


def _leads(con: Connection, queue: Queue, rows: pl.DataFrame, batch: _Batch, result: ImportResult) -> None:
    leads, _ = store.current_leads(con)
    ids = leads.select("lead_id")
    found = rows.join(ids, left_on="ref_id", right_on="lead_id", how="semi").join(
        ids, left_on="target_id", right_on="lead_id", how="semi"
    )
    result.missing += rows.height - found.height
    label = pl.col("decision").replace_strict(queue.labels)
    batch.add(
        queue,
        found,
        [pl.lit("lead").alias("subject_kind"), pl.col("ref_id").alias("subject_id")],
        pl.concat_str(pl.lit("与线索 "), pl.col("target_id"), pl.lit("（疑似同一经营者）："), label),
    )


def _quarantine(
    con: Connection, queue: Queue, rows: pl.DataFrame, batch: _Batch, result: ImportResult
) -> None:
    keyed = pl.concat([rows, keys_frame(rows)], how="horizontal")
    stored = store.quarantine_rows(con, keyed.drop_nulls("line"))
    here = keyed.join(stored, on=["kind", "ingest_id", "line"], how="inner", maintain_order="left")
    result.missing += keyed.height - here.height
    result.unchanged += here.filter(pl.col("resolution").is_not_null()).height
    here = here.filter(pl.col("resolution").is_null())
    void = here.filter(pl.col("decision") == "void").with_columns(pl.lit("作废").alias("outcome"))
    loaded = _reingest(con, here.filter(pl.col("decision") == "corrected"), batch, result)
    done = pl.concat([void, loaded], how="diagonal_relaxed")
    if not done.height:
        return
    kind_label = pl.col("kind").replace_strict({k: s.label for k, s in KINDS.items()}, default=pl.col("kind"))
    batch.add(
        queue,
        done,
        [
            pl.lit("quarantine").alias("subject_kind"),
            pl.concat_str("source_file", pl.lit("#"), pl.col("line").cast(pl.Utf8)).alias("subject_id"),
        ],
        pl.concat_str(
            kind_label,
            pl.lit("文件「"),
            "source_file",
            pl.lit("」第"),
            pl.col("line").cast(pl.Utf8),
            pl.lit("行："),
            "outcome",
        ),
    )
    batch.resolved.append(
        done.select(
            "kind",
            "ingest_id",
            "line",
            pl.col("decision").replace_strict(queue.labels).alias("resolution"),
            pl.lit(batch.reviewer).alias("resolved_by"),
            pl.lit(batch.at).alias("resolved_at"),
        )
    )


def _reingest(con: Connection, rows: pl.DataFrame, batch: _Batch, result: ImportResult) -> pl.DataFrame:
    """Validate the corrected rows as their kind; load those that pass; return them with an outcome."""
    if not rows.height:
        return rows
    wanted = rows.select("kind", "ingest_id", "line")
    open_rows, cells = store.open_quarantine(con, wanted), store.quarantine_cells(con, wanted)
    records = rebuild(rows, raw_values(open_rows, cells))
    passed: list[pl.DataFrame] = []
    for (kind, ingest_id), group in _groups(records).items():  # one correction file per original file
        source = str(rows.filter(pl.col("ingest_id") == ingest_id)["source_file"][0])
        provenance = f"{source}（复核更正：{batch.reviewer}）"
        ok = _validate_and_load(con, kind, group, provenance, batch, result)
        passed.append(
            rows.filter((pl.col("ingest_id") == ingest_id) & pl.col("line").is_in(ok)).with_columns(
                pl.lit(f"已更正并重新导入（来源：{provenance}）").alias("outcome")
            )
        )
    return pl.concat(passed, how="vertical_relaxed") if passed else rows.clear()


def _groups(records: list[dict[str, object]]) -> dict[tuple[str, str], list[dict[str, object]]]:
    groups: dict[tuple[str, str], list[dict[str, object]]] = {}
    for record in records:
        groups.setdefault((str(record["kind"]), str(record["ingest_id"])), []).append(record)
    return groups


def _validate_and_load(
    con: Connection,
    kind: str,
    records: list[dict[str, object]],
    provenance: str,
    batch: _Batch,
    result: ImportResult,
) -> list[int]:
    """Lines of the records that pass the kind's validation, loaded under `provenance`."""
    spec = KINDS[kind]
    broken = [r for r in records if r["error"]]
    for r in broken:
        result.still_invalid[str(r["error"])] = result.still_invalid.get(str(r["error"]), 0) + 1
    usable = [r for r in records if not r["error"]]
    if not usable:
        return []
    rows = [{LINE: r["line"], **r["values"]} for r in usable]  # type: ignore[dict-item]
    headers = list(dict.fromkeys(h for row in rows for h in row))
    frame = pl.DataFrame(
        rows, schema={h: (pl.Int64 if h == LINE else pl.Utf8) for h in headers}, orient="row"
    )
    frame = frame.with_columns(pl.col(h).cast(pl.Utf8) for h in headers if h != LINE)
    rejects = pl.DataFrame(schema={"line": pl.Int64, "reason": pl.Utf8, "raw": pl.Utf8})
    checked = validate(RawTable(frame=frame, rejects=rejects, encoding="xlsx"), spec, provenance)
    for label, n in reason_counts(checked.quarantine.select("reason", pl.lit(1).alias("n"))).items():
        result.still_invalid[label] = result.still_invalid.get(label, 0) + n
    if not checked.loaded.height:
        return []
    payload = json.dumps([kind, provenance, checked.loaded.to_dicts()], ensure_ascii=False, default=str)
    digest = hashlib.sha256(payload.encode("utf-8")).hexdigest()
    if not file_seen(con, digest, kind):  # loaded by an import that stopped before its decisions were kept
        record = FileRecord(digest, kind, provenance, batch.review_file, "xlsx", uuid.uuid4().hex, None)
        write_ingest(con, spec, checked.loaded, checked.quarantine.clear(), record)
    result.reloaded += checked.loaded.height
    return [int(v) for v in checked.loaded["line"].to_list()]
