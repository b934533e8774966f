"""Real-name evaluation of `fundrisk screen` (names and signboards): ranking and bans, on held-out names.

The names are ``enrichers.keywords_model_train.name_corpus``: positives are operating companies of
collapsed P2P platforms, companies named in 非吸/集资诈骗 case facts and subjects of CCKS 涉嫌非法集资 news
(noisy: a bank or listed group mentioned beside a scheme can carry that label); negatives are ordinary
registrations (Beijing 2023, a 1978-2004 national sample, A-share companies, an abnormal-operations list),
subjects of other CCKS financial news, and licensed institutions (banks, insurers, payment institutions,
futures firms, regional short names, AMAC private-fund managers).

Every name is scored as an officer would type it (``screen_frame(kind="名称")``: lexicon, name model,
licence lists). Names are split by CRC32 of the UTF-8 name: the name model is trained on the even
(tuning) half, weights and thresholds (keywords/screen.toml) are chosen on it, and this script prints
the odd (report) half unless ``--half tune``. The headline AUC is issue 12's: P2P and case names against
ordinary and licensed names. Skips (exit 0) when ../shared/realdata is absent; exits 1 when a goal is
missed (names ROC AUC >= 0.85, 禁止使用 on <= 2% of ordinary and of licensed names).

Usage: python -m benchmarks.eval_names [--half tune|report]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import polars as pl
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import print_table, timed  # noqa: E402
from enrichers.keywords_model_train import REALDATA, name_corpus  # noqa: E402
from enrichers.keywords_screen import screen_frame  # noqa: E402

AUC_GOAL, BAN_GOAL = 0.85, 0.02
CORE_POSITIVES = ["P2P出险平台运营主体", "非吸/集资诈骗案情中的公司"]  # the positives issue 12 names


def _auc(y: np.ndarray, s: np.ndarray) -> float | None:
    return float(roc_auc_score(y, s)) if 0 < y.sum() < len(y) else None


def evaluate(half: str = "report") -> tuple[dict[str, float | None], list[dict[str, object]]]:
    """Headline figures and one row per source, on one half."""
    names = name_corpus().filter(pl.col("half") == half)
    scored, seconds = timed(lambda: screen_frame(names["name"].to_list(), kind="名称"))
    df = pl.concat([names, scored.select("score", "verdict")], how="horizontal").with_columns(
        banned=pl.col("verdict").str.starts_with("禁止使用"),
        flagged=~pl.col("verdict").str.starts_with("未发现敏感字样"),
    )
    core = df.filter(pl.col("group").is_in(["ordinary", "licensed"]) | pl.col("source").is_in(CORE_POSITIVES))
    neg = df.filter(pl.col("label") == 0)
    headline = {
        "names": float(df.height),
        "seconds": seconds,
        "roc_auc": _auc(core["label"].to_numpy(), core["score"].to_numpy()),
        "roc_auc_all": _auc(df["label"].to_numpy(), df["score"].to_numpy()),
        "ban_ordinary": float(neg.filter(pl.col("group") == "ordinary")["banned"].mean() or 0.0),
        "ban_licensed": float(neg.filter(pl.col("group") == "licensed")["banned"].mean() or 0.0),
        "flag_ordinary": float(neg.filter(pl.col("group") == "ordinary")["flagged"].mean() or 0.0),
    }
    positives = core.filter(pl.col("label") == 1)
    rows: list[dict[str, object]] = []
    for (source, group), part in df.group_by("source", "group", maintain_order=True):
        versus = pl.concat([positives, part]) if group != "positive" else pl.concat([part, neg])
        auc = _auc(versus["label"].to_numpy(), versus["score"].to_numpy())
        rows.append(
            {
                "source": source,
                "group": group,
                "n": part.height,
                "mean score": float(part["score"].mean() or 0.0),
                "禁止使用": f"{part['banned'].mean():.1%}",
                "any flag": f"{part['flagged'].mean():.1%}",
                "AUC vs other side": "" if auc is None else f"{auc:.3f}",
            }
        )
    return headline, rows


def main(argv: list[str]) -> int:
    if not REALDATA.exists():
        print(f"skipped: no real data at {REALDATA}")
        return 0
    half = argv[argv.index("--half") + 1] if "--half" in argv else "report"
    headline, rows = evaluate(half)
    print(f"{half} half: {headline['names']:,.0f} names screened in {headline['seconds']:.1f} s")
    print_table(rows)
    auc, auc_all = headline["roc_auc"] or 0.0, headline["roc_auc_all"] or 0.0
    print(
        f"\nnames ROC AUC (P2P + case names vs ordinary + licensed): {auc:.3f}; every source (CCKS news "
        f"subjects on both sides too): {auc_all:.3f}\n禁止使用 on ordinary names {headline['ban_ordinary']:.2%}, on licensed names "
        f"{headline['ban_licensed']:.2%}; any flag on ordinary names {headline['flag_ordinary']:.2%}"
    )
    ok = auc >= AUC_GOAL and max(headline["ban_ordinary"] or 0.0, headline["ban_licensed"] or 0.0) <= BAN_GOAL
    print(f"goals (AUC >= {AUC_GOAL}, 禁止使用 <= {BAN_GOAL:.0%}): {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
