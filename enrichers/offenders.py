"""Repeat offenders (entity resolution, step 4): registrations tied to an entity with a risk finding.

An entity is flagged when it is on the provincial 金安工程 list, an inspection concluded 确认非法集资,
or it was revoked / deregistered after an inspection found risk. A tie to a flagged entity is evidence in
proportion to how specific it is (enrichers/data/relations.toml): the same legal representative's ID or
personal phone is strong; the same address only when specific (a room, floor or shop number) and shared
by few registrations, and then weak; a similar brand (字号) only beside a second tie, or within the same
industry and town, and then weak. Ties to one prior combine (address + brand is strong). Strong pairs
set the tier floor; weak ones add points with their reason. Reasons name the flagged entity and the kind
of tie, never the ID number or phone itself. Every join is blocked on a shared key: never all pairs.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache

import polars as pl

from enrichers.brand_ties import brand_ties
from enrichers.data import resource
from enrichers.names import ensure_name_keys, name_norm
from enrichers.provincial import on_list

FLAG_REASONS = {  # priority order: the first that applies is the entity's flag_reason
    "listed": "列入金安工程风险清单",
    "confirmed": "核查确认非法集资",
    "revoked": "风险核查后被吊销",
}
FLAG_PHRASES = {  # how a reason reads in front of the flagged entity's name
    "列入金安工程风险清单": "已列入金安工程风险清单",
    "核查确认非法集资": "经核查确认非法集资",
    "风险核查后被吊销": "风险核查后被吊销",
}
RELATION_PHRASES = {
    "same_legal_rep_id": "法定代表人证件号码相同",
    "same_phone": "联系电话相同",
    "same_address": "住所相同（具体到楼栋房号）",
    "similar_brand": "字号相同",
    "near_brand": "字号近似（一字同音或形近）",
}
BLOCK_NOTE = "（同行业、同镇街）"  # a brand tie that stands alone qualifies only within industry and town
TIE_ORDER = ["same_legal_rep_id", "same_phone", "same_address", "similar_brand", "near_brand"]
RISK_CONCLUSIONS = ["存在风险隐患", "确认非法集资"]
ENDED_STATUSES = ["吊销", "注销"]
MIN_BRAND_CHARS = 2
BRAND_SLICE = 200_000  # new registrations of one (industry, town) block compared at a time
# Licensed financial institutions' branches (many 支行 of one bank share a brand) are no brand evidence.
FI_NAME = r"银行|信用社|农村商业|保险|证券|期货|信托|邮政储蓄"
GENERIC_BRAND = r"^.记$"  # 郑记, 李记: a surname and 记 names thousands of shops, not one operator
CAP_OF = {"addr": "address"}  # frame column -> [caps] entry
DATA = resource("relations.toml")
FLAGGED_SCHEMA = {"uscc": pl.Utf8, "flag_reason": pl.Utf8, "flag_reasons": pl.Utf8}
RELATION_SCHEMA = {
    "uscc": pl.Utf8,
    "related_uscc": pl.Utf8,
    "relation": pl.Utf8,
    "reason": pl.Utf8,
    "strength": pl.Utf8,
    "weight": pl.Float64,
}


@dataclass(frozen=True)
class TieRules:
    version: str
    caps: dict[str, int]
    weights: dict[str, float]
    rare_brand: int
    alone: list[str]
    together: list[list[str]]
    specific_address: str


TIE_INPUTS = (
    "uscc",
    "name",
    "address",
    "town",
    "industry",
    "legal_rep_id",
    "phone",
    "norm",
    "core",
    "brand",
    "addr_key",
)


@lru_cache(maxsize=1)
def tie_rules() -> TieRules:
    raw = tomllib.loads(DATA.read_text(encoding="utf-8"))
    weights = dict(raw["weights"])
    rare = int(weights.pop("rare_brand"))
    return TieRules(
        version=raw["version"],
        caps={k: int(v) for k, v in raw["caps"].items()},
        weights={k: float(v) for k, v in weights.items()},
        rare_brand=rare,
        alone=list(raw["strength"]["alone"]),
        together=[list(t) for t in raw["strength"]["together"]],
        specific_address=raw["address"]["specific"],
    )


def flagged_entities(
    registrations: pl.DataFrame, provincial_list: pl.DataFrame, inspections: pl.DataFrame
) -> pl.DataFrame:
    """uscc, flag_reason (the strongest), flag_reasons (all, '；'-joined) of entities with a risk finding."""
    keep = ["uscc", "name", "status", *(["norm"] if "norm" in registrations.columns else [])]
    regs = _one_per_code(registrations.select(keep))
    if "norm" not in regs.columns:
        regs = regs.with_columns(name_norm(regs["name"]))
    prov = provincial_list.select(pl.col("uscc").cast(pl.Utf8), pl.col("name").cast(pl.Utf8))
    on = on_list(regs["uscc"], regs["norm"], prov)  # the one definition (enrichers/provincial.py)
    listed = regs.filter(on).select("uscc", pl.lit("listed").alias("ground"))
    insp = inspections.select("uscc", "conclusion")
    confirmed = insp.filter(pl.col("conclusion") == "确认非法集资").select(
        "uscc", pl.lit("confirmed").alias("ground")
    )
    risky = insp.filter(pl.col("conclusion").is_in(RISK_CONCLUSIONS)).select("uscc").unique()
    revoked = (
        regs.filter(pl.col("status").is_in(ENDED_STATUSES))
        .join(risky, on="uscc", how="semi")
        .select("uscc", pl.lit("revoked").alias("ground"))
    )
    order = list(FLAG_REASONS)
    grounds = (
        pl.concat([listed, confirmed, revoked])
        .unique()
        .join(regs.select("uscc"), on="uscc", how="semi")
        .with_columns(
            pl.col("ground").replace_strict(FLAG_REASONS).alias("reason"),
            pl.col("ground").replace_strict({g: i for i, g in enumerate(order)}).alias("rank"),
        )
        .sort("uscc", "rank")
    )
    out = grounds.group_by("uscc", maintain_order=True).agg(
        pl.col("reason").first().alias("flag_reason"), pl.col("reason").str.join("；").alias("flag_reasons")
    )
    return out.cast(FLAGGED_SCHEMA).sort("uscc")  # type: ignore[arg-type]


def _one_per_code(regs: pl.DataFrame) -> pl.DataFrame:
    """The first row per credit code. select() shares columns, and unique() copies only when some code
    is there twice: a province's registrations, read from the table, are unique already."""
    return regs.unique("uscc", keep="first") if regs["uscc"].n_unique() < regs.height else regs


def _frame(regs: pl.DataFrame, rules: TieRules) -> pl.LazyFrame:
    """uscc, name, core, brand, industry, town and the normalised keys (ID, phone, specific address).

    Lazy: each tie collects only the rows that share a key with a flagged entity, so a province's
    normalised IDs, phones and addresses are never all held beside the registrations."""
    regs = ensure_name_keys(regs)
    text = {c: pl.col(c) if c in regs.columns else pl.lit(None) for c in ("town", "industry")}
    addr = pl.col("addr_key")
    return regs.lazy().select(
        "uscc",
        "name",
        # A few dozen towns and industries: categorical, not a province's millions of strings.
        text["town"].cast(pl.Utf8).str.strip_chars().cast(pl.Categorical).alias("town"),
        text["industry"].cast(pl.Utf8).str.strip_chars().cast(pl.Categorical).alias("industry"),
        pl.col("legal_rep_id").cast(pl.Utf8).str.to_uppercase().str.strip_chars(),
        pl.col("phone").cast(pl.Utf8).str.replace_all(r"[\s\-]", ""),
        # address_key drops leading places, town included: the town keeps 萌水镇 and 商家镇 apart.
        # Only a specific address (a unit inside a building) is a key at all.
        pl.when(addr.str.contains(rules.specific_address))
        .then(pl.concat_str(text["town"].cast(pl.Utf8).str.strip_chars().fill_null(""), pl.lit("|"), addr))
        .alias("addr"),
        "core",
        "brand",
    )


def _key_ties(frame: pl.LazyFrame, ids: pl.DataFrame, key: str, tie: str, rules: TieRules) -> pl.DataFrame:
    """uscc, related_uscc, tie, w: registrations sharing a key that few share with a flagged entity.

    Only the keys a flagged entity has are counted: every registration with such a key is kept, so
    each count is the district's."""
    keyed = frame.select("uscc", key).filter(pl.col(key).str.len_chars() > 0)
    flagged_keys = keyed.join(ids.lazy(), on="uscc", how="semi").select(key).unique()
    shared = keyed.join(flagged_keys, on=key, how="semi").collect(engine="streaming")
    shared = shared.with_columns(pl.len().over(key).alias("_n")).filter(
        pl.col("_n") <= rules.caps[CAP_OF.get(key, key)]
    )
    prior = shared.join(ids, on="uscc", how="semi").select(pl.col("uscc").alias("related_uscc"), key)
    weight = pl.lit(rules.weights[tie])
    if tie == "same_address":  # a room two registrations share says more than one five share
        weight = weight * 2 / pl.col("_n")
    return (
        shared.join(prior, on=key)
        .filter(pl.col("uscc") != pl.col("related_uscc"))
        .select("uscc", "related_uscc", pl.lit(tie).alias("tie"), weight.cast(pl.Float64).alias("w"))
    )


def _brand_ties(
    frame: pl.LazyFrame, ids: pl.DataFrame, keyed: pl.DataFrame, rules: TieRules, slice_rows: int
) -> pl.DataFrame:
    """uscc, related_uscc, tie, w: brand ties within the same industry and town, or beside another tie."""
    block = ["industry", "town"]
    usable = frame.filter(
        (pl.col("brand").str.len_chars() >= MIN_BRAND_CHARS)
        & ~pl.col("name").str.contains(FI_NAME)
        & ~pl.col("brand").str.contains(GENERIC_BRAND)
    ).select("uscc", "core", "brand", *block)
    prior = usable.join(ids.lazy(), on="uscc", how="semi").rename({"uscc": "related_uscc"}).collect()
    # How many registrations carry each flagged brand (a popular brand is little evidence), and the
    # registrations in a block that holds a flagged entity: one pass over the frame for both.
    new = usable.join(prior.lazy().select(block).unique(), on=block, how="semi")
    counted = usable.join(prior.lazy().select("brand").unique(), on="brand", how="semi").group_by("brand")
    new_df, brand_n = pl.collect_all([new, counted.len("brand_n")], engine="streaming")
    prior = prior.join(brand_n, on="brand", how="left")
    in_block = _per_block(new_df, prior.select("related_uscc", "brand", *block), block, slice_rows)
    del new_df
    tied_rows = usable.join(keyed.lazy().select("uscc").unique(), on="uscc", how="semi").collect()
    tied = (
        keyed.select("uscc", "related_uscc")
        .unique()
        .join(tied_rows.select("uscc", "core", "brand"), on="uscc")
    )
    beside = brand_ties(tied, prior.select("related_uscc", "brand"), ["related_uscc"])
    ties = pl.concat([in_block, beside])
    rare = (rules.rare_brand / pl.col("brand_n")).clip(upper_bound=1.0)  # a popular brand is little evidence
    base = pl.col("relation").replace_strict(rules.weights, return_dtype=pl.Float64)
    return (
        ties.join(prior.select("related_uscc", "brand_n"), on="related_uscc")
        .group_by("uscc", "related_uscc", "relation")
        .agg(pl.col("brand_n").first())
        .select("uscc", "related_uscc", pl.col("relation").alias("tie"), (base * rare).alias("w"))
    )


def _per_block(new: pl.DataFrame, prior: pl.DataFrame, block: list[str], slice_rows: int) -> pl.DataFrame:
    """brand_ties one (industry, town) block at a time: the block is the join key, so the result is
    the same, and the masked variants of a province's brands never sit in memory at once (a town of
    five million registrations did, by town alone). Each block's rows are filtered out as it comes,
    not all partitioned at once. A block's new registrations are compared `slice_rows` at a time: each
    is tied on its own (the sound-alike characters are those of its slice and the priors), and a block
    of 800k registrations against 21k priors took 3 GB at once."""
    parts = []
    for values, group in prior.drop_nulls(block).group_by(block, maintain_order=True):
        rows = new.filter(*(pl.col(k) == v for k, v in zip(block, values, strict=True)))
        parts += [
            brand_ties(rows.slice(start, slice_rows), group, block)
            for start in range(0, rows.height, slice_rows)
        ]
    return pl.concat(parts) if parts else brand_ties(new.clear(), prior.clear(), block)


def _combine(ties: pl.DataFrame, rules: TieRules) -> pl.DataFrame:
    """One row per (uscc, related_uscc): relation (kinds '+'-joined), strength, weight (noisy-OR), phrase."""
    pairs = ties.group_by("uscc", "related_uscc").agg(
        pl.col("tie").alias("ties"),
        (1 - (1 - pl.col("w").clip(0.0, 1.0)).product()).alias("weight"),
    )
    kinds = pl.col("ties").list.eval(pl.element().replace("near_brand", "similar_brand"))
    has = {t: pl.col("ties").list.contains(t) for t in TIE_ORDER}
    kind_has = {t: kinds.list.contains(t) for t in TIE_ORDER[:-1]}
    strong = pl.any_horizontal(
        [kind_has[t] for t in rules.alone]
        + [pl.all_horizontal([kind_has[t] for t in combo]) for combo in rules.together]
    )
    brand_only = ~pl.any_horizontal([kind_has[t] for t in TIE_ORDER[:3]])
    brand: pl.Expr = (
        pl.when(has["similar_brand"])
        .then(pl.lit(RELATION_PHRASES["similar_brand"]))
        .when(has["near_brand"])
        .then(pl.lit(RELATION_PHRASES["near_brand"]))
    )
    brand = pl.when(brand_only).then(brand + pl.lit(BLOCK_NOTE)).otherwise(brand)
    phrase = pl.concat_str(
        [pl.when(has[t]).then(pl.lit(RELATION_PHRASES[t])) for t in TIE_ORDER[:3]] + [brand],
        separator="、",
        ignore_nulls=True,
    )
    relation = pl.concat_str(
        [pl.when(kind_has[t]).then(pl.lit(t)) for t in TIE_ORDER[:-1]], separator="+", ignore_nulls=True
    )
    return pairs.select(
        "uscc",
        "related_uscc",
        relation.alias("relation"),
        phrase.alias("phrase"),
        pl.when(strong).then(pl.lit("strong")).otherwise(pl.lit("weak")).alias("strength"),
        pl.col("weight").clip(1e-6, 1.0),
    )


def repeat_offenders(
    registrations: pl.DataFrame, flagged: pl.DataFrame, slice_rows: int = BRAND_SLICE
) -> pl.DataFrame:
    """uscc, related_uscc, relation, reason, strength, weight: one row per registration tied to a flagged entity.

    slice_rows: registrations of one (industry, town) block compared for brand ties at a time."""
    rules = tie_rules()
    regs = _one_per_code(registrations.select([c for c in TIE_INPUTS if c in registrations.columns]))
    frame = _frame(regs, rules)
    ids = flagged.select("uscc").unique()
    keyed = pl.concat(
        [
            _key_ties(frame, ids, "legal_rep_id", "same_legal_rep_id", rules),
            _key_ties(frame, ids, "phone", "same_phone", rules),
            _key_ties(frame, ids, "addr", "same_address", rules),
        ]
    )
    ties = pl.concat([keyed, _brand_ties(frame, ids, keyed, rules, slice_rows)])
    if ties.height == 0:
        return pl.DataFrame(schema=RELATION_SCHEMA)
    pairs = _combine(ties.unique(["uscc", "related_uscc", "tie"]), rules)
    prior = flagged.select(pl.col("uscc").alias("related_uscc"), "flag_reason").join(
        regs.select(pl.col("uscc").alias("related_uscc"), pl.col("name").alias("prior_name")),
        on="related_uscc",
    )
    reason = pl.concat_str(
        pl.lit("与"),
        pl.col("flag_reason").replace_strict(FLAG_PHRASES, default=pl.col("flag_reason")),
        pl.lit("的「"),
        pl.col("prior_name"),
        pl.lit("」"),
        pl.col("phrase"),
    )
    return (
        pairs.join(prior, on="related_uscc")
        .select("uscc", "related_uscc", "relation", reason.alias("reason"), "strength", "weight")
        .cast(RELATION_SCHEMA)  # type: ignore[arg-type]
        .sort("uscc", "related_uscc")
    )
