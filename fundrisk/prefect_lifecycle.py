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
* `start_local_api()` starts that same server before prefect is imported: Prefect would start it only when
  the flow first calls the API, after importing the whole server into this process too (~7 s); started
  early it boots on the other core while this process imports the flow (`fundrisk run` starts ~8 s sooner).
  The console command (fundrisk/console.py) calls it before even the CLI loads; a second call returns
  the server already booting.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from types import FrameType

from fundrisk.errors import FundriskError

OWNER_ENV = "FUNDRISK_PREFECT_OWNER"
SERVER_MARK = "prefect.server.api.server:create_app"
_installed = False
_started: list[subprocess.Popen[bytes]] = []  # servers started by start_local_api
_url: str | None = None  # the API address of the last of them


def quiet_prefect() -> None:
    """No English telemetry notice or usage data from Prefect in an analyst's runs.

    The server's analytics switch does not silence the client's first-run notice, which Prefect prints
    on import in a terminal unless DO_NOT_TRACK is set; so both are set before prefect is imported.
    """
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def prepare_prefect() -> None:
    """Quiet, patient defaults for Prefect's local ephemeral API (its first start can take a minute).

    The terminal shows only warnings, while the run's own log lines (flow and task run loggers,
    INFO and up) still reach the Prefect API, so the UI's run page shows the progress lines.
    """
    quiet_prefect()
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL", "INFO")
    os.environ.setdefault("PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL", "INFO")
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    # The flows use no blocks: registering Prefect's block types costs ~3 s on every ephemeral start.
    os.environ.setdefault("PREFECT_API_BLOCKS_REGISTER_ON_START", "false")


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
    _stop_started()
    if "prefect.server.api.server" not in sys.modules:  # Prefect started no server (importing it costs ~7 s)
        return
    try:
        from prefect.server.api.server import SubprocessASGIServer
    except Exception:  # prefect was never imported in a usable state: nothing started
        return
    for server in list(SubprocessASGIServer._instances.values()):
        with contextlib.suppress(Exception):
            server.stop()


def stop_process(process: subprocess.Popen[bytes], wait: float = 5.0) -> None:
    """Terminate a server process, kill it when it is not gone within `wait` seconds, and reap it."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _stop_started() -> None:
    while _started:
        stop_process(_started.pop())


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def healthy(api: str, timeout: float = 1.0) -> bool:
    """Whether the Prefect API at `api` answers GET /health with 200 (a loopback check, not the network)."""
    try:
        with urllib.request.urlopen(f"{api}/health", timeout=timeout) as answer:  # noqa: S310
            return bool(answer.status == 200)
    except OSError:  # not listening yet, refused, timed out (urllib's errors are OSErrors)
        return False


def wait_healthy(api: str, process: subprocess.Popen[bytes], timeout: float, detail: str = "") -> None:
    """Block until the server `process` answers at `api`; FundriskError (one Chinese line, `detail`
    appended) when it exits first or is not up within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise FundriskError(f"Prefect 本地服务启动失败（退出码 {process.returncode}）{detail}")
        if healthy(api):
            return
        time.sleep(0.1)
    raise FundriskError(f"Prefect 本地服务 {timeout:.0f} 秒内未能启动{detail}")


def start_local_api() -> str | None:
    """Start Prefect's temporary API server now, as Prefect itself would start it, and point
    PREFECT_API_URL at it; None (nothing started) when PREFECT_API_URL is set or prefect is already
    imported (it reads its settings once, on import)."""
    global _url
    if _started and _started[-1].poll() is None and os.environ.get("PREFECT_API_URL") == _url:
        return _url  # started already (the console command starts it before the CLI is imported)
    spec = importlib.util.find_spec("prefect")
    if os.environ.get("PREFECT_API_URL") or "prefect" in sys.modules or spec is None or not spec.origin:
        return None
    install()  # the server inherits our owner tag (orphan sweep); our exit hook runs after prefect's
    env = {
        **os.environ,
        "PREFECT_UI_ENABLED": "0",
        "PREFECT__SERVER_EPHEMERAL": "1",
        "PREFECT__SERVER_FINAL": "1",
    }
    port = free_port()
    args = ["--factory", SERVER_MARK, "--host", "127.0.0.1", "--port", str(port), "--log-level", "error"]
    app_dir = str(Path(spec.origin).parent.parent)  # what Prefect passes (prefect.__module_path__.parent)
    cmd = [sys.executable, "-m", "uvicorn", "--app-dir", app_dir, *args, "--lifespan", "on"]
    _started.append(subprocess.Popen(cmd, env=env))
    os.environ["PREFECT_API_URL"] = _url = f"http://127.0.0.1:{port}/api"
    return _url


def wait_until_ready(url: str | None, timeout: float = 180.0) -> None:
    """Block until the server of start_local_api answers /health (no-op for None)."""
    if url is not None and _started:
        wait_healthy(url, _started[-1], timeout)


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
