"""The exports an analyst receives, each described once (exports.toml): its Chinese label, writer,
options, the file a daily or scheduled run writes, and the CLI's help line.

`fundrisk.publish.export`, the daily run, the weekly push, the demo and `fundrisk export -h` all read this
table, so a label cannot disagree between them. Light on purpose: a writer is imported only when used, so
the CLI prints its help without loading the exports.
"""

from __future__ import annotations

import datetime as dt
import importlib
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CATALOG_FILE = Path(__file__).with_name("exports.toml")


@dataclass(frozen=True)
class ExportSpec:
    name: str  # the CLI's name (inspection-list)
    label: str
    writer_ref: str  # "module:function"
    options: frozenset[str]
    daily: str | None = None  # suffix of the daily run's file, None when no daily run writes it
    file: str | None = None  # name pattern of a scheduled file ({date})
    help_template: str = ""

    def writer(self) -> Callable[..., int]:
        module, function = self.writer_ref.split(":")
        writer: Callable[..., int] = getattr(importlib.import_module(module), function)
        return writer

    @property
    def daily_file(self) -> str | None:
        """The file name a daily run writes (现场核查重点机构名单.xlsx), or None."""
        return f"{self.label}.{self.daily}" if self.daily else None

    def scheduled_path(self, folder: Path, when: dt.datetime | None = None) -> Path:
        """`file` in `folder` for the moment `when`; a file already there is never replaced (time added)."""
        if not self.file:
            raise ValueError(f"export {self.name} has no scheduled file name")
        now = when or dt.datetime.now()
        target = folder / self.file.format(date=now)
        return (
            target if not target.exists() else target.with_name(f"{target.stem}_{now:%H%M%S}{target.suffix}")
        )

    def help(self) -> str:
        """The CLI's help line with the label, the list's lowest tier and the law's figures filled in."""
        from scoring.config import legal, tier_scale

        scale = tier_scale()
        tier = scale.lists.get(self.name.replace("-", "_"), "")
        return self.help_template.format(label=self.label, tier=tier, **legal().fields())


def _load(path: Path) -> dict[str, ExportSpec]:
    raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    return {
        name: ExportSpec(
            name=name,
            label=str(body["label"]),
            writer_ref=str(body["writer"]),
            options=frozenset(map(str, body.get("options", ()))),
            daily=body.get("daily"),
            file=body.get("file"),
            help_template=str(body.get("help", "")),
        )
        for name, body in raw.items()
    }


EXPORTS: dict[str, ExportSpec] = _load(CATALOG_FILE)


def label(name: str) -> str:
    """The Chinese name of an export (移送公安线索 for police-referrals); an unknown name stays as it is."""
    spec = EXPORTS.get(name)
    return spec.label if spec is not None else name


def daily_files() -> dict[str, str]:
    """Export name → the file every daily run writes, in catalog order."""
    return {name: spec.daily_file for name, spec in EXPORTS.items() if spec.daily_file}
