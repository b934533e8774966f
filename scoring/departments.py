"""建议核查部门 (lead department) by the seed plan's division of labour, not by the loudest factor.

Picking the department from the dominant factor sent almost every list row to 公安分局, although the
police should only get criminal signs. The rules are data (tiers.toml [[department_rule]]), tried in
order; the first whose `when` holds names the department. `when` is a polars SQL expression over the
features frame (scoring/FEATURES.md) plus:
- every factor value by its name (participants, exposure, fund_flow, … in [0, 1]);
- tier, score: the final grading of the row;
- dominant: the factor with the most points (null when none reaches reasons.min_points);
- people: max(payer_count, claimed_participants); amount_yuan: max(inflow_yuan, claimed_amount_yuan).
A row no rule matches goes to FALLBACK.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from scoring.scales import num

FALLBACK = "属地镇街"


@dataclass(frozen=True)
class DepartmentRule:
    """One row of the rule table: the department, its condition and the basis an analyst reads."""

    department: str
    when: str
    basis: str = ""


def parse_rules(rows: Sequence[dict[str, object]]) -> tuple[DepartmentRule, ...]:
    """Rules from tiers.toml's [[department_rule]] tables, in file order."""
    return tuple(DepartmentRule(str(r["department"]), str(r["when"]), str(r.get("basis", ""))) for r in rows)


def rule_frame(
    features: pl.DataFrame, factors: pl.DataFrame, tier: pl.Series, score: pl.Series, dominant: pl.Series
) -> pl.DataFrame:
    """The columns a rule may name, row-aligned with the features."""
    return features.with_columns(
        *[factors[n].alias(n) for n in factors.columns],
        tier.alias("tier"),
        score.alias("score"),
        dominant.alias("dominant"),
        pl.max_horizontal(num("payer_count"), num("claimed_participants")).alias("people"),
        pl.max_horizontal(num("inflow_yuan"), num("claimed_amount_yuan")).alias("amount_yuan"),
    )


def lead_departments(frame: pl.DataFrame, rules: Sequence[DepartmentRule]) -> pl.Series:
    """The department of every row of a rule_frame: the first matching rule's, else FALLBACK."""
    if frame.height == 0:
        return pl.Series("department", [], dtype=pl.String)
    picks = [pl.when(pl.sql_expr(r.when).fill_null(False)).then(pl.lit(r.department)) for r in rules]
    return frame.select(pl.coalesce([*picks, pl.lit(FALLBACK)]).alias("department")).to_series()
