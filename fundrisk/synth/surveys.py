"""Grid sweep records (排查登记, 扫楼清街): door-to-door surveys of the district's premises, with truth.

Each swept grid's workers visit most registered premises that still exist (not 注销), planted schemes
almost always; a planted premise usually shows a signboard with sensitive words and promotional material.
They also find doors with no registration (some running a scheme) and the clue-named unregistered
operators. A few grids are left unswept (漏查漏排): the truth lists them. Vectorised; deterministic per seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from fundrisk.synth import district, events
from fundrisk.synth.names import BRAND_CHARS, gather, person_names
from fundrisk.synth.registry import days
from fundrisk.synth.schemes import SCHEME_NAMES

COLUMNS = [
    "survey_id",
    "surveyed_on",
    "town",
    "grid",
    "address",
    "signboard",
    "uscc",
    "found",
    "reporter",
    "evidence",
]
SWEEP_LO, SWEEP_HI = days("2026-06-08"), days("2026-06-30")  # 专项排查
REVISIT_LO, REVISIT_HI = days("2026-07-01"), days("2026-08-24")  # 清理打击
UNSWEPT_SHARE = 0.1
PLANTED_FOUND = 0.92  # chance a planted premise in a swept grid is surveyed
SENSITIVE_SIGN = 0.7  # chance a surveyed planted premise shows a sensitive signboard
NO_SIGN = 0.08  # registered premises whose door shows no name
SHOW_CODE = 0.35  # licence on display: the code is written down
REVISIT = 0.12
DOORS_PER_ENTITY = 0.004
# Signboard phrases of each scheme (SCHEME_NAMES order): what a door running it puts up.
SIGN_WORDS = [
    ["理财中心", "财富管理中心", "投资理财服务部"],
    ["养老投资服务中心", "颐养理财会所", "养老财富俱乐部"],
    ["消费返利体验店", "消费全返商城", "返利会员店"],
    ["数字资产交易中心", "区块链理财中心", "虚拟币兑换点"],
    ["认养理财基地", "代养殖投资部", "生态认购理财中心"],
    ["包租返租置业", "产权式商铺认购中心", "售后返租置业"],
    ["股权投资中心", "私募基金服务部", "原始股认购中心"],
    ["资金互助社", "互助理财服务部", "民间借贷服务部"],
]
MONEY_FOUND = [
    "发现理财产品宣传单页，工作人员现场招揽投资",
    "店内张贴高息宣传海报，承诺年化{rate}%、保本保息",
    "现场有老年人聚集听讲座，推介投资项目",
    "门店组织会员充值返利活动，宣传按月返息{mrate}%",
    "发现投资协议和收款凭证，负责人称吸收亲友资金",
]
PLAIN_FOUND = ["无异常", "正常经营", "未发现异常", "经营正常，未见宣传材料"]
REVISIT_FOUND = ["复查：已停止宣传，门头已更换", "复查：无异常", "复查：门店已关闭"]
PLAIN_SHOPS = ["早餐店", "修车铺", "小卖部", "棋牌室", "五金店", "快递代收点", "理发店", "烟酒店"]
_NAME_PREFIX = r"^(?:山东省?)?(?:淄博市?)?(?:文昌湖区)?(?:萌水镇|商家镇)?"
_NAME_FORM = r"(?:股份有限公司|有限责任公司|有限公司|农民专业合作社|专业合作社)$"


@dataclass(frozen=True)
class Surveys:
    rows: pl.DataFrame  # canonical survey columns
    truth: pl.DataFrame  # one row per survey
    grids: pl.DataFrame  # one row per grid of the district


def _door_key(address: pl.Expr) -> pl.Expr:
    """The part of an address after the town: what tells two doors apart whatever prefix was written."""
    return address.str.replace(r"^.*?镇", "")


def _registrations(out: Path) -> pl.DataFrame:
    """Every registration with the generator's labels, its door key and whether another one shares it."""
    regs = pl.scan_csv(out / "registrations" / "registrations.csv", infer_schema=False).select(
        pl.col("统一社会信用代码").alias("uscc"),
        pl.col("企业名称").alias("name"),
        pl.col("住所").alias("address"),
        pl.col("所属镇街").alias("town"),
        pl.col("网格").alias("grid"),
        pl.col("登记状态").alias("status"),
    )
    labels = pl.scan_csv(out / "truth" / "entities.csv", infer_schema=False).select(
        "uscc", (pl.col("is_planted") == "true").alias("planted"), "scheme"
    )
    key = _door_key(pl.col("address"))
    return (
        regs.join(labels, on="uscc", how="left", maintain_order="left")
        .with_columns(key.alias("_key"), (pl.len().over(key) > 1).alias("shared"))
        .collect()
    )


def _grids(rng: np.random.Generator, premises: pl.DataFrame) -> pl.DataFrame:
    """Every grid of the district: registrations, whether it was swept and the share of doors visited."""
    names = [
        (town, f"{town}第{g}网格")
        for town, count in zip(district.TOWNS, district.GRIDS_PER_TOWN, strict=True)
        for g in range(1, count + 1)
    ]
    grids = pl.DataFrame(names, schema={"town": pl.String, "grid": pl.String}, orient="row")
    counts = premises.group_by("grid").agg(pl.len().cast(pl.Int64).alias("registrations"))
    grids = grids.join(counts, on="grid", how="left", maintain_order="left").with_columns(
        pl.col("registrations").fill_null(0)
    )
    occupied = np.flatnonzero(grids["registrations"].to_numpy() > 0)
    k = min(occupied.size, max(1, round(grids.height * UNSWEPT_SHARE)))
    unswept = rng.choice(occupied, size=k, replace=False) if k else occupied
    swept = np.ones(grids.height, dtype=bool)
    swept[unswept] = False
    return grids.with_columns(swept=pl.Series(swept), share=pl.Series(rng.uniform(0.55, 0.95, grids.height)))


def _found(rng: np.random.Generator, money: np.ndarray) -> pl.Series:
    """发现情况: a promotion or pooling sign where `money`, a plain note elsewhere."""
    n = len(money)
    text = pl.select(
        pl.when(pl.Series(money))
        .then(gather(MONEY_FOUND, rng.integers(0, len(MONEY_FOUND), n)))
        .otherwise(gather(PLAIN_FOUND, rng.integers(0, len(PLAIN_FOUND), n)))
    ).to_series()
    rate = pl.Series(rng.integers(8, 30, n)).cast(pl.String)
    mrate = pl.Series(rng.integers(1, 4, n)).cast(pl.String)
    frame = pl.DataFrame({"t": text, "r": rate, "m": mrate})
    filled = pl.col("t").str.replace("{rate}", pl.col("r"), literal=True)
    return frame.select(filled.str.replace("{mrate}", pl.col("m"), literal=True)).to_series()


def _sign_words(rng: np.random.Generator, scheme: pl.Series) -> pl.Series:
    """One sensitive signboard phrase of each row's scheme (null scheme: 理财中心)."""
    idx = scheme.replace_strict(SCHEME_NAMES, list(range(len(SCHEME_NAMES))), default=0).to_numpy()
    pick = rng.integers(0, 3, idx.shape[0])
    flat = [w for words in SIGN_WORDS for w in words]
    return gather(flat, idx.astype(np.int64) * 3 + pick)


def _registered_rows(rng: np.random.Generator, premises: pl.DataFrame, grids: pl.DataFrame) -> pl.DataFrame:
    rows = premises.join(grids.select("grid", "swept", "share"), on="grid", how="left", maintain_order="left")
    n = rows.height
    planted = rows["planted"].fill_null(False).to_numpy()
    chance = np.where(planted, PLANTED_FOUND, rows["share"].fill_null(0.0).to_numpy())
    # A swept grid has at least one record: its first premise is always visited.
    first = rows.select(pl.int_range(pl.len()).over("grid") == 0).to_series().to_numpy()
    visited = (rng.random(n) < chance) | first
    rows = rows.filter(pl.Series(rows["swept"].fill_null(False).to_numpy() & visited))
    n = rows.height
    planted = rows["planted"].fill_null(False).to_numpy()
    # At an address several registrations share (a business centre, an office building) the worker
    # writes the name plate as registered; elsewhere the door's own signboard, or none.
    shared = rows["shared"].to_numpy()
    sensitive = planted & ~shared & (rng.random(n) < SENSITIVE_SIGN)
    bare = rows["name"].str.replace(_NAME_PREFIX, "").str.replace(_NAME_FORM, "")
    sign = pl.select(
        pl.when(pl.Series(sensitive))
        .then(pl.concat_str(bare.str.slice(0, 2), _sign_words(rng, rows["scheme"])))
        .when(pl.Series(~planted & ~shared & (rng.random(n) < NO_SIGN)))
        .then(pl.lit(None, pl.String))
        .otherwise(bare)
    ).to_series()
    money = planted & (rng.random(n) < 0.75)
    return rows.select(
        "address",
        "town",
        "grid",
        sign.alias("signboard"),
        pl.when(pl.Series(rng.random(n) < SHOW_CODE)).then(pl.col("uscc")).alias("uscc"),
        _found(rng, money).alias("found"),
        pl.col("uscc").alias("true_uscc"),
        pl.lit(None, pl.String).alias("door_id"),
        pl.lit("registered").alias("door_kind"),
        pl.Series(sensitive).alias("sensitive_signboard"),
        pl.Series(money).alias("money_found"),
        pl.when(pl.col("planted").fill_null(False)).then(pl.col("scheme")).alias("scheme"),
    )


def _door_rows(
    rng: np.random.Generator, grids: pl.DataFrame, taken: pl.Series, n_entities: int, leads: pl.DataFrame
) -> pl.DataFrame:
    """Doors with no registration: new ones (half running a scheme) and the clue-named operators."""
    k = max(6, round(n_entities * DOORS_PER_ENTITY))
    town = district.sample_towns(rng, k)
    place = district.places(rng, town, scale=n_entities)
    schemed = rng.random(k) < 0.5
    schemed[: k // 3] = True  # every district has a few, even a small one
    scheme = gather(SCHEME_NAMES, rng.integers(0, len(SCHEME_NAMES), k))
    brand = gather(BRAND_CHARS, rng.integers(0, len(BRAND_CHARS), k)) + gather(
        BRAND_CHARS, rng.integers(0, len(BRAND_CHARS), k)
    )
    word = pl.select(
        pl.when(pl.Series(schemed))
        .then(_sign_words(rng, scheme))
        .otherwise(gather(PLAIN_SHOPS, rng.integers(0, len(PLAIN_SHOPS), k)))
    ).to_series()
    money = schemed & (rng.random(k) < 0.75)
    new = pl.DataFrame(
        {
            "address": place["address"],
            "town": place["town"],
            "grid": place["grid"],
            "signboard": brand + word,
            "found": _found(rng, money),
            "door_id": [f"D{i + 1:05d}" for i in range(k)],
            "door_kind": "unregistered",
            "sensitive_signboard": schemed,
            "money_found": money,
            "scheme": pl.select(pl.when(pl.Series(schemed)).then(scheme)).to_series(),
        }
    )
    seen = leads.filter(pl.Series(rng.random(leads.height) < 0.8)).select(
        "address",
        "town",
        "grid",
        pl.col("name").alias("signboard"),
        pl.col("lead_id").alias("door_id"),
        pl.lit("clue_lead").alias("door_kind"),
        pl.col("name").str.contains("理财|财富|投资").alias("sensitive_signboard"),
        pl.lit(True).alias("money_found"),
        "scheme",
    )
    seen = seen.with_columns(found=_found(rng, np.ones(seen.height, dtype=bool)))
    doors = pl.concat([seen, new], how="diagonal_relaxed").with_columns(
        _door_key(pl.col("address")).alias("_key")
    )
    # A door at a registered address, or sharing another door's address or name, would not be a door of
    # its own: drop it, so that every door in the truth is one unregistered premise.
    swept = grids.filter("swept").select("grid")
    doors = doors.join(swept, on="grid", how="semi", maintain_order="left").filter(
        ~pl.col("_key").is_in(taken.implode())
    )
    doors = doors.unique("_key", keep="first", maintain_order=True).unique(
        "signboard", keep="first", maintain_order=True
    )
    return doors.drop("_key").with_columns(
        pl.lit(None, pl.String).alias("uscc"), pl.lit(None, pl.String).alias("true_uscc")
    )


def _visits(rng: np.random.Generator, first: pl.DataFrame) -> pl.DataFrame:
    """First visits in 专项排查 and a few revisits in 清理打击, each with its day and its worker."""
    n = first.height
    first = first.with_columns(
        _day=pl.Series(SWEEP_LO + rng.integers(0, SWEEP_HI - SWEEP_LO + 1, n)),
        visit=pl.lit("first"),
    )
    again = first.filter(pl.Series(rng.random(n) < REVISIT))
    m = again.height
    again = again.with_columns(
        _day=pl.Series(REVISIT_LO + rng.integers(0, REVISIT_HI - REVISIT_LO + 1, m)),
        visit=pl.lit("revisit"),
        found=gather(REVISIT_FOUND, rng.integers(0, len(REVISIT_FOUND), m)),
        money_found=pl.lit(False),
    )
    return pl.concat([first, again])


def build_surveys(rng: np.random.Generator, out: Path, leads: pl.DataFrame, n_entities: int) -> Surveys:
    """Survey rows (canonical columns) plus their truth, from the registrations already written under out."""
    registrations = _registrations(out)
    premises = registrations.filter(pl.col("status") != "注销")  # a deregistered entity has no door
    grids = _grids(rng, premises)
    taken = registrations["_key"].unique()
    registered = _registered_rows(rng, premises, grids)
    doors = _door_rows(rng, grids, taken, n_entities, leads)
    rows = _visits(rng, pl.concat([registered, doors.select(registered.columns)]))
    rows = events.assign_ids(rows, "_day", "PC", "survey_id")
    n = rows.height
    workers = grids.select("grid", person_names(rng, grids.height).alias("reporter"))
    photo = pl.Series(rng.random(n) < 0.6)
    leaflet = pl.col("money_found") & pl.Series(rng.random(n) < 0.7)
    evidence = pl.concat_str(
        pl.when(photo).then(pl.concat_str(pl.col("survey_id"), pl.lit("_门头.jpg"))),
        pl.when(leaflet).then(pl.concat_str(pl.col("survey_id"), pl.lit("_宣传资料.jpg"))),
        separator=";",
        ignore_nulls=True,
    )
    rows = rows.join(workers, on="grid", how="left", maintain_order="left").with_columns(
        surveyed_on=events.date_text(rng, rows["_day"].to_numpy(), (0.7, 0.1, 0.15, 0.05)),
        town=pl.when(pl.Series(rng.random(n) < 0.85)).then(pl.col("town")),
        evidence=pl.when(evidence.str.len_chars() > 0).then(evidence),
    )
    truth = rows.select(
        "survey_id",
        "true_uscc",
        "door_id",
        "door_kind",
        "visit",
        "sensitive_signboard",
        "money_found",
        "scheme",
        pl.col("grid").str.extract(r"^(.+?镇)").alias("town"),
        "grid",
    )
    return Surveys(rows.select(COLUMNS), truth, _grid_truth(grids, truth))


def _grid_truth(grids: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    """Per grid: registrations (not 注销), registered premises surveyed, unregistered doors found, swept."""
    per_grid = truth.group_by("grid").agg(
        pl.col("true_uscc").drop_nulls().n_unique().cast(pl.Int64).alias("surveyed_premises"),
        pl.col("door_id").drop_nulls().n_unique().cast(pl.Int64).alias("unregistered_doors"),
        pl.col("door_id")
        .filter(pl.col("scheme").is_not_null())
        .drop_nulls()
        .n_unique()
        .cast(pl.Int64)
        .alias("scheme_doors"),
    )
    return (
        grids.join(per_grid, on="grid", how="left", maintain_order="left")
        .with_columns(pl.col("surveyed_premises", "unregistered_doors", "scheme_doors").fill_null(0))
        .select(
            "town",
            "grid",
            "registrations",
            "surveyed_premises",
            "unregistered_doors",
            "scheme_doors",
            "swept",
        )
    )
