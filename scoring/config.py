"""Scoring configuration as data: weights.toml (points, anchors), tiers.toml (cut-offs, disposals, caps,
floors, department rules) and legal.toml (the thresholds of the law).

tiers.toml is the one home of the tier names and their order: every list, report, SQL rank and summary
reads them through `tier_scale()` (names, ranks, short names and the tier each list starts from), so
renaming a tier there is enough. legal.toml is the one home of the 2022 司法解释 thresholds (`legal()`).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from scoring.departments import DepartmentRule, parse_rules

HERE = Path(__file__).resolve().parent
WEIGHTS_FILE = HERE / "weights.toml"
T = TypeVar("T")
TIERS_FILE = HERE / "tiers.toml"
LEGAL_FILE = HERE / "legal.toml"


@dataclass(frozen=True)
class Tier:
    name: str
    min_score: float
    disposal: str
    aliases: tuple[str, ...] = ()  # short and English names an analyst may type (高, high)
    colour: str = ""  # its bars in the report's charts


@dataclass(frozen=True)
class TierScale:
    """The tier names of tiers.toml, highest cut-off first, and what readers need of them.

    rank: the lowest tier is 0, each tier above one more (an unknown name ranks 0, as the lowest);
    `ascending` is the list SQL takes as a parameter (`tier_rank_sql`); `lists` names, per list or count,
    the lowest tier it takes (tiers.toml [lists]).
    """

    names: tuple[str, ...]
    aliases: dict[str, str] = field(default_factory=dict, compare=False)  # lower-cased alias -> name
    lists: dict[str, str] = field(default_factory=dict, compare=False)
    colours: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def top(self) -> str:
        return self.names[0]

    @property
    def bottom(self) -> str:
        return self.names[-1]

    @property
    def ascending(self) -> list[str]:
        """Lowest first: position - 1 is the rank (the SQL parameter of `tier_rank_sql`)."""
        return list(reversed(self.names))

    @property
    def ranks(self) -> dict[str, int]:
        return {name: len(self.names) - 1 - i for i, name in enumerate(self.names)}

    def rank(self, name: str) -> int:
        return self.ranks.get(name, 0)

    def at_or_above(self, name: str) -> tuple[str, ...]:
        """The tiers from the top down to `name` (高风险, 中风险 for 中风险)."""
        return self.names[: self.names.index(name) + 1]

    def short(self, name: str) -> str:
        """The first alias of a tier (中 for 中风险), or its name when it has none."""
        return next((a for a, n in self.aliases.items() if n == name), name)

    def resolve(self, text: str) -> str | None:
        """A tier name from its name or any alias (高风险, 高, high), or None."""
        raw = text.strip()
        return raw if raw in self.names else self.aliases.get(raw.lower())

    def floor_of(self, list_name: str) -> str:
        """The lowest tier a list or count takes (tiers.toml [lists])."""
        return self.lists[list_name]

    def phrase(self, names: tuple[str, ...] | list[str]) -> str:
        """Tiers named together in a sentence, sharing their common ending: 高、中风险."""
        suffix = os.path.commonprefix([n[::-1] for n in names])[::-1] if len(names) > 1 else ""
        if any(n == suffix for n in names):
            suffix = ""
        return "、".join(n[: len(n) - len(suffix)] for n in names) + suffix


def tier_rank_sql(column: str, param: str = "tier_order") -> str:
    """A SQL rank of a tier column: `$tier_order` is `TierScale.ascending` (unknown names rank 0)."""
    return f"coalesce(list_position(${param}, {column}) - 1, 0)"


@dataclass(frozen=True)
class LegalThreshold:
    """One article's figures: people, amount absorbed (元) and, for 第三条, the direct loss (元)."""

    article: str
    people: float
    amount_yuan: float
    loss_yuan: float | None = None


@dataclass(frozen=True)
class Legal:
    """The prosecution (立案) and 数额巨大 thresholds of the 2022 interpretation (legal.toml)."""

    law: str
    short: str
    year: str
    case: LegalThreshold
    serious: LegalThreshold

    def text(self, template: str) -> str:
        """A description with {case_people}, {case_wan}, {case_article}, {serious_people} … filled in."""
        return template.format(**self.fields())

    def fields(self) -> dict[str, str]:
        out = {"law": self.law, "law_short": self.short, "year": self.year}
        for key, t in (("case", self.case), ("serious", self.serious)):
            out[f"{key}_article"] = t.article
            out[f"{key}_people"] = _figure(t.people)
            out[f"{key}_yuan"] = _figure(t.amount_yuan)
            out[f"{key}_wan"] = _figure(t.amount_yuan / 10_000)
            if t.loss_yuan is not None:
                out[f"{key}_loss_yuan"] = _figure(t.loss_yuan)
                out[f"{key}_loss_wan"] = _figure(t.loss_yuan / 10_000)
        return out


def _figure(x: float) -> str:
    """150.0 -> '150', 12.5 -> '12.5' (never an exponent)."""
    return f"{x:.2f}".rstrip("0").rstrip(".")


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
    """How on-site inspection conclusions override the points (tiers.toml [outcomes], every key required)."""

    confirmed: str
    confirmed_tier: str
    confirmed_reason: str
    cleared: str
    cleared_lowers_by: int
    cleared_reason: str


@dataclass(frozen=True)
class ScoringConfig:
    points: dict[str, float]
    people_anchors: tuple[float, float, float]
    money_anchors: tuple[float, float, float]
    tiers: tuple[Tier, ...]
    licensed_fi_max_tier: str
    outcomes: Outcomes
    legal: Legal
    max_sentences: int = 5
    min_points: float = 2.0
    calibration: Calibration = field(default_factory=Calibration)
    weights_version: str = "weights-unversioned"
    tiers_version: str = "tiers-unversioned"
    floors: tuple[Floor, ...] = ()
    department_rules: tuple[DepartmentRule, ...] = ()
    lists: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def scale(self) -> TierScale:
        return _scale(self.tiers, self.lists)

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


def _read(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _threshold(raw: dict[str, Any]) -> LegalThreshold:
    loss = raw.get("loss_yuan")
    return LegalThreshold(
        str(raw["article"]),
        float(raw["people"]),
        float(raw["amount_yuan"]),
        None if loss is None else float(loss),
    )


def _legal_of(raw: dict[str, Any]) -> Legal:
    return Legal(
        str(raw["law"]),
        str(raw["short"]),
        str(raw["year"]),
        _threshold(raw["case"]),
        _threshold(raw["serious"]),
    )


@lru_cache(maxsize=16)
def _parsed_cached(path: Path, mtime_ns: int, parse: Callable[[dict[str, Any]], T]) -> T:
    return parse(_read(path))


def _parsed(path: Path, parse: Callable[[dict[str, Any]], T]) -> T:
    """`parse` of a TOML file, read again only when the file changes (cached per file version)."""
    return _parsed_cached(path, path.stat().st_mtime_ns, parse)


def legal(path: Path | None = None) -> Legal:
    """The thresholds of the law (legal.toml; default the file shipped beside this module)."""
    return _parsed(path or LEGAL_FILE, _legal_of)


def _tiers_of(raw: dict[str, Any]) -> tuple[Tier, ...]:
    return tuple(
        Tier(
            str(r["name"]),
            float(r["min_score"]),
            str(r["disposal"]),
            tuple(map(str, r.get("aliases", ()))),
            str(r.get("colour", "")),
        )
        for r in sorted(raw["tier"], key=lambda r: -float(r["min_score"]))
    )


def _scale(tiers: tuple[Tier, ...], lists: dict[str, str]) -> TierScale:
    aliases = {alias.lower(): t.name for t in tiers for alias in t.aliases}
    colours = {t.name: t.colour for t in tiers if t.colour}
    return TierScale(tuple(t.name for t in tiers), aliases, dict(lists), colours)


def _scale_of(raw: dict[str, Any]) -> TierScale:
    scale = _scale(_tiers_of(raw), {str(k): str(v) for k, v in raw.get("lists", {}).items()})
    unknown = {k: v for k, v in scale.lists.items() if v not in scale.names}
    if unknown:
        raise ValueError(f"tiers.toml [lists] names tiers that [[tier]] does not define: {unknown}")
    return scale


def tier_scale(path: Path | None = None) -> TierScale:
    """The tier names of tiers.toml (default: `TIERS_FILE`, read when called), cached per file version."""
    return _parsed(path or TIERS_FILE, _scale_of)


def _anchor(values: Any, law: Legal, what: str) -> tuple[float, float, float]:
    """Three increasing anchors; "case" or "serious" stands for that legal threshold (people or 元)."""
    out = []
    for v in values:
        if isinstance(v, str):
            if v not in ("case", "serious"):
                raise ValueError(f"an anchor names no legal threshold (case, serious): {v}")
            v = getattr(getattr(law, v), what)
        out.append(float(v))
    a, b, c = out
    if not 0 < a < b < c:
        raise ValueError(f"anchors must be increasing and positive: {values}")
    return a, b, c


def anchors(weights: Path | None = None, law: Legal | None = None) -> tuple[tuple[float, float, float], ...]:
    """(people, money in 元) anchors of weights.toml [anchors], legal thresholds filled in from legal.toml."""
    w = _read(weights or WEIGHTS_FILE)["anchors"]
    law = law or legal()
    return _anchor(w["participants"], law, "people"), _anchor(w["exposure_yuan"], law, "amount_yuan")


def _rules(rows: list[dict[str, Any]], law: Legal) -> tuple[DepartmentRule, ...]:
    """Department rules with the legal thresholds ({case_people}, {case_yuan} …) filled into when/basis."""
    filled = [
        {**r, "when": law.text(str(r["when"])), "basis": law.text(str(r.get("basis", "")))} for r in rows
    ]
    return parse_rules(filled)


def load_config(
    weights: Path | None = None, tiers: Path | None = None, legal_file: Path | None = None
) -> ScoringConfig:
    """Read the three TOML files (defaults: the ones shipped beside this module)."""
    w = _read(weights or WEIGHTS_FILE)
    t = _read(tiers or TIERS_FILE)
    law = legal(legal_file)
    people, money = anchors(weights, law)
    cal = Calibration(**w.get("calibration", {}))
    reasons = w.get("reasons", {})
    config = ScoringConfig(
        points={k: float(v) for k, v in w["points"].items()},
        people_anchors=people,
        money_anchors=money,
        tiers=_tiers_of(t),
        licensed_fi_max_tier=str(t["caps"]["licensed_fi_max_tier"]),
        outcomes=Outcomes(**t["outcomes"]),
        legal=law,
        max_sentences=int(reasons.get("max_sentences", 5)),
        min_points=float(reasons.get("min_points", 2.0)),
        calibration=cal,
        weights_version=str(w.get("version", "weights-unversioned")),
        tiers_version=str(t.get("version", "tiers-unversioned")),
        floors=tuple(Floor(str(f["when"]), str(f["tier"]), str(f["reason"])) for f in t.get("floor", [])),
        department_rules=_rules(t.get("department_rule", []), law),
        lists={str(k): str(v) for k, v in t.get("lists", {}).items()},
    )
    _validate(config)
    return config


# `tier = '…'` or `tier IN ('…', …)` in a rule: every name quoted there must be a tier.
_TIER_TEST = re.compile(r"\btier\s*(?:=|<>|!=|IN\s*\()\s*((?:'[^']*'\s*,?\s*)+)", re.IGNORECASE)


def _named_tiers(when: str) -> set[str]:
    return {name for m in _TIER_TEST.finditer(when) for name in re.findall(r"'([^']*)'", m.group(1))}


def _validate(config: ScoringConfig) -> None:
    from scoring.factors import FACTORS

    unknown = set(config.points) - set(FACTORS)
    if unknown:
        raise ValueError(f"weights.toml names unknown factors: {sorted(unknown)}")
    names = {t.name for t in config.tiers}
    if config.licensed_fi_max_tier not in names:
        raise ValueError(f"tiers.toml caps.licensed_fi_max_tier is not a tier: {config.licensed_fi_max_tier}")
    if config.outcomes.confirmed_tier not in names:
        raise ValueError(
            f"outcomes names a tier that tiers.toml does not define: {config.outcomes.confirmed_tier}"
        )
    named = {f.tier for f in config.floors} | set(config.lists.values())
    named |= {n for r in config.department_rules for n in _named_tiers(r.when)}
    if named - names:
        raise ValueError(f"tiers.toml names tiers that [[tier]] does not define: {sorted(named - names)}")
    if config.outcomes.cleared_lowers_by < 0:
        raise ValueError("outcomes.cleared_lowers_by must be 0 or more")
    if config.calibration.hidden_risk not in {"exclude", "positive"}:
        raise ValueError("calibration.hidden_risk must be 'exclude' or 'positive'")
