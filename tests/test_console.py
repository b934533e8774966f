"""The console command's quick exit (fundrisk/console.py): statuses, output and exit hooks are kept."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fundrisk.console import exit_status


def _command(*args: str, before: str = "") -> subprocess.CompletedProcess[str]:
    code = f"import sys\n{before}\nsys.argv = ['fundrisk', *{list(args)!r}]\nfrom fundrisk.console import main\nmain()\n"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_help_is_printed_whole_and_exit_hooks_run() -> None:
    hook = "import atexit\natexit.register(lambda: print('hook ran', flush=True))"
    done = _command("--help", before=hook)
    assert done.returncode == 0
    assert "用法：fundrisk" in done.stdout and done.stdout.rstrip().endswith("hook ran")


def test_bad_input_keeps_its_status_and_its_one_line() -> None:
    done = _command("ingest", "no-such-kind", "x.csv")
    assert done.returncode == 2
    assert "未知的数据类型" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(("code", "status"), [(None, 0), (0, 0), (3, 3), ("停止", 1)])
def test_exit_status_follows_the_interpreter(code: object, status: int) -> None:
    assert exit_status(code) == status
