"""Case-file attachments in the inbox: INBOX/evidence/<code or WZ-id>/ (or 证据材料/) registered by SHA-256.

Photos of the 门脸, promotional leaflets and PDFs arrive as files, not rows; each is hashed by streaming
(a 2 GB video is never read into memory), typed by its first bytes rather than trusting the suffix, and
recorded in evidence_files. Files over MAX_BYTES are registered with a Chinese note and never embedded
in a case file. A file already on record with the same path, size and modification time is not hashed
again, so the daily run stays cheap however much evidence piles up.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import re
from pathlib import Path
from typing import Any

import polars as pl

from fundrisk.sources.readers import sha256_file
from fundrisk.warehouse.db import Connection
from fundrisk.warehouse.evidence_store import COLUMNS, register_files, unchanged_paths

EVIDENCE_FOLDERS = ("evidence", "证据材料")
MAX_BYTES = 50 * 1024 * 1024
# A folder may carry the subject's name after its code: "91370306MA…X（某某公司）", "WZ-clue-XS2026-000003 馨川".
SUBJECT = re.compile(r"^\s*(WZ-[0-9A-Za-z-]+|[0-9A-Za-z]{18})(?![0-9A-Za-z])")
MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),
    (b"%PDF-", 0, "application/pdf"),
)
SCHEMA = pl.Schema(
    {
        "subject_id": pl.String(),
        "file_name": pl.String(),
        "path": pl.String(),
        "size_bytes": pl.Int64(),
        "modified_at": pl.Datetime("us"),
    }
)
DESCRIBED = pl.Schema({**SCHEMA, "sha256": pl.String(), "media_type": pl.String(), "note": pl.String()})


def subject_of(folder_name: str) -> str:
    """The subject a folder belongs to: its leading credit code (upper-cased) or WZ- lead id, else the name."""
    found = SUBJECT.match(folder_name)
    if found is None:
        return folder_name.strip()
    code = found.group(1)
    return code if code.upper().startswith("WZ-") else code.upper()


def media_type(path: Path) -> tuple[str, str | None]:
    """(media type, note): the content's type when its first bytes say so, else the suffix's guess."""
    with path.open("rb") as handle:
        head = handle.read(16)
    guessed = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    for magic, offset, kind in MAGIC:
        if head[offset : offset + len(magic)] == magic:
            known_suffix = guessed != "application/octet-stream"
            mismatch = known_suffix and guessed != kind
            return kind, f"扩展名与内容不符：按内容识别为 {kind}" if mismatch else None
    if guessed.startswith("image/") or guessed == "application/pdf":
        return "application/octet-stream", f"扩展名为 {path.suffix}，但文件内容无法识别为该类型"
    return guessed, None


def evidence_dirs(inbox: Path) -> list[Path]:
    """Every subject folder under INBOX/evidence/ and INBOX/证据材料/, in name order."""
    roots = [inbox / name for name in EVIDENCE_FOLDERS if (inbox / name).is_dir()]
    return [d for root in roots for d in sorted(root.iterdir()) if d.is_dir() and not _hidden(d)]


def scan(inbox: Path) -> pl.DataFrame:
    """subject_id, file_name (relative to the subject folder), path, size_bytes, modified_at of every file."""
    rows: list[dict[str, Any]] = []
    for folder in evidence_dirs(inbox):
        subject = subject_of(folder.name)
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or _hidden(path):
                continue
            stat = path.stat()
            rows.append(
                {
                    "subject_id": subject,
                    "file_name": str(path.relative_to(folder)),
                    "path": str(path.resolve()),
                    "size_bytes": stat.st_size,
                    "modified_at": dt.datetime.fromtimestamp(stat.st_mtime),
                }
            )
    return pl.DataFrame(rows, schema=SCHEMA)


def register_inbox_evidence(
    con: Connection, inbox: Path, run_id: str | None = None, max_bytes: int = MAX_BYTES
) -> dict[str, int]:
    """Hash and register every new evidence file of the inbox; counts only (safe to log and to keep)."""
    found = scan(Path(inbox))
    known = unchanged_paths(con).with_columns(pl.col("modified_at").cast(pl.Datetime("us")))
    fresh = found.join(known, on=["path", "size_bytes", "modified_at"], how="anti")
    now = dt.datetime.now()
    described = [_describe(row, max_bytes) for row in fresh.iter_rows(named=True)]
    frame = pl.DataFrame(described, schema=DESCRIBED)
    frame = frame.with_columns(pl.lit(now).alias("registered_at"), pl.lit(run_id, pl.String).alias("run_id"))
    added = register_files(con, frame.select(COLUMNS))
    return {
        "subjects": found["subject_id"].n_unique(),
        "files": found.height,
        "hashed": fresh.height,
        "registered": added,
        "oversized": int((fresh["size_bytes"] > max_bytes).sum()),
    }


def _describe(row: dict[str, Any], max_bytes: int) -> dict[str, Any]:
    """Hash (streamed), type and note of one file; an oversized file is hashed but flagged."""
    path = Path(row["path"])
    kind, note = media_type(path)
    if row["size_bytes"] > max_bytes:
        size_mb = row["size_bytes"] / 1024**2
        note = f"文件过大（{size_mb:.0f} MB，超过 {max_bytes / 1024**2:.0f} MB）：已登记哈希值，未嵌入档案，请另行调阅原件"
    return {**row, "sha256": sha256_file(path), "media_type": kind, "note": note}


def _hidden(path: Path) -> bool:
    return path.name.startswith((".", "~$")) or path.name in ("Thumbs.db", "desktop.ini")
