"""Evaluation of the trained text model (enrichers/text_model.py) on real labelled financial text.

(a) Grouped split (25% of entity groups held out, a company never on both sides): ROC AUC, average
    precision and Brier score for 涉嫌非法集资 vs the rest, next to the lexicon-count baseline (how many
    keywords/lexicon.csv terms a text contains) on the same held-out texts.
(b) Speed: 100,000 real texts (CCKS sentences and BDCI news, repeated) scored in one call, next to the
    naive per-row predict (timed on 100 texts, extrapolated); the whole clue-signal stage
    (``clue_signals``: sentiment, stability and ``money_prob``) on the same 100,000 texts as clues; and
    the shipped artifact's size.
(c) The screen on texts (``screen_frame(kind="文本")``: model and lexicon together), with a model
    retrained on one half of the corpus's entity groups (CRC32 of the group, even = tuning half) and
    figures from the other half: positives are the held-out 涉嫌非法集资 sentences and case facts;
    ordinary texts are CCKS 其他 news, real business scopes (1978-2004 registrations), news of licensed
    banks (BDCI texts and CCKS subjects on the clearing licence lists) and the sentences of the
    fundraising regulations (legal and warning language), split by CRC32 of the text. Prints ROC AUC,
    禁止使用 and any-flag rates per source. Weights (keywords/screen.toml) are chosen with
    ``--half tune``; the default prints the report half.
(d) Promise adverts (invented probes of the forms issue 12 lists: 投入X元…返还Y元, 全额返现, 入股分红,
    床位费/会员费返还, 日息/月息/年化, 一年翻倍, 保本): their scores against the ordinary texts'.
Skips cleanly (exit 0) when ../shared/realdata is absent. Done when AUC >= 0.95, artifact <= 20 MB,
100,000 texts <= 20 s (model and clue signals), 禁止使用 on <= 5% of ordinary texts; exits 1 otherwise.

Usage: python -m benchmarks.eval_text_model [N_TEXTS] [--half tune|report]   (default 100000, report)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import polars as pl
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupShuffleSplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import print_table, timed  # noqa: E402
from benchmarks.text_screen_eval import screen_evaluation  # noqa: E402
from enrichers.sentiment import clue_signals  # noqa: E402
from enrichers.text_model import MODEL_PATH, SIDECAR_PATH, load_text_model, prepare_texts  # noqa: E402
from enrichers.text_model_train import LEXICON, REALDATA, grouped_evaluation, load_corpus  # noqa: E402

NEWS = REALDATA / "financial_negative_text" / "bdci2019_test_unlabelled.csv"


def lexicon_count(texts: pl.Series) -> np.ndarray:
    """Baseline: number of lexicon terms found in each text."""
    terms = (
        pl.read_csv(LEXICON.read_bytes(), infer_schema=False)
        .select(prepare_texts(pl.col("term")))
        .to_series()
    )
    patterns = terms.filter(terms.str.len_chars() > 0).unique().to_list()
    found = texts.to_frame("t").select(prepare_texts(pl.col("t")).str.extract_many(patterns).list.len())
    return found.to_series().to_numpy()


def main() -> int:
    args = sys.argv[1:]
    half = args[args.index("--half") + 1] if "--half" in args else "report"
    numbers = [a for a in args if a.isdigit()]
    n_texts = int(numbers[0]) if numbers else 100_000
    if not (REALDATA / "financial_events").is_dir():
        print(f"skipped: no real data at {REALDATA}")
        return 0
    model = load_text_model()
    if model is None:
        print(f"skipped: no artifact at {MODEL_PATH} (python -m enrichers.text_model_train)")
        return 0
    corpus = load_corpus()
    y = corpus["label"].to_numpy()
    metrics, seconds = timed(lambda: grouped_evaluation(corpus))
    _, te = next(GroupShuffleSplit(n_splits=1, test_size=0.25, random_state=0).split(y, y, corpus["group"]))
    base_auc = float(roc_auc_score(y[te], lexicon_count(corpus["text"][te])))
    print(
        f"(a) grouped split, {metrics['test_texts']:,} held-out texts ({metrics['test_positives']} positive), "
        f"groups shared by both sides: {metrics['shared_groups']}; retrained in {seconds:.0f}s"
    )
    print_table(
        [
            {
                "model": f"text model ({model.version})",
                "ROC AUC": f"{metrics['roc_auc']:.3f}",
                "avg precision": f"{metrics['average_precision']:.3f}",
                "Brier": f"{metrics['brier']:.3f}",
            },
            {"model": "lexicon term count", "ROC AUC": f"{base_auc:.3f}"},
        ]
    )
    pool = corpus["text"]
    if NEWS.exists():
        pool = pl.concat([pool, pl.read_csv(NEWS, infer_schema=False)["text"].drop_nulls()])
    texts = pl.Series("text", np.resize(pool.to_numpy(), n_texts))
    fast = min(timed(lambda: model.predict_proba(texts))[1] for _ in range(2))  # best of two: shared cores
    sample = texts.head(100).to_list()
    _, slow = timed(lambda: [model.predict_proba(pl.Series([t])) for t in sample])
    clues = pl.DataFrame({"clue_id": pl.int_range(n_texts, eager=True).cast(pl.String), "content": texts})
    clue_signals(clues.head(10))  # warm the word lists and the model
    _, clue_seconds = timed(lambda: clue_signals(clues))
    mean_chars = float(texts.str.len_chars().mean() or 0)  # type: ignore[arg-type]
    size_mb = (len(MODEL_PATH.read_bytes()) + len(SIDECAR_PATH.read_bytes())) / 1e6
    print(f"\n(b) speed on {n_texts:,} texts (mean {mean_chars:.0f} chars); artifact {size_mb:.2f} MB")
    print_table(
        [
            {"method": "one whole-column call", "seconds": fast, "texts/s": n_texts / fast},
            {
                "method": "per-row predict (extrapolated)",
                "seconds": slow * n_texts / 100,
                "texts/s": 100 / slow,
            },
            {
                "method": "clue_signals (sentiment + money_prob)",
                "seconds": clue_seconds,
                "texts/s": n_texts / clue_seconds,
            },
        ]
    )
    screen = screen_evaluation(half)
    fast_enough = max(fast, clue_seconds) * 100_000 / n_texts <= 20
    ok = metrics["roc_auc"] >= 0.95 and size_mb <= 20 and fast_enough and screen["ban_ordinary"] <= 0.05
    print(
        "\ndone criteria (AUC >= 0.95, <= 20 MB, 100k texts <= 20 s, 禁止使用 on <= 5% of ordinary texts): "
        f"{'met' if ok else 'NOT met'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
