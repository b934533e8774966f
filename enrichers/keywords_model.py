"""Learned complement to the lexicon: logistic regression over hashed character n-grams of names.

The artifact (``keywords/model/name_ngram_lr.npz``) holds only the non-zero coefficients of a
``HashingVectorizer`` + ``LogisticRegression`` model, so it stays small and needs no pickle. It is
trained by ``python -m enrichers.keywords_model_train`` on the tuning half of the real names only
(collapsed P2P operators, CCKS 涉嫌非法集资 subjects and case names against ordinary registrations).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources.abc import Traversable
from pathlib import Path

import numpy as np
import polars as pl
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer

from enrichers.data import resource, source_path
from enrichers.normalize import normalize_text

MODEL_FILE = ("keywords", "model", "name_ngram_lr.npz")
MODEL_PATH = resource(*MODEL_FILE)
N_FEATURES = 2**18
NGRAM_RANGE = (1, 3)

# The product's own place-name rules (no real gazetteer is shipped): bracketed qualifiers such as
# （北京）/（集团）, a leading "<省/自治区><市>" prefix, and the legal-form suffix, which says nothing about
# the business but would let a model tell listed 股份有限公司 from ordinary 有限公司.
_BRACKETS = r"\([^()]{0,12}\)"
_LEADING_ADMIN = r"^(?:[^省市区]{2,8}?(?:省|自治区))?(?:[^省市区]{2,6}?市)?"
_LEGAL_FORM = r"(?:股份)?有限(?:责任)?公司.*$|(?:集团|分公司|分店|合伙企业|个人独资企业)$"


def prepare_names(expr: pl.Expr) -> pl.Expr:
    """Model input: normalised name with brackets, leading province/city and legal form removed."""
    return (
        normalize_text(expr.cast(pl.String).fill_null(""))
        .str.replace_all(_BRACKETS, "")
        .str.replace(_LEADING_ADMIN, "")
        .str.replace(_LEGAL_FORM, "")
    )


def _vectorizer() -> HashingVectorizer:
    return HashingVectorizer(
        analyzer="char", ngram_range=NGRAM_RANGE, n_features=N_FEATURES, alternate_sign=False, norm="l2"
    )


@dataclass(frozen=True)
class NgramModel:
    """Sparse logistic-regression coefficients over hashed character n-grams."""

    indices: np.ndarray
    coef: np.ndarray
    intercept: float
    meta: dict[str, object]

    @property
    def version(self) -> str:
        return str(self.meta.get("version", "unknown"))

    def _dense(self) -> np.ndarray:
        w = np.zeros(N_FEATURES, dtype=np.float64)
        w[self.indices] = self.coef
        return w

    def decision(self, prepared: list[str]) -> np.ndarray:
        """Raw logits for already prepared names (whole-column; equal to the HashingVectorizer path)."""
        texts = pl.Series("text", prepared, dtype=pl.String)
        return hashed_ngram_logits(texts, self._dense()) + self.intercept

    def decision_sklearn(self, prepared: list[str]) -> np.ndarray:
        """The same logits through scikit-learn's vectorizer: the reference the fast path is tested against."""
        x = _vectorizer().transform(prepared)
        return np.asarray(x @ self._dense()).ravel() + self.intercept

    def predict_proba(self, names: pl.Series) -> np.ndarray:
        """Probability that each raw name resembles a collapsed P2P operator's name."""
        prepared = names.to_frame("n").select(prepare_names(pl.col("n")).alias("p"))
        # Each distinct prepared name is scored once (signboards and registered names repeat after the
        # province prefix and legal form are cut).
        distinct = prepared.unique("p", maintain_order=True)
        logits = self.decision(distinct["p"].to_list())
        scored = distinct.with_columns(pl.Series("logit", logits, dtype=pl.Float64))
        joined = prepared.join(scored, on="p", how="left", maintain_order="left", nulls_equal=True)
        return 1.0 / (1.0 + np.exp(-joined["logit"].to_numpy()))

    def top_ngrams(self, name: str, k: int = 3) -> list[tuple[str, float]]:
        """The k character n-grams of one name that push its score up the most."""
        return self.top_ngrams_many(pl.Series([name]), k)[0]

    def top_ngrams_many(self, names: pl.Series, k: int = 3) -> list[list[tuple[str, float]]]:
        """top_ngrams for a whole column: every distinct n-gram is hashed and weighed once."""
        prepared = names.to_frame("n").select(prepare_names(pl.col("n"))).to_series().to_list()
        analyzer = _vectorizer().build_analyzer()
        per_name = [sorted(set(analyzer(p))) for p in prepared]
        distinct = sorted({g for grams in per_name for g in grams})
        if not distinct:
            return [[] for _ in per_name]
        contrib = np.asarray(_vectorizer().transform(distinct) @ self._dense()).ravel()
        weight = dict(zip(distinct, contrib.tolist(), strict=True))
        out = []
        for grams in per_name:  # a sort of a few dozen n-grams per name; the weighing above is shared
            ranked = sorted(grams, key=lambda g: -weight[g])[:k]
            out.append([(g, weight[g]) for g in ranked if weight[g] > 0])
        return out


BATCH = 200_000  # texts per batch: the code points and n-gram ids of a batch stay a few hundred MB
_BITS = 21  # a code point + 1 fits in 21 bits, so an n-gram of up to 3 characters is one int64
_MASK = (1 << _BITS) - 1


def hashed_ngram_logits(texts: pl.Series, weights: np.ndarray) -> np.ndarray:
    """x · weights (dense, N_FEATURES) for HashingVectorizer(analyzer="char", ngram_range=NGRAM_RANGE, alternate_sign=False, norm="l2").

    scikit-learn builds every n-gram of every text as a Python string; here the texts become one array of
    code points and every n-gram one integer (numpy, whole-column). Only n-grams not met in an earlier batch
    are turned back into strings and hashed (murmurhash3_32, seed 0, as scikit-learn).
    """
    seen = (np.zeros(0, np.int64), np.zeros(0, np.int64))  # n-gram ids (sorted) and their buckets
    parts = []
    for i in range(0, texts.len(), BATCH):
        logits, seen = _batch_logits(texts.slice(i, BATCH), weights, seen)
        parts.append(logits)
    return np.concatenate(parts) if parts else np.zeros(0)


def _gram_texts(grams: np.ndarray) -> list[str]:
    """The n-grams (ids of up to three code points + 1) back as strings, whole-column."""
    last, middle, first = (((grams >> (_BITS * k)) & _MASK) for k in range(3))
    # Left-align: a bigram (0, a, b) becomes (a, b, 0), a unigram (0, 0, a) becomes (a, 0, 0).
    chars = np.where(
        (first > 0)[:, None],
        np.stack([first, middle, last], axis=1),
        np.where(
            (middle > 0)[:, None],
            np.stack([middle, last, 0 * last], axis=1),
            np.stack([last, 0 * last, 0 * last], axis=1),
        ),
    )
    points = np.where(chars > 0, chars - 1, 0).astype("<u4")
    return np.ascontiguousarray(points).view("<U3").ravel().tolist()


Seen = tuple[np.ndarray, np.ndarray]


def _batch_logits(texts: pl.Series, weights: np.ndarray, seen: Seen) -> tuple[np.ndarray, Seen]:
    from sklearn.utils import murmurhash3_32

    low, high = NGRAM_RANGE
    # scikit-learn's char analyzer: lower case, then runs of two or more white-space characters → one space.
    cleaned = texts.fill_null("").str.to_lowercase().str.replace_all(r"\s\s+", " ")
    lengths = cleaned.str.len_chars().to_numpy().astype(np.int64)
    raw = np.frombuffer("".join(cleaned.to_list()).encode("utf-32-le"), dtype=np.uint32)
    points = raw.astype(np.int64) + 1  # 0 never stands for a character
    doc_of = np.repeat(np.arange(lengths.size), lengths)
    end_of = np.cumsum(lengths)[doc_of]  # where each position's text ends
    at = np.arange(points.size)
    ids, docs = [], []
    for n in range(low, high + 1):
        starts = at[at + n <= end_of]
        gram = points[starts]
        for k in range(1, n):
            gram = (gram << _BITS) | points[starts + k]
        ids.append(gram)
        docs.append(doc_of[starts])
    grams = pl.Series("gram", np.concatenate(ids))
    distinct = grams.unique()
    new = distinct.filter(~distinct.is_in(pl.Series(seen[0]).implode())).to_numpy()
    hashed = np.fromiter(
        (abs(murmurhash3_32(g, seed=0)) % N_FEATURES for g in _gram_texts(new)),
        dtype=np.int64,
        count=new.size,
    )
    keys, buckets = np.concatenate([seen[0], new]), np.concatenate([seen[1], hashed])
    order = np.argsort(keys)
    seen = (keys[order], buckets[order])
    located = seen[1][pl.Series(seen[0]).search_sorted(grams).to_numpy()]
    # Summed per (text, bucket) as scikit-learn does (colliding n-grams add up), then L2-normalised.
    x = sparse.csr_matrix(
        (np.ones(located.size), (np.concatenate(docs), located)), shape=(lengths.size, N_FEATURES)
    )
    x.sum_duplicates()
    norm = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    dot = np.asarray(x @ weights).ravel()
    return np.divide(dot, norm, out=np.zeros_like(dot), where=norm > 0), seen


def train(names: list[str], labels: np.ndarray, meta: dict[str, object], c: float = 4.0) -> NgramModel:
    """Fit the model on raw names (prepared here) and keep only non-zero coefficients."""
    from sklearn.linear_model import LogisticRegression

    prepared = pl.Series(names).to_frame("n").select(prepare_names(pl.col("n"))).to_series().to_list()
    x = _vectorizer().transform(prepared)
    lr = LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(x, labels)
    coef = lr.coef_.ravel()
    keep = np.flatnonzero(np.abs(coef) > 1e-4)
    return NgramModel(keep.astype(np.int32), coef[keep].astype(np.float32), float(lr.intercept_[0]), meta)


def save_model(model: NgramModel, path: Path | None = None) -> None:
    """Write the artifact as a compressed .npz with JSON metadata (default: the packaged one, in a checkout)."""
    path = path if path is not None else source_path(*MODEL_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        indices=model.indices,
        coef=model.coef,
        intercept=np.array([model.intercept]),
        meta=np.array(json.dumps(model.meta, ensure_ascii=False)),
    )


@lru_cache(maxsize=2)
def load_model(path: Path | None = None) -> NgramModel | None:
    """The stored model (default: the packaged one), or None when no artifact has been trained yet."""
    source: Traversable = Path(path) if path is not None else MODEL_PATH
    if not source.is_file():
        return None
    with source.open("rb") as fh, np.load(fh, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
        return NgramModel(z["indices"], z["coef"], float(z["intercept"][0]), meta)
