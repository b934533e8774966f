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
    growth = (
        plat.sort("month")
        .group_by("wdzjPlatId")
        .agg((pl.col("stayStillOfTotal").last() / pl.col("stayStillOfTotal").first()).alias("balance_growth"))
    )
    last = plat.sort("month").group_by("wdzjPlatId").last().join(growth, on="wdzjPlatId")
    status = pl.read_csv(STATUS, infer_schema_length=10_000).select(
        "wdzj_plat_id", (pl.col("status") == "问题平台").cast(pl.Int8).alias("y")
    )
    return last.join(status, left_on="wdzjPlatId", right_on="wdzj_plat_id").sort("wdzjPlatId")


def platform_features(p: pl.DataFrame, engineered: bool) -> pl.DataFrame:
    """Platform columns (万元 amounts) as a FEATURES.md frame.

    Base mapping: payer_count <- bidderNum; inflow <- monthly turnover (amount); outflow <- amount minus the
    30-day net inflow; claimed_amount <- outstanding balance (stayStillOfTotal); registered capital as is.
    Engineered (still meaning what the factor means), as the alert types the fund_flow factor reads:
    one loan pooling >= 10 average bids, or >= 10 investors per borrower, is 分散转入集中转出; loan periods
    under 3 months are 快进快出; an outstanding balance grown by half within the 2017 months is 资金异常归集.
    The promised yield (incomeRate, 8% -> 0, 16% -> 100) is a 高额回报 promise (keywords); the top-10
    investors' share of the balance is a run/兑付 concentration (stability)."""
    wan = 10_000.0
    ratio = pl.col("bidderNum") / pl.col("borrowerNum").clip(lower_bound=1)
    pooled = pl.col("avgBorrowMoney") / pl.col("avgBidMoney").clip(lower_bound=0.01)
    base = p.select(
        pl.format("P2P-{}", pl.col("wdzjPlatId")).alias("subject_id"),
        pl.col("platName").alias("name"),
        pl.lit(1, pl.Int64).alias("alert_count"),
        (pl.col("bidderNum") <= 1).cast(pl.Int64).alias("single_payer_alerts"),
        pl.col("bidderNum").cast(pl.Int64).alias("payer_count"),
        (pl.col("amount") * wan).alias("inflow_yuan"),
        ((pl.col("amount") - pl.col("netInflowOfThirty")).clip(lower_bound=0) * wan).alias("outflow_yuan"),
        (pl.col("amount") / pl.col("avgBidMoney").clip(lower_bound=0.01))
        .round(0)
        .cast(pl.Int64)
        .alias("txn_count"),
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
        rate = pl.col("incomeRate")
        base = base.with_columns(
            p.select(
                types.alias("alert_types"),
                ((rate - 8.0) * 12.5).clip(0, 100).round(0).cast(pl.Int64).alias("keyword_score"),
                pl.format("承诺年化收益「{}%」", rate).alias("keyword_reason"),
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


def run() -> list[dict[str, Any]]:
    if not PLATDATA.exists() or not STATUS.exists():
        print(f"skipped: real data not present at {REALDATA}")
        return []
    data = load()
    y = data["y"].to_numpy().astype(int)
    skip = {"id", "wdzjPlatId", "y", "dataStatus", "status", "balance_growth"}
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
        for anchors, where in ((Anchors(), "legal anchors"), (PLATFORM_ANCHORS, "platform anchors")):
            values = factor_values(features, anchors, names)
            cfg = replace(config, people_anchors=anchors.people, money_anchors=anchors.money_yuan)
            rule = score_subjects(features, cfg, learn=False).scores["rule_score"].to_numpy()
            rows.append(
                row(f"rule score ({tag}, {where})", roc_auc_score(y, rule), "product weights, no fitting")
            )
            x = values.to_numpy()
            rows.append(row(f"factor LR ({tag}, {where})", cv_auc(x, y), ", ".join(names), x, y))
    return rows


if __name__ == "__main__":
    print_table(run())
