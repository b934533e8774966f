"""Similar brands (字号) between registrations and flagged priors, blocked (never all pairs).

Two brands are similar when equal, or when one character differs by a sound-alike (fuzzy pinyin z/zh,
c/ch, s/sh, -n/-ng) or look-alike. The new registration is compared on the prefix of its core of the
prior brand's length, because brand parsing can drop a character of a new name (凯雅园农业发展 → 凯雅)
whose prior's brand is 凯雅元. Every join is blocked on extra keys the caller chooses (industry and
town, or the prior already tied by another key), so a popular brand never fans out over the district.
Sounds come from pypinyin (every CJK character, not a hand table), looked up once per distinct
character of the candidate pairs, never per row.
"""

from __future__ import annotations

from functools import lru_cache

import polars as pl
from pypinyin import Style, lazy_pinyin

LOOK_ALIKE = [
    "万方",
    "银艮",
    "森参",
    "己已",
    "未末",
    "土士",
    "日曰",
    "人入",
    "天夭",
    "白百",
    "千干",
    "木本",
    "戊戌",
]
_LOOKS = pl.DataFrame(
    {"ch": [c for g in LOOK_ALIKE for c in g], "key": [f"~{g}" for g in LOOK_ALIKE for _ in g]}
)


@lru_cache(maxsize=65536)
def _reading(ch: str) -> str | None:
    """Toneless pinyin of one character's most common reading; None for letters, digits, punctuation.

    Only the most common reading: secondary ones are mostly literary or archaic (信 shen, 焱 yi,
    众 yin) and would tie brands no one would confuse.
    """
    found = lazy_pinyin(ch, style=Style.NORMAL, errors="ignore")
    return found[0] if found else None


def sound_keys(chars: pl.Series) -> pl.DataFrame:
    """ch, key: each distinct character with its fuzzy sound keys (z/zh c/ch s/sh -n/-ng folded) and
    look-alike groups; two characters are similar when they share a key."""
    distinct = chars.drop_nulls().unique().sort().to_list()
    rows = [(ch, _reading(ch)) for ch in distinct]  # one look-up per distinct character, cached
    rows = [(ch, syl) for ch, syl in rows if syl]
    sound = pl.DataFrame(rows, schema={"ch": pl.String, "syl": pl.String}, orient="row").select(
        "ch", key=pl.col("syl").str.replace(r"^([zcs])h", "$1").str.replace(r"ng$", "n")
    )
    looks = _LOOKS.filter(pl.col("ch").is_in(distinct))
    return pl.concat([sound, looks]).unique()


def similar_chars(chars: pl.Series) -> pl.DataFrame:
    """c1, c2: pairs of different characters among ``chars`` that sound or look alike."""
    keys = sound_keys(chars)
    return (
        keys.join(keys, on="key", suffix="2")
        .filter(pl.col("ch") != pl.col("ch2"))
        .select(pl.col("ch").alias("c1"), pl.col("ch2").alias("c2"))
        .unique()
    )


def _masked(frame: pl.DataFrame | pl.LazyFrame, keep: list[str], col: str) -> pl.LazyFrame:
    """keep…, bkey, ch: the text with each position masked in turn, and the character that was masked."""
    text = pl.col(col)
    return (
        frame.lazy()
        .select(*keep, col)
        .with_columns(pl.int_ranges(0, text.str.len_chars()).alias("pos"))
        .explode("pos")
        .select(
            *keep,
            pl.concat_str(
                text.str.slice(0, pl.col("pos")), pl.lit("\x00"), text.str.slice(pl.col("pos") + 1)
            ).alias("bkey"),
            text.str.slice(pl.col("pos"), 1).alias("ch"),
        )
    )


def brand_ties(new: pl.DataFrame, prior: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """uscc, related_uscc, relation ('similar_brand' | 'near_brand'): brand ties within equal `keys`.

    new: uscc, core, brand and the keys; prior: related_uscc, brand and the keys. A pair that is both
    equal and near keeps 'similar_brand'.
    """
    new = new.drop_nulls(keys)
    prior = prior.drop_nulls(keys)
    same = new.select("uscc", "brand", *keys).join(prior, on=["brand", *keys])
    same = same.select("uscc", "related_uscc", pl.lit("similar_brand").alias("relation"))
    lengths = prior["brand"].str.len_chars().unique().to_list()
    # Every head of every new core, masked at every position, is far larger than the result: it is
    # streamed against the priors' masked brands instead of being held (a province's town has 300k+).
    heads = pl.concat(
        [new.clear().lazy().select("uscc", *keys, pl.col("core").alias("head"))]
        + [
            new.lazy()
            .filter(pl.col("core").str.len_chars() >= n)
            .select("uscc", *keys, pl.col("core").str.slice(0, n).alias("head"))
            for n in lengths
        ]
    )
    mine = [k for k in keys if k != "related_uscc"]
    # Sound-alike pairs over every character either side may show (a few thousand distinct), so that
    # the masked candidates are filtered inside the stream and only near pairs are ever held.
    chars = pl.concat([new["core"].str.split("").explode(), prior["brand"].str.split("").explode()]).unique()
    alike = similar_chars(chars.filter(chars.str.len_chars() == 1))
    near = (
        _masked(heads, ["uscc", *keys], "head")
        .join(_masked(prior, ["related_uscc", *mine], "brand"), on=["bkey", *keys], suffix="_p")
        .filter(pl.col("ch") != pl.col("ch_p"))
        .join(alike.lazy(), left_on=["ch", "ch_p"], right_on=["c1", "c2"])
        .select("uscc", "related_uscc", pl.lit("near_brand").alias("relation"))
        .collect(engine="streaming")
    )
    pairs = pl.concat([same, near]).filter(pl.col("uscc") != pl.col("related_uscc"))
    return pairs.sort("relation", descending=True).unique(["uscc", "related_uscc"], keep="first")
