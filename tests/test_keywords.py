"""Sensitive-word lexicon, matcher, scores and the signboard screen (table-driven)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from enrichers.keywords import match_frame, score_hits, screen_texts
from enrichers.keywords_lexicon import CATEGORIES, NINE, load_lexicon
from enrichers.keywords_model import MODEL_PATH, load_model

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"


def _terms(text: str, field: str = "text") -> list[str]:
    hits = match_frame(pl.DataFrame({"id": [1], "t": [text]}), "id", {field: "t"})
    return hits["term"].to_list()


def test_lexicon_is_cited_versioned_and_large() -> None:
    lex = load_lexicon()
    version_file = Path(__file__).resolve().parents[1] / "keywords" / "VERSION"
    assert lex.version.startswith(version_file.read_text(encoding="utf-8").strip() + "+")
    assert lex.terms.height >= 300
    assert set(lex.terms["category"].unique()) == set(CATEGORIES)
    assert lex.terms["citation"].str.len_chars().min() > 0  # type: ignore[operator]
    nine = {"金融", "交易所", "交易中心", "理财", "财富管理", "股权众筹"}
    assert nine <= set(lex.terms.filter(pl.col("category") == NINE)["term"])


def test_terms_containing_article_9_words_carry_that_category() -> None:
    """Leftmost-longest matching reports the long term, so it must keep the 第九条 category."""
    lex = load_lexicon()
    nine = ["金融", "交易所", "交易中心", "理财", "财富管理", "股权众筹"]
    bad = lex.terms.filter((pl.col("category") != NINE) & pl.col("term").str.contains_any(nine))
    assert bad.height == 0, bad["term"].to_list()


@pytest.mark.parametrize(
    ("text", "term", "category"),
    [
        ("鑫源理财咨询有限公司", "理财咨询", NINE),
        ("某某交易所", "交易所", NINE),
        ("大宗商品交易中心", "大宗商品交易中心", NINE),
        ("德润财富管理有限公司", "财富管理", NINE),
        ("股权众筹平台", "股权众筹", NINE),
        ("恒泰投资管理有限公司", "投资管理", "集资相关字样"),
        ("资金互助社", "资金互助社", "集资相关字样"),
        ("商铺售后包租，到期回购", "售后包租", "非法集资行为类型(2022解释第一、二条)"),
        ("联合种植中药材", "联合种植", "非法集资行为类型(2022解释第一、二条)"),
        ("入住养老公寓送高额分红", "养老公寓", "非法集资行为类型(2022解释第一、二条)"),
        ("保本保息，稳赚不赔", "保本保息", "承诺回报宣传用语"),
        ("年化18%", "年化18%", "承诺回报宣传用语"),
        ("月息2分", "月息2分", "承诺回报宣传用语"),
        ("一万元三个月翻倍", "一万元三个月翻倍", "承诺回报宣传用语"),
        ("投资原始股，上市翻倍", "上市翻倍", "承诺回报宣传用语"),
        ("老板跑路，无法兑付", "跑路", "涉稳信号"),
        ("投资人在门口聚集维权", "聚集", "涉稳信号"),
    ],
)
def test_every_category_is_found(text: str, term: str, category: str) -> None:
    hits = match_frame(pl.DataFrame({"id": [7], "t": [text]}), "id", {"text": "t"})
    row = hits.filter(pl.col("term") == term)
    assert row.height >= 1, hits
    assert row["category"][0] == category
    assert row["position"][0] == text.index(term) if term in text else True


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("平安银行股份有限公司", "licensed bank"),
        ("淄博农村商业银行", "rural commercial bank"),
        ("中信建投证券股份有限公司", "securities company"),
        ("中国人寿保险股份有限公司", "insurer"),
        ("国银金融租赁股份有限公司", "licensed leasing"),
        ("中国人民银行淄博市中心支行", "central bank"),
        ("淄博市公共资源交易中心", "state body"),
        ("上海证券交易所", "state exchange"),
        ("中国青少年发展基金会", "charity"),
        ("金融街购物中心", "place name"),
        ("上海国际金融中心大厦", "place name"),
        (
            "技术开发；未经金融监管部门批准，不得从事吸收存款、融资担保、代客理财、向社会公众集（融）资等金融业务",
            "scope disclaimer",
        ),
        ("不得从事理财业务", "negation"),
        ("禁止使用“金融”字样", "negation"),
        ("防范非法集资宣传：远离高额回报，警惕保本保息", "warning context"),
        (
            "1、不得以公开方式募集资金；2、不得向投资者承诺投资本金不受损失或者承诺最低收益",
            "standard restriction",
        ),
    ],
)
def test_exclusions_are_not_hits(text: str, kind: str) -> None:
    assert _terms(text) == [], kind
    assert _terms(text, "name") == [], kind


def test_negation_is_clause_local() -> None:
    assert _terms("不得从事吸收存款；提供理财咨询") == ["理财咨询"]


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("財富管理有限公司", "财富管理"),
        ("ＸＸ理財諮詢", "理财咨询"),
        ("保本保息　年化１８％", "年化18%"),
        ("股權眾籌", "股权众筹"),
        ("ｐ２ｐ网络借贷", "P2P"),
    ],
)
def test_traditional_and_full_width(text: str, term: str) -> None:
    assert term in _terms(text)


def test_match_frame_is_per_field_with_positions() -> None:
    df = pl.DataFrame(
        {
            "uscc": ["A", "B", "C"],
            "name": ["鑫源理财有限公司", "华信科技有限公司", None],
            "scope": ["技术开发；承诺保本保息", "日用百货销售", "金融信息服务"],
        }
    )
    hits = match_frame(df, "uscc", {"name": "name", "scope": "scope"})
    assert hits.columns[:6] == ["subject_id", "field", "term", "category", "weight", "position"]
    got = set(hits.select("subject_id", "field", "term", "position").iter_rows())
    assert ("A", "name", "理财", 2) in got
    assert ("A", "scope", "保本", 7) in got or ("A", "scope", "保本保息", 7) in got
    assert ("C", "scope", "金融信息服务", 0) in got
    assert not hits.filter(pl.col("subject_id") == "B").height
    # stability signals are for free text only
    assert _terms("跑路", "name") == []


def test_score_hits() -> None:
    df = pl.DataFrame({"id": [1, 2, 3], "t": ["理财", "投资管理", "理财保本保息年化20%"]})
    scores = score_hits(match_frame(df, "id", {"text": "t"}))
    by_id = {r["subject_id"]: r for r in scores.iter_rows(named=True)}
    assert 0 < by_id[2]["keyword_score"] < by_id[1]["keyword_score"] < by_id[3]["keyword_score"] <= 100
    assert by_id[1]["nine_terms"] == ["理财"]
    assert "「理财」" in by_id[1]["reason"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "verdict_prefix", "min_score", "max_score"),
    [
        ("鑫源理财", "禁止使用：含条例第九条禁用字样「理财」", 60, 100),
        ("保本保息 年化18% 稳赚不赔", "禁止使用：含承诺回报宣传用语", 60, 100),
        ("恒泰投资管理有限公司", "需人工复核", 25, 100),
        ("兰州拉面", "未发现敏感字样", 0, 24),
        ("平安银行", "未发现敏感字样", 0, 24),
    ],
)
def test_screen_texts(text: str, verdict_prefix: str, min_score: int, max_score: int) -> None:
    (res,) = screen_texts([text])
    assert res.verdict.startswith(verdict_prefix), res
    assert min_score <= res.score <= max_score
    payload = res.to_json()
    assert set(payload) == {"text", "score", "hits", "verdict"}
    json.dumps(payload, ensure_ascii=False)
    assert all(set(h) == {"term", "category"} for h in payload["hits"])


@pytest.mark.slow
def test_screen_empty_and_model_in_explanation() -> None:
    assert screen_texts([]) == []
    if load_model() is None:
        pytest.skip(f"no trained name model at {MODEL_PATH}")
    (res,) = screen_texts(["鑫源金融信息服务有限公司"])
    assert res.model_prob is not None and res.model_prob > 0.5
    assert any("模型" in e for e in res.explanation)


def test_model_artifact_is_small() -> None:
    if not MODEL_PATH.is_file():
        pytest.skip(f"no trained name model at {MODEL_PATH}")
    assert len(MODEL_PATH.read_bytes()) < 2_000_000


@pytest.mark.slow
def test_real_problem_platform_names_are_ranked_high() -> None:
    if not REALDATA.exists():
        pytest.skip(f"real data folder {REALDATA} is absent")
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from eval_keywords import run

    rows = {r["method"]: r for r in run()}
    assert rows["lexicon only"]["roc_auc"] > 0.8
    if load_model() is not None:
        assert rows["lexicon + model (product score)"]["roc_auc"] >= 0.97


@pytest.mark.slow
def test_parallel_slices_give_the_same_hits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Row slices run in parallel must not change a hit: same rows, one slice versus several."""
    texts = [
        "淄博鑫源投資管理有限公司",
        "ＰＡＹ P2P理财；年化１８％，月息2分",
        "未经金融监管部门批准，不得从事吸收存款、融资担保、代客理财、向社会公众集（融）资等金融业务",
        None,
        "承诺保本保息年化18%;投资一万元三个月翻倍",
        "财务咨询",
    ] * 50
    df = pl.DataFrame({"id": list(range(len(texts))), "name": texts, "scope": texts[::-1]})
    fields = {"name": "name", "scope": "scope"}
    monkeypatch.setattr("enrichers.keywords.PARALLEL_MIN_ROWS", 10**9)
    single = match_frame(df, "id", fields)
    monkeypatch.setattr("enrichers.keywords.PARALLEL_MIN_ROWS", 1)
    assert pl.thread_pool_size() == 1 or match_frame(df, "id", fields).equals(single)
    assert set(single["term"]) >= {
        "投资管理",
        "P2P",
        "理财",
        "保本保息",
        "年化18%",
        "月息2分",
        "一万元三个月翻倍",
    }


@pytest.mark.slow
def test_ordinary_real_names_are_rarely_banned() -> None:
    """Real registrations of two eras: 禁止使用 on at most 2% of them (issue 12's goal), few flagged."""
    from enrichers.keywords_screen import screen_frame
    from tests.conftest import realdata

    beijing = pl.read_csv(realdata("company_names/beijing_new_registrations_2023.csv"), infer_schema=False)
    older = pl.read_csv(
        realdata("company_names/elevencats_registrations_1978_2004_sample50k.csv"), infer_schema=False
    )
    names = beijing["企业名称"].head(2000).to_list() + older["name"].head(2000).to_list()
    verdicts = screen_frame(names, kind="名称")["verdict"]
    assert verdicts.str.starts_with("禁止使用").mean() <= 0.02  # type: ignore[operator]
    assert (~verdicts.str.starts_with("未发现敏感字样")).mean() <= 0.10  # type: ignore[operator]


@pytest.mark.slow
def test_names_evaluation_meets_issue_12_goals_on_the_report_half() -> None:
    """benchmarks/eval_names.py on the half of the real names the name model never saw."""
    if not REALDATA.exists():
        pytest.skip(f"real data folder {REALDATA} is absent")
    from benchmarks.eval_names import evaluate

    headline, rows = evaluate("report")
    assert (headline["roc_auc"] or 0) >= 0.85 and (headline["roc_auc_all"] or 0) >= 0.85
    assert (headline["ban_ordinary"] or 0) <= 0.02 and (headline["ban_licensed"] or 0) <= 0.02
    by_source = {r["source"]: r for r in rows}
    assert by_source["银行业金融机构法人"]["禁止使用"] == "0.0%"


def test_whole_column_ngram_logits_equal_scikit_learn() -> None:
    """The polars n-gram path gives scikit-learn's HashingVectorizer logits, batch edges and odd text included."""
    import numpy as np

    import enrichers.keywords_model as km

    model = load_model()
    assert model is not None
    # 劐 and 叼 (unchanged by prepare_names) share a hash bucket: in one text their counts add up, as in scikit-learn.
    names = [
        "鑫盛财富管理",
        "某某  投资\t\t咨询",
        "",
        "ABC理财",
        "Ä",
        "高新区张三便利店",
        "聚宝盆众筹",
        "傖儎傖理财",
    ] * 30
    prepared = pl.Series(names).to_frame("n").select(km.prepare_names(pl.col("n"))).to_series().to_list()
    old, km.BATCH = km.BATCH, 17  # force many batches, one of them partial
    try:
        fast = model.decision(prepared)
    finally:
        km.BATCH = old
    assert np.allclose(fast, model.decision_sklearn(prepared), rtol=0, atol=1e-12)
