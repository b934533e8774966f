"""Evidence sentences (Chinese) for every factor, built whole-column, and the top-N selection per row."""

from __future__ import annotations

import polars as pl

from scoring.config import legal
from scoring.factors import LABELS, Anchors, people
from scoring.scales import grouped, num, pct, wan


def _text(col: str) -> pl.Expr:
    return pl.col(col).cast(pl.String).fill_null("")


# The law is cited from legal.toml, not from the anchors: an anchor is tuning and may be moved.
def _law_people(n: pl.Expr, a: Anchors) -> pl.Expr:
    law = legal()
    big, first = law.serious.people, law.case.people
    return (
        pl.when(n >= big)
        .then(
            pl.lit(law.text("，达到{serious_people}人的“数额巨大”标准（{law_short}第{serious_article}条）"))
        )
        .when(n >= first)
        .then(pl.lit(law.text("，超过{case_people}人的立案标准（{law_short}第{case_article}条）")))
        .otherwise(pl.lit(""))
    )


def _law_money(x: pl.Expr, a: Anchors) -> pl.Expr:
    law = legal()
    return (
        pl.when(x >= law.serious.amount_yuan)
        .then(pl.lit(law.text("，达到{serious_wan}万元的“数额巨大”标准（{law_short}第{serious_article}条）")))
        .when(x >= law.case.amount_yuan)
        .then(pl.lit(law.text("，超过{case_wan}万元的立案标准（{law_short}第{case_article}条）")))
        .otherwise(pl.lit(""))
    )


def _participants(a: Anchors) -> pl.Expr:
    n = people()
    source = (
        pl.when(num("payer_count") >= num("claimed_participants"))
        .then(pl.lit("资金对手方"))
        .otherwise(pl.lit("线索反映涉及"))
    )
    return pl.concat_str([source, grouped(n), pl.lit("人"), _law_people(n, a)])


def _exposure(a: Anchors) -> pl.Expr:
    inflow, claimed = num("inflow_yuan"), num("claimed_amount_yuan")
    flows = pl.concat_str(
        [pl.lit("资金转入"), wan(inflow), pl.lit("、净流入"), wan((inflow - num("outflow_yuan")).clip(0.0))]
    )
    claim = pl.concat_str([pl.lit("线索反映涉及金额"), wan(claimed)])
    few = pl.when((num("alert_count") > 0) & (num("payer_count") <= 1)).then(
        pl.concat_str([pl.lit("（仅"), grouped(num("payer_count")), pl.lit("个对手方，不具公众性）")])
    )
    flows = pl.concat_str([flows, few], ignore_nulls=True)
    body = pl.when(inflow >= claimed).then(flows).otherwise(claim)
    capital = num("registered_capital_wan")
    gap = (
        pl.when((capital > 0) & (inflow > 10 * capital * 10_000))
        .then(pl.concat_str([pl.lit("，注册资本仅"), wan(capital * 10_000)]))
        .otherwise(pl.lit(""))
    )
    return pl.concat_str([body, _law_money(pl.max_horizontal(inflow, claimed), a), gap])


def _fund_flow(a: Anchors) -> pl.Expr:
    types = pl.col("alert_types").fill_null("")
    kinds = (
        pl.when(types != "").then(pl.concat_str([pl.lit("（"), types, pl.lit("）")])).otherwise(pl.lit(""))
    )
    return pl.concat_str(
        [
            grouped(num("payer_count")),
            pl.lit("个对手方转入"),
            wan(num("inflow_yuan")),
            pl.lit("，转出"),
            wan(num("outflow_yuan")),
            pl.lit("，"),
            grouped(num("txn_count")),
            pl.lit("笔"),
            kinds,
        ]
    )


def _opinion(a: Anchors) -> pl.Expr:
    days = pl.col("days_since_last_clue")
    recent = (
        pl.when(days.is_not_null())
        .then(pl.concat_str([pl.lit("，最近一条距今"), days.cast(pl.String), pl.lit("天")]))
        .otherwise(pl.lit(""))
    )
    return pl.concat_str(
        [
            grouped(num("money_clue_count")),
            pl.lit("条涉资金线索，来自"),
            grouped(num("channel_count")),
            pl.lit("个渠道"),
            recent,
        ]
    )


def _stability(a: Anchors) -> pl.Expr:
    # distinct signals, first four (the features concatenate each clue's own list)
    terms = (
        _text("stability_terms").str.split("、").list.unique(maintain_order=True).list.head(4).list.join("、")
    )
    signal = pl.when(terms != "").then(pl.concat_str([pl.lit("线索出现「"), terms, pl.lit("」")]))
    elderly = pl.when(num("elderly_share") >= 0.3).then(
        pl.concat_str([pl.lit("60岁以上对手方占"), pct(pl.col("elderly_share"))])
    )
    region = pl.when(num("out_of_region_share") >= 0.3).then(
        pl.concat_str([pl.lit("外地对手方占"), pct(pl.col("out_of_region_share"))])
    )
    crowd = pl.when(people() >= a.people[1]).then(
        pl.concat_str([pl.lit("涉及"), grouped(people()), pl.lit("人")])
    )
    return pl.concat_str([signal, elderly, region, crowd], separator="；", ignore_nulls=True)


def _keywords(a: Anchors) -> pl.Expr:
    reason = _text("keyword_reason")
    nine = pl.when((num("nine_term_hits") > 0) & ~reason.str.contains("第九条", literal=True)).then(
        pl.concat_str([pl.lit("，含条例第九条禁用字样"), grouped(num("nine_term_hits")), pl.lit("处")])
    )
    head = (
        pl.when(reason != "")
        .then(reason)
        .otherwise(pl.concat_str([pl.lit("敏感词评分"), grouped(num("keyword_score"))]))
    )
    return pl.concat_str([head, nine], ignore_nulls=True)


def _registry(a: Anchors) -> pl.Expr:
    reason = _text("registry_reasons")
    parts = pl.concat_str(
        [
            pl.when(num("registry_abnormal") > 0).then(pl.lit("列入经营异常名录")),
            pl.when(num("registry_fundraising_lawsuits") > 0).then(
                pl.concat_str(
                    [pl.lit("非法集资类涉诉"), grouped(num("registry_fundraising_lawsuits")), pl.lit("件")]
                )
            ),
            pl.when(num("registry_lending_lawsuits") > 0).then(
                pl.concat_str(
                    [pl.lit("民间借贷纠纷"), grouped(num("registry_lending_lawsuits")), pl.lit("件")]
                )
            ),
            pl.when(pl.col("registry_frequent_changes").fill_null(False)).then(pl.lit("一年内频繁变更")),
            pl.when(pl.col("registry_out_of_province").fill_null(False)).then(pl.lit("在省外设立分支或投资")),
        ],
        separator="、",
        ignore_nulls=True,
    )
    return pl.when(reason != "").then(reason).otherwise(parts)


def _unlicensed(a: Anchors) -> pl.Expr:
    words = pl.when((num("nine_term_hits") > 0) | (num("keyword_score") > 0)).then(pl.lit("使用金融投资字样"))
    money = pl.when(num("payer_count") >= 30).then(
        pl.concat_str([pl.lit("归集"), grouped(num("payer_count")), pl.lit("人资金")])
    )
    what = pl.concat_str([words, money], separator="并", ignore_nulls=True)
    return pl.concat_str([pl.lit("非持牌金融机构"), what], separator="，", ignore_nulls=True)


def _relations(a: Anchors) -> pl.Expr:
    reason = _text("relation_reasons")
    count = pl.concat_str([pl.lit("与"), grouped(num("relation_count")), pl.lit("个风险主体存在关联")])
    return pl.when(reason != "").then(reason).otherwise(count)


def _provincial(a: Anchors) -> pl.Expr:
    return pl.lit("已列入金安工程风险清单")


EVIDENCE = {
    "participants": _participants,
    "exposure": _exposure,
    "fund_flow": _fund_flow,
    "opinion": _opinion,
    "stability": _stability,
    "keywords": _keywords,
    "registry": _registry,
    "unlicensed": _unlicensed,
    "relations": _relations,
    "provincial": _provincial,
}


def sentence(name: str, a: Anchors) -> pl.Expr:
    """'涉众规模：资金对手方312人，超过…人的立案标准（…第三条）' (the law's figures from legal.toml)."""
    return pl.concat_str([pl.lit(LABELS[name] + "："), EVIDENCE[name](a).fill_null("")])


def top_reasons(
    f: pl.DataFrame, contributions: pl.DataFrame, a: Anchors, max_sentences: int, min_points: float
) -> pl.Series:
    """Per row, the sentences of the factors with the most points (>= min_points), joined by newline.

    Sentences are built only where a factor is worth explaining (long format: one row per row x factor),
    then ranked by points, ties in factor order."""
    base = f.with_row_index("__row")
    parts = []
    for name in contributions.columns:
        pts = contributions[name]
        mask = pts >= min_points
        if mask.any():
            parts.append(
                base.filter(mask).select(
                    "__row", pts.filter(mask).alias("__pts"), sentence(name, a).alias("__text")
                )
            )
    reasons = pl.repeat("", f.height, dtype=pl.String, eager=True).alias("reasons")
    if not parts:
        return reasons
    ranked = (
        pl.concat(parts)
        .sort(["__row", "__pts"], descending=[False, True], maintain_order=True)
        .group_by("__row", maintain_order=True)
        .agg(pl.col("__text").head(max_sentences).str.join("\n"))
    )
    return reasons.scatter(ranked["__row"], ranked["__text"])
