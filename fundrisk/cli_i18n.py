"""The command-line framework's own words in Chinese: help pages, placeholders and usage errors.

typer ≥ 0.25 bundles its own copy of click without gettext, so no translation catalogue can be
installed; instead the root command group (`ZhGroup`, the `cls` of the app) localises the command
tree it is built with (help formatter, metavars, examples) and turns every usage error into one
Chinese line on stderr with exit status 2. The words themselves are data: fundrisk/cli_zh.toml.
"""

from __future__ import annotations

import difflib
import re
import sys
import tomllib
import unicodedata
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import IO, Any

import typer
from typer.core import TyperGroup

try:  # typer ≥ 0.25 vendors click as typer._click
    from typer._click import exceptions as click_exceptions
    from typer._click.core import Context
    from typer._click.formatting import HelpFormatter, wrap_text
except ImportError:  # pragma: no cover - older typer on plain click
    from click import exceptions as click_exceptions  # type: ignore[no-redef]
    from click.core import Context  # type: ignore[assignment]
    from click.formatting import HelpFormatter, wrap_text  # type: ignore[assignment]

CATALOGUE_FILE = Path(__file__).with_name("cli_zh.toml")
_PLACEHOLDER = re.compile(r"<([^<>]+)>")
_NOTES = re.compile(r"\s*\[([^\[\]]*)\]$")
_RANGE = re.compile(r"^(?:(-?[\d.]+)<=)?x(?:<=(-?[\d.]+)|>=(-?[\d.]+))?$")


@cache
def catalogue() -> dict[str, Any]:
    with CATALOGUE_FILE.open("rb") as fh:
        return tomllib.load(fh)


def examples(path: str) -> list[str]:
    """The examples of a command path after `fundrisk` ("" for the app, "export inspection-list")."""
    return list(catalogue()["examples"].get(path, []))


# ---------------------------------------------------------------- help pages


def _placeholder(match: re.Match[str]) -> str:
    label = match.group(1)
    return f"<{catalogue()['placeholders'].get(label, label)}>"


def _note(note: str) -> str:
    notes = catalogue()["help"]["notes"]
    key, sep, value = note.partition(": ")
    if sep and key in notes:
        return str(notes[key]).format(value)
    if note in notes:
        return str(notes[note])
    bounds = _RANGE.match(note.replace(" ", ""))
    if bounds and (bounds.group(1) or bounds.group(2) or bounds.group(3)):
        low, high, at_least = bounds.groups()
        if low and high:
            return str(notes["between"]).format(low, high)
        if at_least:
            return str(notes["at_least"]).format(at_least)
        if high:
            return str(notes["at_most"]).format(high)
    return note


def translate_help_text(text: str) -> str:
    """An option's help with the framework's notes ("[required]", "[default: 7]") in Chinese."""
    if text in catalogue()["help"]["texts"]:
        return str(catalogue()["help"]["texts"][text])
    match = _NOTES.search(text)
    if not match:
        return text
    notes = "；".join(_note(n.strip()) for n in match.group(1).split(";"))
    return f"{text[: match.start()]}  [{notes}]"


class ZhFormatter(HelpFormatter):
    """click's help formatter with Chinese headings, usage prefix, placeholders and notes."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, catalogue()["help"]["usage"] if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        title = catalogue()["help"]["headings"].get(heading, heading)
        self.write(f"{'':>{self.current_indent}}{title}：\n")

    def write_dl(self, rows: Sequence[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        """click's definition list, aligned by display width (a Chinese character takes two columns)."""
        local = [(_PLACEHOLDER.sub(_placeholder, term), translate_help_text(text)) for term, text in rows]
        if not local:
            return
        first = min(max(display_width(term) for term, _ in local), col_max) + col_spacing
        indent = " " * self.current_indent
        for term, text in local:
            self.write(f"{indent}{term}")
            if not text:
                self.write("\n")
                continue
            if display_width(term) <= first - col_spacing:
                self.write(" " * (first - display_width(term)))
            else:
                self.write("\n" + " " * (first + self.current_indent))
            lines = wrap_text(text, max(self.width - first - 2, 10), preserve_paragraphs=True).splitlines()
            self.write(f"{lines[0] if lines else ''}\n")
            for line in lines[1:]:
                self.write(f"{' ' * (first + self.current_indent)}{line}\n")


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


class ZhContext(typer.Context):
    formatter_class = ZhFormatter


def _example_epilog(path: str) -> str | None:
    lines = examples(path)
    if not lines:
        return None
    # "\b" keeps click from re-wrapping the paragraph (each example stays on its own line).
    return "\b\n" + catalogue()["help"]["examples"] + "\n" + "\n".join(f"  {line}" for line in lines)


def localise(command: Any, path: str = "") -> None:
    """Chinese help for a command and everything under it: formatter, metavars, examples."""
    help_cfg = catalogue()["help"]
    command.context_class = ZhContext
    if command.options_metavar == "[OPTIONS]":
        command.options_metavar = help_cfg["options_metavar"]
    if getattr(command, "subcommand_metavar", None) == "COMMAND [ARGS]...":
        command.subcommand_metavar = help_cfg["subcommand_metavar"]
    for param in command.params:
        if param.param_type_name == "argument" and param.metavar is None:
            param.metavar = catalogue()["arguments"].get(param.name, param.name.upper())
    own = f"{command.help or ''}{command.epilog or ''}"
    if "示例" not in own:
        command.epilog = _example_epilog(path) or command.epilog
    for name, sub in getattr(command, "commands", {}).items():
        localise(sub, f"{path} {name}".strip())


# ---------------------------------------------------------------- usage errors


class ZhUsageError(click_exceptions.UsageError):
    """A usage error already in Chinese: shown as one line on stderr (exit status 2)."""

    def show(self, file: IO[Any] | None = None) -> None:
        print(f"{catalogue()['errors']['prefix']}{self.message}", file=file or sys.stderr, flush=True)


def _path_of(ctx: Context | None) -> str:
    names: list[str] = []
    while ctx is not None and ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(reversed(names))


def _param_name(param: Any) -> str:
    if param is None:
        return ""
    if param.param_type_name == "option":
        return " / ".join(param.opts)
    return str(param.metavar or param.name)


def _reason(exc: BaseException) -> tuple[str, str | None]:
    """Why typer's value check refused a value, and the value, from the pydantic error behind it."""
    reasons = catalogue()["errors"]["reasons"]
    cause = exc.__cause__
    errors = getattr(cause, "errors", None)
    if not callable(errors):
        return str(reasons["other"]), None
    try:
        first = errors()[0]
    except Exception:  # pragma: no cover - not a pydantic error after all
        return str(reasons["other"]), None
    template = str(reasons.get(first.get("type"), reasons["other"]))
    context = {k: str(v) for k, v in (first.get("ctx") or {}).items()}
    try:
        reason = template.format(**context)
    except (KeyError, IndexError):
        reason = str(reasons["other"])
    value = first.get("input")
    return reason, None if value is None else str(value)


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _what(exc: click_exceptions.UsageError) -> str:
    """The Chinese statement of what is wrong, without the hint."""
    t = catalogue()["errors"]
    ctx = exc.ctx
    if isinstance(exc, click_exceptions.MissingParameter):
        param = exc.param
        key = "missing_option" if getattr(param, "param_type_name", "") == "option" else "missing_argument"
        text = t[key].format(name=_param_name(param), help=getattr(param, "help", "") or "")
        return text.replace("（）", "")
    if isinstance(exc, click_exceptions.BadParameter):
        name = _param_name(exc.param)
        if _has_cjk(exc.message):  # raised by fundrisk's own checks, already Chinese
            return str(t["bad_value_own"]).format(name=name, reason=exc.message)
        reason, value = _reason(exc)
        key = "bad_value" if value is not None else "bad_value_no_input"
        return str(t[key]).format(name=name, value=value, reason=reason)
    if isinstance(exc, click_exceptions.NoSuchOption):
        text = str(t["no_such_option"]).format(name=exc.option_name)
        if exc.possibilities:
            text += str(t["did_you_mean"]).format(candidates="、".join(sorted(exc.possibilities)))
        return text
    if isinstance(exc, click_exceptions.BadOptionUsage):
        key = "takes_no_value" if "does not take" in exc.message else "requires_value"
        return str(t[key]).format(name=exc.option_name)
    message = exc.message
    if match := re.match(r"No such command '(.*?)'\.", message):
        text = str(t["no_such_command"]).format(name=match.group(1))
        commands = list(getattr(ctx.command, "commands", {})) if ctx is not None else []
        close = difflib.get_close_matches(match.group(1), commands)
        return text + (str(t["did_you_mean"]).format(candidates="、".join(close)) if close else "")
    if message.startswith("Missing command"):
        commands = list(getattr(ctx.command, "commands", {})) if ctx is not None else []
        return str(t["missing_command"]).format(commands="、".join(commands))
    if match := re.match(r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)", message):
        return str(t["extra_arguments"]).format(values=match.group(1))
    if match := re.match(r"Argument '(.*?)' takes", message):
        return str(t["argument_count"]).format(name=match.group(1))
    return message if _has_cjk(message) else str(t["other"])


def chinese_usage_error(exc: click_exceptions.UsageError, path: str = "") -> str:
    """One line: what is wrong, then an example of the command (or where its usage is shown).

    `path` names the command when the error carries no context (the option parser raises without one).
    """
    t = catalogue()["errors"]
    what = _what(exc)
    if exc.ctx is not None:
        path = _path_of(exc.ctx)
    shown = examples(path) if path else []  # at the top level the list of commands helps more
    if shown:
        hint = str(t["example"]).format(example=shown[0])
    else:
        hint = str(t["see_usage"]).format(command=f"fundrisk {path}".strip())
    return f"{what}{'' if what.endswith(('？', '。')) else '。'}{hint}"


def command_path(group: Any, args: Sequence[str]) -> str:
    """The sub-command path the arguments name ("export inspection-list"), as far as it exists."""
    names: list[str] = []
    for arg in args:
        commands = getattr(group, "commands", None)
        if not commands or arg not in commands:
            break
        names.append(arg)
        group = commands[arg]
    return " ".join(names)


class ZhGroup(TyperGroup):
    """The app's root group: localises its command tree and speaks Chinese on usage errors."""

    context_class = ZhContext

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        localise(self)

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        with _in_chinese(command_path(self, args)):
            return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: Any) -> Any:
        with _in_chinese(command_path(self, [*ctx._protected_args, *ctx.args])):
            return super().invoke(ctx)


class _in_chinese:
    """Re-raise the framework's usage errors as one Chinese line; bare groups print their help."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        if exc is None or isinstance(exc, ZhUsageError):
            return
        if isinstance(exc, click_exceptions.NoArgsIsHelpError):
            # `fundrisk` or `fundrisk export` alone asks what there is to do: the help, exit 0.
            print(exc.message)
            raise typer.Exit(0)
        if isinstance(exc, click_exceptions.UsageError):
            raise ZhUsageError(chinese_usage_error(exc, self.path), exc.ctx) from None
        if isinstance(exc, typer.Abort):
            print(f"{catalogue()['errors']['prefix']}{catalogue()['errors']['aborted']}", file=sys.stderr)
            raise typer.Exit(1)
