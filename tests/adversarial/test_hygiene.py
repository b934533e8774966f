"""Issue 16, items 9, 14 and 15: atomic writes, one Chinese line instead of a traceback, no run left
`running` and no Prefect server left behind.

Every case runs the real `fundrisk` command in a subprocess (what an operator sees on stderr), against
real DuckDB files; full and read-only disks are small tmpfs mounts (skipped where mounting is not
allowed). Kill -9 at 21 points of ingest and run is tests/test_crash_recovery.py (not repeated here).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from fundrisk import atomic, prefect_lifecycle
from fundrisk.warehouse import connect
from fundrisk.warehouse.db import run_lock
from tests.conftest import scored_district

FUNDRISK = str(Path(sys.executable).parent / "fundrisk")
FORMULA = '=HYPERLINK("http://x","点我")'


def fundrisk(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """The command as an operator runs it; no Prefect server of the suite (PREFECT_API_URL unset)."""
    full = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "FUNDRISK_DB")}
    full.update(env or {})
    return subprocess.run(
        [FUNDRISK, *args], env=full, capture_output=True, text=True, encoding="utf-8", timeout=timeout
    )


def one_line(result: subprocess.CompletedProcess, code: int, fragment: str) -> None:
    """The promise of issue 14: the exit status, one Chinese 错误 line naming the problem, no traceback."""
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == code, (result.returncode, result.stderr)
    errors = [line for line in result.stderr.splitlines() if line.startswith("错误：")]
    assert len(errors) == 1 and fragment in errors[0], result.stderr


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small district ingested and scored (no Prefect): the database every export reads."""
    return scored_district(tmp_path_factory.mktemp("hygiene"), entities=200, seed=5, run_id="Rhygiene")


class Mounts:
    """Small tmpfs mounts for a full or a read-only disk; unmounted at the end of the test."""

    def __init__(self, root: Path) -> None:
        self.root, self.points = root, []

    def make(self, name: str, size: str, read_only: bool = False) -> Path:
        point = self.root / name
        point.mkdir()
        options = f"size={size}" + (",ro" if read_only else "")
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], capture_output=True
        )
        if done.returncode != 0:
            pytest.skip("cannot mount a tmpfs here (needs root): full and read-only disks not tried")
        self.points.append(point)
        return point


@pytest.fixture
def mounts(tmp_path: Path) -> Iterator[Mounts]:
    made = Mounts(tmp_path)
    yield made
    for point in reversed(made.points):
        subprocess.run(["umount", "-l", str(point)], check=False)


def fill(folder: Path) -> None:
    """Take every free byte of a tmpfs."""
    with contextlib.suppress(OSError), (folder / "填满.bin").open("wb") as handle:
        while True:
            handle.write(b"\0" * 65536)
            handle.flush()


# ---- item 14: one Chinese line instead of a traceback ---------------------------------------------------

BAD_DB_CASES = [
    ("not-duckdb", lambda p: p.write_text("这不是数据库\n", encoding="utf-8"), "不是 DuckDB 数据库"),
    ("truncated", None, "不是 DuckDB 数据库"),
    (
        "folder-is-a-file",
        lambda p: p.parent.joinpath("一个文件").write_text("x"),
        "无法创建数据库所在的文件夹",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(("case", "prepare", "fragment"), BAD_DB_CASES, ids=[c[0] for c in BAD_DB_CASES])
def test_a_bad_db_is_one_line(tmp_path: Path, scored: Path, case: str, prepare, fragment: str) -> None:
    db = tmp_path / f"{case}.duckdb"
    if case == "truncated":
        shutil.copy(scored, db)
        os.truncate(db, 12288)  # header and a little: the catalogue is gone
    elif case == "folder-is-a-file":
        prepare(db)
        db = tmp_path / "一个文件" / "f.duckdb"
    else:
        prepare(db)
    commands = [["ingest", "registrations", str(db.with_suffix(".csv"))]]
    if case != "folder-is-a-file":  # a read-only command says the file does not exist, which is right
        commands.append(["explain", "91370303MA3C000001"])
    for args in commands:
        one_line(fundrisk(*args, "--db", str(db)), 2, fragment)


SETTINGS_CASES = [
    ({"FUNDRISK_REGISTRY_BUDGET": "abc"}, "FUNDRISK_REGISTRY_BUDGET 的值「abc」无效：应为整数"),
    ({"FUNDRISK_REGISTRY_BUDGET": "-5"}, "不能小于 0"),
    ({"FUNDRISK_REGISTRY_CONCURRENCY": "0"}, "FUNDRISK_REGISTRY_CONCURRENCY"),
    ({"FUNDRISK_REGISTRY_RATE_PER_SECOND": "快"}, "应为数字"),
    ({"FUNDRISK_REGISTRY_PROVIDER": "foo"}, "未知的工商信息来源「foo」"),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("env", "fragment"), SETTINGS_CASES, ids=[next(iter(c[0].values())) for c in SETTINGS_CASES]
)
def test_a_bad_setting_fails_before_the_run_starts(
    tmp_path: Path, env: dict[str, str], fragment: str
) -> None:
    """Exit 2 before Prefect or the database is touched: no run row, no progress line."""
    (tmp_path / "inbox").mkdir()
    db = tmp_path / "f.duckdb"
    servers_before = _api_servers()
    started = time.monotonic()
    result = fundrisk("run", "--inbox", str(tmp_path / "inbox"), "--db", str(db), env=env)
    one_line(result, 2, fragment)
    assert "开始运行" not in result.stderr and not db.exists()
    assert time.monotonic() - started < 30  # the flow never started
    assert _api_servers() <= servers_before  # the local API the command started early is gone with it


def _api_servers() -> set[int]:
    """Pids of the Prefect API servers running now (started the way prefect_lifecycle starts them)."""
    found = set()
    for proc in psutil.process_iter(["pid", "cmdline"]):
        with contextlib.suppress(psutil.Error):
            if prefect_lifecycle.SERVER_MARK in " ".join(proc.info["cmdline"] or []):
                found.add(proc.info["pid"])
    return found


@pytest.mark.slow
def test_a_reserved_column_name_in_an_input_is_kept_not_a_crash(tmp_path: Path) -> None:
    """A column named __line (the reader's own line number) was a polars DuplicateError."""
    source = tmp_path / "工商登记.csv"
    source.write_text("统一社会信用代码,企业名称,__line\n91370303MA3C00000X,某某公司,7\n", encoding="utf-8")
    db = tmp_path / "f.duckdb"
    result = fundrisk("ingest", "registrations", str(source), "--db", str(db), "--json")
    assert "Traceback" not in result.stderr and result.returncode == 0, result.stderr
    con = connect(db)
    read, loaded, held = con.execute(
        "SELECT rows_read, rows_loaded, rows_quarantined FROM ingested_files"
    ).fetchone()
    con.close()
    assert (read, loaded + held) == (1, 1)


UNWRITABLE_CASES = [
    ("export-csv", ["export", "warning-list", "--out", "{ro}/风险提示.csv", "--db", "{db}"]),
    ("export-xlsx", ["export", "inspection-list", "--out", "{ro}/名单.xlsx", "--db", "{db}"]),
    ("report", ["report", "--out", "{ro}/报告.html", "--db", "{db}"]),
    ("review", ["review", "export", "--out", "{ro}/待复核.xlsx", "--db", "{db}"]),
    ("generate", ["generate", "--out", "{ro}/模拟", "--entities", "20"]),
]


@pytest.mark.slow
@pytest.mark.parametrize(("case", "args"), UNWRITABLE_CASES, ids=[c[0] for c in UNWRITABLE_CASES])
def test_an_unwritable_out_is_one_line(mounts: Mounts, scored: Path, case: str, args: list[str]) -> None:
    ro = mounts.make("ro", "1m", read_only=True)
    result = fundrisk(*[a.format(ro=ro, db=scored) for a in args])
    one_line(result, 2, "只读")


# ---- item 9: atomic writes; a full disk keeps the previous good file ------------------------------------

FULL_DISK_CASES = [
    ("inspection-xlsx", ["export", "inspection-list", "--out", "{out}/名单.xlsx", "--db", "{db}"]),
    ("inspection-csv", ["export", "inspection-list", "--out", "{out}/名单.csv", "--db", "{db}"]),
    ("warning-csv", ["export", "warning-list", "--out", "{out}/风险提示.csv", "--db", "{db}"]),
    ("report-html", ["report", "--out", "{out}/报告.html", "--db", "{db}"]),
    ("review-xlsx", ["review", "export", "--out", "{out}/待复核.xlsx", "--db", "{db}"]),
    ("brief-docx", ["brief", "--out", "{out}/简报.docx", "--db", "{db}"]),
]


@pytest.mark.slow
@pytest.mark.parametrize(("case", "args"), FULL_DISK_CASES, ids=[c[0] for c in FULL_DISK_CASES])
def test_a_full_disk_keeps_the_previous_file(
    mounts: Mounts, scored: Path, case: str, args: list[str]
) -> None:
    """Before: a full disk left 0 bytes (or a truncated file) where the good export was."""
    out = mounts.make("out", "2m")
    argv = [a.format(out=out, db=scored) for a in args]
    first = fundrisk(*argv)
    assert first.returncode == 0, first.stderr
    target = Path(argv[argv.index("--out") + 1])
    good = target.read_bytes()
    fill(out)
    result = fundrisk(*argv)
    one_line(result, 1, "磁盘空间不足")
    assert target.read_bytes() == good
    assert sorted(p.name for p in out.iterdir()) == sorted([target.name, "填满.bin"])  # no temp file left


@pytest.mark.slow
def test_a_full_disk_during_ingest_is_one_line_and_loses_nothing_committed(
    mounts: Mounts, tmp_path: Path
) -> None:
    from fundrisk.synth import generate

    summary = generate(tmp_path / "gen", entities=300, seed=11)
    small = mounts.make("db", "700k")
    db = small / "f.duckdb"
    first = fundrisk("ingest", "registrations", str(summary.paths["registrations"]), "--db", str(db))
    assert first.returncode == 0, first.stderr
    fill(small)
    result = fundrisk("ingest", "clues", str(summary.paths["clues"]), "--db", str(db))
    one_line(result, 1, "磁盘空间不足")
    (small / "填满.bin").unlink()
    con = connect(db)
    assert con.execute("SELECT count(*) FROM registrations").fetchone() == (300,)
    con.close()


class Interrupted(BaseException):
    pass


@pytest.mark.parametrize(
    "failure", [OSError(28, "No space left on device"), Interrupted()], ids=["enospc", "kill"]
)
def test_atomic_path_keeps_the_old_file_when_the_writer_dies(tmp_path: Path, failure: BaseException) -> None:
    target = tmp_path / "名单.csv"
    target.write_text("旧的完整文件", encoding="utf-8")
    with pytest.raises(type(failure)), atomic.atomic_path(target) as temp:
        temp.write_text("写了一半", encoding="utf-8")
        raise failure
    assert target.read_text(encoding="utf-8") == "旧的完整文件"
    assert [p.name for p in tmp_path.iterdir()] == ["名单.csv"]


# ---- busy database and concurrent runs (already held for DuckDB's lock; the run lock is new) -------------


@pytest.mark.slow
def test_a_second_run_gets_one_line_and_no_prefect_traceback(tmp_path: Path) -> None:
    (tmp_path / "inbox").mkdir()
    db = tmp_path / "f.duckdb"
    connect(db).close()
    with run_lock(db):  # another `fundrisk run` on this database is in progress
        result = fundrisk("run", "--inbox", str(tmp_path / "inbox"), "--db", str(db))
    one_line(result, 1, "正在被另一次运行")
    assert "开始运行" not in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("command", [["run", "--inbox", "{inbox}"], ["ingest", "registrations", "{csv}"]])
def test_a_busy_database_is_one_line(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "inbox").mkdir()
    csv = tmp_path / "r.csv"
    csv.write_text("统一社会信用代码,企业名称\n", encoding="utf-8")
    db = tmp_path / "f.duckdb"
    holder = connect(db)  # a writer in another process holds the file (here: this test process)
    code = f"import duckdb, time; c = duckdb.connect({str(db)!r}); print('ok', flush=True); time.sleep(60)"
    holder.close()
    other = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "ok"
        args = [a.format(inbox=tmp_path / "inbox", csv=csv) for a in command]
        one_line(fundrisk(*args, "--db", str(db)), 1, "正被另一个进程")
    finally:
        other.kill()
        other.wait()


# ---- formula payloads stay inert in every export (already held) -------------------------------------------


@pytest.mark.slow
def test_formula_payloads_are_text_in_every_export(tmp_path: Path, scored: Path) -> None:
    from openpyxl import load_workbook

    db = tmp_path / "f.duckdb"
    shutil.copy(scored, db)
    con = connect(db)
    con.execute("UPDATE registrations SET name = ? || name, address = ?", [FORMULA, "+cmd|'/c calc'!A1"])
    con.close()
    for what in ("inspection-list", "warning-list", "police-referrals", "province-push"):
        for suffix in (".xlsx", ".csv"):
            out = tmp_path / f"{what}{suffix}"
            result = fundrisk("export", what, "--out", str(out), "--db", str(db))
            assert result.returncode == 0, result.stderr
            if suffix == ".csv":
                cells = [
                    c for line in out.read_text(encoding="utf-8-sig").splitlines() for c in line.split(",")
                ]
            else:
                book = load_workbook(out)
                cells = [str(c.value) for ws in book for row in ws.iter_rows() for c in row if c.value]
                assert all(c.data_type != "f" for ws in book for row in ws.iter_rows() for c in row)
            assert not any(c.lstrip('"').startswith(("=", "+", "@")) for c in cells), what


# ---- item 15: SIGTERM leaves no run `running` and no Prefect server; orphans are swept ---------------------


def _fake_server(owner: str) -> subprocess.Popen:
    """A process that looks like Prefect's ephemeral API (its command line) and carries an owner tag."""
    code = "import time; time.sleep(120)"
    env = {**os.environ, prefect_lifecycle.OWNER_ENV: owner}
    return subprocess.Popen([sys.executable, "-c", code, prefect_lifecycle.SERVER_MARK], env=env)


@pytest.mark.slow
def test_orphaned_ephemeral_servers_are_stopped_and_live_ones_kept() -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone_tag = f"{gone.pid}@{psutil.Process(gone.pid).create_time():.0f}"
    gone.wait()
    orphan = _fake_server(gone_tag)
    alive = _fake_server(f"{os.getpid()}@{psutil.Process().create_time():.0f}")
    try:
        time.sleep(0.5)
        stopped = prefect_lifecycle.sweep_orphans()
        assert orphan.pid in stopped and alive.pid not in stopped
        assert orphan.wait(timeout=10) is not None
        assert alive.poll() is None
    finally:
        for proc in (orphan, alive):
            proc.kill()
            proc.wait()


@pytest.mark.slow
def test_sigterm_stops_the_run_and_its_prefect_server(tmp_path: Path) -> None:
    """Before: SIGTERM left the run `running` and its ephemeral API (~175 MB) alive for good."""
    from fundrisk.synth import generate

    summary = generate(tmp_path / "inbox", entities=300, seed=21)
    db = tmp_path / "f.duckdb"
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "FUNDRISK_DB")}
    env["FUNDRISK_REGISTRY_SNAPSHOT"] = str(summary.paths["registry_snapshot"])
    cmd = [
        FUNDRISK,
        "run",
        "--inbox",
        str(tmp_path / "inbox"),
        "--db",
        str(db),
        "--out",
        str(tmp_path / "out"),
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    lines: list[str] = []
    try:
        for line in proc.stderr:
            lines.append(line)
            # A stage's line is printed inside its running task. A signal that lands while Prefect itself
            # creates a task run (right after an ingest line) makes Prefect log a traceback of its own.
            if "敏感词筛查" in line:
                break
        children = psutil.Process(proc.pid).children(recursive=True)
        servers = [c for c in children if prefect_lifecycle.SERVER_MARK in " ".join(c.cmdline())]
        assert servers, f"no ephemeral Prefect server was started: {lines}"
        proc.send_signal(signal.SIGTERM)
        rest = proc.stderr.read()
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    _, alive = psutil.wait_procs(children, timeout=15)
    assert not alive, f"left behind: {[p.pid for p in alive]}"
    assert code == 143 and "Traceback" not in rest, rest
    assert "收到终止信号" in rest
    con = connect(db)
    statuses = con.execute("SELECT status FROM runs").fetchall()
    con.close()
    assert statuses == [("failed",)]
