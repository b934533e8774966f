"""The adversarial suite (issue 16): every case is a test; the session ends with how many were tried and
how many were handled ("对抗性用例：尝试 N，处理 M"), the figure the issue reports.

A case is tried when its test ran (setup and call) and handled when it passed; skipped cases (no tmpfs
to mount, no real data) are counted apart.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
_outcomes: dict[str, str] = {}


def _ours(report: pytest.TestReport) -> bool:
    return Path(str(report.fspath)).resolve().parent == HERE


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """One outcome per case: the first failure or skip of any phase, else its call's pass."""
    if not _ours(report):
        return
    if report.skipped:
        _outcomes.setdefault(report.nodeid, "skipped")
    elif report.failed:
        if _outcomes.get(report.nodeid) != "failed":
            _outcomes[report.nodeid] = "failed"
    elif report.when == "call":
        _outcomes.setdefault(report.nodeid, "passed")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _outcomes:
        return
    values = list(_outcomes.values())
    tried = sum(v != "skipped" for v in values)
    handled = values.count("passed")
    skipped = values.count("skipped")
    line = f"对抗性用例：尝试 {tried}，处理 {handled}" + (f"（另有 {skipped} 个跳过）" if skipped else "")
    terminalreporter.write_sep("-", line)
