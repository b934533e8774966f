"""Open the DuckDB file with the schema in place; a busy file becomes a clear Chinese error.

Every connection gets the memory budget (FUNDRISK_MEMORY_LIMIT) and a spill folder (FUNDRISK_TEMP_DIR)
so that a city- or province-sized run spills to disk instead of being killed for memory.
`preserve_insertion_order` stays on: several reads (the resolver's tie-breaks, first-row aggregates)
take rows in table order without an ORDER BY.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from fundrisk.errors import BadInput, DatabaseBusy
from fundrisk.settings import get_settings
from fundrisk.warehouse.schema import all_ddl, known_tables


def _busy_message(path: Path, exc: Exception) -> str:
    pid = re.search(r"PID (\d+)", str(exc))
    holder = f"（进程号 {pid.group(1)}）" if pid else ""
    return f"数据库「{path}」正被另一个进程{holder}写入，请等待当前运行结束后再试"


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection with every table created; ':memory:' gives a private in-memory database."""
    target = str(path)
    if target != ":memory:":
        file = Path(target)
        if file.exists() and file.is_dir():
            raise BadInput(f"数据库路径「{file}」是一个文件夹，请用 --db 指定 .duckdb 文件")
        if not read_only:
            file.parent.mkdir(parents=True, exist_ok=True)
        elif not file.exists():
            raise BadInput(f"数据库「{file}」不存在，请先运行 fundrisk ingest 或 fundrisk run")
    try:
        con = duckdb.connect(target, read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise DatabaseBusy(_busy_message(Path(target), exc)) from None
        raise
    try:
        apply_resources(con, target)
    except BaseException:
        con.close()
        raise
    if not read_only:
        con.execute(all_ddl())
    return con


def apply_resources(con: duckdb.DuckDBPyConnection, target: str) -> None:
    """Memory budget and spill folder from the settings (values bound, never spliced)."""
    settings = get_settings()
    spill = settings.spill_dir(target)
    con.execute("SET memory_limit = ?", [f"{settings.memory_limit_bytes() // 1024**2}MiB"])
    con.execute("SET temp_directory = ?", [str(spill)])


def ident(name: str) -> str:
    """A table name safe to splice into SQL: only names the schema defines are accepted."""
    if name not in known_tables():
        raise ValueError(f"unknown table {name!r}")
    return f'"{name}"'


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> int:
    """First column of the first row as int (0 when empty); the result is fully consumed."""
    rows = con.execute(sql, params or []).fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN … COMMIT, or ROLLBACK and re-raise: a write either lands whole or not at all."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


@contextmanager
def session(path: Path | str, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open, yield and always close: the file has one writer, so nobody holds it longer than needed."""
    con = connect(path, read_only=read_only)
    try:
        yield con
    finally:
        con.close()
