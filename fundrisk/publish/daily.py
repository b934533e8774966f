"""The lists a daily run leaves for the analysts: inspection list, police referrals, warning list."""

from __future__ import annotations

from pathlib import Path

from fundrisk.exports import daily_files
from fundrisk.publish import export
from fundrisk.publish.background import background_workbooks
from fundrisk.publish.police_referrals import CONFIRMED
from fundrisk.publish.subjects import shared_subjects
from fundrisk.warehouse.db import session
from scoring.config import tier_scale

DAILY = daily_files()  # export → file name, from fundrisk/exports.toml (`daily`)


def shared_floor() -> str:
    """The lowest tier any daily list takes (tiers.toml [lists]; a list without an entry: every tier)."""
    scale = tier_scale()
    floors = [scale.lists.get(what.replace("-", "_"), scale.bottom) for what in DAILY]
    return min(floors, key=scale.rank, default=scale.bottom)


def publish_daily(db: Path, run_id: str, out_dir: Path) -> dict[str, str]:
    """Write the daily exports of one run into out_dir/<run_id>/; returns kind → path."""
    folder = out_dir / run_id
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, str] = {}
    # The lists read the run's ranked subjects once (police referrals also take confirmed cases at any
    # tier); the inspection list's cells are written by a helper process while the others are queried.
    with session(db) as con, background_workbooks(), shared_subjects(shared_floor(), CONFIRMED):
        for what, name in DAILY.items():
            report = export(con, what, folder / name, run_id=run_id)
            written[what] = str(report.path)
    return written
