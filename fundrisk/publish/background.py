"""Workbooks written by a helper process while the caller goes on with the next export.

Writing an XLSX is one core's work (rendering the cells, then zlib); a daily run has a second core
idle meanwhile. Entering `background_workbooks()` starts a helper (`python -c …background._serve()`)
that imports the writer (~1.5 s of polars, xlsxwriter and the package) while the caller queries its
first list, then waits for one job on stdin. `submit` pickles a workbook's sheets to a private
temporary file and hands the helper its name and the target; the helper writes it (atomically, as
`writers.write_xlsx` does) and exits. One helper at a time: while it is busy the caller writes the next
book itself; once it is done, the next submit starts a new one. Leaving the block waits for every
helper (an idle one is told there is no job) and raises the first failure. A plain subprocess rather
than multiprocessing: nothing of the caller's own main module is re-imported, and no polars thread pool
is forked.
"""

from __future__ import annotations

import contextlib
import json
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
_SERVE = "from fundrisk.publish.background import _serve; _serve()"


@dataclass
class _Job:
    process: subprocess.Popen[bytes]
    sheets: Path | None = None  # None: started, no job handed over yet
    target: Path | None = None


_jobs: ContextVar[list[_Job] | None] = ContextVar("_jobs", default=None)


@contextlib.contextmanager
def background_workbooks() -> Iterator[None]:
    """Inside, `submit` may hand workbooks to a helper process (on a machine with two cores or more)."""
    if (os.cpu_count() or 1) < 2 or _jobs.get() is not None:
        yield
        return
    jobs: list[_Job] = [_start()]
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
            if job.sheets is not None:
                job.sheets.unlink(missing_ok=True)


def submit(sheets: Sequence[Any], target: Path) -> bool:
    """Start writing `sheets` to `target` in a helper; False (nothing started) outside the block or while
    the helper is still busy."""
    jobs = _jobs.get()
    if jobs is None:
        return False
    idle = [job for job in jobs if job.sheets is None and job.process.poll() is None]
    if not idle and any(job.process.poll() is None for job in jobs):
        return False
    job = idle[0] if idle else _start(jobs)
    fd, name = tempfile.mkstemp(prefix="fundrisk-sheets-", suffix=".pickle")
    with os.fdopen(fd, "wb") as fh:  # mkstemp: readable by this user only
        pickle.dump(list(sheets), fh, protocol=pickle.HIGHEST_PROTOCOL)
    job.sheets, job.target = Path(name), Path(target)
    _hand_over(job, json.dumps([name, str(target)]))
    return True


def _start(jobs: list[_Job] | None = None) -> _Job:
    command = [sys.executable, "-c", _SERVE]
    job = _Job(subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE))
    if jobs is not None:
        jobs.append(job)
    return job


def _hand_over(job: _Job, line: str) -> None:
    """One line to the helper's stdin (a helper that died shows in `_finish`; communicate closes it)."""
    stdin = job.process.stdin
    if stdin is None:
        return
    with contextlib.suppress(BrokenPipeError):
        stdin.write(line.encode("utf-8") + b"\n")
        stdin.flush()


def _finish(job: _Job) -> None:
    if job.sheets is None:
        _hand_over(job, "")  # no job: the helper exits at once
    _, errors = job.process.communicate()
    if job.sheets is not None:
        job.sheets.unlink(missing_ok=True)
    lines = errors.decode("utf-8", "replace").strip().splitlines()
    if job.process.returncode != 0:
        if job.target is None:  # never given a book: nothing was lost
            log.warning("helper process for workbooks failed: %s", (lines or ["no message"])[-1])
            return
        raise OSError(f"导出文件「{job.target.name}」写入失败（{(lines or ['无错误信息'])[-1]}）")
    for line in lines:  # the writer's own warnings (cells cut at Excel's limit), as if written here
        log.warning("%s", line)


def _serve() -> None:
    """The helper: import the writer first, then write the one workbook named on stdin (if any)."""
    from fundrisk.publish.writers import write_xlsx

    line = sys.stdin.readline().strip()
    if not line:
        return
    sheets_file, target = json.loads(line)
    with open(sheets_file, "rb") as fh:
        sheets = pickle.load(fh)  # noqa: S301 - our own file, written by submit() a moment ago
    write_xlsx(sheets, Path(target))
