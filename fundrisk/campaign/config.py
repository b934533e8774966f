"""The campaign file (campaign.toml): name, dates, phases, units and the 清零 target, as data.

The packaged default is the seed plan's 百日清零 action; `--campaign PATH` or FUNDRISK_CAMPAIGN replaces
it. MM-DD dates take the year the caller gives (the data's year), so one file serves every year.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from fundrisk.errors import BadInput
from fundrisk.settings import get_settings

DEFAULT_FILE = Path(__file__).with_name("campaign.toml")
_MONTH_DAY = re.compile(r"^(\d{1,2})-(\d{1,2})$")
BEFORE = "行动前"  # the bucket of dates before the first phase
AFTER = "行动后"


@dataclass(frozen=True)
class Phase:
    name: str
    start: dt.date
    end: dt.date
    work: str = ""


@dataclass(frozen=True)
class Campaign:
    name: str
    short_name: str
    start: dt.date
    end: dt.date
    phases: tuple[Phase, ...]
    units: tuple[str, ...]
    lead_unit: str
    target: float
    source: Path

    def phase_of(self, day: dt.date) -> str:
        """The phase a date falls in (行动前 / 行动后 outside the campaign)."""
        for phase in self.phases:
            if phase.start <= day <= phase.end:
                return phase.name
        return BEFORE if day < self.start else AFTER

    def time_share(self, day: dt.date) -> float:
        """Share of the campaign's days elapsed on `day` (时间进度), 0–1."""
        total = (self.end - self.start).days + 1
        return min(1.0, max(0.0, ((day - self.start).days + 1) / total))


def campaign_path(path: Path | None = None) -> Path:
    """The file to use: the given path, else FUNDRISK_CAMPAIGN, else the packaged default."""
    return Path(path) if path is not None else (get_settings().campaign or DEFAULT_FILE)


def _date(value: object, year: int, what: str, source: Path) -> dt.date:
    text = str(value).strip()
    try:
        match = _MONTH_DAY.match(text)
        if match:
            return dt.date(year, int(match.group(1)), int(match.group(2)))
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadInput(
            f"活动配置「{source}」中{what}「{text}」不是日期，请写成 06-01 或 2026-06-01"
        ) from None


def load_campaign(year: int, path: Path | None = None) -> Campaign:
    """The campaign of `year` from the file; BadInput (one Chinese line) when the file cannot be used."""
    source = campaign_path(path)
    if not source.is_file():
        raise BadInput(f"找不到活动配置文件「{source}」，请检查 --campaign 或 FUNDRISK_CAMPAIGN")
    try:
        raw = tomllib.loads(source.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BadInput(f"活动配置「{source}」不是有效的 TOML 文件：{exc}") from None
    missing = [k for k in ("name", "start", "end", "phase") if k not in raw]
    if missing:
        raise BadInput(f"活动配置「{source}」缺少字段：{'、'.join(missing)}")
    start = _date(raw["start"], year, "开始日期", source)
    end = _date(raw["end"], year, "结束日期", source)
    phases = tuple(
        Phase(
            str(p.get("name", f"第{i + 1}阶段")),
            _date(p.get("start"), year, "阶段开始日期", source),
            _date(p.get("end"), year, "阶段结束日期", source),
            str(p.get("work", "")),
        )
        for i, p in enumerate(raw["phase"])
    )
    _check(start, end, phases, source)
    return Campaign(
        name=str(raw["name"]),
        short_name=str(raw.get("short_name", raw["name"])),
        start=start,
        end=end,
        phases=phases,
        units=tuple(str(u) for u in raw.get("units", ())),
        lead_unit=str(raw.get("lead_unit", get_settings().push_unit)),
        target=float(raw.get("target", 1.0)),
        source=source,
    )


def _check(start: dt.date, end: dt.date, phases: tuple[Phase, ...], source: Path) -> None:
    """Phases in order, without overlap, inside the campaign: a date must belong to one phase only."""
    if end < start:
        raise BadInput(f"活动配置「{source}」的结束日期早于开始日期")
    if not phases:
        raise BadInput(f"活动配置「{source}」至少需要一个阶段（[[phase]]）")
    for before, after in zip(phases, phases[1:], strict=False):
        if after.start <= before.end:
            raise BadInput(f"活动配置「{source}」的阶段「{before.name}」与「{after.name}」日期重叠或顺序颠倒")
    for p in phases:
        if p.end < p.start or p.start < start or p.end > end:
            raise BadInput(f"活动配置「{source}」的阶段「{p.name}」日期不在活动期内或首尾颠倒")
