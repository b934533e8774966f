"""Open the DuckDB file with the schema in place; a busy file becomes a clear Chinese error.

Every connection gets the memory budget (FUNDRISK_MEMORY_LIMIT) and a spill folder (FUNDRISK_TEMP_DIR)
so that a city- or province-sized run spills to disk instead of being killed for memory.
A path that is not a DuckDB file (another file, a truncated copy) or cannot be created, and a full
disk, are one Chinese line (BadInput / DiskFull), never a traceback. `run_lock` keeps a second
`fundrisk run` off a database another run is using for its whole length (DuckDB's own lock is taken
and released per step, so it cannot tell a run in progress from an idle file).
`preserve_insertion_order` stays on: several reads (the resolver's tie-breaks, first-row aggregates)
take rows in table order without an ORDER BY.
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from fundrisk.errors import BadInput, DatabaseBusy
from fundrisk.settings import get_settings
from fundrisk.system_errors import disk_full, is_disk_full, reason, register_database_errors
from fundrisk.warehouse.schema import LEDGER_KEYED, all_ddl, known_tables, ledger_without_key_ddl

# The driver's names for the rest of the project: code outside fundrisk/warehouse type-hints a connection
# and catches database failures with these, so that only this package imports duckdb (pyproject.toml,
# import-linter contract "only fundrisk.warehouse imports duckdb").
Connection = duckdb.DuckDBPyConnection
DatabaseError = duckdb.Error
CatalogError = duckdb.CatalogException  # a table or column the (older, read-only) file does not have
DatabaseIOError = duckdb.IOException
# The CLI's error boundary (fundrisk/system_errors.py) classifies these without importing the driver.
register_database_errors(
    duckdb.Error, (duckdb.IOException, duckdb.SerializationException, duckdb.InternalException)
)


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
            _make_folder(file)
        elif not file.exists():
            raise BadInput(f"数据库「{file}」不存在，请先运行 fundrisk ingest 或 fundrisk run")
    try:
        con = duckdb.connect(target, read_only=read_only)
    except duckdb.Error as exc:
        raise _open_error(Path(target), exc) from None
    try:
        apply_resources(con, target)
        if not read_only:
            con.execute(all_ddl())
            if scalar(con, LEDGER_KEYED):  # a file from before the ledger dropped its key
                with transaction(con):
                    con.execute(ledger_without_key_ddl())
    except duckdb.Error as exc:
        con.close()
        raise _open_error(Path(target), exc) from None
    except BaseException:
        con.close()
        raise
    return con


def _make_folder(file: Path) -> None:
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if is_disk_full(exc):
            raise disk_full(file.parent) from None
        why = reason(exc)
        raise BadInput(
            f"无法创建数据库所在的文件夹「{file.parent}」（{why}），请用 --db 指定一个可写位置的 .duckdb 文件"
        ) from None


def _open_error(path: Path, exc: duckdb.Error) -> Exception:
    """What an analyst can act on: busy, disk full, not a (whole) DuckDB file; anything else as it is."""
    text = str(exc)
    if "lock" in text.lower():
        return DatabaseBusy(_busy_message(path, exc))
    if is_disk_full(exc):
        return disk_full(path)
    damaged = ("not a valid duckdb database", "could not read enough bytes", "corrupt", "checksum")
    if any(mark in text.lower() for mark in damaged) or isinstance(exc, duckdb.SerializationException):
        return BadInput(
            f"文件「{path}」不是 DuckDB 数据库，或文件不完整、已损坏；请用 --db 指定正确的 .duckdb 文件，"
            "或从备份恢复"
        )
    return exc


@contextmanager
def run_lock(path: Path | str) -> Iterator[None]:
    """Hold `<db>.run.lock` for a whole run; a second run on the same database gets DatabaseBusy at once.

    The lock is the kernel's (flock): a run killed even with SIGKILL releases it. Re-entrant within one
    process, so the CLI can take it and code below it may take it again.
    """
    if str(path) == ":memory:":
        yield
        return
    lock = Path(f"{Path(path).absolute()}.run.lock")
    if str(lock) in _HELD:
        yield
        return
    _make_folder(lock)
    handle = lock.open("a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip()
            who = f"（进程号 {holder}）" if holder.isdigit() else ""
            raise DatabaseBusy(
                f"数据库「{path}」正在被另一次运行{who}使用，请等待它结束后再试（同一数据库同时只能有一次运行）"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        _HELD.add(str(lock))
        try:
            yield
        finally:
            _HELD.discard(str(lock))
    finally:
        handle.close()


_HELD: set[str] = set()


def apply_resources(con: duckdb.DuckDBPyConnection, target: str) -> None:
    """Memory budget and spill folder from the settings (values bound, never spliced)."""
    settings = get_settings()
    spill = settings.spill_dir(target)
    con.execute("SET memory_limit = ?", [_budget()])
    # A second connection to a database this process has open shares its instance, and DuckDB refuses
    # to set the spill folder again once something has spilled there (release_cache spills): a stage
    # side by side with another opening its own connection failed on it.
    current = con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0]
    if str(current) != str(spill):
        con.execute("SET temp_directory = ?", [str(spill)])


def _budget() -> str:
    return f"{get_settings().memory_limit_bytes() // 1024**2}MiB"


CACHE_FLOOR = "16MiB"  # low enough to evict nearly all, high enough for DuckDB to run the SET back


def release_cache(con: duckdb.DuckDBPyConnection) -> None:
    """Hand back the table blocks DuckDB keeps cached after a read, then restore the budget.

    DuckDB keeps what it read up to its budget; a stage that has read a province's table into polars
    frames needs that memory for the frames (the resolution at 10M held ~1 GB of cached blocks beside
    them, more with every chunk of source records read). Lowering the limit evicts clean blocks and
    spills temporary ones; if DuckDB cannot go that low, what it could free is freed all the same.
    """
    try:
        con.execute("SET memory_limit = ?", [CACHE_FLOOR])
    except duckdb.Error:
        pass  # pinned blocks (an open result) stay: the rest is evicted
    finally:
        con.execute("SET memory_limit = ?", [_budget()])


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
