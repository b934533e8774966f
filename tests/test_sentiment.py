"""Public-opinion and stability signals of clue text (table-driven)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from enrichers.sentiment import KINDS, clue_signals, load_sentiment_lexicon, sentiment_version
from tests.conftest import realdata


def _one(text: str, subject: str | None = None) -> dict[str, object]:
    frame = pl.DataFrame({"clue_id": ["X1"], "content": [text]})
    if subject is not None:
        frame = frame.with_columns(subject_name=pl.lit(subject))
    return clue_signals(frame).row(0, named=True)


def test_lexicon_is_versioned_hand_sized_and_covers_every_kind() -> None:
    version, terms = load_sentiment_lexicon()
    version_file = Path(__file__).resolve().parents[1] / "keywords" / "sentiment" / "VERSION"
    assert version == sentiment_version()
    assert version.startswith(version_file.read_text(encoding="utf-8").strip() + "+")
    assert 300 <= terms.height <= 2000
    assert set(terms["kind"].unique()) == set(KINDS)
    assert {
        "无法兑付",
        "兑付困难",
        "逾期",
        "跑路",
        "失联",
        "人去楼空",
        "聚集",
        "上访",
        "维权",
        "报警",
    } <= set(terms.filter(pl.col("kind") == "stability")["canonical"])


FUNDRAISING = [
    "我母亲在鑫盛财富买了理财产品，说年化15%保本，现在到期不给钱，很多老人去店里要钱",
    "邻居大娘在某养生馆交了养老服务预付费3万元，承诺高额回报，现在门店关门了，几十个老人在门口等",
    "某合作社以合作社名义吸收村民存款，利息比银行高，我父亲存了5万元，现在取不出来",
    "某商城让大家交钱入会，说消费多少返多少，还按天返利息，现在平台提现不了",
    "某公司推销所谓原始股，说明年就上市，一股翻十倍，我岳母买了20万元，现在负责人跑路了。",
]


@pytest.mark.parametrize("text", FUNDRAISING)
def test_fundraising_complaints_are_negative_and_about_money(text: str) -> None:
    row = _one(text)
    assert row["money_related"] is True
    assert row["negativity"] >= 0.5  # type: ignore[operator]
    assert row["stability"] > 0  # type: ignore[operator]
    assert "涉及投资集资" in row["reason"]  # type: ignore[operator]


@pytest.mark.slow
@pytest.mark.parametrize(
    "text",
    [
        "某建筑公司夜间施工噪音扰民，影响周边居民休息",
        "某劳务公司拖欠工人工资24万元，多次讨要未果",
        "某物流的货车长期占道停车，影响村民通行",
        "某饭店油烟排放扰民，楼上住户意见很大",
        "某化工厂车间有异味，影响周边村民生活",
        "在某健身房办的会员卡退不了费，商家推脱",
        "某超市门口垃圾长期堆放无人清理",
        # a money word in the company name alone must not make a noise complaint money-related
        "鑫盛投资理财有限公司夜间施工噪音扰民",
    ],
)
def test_non_money_complaints_are_not_money_related_and_not_stability(text: str) -> None:
    row = _one(text)
    assert row["money_related"] is False
    assert row["stability"] == 0.0
    assert row["stability_terms"] == []
    assert "属非涉资诉求" in row["reason"]  # type: ignore[operator]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("某化工厂车间有异味，村民聚集上访", ["聚集", "上访"]),
        ("拖欠工人工资，工人在门口围堵", ["聚集"]),
    ],
)
def test_non_money_complaints_keep_gathering_and_petition_signals(text: str, terms: list[str]) -> None:
    row = _one(text)
    assert row["money_related"] is False
    assert row["stability_terms"] == terms
    assert row["stability"] > 0.5  # type: ignore[operator]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "money"),
    [
        ("在某美容院办的会员卡退不了费", False),
        ("在某美容院办的会员卡，说充值每月返利3%，还给利息，现在返不了了", True),
        ("交2万元会员费可以入住养老公寓，每年还返8%", True),
    ],
)
def test_membership_card_is_consumer_unless_returns_are_promised(text: str, money: bool) -> None:
    assert _one(text)["money_related"] is money


@pytest.mark.slow
def test_subject_name_is_not_read_as_money_talk() -> None:
    text = "德润理财投资有限公司拖欠工资，工人讨薪"
    assert _one(text, subject="德润理财投资有限公司")["money_related"] is False
    assert _one("德润理财投资有限公司到期不给钱，说好的年化12%", subject="德润理财投资有限公司")[
        "money_related"
    ]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("weaker", "stronger"),
    [
        ("老板没有跑路", "老板跑路了"),  # negation cancels a negative word
        ("老板并没有跑路，正常经营", "老板跑路了"),
        ("服务态度恶劣", "服务态度非常恶劣"),  # degree words amplify
        ("这家店坑人", "这家店十分坑人"),
        ("这家店有点坑人", "这家店坑人"),  # diminishers soften
        ("对处理结果满意", "对处理结果不满意"),  # a negated positive word turns negative
        ("现在到期不给钱，但负责人已妥善处置，已兑付一部分", "现在到期不给钱"),  # positive words reduce
    ],
)
def test_negation_degree_and_positive_words(weaker: str, stronger: str) -> None:
    assert _one(weaker)["negativity"] < _one(stronger)["negativity"]  # type: ignore[operator]


@pytest.mark.slow
def test_negated_stability_signal_is_dropped() -> None:
    assert _one("老板没有跑路，也没有失联")["stability_terms"] == []
    assert _one("老板跑路了，没有人管")["stability_terms"] == ["跑路"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("traditional", "simplified"),
    [
        ("我母親在鑫盛財富買了理財產品，說年化15%保本，現在到期不給錢，很多老人聚集", None),
        ("ＸＸ公司以理財名義吸收群眾資金，現在負責人跑路了！", None),
        ("夜間施工噪音擾民", "夜间施工噪音扰民"),
    ],
)
def test_traditional_and_fullwidth_text(traditional: str, simplified: str | None) -> None:
    row = _one(traditional)
    if simplified is None:
        assert row["money_related"] is True
        assert row["stability"] > 0.4  # type: ignore[operator]
    else:
        assert row == _one(simplified)


def test_reason_text_and_frame_shape() -> None:
    frame = pl.DataFrame(
        {
            "clue_id": ["A", "B", "C", "D"],
            "content": [FUNDRAISING[0], "夜间施工噪音扰民", None, ""],
        }
    )
    out = clue_signals(frame)
    assert out["clue_id"].to_list() == ["A", "B", "C", "D"]
    assert out.schema["stability_terms"] == pl.List(pl.String)
    assert out["reason"][0] == (
        "线索文本负面（0.86），涉及投资集资（理财产品、年化、保本），含涉稳信号：到期不给钱、要钱"
    )
    assert out.row(2, named=True)["negativity"] == 0.0
    assert out["reason"][3] == "线索文本情绪平和（0.00），未见涉资内容"
    assert out.select(pl.col("negativity", "stability").is_between(0, 1).all()).row(0) == (True, True)
    empty = clue_signals(
        pl.DataFrame({"clue_id": [], "content": []}, schema={"clue_id": pl.String, "content": pl.String})
    )
    assert empty.height == 0 and empty.columns == out.columns


@pytest.mark.slow
def test_real_finance_text_runs_and_agrees_with_published_lexicon() -> None:
    """On 600 real Weibo/news finance texts, negativity rank-agrees with the 姚加权 financial lexicon."""
    texts = pl.read_csv(realdata("financial_negative_text/bdci2019_test_unlabelled.csv"), n_rows=600)
    lex_path = realdata("sentiment_lexicons/ChineseFinancialFormalUnformalSentiment.tsv")
    lex = pl.read_csv(lex_path, separator="\t", skip_rows=1, quote_char=None)
    is_neg = pl.col("category").str.contains("否定")
    neg, pos = lex.filter(is_neg)["word"].to_list(), lex.filter(~is_neg)["word"].to_list()
    text = pl.col("text").fill_null("")
    ref = texts.select(
        ref=text.str.extract_many(neg).list.len().cast(pl.Int64)
        - text.str.extract_many(pos).list.len().cast(pl.Int64)
    )["ref"]
    out = clue_signals(texts.select(pl.col("id").alias("clue_id"), text.alias("content")))
    assert out.height == texts.height
    ranks = pl.DataFrame({"a": out["negativity"], "b": ref}).select(pl.col("a", "b").rank())
    assert ranks.select(pl.corr("a", "b")).item() > 0.2


MONEY_CLUES = pl.DataFrame(
    {
        "clue_id": ["M1", "M2", "M3"],
        "subject_name": ["鑫源财富管理有限公司", "某小区物业", None],
        "content": [
            "鑫源财富管理有限公司以保本保息为诱饵非法吸收公众存款，老板跑路，投资人无法兑付",
            "小区楼下夜间施工噪音扰民，物业不管",
            None,
        ],
    }
)


@pytest.mark.slow
def test_money_prob_is_the_text_model_probability_per_clue() -> None:
    from enrichers.text_model import load_text_model

    out = clue_signals(MONEY_CLUES)
    assert out.schema["money_prob"] == pl.Float64
    model = load_text_model()
    if model is None:
        assert out["money_prob"].null_count() == out.height
        return
    assert out["money_prob"].is_between(0.0, 1.0).all()
    assert out["money_prob"][0] > 0.5 > out["money_prob"][1]
    # the subject's name is removed first: a 财富管理 name alone is not money talk
    expected = model.predict_proba(pl.Series(["以保本保息为诱饵非法吸收公众存款，老板跑路，投资人无法兑付"]))
    assert out["money_prob"][0] == pytest.approx(float(expected[0]), abs=1e-3)


def test_money_prob_is_null_without_an_artifact(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("enrichers.sentiment.load_text_model", lambda: None)
    out = clue_signals(MONEY_CLUES)
    assert out.schema["money_prob"] == pl.Float64 and out["money_prob"].null_count() == out.height
    assert out["money_related"][0]  # the word lists still decide without the model


@pytest.mark.slow
def test_money_prob_is_stored_by_the_stage_and_the_partition_path(tmp_path: Path) -> None:
    """The stage's rows, and the same rows through a Parquet partition file, land in clue_signals."""
    import duckdb

    from fundrisk.stages.sentiment import run_sentiment, signal_rows
    from fundrisk.warehouse import connect
    from fundrisk.warehouse.partition_store import load_results

    old = tmp_path / "old.duckdb"  # a database made before the column existed is migrated on open
    raw = duckdb.connect(str(old))
    raw.execute(
        "CREATE TABLE clue_signals (clue_id VARCHAR NOT NULL, negativity DOUBLE, money_related BOOLEAN, "
        "stability DOUBLE, stability_terms VARCHAR, reason VARCHAR, sentiment_version VARCHAR, run_id VARCHAR)"
    )
    raw.close()
    con = connect(old)
    try:
        con.execute(
            "INSERT INTO clues (clue_id, subject_name, content, record_key, ingest_id, loaded_at) "
            "SELECT clue_id, subject_name, content, clue_id, 'I1', now() FROM MONEY_CLUES"
        )
        run_sentiment(con, "R1")
        stored = con.execute("SELECT clue_id, money_prob FROM clue_signals ORDER BY clue_id").fetchall()
        rows, _ = signal_rows(MONEY_CLUES, "R2")
        rows.write_parquet(tmp_path / "clue_signals-0000.parquet")
        assert load_results(con, "clue_signals", [tmp_path / "clue_signals-0000.parquet"]) == 3
        loaded = con.execute("SELECT clue_id, money_prob FROM clue_signals ORDER BY clue_id").fetchall()
    finally:
        con.close()
    expected = clue_signals(MONEY_CLUES).select("clue_id", "money_prob").sort("clue_id").rows()
    assert stored == loaded == expected
