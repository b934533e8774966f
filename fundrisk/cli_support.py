"""What every `fundrisk` command shares: the app, consoles, the --db option and the error policy.

Exit status: 0 success, 2 bad input or usage (one line saying what to fix), 1 anything else.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from fundrisk.errors import BadInput, FundriskError
from fundrisk.settings import get_settings

app = typer.Typer(
    help="fundrisk：非法集资风险排查与数据增强流水线（处非办分析员使用）。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
out = Console()
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

DbOption = Annotated[
    Path | None,
    typer.Option("--db", envvar="FUNDRISK_DB", help="DuckDB 数据库文件（默认 data/fundrisk.duckdb）"),
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

    return wrapper  # type: ignore[return-value]


def resolve_db(db: Path | None) -> Path:
    return db if db is not None else get_settings().db


def prepare_prefect() -> None:
    """Quiet, patient defaults for Prefect's local ephemeral API (its first start can take a minute)."""
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # The flows use no blocks: registering Prefect's block types costs ~3 s on every ephemeral start.
    os.environ.setdefault("PREFECT_API_BLOCKS_REGISTER_ON_START", "false")
