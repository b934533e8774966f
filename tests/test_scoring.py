"""Risk grading: factor anchors and monotonicity, caps, traps, explanations, tiers, calibration."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from typing import Any

import numpy as np
import polars as pl
import pytest

from scoring import FACTORS, fit_calibration, inspection_order, load_config, score_subjects, weights_table
from scoring.config import _validate
from scoring.engine import tier_expr
from scoring.schema import FEATURE_SCHEMA, feature_rows

CONFIG = load_config()
POOLING = {"alert_count": 3, "alert_types": "分散转入集中转出"}


def value(factor: str, **row: Any) -> float:
    return float(FACTORS[factor](feature_rows([row]))[0])


def scored(*rows: dict[str, Any], **kwargs: Any) -> pl.DataFrame:
    return score_subjects(feature_rows(rows), **kwargs).scores


@pytest.mark.parametrize(
    ("factor", "row", "expected"),
    [
        ("participants", {"payer_count": 150}, 0.7),
        ("participants", {"payer_count": 500}, 1.0),
        ("participants", {"claimed_participants": 150}, 0.7),
        ("participants", {"claimed_participants": 500, "payer_count": 20}, 1.0),
        ("participants", {"payer_count": 5000}, 1.0),
        ("participants", {"payer_count": 10}, 0.0),
        ("exposure", {"claimed_amount_yuan": 1_000_000.0}, 0.7),
        ("exposure", {"claimed_amount_yuan": 5_000_000.0}, 1.0),
        ("exposure", {"inflow_yuan": 1_000_000.0, "payer_count": 40, **POOLING}, 0.7),
        ("exposure", {"inflow_yuan": 5_000_000.0, "payer_count": 40, **POOLING}, 1.0),
        ("exposure", {"claimed_amount_yuan": 100_000.0}, 0.0),
        ("provincial", {"on_provincial_list": True}, 1.0),
    ],
)
def test_legal_anchors(factor: str, row: dict[str, Any], expected: float) -> None:
    assert value(factor, **row) == pytest.approx(expected, abs=1e-9)


def test_thirty_people_is_small() -> None:
    assert 0.1 < value("participants", payer_count=30) < 0.35


@pytest.mark.parametrize(
    ("factor", "column", "steps", "base"),
    [
        ("participants", "payer_count", [0, 5, 30, 149, 150, 300, 500, 2000], {}),
        ("participants", "claimed_participants", [0, 30, 150, 499, 500], {}),
        ("exposure", "claimed_amount_yuan", [0.0, 5e4, 3e5, 1e6, 2e6, 5e6, 1e8], {}),
        ("exposure", "inflow_yuan", [0.0, 3e5, 1e6, 5e6, 1e8], {"payer_count": 40, **POOLING}),
        ("exposure", "payer_count", [1, 2, 10, 30, 100], {"inflow_yuan": 3e6, **POOLING}),
        ("fund_flow", "payer_count", [2, 10, 50, 150, 500], {"inflow_yuan": 3e6, **POOLING}),
        ("opinion", "money_clue_count", [0, 1, 2, 5, 20], {"channel_count": 1, "days_since_last_clue": 5}),
        ("opinion", "channel_count", [1, 2, 3, 5], {"money_clue_count": 2}),
        ("opinion", "clue_negativity", [0.0, 0.3, 0.9], {"money_clue_count": 2}),
        ("stability", "stability_signal", [0.0, 0.3, 0.7, 1.0], {}),
        ("stability", "elderly_share", [0.0, 0.3, 0.9], {"payer_count": 300}),
        ("keywords", "keyword_score", [0, 20, 60, 100], {}),
        ("keywords", "nine_term_hits", [0, 1, 2, 5], {"keyword_score": 40}),
        ("registry", "registry_fundraising_lawsuits", [0, 1, 3], {}),
        ("registry", "registry_abnormal", [0, 1, 2, 5], {}),
        ("relations", "relation_count", [0, 1, 2, 5], {}),
        ("unlicensed", "payer_count", [0, 30, 300], {"keyword_score": 40, **POOLING}),
    ],
)
def test_monotone(factor: str, column: str, steps: list[Any], base: dict[str, Any]) -> None:
    values = [value(factor, **{**base, column: s}) for s in steps]
    assert all(0.0 <= v <= 1.0 for v in values)
    assert values == sorted(values), values
    assert values[-1] > values[0]


def test_opinion_decays_with_age() -> None:
    ages = [0, 30, 180, 720]
    values = [value("opinion", money_clue_count=3, channel_count=2, days_since_last_clue=d) for d in ages]
    assert values == sorted(values, reverse=True) and values[0] > values[-1]


def test_factors_stay_in_unit_interval_on_random_rows() -> None:
    rng = np.random.default_rng(1)
    n = 400
    rows = [
        {
            "payer_count": int(rng.integers(0, 10_000)),
            "alert_count": int(rng.integers(0, 5)),
            "inflow_yuan": float(rng.uniform(0, 1e9)),
            "outflow_yuan": float(rng.uniform(0, 2e9)),
            "money_clue_count": int(rng.integers(0, 50)),
            "channel_count": int(rng.integers(0, 9)),
            "days_since_last_clue": int(rng.integers(-5, 2000)),
            "stability_signal": float(rng.uniform(0, 1)),
            "elderly_share": float(rng.uniform(0, 1)),
            "keyword_score": int(rng.integers(0, 101)),
            "nine_term_hits": int(rng.integers(0, 9)),
            "registry_fundraising_lawsuits": int(rng.integers(0, 9)),
            "relation_count": int(rng.integers(0, 9)),
            "claimed_amount_yuan": None if i % 3 else float(rng.uniform(0, 1e8)),
        }
        for i in range(n)
    ]
    frame = feature_rows(rows)
    for name, fn in FACTORS.items():
        v = fn(frame)
        assert v.null_count() == 0 and v.min() >= 0.0 and v.max() <= 1.0, name  # type: ignore[operator]


def test_licensed_institution_never_above_low_risk() -> None:
    everything = {
        "is_licensed_fi": True,
        "payer_count": 9000,
        "inflow_yuan": 1e10,
        "stability_signal": 1.0,
        "money_clue_count": 30,
        "channel_count": 5,
        "keyword_score": 100,
        "nine_term_hits": 3,
        "registry_fundraising_lawsuits": 2,
        "relation_count": 4,
        "on_provincial_list": True,
        **POOLING,
    }
    out = scored(everything, {**everything, "is_licensed_fi": False})
    assert out["rule_score"][0] == 100.0
    assert out["tier"].to_list() == ["低风险", "高风险"]
    assert out["score"][0] < CONFIG.tier_floor("中风险")


def test_disclaimer_only_scope_scores_nothing() -> None:
    disclaimer = {"scope_disclaimer_only": True, "keyword_score": 58, "keyword_reason": "名称与出险平台相似"}
    out = scored(
        disclaimer, {**disclaimer, "keyword_reason": "含集资相关字样「投资管理」", "lexicon_hits": 1}
    )
    assert out["score"][0] == 0.0 and out["tier"][0] == "无明显风险" and out["reasons"][0] == ""
    assert out["score"][1] > 0.0  # a real lexicon hit in the name still counts


def test_one_payer_transfer_alone_is_not_high_risk() -> None:
    lone = {
        "alert_count": 1,
        "single_payer_alerts": 1,
        "payer_count": 1,
        "inflow_yuan": 50_000_000.0,
        "outflow_yuan": 49_000_000.0,
        "txn_count": 1,
        "alert_types": "大额转入",
        "elderly_share": 1.0,
    }
    out = scored(lone)
    assert out["tier"][0] in {"低风险", "无明显风险"}
    assert value("fund_flow", **lone) == 0.0 and value("unlicensed", **lone) == 0.0
    assert "仅1个对手方" in out["reasons"][0]


def test_noise_clues_add_nothing() -> None:
    base = {"payer_count": 80, **POOLING, "inflow_yuan": 2e6}
    out = scored(base, {**base, "clue_count": 12, "money_clue_count": 0, "clue_negativity": 0.9})
    assert out["score"][0] == out["score"][1]
    assert value("opinion", clue_count=12, money_clue_count=0) == 0.0


def test_explanations_carry_evidence() -> None:
    row = {
        "payer_count": 312,
        "inflow_yuan": 18_420_000.0,
        "outflow_yuan": 16_500_000.0,
        "txn_count": 950,
        "registered_capital_wan": 50.0,
        "stability_signal": 0.8,
        "stability_terms": "跑路、无法兑付",
        **POOLING,
    }
    out = scored(row)
    reasons = out["reasons"][0].split("\n")
    assert 3 <= len(reasons) <= CONFIG.max_sentences
    text = out["reasons"][0]
    assert "资金异动：312个对手方转入1,842万元，转出1,650万元" in text
    assert "涉众规模：资金对手方312人，超过150人的立案标准（2022解释第三条）" in text
    assert "注册资本仅50万元" in text and "跑路" in text
    factors = json.loads(out["factors"][0])
    assert set(factors) == set(FACTORS) and factors["participants"] > 0.8


@pytest.mark.parametrize(
    ("row", "department"),
    [
        ({"payer_count": 600}, "属地镇街"),  # 低风险: not a criminal sign by itself
        ({"stability_signal": 1.0}, "属地镇街"),
        ({"alert_count": 2, "payer_count": 40, "alert_types": "分散转入集中转出"}, "税务局"),
        ({"keyword_score": 90, "keyword_reason": "含「财富」", "industry": "金融业"}, "市场监管局"),
        ({"nine_term_hits": 1, "keyword_score": 20}, "经济发展局"),
        ({"registry_fundraising_lawsuits": 1}, "经济发展局"),
        ({"money_clue_count": 6, "channel_count": 3, "days_since_last_clue": 3}, "属地镇街"),
        ({"subject_kind": "lead", "nine_term_hits": 1, "keyword_score": 20}, "市场监管局"),
        ({"subject_kind": "lead", "payer_count": 600}, "市场监管局"),  # 无照经营, below 高风险
        ({}, "属地镇街"),
    ],
)
def test_department_from_dominant_factor(row: dict[str, Any], department: str) -> None:
    assert scored(row)["department"][0] == department


@pytest.mark.parametrize(
    ("score", "tier", "disposal"),
    [
        (0.0, "无明显风险", "持续监测"),
        (14.99, "无明显风险", "持续监测"),
        (15.0, "低风险", "警示教育+加密检查"),
        (35.0, "中风险", "约谈+责令整改+公告公示"),
        (59.9, "中风险", "约谈+责令整改+公告公示"),
        (60.0, "高风险", "移送公安"),
        (100.0, "高风险", "移送公安"),
    ],
)
def test_tier_and_disposal(score: float, tier: str, disposal: str) -> None:
    frame = pl.DataFrame({"s": [score]}).select(
        tier_expr(pl.col("s"), CONFIG, "name").alias("t"),
        tier_expr(pl.col("s"), CONFIG, "disposal").alias("d"),
    )
    assert frame.row(0) == (tier, disposal)


def test_leads_are_scored_like_registrations() -> None:
    row = {"payer_count": 400, "inflow_yuan": 6e6, **POOLING}
    out = scored(row, {**row, "subject_kind": "lead", "subject_id": "WZ-clue-XS2025-000001"})
    assert out["score"][0] == out["score"][1] and out["tier"][1] == "高风险"


def _synthetic_labelled(n: int, seed: int = 3) -> pl.DataFrame:
    """Outcomes driven by lawsuits and relations, which the rule weighs lightly: a model can learn more."""
    rng = np.random.default_rng(seed)
    lawsuits = rng.integers(0, 3, n)
    relations = rng.integers(0, 4, n)
    payers = rng.integers(0, 400, n)
    logit = 1.6 * lawsuits + 1.2 * relations + 0.002 * payers - 3.5
    y = rng.uniform(size=n) < 1 / (1 + np.exp(-logit))
    conclusion = np.where(y, "确认非法集资", "未发现问题")
    conclusion[::11] = "存在风险隐患"
    rows = [
        {
            "registry_fundraising_lawsuits": int(lawsuits[i]),
            "relation_count": int(relations[i]),
            "payer_count": int(payers[i]),
            "alert_count": 1,
            "keyword_score": int(rng.integers(0, 100)),
            "inspection_conclusion": str(conclusion[i]),
        }
        for i in range(n)
    ]
    return feature_rows(rows)


# Points only: no tier floors, and inspection outcomes that never match (the calibration tests compare
# the score with the rule score of subjects that carry conclusions).
NO_FLOORS = replace(load_config(), floors=(), outcomes=replace(CONFIG.outcomes, confirmed="—", cleared="—"))


def test_calibration_with_too_few_labels_keeps_rule_score() -> None:
    features = _synthetic_labelled(20)
    result = score_subjects(features, NO_FLOORS)
    assert result.calibration["blended"] is False and result.calibration["auc_model"] is None
    assert result.scores["model_prob"].null_count() == features.height
    assert result.scores["score"].to_list() == result.scores["rule_score"].round(2).to_list()
    assert result.versions["model"] is None


@pytest.mark.slow
def test_calibration_with_enough_labels_blends() -> None:
    features = _synthetic_labelled(400)
    result = score_subjects(features, NO_FLOORS)
    report = result.calibration
    assert report["labels"] == 400 - len(range(0, 400, 11))  # 存在风险隐患 excluded
    assert report["auc_model"] > report["auc_rule"] > 0.5
    assert report["blended"] is True and 0.0 <= report["precision_at_k"] <= 1.0
    assert report["k"] == min(report["positives"], 20)
    assert result.versions["model"] == report["model_version"]
    s = result.scores
    assert s["model_prob"].null_count() == 0
    expected = (0.5 * s["rule_score"] + 50 * s["model_prob"]).clip(0, 100).round(2)
    assert (s["score"] - expected).abs().max() < 1e-6  # type: ignore[operator]
    ordered = inspection_order(s)
    assert ordered["expected_yield"].to_list() == sorted(ordered["expected_yield"].to_list(), reverse=True)
    alt = replace(CONFIG, calibration=replace(CONFIG.calibration, hidden_risk="positive"))
    assert score_subjects(features, alt).calibration["labels"] == 400


def test_inspection_order_without_model_uses_score() -> None:
    out = inspection_order(scored({"payer_count": 30}, {"payer_count": 600}, {}))
    assert out["expected_yield"].to_list() == pytest.approx([0.25, 0.071, 0.0], abs=1e-3)


def test_config_and_published_weights() -> None:
    assert CONFIG.weights_version and CONFIG.tiers_version
    table = weights_table(CONFIG.points)
    assert table.height == len(FACTORS) and table["points"].sum() > 100
    for reason in table["reason"]:
        assert "\n" not in reason and "：" in reason
    assert set(FEATURE_SCHEMA) >= {"payer_count", "inspection_conclusion"}
    assert score_subjects(feature_rows([])).scores.height == 0


@pytest.mark.parametrize(
    ("row", "tier"),
    [
        ({"clue_count": 1, "money_clue_count": 1}, "中风险"),  # one fundraising complaint is worth a visit
        ({"clue_count": 3, "money_clue_count": 0}, "无明显风险"),  # noise complaints raise nothing
        ({"relation_count": 1, "relation_reasons": "与已列入金安工程风险清单的「甲」联系电话相同"}, "中风险"),
        ({"subject_kind": "lead", "subject_id": "WZ-clue-1", "clue_count": 1}, "中风险"),
        ({"is_licensed_fi": True, "money_clue_count": 2, "clue_count": 2}, "低风险"),  # the cap still holds
    ],
)
def test_tier_floors(row: dict[str, Any], tier: str) -> None:
    out = scored(row)
    assert out["tier"][0] == tier
    if tier == "中风险":
        assert "等级下限" in out["reasons"][0]


def test_fund_flow_patterns_compound_but_stay_bounded() -> None:
    """Several distinct pooling patterns weigh more than the strongest alone; one keeps its own strength."""
    row = {"alert_count": 3, "payer_count": 500, "inflow_yuan": 1e6, "outflow_yuan": 0.0, "txn_count": 10}
    fast = value("fund_flow", **row, alert_types="快进快出")
    pooled = value("fund_flow", **row, alert_types="资金异常归集")
    both = value("fund_flow", **row, alert_types="快进快出、资金异常归集")
    assert fast == pytest.approx(0.8) and pooled == pytest.approx(0.7)
    assert both == pytest.approx(1 - 0.2 * 0.3) and both > max(fast, pooled)
    every = value("fund_flow", **row, alert_types="分散转入集中转出、快进快出、资金异常归集、频繁小额转入")
    assert every == pytest.approx(1.0)
    assert value("fund_flow", **row, alert_types="大额转入") == 0.0


# Inspection outcomes (tiers.toml [outcomes]): what the group found on site decides over the points.
_QUIET: dict[str, object] = {"keyword_score": 0}
_LOUD: dict[str, object] = {
    "payer_count": 600,
    "alert_count": 2,
    "inflow_yuan": 9_000_000.0,
    "alert_types": "分散转入集中转出",
    "money_clue_count": 2,
    "channel_count": 2,
    "days_since_last_clue": 10,
}
_MEDIUM: dict[str, object] = {"money_clue_count": 1, "channel_count": 1, "days_since_last_clue": 10}
_DAY = dt.date(2025, 7, 1)


@pytest.mark.parametrize(
    ("signals", "conclusion", "evidence_on", "expected_tier", "reason_head"),
    [
        (_QUIET, "确认非法集资", None, "高风险", "现场核查结论：2025-07-01核查确认非法集资，定为高风险"),
        (_LOUD, "确认非法集资", None, "高风险", "现场核查结论：2025-07-01核查确认非法集资"),
        (
            _LOUD,
            "未发现问题",
            None,
            "中风险",
            "现场核查结论：2025-07-01核查未发现问题，此后无新的预警或线索，等级由高风险下调",
        ),
        (_LOUD, "未发现问题", dt.date(2025, 6, 1), "中风险", "现场核查结论：2025-07-01核查未发现问题"),
        (
            _MEDIUM,
            "未发现问题",
            None,
            "低风险",
            "现场核查结论：2025-07-01核查未发现问题，此后无新的预警或线索，等级由中风险下调",
        ),
        (_LOUD, "未发现问题", dt.date(2025, 8, 1), "高风险", None),  # new evidence after the inspection
        (_QUIET, "未发现问题", None, "无明显风险", None),  # already low: the outcome changes nothing
        (_LOUD, "存在风险隐患", None, "高风险", None),
    ],
)
def test_inspection_outcomes_decide_the_grade(
    signals: dict[str, object],
    conclusion: str,
    evidence_on: dt.date | None,
    expected_tier: str,
    reason_head: str | None,
) -> None:
    row = {
        **signals,
        "inspection_conclusion": conclusion,
        "inspected_on": _DAY,
        "last_evidence_on": evidence_on,
    }
    scored = score_subjects(feature_rows([row]), learn=False).scores.row(0, named=True)
    assert scored["tier"] == expected_tier
    first = str(scored["reasons"]).split("\n")[0]
    if reason_head is None:
        assert not first.startswith("现场核查结论")
    else:
        assert first.startswith(reason_head)


def test_confirmed_outranks_the_licensed_cap_and_every_floor() -> None:
    row = {"name": "某某银行股份有限公司文昌湖支行", "is_licensed_fi": True}
    confirmed = {**row, "inspection_conclusion": "确认非法集资", "inspected_on": _DAY}
    scores = score_subjects(feature_rows([row, confirmed]), learn=False).scores
    assert scores["tier"].to_list() == ["无明显风险", "高风险"]


def test_outcome_tiers_must_exist() -> None:
    config = replace(CONFIG, outcomes=replace(CONFIG.outcomes, confirmed_tier="极高风险"))  # not a tier
    with pytest.raises(ValueError, match="极高风险"):
        _validate(config)


def test_a_confirmed_case_stays_confirmed_after_a_later_recheck() -> None:
    row = {
        "inspection_conclusion": "存在风险隐患",
        "inspected_on": dt.date(2025, 9, 1),
        "confirmed_on": dt.date(2025, 6, 2),
    }
    scored = score_subjects(feature_rows([row]), learn=False).scores.row(0, named=True)
    assert scored["tier"] == "高风险"
    assert str(scored["reasons"]).startswith("现场核查结论：2025-06-02核查确认非法集资")


@pytest.mark.slow
def test_a_calibration_fitted_once_grades_batches_as_the_whole() -> None:
    """Batches scored with the calibration learnt from the labelled rows equal one pass over all rows."""
    features = _synthetic_labelled(400).with_columns(
        pl.when(pl.int_range(pl.len()) % 3 == 0)
        .then(None)
        .otherwise(pl.col("inspection_conclusion"))
        .alias("inspection_conclusion")
    )
    whole = score_subjects(features, NO_FLOORS)
    assert whole.calibration["blended"] is True
    fitted = fit_calibration(features.filter(pl.col("inspection_conclusion").is_not_null()), NO_FLOORS)
    assert fitted.report == whole.calibration
    batches = [
        score_subjects(features.slice(i, 70), NO_FLOORS, fitted=fitted).scores for i in range(0, 400, 70)
    ]
    split = pl.concat(batches)
    assert split.drop("model_prob").equals(whole.scores.drop("model_prob"))
    assert (split["model_prob"] - whole.scores["model_prob"]).abs().max() < 1e-12  # type: ignore[operator]
