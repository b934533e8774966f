"""The command line speaks Chinese: framework help and usage errors, --out folders, pipes, --json.

Every command and sub-command is found by walking the app, so a command added later is checked too.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from fundrisk.cli import app
from fundrisk.cli_i18n import examples
from fundrisk.cli_support import table
from tests.samples import write_kind

runner = CliRunner()
# Words click and typer print in English; none may reach an analyst's stderr.
CLICK_WORDS = re.compile(
    r"\b(usage|error|missing|option|options|try|help|command|commands|required|invalid|"
    r"argument|arguments|such|unexpected|value|requires|possible|aborted|did you mean)\b",
    re.IGNORECASE,
)
FOLDER_OUTPUTS = {"generate", "run", "serve"}  # --out names a folder the command may create


def walk(command=None, path=()):
    """(path, click command) for the app and every group and command under it."""
    command = command or typer.main.get_command(app)
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from walk(sub, (*path, name))


def leaves():
    return [(path, cmd) for path, cmd in walk() if not getattr(cmd, "commands", None)]


def groups():
    return [(path, cmd) for path, cmd in walk() if getattr(cmd, "commands", None)]


def dummy_arguments(cmd) -> list[str]:
    return ["X" for p in cmd.params if p.param_type_name == "argument" and p.required]


def options(cmd):
    return [p for p in cmd.params if p.param_type_name == "option"]


def bad_invocations():
    """Usage errors of every kind click knows, for every command and group."""
    cases: list[list[str]] = [["nosuch"], ["exprot"]]
    for path, _ in groups():
        if path:
            cases += [[*path, "nosuch"]]
    for path, cmd in leaves():
        args = dummy_arguments(cmd)
        cases.append([*path, *args, "--bogus-flag"])
        if any(p.required for p in cmd.params):
            cases.append(list(path))  # a required argument or option is missing
        for opt in options(cmd):
            name = opt.opts[0]
            if opt.is_flag:
                cases.append([*path, *args, f"{name}=1"])  # a flag takes no value
            else:
                cases.append([*path, *args, name])  # the value is missing
            if "int" in str(opt.type_descriptor.annotation):
                cases.append([*path, *args, name, "abc"])  # not a number
        if not any(p.param_type_name == "argument" and p.nargs == -1 for p in cmd.params):
            cases.append([*path, *args, "surplus1", "surplus2"])
    return cases


CASES = bad_invocations()


@pytest.mark.parametrize("args", CASES, ids=[" ".join(a) for a in CASES])
def test_every_usage_error_is_one_chinese_line_and_exit_2(args, tmp_path):
    result = runner.invoke(app, args, env={"FUNDRISK_DB": str(tmp_path / "f.duckdb")})
    assert result.exit_code == 2, (args, result.output)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误："), lines
    assert not CLICK_WORDS.search(lines[0]), lines[0]
    assert "Traceback" not in result.output


def test_the_error_names_what_is_wrong_and_shows_an_example():
    missing = runner.invoke(app, ["export", "inspection-list"])
    assert "缺少必填选项 --out" in missing.stderr
    assert examples("export inspection-list")[0] in missing.stderr
    typo = runner.invoke(app, ["exprot"])
    assert "没有这个命令：exprot" in typo.stderr and "是不是 export" in typo.stderr
    number = runner.invoke(app, ["generate", "--out", "x", "--entities", "abc"])
    assert "--entities 的值「abc」无效：应为整数" in number.stderr
    small = runner.invoke(app, ["generate", "--out", "x", "--entities", "5"])
    assert "不能小于 10" in small.stderr


@pytest.mark.parametrize("path", [p for p, _ in walk()], ids=lambda p: " ".join(p) or "fundrisk")
def test_help_of_every_command_is_chinese_with_an_example(path):
    result = runner.invoke(app, [*path, "-h"])
    assert result.exit_code == 0, result.output
    text = result.output
    assert text.startswith("用法：") and "示例" in text and "显示帮助并退出" in text
    assert "选项：" in text
    for english in (
        "Usage",
        "Options",
        "Arguments",
        "Commands",
        "Show this message",
        "[required]",
        "default:",
    ):
        assert english not in text, (path, english)
    assert not re.search(r"<(str|int|path|list\[\w+\]|int range)>", text), text


def test_a_bare_group_shows_its_help():
    result = runner.invoke(app, ["export"])
    assert result.exit_code == 0 and "inspection-list" in result.output and "命令：" in result.output


def out_commands():
    found = []
    for path, cmd in leaves():
        if any("--out" in p.opts for p in options(cmd)):
            found.append(path)
    return found


@pytest.mark.parametrize("path", out_commands(), ids=lambda p: " ".join(p))
def test_out_into_a_missing_folder_is_exit_2_naming_the_folder(path, tmp_path):
    cmd = dict(walk())[path]
    missing = tmp_path / "没有这个文件夹" / "子文件夹"
    target = missing / ("新文件夹" if path[-1] in FOLDER_OUTPUTS else "输出.xlsx")
    args = [*path, *dummy_arguments(cmd), "--out", str(target)]
    result = runner.invoke(app, args, env={"FUNDRISK_DB": str(tmp_path / "f.duckdb")})
    assert result.exit_code == 2, result.output
    assert "不存在" in result.stderr
    assert f"「{missing}」" in result.stderr
    assert not missing.exists() and not (tmp_path / "f.duckdb").exists()


def test_commands_that_write_files_are_all_checked():
    assert {"report", "dossier", "brief"} <= {p[-1] for p in out_commands()}
    assert {("export", n) for n in ("inspection-list", "province-push", "warning-list")} <= set(
        out_commands()
    )


@pytest.mark.slow
def test_output_to_a_pipe_is_not_wrapped(tmp_path):
    long = tmp_path.joinpath(*["一个相当长的文件夹名称_for_wrapping"] * 6)
    long.parent.mkdir(parents=True)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "fundrisk.cli",
            "generate",
            "--out",
            str(long),
            "--entities",
            "10",
            "--seed",
            "3",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    registrations = str(long / "registrations" / "registrations.csv")
    assert len(registrations) > 200
    assert any(registrations in line for line in result.stdout.splitlines()), result.stdout
    assert "\x1b[" not in result.stdout  # no colour codes in a pipe


@pytest.mark.slow
def test_screen_table_keeps_whole_verdicts():
    texts = ["某某财富管理有限公司", "高息返利，保本保息，月息3分，欢迎老年人投资养老项目"]
    as_json = runner.invoke(app, ["screen", "--json", *texts]).stdout.splitlines()
    verdicts = [json.loads(line)["verdict"] for line in as_json]
    assert len(verdicts) == 2 and all(len(v) > 10 for v in verdicts)
    plain = runner.invoke(app, ["screen", *texts])
    assert plain.exit_code == 0
    for verdict in verdicts:
        assert any(verdict in line for line in plain.stdout.splitlines()), (verdict, plain.stdout)
    assert "…" not in plain.stdout


def test_a_narrow_terminal_folds_cells_instead_of_cutting_them():
    console = Console(width=50, force_terminal=True, record=True)
    grid = table("敏感字样筛查", "文字", "结论")
    verdict = "禁止使用：含条例第九条禁用字样「财富管理」，建议不予核准门头牌匾"
    grid.add_row("某某财富管理有限公司", verdict)
    console.print(grid)
    text = console.export_text()
    assert "…" not in text
    verdict_column = "".join(line.split("│")[2].strip() for line in text.splitlines() if line.count("│") == 3)
    assert verdict_column == verdict


@pytest.mark.slow
def test_ingest_json_is_machine_readable(tmp_path):
    path = write_kind(tmp_path / "r.csv", "registrations")
    result = runner.invoke(
        app, ["ingest", "registrations", str(path), "--json", "--db", str(tmp_path / "f.duckdb")]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    (entry,) = summary["files"]
    assert entry["source_file"] == "r.csv" and entry["kind"] == "registrations"
    assert entry["rows_read"] == entry["rows_loaded"] + entry["rows_quarantined"] > 0


@pytest.mark.slow
def test_prefect_telemetry_is_off_before_prefect_is_imported():
    env = {
        k: v for k, v in os.environ.items() if k not in ("DO_NOT_TRACK", "PREFECT_SERVER_ANALYTICS_ENABLED")
    }
    code = "import os, sys, fundrisk.cli; print(os.environ['DO_NOT_TRACK'], os.environ['PREFECT_SERVER_ANALYTICS_ENABLED'])"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.stdout.split() == ["1", "false"], result.stderr
