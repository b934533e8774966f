"""Change records of the registry snapshot: frequent key changes, single changes, repeaters' links."""

from __future__ import annotations

import numpy as np
import polars as pl

from fundrisk.synth.names import gather, person_names
from fundrisk.synth.plan import INDIVIDUAL, SHARED, Plan
from fundrisk.synth.snapshot_util import _S, NOW, _between, _counts, _expand

_CHANGE = [
    "法定代表人变更",
    "住所变更",
    "名称变更",
    "经营范围变更",
    "注册资本（出资额）变更",
    "投资人（股权）变更",
]
LEGAL_REP, ADDRESS, NAME, SCOPE, CAPITAL, HOLDER = range(6)
_FREQ_CATS = [0.45, 0.25, 0.1, 0.2]


def _changes(
    rng: np.random.Generator,
    df: pl.DataFrame,
    plan: Plan,
    known: pl.DataFrame,
    rows: np.ndarray,
    kind: np.ndarray,
    planted: np.ndarray,
    ordinary: np.ndarray,
    ground: np.ndarray,
    est: np.ndarray,
    start: int,
    stop: int,
) -> pl.DataFrame:
    """Change records: frequent key changes for planted rows, single changes, and repeaters' links."""
    n = rows.size
    # Frequent: 2-4 changes of one key category inside a year.
    p_freq = np.select([ground >= 0, planted, ordinary], [0.5, 0.38, 0.004], 0.0)
    n_freq = _counts(rng, p_freq, [2, 3, 4], [0.5, 0.35, 0.15])
    n_freq = np.where(ordinary, np.minimum(n_freq, 2), n_freq)
    cat = rng.choice(4, n, p=_FREQ_CATS)
    cat = np.where((kind == INDIVIDUAL) & (cat == NAME), ADDRESS, cat)
    r, seq = _expand(rows, n_freq)
    first = _between(rng, est[r] + 1, np.minimum(np.maximum(est[r] + 1, NOW - 60), NOW))
    start_day = np.zeros(n, dtype=np.int64)
    start_day[r[seq == 0]] = first[seq == 0]
    span = (rng.random(r.size) * 330).astype(np.int64) * (seq > 0)
    freq = pl.DataFrame({"_r": r, "_cat": cat[r], "_day": np.minimum(start_day[r] + span, NOW)})
    # Single changes: any category on any day after establishment.
    p_one = np.select([planted, ordinary], [0.2, 0.08], 0.0)
    one = rows[rng.random(n) < p_one]
    one_cat = rng.choice(6, one.size, p=[0.25, 0.2, 0.05, 0.2, 0.15, 0.15])
    single = pl.DataFrame({"_r": one, "_cat": one_cat, "_day": _between(rng, est[one] + 30, NOW)})
    long = pl.concat([freq, single]).with_columns(
        pl.col("_cat").cast(pl.Int64), pl.col("_day").cast(pl.Int64)
    )
    long = long.sort("_r", "_cat", "_day")
    m = long.height
    lr = long["_r"].to_numpy()
    # A previous value per change; the last change of a category ends at the current value.
    other = _same_kind(rng, kind, lr)
    current = pl.DataFrame(
        {
            "cur_legal_rep": df["legal_rep"].gather(lr),
            "cur_address": df["address"].gather(lr),
            "cur_name": df["name"].gather(lr),
            "cur_scope": df["business_scope"].gather(lr),
            "cur_capital": df["registered_capital"].gather(lr),
        }
    )
    prev = pl.DataFrame(
        {
            "p_person": person_names(rng, m),
            "p_address": df["address"].gather(other),
            "p_name": _rebrand(df["name"].gather(lr), df["_brand"].gather(lr), df["_brand"].gather(other)),
            "p_scope": df["business_scope"].gather(other),
            "p_capital": pl.Series(rng.choice([3, 5, 10, 30, 50, 100], m)).cast(_S) + "万元",
        }
    )
    c = pl.col("_cat")
    before = (
        pl.when(c == LEGAL_REP)
        .then("p_person")
        .when(c == ADDRESS)
        .then("p_address")
        .when(c == NAME)
        .then("p_name")
        .when(c == SCOPE)
        .then("p_scope")
        .when(c == CAPITAL)
        .then("p_capital")
        .otherwise("p_person")
    )
    last = (
        pl.when(c == LEGAL_REP)
        .then("cur_legal_rep")
        .when(c == ADDRESS)
        .then("cur_address")
        .when(c == NAME)
        .then("cur_name")
        .when(c == SCOPE)
        .then("cur_scope")
        .when(c == CAPITAL)
        .then(pl.col("cur_capital").fill_null("未登记"))
        .otherwise(pl.concat_str("p_person", pl.lit("、"), "cur_legal_rep"))
    )
    items = gather(_CHANGE, long["_cat"].to_numpy())
    shop = pl.Series(kind[lr] == INDIVIDUAL)
    long = pl.concat([long, current, prev], how="horizontal").with_columns(
        before.alias("before"), last.alias("_last"), items.alias("item"), shop.alias("_shop")
    )
    long = long.with_columns(
        pl.col("before").shift(-1).over("_r", "_cat").fill_null(pl.col("_last")).alias("after"),
        pl.when(pl.col("_shop") & (c == ADDRESS))
        .then(pl.lit("经营场所变更"))
        .when(pl.col("_shop") & (c == LEGAL_REP))
        .then(pl.lit("经营者（负责人）变更"))
        .otherwise("item")
        .alias("item"),
    ).select("_r", "_day", "item", "before", "after")
    links = _repeater_links(rng, df, plan, known, start, stop)
    return (
        pl.concat([long, links])
        .sort("_r", "_day", maintain_order=True)
        .select(
            "_r",
            pl.int_range(pl.len()).alias("_seq"),
            pl.col("_day").cast(pl.Int32).cast(pl.Date).dt.strftime("%Y-%m-%d").alias("changed_on"),
            "item",
            "before",
            "after",
        )
    )


def _rebrand(name: pl.Series, brand: pl.Series, new: pl.Series) -> pl.Series:
    """Names with their 字号 replaced (a plausible former name); unchanged where the 字号 is absent."""
    frame = pl.DataFrame({"a": name, "b": brand, "c": new})
    parts = pl.col("a").str.split(pl.col("b"))
    swapped = pl.concat_str(parts.list.first(), "c", parts.list.slice(1).list.join(pl.col("b")))
    return frame.select(pl.when(parts.list.len() < 2).then("a").otherwise(swapped)).to_series()


def _same_kind(rng: np.random.Generator, kind: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For each of rows, a random row of the chunk with the same entity kind."""
    order = np.argsort(kind, kind="stable")
    first = np.searchsorted(kind[order], np.arange(kind.max(initial=0) + 2))
    k = kind[rows]
    size = first[k + 1] - first[k]
    return order[first[k] + (rng.random(rows.size) * size).astype(np.int64)]


def _repeater_links(
    rng: np.random.Generator, df: pl.DataFrame, plan: Plan, known: pl.DataFrame, start: int, stop: int
) -> pl.DataFrame:
    """Repeaters' change records that name their prior: its legal rep, or the prior company as investor."""
    sel = (plan.repeaters >= start) & (plan.repeaters < stop)
    ridx, pidx = plan.repeaters[sel], plan.rep_prior[sel]
    shared = np.array(SHARED)[plan.rep_shared[sel]]
    pool = pl.concat([known.select("_idx", "name", "legal_rep"), df.select("_idx", "name", "legal_rep")])
    prior = pl.DataFrame({"_idx": pidx}).join(
        pool.unique("_idx"), on="_idx", how="left", maintain_order="left"
    )
    own = df.select("name", "legal_rep")[ridx - start]
    est = df["_est"].to_numpy().astype(np.int64)[ridx - start]
    # Legal-rep link (unless they already share the legal rep), investor link, or both.
    u = rng.random(ridx.size)
    rep_link = (shared != "id") & (u < 0.6)
    holder_link = (u >= 0.3) | (shared == "id")
    day_rep = _between(rng, est + 20, NOW)
    day_holder = _between(rng, est + 10, NOW)
    r = ridx - start
    reps = pl.DataFrame(
        {
            "_r": r,
            "_day": day_rep,
            "item": pl.Series([_CHANGE[LEGAL_REP]] * r.size, dtype=_S),
            "before": prior["legal_rep"],
            "after": own["legal_rep"],
        }
    ).filter(pl.Series(rep_link))
    holders = pl.DataFrame(
        {
            "_r": r,
            "_day": day_holder,
            "item": pl.Series([_CHANGE[HOLDER]] * r.size, dtype=_S),
            "before": prior["name"],
            "after": own["legal_rep"],
        }
    ).filter(pl.Series(holder_link))
    return pl.concat([reps, holders]).with_columns(pl.col("_r").cast(pl.Int64), pl.col("_day").cast(pl.Int64))
