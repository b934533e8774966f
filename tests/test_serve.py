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
