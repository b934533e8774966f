"""Exports the analysts hand out: inspection list, province push, police referrals, warning list, stability list.

`export(con, what, path, **options)` writes `.xlsx` or `.csv` by the suffix of `path` (CSV is UTF-8
with BOM), masks personal numbers unless `unmask=True` (and then records a '导出未脱敏' ledger event),
and never lets a cell become a formula. Options:
- every kind: `run_id` (default: the latest scored run), `unmask` (default False);
- inspection-list: `min_tier` (高风险/中风险/低风险/无明显风险 or 高/中/低/无; default 中风险), `town` and
  `grid` (one 镇街 / 网格, or several separated by commas; default all);
- province-push: `unit` (推送单位), `pushed_on` (date; default today);
- police-referrals: `referred_on` (date; default today).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from fundrisk.errors import BadInput
from fundrisk.publish.inspection_list import write_inspection_list
from fundrisk.publish.ledger import overdue_rectifications, record_unmasked_export, update_ledger
from fundrisk.publish.police_referrals import write_police_referrals
from fundrisk.publish.province_push import write_province_push
from fundrisk.publish.stability_list import write_stability_list
from fundrisk.publish.subjects import parse_tier
from fundrisk.publish.warning_list import write_warning_list
from fundrisk.publish.writers import export_format


@dataclass(frozen=True)
class ExportReport:
    path: Path
    rows: int
    kind: str  # 'csv' | 'xlsx'


WRITERS: dict[str, Callable[..., int]] = {
    "inspection-list": write_inspection_list,
    "province-push": write_province_push,
    "police-referrals": write_police_referrals,
    "warning-list": write_warning_list,
    "stability-list": write_stability_list,
}
OPTIONS: dict[str, set[str]] = {
    "inspection-list": {"min_tier", "run_id", "unmask", "town", "grid"},
    "province-push": {"unit", "run_id", "pushed_on", "unmask"},
    "police-referrals": {"run_id", "referred_on", "unmask"},
    "warning-list": {"run_id", "unmask"},
    "stability-list": {"run_id", "unmask"},
}
LABELS = {
    "inspection-list": "现场核查重点机构名单",
    "province-push": "省监测中心推送名单",
    "police-referrals": "移送公安名单",
    "warning-list": "风险提示名单",
    "stability-list": "涉稳群体重点人员名单",
}


def export(con: duckdb.DuckDBPyConnection, what: str, path: Path | str, **options: Any) -> ExportReport:
    """Write one export; BadInput (one Chinese line) for an unknown export, suffix or tier."""
    if what not in WRITERS:
        raise BadInput(f"未知的导出类型「{what}」，可选：{'、'.join(WRITERS)}")
    target = Path(path)
    kind = export_format(target)
    given = {k: v for k, v in options.items() if v is not None}
    unknown = set(given) - OPTIONS[what]
    if unknown:
        raise BadInput(f"导出「{LABELS[what]}」不支持选项：{'、'.join(sorted(unknown))}")
    if "min_tier" in given:
        given["min_tier"] = parse_tier(str(given["min_tier"]))
    rows = WRITERS[what](con, target, **given)
    if given.get("unmask"):
        record_unmasked_export(con, what, target.name, rows)
    return ExportReport(target, rows, kind)


__all__ = ["ExportReport", "export", "overdue_rectifications", "update_ledger"]
