"""Atomic file writes: every file fundrisk produces is written beside its target, then renamed over it.

os.replace is atomic on one filesystem, so a process killed mid-write, or a disk that fills up, leaves
the previous good file (or none) in place, never a truncated one. The temporary file is hidden
(a leading dot), carries the target's suffix (writers that pick a format by suffix still work), and is
removed whatever happens.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

_OS_ERROR = re.compile(r"\(os error (\d+)\)")


def temp_beside(target: Path) -> Path:
    """A hidden, unique temporary name in the target's folder (same filesystem, so the rename is atomic)."""
    return target.with_name(f".{target.stem}.{os.getpid()}-{secrets.token_hex(4)}.tmp{target.suffix}")


@contextmanager
def atomic_path(path: Path | str, make_parents: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it is synced and replaces `path`, else removed."""
    target = Path(path)
    if make_parents:
        target.parent.mkdir(parents=True, exist_ok=True)
    temp = temp_beside(target)
    try:
        yield temp
        _fsync(temp)
        os.replace(temp, target)
    except OSError as exc:  # name the file the analyst asked for, not our temporary one
        code = os_error_code(exc)
        if code is None or not (exc.filename in (None, str(temp), temp) or str(temp) in str(exc)):
            raise
        raise OSError(code, os.strerror(code), str(target)) from exc
    finally:
        with contextlib.suppress(OSError):  # nothing to remove on a read-only or vanished folder
            temp.unlink(missing_ok=True)


@contextmanager
def atomic_open(path: Path | str) -> Iterator[BinaryIO]:
    """A binary file handle for streaming writers; the content replaces `path` only when the block ends."""
    with atomic_path(path) as temp, temp.open("wb") as handle:
        yield handle


def os_error_code(exc: OSError) -> int | None:
    """errno, also from the Rust-side text of polars' errors ("… (os error 28): path")."""
    if exc.errno is not None:
        return exc.errno
    found = _OS_ERROR.search(str(exc))
    return int(found.group(1)) if found else None


def write_bytes(path: Path | str, data: bytes) -> Path:
    """`data` as the whole new content of `path`, atomically."""
    with atomic_path(path) as temp:
        temp.write_bytes(data)
    return Path(path)


def write_text(path: Path | str, text: str, encoding: str = "utf-8") -> Path:
    """`text` as the whole new content of `path`, atomically."""
    return write_bytes(path, text.encode(encoding))


def _fsync(path: Path) -> None:
    """The content reaches the disk before the rename makes it visible (a power cut keeps the old file)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:  # the writer produced nothing: os.replace reports it
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
