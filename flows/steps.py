"""Every Prefect task's name: a short ASCII stage key, then what the analyst reads.

The Prefect UI draws the run graph on a canvas whose font has no CJK glyphs, so a name in Chinese only
shows as empty boxes there; the ASCII key in front keeps each node legible (`ingest · 导入文件`).
The enrichment and scoring stages' keys and labels are fundrisk/stages/sequence.py's (the one list the
flow runs, in order); the keys are also the keys of the run summary for those stages.
"""

from __future__ import annotations

import datetime as dt
import re

from fundrisk.settings import get_settings
from fundrisk.stages.sequence import STAGES

SEPARATOR = " · "
# key → label, in the order the daily pipeline runs them (then the weekly push's own steps).
STEPS: dict[str, str] = {
    "recover": "清理中断的运行",
    "begin": "登记运行",
    "evidence": "登记证据材料",
    "ingest": "导入文件",
    "plan": "安排步骤",  # whether the stages below may run side by side (fundrisk/stages/sequence.py)
    "stage": "流水线步骤",  # the task behind the stages below; each run is named by its own key
    **{s.key: s.label for s in STAGES},
    "ledger": "更新动态管理台账",
    "publish": "导出清单",
    "finish": "结束运行",
    "campaign": "记录百日清零进度",
    "part-scan": "分区敏感词与舆情",
    "part-export": "导出分区",
    "part-load": "载入分区结果",
    "push": "生成省推送清单",
    "brief": "生成工作简报",
}
_OFFICE_WORDS = re.compile(r"防范|处置非法集资|处非|领导小组|办公室|金融工作")


def step(key: str, detail: str | None = None) -> str:
    """`keywords · 敏感词筛查`, or with a detail `ingest · 导入 registrations/工商登记.xlsx`."""
    return f"{key}{SEPARATOR}{detail or STEPS[key]}"


def district() -> str:
    """The district's name from the reporting unit (文昌湖区防范和处置…办公室 → 文昌湖区)."""
    unit = get_settings().push_unit
    return _OFFICE_WORDS.split(unit, maxsplit=1)[0].strip() or unit


def run_name(what: str, when: dt.datetime | None = None) -> str:
    """A flow run's name in the UI: district, what, date and time (文昌湖区 每日流水线 2026-06-30 06:30)."""
    return f"{district()} {what} {(when or dt.datetime.now()):%Y-%m-%d %H:%M}"
