"""Registration rows, built chunk by chunk with whole-column numpy/polars operations."""

from __future__ import annotations

import numpy as np
import polars as pl

from fundrisk.synth import district, ids
from fundrisk.synth.industries import (
    BANK_SCOPE,
    FINANCIAL_INSTITUTIONS,
    INDUSTRIES,
    INSURER_SCOPE,
    PUBLIC_INSTITUTIONS,
    PUBLIC_SCOPE,
    SCOPE_VARIANTS,
    build_company_scopes,
    company_weights,
)
from fundrisk.synth.names import COOP_TYPES, SHOP_TYPES, brand_indices, brand_strings, gather, person_names
from fundrisk.synth.plan import COMPANY, COOP, FIN, INDIVIDUAL, KIND_NAMES, Plan
from fundrisk.synth.schemes import SCHEMES

EPOCH = np.datetime64("1970-01-01")
_FORMS = ["有限公司", "有限责任公司", "股份有限公司"]
_LLC_TYPES = ["有限责任公司(自然人投资或控股)", "有限责任公司(自然人独资)", "其他有限责任公司"]
_REGIONS = ["淄博", "淄博市", "山东"]
_STATUS = ["存续", "在业", "吊销", "注销"]
_SHOP_PRE = ["淄博文昌湖区", "淄博市文昌湖区", "文昌湖区萌水镇", "文昌湖区商家镇"]
_CAPITALS = np.array([3, 5, 10, 20, 30, 50, 100, 200, 300, 500, 1000, 2000, 5000])
# Company address styles: village, road front, office room, shop, business-centre agent address.
_COMPANY_STYLES = np.array([0.22, 0.20, 0.40, 0.14, 0.04])
AGENT_PHONE_SHARE = 0.06
_CAP_P = np.array([2, 4, 10, 6, 8, 14, 20, 10, 8, 8, 6, 3, 1], dtype=np.float64)


def days(iso: str) -> int:
    """Days since 1970-01-01 of an ISO date."""
    return int((np.datetime64(iso) - EPOCH).astype(np.int64))


class ScopePool:
    """All business-scope texts in one list with offsets per family."""

    def __init__(self, rng: np.random.Generator) -> None:
        company = build_company_scopes(rng)
        self.texts = [
            *company,
            *(s[2] for s in SHOP_TYPES),
            *(c[1] for c in COOP_TYPES),
            BANK_SCOPE,
            INSURER_SCOPE,
            PUBLIC_SCOPE,
            *(s.scope for s in SCHEMES),
        ]
        self.shop = len(company)
        self.coop = self.shop + len(SHOP_TYPES)
        self.bank = self.coop + len(COOP_TYPES)
        self.scheme = self.bank + 3


def uscc_for(kind: np.ndarray, idx: np.ndarray) -> pl.Series:
    """The USCC of entity number idx (a bijection, so codes never repeat)."""
    prefix = np.array(["91", "92", "93", "91", "12"])[kind.astype(np.int64)]
    return ids.make_uscc(prefix, ids.scramble(idx, ids.ORG_SPACE, 48271, 7_000_003))


def format_dates(d: pl.Series, style: np.ndarray) -> pl.Series:
    """Dates (pl.Date) in four spellings: 2020-01-02, 2020/1/2, 2020年1月2日, 20200102."""
    frame = pl.DataFrame({"d": d, "s": pl.Series(style, dtype=pl.Int8)})
    return frame.select(
        pl.when(pl.col("s") == 0)
        .then(pl.col("d").dt.strftime("%Y-%m-%d"))
        .when(pl.col("s") == 1)
        .then(pl.col("d").dt.strftime("%Y/%-m/%-d"))
        .when(pl.col("s") == 2)
        .then(pl.col("d").dt.strftime("%Y年%-m月%-d日"))
        .otherwise(pl.col("d").dt.strftime("%Y%m%d"))
    ).to_series()


def address_styles(rng: np.random.Generator, kind: np.ndarray, planted: np.ndarray) -> np.ndarray:
    """Address style per row (district.VILLAGE … AGENT) by kind; schemes rent offices and shop fronts."""
    u = rng.random(kind.shape[0])
    styles = [district.VILLAGE, district.ROAD, district.OFFICE, district.SHOP, district.AGENT]
    company = np.array(styles)[np.searchsorted(np.cumsum(_COMPANY_STYLES), u, side="right").clip(0, 4)]
    shop = np.where(u < 0.45, district.SHOP, np.where(u < 0.75, district.ROAD, district.VILLAGE))
    coop = np.where(u < 0.9, district.VILLAGE, district.ROAD)
    style = np.select(
        [kind == COMPANY, kind == INDIVIDUAL, kind == COOP], [company, shop, coop], district.ROAD
    )
    scheme_style = np.where((u < 0.65) & (kind == COMPANY), district.OFFICE, district.SHOP)
    return np.where(planted & (kind <= INDIVIDUAL), scheme_style, style)


def with_agent_phones(
    rng: np.random.Generator, phones: pl.Series, kind: np.ndarray, special: np.ndarray, scale: int
) -> pl.Series:
    """About 6% of ordinary companies and shops give their agent's (代理记账) landline, shared by many."""
    n = phones.len()
    pool = max(2, scale // 20_000)
    agent = rng.integers(0, pool, n)
    use = (rng.random(n) < AGENT_PHONE_SHARE) & (kind <= INDIVIDUAL) & ~special
    landline = pl.Series((agent * 7919 + 104_729) % 1_000_000).cast(pl.String).str.zfill(6)
    return pl.select(pl.when(pl.Series(use)).then("0533-6" + landline).otherwise(phones)).to_series()


def build_chunk(plan: Plan, scopes: ScopePool, seed: int, chunk: int, start: int, stop: int) -> pl.DataFrame:
    """Registration rows [start, stop) with helper columns (prefixed '_') for later stages."""
    rng = np.random.Generator(np.random.PCG64([seed, 1, chunk]))
    n = stop - start
    idx = np.arange(start, stop, dtype=np.int64)
    kind = plan.kind[start:stop]
    scheme = plan.scheme[start:stop].astype(np.int64)
    over = plan.override[start:stop].astype(np.int64)
    planted = scheme >= 0

    ind = rng.choice(len(INDUSTRIES), n, p=company_weights())
    shop = rng.integers(0, len(SHOP_TYPES) - 2, n)  # the last two (养生馆, 保健品店) are rarer
    shop = np.where(rng.random(n) < 0.04, rng.integers(len(SHOP_TYPES) - 2, len(SHOP_TYPES), n), shop)
    coop = rng.integers(0, len(COOP_TYPES), n)
    ind = np.where(planted & (kind == COMPANY), over, ind)
    shop = np.where(planted & (kind == INDIVIDUAL), over, shop)
    coop = np.where(planted & (kind == COOP), over, coop)

    bchars = brand_indices(rng, n)
    brand = brand_strings(bchars)
    near = brand_strings(bchars, np.where(bchars[:, 2] >= 0, 2, 1))
    form = rng.choice(3, n, p=[0.6, 0.3, 0.1])
    region = rng.choice(3, n, p=[0.45, 0.35, 0.2])
    style_b = rng.random(n) < 0.12
    town = district.sample_towns(rng, n)
    place = district.places(rng, town, address_styles(rng, kind, planted), plan.n)
    rep = person_names(rng, n)
    shop_pre = np.where(rng.random(n) < 0.5, rng.integers(0, 2, n), 2 + town)
    shop_core = np.where(rng.random(n) < 0.55, 0, 1)

    fixed = plan.fixed_name[start:stop].astype(np.int64)
    fixed_names = [f[0] for f in FINANCIAL_INSTITUTIONS] + PUBLIC_INSTITUTIONS
    df = pl.DataFrame(
        {
            "_idx": idx,
            "_kind": pl.Series(kind, dtype=pl.Int8),
            "_brand": brand,
            "_near": near,
            "_pre": gather([*_REGIONS, ""], np.where(style_b, 3, region)),
            "_mid": gather(["", "（淄博）"], style_b.astype(np.int64)),
            "_phrase": gather([r[0] for r in INDUSTRIES], ind),
            "_form": gather(_FORMS, form),
            "_shop_pre": gather(_SHOP_PRE, shop_pre),
            "_shop": gather([s[0] for s in SHOP_TYPES], shop),
            "_coop": gather([c[0] for c in COOP_TYPES], coop),
            "_fixed": gather([*fixed_names, ""], np.where(fixed < 0, len(fixed_names), fixed)),
            "legal_rep": rep,
            "_core": np.where(shop_core == 0, 0, 1),
        }
    )
    k = pl.col("_kind")
    company_name = pl.concat_str("_pre", "_brand", "_mid", "_phrase", "_form")
    shop_name = pl.concat_str("_shop_pre", "_brand", "_shop")
    coop_name = pl.concat_str(pl.lit("淄博文昌湖区"), "_brand", "_coop", pl.lit("专业合作社"))
    shop_core_expr = (
        pl.when(pl.col("_core") == 0).then("_brand").otherwise(pl.col("legal_rep").str.slice(0, 1) + "记")
    )
    df = df.with_columns(pl.when(k == INDIVIDUAL).then(shop_core_expr).otherwise("_brand").alias("_brand"))
    df = df.with_columns(
        pl.when(k == COMPANY)
        .then(company_name)
        .when(k == INDIVIDUAL)
        .then(shop_name)
        .when(k == COOP)
        .then(coop_name)
        .otherwise("_fixed")
        .alias("name")
    )

    uscc = uscc_for(kind, idx)
    birth = rng.integers(days("1952-01-01"), days("2003-12-31"), n)
    est_lo = np.where(planted, days("2019-01-01"), days("2003-01-01"))
    est_hi = np.where(planted, days("2026-06-30"), days("2026-10-31"))
    est = est_lo + ((est_hi - est_lo) * rng.random(n) ** 0.7).astype(np.int64)
    status = rng.choice(4, n, p=[0.62, 0.25, 0.04, 0.09])
    status = np.where(planted, rng.choice(2, n, p=[0.7, 0.3]), status)
    status = np.where(kind >= FIN, 0, status)
    cap = _CAPITALS[rng.choice(_CAPITALS.size, n, p=_CAP_P / _CAP_P.sum())]
    cap = np.where(kind == INDIVIDUAL, np.minimum(cap, 50), cap)
    cap_text = pl.Series(cap).cast(pl.String)
    cap_text = pl.select(
        pl.when(pl.Series(rng.random(n) < 0.6)).then(cap_text + "万元").otherwise(cap_text)
    ).to_series()
    cap_text = pl.select(pl.when(pl.Series(kind >= FIN)).then(None).otherwise(cap_text)).to_series()

    llc = gather(_LLC_TYPES, rng.choice(3, n, p=[0.7, 0.2, 0.1]))
    type_pool = [
        *_LLC_TYPES,
        "股份有限公司(非上市、自然人投资或控股)",
        "个体工商户",
        "农民专业合作社",
        *(f[1] for f in FINANCIAL_INSTITUTIONS),
        "事业单位",
    ]
    fi_type = np.where(fixed >= 0, 7 + np.minimum(fixed, len(FINANCIAL_INSTITUTIONS)), 0)
    type_idx = np.select(
        [kind == COMPANY, kind == INDIVIDUAL, kind == COOP, kind == FIN],
        [np.where(form == 2, 3, 0), 4, 5, fi_type],
        default=len(type_pool) - 1,
    )
    cat_pool = (
        [r[1] for r in INDUSTRIES]
        + [s[1] for s in SHOP_TYPES]
        + ["农、林、牧、渔业", "金融业", "公共管理、社会保障和社会组织"]
    )
    cat_idx = np.select(
        [kind == COMPANY, kind == INDIVIDUAL, kind == COOP, kind == FIN],
        [ind, len(INDUSTRIES) + shop, len(cat_pool) - 3, len(cat_pool) - 2],
        default=len(cat_pool) - 1,
    )
    is_insurer = np.array([f[2] == "insurer" for f in FINANCIAL_INSTITUTIONS] + [False] * 3)
    scheme_scope = planted & (kind == COMPANY) & (rng.random(n) < 0.5)
    scope_idx = np.select(
        [scheme_scope, kind == COMPANY, kind == INDIVIDUAL, kind == COOP, kind == FIN],
        [
            scopes.scheme + np.maximum(scheme, 0),
            ind * SCOPE_VARIANTS + rng.integers(0, SCOPE_VARIANTS, n),
            scopes.shop + shop,
            scopes.coop + coop,
            scopes.bank + is_insurer[np.maximum(fixed, 0)],
        ],
        default=scopes.bank + 2,
    )
    df = df.with_columns(
        uscc=uscc,
        legal_rep_id=ids.make_id_numbers(rng, birth),
        phone=with_agent_phones(rng, ids.make_phones(rng, n), kind, plan.special[start:stop], plan.n),
        registered_capital=cap_text,
        established_on=format_dates(
            pl.Series(est, dtype=pl.Int32).cast(pl.Date), rng.choice(4, n, p=[0.4, 0.3, 0.2, 0.1])
        ),
        entity_type=pl.select(
            pl.when(pl.Series(type_idx == 0)).then(llc).otherwise(gather(type_pool, type_idx))
        ).to_series(),
        status=gather(_STATUS, status),
        industry=gather(cat_pool, cat_idx),
        address=place["address"],
        town=place["town"],
        grid=place["grid"],
        business_scope=gather(scopes.texts, scope_idx),
        _est=pl.Series(est, dtype=pl.Int32),
        _kind_name=gather(KIND_NAMES, kind.astype(np.int64)),
        _scheme=pl.Series(scheme, dtype=pl.Int8),
    )
    return df
