"""What every `fundrisk` command shares: the app, consoles, the --db and --out options, the error policy.

Exit status: 0 success, 2 bad input or usage (one Chinese line saying what to fix), 1 anything else.
Output to a pipe or file is plain: no colour and no wrapping, so printed paths stay whole.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from fundrisk.cli_i18n import ZhGroup
from fundrisk.errors import BadInput, FundriskError
from fundrisk.prefect_lifecycle import quiet_prefect
from fundrisk.settings import get_settings

app = typer.Typer(
    cls=ZhGroup,  # Chinese help pages and usage errors (fundrisk/cli_i18n.py, words in cli_zh.toml)
    help="fundrisk：非法集资风险排查与数据增强流水线（处非办分析员使用）。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
PLAIN_WIDTH = 10_000  # a pipe or file has no width: nothing is wrapped or cut


def console(stderr: bool = False) -> Console:
    """A terminal gets rich's usual output; a pipe or file gets plain lines, never wrapped or coloured."""
    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty():
        return Console(stderr=stderr)
    return Console(
        stderr=stderr, width=PLAIN_WIDTH, soft_wrap=True, no_color=True, highlight=False, emoji=False
    )


out = console()
err = console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

DbOption = Annotated[
    Path | None,
    typer.Option("--db", envvar="FUNDRISK_DB", help="DuckDB 数据库文件（默认 data/fundrisk.duckdb）"),
]


JsonOption = Annotated[bool, typer.Option("--json", help="输出一个 JSON 对象（键为英文，供脚本读取）")]


def print_json(value: Any) -> None:
    """One JSON object on stdout: English keys, Chinese values as they are, dates and paths as text."""
    print(json.dumps(value, ensure_ascii=False, default=str), flush=True)


class DataTable(Table):
    """Cells are data, never rich markup: `[red]` in a name or `工商登记[new].csv` print as written."""

    def add_row(self, *renderables: Any, **kwargs: Any) -> None:
        super().add_row(*(escape(c) if isinstance(c, str) else c for c in renderables), **kwargs)


def table(title: str, *headers: str) -> Table:
    """A rich table whose cells wrap (fold) instead of being cut with "…" on a narrow terminal."""
    grid = DataTable(title=escape(title))
    for header in headers:
        grid.add_column(header, overflow="fold")
    return grid


def existing_folder_of(path: Path | None) -> Path | None:
    """--out of a command that writes one file: its folder must exist (a typo is not silently created)."""
    if path is None:
        return None
    folder = path.expanduser().absolute().parent
    if not folder.is_dir():
        missing = folder
        while not missing.parent.is_dir() and missing.parent != missing:
            missing = missing.parent
        above = f"（从「{missing}」起就不存在）" if missing != folder else ""
        raise typer.BadParameter(f"输出文件夹「{folder}」不存在{above}，请先创建它或换一个输出路径")
    return path


def parent_of_folder_exists(path: Path | None) -> Path | None:
    """--out of a command that writes a folder of files: the folder may be new, its parent must exist."""
    if path is not None and path.exists() and not path.is_dir():
        raise typer.BadParameter(f"「{path}」是一个文件，这里需要一个文件夹")
    return existing_folder_of(path)


OutFile = Annotated[
    Path, typer.Option("--out", help="输出文件路径（所在文件夹须已存在）", callback=existing_folder_of)
]


def say_error(message: str) -> None:
    """One unwrapped line on stderr, whatever the terminal width."""
    print(f"错误：{message}", file=sys.stderr, flush=True)


def guarded(func: F) -> F:
    """Turn fundrisk's errors into one Chinese line and the documented exit status."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except BadInput as exc:
            say_error(str(exc))
            raise typer.Exit(2) from None
        except FundriskError as exc:
            say_error(str(exc))
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            err.print("已中断。")
            raise typer.Exit(1) from None
        except Exception as exc:  # a full disk, an unwritable path, a damaged database: one line (issue 16)
            from fundrisk.system_errors import translate

            known = translate(exc)
            if known is None:
                raise
            say_error(str(known))
            raise typer.Exit(2 if isinstance(known, BadInput) else 1) from None
        except BaseException as exc:  # SIGTERM (fundrisk.prefect_lifecycle): the run is already marked failed
            if type(exc).__name__ != "Terminated":
                raise
            say_error("收到终止信号（SIGTERM），已停止；本次运行已标记为失败，下次运行会重新执行")
            raise typer.Exit(143) from None

    return wrapper  # type: ignore[return-value]


def resolve_db(db: Path | None) -> Path:
    return db if db is not None else get_settings().db


quiet_prefect()  # before any command imports prefect
