"""Stage: screen every survey (排查登记) like a clue — the signboard as a name, the found-text as a text.

Rows go to keyword_hits / keyword_scores with subject_kind 'survey'; the features fold a linked survey's
score into its subject's keyword evidence (fundrisk/warehouse/features_sql.py). Runs after the keyword
stage, which replaces those tables' registration and clue rows.
"""

from __future__ import annotations

import polars as pl

from enrichers.keyword_stage import SCORE_COLUMNS
from enrichers.keywords import combine_scores, load_lexicon, match_frame, score_hits
from enrichers.keywords_model import load_model
from fundrisk.stages.keywords import SLICE_ROWS, sum_counts
from fundrisk.warehouse.db import Connection
from fundrisk.warehouse.features_sql import SURVEY_FLAG
from fundrisk.warehouse.frames import append, delete_rows
from fundrisk.warehouse.inputs_store import survey_text_slices

KIND = "survey"
# score_hits labels a hit by its field kind; on a survey the name is the signboard, the text what was found.
LABELS = {"名称含「": "门头含「", "文本含「": "发现情况含「"}


def survey_keyword_rows(
    surveys: pl.DataFrame, run_id: str
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, object]]:
    """keyword_hits and keyword_scores rows of these surveys (survey_id, signboard, found) and counts."""
    lexicon = load_lexicon()
    frame = surveys.select(pl.col("survey_id").alias("sid"), "signboard", "found")
    hits = match_frame(frame, "sid", {"name": "signboard", "text": "found"}, lexicon)
    scored = (
        score_hits(hits)
        if hits.height
        else pl.DataFrame(schema={"subject_id": pl.Utf8, "keyword_score": pl.Int64, "hit_terms": pl.Int64})
    )
    signs = frame.filter(pl.col("signboard").is_not_null())
    model = load_model()
    probs = pl.DataFrame(schema={"subject_id": pl.Utf8, "model_prob": pl.Float64})
    if model is not None and signs.height:
        prob = pl.Series("model_prob", model.predict_proba(signs["signboard"]), dtype=pl.Float64)
        probs = signs.select(pl.col("sid").alias("subject_id")).with_columns(prob)
    merged = probs.join(scored, on="subject_id", how="full", coalesce=True).with_columns(
        pl.col("keyword_score").fill_null(0), pl.col("hit_terms").fill_null(0)
    )
    merged = merged.with_columns(
        pl.when(pl.col("model_prob").is_not_null())
        .then(combine_scores(pl.col("keyword_score"), pl.col("model_prob")))
        .otherwise(pl.col("keyword_score"))
        .alias("keyword_score"),
        pl.col("reason").str.replace_many(list(LABELS), list(LABELS.values()))
        if "reason" in merged.columns
        else pl.lit(None, pl.Utf8).alias("reason"),
        pl.col("top_terms").list.join("、")
        if "top_terms" in merged.columns
        else pl.lit(None, pl.Utf8).alias("top_terms"),
    )
    stamp = [pl.lit(lexicon.version).alias("lexicon_version"), pl.lit(run_id).alias("run_id")]
    scores = merged.with_columns(pl.lit(KIND).alias("subject_kind")).select(*SCORE_COLUMNS, *stamp)
    hit_rows = hits.with_columns(pl.lit(KIND).alias("subject_kind"), *stamp)
    counts: dict[str, object] = {
        "surveys": surveys.height,
        "keyword_hits": hits.height,
        "flagged": scores.filter(pl.col("keyword_score") >= SURVEY_FLAG).height,
    }
    return hit_rows, scores, counts


def run_survey_screen(con: Connection, run_id: str, slice_rows: int = SLICE_ROWS) -> dict[str, object]:
    """Replace the surveys' keyword rows from the current surveys table; counts only.

    Each survey is screened on its own text: a slice at a time, appended without a transaction around
    the slices (a run that dies here is redone from the delete), like the keyword stage."""
    delete_rows(con, "keyword_hits", "subject_kind = ?", [KIND])
    delete_rows(con, "keyword_scores", "subject_kind = ?", [KIND])
    counts = []
    for surveys in survey_text_slices(con, slice_rows):
        hits, scores, part = survey_keyword_rows(surveys, run_id)
        append(con, "keyword_hits", hits)
        append(con, "keyword_scores", scores)
        counts.append(part)
    return sum_counts(counts)
