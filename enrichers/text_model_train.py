"""Train the text model (enrichers/text_model.py) on the real labelled financial-event text.

Run as ``python -m enrichers.text_model_train [--realdata DIR] [--out PATH]``. Data (never copied into
the repo; only the artifact and its digest are): CCKS-2019/2020 financial-event sentences (a text is
positive when any of its rows is 涉嫌非法集资) and the criminal-case facts (非吸/集资诈骗 positive, the
hard negatives and other charges negative). Rows are grouped by entity (texts that name the same
company, joined transitively) so that evaluation never sees a company on both sides.

Vocabulary: jieba words of two or more characters (lexicon terms added as the user dictionary) and
character 2-3-grams, kept when they occur in at least ``MIN_DF`` training texts. Features are the
scoring path's own (overlapping term matches, scaled by 1/sqrt(match count)). The logistic regression's
logit is Platt-scaled on out-of-fold (grouped) decisions and the scaling folded into the weights, so the
artifact stays one linear model with calibrated probabilities.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
from scipy import sparse

from enrichers.data import resource, source_path
from enrichers.text_model import MODEL_FILE, TextModel, prepare_texts, save_text_model, term_matches

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
LEXICON = resource("keywords", "lexicon.csv")
POSITIVE = "涉嫌非法集资"
MIN_DF = 3
MIN_MENTION = 4  # shorter subject names (万科A, 泛鑫) are too common as substrings to group by
MAX_TERMS = 60_000
C = 2.0
VERSION_PREFIX = "text-lr-1"


def data_files(realdata: Path) -> list[Path]:
    """The training files, in digest order."""
    return [
        realdata / "financial_events" / "ccks2019_event_entity.csv",
        realdata / "financial_events" / "ccks2020_event_entity_subset.csv",
        realdata / "criminal_cases" / "fundraising_case_facts.csv",
    ]


def data_digest(files: list[Path]) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(f.read_bytes())
    return h.hexdigest()


def _find(parent: dict[str, str], x: str) -> str:
    while parent.setdefault(x, x) != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def load_corpus(realdata: Path = REALDATA) -> pl.DataFrame:
    """One row per distinct text: text, label (0/1), group (entity component)."""
    ev_files = data_files(realdata)[:2]
    events = pl.concat(
        [pl.read_csv(f, infer_schema=False).select("text", "event_type", "entity") for f in ev_files]
    ).with_columns(pl.col("entity").fill_null("").str.strip_chars())
    cases = pl.read_csv(data_files(realdata)[2], infer_schema=False).select(
        text=pl.col("fact"), event_type=pl.col("label"), entity=pl.col("case_id")
    )
    cases = cases.with_columns(
        event_type=pl.when(pl.col("event_type") == "1").then(pl.lit(POSITIVE)).otherwise(pl.lit("其他"))
    )
    rows = pl.concat([events, cases]).filter(pl.col("text").str.len_chars() > 0)
    # Texts without a subject (the CCKS eval split) are grouped with the known entities they mention.
    known = rows.filter(pl.col("entity").str.len_chars() >= MIN_MENTION)["entity"].unique().sort().to_list()
    nameless = rows.filter(pl.col("entity") == "").select("text").unique()
    mentioned = nameless.with_columns(m=pl.col("text").str.extract_many(known).list.first()).drop_nulls()
    links = (
        pl.concat(
            [
                rows.filter(pl.col("entity") != "").select("text", ent="entity"),
                mentioned.select("text", ent="m"),
            ]
        )
        .unique()
        .sort("text", "ent")
    )  # a fixed order gives the same groups (and split) every run
    parent: dict[str, str] = {}
    for text, ent in links.iter_rows():  # union-find over a training table, not a scoring hot path
        a, b = _find(parent, "T" + text), _find(parent, "E" + ent)
        if a != b:
            parent[a] = b
    texts = rows.group_by("text").agg(label=(pl.col("event_type") == POSITIVE).any().cast(pl.Int8))
    groups = [_find(parent, "T" + t) for t in texts["text"].to_list()]
    return texts.with_columns(group=pl.Series(groups)).sort("text")


def _jieba_words(texts: list[str]) -> list[set[str]]:
    import jieba

    jieba.setLogLevel(60)
    tok = jieba.Tokenizer()
    terms = pl.read_csv(LEXICON.read_bytes(), infer_schema=False).select(prepare_texts(pl.col("term")))
    for term in terms.to_series().to_list():
        if term:
            tok.add_word(term, freq=2000)
    return [{w for w in tok.lcut(t, HMM=False) if len(w) >= 2} for t in texts]


def build_vocabulary(texts: pl.Series) -> list[str]:
    """Jieba words and character 2-3-grams present in at least MIN_DF of the given texts."""
    prepared = texts.to_frame("t").select(prepare_texts(pl.col("t"))).to_series().to_list()
    df: Counter[str] = Counter()
    for words, t in zip(_jieba_words(prepared), prepared, strict=True):
        grams = {t[i : i + n] for n in (2, 3) for i in range(len(t) - n + 1)}
        df.update(words | grams)
    keep = [(term, n) for term, n in df.items() if n >= MIN_DF and not term.isspace()]
    keep.sort(key=lambda x: (-x[1], x[0]))
    return sorted(term for term, _ in keep[:MAX_TERMS])


def features(texts: pl.Series, vocab: list[str]) -> sparse.csr_matrix:
    """Match counts scaled by 1/sqrt(total matches): exactly what TextModel.logits computes."""
    index = pl.DataFrame({"term": vocab, "col": np.arange(len(vocab), dtype=np.int64)})
    m = term_matches(texts, vocab).join(index, on="term").group_by("row", "col").agg(c=pl.len())
    total = m.group_by("row").agg(n=pl.col("c").sum())
    m = m.join(total, on="row").with_columns(v=pl.col("c") / pl.col("n").sqrt())
    return sparse.csr_matrix(
        (m["v"].to_numpy(), (m["row"].to_numpy(), m["col"].to_numpy())), shape=(len(texts), len(vocab))
    )


def _fit(x: sparse.csr_matrix, y: np.ndarray) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=C, max_iter=3000, class_weight="balanced").fit(x, y)
    return lr.coef_.ravel(), float(lr.intercept_[0])


def fit_calibrated(
    texts: pl.Series, y: np.ndarray, groups: np.ndarray
) -> tuple[list[str], np.ndarray, float]:
    """Vocabulary, weights and intercept, Platt-calibrated on grouped out-of-fold decisions."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    vocab = build_vocabulary(texts)
    x = features(texts, vocab)
    oof = np.zeros(len(y))
    for tr, te in GroupKFold(n_splits=4).split(x, y, groups):
        w, b = _fit(x[tr], y[tr])
        oof[te] = x[te] @ w + b
    platt = LogisticRegression(C=1e6).fit(oof.reshape(-1, 1), y)
    a, c = float(platt.coef_[0, 0]), float(platt.intercept_[0])
    w, b = _fit(x, y)
    keep = np.flatnonzero(np.abs(w * a) > 1e-3)
    return [vocab[i] for i in keep], (w[keep] * a).astype(np.float32), a * b + c


def grouped_evaluation(corpus: pl.DataFrame, seed: int = 0) -> dict[str, float]:
    """ROC AUC, average precision and Brier score on a held-out 25% of entity groups."""
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
    from sklearn.model_selection import GroupShuffleSplit

    y = corpus["label"].to_numpy()
    groups = corpus["group"].to_numpy()
    tr, te = next(GroupShuffleSplit(n_splits=1, test_size=0.25, random_state=seed).split(y, y, groups))
    terms, weights, intercept = fit_calibrated(corpus["text"][tr], y[tr], groups[tr])
    model = TextModel(terms, weights, intercept, {})
    p = model.predict_proba(corpus["text"][te])
    return {
        "roc_auc": float(roc_auc_score(y[te], p)),
        "average_precision": float(average_precision_score(y[te], p)),
        "brier": float(brier_score_loss(y[te], p)),
        "test_texts": int(len(te)),
        "test_positives": int(y[te].sum()),
        "shared_groups": len(set(groups[tr]) & set(groups[te])),
    }


def train_model(realdata: Path = REALDATA, evaluate: bool = True) -> TextModel:
    """Evaluate on a grouped split, then fit on everything; the result carries its provenance."""
    corpus = load_corpus(realdata)
    meta: dict[str, object] = {
        "data_sha256": data_digest(data_files(realdata)),
        "data_files": [str(f.relative_to(realdata)) for f in data_files(realdata)],
        "texts": corpus.height,
        "positives": int(corpus["label"].sum()),
        "groups": int(corpus["group"].n_unique()),
        "positive_label": POSITIVE,
        "trained_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if evaluate:
        meta["grouped_evaluation"] = grouped_evaluation(corpus)
    y = corpus["label"].to_numpy()
    terms, weights, intercept = fit_calibrated(corpus["text"], y, corpus["group"].to_numpy())
    meta["terms"] = len(terms)
    meta["version"] = f"{VERSION_PREFIX}+{str(meta['data_sha256'])[:8]}"
    return TextModel(terms, weights, intercept, meta)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realdata", type=Path, default=REALDATA)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    args.out = args.out or source_path(*MODEL_FILE)  # the packaged artifact, rewritten in a checkout
    if not (args.realdata / "financial_events").is_dir():
        print(f"没有找到训练数据目录：{args.realdata}", file=sys.stderr)
        return 2
    model = train_model(args.realdata)
    save_text_model(model, args.out)
    print(f"已写入 {args.out}（{args.out.stat().st_size / 1e6:.1f} MB），版本 {model.version}")
    print(f"分组评估：{model.meta.get('grouped_evaluation')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
