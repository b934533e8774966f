"""The registrar's rule: no two registrations of one district carry the same name.

《企业名称登记管理规定》 (2020) and the 个体工商户 naming rules refuse a name already registered with the
same authority, so an applicant whose 字号 is taken picks another: a shop owner typically writes their
own name (张建国保健品店) or a 老张记, a company draws another 字号. Brands still collide (a 字号 is shared
across industries and towns at realistic rates); only whole names are unique. Priors, their repeat
offenders and licensed institutions keep their names: their ties are planted on purpose.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from fundrisk.synth.names import brand_indices, brand_strings
from fundrisk.synth.plan import COMPANY, COOP, INDIVIDUAL, Plan

MAX_ROUNDS = 12


def _name(brand: pl.Expr) -> pl.Expr:
    """The registered name of a row for a given 字号, from the parts build_chunk kept."""
    k = pl.col("_kind")
    return (
        pl.when(k == COMPANY)
        .then(pl.concat_str("_pre", brand, "_mid", "_phrase", "_form"))
        .when(k == INDIVIDUAL)
        .then(pl.concat_str("_shop_pre", brand, "_shop"))
        .when(k == COOP)
        .then(pl.concat_str(pl.lit("淄博文昌湖区"), brand, "_coop", pl.lit("专业合作社")))
        .otherwise(pl.col("name"))
    )


def _clashes(df: pl.DataFrame, taken: pl.Series) -> pl.Series:
    """Rows whose name an earlier row (this chunk in _idx order, or an earlier chunk) already holds."""
    later = df.select(pl.int_range(pl.len()).over("name") > 0).to_series()  # rows are in priority order
    return later | df["name"].is_in(taken.implode())


def unique_names(
    df: pl.DataFrame, plan: Plan, taken: pl.Series, rng: np.random.Generator
) -> tuple[pl.DataFrame, pl.Series]:
    """(the chunk with every name unique in the district so far, the names now taken)."""
    fixed = np.isin(df["_idx"].to_numpy(), np.concatenate([plan.priors, plan.repeaters])) | (
        df["_kind"].to_numpy() > COOP
    )
    # Planted names go first, so a name clash always moves the ordinary registration.
    df = df.with_columns(pl.Series("_movable", ~fixed)).sort("_movable", "_idx")
    movable = df["_movable"]
    for round_ in range(MAX_ROUNDS):
        clash = _clashes(df, taken) & movable
        m = int(clash.sum())
        if m == 0:
            break
        if round_ == 0:  # the owner's own name (shops, cooperatives), a fresh 字号 (companies)
            fresh = brand_strings(brand_indices(rng, m))
            own = df.filter(clash)["legal_rep"]
            brand = pl.select(
                pl.when(df.filter(clash)["_kind"] == COMPANY).then(fresh).otherwise(own)
            ).to_series()
        elif round_ == 1:  # 老张记
            rep = df.filter(clash)["legal_rep"]
            brand = pl.select(pl.lit("老") + rep.str.slice(0, 1) + pl.lit("记")).to_series()
        else:  # another 字号, then the owner's given name before it (鑫源建国)
            fresh = brand_strings(brand_indices(rng, m))
            given = df.filter(clash)["legal_rep"].str.slice(1)
            brand = fresh if round_ < MAX_ROUNDS // 2 else pl.select(fresh + given).to_series()
        update = df.filter(clash).select("_idx").with_columns(brand.alias("_brand"))
        df = df.update(update, on="_idx").with_columns(
            pl.when(pl.col("_idx").is_in(update["_idx"].implode()))
            .then(_name(pl.col("_brand")))
            .otherwise(pl.col("name"))
            .alias("name")
        )
    df = df.sort("_idx").drop("_movable")
    return df, pl.concat([taken, df["name"]])
