"""文昌湖区 geography: towns, villages, roads, grids and addresses (vectorised)."""

from __future__ import annotations

import numpy as np
import polars as pl

from fundrisk.synth.names import gather

TOWNS = ["萌水镇", "商家镇"]
TOWN_CODES = ["370306103", "370306104"]
TOWN_WEIGHTS = np.array([0.55, 0.45])
GRIDS_PER_TOWN = [28, 24]
VILLAGES = [
    [
        "萌水村",
        "北沈村",
        "东石村",
        "西石村",
        "王家庄村",
        "李家村",
        "孙家庄村",
        "柳行村",
        "南峪村",
        "北峪村",
        "前洼村",
        "后洼村",
        "马家村",
        "刘家村",
        "范家村",
        "荆家村",
        "石门村",
        "杨家村",
        "赵家庄村",
        "东坡村",
        "西坡村",
        "河南村",
        "河北村",
        "青龙村",
        "白塔村",
    ],
    [
        "商家村",
        "东商村",
        "西商村",
        "南庄村",
        "北庄村",
        "张家村",
        "高家村",
        "李家庄村",
        "崔家村",
        "辛庄村",
        "岳家村",
        "梁家村",
        "于家村",
        "湖南村",
        "湖北村",
        "前河村",
        "后河村",
        "大庄村",
        "小庄村",
        "文家村",
        "孟家村",
        "韩家村",
        "东岭村",
        "西岭村",
        "周家村",
    ],
]
ROADS = [
    ["萌山路", "萌水大街", "湖滨路", "青龙山路", "兴业路", "萌泉路", "和平路", "文昌大道"],
    ["商家大街", "文昌湖路", "湖光路", "鲁泰大道", "商周路", "新华路", "创业路", "文昌大道"],
]
# Address styles. A plain address stops at the door (萌水村45号, 湖滨路230号沿街房); a specific one names a
# unit inside it (an office room, a shop number, a market stall), which is what makes a shared address
# evidence. Agent addresses (商务秘书 / 集中登记地) are specific but shared by hundreds of registrations.
VILLAGE, ROAD, OFFICE, SHOP, AGENT = 0, 1, 2, 3, 4
PLAIN_SUFFIXES = ["", "", "", "沿街房", "院内"]
BUILDINGS = [
    "创业大厦",
    "金融中心",
    "商务中心",
    "科技大厦",
    "国际广场",
    "文昌湖大厦",
    "时代广场",
    "电商产业园",
    "创新创业园",
    "综合服务楼",
    "财富大厦",
    "湖畔商务楼",
]
MARKETS = ["萌水农贸市场", "商家农贸市场"]
AGENT_CENTRES = ["商务秘书服务中心", "众创空间", "创业孵化基地"]
_PREFIXES = ["淄博市文昌湖区", "淄博市文昌湖区", "山东省淄博市文昌湖区", "文昌湖区", ""]
ROOMS_PER_FLOOR = 30
FLOORS = 25


def sample_towns(rng: np.random.Generator, n: int) -> np.ndarray:
    """Town index per row."""
    return (rng.random(n) >= TOWN_WEIGHTS[0]).astype(np.int64)


def _sizes(scale: int) -> tuple[int, int, int, int, int]:
    """Office buildings, shop doors, plain road doors per road, house numbers per village and agent
    addresses per town: they grow with the district, so that a room or shop number is shared by chance
    (1-3% of them) about as often at 1,000,000 registrations as at 3,000."""
    return (
        max(5, scale // 4000),
        max(400, scale // 50),
        max(400, scale // 100),
        max(180, scale // 50),
        max(1, scale // 50_000),
    )


def _stalls(scale: int) -> int:
    """Stalls per zone of a town's market (eight zones, A-H)."""
    return max(100, scale // 100)


def places(
    rng: np.random.Generator, town: np.ndarray, style: np.ndarray | None = None, scale: int = 3000
) -> dict[str, pl.Series]:
    """Address, town and grid columns for rows in the given towns, in the given styles (default: plain)."""
    n = int(town.shape[0])
    nv, nr = len(VILLAGES[0]), len(ROADS[0])
    n_build, n_door, n_road, n_house, n_agent = _sizes(scale)
    if style is None:
        style = np.where(rng.random(n) < 0.45, ROAD, VILLAGE)
    village = rng.integers(0, nv, n)
    road = rng.integers(0, nr, n)
    build = rng.integers(0, n_build, n)
    door = np.select(
        [style == VILLAGE, style == ROAD, style == SHOP],
        [rng.integers(1, n_house, n), rng.integers(1, n_road, n), rng.integers(1, n_door + 1, n)],
        default=2 + 2 * build,
    )
    # An agent address is one of a few per town: its road, door, centre and room follow from its number.
    agent = rng.integers(0, n_agent, n)
    road = np.where(style == AGENT, (agent * 3 + 1) % nr, road)
    door = np.where(style == AGENT, 6 + 12 * agent, door)
    floor = np.where(style == AGENT, 2 + agent % 5, rng.integers(1, FLOORS + 1, n))
    room = np.where(style == AGENT, 1 + agent % 9, rng.integers(1, ROOMS_PER_FLOOR + 1, n))
    wing = rng.integers(1, 5, n)
    unit = rng.integers(1, 4, n)
    shop_no = rng.integers(1, 41, n)
    # How a building writes its rooms is the building's own habit, so the same room reads the same.
    habit = (build * 7 + road) % 4
    shop_form = (door + road) % 3
    place_pool = [v for t in VILLAGES for v in t] + [r for t in ROADS for r in t]
    place_idx = np.where(style == VILLAGE, town * nv + village, len(place_pool) - 2 * nr + town * nr + road)
    grid_count = np.array(GRIDS_PER_TOWN)[town]
    grid = np.where(style == VILLAGE, village, road * 3 + door // 50) % grid_count + 1
    plain_suffix = np.where(style == ROAD, rng.integers(0, len(PLAIN_SUFFIXES), n), 0)
    prefix = np.asarray(rng.choice(len(_PREFIXES), n, p=[0.5, 0.2, 0.15, 0.1, 0.05]))
    market = (style == SHOP) & (rng.random(n) < 0.05)
    stall = rng.integers(1, _stalls(scale) + 1, size=n)
    zone = rng.integers(0, 8, n)
    frame = pl.DataFrame(
        {
            "pre": gather(_PREFIXES, prefix),
            "town": gather(TOWNS, town),
            "place": gather(place_pool, place_idx),
            "num": pl.Series(door).cast(pl.String),
            "plain": gather(PLAIN_SUFFIXES, plain_suffix),
            "bname": gather(BUILDINGS, (build * 5 + road) % len(BUILDINGS)),
            "centre": gather(AGENT_CENTRES, agent % len(AGENT_CENTRES)),
            "market": gather(MARKETS, town),
            "wing": pl.Series(wing).cast(pl.String),
            "unit": pl.Series(unit).cast(pl.String),
            "floor": pl.Series(floor).cast(pl.String),
            "room": pl.Series(room).cast(pl.String).str.zfill(2),
            "shop": pl.Series(shop_no).cast(pl.String),
            "stall": pl.Series(stall).cast(pl.String),
            "zone": gather(list("ABCDEFGH"), zone),
            "style": pl.Series(np.where(market, 5, style), dtype=pl.Int8),
            "habit": pl.Series(habit, dtype=pl.Int8),
            "shop_form": pl.Series(shop_form, dtype=pl.Int8),
            "grid": pl.Series(grid).cast(pl.String),
        }
    )
    door_text = pl.concat_str("place", "num", pl.lit("号"))
    room_text = pl.concat_str("floor", "room")
    office = (
        pl.when(pl.col("habit") == 0)
        .then(pl.concat_str("bname", room_text, pl.lit("室")))
        .when(pl.col("habit") == 1)
        .then(pl.concat_str("bname", "wing", pl.lit("号楼"), room_text, pl.lit("室")))
        .when(pl.col("habit") == 2)
        .then(pl.concat_str("wing", pl.lit("号楼"), "unit", pl.lit("单元"), room_text, pl.lit("室")))
        .otherwise(pl.concat_str("bname", "floor", pl.lit("层"), room_text))
    )
    shop = (
        pl.when(pl.col("shop_form") == 0)
        .then(pl.concat_str(pl.lit("商铺"), "shop"))
        .when(pl.col("shop_form") == 1)
        .then(pl.concat_str("shop", pl.lit("号铺")))
        .otherwise(pl.concat_str(pl.lit("一层"), "shop", pl.lit("号商铺")))
    )
    style_col = pl.col("style")
    where = (
        pl.when(style_col == 5)
        .then(pl.concat_str("market", "zone", pl.lit("区"), "stall", pl.lit("号摊位")))
        .when(style_col == OFFICE)
        .then(pl.concat_str(door_text, office))
        .when(style_col == SHOP)
        .then(pl.concat_str(door_text, shop))
        .when(style_col == AGENT)
        .then(pl.concat_str(door_text, "centre", room_text, pl.lit("室")))
        .otherwise(pl.concat_str(door_text, "plain"))
    )
    out = frame.select(
        pl.concat_str("pre", "town", where).alias("address"),
        pl.col("town"),
        pl.concat_str("town", pl.lit("第"), "grid", pl.lit("网格")).alias("grid"),
    )
    return {c: out[c] for c in out.columns}
