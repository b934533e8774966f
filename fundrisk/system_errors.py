"""Failures of the machine, not of fundrisk, as one Chinese line: a full disk, a path that cannot be
written, a file that is not a DuckDB database.

The command line's error boundary (cli_support.guarded) asks `translate` about any exception it does not
know; a None answer means a genuine bug, which keeps its traceback.
"""

from __future__ import annotations

import errno
import sys
from typing import Any

from fundrisk.atomic import os_error_code
from fundrisk.errors import BadInput, DiskFull, FundriskError

_NO_SPACE = ("no space left on device", "disk is full", "not enough space")
_DENIED = {
    errno.EACCES: "没有写入权限",
    errno.EPERM: "操作不被允许",
    errno.EROFS: "所在文件系统是只读的",
    errno.ENOTDIR: "路径中有一段不是文件夹",
    errno.EISDIR: "这是一个文件夹",
    errno.ENOENT: "路径不存在",
    errno.ENAMETOOLONG: "路径太长",
    errno.EEXIST: "已有同名的文件",
}
# The database driver's exception classes, registered by the storage layer (fundrisk/warehouse/db.py)
# so that this boundary does not import the driver: a DuckDB error exists only once that module is loaded.
_DATABASE: dict[str, tuple[type[BaseException], ...]] = {"every": (), "failures": ()}
DISK_FULL = "磁盘空间不足{where}，已写入的数据没有丢失；请清理磁盘或换一个有空间的位置后重试"


def register_database_errors(every: type[BaseException], failures: tuple[type[BaseException], ...]) -> None:
    """`every`: the driver's base error (a full disk is recognised by its text); `failures`: read/write
    failures of the file, reported as 数据库读写失败."""
    _DATABASE["every"] = (every,)
    _DATABASE["failures"] = failures


def reason(exc: OSError) -> str:
    """The OS error in Chinese (its English strerror only when the code is not one we name)."""
    return _DENIED.get(os_error_code(exc) or 0) or exc.strerror or type(exc).__name__


def is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and os_error_code(exc) in (errno.ENOSPC, errno.EDQUOT):
        return True
    return isinstance(exc, _DATABASE["every"]) and any(t in str(exc).lower() for t in _NO_SPACE)


def disk_full(path: object | None = None) -> DiskFull:
    return DiskFull(DISK_FULL.format(where=f"（写入「{path}」时）" if path else ""))


def translate(exc: BaseException) -> FundriskError | None:
    """The fundrisk error an OS or DuckDB failure means, or None when it is not one of those.

    Libraries wrap OS errors (xlsxwriter's FileCreateError): the chain of causes is searched too.
    """
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        found = _translate_one(link)
        if found is not None:
            if isinstance(found, DiskFull):
                quiet_unraisable_disk_full()
            return found
        link = link.__cause__ or link.__context__
    return None


def quiet_unraisable_disk_full() -> None:
    """A full disk also fails the destructors of half-written zip files (xlsxwriter) later, which Python
    prints as "Exception ignored in …" tracebacks: they only repeat the line already said."""
    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        if not is_disk_full(unraisable.exc_value):
            previous(unraisable)

    sys.unraisablehook = hook


def _translate_one(exc: BaseException) -> FundriskError | None:
    if isinstance(exc, FundriskError):
        return exc
    if is_disk_full(exc):
        return disk_full(getattr(exc, "filename", None))
    code = os_error_code(exc) if isinstance(exc, OSError) else None
    if isinstance(exc, OSError) and code in _DENIED and code != errno.EEXIST:
        where = f"「{exc.filename}」" if exc.filename else ""
        return BadInput(
            f"无法写入或读取{where}：{_DENIED[code]}，请换一个可写的路径（如 --out 指向自己的文件夹）"
        )
    if isinstance(exc, _DATABASE["failures"]):
        first = str(exc).splitlines()[0][:200]
        return FundriskError(f"数据库读写失败（{first}），请检查磁盘和数据库文件后重试")
    return None
