"""Workbooks written by a helper process while the caller goes on with the next export.

Writing an XLSX is pure-Python work per cell (xlsxwriter), one core's worth; a daily run has a second
core idle meanwhile. Inside `background_workbooks()`, `submit` pickles a workbook's sheets to a private
temporary file and starts `python -m fundrisk.publish.background <sheets> <target>`, which writes it
(atomically, as `writers.write_xlsx` does). One helper at a time: while it is busy the caller writes the
next book itself. Leaving the block waits for every helper and raises the first failure. A plain
subprocess rather than multiprocessing: nothing of the caller's own main module is re-imported.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class _Job:
    process: subprocess.Popen[bytes]
    sheets: Path
    target: Path


_jobs: ContextVar[list[_Job] | None] = ContextVar("_jobs", default=None)


@contextlib.contextmanager
def background_workbooks() -> Iterator[None]:
    """Inside, `submit` may hand workbooks to a helper process (on a machine with two cores or more)."""
    if (os.cpu_count() or 1) < 2 or _jobs.get() is not None:
        yield
        return
    jobs: list[_Job] = []
    token = _jobs.set(jobs)
    try:
        yield
        for job in jobs:
            _finish(job)
    finally:
        _jobs.reset(token)
        for job in jobs:
            if job.process.poll() is None:
                job.process.kill()
                job.process.wait()
            job.sheets.unlink(missing_ok=True)


def submit(sheets: Sequence[Any], target: Path) -> bool:
    """Start writing `sheets` to `target` in a helper; False (nothing started) outside the block or while
    the helper is still busy."""
    jobs = _jobs.get()
    if jobs is None or any(job.process.poll() is None for job in jobs):
        return False
    fd, name = tempfile.mkstemp(prefix="fundrisk-sheets-", suffix=".pickle")
    with os.fdopen(fd, "wb") as fh:  # mkstemp: readable by this user only
        pickle.dump(list(sheets), fh, protocol=pickle.HIGHEST_PROTOCOL)
    command = [sys.executable, "-m", "fundrisk.publish.background", name, str(target)]
    jobs.append(_Job(subprocess.Popen(command, stderr=subprocess.PIPE), Path(name), Path(target)))
    return True


def _finish(job: _Job) -> None:
    _, errors = job.process.communicate()
    job.sheets.unlink(missing_ok=True)
    lines = errors.decode("utf-8", "replace").strip().splitlines()
    if job.process.returncode != 0:
        raise OSError(f"导出文件「{job.target.name}」写入失败（{(lines or ['无错误信息'])[-1]}）")
    for line in lines:  # the writer's own warnings (cells cut at Excel's limit), as if written here
        log.warning("%s", line)


def _main(sheets_file: str, target: str) -> None:
    from fundrisk.publish.writers import write_xlsx

    with open(sheets_file, "rb") as fh:
        sheets = pickle.load(fh)  # noqa: S301 - our own file, written by submit() a moment ago
    write_xlsx(sheets, Path(target))


if __name__ == "__main__":
    _main(*sys.argv[1:3])
