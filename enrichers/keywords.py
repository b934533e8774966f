"""Sensitive-word enrichment: vectorised lexicon matching, per-subject scores and the signboard screen.

Matching runs over whole columns: text is normalised (``enrichers.normalize``), then one leftmost-longest
Aho-Corasick pass (polars ``str.extract_many``) finds lexicon terms *and* masking phrases together, so a
term inside a licensed institution's name, a state body, a place name or the standard scope disclaimer is
swallowed by the longer phrase. Byte offsets (``str.find_many``) are computed for the rows that hit only;
hits preceded in the same clause by a negation or warning trigger (不得, 禁止, 防范 ...) are dropped.
Rates and amounts (年化18%, 月息2分, 一万元三个月翻倍) come from the regexes in keywords/patterns.csv.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from enrichers.keywords_lexicon import FIELD_LABELS, FIELDS, NEGATION_WINDOW, NINE, Lexicon, load_lexicon
from enrichers.normalize import normalize_text

__all__ = [
    "Lexicon",
    "ScreenResult",
    "combine_scores",
    "load_lexicon",
    "match_frame",
    "score_hits",
    "screen_texts",
    "text_kinds",
]

HIT_COLUMNS = ["subject_id", "field", "term", "category", "weight", "position", "citation"]
MODEL_WEIGHT = 0.6  # a certain model alone gives 60 points: enough for review, never a ban by itself
PARALLEL_MIN_ROWS = 50_000


def _field_map(fields: dict[str, str]) -> dict[str, str]:
    """Accept {field kind: column} (documented) or {column: field kind}."""
    if set(fields) <= set(FIELDS):
        return dict(fields)
    if set(fields.values()) <= set(FIELDS):
        return {kind: col for col, kind in fields.items()}
    raise ValueError(f"fields must map {FIELDS} to column names, got {fields}")


def _finish(found: pl.LazyFrame, field_kind: str, negation: str) -> pl.LazyFrame:
    """Byte offset -> character position, drop negated hits, shape the output columns."""
    prefix = pl.col("text").cast(pl.Binary).bin.head(pl.col("p")).cast(pl.String)
    return (
        found.with_columns(prefix=prefix)
        .filter(~pl.col("prefix").str.tail(NEGATION_WINDOW).str.contains(negation))
        .select(
            "subject_id",
            pl.lit(field_kind).alias("field"),
            "term",
            "category",
            "weight",
            pl.col("prefix").str.len_chars().cast(pl.Int64).alias("position"),
            "citation",
        )
    )


def _literal_hits(base: pl.DataFrame, lex: Lexicon, kind: str, negation: str) -> pl.LazyFrame:
    terms = lex.terms_for(kind).select("key", "term", "category", "weight", "citation")
    patterns = lex.automaton(kind)
    opts: dict[str, Any] = {"leftmost": True, "ascii_case_insensitive": True}
    # Offsets are needed only on the rows whose matches are not all masking phrases (a superset of the
    # rows with a term: the join on the lower-cased key below decides which matches are terms).
    mask_only = sorted(set(patterns) - set(terms["key"].to_list()))
    row = pl.int_range(pl.len(), dtype=pl.UInt32)
    keep = (
        base.select(row.alias("row"), "m")
        .explode("m")
        .filter(pl.col("m").is_not_null() & ~pl.col("m").is_in(mask_only))
        .get_column("row")
        .unique()
    )
    rows = (
        base.lazy()
        .filter(row.is_in(keep.implode()))
        .with_columns(p=pl.col("text").str.find_many(patterns, **opts))
    )
    found = (
        rows.explode(["m", "p"])
        .with_columns(key=pl.col("m").str.to_lowercase())
        .join(terms.lazy(), on="key", how="inner")
    )
    return _finish(found, kind, negation)


def _combined(lex: Lexicon, kind: str) -> str:
    """One alternation of every regex pattern for a field (a never-matching regex when there are none)."""
    pats = lex.patterns_for(kind)["pattern"].to_list()
    return "|".join(f"(?:{p})" for p in pats) if pats else r"[^\s\S]"


def _pattern_hits(base: pl.LazyFrame, lex: Lexicon, kind: str, negation: str) -> pl.LazyFrame | None:
    """First match of each regex pattern per row: locate it (``find``) everywhere, extract it where found."""
    pats = lex.patterns_for(kind)
    if pats.height == 0:
        return None
    parts = [
        base.select("subject_id", "text", p=pl.col("text").str.find(row["pattern"]))
        .filter(pl.col("p").is_not_null())
        .select(
            "subject_id",
            "text",
            pl.col("text").str.extract(row["pattern"], 0).alias("term"),
            "p",
            pl.lit(row["category"], dtype=pl.String).alias("category"),
            pl.lit(row["weight"], dtype=pl.Float64).alias("weight"),
            pl.lit(row["citation"], dtype=pl.String).alias("citation"),
        )
        .drop_nulls("term")
        for row in pats.iter_rows(named=True)
    ]
    return _finish(pl.concat(parts), kind, negation)


def _slices(df: pl.DataFrame) -> list[tuple[int, int]]:
    """Row slices (offset, length) to run in parallel: one per polars thread for large frames."""
    n_chunks = pl.thread_pool_size() if df.height >= PARALLEL_MIN_ROWS else 1
    size = -(-df.height // n_chunks) if df.height else 1
    return [(i * size, size) for i in range(n_chunks)]


def match_frame(
    df: pl.DataFrame, id_col: str, fields: dict[str, str], lexicon: Lexicon | None = None
) -> pl.DataFrame:
    """One row per hit: subject_id, field ('name'|'scope'|'text'), term, category, weight, position.

    ``fields`` maps a field kind to the column holding it, e.g. ``{"name": "name", "scope": "business_scope"}``.
    ``position`` is the 0-based character offset in the normalised text. A ``citation`` column is added.
    """
    lex = lexicon or load_lexicon()
    mapping = _field_map(fields)
    negation = lex.negation_regex()
    opts: dict[str, Any] = {"leftmost": True, "ascii_case_insensitive": True}
    id_dtype = df.schema[id_col]
    # Stage 1, the expensive scan: normalise each field once, run the literal automaton and the regex
    # pre-check over it. Row slices run in parallel (one per polars thread).
    stage = (
        df.lazy()
        .select(
            pl.col(id_col).alias("subject_id"),
            *[normalize_text(pl.col(c).cast(pl.String)).fill_null("").alias(k) for k, c in mapping.items()],
        )
        .with_columns(
            *[pl.col(k).str.extract_many(lex.automaton(k), **opts).alias(f"m_{k}") for k in mapping],
            *[pl.col(k).str.contains(_combined(lex, k)).alias(f"r_{k}") for k in mapping],
        )
    )
    found = pl.collect_all([stage.slice(off, size) for off, size in _slices(df)])
    # Stage 2: hits of each slice (offsets, negation, regex patterns), again one plan per slice in parallel.
    plans = []
    for part in found:
        lazy = part.lazy()
        pieces = []
        for kind in mapping:
            base = part.select("subject_id", pl.col(kind).alias("text"), pl.col(f"m_{kind}").alias("m"))
            pieces.append(_literal_hits(base, lex, kind, negation))
            candidates = lazy.filter(pl.col(f"r_{kind}")).select("subject_id", pl.col(kind).alias("text"))
            pattern_part = _pattern_hits(candidates, lex, kind, negation)
            if pattern_part is not None:
                pieces.append(pattern_part)
        plans.append(pl.concat(pieces).with_columns(pl.col("subject_id").cast(id_dtype)))
    out = pl.concat(pl.collect_all(plans, engine="in-memory"))
    return _drop_inside_patterns(out, lex).select(HIT_COLUMNS).sort("subject_id", "field", "position")


def _drop_inside_patterns(hits: pl.DataFrame, lex: Lexicon) -> pl.DataFrame:
    """A literal term inside a matched rate/amount (年化 in 年化18%) is reported once, as the pattern."""
    hits = hits.with_columns(end=pl.col("position") + pl.col("term").str.len_chars())
    is_pattern = ~pl.col("term").str.to_lowercase().is_in(lex.terms["key"].to_list())
    spans = hits.filter(is_pattern).select("subject_id", "field", ps="position", pe="end")
    if spans.height == 0:
        return hits
    inside = (
        hits.filter(~is_pattern)
        .join(spans, on=["subject_id", "field"])
        .filter((pl.col("position") >= pl.col("ps")) & (pl.col("end") <= pl.col("pe")))
        .select("subject_id", "field", "term", "position")
        .unique()
    )
    return hits.join(inside, on=["subject_id", "field", "term", "position"], how="anti")


def score_hits(hits: pl.DataFrame) -> pl.DataFrame:
    """Per subject_id: keyword_score 0-100 (noisy-or of distinct terms' weights), top terms and a reason."""
    per_term = (
        hits.sort("weight", descending=True)
        .group_by("subject_id", "term", maintain_order=True)
        .agg(pl.col("weight").first(), pl.col("category").first(), pl.col("field").first())
        .with_columns(
            label=pl.format(
                "{}含「{}」({})",
                pl.col("field").replace_strict(FIELD_LABELS, default="文本"),
                pl.col("term"),
                pl.col("category"),
            )
        )
    )
    return (
        per_term.group_by("subject_id", maintain_order=True)
        .agg(
            keyword_score=((1.0 - (1.0 - pl.col("weight")).product()) * 100).round().cast(pl.Int64),
            hit_terms=pl.len().cast(pl.Int64),
            top_terms=pl.col("term").head(5),
            nine_terms=pl.col("term").filter(pl.col("category") == NINE),
            categories=pl.col("category").unique(maintain_order=True),
            reason=pl.col("label").head(3).str.join("；"),
        )
        .sort("subject_id")
    )


def combine_scores(keyword_score: pl.Expr, model_prob: pl.Expr) -> pl.Expr:
    """0-100 score from the lexicon score and the name model's probability (noisy-or)."""
    lex = keyword_score.cast(pl.Float64) / 100.0
    return ((1.0 - (1.0 - lex) * (1.0 - MODEL_WEIGHT * model_prob)) * 100).round().cast(pl.Int64)


# The screen (`fundrisk screen`) lives in its own module and is re-exported here, where callers import it.
from enrichers.keywords_screen import ScreenResult, screen_texts, text_kinds  # noqa: E402
