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
# Buildings along roads for shop-front addresses.
SUFFIXES = ["", "", "", "", "1号楼", "2号楼", "商铺", "沿街房", "综合楼", "二楼"]
_PREFIXES = ["淄博市文昌湖区", "淄博市文昌湖区", "山东省淄博市文昌湖区", "文昌湖区", ""]


def sample_towns(rng: np.random.Generator, n: int) -> np.ndarray:
    """Town index per row."""
    return (rng.random(n) >= TOWN_WEIGHTS[0]).astype(np.int64)


def places(rng: np.random.Generator, town: np.ndarray) -> dict[str, pl.Series]:
    """Address, town and grid columns for rows in the given towns."""
    n = town.shape[0]
    nv, nr = len(VILLAGES[0]), len(ROADS[0])
    on_road = rng.random(n) < 0.45
    village = rng.integers(0, nv, n)
    road = rng.integers(0, nr, n)
    place_pool = [v for t in VILLAGES for v in t] + [r for t in ROADS for r in t]
    place_idx = np.where(on_road, len(place_pool) - 2 * nr + town * nr + road, town * nv + village)
    number = np.where(on_road, rng.integers(1, 400, n), rng.integers(1, 180, n))
    grid_count = np.array(GRIDS_PER_TOWN)[town]
    grid = np.where(on_road, (road * 3 + number // 50), village) % grid_count + 1
    suffix = np.where(on_road, rng.integers(0, len(SUFFIXES), n), 0)
    prefix = np.asarray(rng.choice(len(_PREFIXES), n, p=[0.5, 0.2, 0.15, 0.1, 0.05]))
    frame = pl.DataFrame(
        {
            "pre": gather(_PREFIXES, prefix),
            "town": gather(TOWNS, town),
            "place": gather(place_pool, place_idx),
            "num": pl.Series(number).cast(pl.String),
            "suf": gather(SUFFIXES, suffix),
            "grid": pl.Series(grid).cast(pl.String),
        }
    )
    out = frame.select(
        pl.concat_str("pre", "town", "place", "num", pl.lit("号"), "suf").alias("address"),
        pl.col("town"),
        pl.concat_str("town", pl.lit("第"), "grid", pl.lit("网格")).alias("grid"),
    )
    return {c: out[c] for c in out.columns}
