"""Provincial risk list, on-site inspections and the disposal ledger."""

from __future__ import annotations

import numpy as np
import polars as pl

from fundrisk.synth import events
from fundrisk.synth.names import gather
from fundrisk.synth.plan import GROUNDS, Plan
from fundrisk.synth.registry import days
from fundrisk.synth.schemes import GRID_NOTES
from scoring.config import tier_scale

CONCLUSIONS = ["确认非法集资", "存在风险隐患", "未发现问题"]
PRIOR_LO, PRIOR_HI = days("2025-01-05"), days("2025-06-20")
_UNITS = {
    "约谈": "文昌湖区经济发展局",
    "警示教育": "{town}人民政府",
    "责令整改": "文昌湖区市场监督管理局",
    "公告公示": "文昌湖区经济发展局",
    "行政处罚": "文昌湖区市场监督管理局",
    "移送公安": "淄博市公安局文昌湖分局",
    "物业通报": "{town}人民政府",
    "复查": "{town}人民政府",
    "销号": "文昌湖区经济发展局",
}
# (action, days after inspection, deadline days or 0, probability)
_STEPS = {
    "确认非法集资": [
        ("约谈", 3, 0, 1.0),
        ("责令整改", 7, 30, 0.9),
        ("行政处罚", 12, 0, 0.3),
        ("移送公安", 15, 0, 0.8),
        ("公告公示", 20, 0, 0.6),
    ],
    "存在风险隐患": [
        ("约谈", 5, 0, 0.6),
        ("警示教育", 6, 0, 0.6),
        ("责令整改", 10, 30, 0.8),
        ("物业通报", 12, 0, 0.2),
        ("复查", 45, 0, 0.7),
        ("销号", 60, 0, 0.4),
    ],
    "未发现问题": [("警示教育", 10, 0, 0.05)],
}


def _ground_mask(plan: Plan, rows: pl.DataFrame, ground: str) -> pl.Expr:
    chosen = plan.priors[plan.prior_ground == GROUNDS.index(ground)]
    return pl.col("_idx").is_in(pl.Series(chosen).implode())


def build_provincial(
    rng: np.random.Generator, plan: Plan, specials: pl.DataFrame, leads: pl.DataFrame
) -> pl.DataFrame:
    """About 30% of planted entities, listed priors, a few others; some rows carry the name only."""
    planted = specials.filter(pl.col("_scheme") >= 0)
    chosen = planted.filter(
        pl.Series(rng.random(planted.height) < 0.27) | _ground_mask(plan, planted, "listed")
    )
    chosen = chosen.filter(~pl.col("_idx").is_in(pl.Series(plan.repeaters).implode()))
    others = specials.filter(pl.col("_idx").is_in(pl.Series(plan.listed_other).implode()))
    rows = pl.concat([chosen.with_columns(_p=pl.lit(True)), others.with_columns(_p=pl.lit(False))])
    n = rows.height
    prior = rows["_idx"].is_in(pl.Series(plan.priors).implode()).to_numpy()
    day = np.where(
        prior,
        PRIOR_LO + (rng.random(n) * (PRIOR_HI - PRIOR_LO)).astype(np.int64),
        events.event_days(rng, rows["_est"].to_numpy()),
    )
    level = np.where(rows["_p"].to_numpy(), rng.choice(2, n, p=[0.6, 0.4]), rng.choice([1, 2], n))
    tiers = tier_scale().names  # tiers.toml, highest first
    name_only = pl.Series((rng.random(n) < 0.08) & ~prior)
    listed = rows.select(
        pl.when(name_only).then(None).otherwise(pl.col("uscc")).alias("uscc"),
        "name",
        events.date_text(rng, day, (0.8, 0.1, 0.1, 0.0)).alias("listed_on"),
        gather(list(tiers[:3]), level).alias("level"),  # the province grades with our three upper tiers
    )
    few = leads.head(max(1, leads.height // 10)).select(
        pl.lit(None, dtype=pl.String).alias("uscc"),
        "name",
        pl.lit("2026-03-15").alias("listed_on"),
        pl.lit(tiers[1]).alias("level"),
    )
    return pl.concat([listed, few])


def build_inspections(
    rng: np.random.Generator, plan: Plan, specials: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Inspections (canonical columns) and the actions that followed them."""
    planted = specials.filter(pl.col("_scheme") >= 0)
    prior_mask = _ground_mask(plan, planted, "confirmed") | _ground_mask(plan, planted, "revoked")
    picked = planted.filter(pl.Series(rng.random(planted.height) < 0.45) | prior_mask).with_columns(
        _p=pl.lit(True)
    )
    ordinary = specials.filter(pl.col("_idx").is_in(pl.Series(plan.inspected).implode())).with_columns(
        _p=pl.lit(False)
    )
    rows = pl.concat([picked, ordinary])
    n = rows.height
    idx = rows["_idx"].to_numpy()
    is_p = rows["_p"].to_numpy()
    concl = np.where(is_p, rng.choice(3, n, p=[0.5, 0.35, 0.15]), rng.choice(3, n, p=[0.01, 0.06, 0.93]))
    confirmed = np.isin(idx, plan.priors[plan.prior_ground == GROUNDS.index("confirmed")])
    revoked = np.isin(idx, plan.priors[plan.prior_ground == GROUNDS.index("revoked")])
    concl = np.where(confirmed, 0, np.where(revoked, 1, concl))
    day = events.event_days(rng, rows["_est"].to_numpy(), lo=days("2025-02-01"), hi=days("2026-11-10"))
    day = np.where(
        confirmed | revoked, PRIOR_LO + (rng.random(n) * (PRIOR_HI - PRIOR_LO)).astype(np.int64), day
    )
    towns = rows["town"].to_list()
    team = [
        f"{t}核查{'一二三'[k]}组" if k < 3 else "区联合核查组"
        for t, k in zip(towns, rng.integers(0, 4, n).tolist(), strict=True)
    ]
    notes = [
        GRID_NOTES[CONCLUSIONS[c]][k % 3]
        for c, k in zip(concl.tolist(), rng.integers(0, 3, n).tolist(), strict=True)
    ]
    base = pl.DataFrame(
        {
            "uscc": rows["uscc"],
            "_day": day,
            "conclusion": gather(CONCLUSIONS, concl),
            "team": pl.Series(team, dtype=pl.String),
            "notes": pl.Series(notes, dtype=pl.String),
        }
    )
    again = (rng.random(n) < 0.15) & is_p
    second_day = day + rng.integers(30, 120, n)
    keep = again & (second_day <= events.EVENT_HI)
    second = base.filter(pl.Series(keep)).with_columns(
        _day=pl.Series(second_day[keep]),
        conclusion=gather(CONCLUSIONS, np.minimum(concl[keep] + rng.integers(0, 2, int(keep.sum())), 2)),
        notes=pl.lit("复查"),
    )
    insp = pl.concat([base, second]).sort(["_day", "uscc"])
    actions = _actions(rng, base, towns)
    out = insp.select(
        "uscc",
        pl.col("_day").cast(pl.Int32).cast(pl.Date).dt.strftime("%Y-%m-%d").alias("inspected_on"),
        "conclusion",
        "team",
        "notes",
    )
    return out, actions


def _actions(rng: np.random.Generator, insp: pl.DataFrame, towns: list[str]) -> pl.DataFrame:
    """Disposal steps after each first inspection, by conclusion (small loop over inspected entities)."""
    rec: dict[str, list[object]] = {k: [] for k in ("uscc", "action", "_day", "unit", "deadline", "notes")}
    draws = rng.random((insp.height, 8))
    for i, (uscc, day, concl) in enumerate(insp.select("uscc", "_day", "conclusion").iter_rows()):
        for j, (action, after, deadline, p) in enumerate(_STEPS[concl]):
            when = int(day) + after
            if draws[i, j] >= p or when > events.EVENT_HI:
                continue
            rec["uscc"].append(uscc)
            rec["action"].append(action)
            rec["_day"].append(when)
            rec["unit"].append(_UNITS[action].format(town=towns[i]))
            rec["deadline"].append(when + deadline if deadline else None)
            rec["notes"].append(f"依据{concl}核查结论处置")
    frame = pl.DataFrame(
        rec,
        schema={
            "uscc": pl.String,
            "action": pl.String,
            "_day": pl.Int32,
            "unit": pl.String,
            "deadline": pl.Int32,
            "notes": pl.String,
        },
    )
    iso = "%Y-%m-%d"
    return frame.sort(["_day", "uscc", "action"]).select(
        "uscc",
        "action",
        pl.col("_day").cast(pl.Date).dt.strftime(iso).alias("action_on"),
        "unit",
        pl.col("deadline").cast(pl.Date).dt.strftime(iso).alias("deadline"),
        "notes",
    )
