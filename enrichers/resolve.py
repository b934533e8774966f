"""Link alerts and clues to registered entities (entity resolution, step 2).

Tiers, tried together and decided per source record: exact code → exact normalised name → same
core name → branch of a registered parent → short name (字号) → blocked fuzzy match on the core
(rapidfuzz, candidates only from shared brand or rare character bigrams, never all pairs), with
address and town agreement. A record whose best candidate does not clearly beat the runner-up
goes to review instead of being guessed. The candidates come from enrichers/resolve_candidates.py; here
they are weighed and decided, records a chunk at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import polars as pl
from rapidfuzz import fuzz

from enrichers.detach import detached
from enrichers.mentions import mention_links
from enrichers.names import address_key, ensure_name_keys, name_parts
from enrichers.resolve_candidates import (
    PERSON_NAME,
    evidence_pairs,
    exact_pairs,
    fuzzy_pairs,
    pair_scores,
    premise_pairs,
    rare_bigrams,
    unique_pairs,
)

ACCEPT = 0.80  # lowest score that links
MARGIN = 0.08  # how far the best must beat the runner-up
EXACT_MARGIN = 0.025  # an exact name or core only has to beat a look-alike by a little
REVIEW_FLOOR = 0.60  # below this a candidate is not worth an analyst's time
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
REVIEW_SCHEMA = {"source_kind": pl.Utf8, "source_id": pl.Utf8, "uscc": pl.Utf8, "decision": pl.Utf8}
GRID_LIFT = 0.04  # same 网格 as the clue: a small lift; another grid of the same town: a small penalty


@dataclass(frozen=True)
class Resolution:
    links: pl.DataFrame  # source_kind, source_id, uscc, method, score
    review: pl.DataFrame  # source_kind, source_id, subject_name, uscc, candidate_name, score, rank
    unmatched: pl.DataFrame  # source_kind, source_id, name, core, address_key, town


def prepare_registrations(regs: pl.DataFrame) -> pl.DataFrame:
    """uscc, name, address, town → plus norm, core, brand, addr (computed once per run).

    A province's frame (fundrisk/stages/resolve_sources.py) comes keyed, with `rep_id` (id_key of the
    legal representative's ID) made a slice at a time, and without `name`: its review candidates' names
    are added by the caller, so that ten million names are not held through the resolution."""
    regs = ensure_name_keys(regs)

    def column(name: str) -> pl.Series:
        return regs[name] if name in regs.columns else pl.repeat(None, regs.height, dtype=pl.Utf8, eager=True)

    if "rep_id" in regs.columns:
        rep_id = regs["rep_id"]
    else:
        rep_id = id_key(regs["legal_rep_id"]) if "legal_rep_id" in regs.columns else column("legal_rep_id")
    return pl.DataFrame(
        {
            "uscc": regs["uscc"],
            "reg_name": column("name"),
            "r_addr": regs["addr_key"],
            "r_town": column("town"),
            "r_grid": column("grid"),
            "legal_rep": column("legal_rep"),
            "rep_id": rep_id.cast(pl.Utf8),
        }
    ).hstack(regs.select("norm", "core", "brand").get_columns())


def prepare_sources(sources: pl.DataFrame) -> pl.DataFrame:
    """source_kind, source_id, name, uscc, address, town, mention → plus sid and name keys."""
    parts = name_parts(sources["name"])
    for missing in {"grid", "holder_id"} - set(sources.columns):
        sources = sources.with_columns(pl.lit(None, dtype=pl.Utf8).alias(missing))
    sources = sources.with_columns(id_key(sources["holder_id"]).alias("holder_id"))
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


def id_key(ids: pl.Series) -> pl.Series:
    """An ID number as a join key: no spaces, upper-case X; empty is null."""
    key = ids.cast(pl.Utf8).str.replace_all(r"\s", "").str.to_uppercase()
    return pl.select(pl.when(key.str.len_chars() > 0).then(key)).to_series()


def _reviewed_pairs(
    reviewed: pl.DataFrame | None, src: pl.DataFrame, reg: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(confirmed links as sid, uscc, method, score; rejected pairs as sid, uscc) of existing records."""
    pairs = (
        _reviews(reviewed)
        .join(src.select("sid", "source_kind", "source_id"), on=["source_kind", "source_id"])
        .join(reg.select("uscc"), on="uscc", how="semi")
    )
    confirmed = (
        pairs.filter(pl.col("decision") == "confirm")
        .unique("sid", keep="last", maintain_order=True)  # the caller orders by decision time
        .select("sid", "uscc", pl.lit("review").alias("method"), pl.lit(1.0).alias("score"))
    )
    return confirmed, pairs.filter(pl.col("decision") == "reject").select("sid", "uscc")


def _adjust_for_address(pairs: pl.DataFrame, src: pl.DataFrame, reg: pl.DataFrame) -> pl.DataFrame:
    """Address or grid agreement lifts a candidate a little; a different town, grid or address lowers it.

    `rank` keeps the lift above 1.0, so that of several registrations with the same name the one at
    the clue's address or grid wins (a district holds many 于记蔬菜种植园); `score` is clipped to [0, 1].
    """
    pairs = pairs.join(
        src.select("sid", "s_addr", pl.col("town").alias("s_town"), pl.col("grid").alias("s_grid")), on="sid"
    ).join(reg.select("uscc", "r_addr", "r_town", "r_grid"), on="uscc")
    pairs = pairs.with_columns(pl.col("r_town", "r_grid").cast(pl.Utf8))  # categorical at a province
    both = pairs["s_addr"].is_not_null() & pairs["r_addr"].is_not_null()
    # Only pairs with both addresses are compared, and the same text scores 100 without rapidfuzz: at a
    # million registrations 0.44 of 1.8 million candidate pairs still need it (a survey at its own door).
    same = both & (pairs["s_addr"] == pairs["r_addr"])
    addr_sim = np.where(same.to_numpy(), 100.0, 0.0)
    compare = (both & ~same).arg_true()
    addr_sim[compare.to_numpy()] = pair_scores(
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
    sources: pl.DataFrame | Iterable[pl.DataFrame],
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
    `context_rows` at a time). `sources` may also be the chunks themselves (read as they are resolved);
    then they are taken as they come, and there must be at least one."""
    reg = prepare_registrations(regs)
    if isinstance(sources, pl.DataFrame):
        frame = sources
        sources = [frame.slice(start, chunk_rows) for start in range(0, max(frame.height, 1), chunk_rows)]
    rare = rare_bigrams(reg)  # the same for every chunk
    chunks = [_resolve_records(reg, part, reviewed, rare) for part in sources]
    links = pl.concat([c.links for c in chunks])
    if contexts is not None:
        refused = (
            _reviews(reviewed)
            .filter(pl.col("decision") == "reject")
            .select("source_kind", "source_id", "uscc")
        )
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


def _reviews(reviewed: pl.DataFrame | None) -> pl.DataFrame:
    """An analyst's decisions (source_kind, source_id, uscc, decision); none when nothing was reviewed."""
    return reviewed if reviewed is not None else pl.DataFrame(schema=REVIEW_SCHEMA)


def _resolve_records(
    reg: pl.DataFrame, sources: pl.DataFrame, reviewed: pl.DataFrame | None, rare: pl.DataFrame
) -> Resolution:
    """resolve() for one chunk of source records, without the mentions in clue text."""
    src = prepare_sources(sources)
    confirmed, rejected = _reviewed_pairs(reviewed, src, reg)
    by_code = src.select("sid", "uscc").drop_nulls("uscc").join(reg.select("uscc"), on="uscc")
    code_links = by_code.with_columns(pl.lit("code").alias("method"), pl.lit(1.0).alias("score"))
    # The holder's ID of a personal account decides like a code does: it names the person, and a person
    # who represents exactly one registration names that registration (名称 look-alikes do not compete).
    by_holder = unique_pairs(
        src.select("sid", "holder_id").join(by_code.select("sid"), on="sid", how="anti"),
        reg,  # a null rep_id never joins: no copy of a province's frame to drop them
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
    exact, premise = exact_pairs(rest, reg), premise_pairs(rest, reg)
    # A survey whose signboard names a registration exactly, or that stands at the only registration with
    # its address, needs no look-alikes: typo and fuzzy candidates for tens of thousands of doors (and their
    # address comparisons) would cost most of the resolution's time and decide nothing.
    settled = pl.concat([exact, premise]).join(
        rest.filter(pl.col("source_kind") == "survey"), on="sid", how="semi"
    )
    open_ = rest.join(settled.select("sid").unique(), on="sid", how="anti")
    pairs = pl.concat([exact, evidence_pairs(open_, reg), fuzzy_pairs(open_, reg, rare), premise])
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
    return Resolution(detached(links), detached(review_out), detached(unmatched))
