"""Back-test of the scoring factors on real P2P platforms: 2017 snapshots against their August 2018 status.

2017 monthly platform data (p2p_problem_platforms/platData.csv, last month per platform) joined on
wdzjPlatId = wdzj_plat_id with p2p_platforms_2018/status.csv; 问题平台 is the positive (514 platforms,
82 positives). Platform columns are mapped onto the FEATURES.md frame and scored by the SAME factor
functions the product uses (scoring.FACTORS). Every cross-validated figure uses the same stratified 5-fold
split (fixed seed); `mean_20_seeds` repeats it over 20 seeds to show how much the split alone moves it.

Usage: python benchmarks/backtest_p2p.py      (skips when ../shared/realdata is absent)
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import print_table  # noqa: E402
from scoring import Anchors, factor_values, load_config, score_subjects  # noqa: E402
from scoring.factors import LEGAL as LEGAL_ANCHORS  # noqa: E402
from scoring.schema import conform  # noqa: E402

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
PLATDATA = REALDATA / "p2p_problem_platforms" / "platData.csv"
STATUS = REALDATA / "p2p_platforms_2018" / "status.csv"
SEED = 0
DOCUMENTED = [
    "amount",
    "bidderNum",
    "borrowerNum",
    "netInflowOfThirty",
    "stayStillOfTotal",
    "top10StayStillProportion",
    "incomeRate",
]
# Platforms are far above the legal anchors (median 1,053 investors, 1.9亿元 outstanding): every one
# saturates 150/500 people and 100万/500万元. The same factor functions at platform scale, anchored on
# 2022 解释 第五条 (5000 人 / 5000 万元 "特别巨大") and ten times that:
PLATFORM_ANCHORS = Anchors(people=(50.0, 5_000.0, 50_000.0), money_yuan=(5e6, 5e8, 5e9))
SIZE = ["participants", "exposure"]
ENGINEERED = ["participants", "exposure", "fund_flow", "keywords", "stability", "unlicensed"]


def load() -> pl.DataFrame:
    plat = pl.read_csv(PLATDATA, infer_schema_length=10_000).with_columns(
        pl.col("stayStillOfTotal").cast(pl.Float64, strict=False)
    )
    balance = pl.col("stayStillOfTotal")
    window = (
        plat.sort("month")
        .group_by("wdzjPlatId")
        .agg(
            (balance.last() / balance.first()).alias("balance_growth"),
            pl.col("amount").sum().alias("window_amount"),
            (balance.last() - balance.first()).fill_null(0.0).alias("window_net"),
            (pl.col("amount") / pl.col("avgBidMoney").clip(lower_bound=0.01)).sum().alias("window_bids"),
        )
    )
    last = plat.sort("month").group_by("wdzjPlatId").last().join(window, on="wdzjPlatId")
    status = pl.read_csv(STATUS, infer_schema_length=10_000).select(
        "wdzj_plat_id", (pl.col("status") == "问题平台").cast(pl.Int8).alias("y")
    )
    return last.join(status, left_on="wdzjPlatId", right_on="wdzj_plat_id").sort("wdzjPlatId")


def promise_score(p: pl.DataFrame, promise: str) -> pl.Expr:
    """The 利诱性 promise as a 0-100 keyword score: the yield (8% -> 0, 16% -> 100, as before) and the
    shortness of the term (12 months -> 0, 1 month -> 100, log scale; 短期高息), or their mean."""
    rate = ((pl.col("incomeRate") - 8.0) * 12.5).clip(0, 100)
    term = (np.log(12.0) - pl.col("loanPeriod").clip(1.0, 12.0).log()) / np.log(12.0) * 100
    value = {"rate": rate, "term": term, "mean": (rate + term) / 2}[promise]
    return value.round(0).cast(pl.Int64)


def platform_features(
    p: pl.DataFrame, engineered: bool, flows: str = "month", promise: str = "rate"
) -> pl.DataFrame:
    """Platform columns (万元 amounts) as a FEATURES.md frame.

    Base mapping: payer_count <- bidderNum; inflow <- monthly turnover (amount); outflow <- amount minus the
    30-day net inflow; claimed_amount <- outstanding balance (stayStillOfTotal); registered capital as is.
    flows="window" reads the flows the way FEATURES.md sums them over an alert window: inflow <- turnover
    summed over the 2017 months, outflow <- that minus the growth of the outstanding balance (net inflow =
    money kept), txn_count <- bids summed over the months.
    Engineered (still meaning what the factor means), as the alert types the fund_flow factor reads:
    one loan pooling >= 10 average bids, or >= 10 investors per borrower, is 分散转入集中转出; loan periods
    under 3 months are 快进快出; an outstanding balance grown by half within the 2017 months is 资金异常归集.
    The promise (promise_score: yield, term, or both) is a 高额回报/短期高息 promise (keywords); the top-10
    investors' share of the balance is a run/兑付 concentration (stability)."""
    wan = 10_000.0
    ratio = pl.col("bidderNum") / pl.col("borrowerNum").clip(lower_bound=1)
    pooled = pl.col("avgBorrowMoney") / pl.col("avgBidMoney").clip(lower_bound=0.01)
    if flows == "window":
        inflow = pl.col("window_amount")
        outflow = (pl.col("window_amount") - pl.col("window_net")).clip(lower_bound=0)
        txns = pl.col("window_bids")
    else:
        inflow = pl.col("amount")
        outflow = (pl.col("amount") - pl.col("netInflowOfThirty")).clip(lower_bound=0)
        txns = pl.col("amount") / pl.col("avgBidMoney").clip(lower_bound=0.01)
    base = p.select(
        pl.format("P2P-{}", pl.col("wdzjPlatId")).alias("subject_id"),
        pl.col("platName").alias("name"),
        pl.lit(1, pl.Int64).alias("alert_count"),
        (pl.col("bidderNum") <= 1).cast(pl.Int64).alias("single_payer_alerts"),
        pl.col("bidderNum").cast(pl.Int64).alias("payer_count"),
        (inflow * wan).alias("inflow_yuan"),
        (outflow * wan).alias("outflow_yuan"),
        txns.round(0).cast(pl.Int64).alias("txn_count"),
        (pl.col("stayStillOfTotal").fill_null(0) * wan).alias("claimed_amount_yuan"),
        pl.col("regCapital").cast(pl.Float64).alias("registered_capital_wan"),
    )
    if engineered:
        types = pl.concat_str(
            [
                pl.when((pooled >= 10) | (ratio >= 10)).then(pl.lit("分散转入集中转出")),
                pl.when(pl.col("loanPeriod") < 3).then(pl.lit("快进快出")),
                pl.when(pl.col("balance_growth") >= 1.5).then(pl.lit("资金异常归集")),
            ],
            separator="、",
            ignore_nulls=True,
        )
        base = base.with_columns(
            p.select(
                types.alias("alert_types"),
                promise_score(p, promise).alias("keyword_score"),
                pl.format("承诺年化收益「{}%」、借款期限「{}个月」", "incomeRate", "loanPeriod").alias(
                    "keyword_reason"
                ),
                (pl.col("top10StayStillProportion") / 100).clip(0, 1).alias("stability_signal"),
            )
        )
    return conform(base)


def folds(y: np.ndarray, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    return list(StratifiedKFold(n_splits=5, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))


def cv_auc(x: np.ndarray, y: np.ndarray, seed: int = SEED) -> float:
    """Out-of-fold ROC AUC of a standardised logistic regression on the given split."""
    oof = np.zeros(len(y))
    for train, test in folds(y, seed):
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
        oof[test] = model.fit(x[train], y[train]).predict_proba(x[test])[:, 1]
    return float(roc_auc_score(y, oof))


def slog(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.log1p(np.abs(x))


def matrix(frame: pl.DataFrame, columns: list[str]) -> np.ndarray:
    return frame.select([pl.col(c).cast(pl.Float64).fill_null(0.0) for c in columns]).to_numpy()


def row(method: str, auc: float, detail: str, x: np.ndarray | None = None, y: Any = None) -> dict[str, Any]:
    spread = [cv_auc(x, y, s) for s in range(20)] if x is not None else []
    return {
        "method": method,
        "roc_auc": f"{auc:.3f}",
        "mean_20_seeds": f"{np.mean(spread):.3f}" if spread else "",
        "sd": f"{np.std(spread):.3f}" if spread else "",
        "detail": detail,
    }


def nested_auc(candidates: dict[str, np.ndarray], y: np.ndarray, seed: int = SEED) -> tuple[float, list[str]]:
    """Out-of-fold AUC when the feature mapping is chosen inside each training fold (inner stratified 5-fold
    CV on the training rows only), then fitted on the training rows and scored on the held-out fold."""
    oof, chosen = np.zeros(len(y)), []
    for train, test in folds(y, seed):
        inner = {k: cv_auc(x[train], y[train], seed + 1000) for k, x in candidates.items()}
        best = max(inner, key=lambda k: inner[k])
        chosen.append(best)
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
        x = candidates[best]
        oof[test] = model.fit(x[train], y[train]).predict_proba(x[test])[:, 1]
    return float(roc_auc_score(y, oof)), chosen


def run() -> list[dict[str, Any]]:
    if not PLATDATA.exists() or not STATUS.exists():
        print(f"skipped: real data not present at {REALDATA}")
        return []
    data = load()
    y = data["y"].to_numpy().astype(int)
    skip = {"id", "wdzjPlatId", "y", "dataStatus", "status", "balance_growth", "window_amount", "window_net"}
    skip |= {"window_bids"}  # derived window columns are not platform columns
    numeric = [c for c, t in data.schema.items() if t.is_numeric() and c not in skip]
    singles = {c: roc_auc_score(y, matrix(data, [c])[:, 0]) for c in numeric}
    best_doc = max(DOCUMENTED, key=lambda c: max(singles[c], 1 - singles[c]))
    best_any = max(numeric, key=lambda c: max(singles[c], 1 - singles[c]))
    rows = [
        row(
            "best documented column",
            max(singles[best_doc], 1 - singles[best_doc]),
            f"{best_doc} (sign chosen in hindsight)",
        ),
        row(
            "best of all columns",
            max(singles[best_any], 1 - singles[best_any]),
            f"{best_any} (sign chosen in hindsight)",
        ),
    ]
    for label, cols in (("documented", DOCUMENTED), ("all numeric", numeric)):
        x = slog(matrix(data, cols))
        rows.append(row(f"plain LR, log {label} columns", cv_auc(x, y), f"{len(cols)} columns", x, y))

    config = load_config()
    for engineered in (False, True):
        features = platform_features(data, engineered)
        names = ENGINEERED if engineered else SIZE
        tag = "engineered" if engineered else "size only"
        for anchors, where in ((LEGAL_ANCHORS, "legal anchors"), (PLATFORM_ANCHORS, "platform anchors")):
            values = factor_values(features, anchors, names)
            cfg = replace(config, people_anchors=anchors.people, money_anchors=anchors.money_yuan)
            rule = score_subjects(features, cfg, learn=False).scores["rule_score"].to_numpy()
            rows.append(
                row(f"rule score ({tag}, {where})", roc_auc_score(y, rule), "product weights, no fitting")
            )
            x = values.to_numpy()
            rows.append(row(f"factor LR ({tag}, {where})", cv_auc(x, y), ", ".join(names), x, y))

    # The promise read as yield and term together (短期高息), fixed a priori: 12 months -> 0, 1 month -> 100.
    features = platform_features(data, True, promise="mean")
    cfg = replace(config, people_anchors=PLATFORM_ANCHORS.people, money_anchors=PLATFORM_ANCHORS.money_yuan)
    rule = score_subjects(features, cfg, learn=False).scores["rule_score"].to_numpy()
    rows.append(row("rule score (yield + term, platform anchors)", roc_auc_score(y, rule), "no fitting"))
    x = factor_values(features, PLATFORM_ANCHORS, ENGINEERED).to_numpy()
    rows.append(row("factor LR (yield + term, platform anchors)", cv_auc(x, y), "keywords <- mean", x, y))

    # Nested: flows (last month / 2017 window), promise (rate / term / mean) and anchors chosen per fold.
    candidates = {
        f"{flows}/{promise}/{where}": factor_values(
            platform_features(data, True, flows, promise), anchors, ENGINEERED
        ).to_numpy()
        for flows in ("month", "window")
        for promise in ("rate", "term", "mean")
        for anchors, where in ((LEGAL_ANCHORS, "legal"), (PLATFORM_ANCHORS, "platform"))
    }
    spread = [nested_auc(candidates, y, s) for s in range(20)]
    auc, chosen = spread[0]
    picks = ", ".join(f"{k}×{n}" for k, n in sorted(Counter(c for _, cs in spread for c in cs).items()))
    rows.append(
        {
            "method": "factor LR, mapping chosen in training folds",
            "roc_auc": f"{auc:.3f}",
            "mean_20_seeds": f"{np.mean([a for a, _ in spread]):.3f}",
            "sd": f"{np.std([a for a, _ in spread]):.3f}",
            "detail": f"12 candidates; picks over 100 folds: {picks}",
        }
    )
    return rows


NOTES = """notes:
- fund_flow (product): distinct pooling patterns now compound (noisy-OR) instead of the strongest alone.
- Fixed before evaluation: every threshold of the engineered mapping (pooling >= 10, term < 3 months,
  growth >= 1.5, yield 8%->16%), the platform anchors (2022 解释 5000 人 / 5000 万元), the term scale
  (12 -> 1 month, log). The choice of the yield + term row was made after looking at the whole data set;
  the nested row repeats that choice (12 mappings) inside each training fold only, so its figure is the
  honest one for "chosen" mappings.
- Not reached: graded pooling ratio (avgBorrowMoney / avgBidMoney) and graded loan term would add ~0.02
  but have no FEATURES.md column (no payee count, no holding period in the bank alerts); they stay out."""


if __name__ == "__main__":
    print_table(run())
    print(NOTES)
