"""Candidate pairs for entity resolution (enrichers/resolve.py): every way a source record may name a
registration, each blocked on a shared key so that no step compares all pairs.

Exact keys (name, core, parent of a branch, short name), one-character typos of the core (masked keys),
a unique brand or legal representative, a survey at the only registration with its address, and fuzzy
matches among registrations that share a brand or a rare character bigram, scored by rapidfuzz. A key
shared by more than BLOCK_CAP registrations proves nothing and is not used. Counts are always taken over
registrations, so a chunk of source records gets the candidates it would get among all of them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process

RARE_BIGRAM_MAX_DF = 40  # bigrams more common than this in registrations do not block
MAX_CANDIDATES = 40  # per source record, from the bigram block
SLICE_ROWS = 500_000  # registrations exploded to keys at a time
PAIR_CHUNK = 250_000  # candidate pairs handed to rapidfuzz at a time
BLOCK_CAP = 30  # a blocking key shared by more registrations than this is not used
FUZZY_CAP = 0.95  # a fuzzy match never outranks an exact one
TYPO_PER_CHAR = 0.02  # a one-character typo in a core of 4 scores 0.88, of 6 scores 0.92
TYPO_MAX = 0.93
PERSON_NAME = r"^[\p{Han}]{2,4}$"  # an account holder that looks like a person, not an organisation
BASE_SCORES = {
    "name": 1.0,
    "core": 0.97,
    "branch": 0.92,
    "short_name": 0.90,
    "typo": 0.88,
    "brand": 0.86,
    "legal_rep": 0.85,
    "holder_id": 0.95,
    "address": 0.84,  # a grid worker's survey at the address of exactly one registration
}


def _sharing(r_key: str, keys: pl.LazyFrame) -> Callable[[pl.DataFrame], pl.LazyFrame]:
    """For capped_by_slices: a slice's registrations (uscc, k) whose `r_key` is one of `keys` (column k).
    Only keys some source record has are ever counted, not a province's every key."""
    return lambda part: part.lazy().select("uscc", pl.col(r_key).alias("k")).join(keys, on="k", how="semi")


def exact_pairs(src: pl.DataFrame, reg: pl.DataFrame) -> pl.DataFrame:
    keys = [("norm", "norm", "name"), ("core", "core", "core"), ("parent_norm", "norm", "branch")]
    keys.append(("core", "brand", "short_name"))
    frames = []
    for s_key, r_key, method in keys:
        left = src.select("sid", pl.col(s_key).alias("k")).drop_nulls("k")
        # A key more than BLOCK_CAP registrations share proves nothing (dozens of 王记 shops) and would
        # only multiply candidate pairs.
        right = capped_by_slices(reg, _sharing(r_key, left.select("k").unique().lazy()), "k", BLOCK_CAP)
        frames.append(
            left.join(right, on="k").select(
                "sid", "uscc", pl.lit(method).alias("method"), pl.lit(BASE_SCORES[method]).alias("score")
            )
        )
    return pl.concat(frames)


def _masked_keys(frame: pl.DataFrame, id_col: str) -> pl.DataFrame:
    """Each core with one character masked: two cores share a key when they differ in one place."""
    return _masked_keys_lazy(frame, id_col).collect()


def _masked_keys_lazy(frame: pl.DataFrame, id_col: str) -> pl.LazyFrame:
    """As _masked_keys, lazily: a province's registrations explode to tens of millions of keys, which
    the streaming engine filters batch by batch instead of holding them all."""
    text = pl.col("core")
    length = text.str.len_chars()
    return (
        frame.lazy()
        .select(id_col, "core")
        .filter(length.is_between(4, 16))
        .with_columns(pl.int_ranges(0, length).alias("pos"))
        .explode("pos")
        .select(
            id_col,
            pl.concat_str(
                text.str.slice(0, pl.col("pos")), pl.lit("\x00"), text.str.slice(pl.col("pos") + 1)
            ).alias("masked"),
            length.alias("length"),
        )
    )


def unique_pairs(src: pl.DataFrame, reg: pl.DataFrame, s_key: str, r_key: str, method: str) -> pl.DataFrame:
    """Pairs on a key that names exactly one registration (a shared brand or person is no evidence).

    Only keys some record has are counted, a slice of registrations at a time (capped_by_slices: a key
    two registrations of a slice have is dropped there), never a province's every key. A null key names
    nothing (joins never match nulls), so `reg` is passed whole, never a filtered copy."""
    left = src.select("sid", pl.col(s_key).alias("k")).drop_nulls("k")
    unique = capped_by_slices(reg, _sharing(r_key, left.select("k").unique().lazy()), "k", 1)
    return left.join(unique, on="k").select(
        "sid", "uscc", pl.lit(method).alias("method"), pl.lit(BASE_SCORES[method]).alias("score")
    )


def evidence_pairs(src: pl.DataFrame, reg: pl.DataFrame) -> pl.DataFrame:
    """One-character typos of the core, a shared unique brand, a person who is one entity's legal rep."""
    # One wrong character weighs more in a long core (忠雅天企业管理咨询) than in a short one (王记面馆).
    src_keys = _masked_keys(src, "sid")
    # Only keys some source record has can match, and only a key at most BLOCK_CAP registrations have
    # is used: both decided a slice of registrations at a time.
    wanted = src_keys.lazy().select("masked")
    reg_keys = capped_by_slices(
        reg,
        lambda part: _masked_keys_lazy(part, "uscc").drop("length").join(wanted, on="masked", how="semi"),
        "masked",
        BLOCK_CAP,
    )
    typo = (
        src_keys.join(reg_keys, on="masked")
        .group_by("sid", "uscc")
        .agg(pl.col("length").first())
        .select(
            "sid",
            "uscc",
            pl.lit("typo").alias("method"),
            (BASE_SCORES["typo"] + TYPO_PER_CHAR * (pl.col("length") - 4)).clip(0.0, TYPO_MAX).alias("score"),
        )
    )
    brand = unique_pairs(src.filter(pl.col("brand").str.len_chars() >= 2), reg, "brand", "brand", "brand")
    people = src.filter((pl.col("source_kind") == "alert") & pl.col("name").str.contains(PERSON_NAME))
    legal_rep = unique_pairs(
        people.with_columns(pl.col("name").alias("person")), reg, "person", "legal_rep", "legal_rep"
    )
    return pl.concat([typo, brand, legal_rep])


def premise_pairs(src: pl.DataFrame, reg: pl.DataFrame) -> pl.DataFrame:
    """A survey (排查登记) names a door: at the address of exactly one registration, that is a candidate
    even when the signboard differs from the registered name or is missing (clues are left to names)."""
    surveys = src.filter(pl.col("source_kind") == "survey")
    return unique_pairs(surveys, reg, "s_addr", "r_addr", "address")


def capped_by_slices(
    frame: pl.DataFrame, build: Callable[[pl.DataFrame], pl.LazyFrame], key: str, cap: int
) -> pl.DataFrame:
    """The rows ``build`` makes of `frame` whose `key` is on at most `cap` of them, SLICE_ROWS at a time.

    A key on more than `cap` rows of one slice is on more overall, so each slice keeps only its locally
    rare keys' rows and the counts summed over slices decide at the end: a province's common keys (a
    short core masked, a popular brand) never pile up, and the answer is the whole frame's (rows made
    of one registration are always in one slice)."""
    counts, kept = [], []
    for start in range(0, max(frame.height, 1), SLICE_ROWS):
        rows = build(frame.slice(start, SLICE_ROWS)).collect(engine="streaming")
        local = rows.group_by(key).len()
        counts.append(local)
        kept.append(rows.join(local.filter(pl.col("len") <= cap), on=key, how="semi"))
    total = pl.concat(counts).group_by(key).agg(pl.col("len").sum())
    return pl.concat(kept).join(total.filter(pl.col("len") <= cap), on=key, how="semi")


def _bigrams_lazy(frame: pl.DataFrame, id_col: str) -> pl.LazyFrame:
    text = pl.col("core")
    return (
        frame.lazy()
        .select(id_col, "core")
        .filter(text.str.len_chars() >= 2)
        .with_columns(pl.int_ranges(0, text.str.len_chars() - 1).alias("pos"))
        .explode("pos")
        .select(id_col, text.str.slice(pl.col("pos"), 2).alias("bigram"))
    )


def _bigrams(frame: pl.DataFrame, id_col: str) -> pl.DataFrame:
    """id_col, bigram: the distinct character bigrams of each core."""
    return _bigrams_lazy(frame, id_col).unique().collect(engine="streaming")


def rare_bigrams(reg: pl.DataFrame) -> pl.DataFrame:
    """row, bigram: the registrations (row numbers of `reg`) of every core bigram at most
    RARE_BIGRAM_MAX_DF registrations have.

    The same for every chunk of source records, so resolve() makes it once, a slice of registrations at
    a time (capped_by_slices): a province's tens of millions of (registration, bigram) rows are never
    held at once, and are kept by row number (4 bytes, not an 18-character code: 10M, 1.3 GB → 0.5)."""
    rows = reg.select("core").with_row_index("row")
    return capped_by_slices(
        rows, lambda part: _bigrams_lazy(part, "row").unique(), "bigram", RARE_BIGRAM_MAX_DF
    )


def fuzzy_pairs(src: pl.DataFrame, reg: pl.DataFrame, rare: pl.DataFrame | None = None) -> pl.DataFrame:
    """Candidates sharing a brand or a rare bigram of the core, scored by rapidfuzz on the cores.

    rare: rare_bigrams(reg), when the caller has made it already."""
    src_grams = _bigrams(src, "sid")
    postings = rare_bigrams(reg) if rare is None else rare
    shared = src_grams.join(postings, on="bigram").group_by("sid", "row").len("shared")
    by_gram = (
        shared.select("sid", reg["uscc"].gather(shared["row"]).alias("uscc"), "shared")
        # uscc breaks ties in shared bigrams: which candidates make the cut is the same every run
        .sort(["sid", "shared", "uscc"], descending=[False, True, False])
        .group_by("sid", maintain_order=True)
        .head(MAX_CANDIDATES)
        .select("sid", "uscc")
    )
    wanted = src.select(pl.col("brand").alias("k")).drop_nulls().unique().lazy()
    brands = capped_by_slices(reg, _sharing("brand", wanted), "k", BLOCK_CAP)
    by_brand = src.select("sid", pl.col("brand").alias("k")).join(brands, on="k").select("sid", "uscc")
    pairs = pl.concat([by_gram, by_brand]).unique()
    pairs = pairs.join(src.select("sid", pl.col("core").alias("s_core")), on="sid").join(
        reg.select("uscc", pl.col("core").alias("r_core")), on="uscc"
    )
    scores = pair_scores(pairs["s_core"], pairs["r_core"], fuzz.ratio)
    capped = (scores / 100.0).clip(0.0, FUZZY_CAP)
    return pairs.select(
        "sid", "uscc", pl.lit("fuzzy").alias("method"), pl.Series("score", capped, dtype=pl.Float64)
    )


def pair_scores(left: pl.Series, right: pl.Series, scorer: Callable[..., float]) -> np.ndarray:
    """rapidfuzz's score of each (left[i], right[i]), PAIR_CHUNK pairs at a time: rapidfuzz reads Python
    strings, and millions of candidate pairs as two lists of them would cost gigabytes at once."""
    parts = [
        process.cpdist(
            left.slice(i, PAIR_CHUNK).to_list(),
            right.slice(i, PAIR_CHUNK).to_list(),
            scorer=scorer,
            workers=-1,
        )
        for i in range(0, left.len(), PAIR_CHUNK)
    ]
    return np.concatenate(parts) if parts else np.zeros(0)
