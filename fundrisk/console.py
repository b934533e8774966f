"""The `fundrisk` console command: the typer app, then an exit that skips Python's own teardown.

After a run the interpreter's finalisation of Prefect's, pydantic's and polars' modules took about 2 s
(measured: 2.4 s from the last printed line to the shell prompt on a 3,000-entity district, 0.3 s this
way). The exit hooks still run (Prefect's log and event flush, stopping the ephemeral API, logging's
shutdown), non-daemon threads are joined and both streams flushed; only the teardown of objects the
process is about to lose anyway is skipped.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
from typing import NoReturn


def main() -> NoReturn:
    from fundrisk.prefect_lifecycle import Terminated, prepare_prefect, start_local_api

    try:
        if starts_a_run(sys.argv[1:]):
            # `fundrisk run` needs Prefect's local API, whose boot (~10 s) is the longest wait of a run's
            # start: it boots while the CLI's own modules load, and run_pipeline finds it started (a run
            # that then fails its checks stops it on the way out, like any other exit).
            prepare_prefect()
            start_local_api()
        from fundrisk.cli import app

        app()
        code = 0
    except SystemExit as exc:
        code = exit_status(exc.code)
    except Terminated:  # SIGTERM before a command began: nothing was started that the exit hooks miss
        print("收到终止信号（SIGTERM），已停止", file=sys.stderr)
        code = 143
    leave(code)


def starts_a_run(args: list[str]) -> bool:
    """Whether the command line is `fundrisk run …` (not its help)."""
    return bool(args) and args[0] == "run" and not {"-h", "--help"} & set(args)


def exit_status(code: object) -> int:
    """The process status for a SystemExit code, as the interpreter would give it (a message prints, 1)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def leave(code: int) -> NoReturn:
    """What the interpreter does first at exit, then flush stdout and stderr and end the process.

    First, as in ``Py_FinalizeEx``: ``threading._shutdown`` joins non-daemon threads and runs the hooks
    registered with ``threading._register_atexit`` (thread pools' workers are told to stop there; without
    it one of Prefect's exit hooks waited 5 s), then the ``atexit`` hooks."""
    getattr(threading, "_shutdown")()  # noqa: B009 — private, and exactly what the interpreter calls
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (| head), a closed stream
            stream.flush()
    os._exit(code)
