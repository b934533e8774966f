"""The one exception tree an analyst-facing command turns into an exit status.

BadInput carries a one-line Chinese message and means exit 2; anything else is exit 1.
"""


class FundriskError(Exception):
    """Base of every error fundrisk raises on purpose."""


class BadInput(FundriskError):
    """The user's input or usage is wrong; the message says what to fix (exit 2)."""


class DatabaseBusy(FundriskError):
    """Another process holds the DuckDB file for writing."""


class DiskFull(FundriskError):
    """The disk (or the database's filesystem) has no space left; nothing committed is lost (exit 1)."""
