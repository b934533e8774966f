"""The public warning list (风险提示名单): entities and unregistered operators of the latest run at the top
tier (tiers.toml [lists] warning_list)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from fundrisk.exports import label
from fundrisk.publish.safety import protect
from fundrisk.publish.subjects import resolve_run, scored_subjects
from fundrisk.publish.writers import export_format, write_frame
from fundrisk.warehouse.db import Connection
from scoring.config import tier_scale

WARNING = "该公司不具备开展集资、吸储、保险、理财经营资格，谨防上当受骗"
COLUMNS = {"name": "主体名称", "uscc": "统一社会信用代码", "address": "经营地址", "warning": "风险提示"}


def warning_frame(con: Connection, run_id: str, unmask: bool = False) -> pl.DataFrame:
    """Name, code (empty for an unregistered operator), address and the fixed warning text."""
    floor = tier_scale().floor_of("warning_list")
    rows = scored_subjects(con, run_id, floor).with_columns(pl.lit(WARNING).alias("warning"))
    table = rows.select([pl.col(k).alias(v) for k, v in COLUMNS.items()])
    return protect(table, codes=["统一社会信用代码"], unmask=unmask)


def write_warning_list(con: Connection, path: Path, run_id: str | None = None, unmask: bool = False) -> int:
    """Write the warning list (.csv or .xlsx); returns the number of subjects."""
    export_format(path)
    table = warning_frame(con, resolve_run(con, run_id), unmask)
    write_frame(table, path, sheet_name=label("warning-list"))
    return table.height
