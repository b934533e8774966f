"""Time rule-only scoring of N synthetic subjects (default 1,000,000) against a naive per-row Python loop.

Usage: python benchmarks/bench_scoring.py [ROWS]
"""

from __future__ import annotations

import datetime as dt
import math
import sys
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import peak_rss_mb, print_table, timed  # noqa: E402
from scoring import load_config, score_subjects  # noqa: E402
from scoring.config import ScoringConfig  # noqa: E402
from scoring.schema import FEATURE_SCHEMA, conform  # noqa: E402

TYPES = np.array(["", "分散转入集中转出", "快进快出", "大额转入", "频繁小额转入、快进快出"])
TERMS = np.array(["", "", "", "跑路", "无法兑付、聚集"])


def synthetic(n: int, seed: int = 7) -> pl.DataFrame:
    """A features frame of n subjects with FEATURES.md columns; most are quiet, a tail is risky."""
    rng = np.random.default_rng(seed)
    alerts = rng.poisson(0.3, n)
    payers = np.where(alerts > 0, rng.lognormal(2.5, 1.5, n).astype(np.int64), 0)
    inflow = np.where(alerts > 0, rng.lognormal(13, 1.8, n), 0.0)
    money = rng.poisson(0.2, n)
    frame = pl.DataFrame(
        {
            "subject_kind": np.where(rng.uniform(size=n) < 0.05, "lead", "registration"),
            "subject_id": [f"91370300MA{i:08d}" for i in range(n)],
            "name": [f"淄博主体{i}有限公司" for i in range(n)],
            "industry": np.where(rng.uniform(size=n) < 0.01, "金融业", "批发和零售业"),
            "registered_capital_wan": rng.lognormal(4, 1.2, n),
            "is_licensed_fi": rng.uniform(size=n) < 0.002,
            "alert_count": alerts,
            "single_payer_alerts": np.minimum(alerts, rng.poisson(0.1, n)),
            "payer_count": payers,
            "inflow_yuan": inflow,
            "outflow_yuan": inflow * rng.uniform(0, 1.1, n),
            "txn_count": np.where(alerts > 0, payers * rng.integers(1, 5, n), 0),
            "elderly_share": np.where(alerts > 0, rng.uniform(0, 0.8, n), np.nan),
            "out_of_region_share": np.where(alerts > 0, rng.uniform(0, 0.6, n), np.nan),
            "alert_types": TYPES[rng.integers(0, len(TYPES), n)],
            "clue_count": money + rng.poisson(0.2, n),
            "money_clue_count": money,
            "channel_count": np.minimum(money, rng.integers(1, 4, n)),
            "days_since_last_clue": np.where(money > 0, rng.integers(0, 400, n), -1),
            "clue_negativity": np.where(money > 0, rng.uniform(0, 1, n), np.nan),
            "stability_terms": TERMS[rng.integers(0, len(TERMS), n)],
            "stability_signal": rng.uniform(0, 1, n) * (rng.uniform(size=n) < 0.03),
            "keyword_score": np.where(rng.uniform(size=n) < 0.1, rng.integers(0, 100, n), 0),
            "nine_term_hits": rng.poisson(0.02, n),
            "scope_disclaimer_only": rng.uniform(size=n) < 0.2,
            "registry_abnormal": rng.poisson(0.05, n),
            "registry_fundraising_lawsuits": rng.poisson(0.005, n),
            "registry_lending_lawsuits": rng.poisson(0.03, n),
            "relation_count": rng.poisson(0.02, n),
            "on_provincial_list": rng.uniform(size=n) < 0.001,
        }
    ).with_columns(
        pl.col("days_since_last_clue").replace(-1, None),
        pl.col("elderly_share", "out_of_region_share", "clue_negativity").fill_nan(None),
        pl.col("alert_types", "stability_terms").replace("", None),
        pl.lit(dt.date(2025, 6, 30)).alias("as_of"),
    )
    return conform(frame).select(
        [pl.col(c).cast(t) for c, t in FEATURE_SCHEMA.items()]  # the exact FEATURES.md dtypes
    )


def naive(rows: list[dict[str, object]], config: ScoringConfig) -> list[float]:
    """Per-row Python: a few of the factors, the way a loop over records would compute them."""
    floor, first, second = config.people_anchors
    out = []
    for r in rows:
        n = max(float(r["payer_count"] or 0), float(r["claimed_participants"] or 0))  # type: ignore[arg-type]
        v = max(n, floor)
        p = (
            0.7 * math.log(v / floor) / math.log(first / floor)
            if v < first
            else 0.7 + 0.3 * math.log(v / first) / math.log(second / first)
        )
        inflow = float(r["inflow_yuan"] or 0)  # type: ignore[arg-type]
        m = max(inflow, config.money_anchors[0])
        e = 0.7 * math.log(m / config.money_anchors[0]) / math.log(10)
        o = (1 - math.exp(-float(r["money_clue_count"]) / 3)) if r["money_clue_count"] else 0.0  # type: ignore[arg-type]
        reasons = [f"涉众规模：资金对手方{n:,.0f}人", f"风险敞口：转入{inflow / 1e4:,.0f}万元"]
        out.append(min(100.0, 25 * min(p, 1) + 25 * min(e, 1) + 10 * o) + 0 * len("\n".join(reasons)))
    return out


def run(rows: int = 1_000_000) -> list[dict[str, object]]:
    config = load_config()
    features, build_s = timed(lambda: synthetic(rows))
    score_subjects(features.head(1000), config, learn=False)  # warm-up
    result, score_s = timed(lambda: score_subjects(features, config, learn=False))
    sample = features.head(20_000).to_dicts()
    _, naive_s = timed(lambda: naive(sample, config))
    naive_full = naive_s * rows / len(sample)
    one_by_one = [features.slice(i, 1) for i in range(200)]
    _, per_row_s = timed(lambda: [score_subjects(r, config, learn=False) for r in one_by_one])
    per_row_full = per_row_s * rows / len(one_by_one)
    tiers = result.scores["tier"].value_counts().sort("tier")
    print(tiers)
    return [
        {
            "step": "build synthetic features (numpy)",
            "rows": rows,
            "seconds": build_s,
            "rows_per_s": rows / build_s,
        },
        {
            "step": "score_subjects (rule only)",
            "rows": rows,
            "seconds": score_s,
            "rows_per_s": rows / score_s,
        },
        {
            "step": "naive per-row Python, 3 factors (extrapolated)",
            "rows": rows,
            "seconds": naive_full,
            "rows_per_s": rows / naive_full,
        },
        {
            "step": "score_subjects called per row (extrapolated)",
            "rows": rows,
            "seconds": per_row_full,
            "rows_per_s": rows / per_row_full,
        },
        {"step": "peak RSS (MB)", "rows": rows, "seconds": None, "rows_per_s": peak_rss_mb()},
    ]


if __name__ == "__main__":
    print_table(run(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000))
