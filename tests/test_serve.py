"""`fundrisk serve` against a real `prefect server` on 127.0.0.1: deployments and schedules registered."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow

STARTUP_SECONDS = 180


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(1)
    pytest.fail(f"timed out waiting for {what}")


def deployments(api: str) -> list[dict]:
    try:
        response = httpx.post(f"{api}/deployments/filter", json={}, timeout=5)
    except httpx.HTTPError:
        return []
    return response.json() if response.status_code == 200 else []


def test_serve_registers_scheduled_deployments(tmp_path: Path):
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
    }
    env.pop("PREFECT_API_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    serve = None
    try:
        wait_for(lambda: _healthy(api), STARTUP_SECONDS, "prefect server health")
        serve = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "fundrisk.cli",
                "serve",
                "--inbox",
                str(tmp_path / "inbox"),
                "--db",
                str(tmp_path / "f.duckdb"),
                "--out",
                str(tmp_path / "exports"),
            ],
            env={**env, "PREFECT_API_URL": api},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        found = wait_for(lambda: len(deployments(api)) >= 2 and deployments(api), 120, "deployments")
    finally:
        for process in (serve, server):
            if process is not None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
    by_name = {d["name"]: d for d in found}
    assert set(by_name) == {"fundrisk-daily", "fundrisk-weekly-push"}
    crons = {name: [s["schedule"] for s in d["schedules"]] for name, d in by_name.items()}
    assert crons["fundrisk-daily"][0]["cron"] == "30 6 * * *"
    assert crons["fundrisk-weekly-push"][0]["cron"] == "0 8 * * 1"
    assert all(s[0]["timezone"] == "Asia/Shanghai" for s in crons.values())
    assert all(
        d["concurrency_limit"] == 1 or (d.get("global_concurrency_limit") or {}).get("limit") == 1
        for d in found
    )


def _healthy(api: str) -> bool:
    try:
        return httpx.get(f"{api}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _kill_server_on(port: int) -> None:
    """Clean up after a failed run: the Prefect server `fundrisk serve` started on this test's port."""
    import psutil

    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info["cmdline"] or []
        if "server" in cmdline and str(port) in cmdline:
            process.kill()


def test_serve_stops_on_the_first_ctrl_c_within_5_s_without_a_traceback(tmp_path: Path):
    """Ctrl-C reaches the whole foreground process group, as in a terminal (start_new_session + killpg)."""
    import signal
    import threading

    port = free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_SERVER_API_PORT": str(port),  # serve starts its own server here (no PREFECT_API_URL)
        "PREFECT_UI_ENABLED": "false",
    }
    env.pop("PREFECT_API_URL", None)
    serve = subprocess.Popen(
        [sys.executable, "-m", "fundrisk.cli", "serve", "--inbox", str(tmp_path / "inbox")]
        + ["--db", str(tmp_path / "f.duckdb"), "--out", str(tmp_path / "exports")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    assert serve.stdout is not None
    reader = threading.Thread(target=lambda: lines.extend(serve.stdout), daemon=True)  # type: ignore[arg-type]
    reader.start()
    api = f"http://127.0.0.1:{port}/api"
    try:
        wait_for(
            lambda: any("定时任务已启动" in line for line in lines), STARTUP_SECONDS + 60, "serve to start"
        )
        assert {d["name"] for d in deployments(api)} == {"fundrisk-daily", "fundrisk-weekly-push"}
        time.sleep(2)  # the runner is polling
        started = time.monotonic()
        os.killpg(serve.pid, signal.SIGINT)
        code = serve.wait(timeout=30)
        stopped_in = time.monotonic() - started
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
        _kill_server_on(port)
    reader.join(timeout=5)
    output = "".join(lines)
    assert stopped_in < 5, (stopped_in, output)
    assert code == 0, output
    assert "Traceback" not in output and "定时任务已停止" in output
    assert f"Prefect 界面：http://127.0.0.1:{port}" in output
    assert not _healthy(api)  # the server serve started is gone too
