"""Scoring configuration as data: weights.toml (points, anchors, caps) and tiers.toml (cut-offs, disposals)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scoring.departments import DepartmentRule, parse_rules

HERE = Path(__file__).resolve().parent
WEIGHTS_FILE = HERE / "weights.toml"
TIERS_FILE = HERE / "tiers.toml"


@dataclass(frozen=True)
class Tier:
    name: str
    min_score: float
    disposal: str


@dataclass(frozen=True)
class Calibration:
    alpha: float = 0.5
    min_labels: int = 30
    min_per_class: int = 8
    hidden_risk: str = "exclude"
    folds: int = 5
    seed: int = 20250101
    max_k: int = 20


@dataclass(frozen=True)
class Floor:
    """A minimum tier for subjects matching a condition (a polars SQL expression over the features)."""

    when: str
    tier: str
    reason: str


@dataclass(frozen=True)
class Outcomes:
    """How on-site inspection conclusions override the points (tiers.toml [outcomes])."""

    confirmed: str = "确认非法集资"
    confirmed_tier: str = "高风险"
    confirmed_reason: str = "现场核查结论：{date}核查确认非法集资，定为{tier}"
    cleared: str = "未发现问题"
    cleared_lowers_by: int = 1
    cleared_reason: str = "现场核查结论：{date}核查未发现问题，此后无新的预警或线索，等级由{tier}下调"


@dataclass(frozen=True)
class ScoringConfig:
    points: dict[str, float]
    people_anchors: tuple[float, float, float]
    money_anchors: tuple[float, float, float]
    tiers: tuple[Tier, ...]
    licensed_fi_max_tier: str = "低风险"
    max_sentences: int = 5
    min_points: float = 2.0
    calibration: Calibration = field(default_factory=Calibration)
    weights_version: str = "weights-unversioned"
    tiers_version: str = "tiers-unversioned"
    floors: tuple[Floor, ...] = ()
    department_rules: tuple[DepartmentRule, ...] = ()
    outcomes: Outcomes = field(default_factory=Outcomes)

    def tier_floor(self, name: str) -> float:
        return next(t.min_score for t in self.tiers if t.name == name)

    def tier_cap(self, name: str) -> float:
        """Highest score that stays within the tier: just under the cut-off of the tier above it."""
        ordered = sorted(self.tiers, key=lambda t: t.min_score)
        names = [t.name for t in ordered]
        i = names.index(name)
        return 100.0 if i + 1 >= len(ordered) else ordered[i + 1].min_score - 0.01

    def licensed_fi_cap(self) -> float:
        """Highest score a licensed institution may reach: just under the tier above its maximum tier."""
        return self.tier_cap(self.licensed_fi_max_tier)


def _triple(values: Any) -> tuple[float, float, float]:
    a, b, c = (float(v) for v in values)
    if not 0 < a < b < c:
        raise ValueError(f"anchors must be increasing and positive: {values}")
    return a, b, c


def load_config(weights: Path | None = None, tiers: Path | None = None) -> ScoringConfig:
    """Read the two TOML files (defaults: the ones shipped beside this module)."""
    w = tomllib.loads((weights or WEIGHTS_FILE).read_text(encoding="utf-8"))
    t = tomllib.loads((tiers or TIERS_FILE).read_text(encoding="utf-8"))
    tier_rows = tuple(
        Tier(str(r["name"]), float(r["min_score"]), str(r["disposal"]))
        for r in sorted(t["tier"], key=lambda r: -float(r["min_score"]))
    )
    cal = Calibration(**w.get("calibration", {}))
    caps = w.get("caps", {})
    reasons = w.get("reasons", {})
    config = ScoringConfig(
        points={k: float(v) for k, v in w["points"].items()},
        people_anchors=_triple(w["anchors"]["participants"]),
        money_anchors=_triple(w["anchors"]["exposure_yuan"]),
        tiers=tier_rows,
        licensed_fi_max_tier=str(caps.get("licensed_fi_max_tier", "低风险")),
        max_sentences=int(reasons.get("max_sentences", 5)),
        min_points=float(reasons.get("min_points", 2.0)),
        calibration=cal,
        weights_version=str(w.get("version", "weights-unversioned")),
        tiers_version=str(t.get("version", "tiers-unversioned")),
        floors=tuple(Floor(str(f["when"]), str(f["tier"]), str(f["reason"])) for f in t.get("floor", [])),
        department_rules=parse_rules(t.get("department_rule", [])),
        outcomes=Outcomes(**t.get("outcomes", {})),
    )
    _validate(config)
    return config


def _validate(config: ScoringConfig) -> None:
    from scoring.factors import FACTORS

    unknown = set(config.points) - set(FACTORS)
    if unknown:
        raise ValueError(f"weights.toml names unknown factors: {sorted(unknown)}")
    if config.licensed_fi_max_tier not in {t.name for t in config.tiers}:
        raise ValueError(f"caps.licensed_fi_max_tier is not a tier: {config.licensed_fi_max_tier}")
    if config.outcomes.confirmed_tier not in {t.name for t in config.tiers}:
        raise ValueError(
            f"outcomes names a tier that tiers.toml does not define: {config.outcomes.confirmed_tier}"
        )
    if config.outcomes.cleared_lowers_by < 0:
        raise ValueError("outcomes.cleared_lowers_by must be 0 or more")
    if config.calibration.hidden_risk not in {"exclude", "positive"}:
        raise ValueError("calibration.hidden_risk must be 'exclude' or 'positive'")
