"""Exports the analysts hand out: inspection list, province push, police referrals, warning list, stability list
(each described once in fundrisk/exports.toml: label, writer, options, daily file, help).

`export(con, what, path, **options)` writes `.xlsx` or `.csv` by the suffix of `path` (CSV is UTF-8
with BOM), masks personal numbers unless `unmask=True` (and then records a '导出未脱敏' ledger event),
and never lets a cell become a formula. Options:
- every kind: `run_id` (default: the latest scored run), `unmask` (default False);
- inspection-list: `min_tier` (a tier of scoring/tiers.toml or its alias; default its [lists] entry), `town` and
  `grid` (one 镇街 / 网格, or several separated by commas; default all);
- province-push: `unit` (推送单位), `pushed_on` (date; default today);
- police-referrals: `referred_on` (date; default today).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fundrisk.errors import BadInput
from fundrisk.exports import EXPORTS
from fundrisk.publish.ledger import overdue_rectifications, record_unmasked_export, update_ledger
from fundrisk.publish.subjects import parse_tier
from fundrisk.publish.writers import export_format
from fundrisk.warehouse.db import Connection


@dataclass(frozen=True)
class ExportReport:
    path: Path
    rows: int
    kind: str  # 'csv' | 'xlsx'


def export(con: Connection, what: str, path: Path | str, **options: Any) -> ExportReport:
    """Write one export (fundrisk/exports.toml: its writer, options and label); BadInput (one Chinese
    line) for an unknown export, option, suffix or tier."""
    spec = EXPORTS.get(what)
    if spec is None:
        raise BadInput(f"未知的导出类型「{what}」，可选：{'、'.join(EXPORTS)}")
    target = Path(path)
    kind = export_format(target)
    given = {k: v for k, v in options.items() if v is not None}
    unknown = set(given) - spec.options
    if unknown:
        raise BadInput(f"导出「{spec.label}」不支持选项：{'、'.join(sorted(unknown))}")
    if "min_tier" in given:
        given["min_tier"] = parse_tier(str(given["min_tier"]))
    rows = spec.writer()(con, target, **given)
    if given.get("unmask"):
        record_unmasked_export(con, what, target.name, rows)
    return ExportReport(target, rows, kind)


__all__ = ["ExportReport", "export", "overdue_rectifications", "update_ledger"]
