"""Risk factors: pure whole-column functions over the features frame (scoring/FEATURES.md), each in [0, 1].

Each function's one-line docstring is its published reason text, shown beside its weight (weights_table).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, TypeVar

import polars as pl

from scoring.config import anchors, legal
from scoring.scales import anchored, flag, num


class Anchors(NamedTuple):
    people: tuple[float, float, float]
    money_yuan: tuple[float, float, float]


LEGAL = Anchors(*anchors())  # weights.toml [anchors], the legal thresholds filled in from legal.toml
Factor = Callable[[pl.DataFrame, Anchors], pl.Series]
F = TypeVar("F", bound=Callable[..., pl.Series])


def cites_law(fn: F) -> F:
    """A docstring naming {case_people}, {serious_wan} … states the figures of legal.toml."""
    fn.__doc__ = legal().text(fn.__doc__ or "")
    return fn


# Alert types that describe pooling of many people's money, with their strength.
POOLING_TYPES = {"分散转入集中转出": 1.0, "快进快出": 0.8, "资金异常归集": 0.7, "频繁小额转入": 0.6}
LICENSED_FINANCE_INDUSTRY = r"金融业|货币金融|资本市场服务|保险业"
SMALL_INFLOW_YUAN = 50_000.0  # average inflow per transaction below this, from many payers
CAPITAL_GAP = 10.0  # inflow above this multiple of registered capital
WEAK_RELATION_SHARE = 0.5  # weak repeat-offender ties fill at most half the relations factor


def people() -> pl.Expr:
    return pl.max_horizontal(num("payer_count"), num("claimed_participants"))


def multi_payer() -> pl.Expr:
    """At least one linked alert has more than one payer (a lone big transfer is not pooling)."""
    return num("alert_count") > num("single_payer_alerts")


def payer_breadth() -> pl.Expr:
    """Share of 'public' in the alerted money: 0.25 for one payer, 1.0 from 30 payers on."""
    return (0.25 + 0.75 * (num("payer_count") - 1) / 29).clip(0.25, 1.0)


def lexicon_hit() -> pl.Expr:
    """The keyword stage found a lexicon term (outside masked phrases) or a 第九条 word."""
    return (num("lexicon_hits") > 0) | (num("nine_term_hits") > 0)


def finance_words() -> pl.Expr:
    """Strength of finance wording in name/scope; a scope whose only finance words are the disclaimer is 0."""
    words = pl.when(num("nine_term_hits") > 0).then(1.0).otherwise(num("keyword_score") / 100)
    masked = flag("scope_disclaimer_only") & ~lexicon_hit()
    return pl.when(masked).then(0.0).otherwise(words.clip(0.0, 1.0))


def _col(f: pl.DataFrame, expr: pl.Expr, name: str) -> pl.Series:
    return f.select(expr.clip(0.0, 1.0).fill_null(0.0).alias(name)).to_series()


@cites_law
def participants(f: pl.DataFrame, a: Anchors = LEGAL) -> pl.Series:
    """涉众规模：资金对手方或线索反映的涉及人数，以{case_people}人（立案）和{serious_people}人（数额巨大）为锚点"""
    return _col(f, anchored(people(), a.people), "participants")


@cites_law
def exposure(f: pl.DataFrame, a: Anchors = LEGAL) -> pl.Series:
    """风险敞口：转入全额与净流入、线索涉及金额，以{case_wan}万元和{serious_wan}万元为锚点，注册资本远低于资金量时加重"""
    inflow, net = num("inflow_yuan"), (num("inflow_yuan") - num("outflow_yuan")).clip(lower_bound=0.0)
    flows = (0.7 * anchored(inflow, a.money_yuan) + 0.3 * anchored(net, a.money_yuan)) * payer_breadth()
    claimed = anchored(num("claimed_amount_yuan"), a.money_yuan)
    capital = num("registered_capital_wan") * 10_000
    gap = (capital > 0) & (inflow >= a.money_yuan[1]) & (inflow > CAPITAL_GAP * capital) & multi_payer()
    return _col(f, pl.max_horizontal(flows, claimed) + pl.when(gap).then(0.1).otherwise(0.0), "exposure")


def fund_flow(f: pl.DataFrame, a: Anchors = LEGAL) -> pl.Series:
    """资金异动：分散转入集中转出、快进快出、多人小额转入等归集模式，多种模式叠加加重（单一对手方大额转入不计）"""
    types = pl.col("alert_types").fill_null("")
    # Distinct pooling patterns compound (noisy-OR): each one alone keeps its strength, several
    # together are more evidence than the strongest alone (归集 + 快进快出 + 集中转出 is a scheme's cycle).
    missed = pl.lit(1.0)
    for t, w in POOLING_TYPES.items():
        missed = missed * pl.when(types.str.contains(t, literal=True)).then(1.0 - w).otherwise(1.0)
    pattern = 1.0 - missed
    avg = num("inflow_yuan") / num("txn_count").clip(lower_bound=1.0)
    small = pl.when((avg <= SMALL_INFLOW_YUAN) & (num("payer_count") >= 30)).then(0.6).otherwise(0.0)
    passing = (num("outflow_yuan") >= 0.8 * num("inflow_yuan")) & (num("inflow_yuan") >= a.money_yuan[0])
    breadth = anchored(num("payer_count"), a.people)
    value = pl.max_horizontal(pattern, small) * (0.5 + 0.5 * breadth) + pl.when(passing).then(0.2).otherwise(
        0.0
    )
    return _col(f, pl.when(multi_payer()).then(value).otherwise(0.0), "fund_flow")


def opinion(f: pl.DataFrame, a: Anchors = LEGAL) -> pl.Series:
    """舆论热度：涉资金线索的数量、来源渠道、时效和负面程度（与资金无关的投诉不计）"""
    m = num("money_clue_count")
    volume = 1 - (-m / 3).exp()
    spread = (num("channel_count") / 3).clip(0.0, 1.0)
    negativity = pl.col("clue_negativity").cast(pl.Float64).fill_null(0.5).clip(0.0, 1.0)
    recency = (
        (-pl.col("days_since_last_clue").cast(pl.Float64).clip(lower_bound=0) / 180).exp().fill_null(0.5)
    )
    heat = (0.5 * volume + 0.25 * spread + 0.25 * negativity) * (0.3 + 0.7 * recency)
    return _col(f, pl.when(m > 0).then(heat).otherwise(0.0), "opinion")


def stability(f: pl.DataFrame, a: Anchors = LEGAL) -> pl.Series:
    """涉稳隐患：跑路、无法兑付、聚集上访等信号，老年人和外地人占比高且涉众人数多"""
    crowd = anchored(people(), a.people)
    shares = 0.5 * num("elderly_share").clip(0.0, 1.0) + 0.3 * num("out_of_region_share").clip(0.0, 1.0)
    return _col(f, num("stability_signal").clip(0.0, 1.0) + crowd * shares, "stability")


def keywords(f: pl.DataFrame, a: Anchors = LEGAL) -> pl.Series:
    """敏感词：名称或经营范围含集资相关字样，条例第九条禁用字样加重（经营范围中的标准免责表述不计）"""
    base = (num("keyword_score") / 100).clip(0.0, 1.0) + (0.25 * num("nine_term_hits")).clip(0.0, 0.5)
    masked = flag("scope_disclaimer_only") & ~lexicon_hit()
    return _col(f, pl.when(masked).then(0.0).otherwise(base), "keywords")


def registry(f: pl.DataFrame, a: Anchors = LEGAL) -> pl.Series:
    """登记异常：经营异常、非法集资或民间借贷涉诉、频繁变更、跨省设立分支"""
    value = (
        0.25 * num("registry_abnormal").clip(0.0, 2.0)
        + 0.8 * num("registry_fundraising_lawsuits").clip(0.0, 2.0)
        + 0.15 * num("registry_lending_lawsuits").clip(0.0, 3.0)
        + 0.25 * flag("registry_frequent_changes").cast(pl.Float64)
        + 0.15 * flag("registry_out_of_province").cast(pl.Float64)
    )
    return _col(f, value, "registry")


def unlicensed(f: pl.DataFrame, a: Anchors = LEGAL) -> pl.Series:
    """无资质金融业务：非持牌金融机构却使用金融字样或归集多人资金"""
    industry = pl.col("industry").fill_null("").str.contains(LICENSED_FINANCE_INDUSTRY)
    gate = ~flag("is_licensed_fi") & ~industry
    money = pl.when(multi_payer()).then(anchored(num("payer_count"), a.people)).otherwise(0.0)
    return _col(f, pl.when(gate).then(0.7 * finance_words() + 0.5 * money).otherwise(0.0), "unlicensed")


def relations(f: pl.DataFrame, a: Anchors = LEGAL) -> pl.Series:
    """关联风险：与已认定的风险主体法定代表人或联系电话相同（强关联），或同一具体住所、同业同镇字号相同（弱关联，计分较低）"""
    # Each strong tie leaves 40% of the gap; weak ties (noisy-OR weight in [0, 1]) fill at most
    # WEAK_RELATION_SHARE of what is left, so weak ties alone stay a few points, never a tier.
    missed = pl.lit(0.4) ** num("relation_count") * (
        1 - WEAK_RELATION_SHARE * num("weak_relation_weight").clip(0.0, 1.0)
    )
    return _col(f, 1 - missed, "relations")


def provincial(f: pl.DataFrame, a: Anchors = LEGAL) -> pl.Series:
    """省清单：已列入金安工程风险清单"""
    return _col(f, flag("on_provincial_list").cast(pl.Float64), "provincial")


FACTORS: dict[str, Factor] = {
    "participants": participants,
    "exposure": exposure,
    "fund_flow": fund_flow,
    "stability": stability,
    "opinion": opinion,
    "keywords": keywords,
    "unlicensed": unlicensed,
    "registry": registry,
    "relations": relations,
    "provincial": provincial,
}

LABELS = {name: (fn.__doc__ or name).split("：", 1)[0] for name, fn in FACTORS.items()}


def factor_values(f: pl.DataFrame, a: Anchors = LEGAL, names: list[str] | None = None) -> pl.DataFrame:
    """All factor values as one frame, one column per factor."""
    return pl.DataFrame([FACTORS[n](f, a) for n in (names or list(FACTORS))])


def weights_table(points: dict[str, float]) -> pl.DataFrame:
    """The published grading rules: factor, Chinese label, points, and the docstring as its reason text."""
    return pl.DataFrame(
        {
            "factor": list(FACTORS),
            "label": [LABELS[n] for n in FACTORS],
            "points": [points.get(n, 0.0) for n in FACTORS],
            "reason": [(fn.__doc__ or "").strip() for fn in FACTORS.values()],
        }
    )
