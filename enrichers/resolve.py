"""Link alerts and clues to registered entities (entity resolution, step 2).

Tiers, tried together and decided per source record: exact code → exact normalised name → same
core name → branch of a registered parent → short name (字号) → blocked fuzzy match on the core
(rapidfuzz, candidates only from shared brand or rare character bigrams, never all pairs), with
address and town agreement. A record whose best candidate does not clearly beat the runner-up
goes to review instead of being guessed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process

from enrichers.mentions import mention_links
from enrichers.names import address_key, ensure_name_keys, name_parts

ACCEPT = 0.80  # lowest score that links
MARGIN = 0.08  # how far the best must beat the runner-up
EXACT_MARGIN = 0.025  # an exact name or core only has to beat a look-alike by a little
REVIEW_FLOOR = 0.60  # below this a candidate is not worth an analyst's time
RARE_BIGRAM_MAX_DF = 40  # bigrams more common than this in registrations do not block
MAX_CANDIDATES = 40  # per source record, from the bigram block
SLICE_ROWS = 500_000  # registrations exploded to keys at a time
PAIR_CHUNK = 250_000  # candidate pairs handed to rapidfuzz at a time
SOURCE_CHUNK = 1_000_000  # source records resolved at a time (a district's are one chunk)
CONTEXT_CHUNK = 50_000  # clue texts searched for company names at a time
# What the steps after the code and holder links read of a source record.
MATCH_COLUMNS = (
    "sid",
    "source_kind",
    "name",
    "norm",
    "core",
    "brand",
    "parent_norm",
    "s_addr",
    "town",
    "grid",
)
BLOCK_CAP = 30  # a blocking key shared by more registrations than this is not used
GRID_LIFT = 0.04  # same 网格 as the clue: a small lift; another grid of the same town: a small penalty
FUZZY_CAP = 0.95  # a fuzzy match never outranks an exact one
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
TYPO_PER_CHAR = 0.02  # a one-character typo in a core of 4 scores 0.88, of 6 scores 0.92
TYPO_MAX = 0.93
PERSON_NAME = r"^[\p{Han}]{2,4}$"  # an account holder that looks like a person, not an organisation


@dataclass(frozen=True)
class Resolution:
    links: pl.DataFrame  # source_kind, source_id, uscc, method, score
    review: pl.DataFrame  # source_kind, source_id, subject_name, uscc, candidate_name, score, rank
    unmatched: pl.DataFrame  # source_kind, source_id, name, core, address_key, town


def prepare_registrations(regs: pl.DataFrame) -> pl.DataFrame:
    """uscc, name, address, town → plus norm, core, brand, addr (computed once per run)."""
    regs = ensure_name_keys(regs)
    parts, addr = regs.select("norm", "core", "brand"), regs["addr_key"]
    town = regs["town"] if "town" in regs.columns else pl.Series([None] * regs.height, dtype=pl.Utf8)
    rep = regs["legal_rep"] if "legal_rep" in regs.columns else pl.Series([None] * regs.height, dtype=pl.Utf8)
    grid = regs["grid"] if "grid" in regs.columns else pl.Series([None] * regs.height, dtype=pl.Utf8)
    rep_id = (
        _id_key(regs["legal_rep_id"]) if "legal_rep_id" in regs.columns else pl.Series([None] * regs.height)
    )
    return pl.DataFrame(
        {
            "uscc": regs["uscc"],
            "reg_name": regs["name"],
            "r_addr": addr,
            "r_town": town,
            "r_grid": grid,
            "legal_rep": rep,
            "rep_id": rep_id.cast(pl.Utf8),
        }
    ).hstack(parts.select("norm", "core", "brand"))


def prepare_sources(sources: pl.DataFrame) -> pl.DataFrame:
    """source_kind, source_id, name, uscc, address, town, mention → plus sid and name keys."""
    parts = name_parts(sources["name"])
    for missing in {"grid", "holder_id"} - set(sources.columns):
        sources = sources.with_columns(pl.lit(None, dtype=pl.Utf8).alias(missing))
    sources = sources.with_columns(_id_key(sources["holder_id"]).alias("holder_id"))
    return (
        sources.with_row_index("sid")
        .with_columns(address_key(sources["address"]).alias("s_addr"))
        .hstack(parts.select("norm", "core", "brand", "parent_norm"))
    )


def _person_accounts(pairs: pl.DataFrame, src: pl.DataFrame, reg: pl.DataFrame) -> pl.DataFrame:
    """A personal account (an alert named like a person) names a person, not a shop: it may only link to
    a registration that person represents (张建国's account is not 王五's 张建国保健品店)."""
    person = src.filter((pl.col("source_kind") == "alert") & pl.col("name").str.contains(PERSON_NAME))
    if person.height == 0:
        return pairs
    # Only the pairs of such accounts are checked (a few thousand of a district's million candidate pairs).
    checked = pairs.join(person.select("sid", pl.col("name").alias("person")), on="sid").join(
        reg.select("uscc", pl.col("legal_rep").alias("rep")), on="uscc"
    )
    kept = checked.filter(pl.col("rep") == pl.col("person")).select(pairs.columns)
    return pl.concat([pairs.join(person.select("sid"), on="sid", how="anti"), kept])


def _id_key(ids: pl.Series) -> pl.Series:
    """An ID number as a join key: no spaces, upper-case X; empty is null."""
    key = ids.cast(pl.Utf8).str.replace_all(r"\s", "").str.to_uppercase()
    return pl.select(pl.when(key.str.len_chars() > 0).then(key)).to_series()


def _small_blocks(frame: pl.DataFrame, key: str) -> pl.DataFrame:
    """Rows whose key is shared by at most BLOCK_CAP registrations: a key that common proves nothing
    (dozens of 王记 shops) and would only multiply candidate pairs."""
    return frame.filter(pl.len().over(key) <= BLOCK_CAP)


def _sharing(reg: pl.DataFrame, src: pl.DataFrame, key: str) -> pl.DataFrame:
    """The registrations whose `key` some source record has. A key keeps all its registrations, so the
    block sizes `_small_blocks` counts are unchanged, and a province's millions of keys no source has are
    never counted (each count is a window over every registration)."""
    return reg.join(src.select(key).drop_nulls().unique(), on=key, how="semi")


def _reviewed_pairs(
    reviewed: pl.DataFrame | None, src: pl.DataFrame, reg: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(confirmed links as sid, uscc, method, score; rejected pairs as sid, uscc) of existing records."""
    empty = pl.DataFrame(
        schema={"source_kind": pl.Utf8, "source_id": pl.Utf8, "uscc": pl.Utf8, "decision": pl.Utf8}
    )
    pairs = (
        (reviewed if reviewed is not None else empty)
        .join(src.select("sid", "source_kind", "source_id"), on=["source_kind", "source_id"])
        .join(reg.select("uscc"), on="uscc", how="semi")
    )
    confirmed = (
        pairs.filter(pl.col("decision") == "confirm")
        .unique("sid", keep="last", maintain_order=True)  # the caller orders by decision time
        .select("sid", "uscc", pl.lit("review").alias("method"), pl.lit(1.0).alias("score"))
    )
    return confirmed, pairs.filter(pl.col("decision") == "reject").select("sid", "uscc")


def _exact_pairs(src: pl.DataFrame, reg: pl.DataFrame) -> pl.DataFrame:
    keys = [("norm", "norm", "name"), ("core", "core", "core"), ("parent_norm", "norm", "branch")]
    keys.append(("core", "brand", "short_name"))
    frames = []
    for s_key, r_key, method in keys:
        left = src.select("sid", pl.col(s_key).alias("k")).drop_nulls("k")
        right = _small_blocks(_sharing(reg.select("uscc", pl.col(r_key).alias("k")), left, "k"), "k")
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


def _unique_pairs(src: pl.DataFrame, reg: pl.DataFrame, s_key: str, r_key: str, method: str) -> pl.DataFrame:
    """Pairs on a key that names exactly one registration (a shared brand or person is no evidence)."""
    unique = reg.group_by(r_key).agg(pl.col("uscc").first(), pl.len().alias("n")).filter(pl.col("n") == 1)
    left = src.select("sid", pl.col(s_key).alias("k")).drop_nulls("k")
    return left.join(unique.select(pl.col(r_key).alias("k"), "uscc"), on="k").select(
        "sid", "uscc", pl.lit(method).alias("method"), pl.lit(BASE_SCORES[method]).alias("score")
    )


def _evidence_pairs(src: pl.DataFrame, reg: pl.DataFrame) -> pl.DataFrame:
    """One-character typos of the core, a shared unique brand, a person who is one entity's legal rep."""
    # One wrong character weighs more in a long core (忠雅天企业管理咨询) than in a short one (王记面馆).
    src_keys = _masked_keys(src, "sid")
    # Only keys some source record has can match; a key keeps all its registrations, so the block
    # sizes _small_blocks counts are the same as over all keys (and a million-row window is saved).
    wanted = src_keys.lazy().select("masked")
    reg_keys = _by_slices(
        reg, lambda part: _masked_keys_lazy(part, "uscc").drop("length").join(wanted, on="masked", how="semi")
    )
    typo = (
        src_keys.join(_small_blocks(reg_keys, "masked"), on="masked")
        .group_by("sid", "uscc")
        .agg(pl.col("length").first())
        .select(
            "sid",
            "uscc",
            pl.lit("typo").alias("method"),
            (BASE_SCORES["typo"] + TYPO_PER_CHAR * (pl.col("length") - 4)).clip(0.0, TYPO_MAX).alias("score"),
        )
    )
    brand = _unique_pairs(src.filter(pl.col("brand").str.len_chars() >= 2), reg, "brand", "brand", "brand")
    people = src.filter((pl.col("source_kind") == "alert") & pl.col("name").str.contains(PERSON_NAME))
    reps = reg.filter(pl.col("legal_rep").is_not_null())
    legal_rep = _unique_pairs(
        people.with_columns(pl.col("name").alias("person")), reps, "person", "legal_rep", "legal_rep"
    )
    return pl.concat([typo, brand, legal_rep])


def _premise_pairs(src: pl.DataFrame, reg: pl.DataFrame) -> pl.DataFrame:
    """A survey (排查登记) names a door: at the address of exactly one registration, that is a candidate
    even when the signboard differs from the registered name or is missing (clues are left to names)."""
    surveys = src.filter(pl.col("source_kind") == "survey")
    return _unique_pairs(surveys, reg.drop_nulls("r_addr"), "s_addr", "r_addr", "address")


def _by_slices(frame: pl.DataFrame, build: Callable[[pl.DataFrame], pl.LazyFrame]) -> pl.DataFrame:
    """``build`` applied to SLICE_ROWS rows at a time and concatenated: a province's registrations explode
    to tens of millions of keys, and a slice bounds what the explode holds before its filter."""
    parts = [build(frame.slice(start, SLICE_ROWS)) for start in range(0, max(frame.height, 1), SLICE_ROWS)]
    return pl.concat(part.collect(engine="streaming") for part in parts)


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


def _bigrams(frame: pl.DataFrame, id_col: str, only: pl.DataFrame | None = None) -> pl.DataFrame:
    """id_col, bigram: the distinct character bigrams of each core (only those in `only`, if given)."""
    grams = _bigrams_lazy(frame, id_col)
    if only is None:
        return grams.unique().collect(engine="streaming")
    # Only the kept bigrams of a province's names are ever held, a slice of registrations at a time (a
    # core's bigrams are all in its own row, so slices never split a unique (id, bigram) pair).
    kept = only.lazy()
    return _by_slices(
        frame, lambda part: _bigrams_lazy(part, id_col).join(kept, on="bigram", how="semi").unique()
    )


def _fuzzy_pairs(src: pl.DataFrame, reg: pl.DataFrame) -> pl.DataFrame:
    """Candidates sharing a brand or a rare bigram of the core, scored by rapidfuzz on the cores."""
    src_grams = _bigrams(src, "sid")
    # Bigrams no source record has are never joined; dropping them first leaves every kept bigram's
    # document frequency unchanged.
    reg_grams = _bigrams(reg, "uscc", src_grams.select("bigram").unique())
    rare = reg_grams.group_by("bigram").len().filter(pl.col("len") <= RARE_BIGRAM_MAX_DF).select("bigram")
    by_gram = (
        src_grams.join(rare, on="bigram")
        .join(reg_grams, on="bigram")
        .group_by("sid", "uscc")
        .len("shared")
        # uscc breaks ties in shared bigrams: which candidates make the cut is the same every run
        .sort(["sid", "shared", "uscc"], descending=[False, True, False])
        .group_by("sid", maintain_order=True)
        .head(MAX_CANDIDATES)
        .select("sid", "uscc")
    )
    brands = _small_blocks(_sharing(reg.select("uscc", "brand"), src, "brand"), "brand")
    by_brand = src.select("sid", "brand").join(brands, on="brand").select("sid", "uscc")
    pairs = pl.concat([by_gram, by_brand]).unique()
    pairs = pairs.join(src.select("sid", pl.col("core").alias("s_core")), on="sid").join(
        reg.select("uscc", pl.col("core").alias("r_core")), on="uscc"
    )
    scores = _pair_scores(pairs["s_core"], pairs["r_core"], fuzz.ratio)
    capped = (scores / 100.0).clip(0.0, FUZZY_CAP)
    return pairs.select(
        "sid", "uscc", pl.lit("fuzzy").alias("method"), pl.Series("score", capped, dtype=pl.Float64)
    )


def _pair_scores(left: pl.Series, right: pl.Series, scorer: Callable[..., float]) -> np.ndarray:
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


def _adjust_for_address(pairs: pl.DataFrame, src: pl.DataFrame, reg: pl.DataFrame) -> pl.DataFrame:
    """Address or grid agreement lifts a candidate a little; a different town, grid or address lowers it.

    `rank` keeps the lift above 1.0, so that of several registrations with the same name the one at
    the clue's address or grid wins (a district holds many 于记蔬菜种植园); `score` is clipped to [0, 1].
    """
    pairs = pairs.join(
        src.select("sid", "s_addr", pl.col("town").alias("s_town"), pl.col("grid").alias("s_grid")), on="sid"
    ).join(reg.select("uscc", "r_addr", "r_town", "r_grid"), on="uscc")
    both = pairs["s_addr"].is_not_null() & pairs["r_addr"].is_not_null()
    # Only pairs with both addresses are compared, and the same text scores 100 without rapidfuzz: at a
    # million registrations 0.44 of 1.8 million candidate pairs still need it (a survey at its own door).
    same = both & (pairs["s_addr"] == pairs["r_addr"])
    addr_sim = np.where(same.to_numpy(), 100.0, 0.0)
    compare = (both & ~same).arg_true()
    addr_sim[compare.to_numpy()] = _pair_scores(
        pairs["s_addr"].gather(compare), pairs["r_addr"].gather(compare), fuzz.partial_ratio
    )
    addr_sim = addr_sim / 100.0
    pairs = pairs.with_columns(pl.Series("addr_sim", addr_sim), both.alias("both_addr"))
    bonus = (
        pl.when(pl.col("both_addr") & (pl.col("addr_sim") >= 0.85))
        .then(0.05)
        .when(pl.col("both_addr") & (pl.col("addr_sim") < 0.5))
        .then(-0.10)
        .otherwise(0.0)
    )
    town_clash = (
        pl.col("s_town").is_not_null()
        & pl.col("r_town").is_not_null()
        & (pl.col("s_town") != pl.col("r_town"))
    )
    penalty = pl.when(town_clash).then(-0.10).otherwise(0.0)
    both_grid = pl.col("s_grid").is_not_null() & pl.col("r_grid").is_not_null()
    grid = (
        pl.when(both_grid & (pl.col("s_grid") == pl.col("r_grid")))
        .then(GRID_LIFT)
        .when(both_grid)
        .then(-GRID_LIFT)
        .otherwise(0.0)
    )
    rank = (pl.col("score") + bonus + penalty + grid).clip(lower_bound=0.0)
    return pairs.with_columns(rank.alias("rank_score"), rank.clip(0.0, 1.0).alias("score")).select(
        "sid", "uscc", "method", "score", "rank_score"
    )


def resolve(
    regs: pl.DataFrame,
    sources: pl.DataFrame,
    contexts: pl.DataFrame | None = None,
    reviewed: pl.DataFrame | None = None,
    chunk_rows: int = SOURCE_CHUNK,
    context_rows: int = CONTEXT_CHUNK,
) -> Resolution:
    """Decide one registered entity per source record, or review, or unmatched.

    contexts (source_kind, source_id, context) adds links to companies named inside clue text.
    reviewed (source_kind, source_id, uscc, decision 'confirm' | 'reject') are an analyst's decisions
    (fundrisk review import): a confirmed pair is the record's link (method 'review'), a rejected pair is
    never a link nor a candidate again.

    Each record is decided on its own candidates, and every count a step takes (block sizes, unique keys,
    bigram frequencies) is over registrations, so records are resolved `chunk_rows` at a time with the
    same result: a province's candidate pairs and keys are held a chunk at a time (clue texts likewise,
    `context_rows` at a time)."""
    reg = prepare_registrations(regs)
    chunks = [
        _resolve_records(reg, sources.slice(start, chunk_rows), reviewed)
        for start in range(0, max(sources.height, 1), chunk_rows)
    ]
    links = pl.concat([c.links for c in chunks])
    if contexts is not None:
        refused = _decided(reviewed, "reject").select("source_kind", "source_id", "uscc")
        parts = [
            mention_links(contexts.slice(start, context_rows), reg)
            for start in range(0, max(contexts.height, 1), context_rows)
        ]
        named = pl.concat(parts).join(links, on=["source_kind", "source_id", "uscc"], how="anti")
        links = pl.concat([links, named.join(refused, on=["source_kind", "source_id", "uscc"], how="anti")])
    return Resolution(
        links.sort("source_kind", "source_id", "uscc"),
        pl.concat([c.review for c in chunks]).sort("source_kind", "source_id", "rank"),
        pl.concat([c.unmatched for c in chunks]).sort("source_kind", "source_id"),
    )


def _decided(reviewed: pl.DataFrame | None, decision: str) -> pl.DataFrame:
    """An analyst's pairs with this decision (none when nothing was reviewed)."""
    if reviewed is None:
        return pl.DataFrame(schema={"source_kind": pl.Utf8, "source_id": pl.Utf8, "uscc": pl.Utf8})
    return reviewed.filter(pl.col("decision") == decision)


def _resolve_records(reg: pl.DataFrame, sources: pl.DataFrame, reviewed: pl.DataFrame | None) -> Resolution:
    """resolve() for one chunk of source records, without the mentions in clue text."""
    src = prepare_sources(sources)
    confirmed, rejected = _reviewed_pairs(reviewed, src, reg)
    by_code = src.select("sid", "uscc").drop_nulls("uscc").join(reg.select("uscc"), on="uscc")
    code_links = by_code.with_columns(pl.lit("code").alias("method"), pl.lit(1.0).alias("score"))
    # The holder's ID of a personal account decides like a code does: it names the person, and a person
    # who represents exactly one registration names that registration (名称 look-alikes do not compete).
    by_holder = _unique_pairs(
        src.select("sid", "holder_id").join(by_code.select("sid"), on="sid", how="anti"),
        reg.drop_nulls("rep_id"),
        "holder_id",
        "rep_id",
        "holder_id",
    )
    code_links = pl.concat([code_links.select("sid", "uscc", "method", "score"), by_holder])
    if confirmed.height or rejected.height:  # an analyst's decisions decide like a code does
        code_links = pl.concat(
            [
                code_links.join(rejected, on=["sid", "uscc"], how="anti").join(
                    confirmed, on="sid", how="anti"
                ),
                confirmed,
            ]
        )
    # Only the columns the name, address and person steps read: at a province these copies are millions of rows.
    rest = src.select(MATCH_COLUMNS).join(code_links.select("sid"), on="sid", how="anti")
    src = src.select("sid", "source_kind", "source_id", "name", "core", "s_addr", "town")
    exact, premise = _exact_pairs(rest, reg), _premise_pairs(rest, reg)
    # A survey whose signboard names a registration exactly, or that stands at the only registration with
    # its address, needs no look-alikes: typo and fuzzy candidates for tens of thousands of doors (and their
    # address comparisons) would cost most of the resolution's time and decide nothing.
    settled = pl.concat([exact, premise]).join(
        rest.filter(pl.col("source_kind") == "survey"), on="sid", how="semi"
    )
    open_ = rest.join(settled.select("sid").unique(), on="sid", how="anti")
    pairs = pl.concat([exact, _evidence_pairs(open_, reg), _fuzzy_pairs(open_, reg), premise])
    pairs = _person_accounts(pairs, rest, reg)
    if rejected.height:
        pairs = pairs.join(rejected, on=["sid", "uscc"], how="anti")
    pairs = _adjust_for_address(pairs, rest, reg)
    best = (
        # uscc last: equal candidates rank the same way every run (review lists stay stable)
        pairs.sort(["sid", "rank_score", "method", "uscc"], descending=[False, True, False, False])
        .unique(["sid", "uscc"], keep="first", maintain_order=True)
        .with_columns(pl.col("rank_score").rank("ordinal", descending=True).over("sid").alias("rank"))
    )
    top = best.filter(pl.col("rank") == 1)
    second = best.filter(pl.col("rank") == 2).select("sid", pl.col("rank_score").alias("runner_up"))
    decided = top.join(second, on="sid", how="left").with_columns(pl.col("runner_up").fill_null(0.0))
    margin = pl.when(pl.col("method").is_in(["name", "core", "branch"])).then(EXACT_MARGIN).otherwise(MARGIN)
    sure = (pl.col("score") >= ACCEPT) & (pl.col("rank_score") - pl.col("runner_up") >= margin)
    linked = pl.concat(
        [
            code_links.select("sid", "uscc", "method", "score"),
            decided.filter(sure).select("sid", "uscc", "method", "score"),
        ]
    )
    doubtful = decided.filter(~sure & (pl.col("score") >= REVIEW_FLOOR)).select("sid")
    review = best.join(doubtful, on="sid").filter((pl.col("rank") <= 5) & (pl.col("score") >= REVIEW_FLOOR))
    keys = src.select("sid", "source_kind", "source_id", "name")
    links = linked.join(keys, on="sid").select("source_kind", "source_id", "uscc", "method", "score")
    review_out = (
        review.join(keys, on="sid")
        .join(reg.select("uscc", "reg_name"), on="uscc")
        .select(
            "source_kind",
            "source_id",
            pl.col("name").alias("subject_name"),
            "uscc",
            pl.col("reg_name").alias("candidate_name"),
            "score",
            pl.col("rank").cast(pl.Int32),
            "method",
        )
    )
    # Everything not linked is unmatched (a lead candidate), including records also sent to review:
    # an unregistered operator must not disappear behind a weak look-alike registration.
    unmatched = src.join(linked.select("sid"), on="sid", how="anti").select(
        "source_kind", "source_id", "name", "core", pl.col("s_addr").alias("address_key"), "town"
    )
    return Resolution(links, review_out, unmatched)
