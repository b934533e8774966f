"""Trained text model: how much a clue or advert text reads like illegal fundraising (涉嫌非法集资).

The lexicon explains, the model ranks. The model is a calibrated logistic regression over a fixed
vocabulary of jieba words (lexicon terms as the user dictionary) and character 2-3-grams, chosen at
training time (``enrichers/text_model_train.py``). Scoring does not run jieba: one
overlapping Aho-Corasick pass (polars ``str.extract_many``) finds every vocabulary term in the whole
column, and the logit is the sum of the matched terms' weights over the square root of the match count
(the same features the model was trained on). That keeps 100,000 texts within seconds with no Python
loop per row.

Artifact: ``keywords/model/text_lr.npz`` (terms, weights, intercept; no pickle) and the sidecar
``text_lr.json`` (version, training-data SHA-256, evaluation figures). No training rows are stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources.abc import Traversable
from pathlib import Path

import numpy as np
import polars as pl

from enrichers.data import resource, source_path
from enrichers.normalize import normalize_text

__all__ = [
    "MODEL_PATH",
    "SIDECAR_PATH",
    "TextModel",
    "load_text_model",
    "prepare_texts",
    "term_matches",
    "text_scores",
]

MODEL_FILE = ("keywords", "model", "text_lr.npz")
MODEL_PATH = resource(*MODEL_FILE)
SIDECAR_PATH = resource("keywords", "model", "text_lr.json")
MAX_CHARS = 300  # longer texts are cut: the first sentences carry the allegation and it bounds the cost
BATCH = 25_000  # texts per matching pass: bounds the long frame of matches (about 100 per text)


def prepare_texts(expr: pl.Expr) -> pl.Expr:
    """Model input: normalised text (NFKC, simplified, upper case), digit runs folded to one 0, cut."""
    return (
        normalize_text(expr.cast(pl.String).fill_null(""))
        .str.to_uppercase()
        .str.replace_all(r"[0-9]+(?:[.,][0-9]+)*", "0")
        .str.slice(0, MAX_CHARS)
    )


def term_matches(texts: pl.Series, terms: list[str]) -> pl.DataFrame:
    """Long frame (row, term) of every overlapping occurrence of a vocabulary term in each text."""
    frame = texts.to_frame("t").with_row_index("row")
    found = frame.select("row", term=prepare_texts(pl.col("t")).str.extract_many(terms, overlapping=True))
    return found.explode("term").drop_nulls("term")


@dataclass(frozen=True)
class TextModel:
    """Vocabulary terms with their (calibrated) logistic-regression weights."""

    terms: list[str]
    weights: np.ndarray
    intercept: float
    meta: dict[str, object]

    @property
    def version(self) -> str:
        return str(self.meta.get("version", "unknown"))

    def _weight_table(self) -> pl.DataFrame:
        return pl.DataFrame({"term": self.terms, "w": self.weights.astype(np.float64)})

    def logits(self, texts: pl.Series) -> np.ndarray:
        """Raw calibrated logits, one per text (empty or unmatched text: the intercept).

        Rows go in batches of ``BATCH``: the long frame of matches (dozens per text) stays bounded.
        """
        out = np.full(len(texts), self.intercept, dtype=np.float64)
        weights = self._weight_table()
        for start in range(0, len(texts), BATCH):
            per_row = (
                term_matches(texts.slice(start, BATCH), self.terms)
                .join(weights, on="term", how="left")
                .group_by("row")
                .agg(s=pl.col("w").sum(), n=pl.len())
            )
            if per_row.height:
                rows = per_row["row"].to_numpy() + start
                out[rows] += per_row["s"].to_numpy() / np.sqrt(per_row["n"].to_numpy())
        return out

    def predict_proba(self, texts: pl.Series) -> np.ndarray:
        """Probability that each text describes or promotes illegal fundraising."""
        return 1.0 / (1.0 + np.exp(-self.logits(texts)))

    def top_terms(self, text: str, k: int = 3) -> list[str]:
        """The k vocabulary terms of one text that push its score up the most (for explanations)."""
        return self.top_terms_many(pl.Series([text]), k)[0]

    def top_terms_many(self, texts: pl.Series, k: int = 3) -> list[list[str]]:
        """top_terms for a whole column in one matching pass."""
        ranked = (
            term_matches(texts, self.terms)
            .unique(["row", "term"])
            .join(self._weight_table(), on="term")
            .filter(pl.col("w") > 0)
            .sort(["row", "w", "term"], descending=[False, True, False])
            .group_by("row", maintain_order=True)
            .agg(pl.col("term").head(k))
        )
        out: list[list[str]] = [[] for _ in range(len(texts))]
        for row, terms in ranked.iter_rows():
            out[row] = terms
        return out


def save_text_model(model: TextModel, path: Path | None = None) -> None:
    """Write the .npz artifact and its JSON sidecar (default: the packaged ones, in a checkout)."""
    path = path if path is not None else source_path(*MODEL_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        terms=np.array(model.terms, dtype=np.str_),
        weights=model.weights.astype(np.float32),
        intercept=np.array([model.intercept]),
    )
    sidecar = path.with_suffix(".json")
    sidecar.write_text(json.dumps(model.meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


@lru_cache(maxsize=2)
def load_text_model(path: Path | None = None) -> TextModel | None:
    """The stored text model (default: the packaged one), or None when no artifact has been trained."""
    source: Traversable = Path(path) if path is not None else MODEL_PATH
    sidecar: Traversable = Path(path).with_suffix(".json") if path is not None else SIDECAR_PATH
    if not source.is_file():
        return None
    meta = json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.is_file() else {}
    with source.open("rb") as fh, np.load(fh, allow_pickle=False) as z:
        return TextModel([str(t) for t in z["terms"]], z["weights"], float(z["intercept"][0]), meta)


def text_scores(texts: pl.Series, path: Path | None = None) -> pl.Series:
    """Probability per text (Float64, nulls score as empty text); all nulls when no model is installed."""
    model = load_text_model(path)
    if model is None:
        return pl.Series(texts.name, [None] * len(texts), dtype=pl.Float64)
    return pl.Series(texts.name, model.predict_proba(texts), dtype=pl.Float64)
