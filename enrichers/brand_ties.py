"""Similar brands (字号) between registrations and flagged priors, blocked (never all pairs).

Two brands are similar when equal, or when one character differs by a sound-alike (fuzzy pinyin z/zh,
c/ch, s/sh, -n/-ng) or look-alike. The new registration is compared on the prefix of its core of the
prior brand's length, because brand parsing can drop a character of a new name (凯雅园农业发展 → 凯雅)
whose prior's brand is 凯雅元. Every join is blocked on extra keys the caller chooses (industry and
town, or the prior already tied by another key), so a popular brand never fans out over the district.
"""

from __future__ import annotations

from functools import lru_cache

import polars as pl

# Toneless pinyin of characters common in 字号 (brand names), for homophone substitutions (鑫/新, 鸣/明).
# pypinyin would cover every character; this table keeps the module free of a new dependency.
PINYIN = """
an:安按岸案 ang:昂 ao:奥傲澳 ba:八巴霸 bai:百佰白柏 bang:邦帮
bao:宝保堡葆鲍 bei:北贝倍蓓 ben:本奔 bi:必碧毕璧 bian:边 biao:彪标
bin:斌彬滨宾 bing:兵冰炳 bo:博搏波柏泊 cai:彩采财才材 can:灿 cang:苍
cao:曹 ce:策 cen:岑 ceng:曾 chang:昌常长畅 chao:超朝潮
chen:晨辰臣陈宸 cheng:诚成承城程澄 chi:驰 chong:崇 chu:楚初
chuan:川穿传 chun:春椿纯淳 ci:慈 cong:聪丛 cui:翠 cun:存 da:达大
dai:代岱 dan:丹 dao:道 de:德得 deng:登 di:迪帝地 dian:典
ding:鼎顶丁定 dong:东冬栋 du:都杜 duo:多 e:鄂 en:恩 er:尔 fa:发法
fan:帆凡繁范 fang:方芳 fei:飞非菲 feng:丰峰锋凤沣枫 fu:福富幅府甫孚馥
gang:港钢 gao:高 ge:格 gen:艮 geng:耕 gong:工公功 gu:谷古固
guan:冠 guang:光广 gui:贵桂 guo:国果 hai:海嗨 han:汉瀚翰涵韩
hang:航杭 hao:豪毫昊浩好皓 he:和合禾荷 heng:恒衡亨哼横 hong:宏鸿泓红弘洪
hu:湖胡虎 hua:华化花骅桦 huai:怀 huan:欢环 huang:皇煌 hui:辉晖汇惠会慧徽
huo:火 ji:吉基集佶 jia:佳家嘉 jian:建健坚剑 jiang:江将疆 jiao:骄
jie:杰捷洁 jin:金今锦晋津瑾 jing:京晶景静 jiu:久九玖 ju:聚举巨炬
jun:俊骏君军 kai:凯恺开 kang:康糠 ke:科可 kun:坤昆 lai:来莱 lan:兰蓝岚
lang:朗 le:乐勒 lei:磊雷蕾 li:利力立丽黎 lian:联连莲 liang:良亮
lin:林琳霖 ling:凌玲灵 liu:留刘 long:隆龙 lu:鲁路禄陆 lv:绿律 ma:马
mai:麦 man:满 mao:茂 mei:美每梅 meng:萌盟蒙 miao:渺淼苗 min:敏民
ming:明名鸣铭 mu:木沐 na:纳 nan:南 neng:能 ning:宁凝 nong:农
nuo:诺 ou:欧 pai:派 pan:盘 peng:鹏朋 pin:品拼 ping:平萍 pu:普浦
qi:启起齐奇琪棋旗麒 qian:乾前千仟谦 qiang:强 qiao:桥 qin:勤秦琴
qing:青清庆晴擎 qiu:秋丘 quan:泉全权 qun:群 rong:荣容融 ru:如
rui:瑞锐睿 run:润闰 ruo:若 shan:山善 shang:尚上商 shao:韶
shen:深申神 sen:森 sheng:盛胜晟圣升生 shi:世时石实 shou:寿受 shu:舒树
shun:顺舜 si:思 song:松嵩 tai:泰太 tang:唐 tao:涛 teng:腾藤
tian:天添田 tong:通同彤 wan:万 wang:旺望 wei:维唯伟威卫 wen:文 wu:武
xi:喜禧西溪熙 xia:夏 xiang:祥翔湘香 xiao:晓 xin:鑫新欣馨信心昕芯
xing:兴星行 xiu:秀绣 xu:旭 xuan:轩 ya:雅亚 yan:炎焱岩 yang:阳杨扬洋
yao:耀跃垚尧 ye:业 yi:亿义益怡宜艺逸 yin:银音 ying:盈赢英莹 yong:永泳勇
you:优忧友 yu:宇雨裕玉育瑜渝 yuan:元园源远圆 yue:越悦月岳乐 yun:云韵 ze:泽择
zhan:展 zhao:兆 zhen:振臻 zheng:正政 zhi:致至智志 zhong:中忠众重
zhou:舟 zhuo:卓桌 zi:紫 zun:尊
"""
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


@lru_cache(maxsize=1)
def similar_chars() -> pl.DataFrame:
    """c1, c2: pairs of different characters that sound alike (fuzzy pinyin z/zh, c/ch, s/sh, -n/-ng) or look alike."""
    rows = [(syl, ch) for item in PINYIN.split() for syl, chars in [item.split(":")] for ch in chars]
    sound = pl.DataFrame(rows, schema={"syl": pl.Utf8, "ch": pl.Utf8}, orient="row").with_columns(
        pl.col("syl").str.replace(r"^([zcs])h", "$1").str.replace(r"ng$", "n").alias("key")
    )
    looks = pl.DataFrame({"key": [f"~{g}" for g in LOOK_ALIKE], "ch": [list(g) for g in LOOK_ALIKE]})
    groups = pl.concat([sound.select("key", "ch"), looks.explode("ch")])
    return (
        groups.join(groups, on="key", suffix="2")
        .filter(pl.col("ch") != pl.col("ch2"))
        .select(pl.col("ch").alias("c1"), pl.col("ch2").alias("c2"))
        .unique()
    )


def _masked(frame: pl.DataFrame, keep: list[str], col: str) -> pl.DataFrame:
    """keep…, bkey, ch: the text with each position masked in turn, and the character that was masked."""
    text = pl.col(col)
    return (
        frame.select(*keep, col)
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
    heads = pl.concat(
        [new.clear().select("uscc", *keys, pl.col("core").alias("head"))]
        + [
            new.filter(pl.col("core").str.len_chars() >= n).select(
                "uscc", *keys, pl.col("core").str.slice(0, n).alias("head")
            )
            for n in lengths
        ]
    )
    mine = [k for k in keys if k != "related_uscc"]
    near = (
        _masked(heads, ["uscc", *keys], "head")
        .join(_masked(prior, ["related_uscc", *mine], "brand"), on=["bkey", *keys], suffix="_p")
        .join(similar_chars(), left_on=["ch", "ch_p"], right_on=["c1", "c2"])
        .select("uscc", "related_uscc", pl.lit("near_brand").alias("relation"))
    )
    pairs = pl.concat([same, near]).filter(pl.col("uscc") != pl.col("related_uscc"))
    return pairs.sort("relation", descending=True).unique(["uscc", "related_uscc"], keep="first")
