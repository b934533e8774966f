"""Priors (entities with a risk finding) and repeat offenders (new registrations tied to them)."""

from __future__ import annotations

import numpy as np
import polars as pl

from fundrisk.synth.plan import GROUNDS, SHARED, Plan
from fundrisk.synth.registry import days

# How a brand repeater (shared = "brand") is also tied to its prior, by repeater number modulo 5: a brand
# alone is no evidence, so it re-registers in the prior's industry and town (0-2), or also shares the
# prior's phone (3) or its specific address (4).
BRAND_SAME_BLOCK, BRAND_PHONE, BRAND_ADDRESS = (0, 1, 2), 3, 4
_PRIOR_COLS = [
    "legal_rep",
    "legal_rep_id",
    "phone",
    "address",
    "town",
    "grid",
    "_phrase",
    "industry",
    "business_scope",
]
# What a repeater's row takes over from its prior (the shared attributes) or rebuilds (name, brand, dates).
_TIED = [*_PRIOR_COLS, "name", "_brand", "established_on", "_est"]


def apply_priors(df: pl.DataFrame, plan: Plan, start: int, stop: int) -> pl.DataFrame:
    """Priors revoked after a risk finding get status 吊销 (confirmed ones half the time)."""
    sel = (plan.priors >= start) & (plan.priors < stop)
    if not sel.any():
        return df
    ground = plan.prior_ground[sel]
    pidx = plan.priors[sel]
    revoked = (ground == GROUNDS.index("revoked")) | (
        (ground == GROUNDS.index("confirmed")) & (pidx % 2 == 0)
    )
    upd = pl.DataFrame(
        {"_idx": pidx[revoked], "status": pl.Series(["吊销"] * int(revoked.sum()), dtype=pl.String)}
    )
    return df.update(upd, on="_idx")


def apply_repeaters(df: pl.DataFrame, plan: Plan, known: pl.DataFrame, start: int, stop: int) -> pl.DataFrame:
    """Copy the shared attribute from each repeater's prior (already built: priors precede repeaters)."""
    sel = (plan.repeaters >= start) & (plan.repeaters < stop)
    if not sel.any():
        return df
    ridx = plan.repeaters[sel]
    est = days("2025-07-01") + (ridx * 7919) % 480
    reps = pl.DataFrame(
        {
            "_idx": ridx,
            "_prior": plan.rep_prior[sel],
            "_shared": pl.Series(np.array(SHARED)[plan.rep_shared[sel]], dtype=pl.String),
            "_est": pl.Series(est, dtype=pl.Int32),
        }
    ).with_columns(established_on=pl.col("_est").cast(pl.Date).dt.strftime("%Y-%m-%d"))
    need = ["_idx", *_PRIOR_COLS, "_pre", "_near", "_mid"]
    pool = pl.concat([known.select(need), df.select(need)]) if known.height else df.select(need)
    prior = pool.select(
        pl.col("_idx").alias("_prior"),
        *(pl.col(c).alias("p" + c) for c in _PRIOR_COLS),
        pl.col("_pre").alias("p_pre"),
        pl.col("_near").alias("p_near"),
        pl.col("_mid").alias("p_mid"),
    )
    own = df.select("_idx", "name", "_brand", "_form", *_PRIOR_COLS)
    joined = reps.join(prior, on="_prior", how="left").join(own, on="_idx", how="left")
    s = pl.col("_shared")
    how = pl.col("_idx") % 5
    brand = s == "brand"
    block = brand & how.is_in(list(BRAND_SAME_BLOCK))
    # Down the street from the prior: same town, road and grid, another door number (no address tie).
    door = pl.col("paddress").str.extract_groups(r"^(.*?)(\d+)(号.*)$")
    moved = pl.concat_str(
        door.struct.field("1"),
        (door.struct.field("2").cast(pl.Int64) + pl.col("_idx") % 37 + 1).cast(pl.String),
        door.struct.field("3"),
    )

    def pick(col: str, when: pl.Expr) -> pl.Expr:
        return pl.when(when).then(pl.col("p" + col)).otherwise(pl.col(col)).alias(col)

    same_address = (s == "address") | (brand & (how == BRAND_ADDRESS))
    upd = joined.select(
        "_idx",
        pick("legal_rep", s == "id"),
        pick("legal_rep_id", s == "id"),
        pick("phone", (s == "phone") | (brand & (how == BRAND_PHONE))),
        pl.when(same_address)
        .then(pl.col("paddress"))
        .when(block)
        .then(pl.coalesce(moved, pl.col("paddress")))
        .otherwise(pl.col("address"))
        .alias("address"),
        pick("town", same_address | block),
        pick("grid", same_address | block),
        pick("_phrase", block),
        pick("industry", block),
        pick("business_scope", block),
        pl.when(brand)
        .then(
            pl.concat_str(
                "p_pre", "p_near", "p_mid", pl.when(block).then("p_phrase").otherwise("_phrase"), "_form"
            )
        )
        .otherwise("name")
        .alias("name"),
        pl.when(brand).then(pl.col("p_near")).otherwise(pl.col("_brand")).alias("_brand"),
        "established_on",
        "_est",
    )
    return df.update(upd.select(["_idx", *_TIED]), on="_idx")


def repeat_table(plan: Plan, specials: pl.DataFrame) -> pl.DataFrame:
    """Ground truth for repeat offenders: uscc, prior_uscc, shared, prior_ground."""
    ground = dict(zip(plan.priors.tolist(), plan.prior_ground.tolist(), strict=True))
    frame = pl.DataFrame(
        {
            "_idx": plan.repeaters,
            "_prior": plan.rep_prior,
            "shared": pl.Series(np.array(SHARED)[plan.rep_shared], dtype=pl.String),
            "prior_ground": pl.Series([GROUNDS[ground[p]] for p in plan.rep_prior.tolist()], dtype=pl.String),
        }
    )
    codes = specials.select("_idx", "uscc")
    return (
        frame.join(codes, on="_idx", how="left")
        .join(codes.rename({"_idx": "_prior", "uscc": "prior_uscc"}), on="_prior", how="left")
        .select("uscc", "prior_uscc", "shared", "prior_ground")
    )
