"""Clues (线索) in natural Chinese, with the ways people actually write the subject's name."""

from __future__ import annotations

import numpy as np
import polars as pl

from fundrisk.synth import district, events, ids
from fundrisk.synth.names import BRAND_CHARS, TYPO_CHARS, gather, person_names, to_fullwidth, to_traditional
from fundrisk.synth.schemes import (
    CHANNEL_WEIGHTS,
    CHANNELS,
    CLOSERS,
    NOISE_BODIES,
    OPENERS,
    RELATIVES,
    SCHEME_NAMES,
    SCHEMES,
    UNREG_SHOPS,
)

VARIANTS = ["exact", "short_name", "typo", "shop_name", "traditional", "fullwidth"]
VARIANT_P = [0.28, 0.16, 0.14, 0.16, 0.14, 0.12]
COLUMNS = [
    "clue_id",
    "received_on",
    "subject_name",
    "content",
    "channel",
    "subject_uscc",
    "subject_address",
    "reporter_name",
    "reporter_phone",
    "claimed_participants",
    "claimed_amount",
    "town",
    "grid",
]
_BRANCH = ["（文昌湖店）", "（萌水店）", "（商家店）", "", ""]


def make_leads(rng: np.random.Generator, n_entities: int) -> pl.DataFrame:
    """Unregistered operators (无照经营): a name, an operator, an address and a scheme each."""
    k = max(2, round(n_entities * 0.0015))
    town = district.sample_towns(rng, k)
    place = district.places(rng, town)
    brand = gather(BRAND_CHARS, rng.integers(0, len(BRAND_CHARS), k)) + gather(
        BRAND_CHARS, rng.integers(0, len(BRAND_CHARS), k)
    )
    shop = gather(UNREG_SHOPS, rng.integers(0, len(UNREG_SHOPS), k))
    scheme = rng.choice(len(SCHEMES), k, p=[0.3, 0.3, 0.2, 0.1, 0.05, 0.0, 0.05, 0.0])
    return pl.DataFrame(
        {
            "lead_id": [f"L{i + 1:05d}" for i in range(k)],
            "name": brand + shop,
            "person": person_names(rng, k),
            "phone": ids.make_phones(rng, k),
            "address": place["address"],
            "town": place["town"],
            "grid": place["grid"],
            "scheme": gather(SCHEME_NAMES, scheme),
            "_scheme": pl.Series(scheme, dtype=pl.Int8),
        }
    )


def _subject_variants(rng: np.random.Generator, rows: pl.DataFrame) -> pl.DataFrame:
    """subject_name and its variant label for planted-entity clues (falls back to exact when unchanged)."""
    n = rows.height
    want = rng.choice(len(VARIANTS), n, p=VARIANT_P)
    brand = rows["_brand"]
    first = brand.str.slice(0, 1).str.replace_many(BRAND_CHARS, TYPO_CHARS) + brand.str.slice(1)
    last = brand.str.head(-1) + brand.str.tail(1).str.replace_many([*BRAND_CHARS, "记"], [*TYPO_CHARS, "纪"])
    typo_brand = pl.select(pl.when(first != brand).then(first).otherwise(last)).to_series()
    names = rows["name"].to_list()
    typo_name = [
        nm.replace(b, t, 1) for nm, b, t in zip(names, brand.to_list(), typo_brand.to_list(), strict=True)
    ]
    sch = rows["_scheme"].to_numpy().astype(np.int64).tolist()
    pick = rng.integers(0, 3, n).tolist()
    words = [SCHEMES[s].shop_words[w % len(SCHEMES[s].shop_words)] for s, w in zip(sch, pick, strict=True)]
    frame = rows.select("name", "_brand", "_phrase", "_kind", "_shop").with_columns(
        want=pl.Series(want),
        long_short=pl.Series(rng.random(n) < 0.4),
        v2=pl.Series(typo_name, dtype=pl.String),
        word=pl.Series(words, dtype=pl.String),
        branch=gather(_BRANCH, rng.integers(0, len(_BRANCH), n)),
        v4=to_traditional(rows["name"]),
        v5=to_fullwidth(rows["name"]),
    )
    company = pl.col("_kind") == 0
    frame = frame.with_columns(
        v0=pl.col("name"),
        v1=pl.when(pl.col("long_short") & company)
        .then(pl.concat_str("_brand", "_phrase"))
        .otherwise("_brand"),
        v3=pl.concat_str("_brand", pl.when(company).then("word").otherwise("_shop"), "branch"),
    )
    chosen = pl.coalesce([pl.when(pl.col("want") == i).then(pl.col(f"v{i}")) for i in range(len(VARIANTS))])
    frame = frame.with_columns(subject_name=chosen)
    changed = (pl.col("want") == 0) | (pl.col("subject_name") != pl.col("name"))
    return frame.select(
        pl.when(changed).then("subject_name").otherwise("name").alias("subject_name"),
        pl.when(changed).then(pl.lit(gather(VARIANTS, want))).otherwise(pl.lit("exact")).alias("variant"),
    )


def _planted_rows(rng: np.random.Generator, specials: pl.DataFrame, alerted: pl.Series) -> pl.DataFrame:
    planted = specials.filter(pl.col("_scheme") >= 0)
    n = planted.height
    has_alert = planted["uscc"].is_in(alerted.implode()).to_numpy()
    counts = rng.poisson(0.45, n) + (~has_alert) + (rng.random(n) < 0.05) * rng.poisson(4, n)
    rows = events.repeat_rows(planted, counts)
    var = _subject_variants(rng, rows)
    code = (var["variant"] == "exact").to_numpy() & (rng.random(rows.height) < 0.15)
    return rows.select(
        var["subject_name"],
        var["variant"],
        pl.when(pl.Series(code)).then(pl.col("uscc")).otherwise(None).alias("subject_uscc"),
        pl.col("uscc").alias("true_uscc"),
        pl.lit(None, dtype=pl.String).alias("true_lead_id"),
        "address",
        "town",
        "grid",
        pl.col("_scheme").cast(pl.Int64).alias("_s"),
        "_est",
    )


def _lead_rows(rng: np.random.Generator, leads: pl.DataFrame) -> pl.DataFrame:
    rows = events.repeat_rows(leads, 1 + rng.poisson(1.5, leads.height))
    n = rows.height
    style = rng.choice(3, n, p=[0.6, 0.2, 0.2])
    place = rows["address"].str.replace(r"^.*?镇", "")
    described = pl.Series(
        [f"{p}那家{w}" for p, w in zip(place.to_list(), rows["name"].str.slice(2).to_list(), strict=True)]
    )
    by_person = rows["person"].str.slice(0, 1) + "老板开的" + rows["name"].str.slice(2)
    subject = pl.select(
        pl.when(pl.Series(style == 0))
        .then(rows["name"])
        .when(pl.Series(style == 1))
        .then(described)
        .otherwise(by_person)
    ).to_series()
    return rows.select(
        subject.alias("subject_name"),
        pl.lit("unregistered").alias("variant"),
        pl.lit(None, dtype=pl.String).alias("subject_uscc"),
        pl.lit(None, dtype=pl.String).alias("true_uscc"),
        pl.col("lead_id").alias("true_lead_id"),
        "address",
        "town",
        "grid",
        pl.col("_scheme").cast(pl.Int64).alias("_s"),
        pl.lit(events.EVENT_LO - 30, dtype=pl.Int32).alias("_est"),
    )


def _noise_rows(rng: np.random.Generator, specials: pl.DataFrame, noise: np.ndarray) -> pl.DataFrame:
    rows = specials.filter(pl.col("_idx").is_in(pl.Series(noise).implode()))
    short = pl.Series(rng.random(rows.height) < 0.3)
    return rows.select(
        pl.when(short).then("_brand").otherwise("name").alias("subject_name"),
        pl.lit("noise").alias("variant"),
        pl.lit(None, dtype=pl.String).alias("subject_uscc"),
        pl.col("uscc").alias("true_uscc"),
        pl.lit(None, dtype=pl.String).alias("true_lead_id"),
        "address",
        "town",
        "grid",
        pl.lit(-1, dtype=pl.Int64).alias("_s"),
        "_est",
    )


def build_clues(
    rng: np.random.Generator,
    specials: pl.DataFrame,
    noise: np.ndarray,
    leads: pl.DataFrame,
    alerted: pl.Series,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Clues in canonical columns plus clue_links ground truth."""
    rows = pl.concat(
        [_planted_rows(rng, specials, alerted), _lead_rows(rng, leads), _noise_rows(rng, specials, noise)],
        how="vertical_relaxed",
    )
    n = rows.height
    channel = rng.choice(len(CHANNELS), n, p=CHANNEL_WEIGHTS)
    sch = rows["_s"].to_numpy()
    subj = rows["subject_name"].to_list()
    u = rng.random((n, 6))
    content = []
    for i in range(n):
        opener = OPENERS[channel[i]][int(u[i, 0] * len(OPENERS[channel[i]]))]
        if sch[i] < 0:
            body = NOISE_BODIES[int(u[i, 1] * len(NOISE_BODIES))]
            closer = ""
        else:
            bodies = SCHEMES[sch[i]].bodies
            body = bodies[int(u[i, 1] * len(bodies))]
            closer = CLOSERS[int(u[i, 2] * len(CLOSERS))]
        text = body.format(
            who=subj[i],
            rel=RELATIVES[int(u[i, 3] * len(RELATIVES))],
            rate=6 + int(u[i, 4] * 30),
            amt=1 + int(u[i, 5] ** 2 * 50),
            mrate=1 + int(u[i, 4] * 3),
            drate=0.5 + int(u[i, 4] * 3) / 2,
        )
        content.append(opener + text + closer)
    fund = sch >= 0
    people = np.where(fund & (rng.random(n) < 0.6), np.clip(rng.lognormal(3.8, 1.0, n), 3, 2000), 0).astype(
        np.int64
    )
    amount = np.where(fund & (rng.random(n) < 0.5), np.round(rng.lognormal(14, 1.2, n), -4), 0.0)
    amount_txt = events.amount_text(rng, np.maximum(amount, 10_000), (0.2, 0.5, 0.3))
    public = np.isin(channel, [0, 1, 2, 3]) & (rng.random(n) < 0.75)
    show_addr = pl.Series(rng.random(n) < 0.65)
    show_town = pl.Series(rng.random(n) < 0.6)
    day = events.event_days(rng, rows["_est"].to_numpy())
    frame = rows.with_columns(
        _day=pl.Series(day),
        content=pl.Series(content, dtype=pl.String),
        channel=gather(CHANNELS, channel),
        subject_address=pl.when(show_addr).then("address").otherwise(None),
        reporter_name=pl.when(pl.Series(public)).then(person_names(rng, n)).otherwise(None),
        reporter_phone=pl.when(pl.Series(public)).then(ids.make_phones(rng, n)).otherwise(None),
        claimed_participants=pl.when(pl.Series(people > 0))
        .then(pl.Series(people).cast(pl.String))
        .otherwise(None),
        claimed_amount=pl.when(pl.Series(amount > 0))
        .then(pl.Series(amount_txt, dtype=pl.String))
        .otherwise(None),
        town=pl.when(show_town).then("town").otherwise(None),
        grid=pl.when(show_town).then("grid").otherwise(None),
        scheme=pl.Series([SCHEME_NAMES[s] if s >= 0 else None for s in sch.tolist()], dtype=pl.String),
    )
    frame = events.assign_ids(frame, "_day", "XS", "clue_id")
    frame = frame.with_columns(
        received_on=events.date_text(rng, frame["_day"].to_numpy(), (0.6, 0.2, 0.15, 0.05))
    )
    links = frame.select(
        "clue_id",
        "true_uscc",
        "true_lead_id",
        "variant",
        "scheme",
        pl.col("scheme").is_not_null().alias("is_fundraising"),
        "subject_name",
    )
    return frame.select(COLUMNS), links
