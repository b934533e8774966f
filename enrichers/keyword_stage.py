"""Keyword enrichment of the warehouse's subjects: registrations (name, scope) and clues (text)."""

from __future__ import annotations

import polars as pl

from enrichers.keywords import combine_scores, load_lexicon, match_frame, score_hits
from enrichers.keywords_model import load_model

SCORE_COLUMNS = [
    "subject_kind",
    "subject_id",
    "keyword_score",
    "model_prob",
    "hit_terms",
    "top_terms",
    "reason",
]


def keyword_enrichment(
    registrations: pl.DataFrame, clues: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, str]:
    """Hits and per-subject scores for registrations (uscc, name, business_scope) and clues
    (clue_id, subject_name, content); returns (hits, scores, lexicon version)."""
    lexicon = load_lexicon()
    reg_hits = match_frame(
        registrations.select(pl.col("uscc").alias("sid"), "name", "business_scope"),
        "sid",
        {"name": "name", "scope": "business_scope"},
        lexicon,
    ).with_columns(pl.lit("registration").alias("subject_kind"))
    clue_text = clues.select(
        pl.col("clue_id").alias("sid"),
        pl.concat_str([pl.col("subject_name"), pl.col("content")], separator="：", ignore_nulls=True).alias(
            "text"
        ),
    )
    clue_hits = match_frame(clue_text, "sid", {"text": "text"}, lexicon).with_columns(
        pl.lit("clue").alias("subject_kind")
    )
    hits = pl.concat([reg_hits, clue_hits], how="diagonal_relaxed")
    scores = _scores(hits, registrations)
    return hits, scores, lexicon.version


def _scores(hits: pl.DataFrame, registrations: pl.DataFrame) -> pl.DataFrame:
    parts = []
    for kind in ("registration", "clue"):
        sub = hits.filter(pl.col("subject_kind") == kind)
        if sub.height:
            parts.append(score_hits(sub).with_columns(pl.lit(kind).alias("subject_kind")))
    scored = (
        pl.concat(parts, how="diagonal_relaxed")
        if parts
        else pl.DataFrame(
            schema={
                "subject_id": pl.Utf8,
                "keyword_score": pl.Int64,
                "hit_terms": pl.Int64,
                "subject_kind": pl.Utf8,
            }
        )  # no hits at all (a slice of a province's plain names): every subject scored by the model alone
    )
    model = load_model()
    if model is None or registrations.height == 0:
        return _shape(scored.with_columns(pl.lit(None, pl.Float64).alias("model_prob")))
    probs = registrations.select(
        pl.lit("registration").alias("subject_kind"),
        pl.col("uscc").alias("subject_id"),
        pl.Series("model_prob", model.predict_proba(registrations["name"])),
    )
    merged = probs.join(scored, on=["subject_kind", "subject_id"], how="full", coalesce=True)
    merged = merged.with_columns(pl.col("keyword_score").fill_null(0), pl.col("hit_terms").fill_null(0))
    merged = merged.with_columns(
        pl.when(pl.col("model_prob").is_not_null())
        .then(combine_scores(pl.col("keyword_score"), pl.col("model_prob")))
        .otherwise(pl.col("keyword_score"))
        .alias("keyword_score")
    )
    return _shape(merged)


def _shape(scores: pl.DataFrame) -> pl.DataFrame:
    out = scores.with_columns(
        pl.col("top_terms").list.join("、")
        if "top_terms" in scores.columns
        else pl.lit(None, pl.Utf8).alias("top_terms")
    )
    for col in SCORE_COLUMNS:
        if col not in out.columns:
            out = out.with_columns(pl.lit(None).alias(col))
    return out.select(SCORE_COLUMNS)
