"""Honest evaluation of the clue-text sentiment and stability signals (enrichers/sentiment.py).

(a) Demo generator clues against their ground truth (is_fundraising; variant=noise are ordinary
    complaints): ROC AUC of negativity, of money_related and of stability, and how many noise clues are
    flagged money-related. The generator's clue wording is a small template set, so this is a sanity
    check of the contract, not a measure of accuracy on real complaints.
(b) Real Weibo/news finance text (CCF BDCI 2019, unlabelled): rank correlation of negativity with
    reference scores computed here from published lexicons (姚加权 2021 financial formal/informal
    lexicon; HowNet pos/neg), the share of texts our lexicon says nothing about, and throughput.

Usage: python benchmarks/eval_sentiment.py [ENTITIES] [SEED ...]   (default 3000 entities, seeds 7 99 2024)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import polars as pl
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import print_table, timed  # noqa: E402
from enrichers.sentiment import clue_signals, load_sentiment_lexicon, sentiment_version  # noqa: E402
from fundrisk.synth import generate  # noqa: E402

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
REAL_TEXT = REALDATA / "financial_negative_text" / "bdci2019_test_unlabelled.csv"
FIN_LEXICON = REALDATA / "sentiment_lexicons" / "ChineseFinancialFormalUnformalSentiment.tsv"
HOWNET = REALDATA / "sentiment_lexicons" / "hownet_sentiment_and_degree.tsv"


def _auc(truth: pl.Series, score: pl.Series) -> float | None:
    if truth.n_unique() < 2:
        return None
    return float(roc_auc_score(truth.to_numpy(), score.cast(pl.Float64).to_numpy()))


def demo_clues(entities: int, seed: int) -> pl.DataFrame:
    """The generator's clues joined with their truth (clue_id, subject_name, content, truth columns)."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "inbox"
        generate(out, entities=entities, seed=seed)
        clues = pl.read_excel(out / "clues" / "clues.xlsx", infer_schema_length=0).select(
            pl.col("线索编号").alias("clue_id"),
            pl.col("涉及主体").alias("subject_name"),
            pl.col("线索内容").alias("content"),
        )
        truth = pl.read_csv(out / "truth" / "clue_links.csv", infer_schema=False)
    return clues.join(
        truth.select("clue_id", "variant", is_fundraising=pl.col("is_fundraising") == "true"), on="clue_id"
    )


def _demo_row(label: str, frame: pl.DataFrame, with_subject: bool) -> dict[str, object]:
    cols = ["clue_id", "content", *(["subject_name"] if with_subject else [])]
    sig = clue_signals(frame.select(cols)).join(
        frame.select("clue_id", "is_fundraising", "variant"), on="clue_id"
    )
    fund = sig["is_fundraising"]
    noise = sig.filter(pl.col("variant") == "noise")
    real = sig.filter(pl.col("is_fundraising"))
    return {
        "slice": label + (" +subject" if with_subject else ""),
        "clues": sig.height,
        "fundraising": real.height,
        "noise": noise.height,
        "auc_negativity": _auc(fund, sig["negativity"]),
        "auc_money": _auc(fund, sig["money_related"]),
        "auc_stability": _auc(fund, sig["stability"]),
        "noise_money_share": noise["money_related"].mean() if noise.height else None,
        "fund_money_recall": real["money_related"].mean(),
        "noise_stability_share": (noise["stability"] > 0).mean() if noise.height else None,
    }


def evaluate_demo(entities: int, seeds: tuple[int, ...]) -> list[dict[str, object]]:
    frames = [demo_clues(entities, seed).with_columns(pl.lit(seed).alias("seed")) for seed in seeds]
    rows = []
    for seed, frame in zip(seeds, frames, strict=True):
        rows.append(_demo_row(f"demo seed {seed}", frame, with_subject=False))
    pooled = pl.concat(frames).with_columns(pl.concat_str("seed", "clue_id", separator="-").alias("clue_id"))
    rows.append(_demo_row(f"demo pooled {len(seeds)} seeds", pooled, with_subject=False))
    rows.append(_demo_row(f"demo pooled {len(seeds)} seeds", pooled, with_subject=True))
    return rows


def _lexicon_words(path: Path, negative: str, positive: str) -> tuple[list[str], list[str]]:
    lex = pl.read_csv(path, separator="\t", skip_rows=1, quote_char=None, infer_schema=False)
    lex = lex.filter(pl.col("word").str.len_chars() >= 1)
    neg = lex.filter(pl.col("category").str.contains(negative))["word"].unique().to_list()
    pos = lex.filter(pl.col("category").str.contains(positive))["word"].unique().to_list()
    return sorted(neg, key=len, reverse=True), sorted(pos, key=len, reverse=True)


def _reference(text: pl.Expr, neg: list[str], pos: list[str]) -> pl.Expr:
    """(negative - positive) / (negative + positive + 1) lexicon word counts: a bag-of-words baseline."""
    n = text.str.extract_many(neg, leftmost=True).list.len().cast(pl.Float64)
    p = text.str.extract_many(pos, leftmost=True).list.len().cast(pl.Float64)
    return (n - p) / (n + p + 1.0)


def _spearman(a: pl.Series, b: pl.Series) -> float:
    try:
        from scipy.stats import spearmanr

        return float(spearmanr(a.to_numpy(), b.to_numpy()).statistic)
    except ImportError:  # pragma: no cover - scipy ships with scikit-learn
        ranks = pl.DataFrame({"a": a, "b": b}).select(pl.col("a", "b").rank())
        return float(ranks.select(pl.corr("a", "b")).item())


def evaluate_real(sample: int = 5000) -> list[dict[str, object]]:
    if not REAL_TEXT.exists():
        print(f"skip real-text evaluation: {REAL_TEXT} not present (../shared/realdata is not in this clone)")
        return []
    texts = (
        pl.read_csv(REAL_TEXT, infer_schema=False)
        .filter(pl.col("text").is_not_null())
        .unique("id", keep="first", maintain_order=True)
        .head(sample)
        .select(pl.col("id").alias("clue_id"), pl.col("text").alias("content"))
    )
    clue_signals(texts.head(10))  # warm the word-list caches so the timing is the matcher alone
    sig, seconds = timed(lambda: clue_signals(texts))
    big = (
        pl.concat([texts] * 10).with_row_index("i").with_columns(pl.col("i").cast(pl.String).alias("clue_id"))
    )
    _, big_seconds = timed(lambda: clue_signals(big.select("clue_id", "content")))
    fin_neg, fin_pos = _lexicon_words(FIN_LEXICON, "否定", "肯定")
    hn_neg, hn_pos = _lexicon_words(HOWNET, "^neg$", "^pos$")
    refs = texts.select(
        fin=_reference(pl.col("content"), fin_neg, fin_pos),
        hownet=_reference(pl.col("content"), hn_neg, hn_pos),
    )
    neg = sig["negativity"]
    ours = load_sentiment_lexicon()[1].filter(pl.col("kind").is_in(["negative", "positive"]))["term"].unique()
    base = {
        "slice": f"real BDCI2019 ({texts.height} texts)",
        "zero_negativity_share": (neg == 0).mean(),
        "money_related_share": sig["money_related"].mean(),
        "stability_share": (sig["stability"] > 0).mean(),
        "texts_per_s": texts.height / seconds,
        "texts_per_s_x10": big.height / big_seconds,
    }
    return [
        {
            **base,
            "reference": "姚加权2021 金融情绪词典",
            "spearman": _spearman(neg, refs["fin"]),
            "our_terms_in_ref": ours.is_in(pl.Series(fin_neg + fin_pos).implode()).mean(),
        },
        {
            **base,
            "reference": "HowNet pos/neg",
            "spearman": _spearman(neg, refs["hownet"]),
            "our_terms_in_ref": ours.is_in(pl.Series(hn_neg + hn_pos).implode()).mean(),
        },
        {
            **base,
            "reference": "姚加权 vs HowNet (two references agree)",
            "spearman": _spearman(refs["fin"], refs["hownet"]),
            "our_terms_in_ref": None,
        },
    ]


def run(entities: int = 3000, seeds: tuple[int, ...] = (7, 99, 2024)) -> list[dict[str, object]]:
    """Demo-generator rows and real-text rows (their columns differ; print them as two tables)."""
    return evaluate_demo(entities, seeds) + evaluate_real()


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    seeds = tuple(int(s) for s in sys.argv[2:]) or (7, 99, 2024)
    print(f"sentiment lexicon {sentiment_version()}")
    rows = run(n, seeds)
    print_table([r for r in rows if "auc_money" in r])
    print()
    print_table([r for r in rows if "reference" in r])
