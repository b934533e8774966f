"""The review queues as data (review.toml): sheet names, drop-down choices, masks, method labels."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CONFIG_FILE = Path(__file__).with_name("review.toml")
QUEUES = ("quarantine", "link", "lead")  # sheet order in the workbook
# Hidden columns that identify a row for the import (review_decisions.ref_kind / ref_id / target_id).
KEY_COLUMNS = ("键_类别", "键_编号", "键_对象")
DECISION = "复核结论"
NOTE = "备注"


@dataclass(frozen=True)
class Queue:
    key: str
    sheet: str
    title: str
    choices: dict[str, str]  # label shown in the drop-down → code stored in review_decisions

    @property
    def labels(self) -> dict[str, str]:
        """code → label."""
        return {code: label for label, code in self.choices.items()}


@lru_cache(maxsize=1)
def _raw() -> dict:
    return tomllib.loads(CONFIG_FILE.read_text(encoding="utf-8"))


def queues() -> dict[str, Queue]:
    raw = _raw()["queues"]
    return {
        key: Queue(key, raw[key]["sheet"], raw[key]["title"], dict(raw[key]["choices"])) for key in QUEUES
    }


def masks() -> dict[str, str]:
    """canonical column → id | phone | account | name, for quarantined personal values."""
    return dict(_raw()["quarantine"]["masks"])


def method_labels() -> dict[str, str]:
    return dict(_raw()["methods"])


def descriptive() -> str:
    """Regex of words that make a lead's name a description, not a brand (王老板开的…, 那家…)."""
    return str(_raw()["lead_pairs"]["descriptive"])
