"""The lists a daily run leaves for the analysts: inspection list, police referrals, warning list."""

from __future__ import annotations

from pathlib import Path

from fundrisk.exports import daily_files
from fundrisk.publish import export
from fundrisk.publish.background import background_workbooks
from fundrisk.warehouse.db import session

DAILY = daily_files()  # export → file name, from fundrisk/exports.toml (`daily`)


def publish_daily(db: Path, run_id: str, out_dir: Path) -> dict[str, str]:
    """Write the daily exports of one run into out_dir/<run_id>/; returns kind → path."""
    folder = out_dir / run_id
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, str] = {}
    # The inspection list's cells are written by a helper process while the other lists are queried.
    with session(db) as con, background_workbooks():
        for what, name in DAILY.items():
            report = export(con, what, folder / name, run_id=run_id)
            written[what] = str(report.path)
    return written
