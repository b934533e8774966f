"""Prefect's ephemeral API server never outlives the `fundrisk run` that started it.

Prefect starts a temporary API (`python -m uvicorn … prefect.server.api.server:create_app`, ~175 MB)
when PREFECT_API_URL is unset, and stops it from an atexit hook. A plain SIGTERM kills Python without
running atexit hooks, and Prefect's own SIGTERM bridge re-sends the signal to the default handler, so
every killed run left its server behind. Here:

* `install()` turns SIGTERM into `Terminated` (a BaseException: it unwinds every `except Exception`),
  so the command exits through the normal path, the run is marked failed and atexit stops the server;
  an atexit hook of ours stops any server still registered, too.
* The server inherits FUNDRISK_PREFECT_OWNER=<pid>@<start time> from our environment; `sweep_orphans()`
  stops ephemeral servers whose owner is gone (a SIGKILL, an OOM kill), at the next start.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import threading
from types import FrameType

OWNER_ENV = "FUNDRISK_PREFECT_OWNER"
SERVER_MARK = "prefect.server.api.server:create_app"
_installed = False


class Terminated(BaseException):
    """The process received SIGTERM; the command stops as if interrupted (exit 143)."""


def _owner_tag(pid: int) -> str | None:
    try:
        import psutil

        return f"{pid}@{psutil.Process(pid).create_time():.0f}"
    except Exception:  # no such process (or psutil cannot tell)
        return None


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


def install() -> None:
    """Mark this process as the owner of the servers it starts; SIGTERM exits cleanly; idempotent."""
    global _installed
    tag = _owner_tag(os.getpid())
    if tag:
        os.environ[OWNER_ENV] = tag
    if _installed:
        return
    _installed = True
    atexit.register(stop_servers)
    main = threading.current_thread() is threading.main_thread()
    if main and signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, _on_sigterm)


def stop_servers() -> None:
    """Stop every ephemeral API server this process started (Prefect's own hook may not have run yet)."""
    try:
        from prefect.server.api.server import SubprocessASGIServer
    except Exception:  # prefect was never imported in a usable state: nothing started
        return
    for server in list(SubprocessASGIServer._instances.values()):
        with contextlib.suppress(Exception):
            server.stop()


def sweep_orphans() -> list[int]:
    """Stop ephemeral Prefect servers left by a fundrisk process that no longer exists; their pids."""
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil is a dependency
        return []
    stopped: list[int] = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        try:
            if SERVER_MARK not in " ".join(proc.info["cmdline"] or []):
                continue
            owner = proc.environ().get(OWNER_ENV)
            if not owner or _owner_tag(int(owner.split("@")[0])) == owner:
                continue  # not ours, or its owner is still running
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except psutil.TimeoutExpired:
                proc.kill()
            stopped.append(proc.pid)
        except (psutil.Error, ValueError, OSError):
            continue
    return stopped
