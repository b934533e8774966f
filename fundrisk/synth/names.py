"""Name material: brand characters (字号), typos, traditional forms, person names, shop types."""

from __future__ import annotations

import numpy as np
import polars as pl

# Brand characters paired with a homophone or look-alike used for typos ("鑫盛" → "新盛").
_BRAND_PAIRS = [
    "鑫新",
    "盛胜",
    "华化",
    "泰太",
    "恒衡",
    "源元",
    "隆龙",
    "祥翔",
    "瑞锐",
    "福富",
    "金今",
    "鼎顶",
    "宏鸿",
    "丰峰",
    "达大",
    "通同",
    "汇惠",
    "德得",
    "信欣",
    "诚成",
    "和合",
    "安按",
    "康慷",
    "泽择",
    "润闰",
    "博搏",
    "嘉佳",
    "益亿",
    "兴星",
    "旺望",
    "利力",
    "昌常",
    "荣容",
    "鹏朋",
    "辉晖",
    "耀跃",
    "明名",
    "光广",
    "晨辰",
    "阳杨",
    "海嗨",
    "天添",
    "宇雨",
    "凯恺",
    "豪毫",
    "俊骏",
    "峰锋",
    "岳越",
    "林琳",
    "森深",
    "川穿",
    "江将",
    "远元",
    "航杭",
    "启起",
    "正政",
    "中忠",
    "联连",
    "合和",
    "盈赢",
    "亨哼",
    "裕玉",
    "佳家",
    "美每",
    "优忧",
    "聚举",
    "众重",
    "诺若",
    "维唯",
    "卓桌",
    "越悦",
    "腾藤",
    "飞非",
    "扬洋",
    "帆凡",
    "锦金",
    "绣秀",
    "彩采",
    "瀚汉",
    "鸣明",
    "乐勒",
    "悦月",
    "欣新",
    "怡宜",
    "馨新",
    "雅亚",
    "尚上",
    "品拼",
    "致至",
    "远园",
    "永泳",
    "恒横",
    "久九",
    "长常",
    "晟盛",
    "昊浩",
    "晖辉",
    "坤昆",
    "乾前",
    "元园",
    "春椿",
    "秋丘",
    "齐奇",
    "鲁路",
    "泉全",
    "湖胡",
    "溪西",
    "润顺",
    "顺舜",
    "汇会",
    "银艮",
    "宝保",
    "玉育",
    "琪棋",
    "瑜渝",
    "佰百",
    "万方",
    "亿义",
    "仟千",
    "喜禧",
    "福幅",
    "禄路",
    "寿受",
    "康糠",
    "宁凝",
    "泓宏",
    "沣丰",
    "淼渺",
    "森参",
    "焱炎",
    "垚尧",
    "鑫心",
    "犇奔",
    "磊垒",
    "品聘",
]
_PAIRS = dict(reversed([(p[0], p[1]) for p in _BRAND_PAIRS]))  # first pairing wins
BRAND_CHARS: list[str] = list(dict.fromkeys(p[0] for p in _BRAND_PAIRS))
TYPO_CHARS: list[str] = [_PAIRS[c] for c in BRAND_CHARS]
P = len(BRAND_CHARS)

SURNAMES = list(
    "王王王张张张李李李刘刘孙孙赵赵陈杨黄周吴徐马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "杜程苏魏吕丁任沈姚卢姜崔钟谭陆范金石贾夏付方白邹孟秦邱尹薛闫段雷侯史陶贺顾毛郝邵万钱严武戴孔翟耿"
)
GIVEN = list(
    "建国军华明秀英兰芳玲丽伟强磊洋勇敏静燕霞红涛峰鹏杰刚平辉斌鑫宇浩晨欣怡婷雪梅海波宁新文凤云庆春德志"
    "成玉桂金荣秋香东彬亮超琳立军俊凯帅鸿莉娜霞慧丹晓振玉宝山"
)

# A fixed simplified → traditional mapping for common characters (enough to alter most names).
TRADITIONAL = dict(
    zip(
        "区镇业农贸财资询养务传电术饮责华丰汇达东兴发荣龙宝鸿顺万云长优乐诚联圣亿众庄园广厂网络种专销车门馆"
        "面烧饭开关为与体国银险钱币链数场间鲁齐湾宁乡乡寿禄庆凤鸣飞腾绣锦彩泽润扬帆尧伟玛丽红鹏辉耀晖刚烟酒"
        "盘胜缘圆进远运达图实宾贤亚尔饰装维护钢铁陶艺药医疗护卫干洁净纺织机电设备环环节节态态惠惠顾问",
        "區鎮業農貿財資詢養務傳電術飲責華豐匯達東興發榮龍寶鴻順萬雲長優樂誠聯聖億眾莊園廣廠網絡種專銷車門館"
        "麵燒飯開關為與體國銀險錢幣鏈數場間魯齊灣寧鄉鄉壽祿慶鳳鳴飛騰繡錦彩澤潤揚帆堯偉瑪麗紅鵬輝耀暉剛煙酒"
        "盤勝緣圓進遠運達圖實賓賢亞爾飾裝維護鋼鐵陶藝藥醫療護衛幹潔淨紡織機電設備環環節節態態惠惠顧問",
        strict=True,
    )
)
TRAD_FROM = [k for k, v in TRADITIONAL.items() if k != v]
TRAD_TO = [TRADITIONAL[k] for k in TRAD_FROM]

_FULLWIDTH_FROM = list("0123456789()")
_FULLWIDTH_TO = list("０１２３４５６７８９（）")

# Individual businesses (个体工商户): shop type, industry category, scope.
SHOP_TYPES: list[tuple[str, str, str]] = [
    ("面馆", "住宿和餐饮业", "许可项目：餐饮服务。"),
    ("家常菜馆", "住宿和餐饮业", "许可项目：餐饮服务；食品小作坊经营。"),
    ("烧烤店", "住宿和餐饮业", "许可项目：餐饮服务。一般项目：食用农产品零售。"),
    ("超市", "批发和零售业", "许可项目：食品销售；烟草制品零售。一般项目：日用百货销售；食用农产品零售。"),
    ("便利店", "批发和零售业", "许可项目：食品销售；烟草制品零售。一般项目：日用品销售。"),
    ("水果店", "批发和零售业", "一般项目：新鲜水果零售；食用农产品零售。"),
    ("五金店", "批发和零售业", "一般项目：五金产品零售；建筑材料销售；电线、电缆经营。"),
    (
        "农资店",
        "批发和零售业",
        "许可项目：农药零售。一般项目：化肥销售；农用薄膜销售；农作物种子经营（仅限不再分装的包装种子）。",
    ),
    ("理发店", "居民服务、修理和其他服务业", "许可项目：理发服务。一般项目：美甲服务。"),
    ("家电维修部", "居民服务、修理和其他服务业", "一般项目：日用电器修理；家用电器销售。"),
    ("汽车修理厂", "居民服务、修理和其他服务业", "一般项目：机动车修理和维护；汽车零配件零售。"),
    ("建材店", "批发和零售业", "一般项目：建筑材料销售；建筑装饰材料销售；卫生陶瓷制品销售。"),
    ("服装店", "批发和零售业", "一般项目：服装服饰零售；鞋帽零售。"),
    ("烟酒店", "批发和零售业", "许可项目：烟草制品零售；酒类经营。一般项目：日用百货销售。"),
    ("粮油店", "批发和零售业", "许可项目：食品销售。一般项目：食用农产品零售。"),
    ("养殖场", "农、林、牧、渔业", "许可项目：家禽饲养；牲畜饲养。"),
    ("蔬菜种植园", "农、林、牧、渔业", "一般项目：蔬菜种植；水果种植；食用农产品初加工。"),
    ("快递服务站", "交通运输、仓储和邮政业", "一般项目：快递服务（不含许可类业务）；国内货物运输代理。"),
    ("手机店", "批发和零售业", "一般项目：通讯设备销售；电子产品销售；计算机及通讯设备租赁。"),
    ("茶叶店", "批发和零售业", "许可项目：食品销售。一般项目：茶具销售。"),
    ("美容店", "居民服务、修理和其他服务业", "许可项目：生活美容服务。一般项目：化妆品零售。"),
    ("干洗店", "居民服务、修理和其他服务业", "一般项目：洗烫服务；洗染服务。"),
    (
        "养生馆",
        "居民服务、修理和其他服务业",
        "一般项目：养生保健服务（非医疗）；足浴服务；保健食品（预包装）销售。",
    ),
    ("保健品店", "批发和零售业", "许可项目：保健食品销售。一般项目：日用百货销售。"),
]

COOP_TYPES: list[tuple[str, str]] = [
    ("种植", "一般项目：谷物种植；蔬菜种植；组织收购、销售成员种植的农产品；农业机械服务。"),
    ("果蔬种植", "一般项目：水果种植；蔬菜种植；农产品的生产、销售、加工、运输、贮藏及其他相关服务。"),
    ("畜牧养殖", "许可项目：牲畜饲养；家禽饲养。一般项目：畜牧渔业饲料销售；农业生产托管服务。"),
    ("苗木种植", "一般项目：林木种子生产经营；树木种植经营；园林绿化工程施工。"),
    ("中药材种植", "一般项目：中草药种植；地产中草药(不含中药饮片）购销；农产品的生产、销售、加工。"),
    ("农机", "一般项目：农业机械服务；农业机械租赁；农业机械销售；农业生产托管服务。"),
]


def gather(pool: list[str], idx: np.ndarray) -> pl.Series:
    """Vectorised pool lookup: one string per index."""
    return pl.Series(pool, dtype=pl.String).gather(pl.Series(idx.astype(np.int64)))


def person_names(rng: np.random.Generator, n: int) -> pl.Series:
    """Chinese names: surname plus one or two given characters."""
    sur = gather(SURNAMES, rng.integers(0, len(SURNAMES), n))
    g1 = gather(GIVEN, rng.integers(0, len(GIVEN), n))
    two = rng.random(n) < 0.7
    g2 = gather([*GIVEN, ""], np.where(two, rng.integers(0, len(GIVEN), n), len(GIVEN)))
    return pl.DataFrame({"a": sur, "b": g1, "c": g2}).select(pl.concat_str("a", "b", "c"))["a"]


# Brands (字号) are drawn from a Zipf-Mandelbrot law over BRAND_VOCAB ranks, p(r) ~ (r + q)^-s, fitted
# to real registrations by benchmarks/eval_collisions.py: in the elevencats 1978-2004 sample the share of
# registrations whose 字号 another one shares is 5.9% at 2,000, 10.9% at 5,000, 15.8% at 10,000 and
# 19.1% at 14,115; this law gives 6%, 11%, 16%, 20% there and extrapolates to ~42% at 100,000 and ~75% at
# 1,000,000 (about 2.6 registrations per brand, the most popular brand a few hundred times) instead of
# running out of a uniform space. Ranks below P*P are two-character brands, the rest three characters.
BRAND_ZIPF_S = 0.85
BRAND_ZIPF_Q = 100.0
BRAND_VOCAB = 1_000_000


def zipf_ranks(rng: np.random.Generator, n: int, s: float, q: float, vocab: int) -> np.ndarray:
    """n ranks in [0, vocab) with p(r) ~ (r + q)^-s (continuous inverse CDF, s != 1)."""
    a = 1.0 - s
    lo, hi = q**a, (vocab + q) ** a
    ranks = np.floor((lo + rng.random(n) * (hi - lo)) ** (1.0 / a) - q).astype(np.int64)
    return np.clip(ranks, 0, vocab - 1)


def brand_indices(rng: np.random.Generator, n: int) -> np.ndarray:
    """(n, 3) brand-character indices (-1 = none): popular brands often, the long tail rarely."""
    from fundrisk.synth.ids import scramble

    rank = zipf_ranks(rng, n, BRAND_ZIPF_S, BRAND_ZIPF_Q, min(BRAND_VOCAB, P * P + P**3))
    three = rank >= P * P
    out = np.full((n, 3), -1, dtype=np.int64)
    two_code = scramble(np.where(three, 0, rank), P * P, 7919, 12345)
    three_code = scramble(np.where(three, rank - P * P, 0), P**3, 104729, 987654)
    code = np.where(three, three_code, two_code)
    out[:, 0] = np.where(three, code // (P * P), code // P)
    out[:, 1] = np.where(three, (code // P) % P, code % P)
    out[:, 2] = np.where(three, code % P, -1)
    # Avoid doubled characters ("鑫鑫") which look machine-made: shift the second one.
    same = out[:, 1] == out[:, 0]
    out[same, 1] = (out[same, 1] + 1) % P
    return out


def brand_strings(chars: np.ndarray, typo_pos: np.ndarray | None = None) -> pl.Series:
    """Brand strings from (n, 3) indices; typo_pos (0/1 per row) swaps that char for its look-alike."""
    cols = []
    for pos in range(3):
        idx = chars[:, pos]
        pool = [*BRAND_CHARS, ""]
        if typo_pos is not None:
            pool = [*BRAND_CHARS, "", *TYPO_CHARS]
            idx = np.where((typo_pos == pos) & (idx >= 0), idx + P + 1, idx)
        cols.append(gather(pool, np.where(idx < 0, P, idx)).alias(str(pos)))
    return pl.DataFrame(cols).select(pl.concat_str("0", "1", "2"))["0"]


def to_traditional(s: pl.Series) -> pl.Series:
    """Simplified → traditional with a fixed character map."""
    return s.str.replace_many(TRAD_FROM, TRAD_TO)


def to_fullwidth(s: pl.Series) -> pl.Series:
    """ASCII digits and brackets → full-width forms; an ideographic space after the region otherwise."""
    wide = s.str.replace_many(_FULLWIDTH_FROM, _FULLWIDTH_TO)
    narrow = s.str.replace_many(["（", "）"], ["(", ")"])
    spaced = s.str.replace(r"^(淄博市|淄博|山东|文昌湖区)", "${1}\u3000")
    return pl.select(
        pl.when(wide != s).then(wide).when(narrow != s).then(narrow).otherwise(spaced)
    ).to_series()
