"""`fundrisk serve`: a Prefect server that outlives Ctrl-C, and a runner that stops on the first one.

Prefect's temporary (ephemeral) API runs no scheduler, so served cron schedules would never fire, and it
sits in the terminal's process group: Ctrl-C killed it first, then the runner spent a minute retrying it
and printed tracebacks. So without PREFECT_API_URL (and no server already on 127.0.0.1:4200) serve starts
`prefect server start` in its own session (Ctrl-C does not reach it; its output goes to a log file in
PREFECT_HOME), and stops it after the runner. The first Ctrl-C cancels the runner, which pauses its
schedules while the API is still up; a watchdog exits after GRACE_SECONDS whatever is left, a second
Ctrl-C at once. Nothing is printed but one Chinese line per state.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fundrisk.errors import FundriskError
from fundrisk.prefect_lifecycle import free_port, healthy, stop_process, wait_healthy

# Where `prefect server start` listens and the README's UI link points (Prefect's own setting moves it).
DEFAULT_PORT = int(os.environ.get("PREFECT_SERVER_API_PORT") or 4200)
GRACE_SECONDS = 4.0  # first Ctrl-C → exit within this, even if the runner's clean-up is still waiting
STARTUP_SECONDS = 180.0


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds it
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class LocalServer:
    """`prefect server start` on 127.0.0.1 in its own session, stopped by stop() (idempotent)."""

    def __init__(self, home: Path) -> None:
        self.port = DEFAULT_PORT if _port_free(DEFAULT_PORT) else free_port()
        self.api = f"http://127.0.0.1:{self.port}/api"
        self.log = home / "fundrisk-serve-server.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = STARTUP_SECONDS) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1"]
                + ["--port", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # the terminal's Ctrl-C goes to serve, not to its API
                env={**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"},
            )
        try:
            wait_healthy(self.api, self.process, timeout, detail=f"，详见 {self.log}")
        except FundriskError:
            self.stop()
            raise

    def stop(self, wait: float = 3.0) -> None:
        process, self.process = self.process, None
        if process is not None:
            stop_process(process, wait)


@contextmanager
def prefect_api(home: Path) -> Iterator[tuple[str, LocalServer | None]]:
    """The API to serve against: PREFECT_API_URL, a server already on :4200, or one started here."""
    given = os.environ.get("PREFECT_API_URL")
    if given:
        if not healthy(given, timeout=5.0):
            raise FundriskError(
                f"无法连接 PREFECT_API_URL 指向的 Prefect 服务（{given}），请先启动它或取消设置 PREFECT_API_URL"
            )
        yield given, None
        return
    running = f"http://127.0.0.1:{DEFAULT_PORT}/api"
    if healthy(running, timeout=0.5):
        yield running, None
        return
    server = LocalServer(home)
    say("正在启动 Prefect 本地服务（首次启动可能需要一分钟）…")
    try:
        server.start()
        yield server.api, server
    finally:
        server.stop()


class Shutdown:
    """First SIGINT: cancel the runner and arm a watchdog; a second one, or the watchdog: exit now."""

    def __init__(self) -> None:
        self.server: LocalServer | None = None
        self.requested = threading.Event()
        self.done = threading.Event()
        self.task: asyncio.Task[Any] | None = None

    def on_sigint(self) -> None:
        if self.requested.is_set():
            self.force("再次收到中断，立即退出。")
        self.requested.set()
        say("正在停止定时任务…（再按一次 Ctrl-C 立即退出）")
        threading.Thread(target=self._watchdog, name="fundrisk-serve-watchdog", daemon=True).start()
        if self.task is not None:
            self.task.cancel()

    def _watchdog(self) -> None:
        if not self.done.wait(GRACE_SECONDS):
            self.force("清理未在时限内完成，已直接退出。")

    def force(self, line: str) -> None:
        if self.server is not None:
            self.server.stop(wait=0.5)
        say(line)
        os._exit(130)


async def _run(deployments: Sequence[Any], shutdown: Shutdown, pause: bool) -> None:
    from prefect.runner import Runner

    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, shutdown.on_sigint)
    runner = Runner(pause_on_shutdown=pause)
    for deployment in deployments:
        added = runner.add_deployment(deployment)  # a coroutine inside an event loop (async_dispatch)
        if inspect.isawaitable(added):
            await added
    if shutdown.requested.is_set():  # Ctrl-C while the deployments were being registered
        return
    say(
        "定时任务已启动：每日流水线（每天 6:30）、每周省推送（周一 8:00），北京时间；"
        "同一任务同时只运行一个。按 Ctrl-C 停止。"
    )
    shutdown.task = asyncio.create_task(runner.start())
    try:
        await asyncio.wait([shutdown.task])
    finally:
        loop.remove_signal_handler(signal.SIGINT)
    if not shutdown.task.cancelled():
        shutdown.task.result()  # the runner's own error, if it stopped by itself


def serve_until_interrupted(deployments: Sequence[Any]) -> None:
    """Register and serve the deployments until Ctrl-C (or SIGTERM); returns after a clean stop."""
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    shutdown = Shutdown()
    with prefect_api(Path(get_current_settings().home)) as (api, server):
        shutdown.server = server
        os.environ["PREFECT_API_URL"] = api  # the runner's flow-run processes talk to the same API
        say(f"Prefect 界面：{api.removesuffix('/api')}")
        with temporary_settings(updates={PREFECT_API_URL: api}):
            # pause the schedules on the way out only on a server that outlives this process
            asyncio.run(_run(deployments, shutdown, pause=server is None))
    shutdown.done.set()
    say("定时任务已停止。")


def exit_now(code: int = 0) -> None:
    """End the process without interpreter finalisation, which takes seconds on a loaded machine once
    Prefect, polars and DuckDB are loaded; call only when nothing is left to do (the runner has stopped)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
