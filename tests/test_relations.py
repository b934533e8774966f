"""Repeat-offender ties by strength: which shared attributes are evidence, and how scoring uses them."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from enrichers.names import address_key
from enrichers.offenders import repeat_offenders, tie_rules
from fundrisk.ingest import ingest_file
from fundrisk.stages.keywords import run_keywords
from fundrisk.stages.resolve import run_resolution
from fundrisk.stages.scoring import run_scoring
from fundrisk.stages.sentiment import run_sentiment
from fundrisk.warehouse.frames import read
from tests.samples import make_uscc, write_kind

COLS = ["uscc", "name", "address", "town", "industry", "legal_rep", "legal_rep_id", "phone", "status"]
OFFICE = "淄博市文昌湖区萌水镇萌山路88号创业大厦1203室"
VILLAGE = "淄博市文昌湖区萌水镇萌水村45号"
PRIOR = {
    "uscc": "P1",
    "name": "淄博鑫盛财富管理有限公司",
    "address": OFFICE,
    "town": "萌水镇",
    "industry": "商务服务业",
    "legal_rep_id": "370303198001011234",
    "phone": "13812345678",
    "status": "吊销",
}
# A registration in another town and industry, with its own ID, phone and address: no tie.
OTHER = {
    "uscc": "N1",
    "name": "淄博宏远商贸有限公司",
    "address": "淄博市文昌湖区商家镇商家大街17号",
    "town": "商家镇",
    "industry": "批发业",
    "legal_rep_id": "370303199002023456",
    "phone": "13987654321",
    "status": "存续",
}
SAME_BLOCK = {"town": "萌水镇", "industry": "商务服务业", "address": "淄博市文昌湖区萌水镇萌山路96号"}
SECRETS = ("370303198001011234", "13812345678", "1234", "5678")


def frame(rows: list[dict[str, str]]) -> pl.DataFrame:
    return pl.DataFrame({c: [r.get(c) for r in rows] for c in COLS}, schema={c: pl.Utf8 for c in COLS})


def fillers(n: int, **shared: str) -> list[dict[str, str]]:
    """n unrelated registrations that share only the given attributes (an agent's phone, a business centre)."""
    return [
        {
            **OTHER,
            "uscc": f"F{i}",
            "name": f"淄博{c}{d}商贸有限公司",
            "legal_rep_id": None,
            "phone": None,
            **shared,
        }
        for i, (c, d) in enumerate(zip("甲乙丙丁戊己庚辛", "子丑寅卯辰巳午未", strict=True))
        if i < n
    ]


TIE_CASES = [
    pytest.param(
        {}, {"legal_rep_id": PRIOR["legal_rep_id"]}, [], ("same_legal_rep_id", "strong"), id="same-id"
    ),
    pytest.param({}, {"phone": "138-1234-5678"}, [], ("same_phone", "strong"), id="same-phone"),
    pytest.param(
        {}, {"phone": "13812345678"}, fillers(5, phone="13812345678"), None, id="agent-phone-over-cap-no-tie"
    ),
    pytest.param(
        {"address": VILLAGE},
        {"address": "文昌湖区萌水镇萌水村45号", "town": "萌水镇"},
        [],
        None,
        id="unspecific-address-no-tie",
    ),
    pytest.param(
        {}, {"address": OFFICE, "town": "萌水镇"}, [], ("same_address", "weak"), id="specific-address-weak"
    ),
    pytest.param(
        {},
        {"address": OFFICE, "town": "萌水镇"},
        fillers(4, address=OFFICE, town="萌水镇"),
        None,
        id="business-centre-address-over-cap-no-tie",
    ),
    pytest.param(
        {},
        {"name": "山东鑫盛农业发展有限公司", "address": OFFICE, "town": "萌水镇"},
        [],
        ("same_address+similar_brand", "strong"),
        id="specific-address-and-brand-strong",
    ),
    pytest.param(
        {},
        {"name": "淄博新盛科技有限公司", "phone": "13812345678"},
        [],
        ("same_phone+similar_brand", "strong"),
        id="phone-and-near-brand-strong",
    ),
    pytest.param(
        {}, {"name": "山东鑫盛农业发展有限公司"}, [], None, id="brand-other-town-and-industry-no-tie"
    ),
    pytest.param(
        {},
        {"name": "山东鑫盛农业发展有限公司", "town": "萌水镇"},
        [],
        None,
        id="brand-same-town-other-industry-no-tie",
    ),
    pytest.param(
        {},
        {"name": "淄博鑫盛企业管理咨询有限公司", **SAME_BLOCK},
        [],
        ("similar_brand", "weak"),
        id="brand-same-industry-and-town-weak",
    ),
    pytest.param(
        {},
        {"name": "淄博新盛企业管理咨询有限公司", **SAME_BLOCK},
        [],
        ("similar_brand", "weak"),
        id="near-brand-same-industry-and-town-weak",
    ),
]


@pytest.mark.parametrize(("prior", "new", "others", "expected"), TIE_CASES)
def test_tie_kinds_and_strength(
    prior: dict[str, str], new: dict[str, str], others: list[dict[str, str]], expected: tuple[str, str] | None
) -> None:
    regs = frame([{**PRIOR, **prior}, {**OTHER, **new}, *others])
    flagged = pl.DataFrame({"uscc": ["P1"], "flag_reason": ["风险核查后被吊销"]})
    rel = repeat_offenders(regs, flagged).filter(pl.col("uscc") == "N1")
    if expected is None:
        assert rel.height == 0, rel.rows()
        return
    assert rel.select("related_uscc", "relation", "strength").rows() == [("P1", *expected)]
    weight, reason = rel["weight"][0], rel["reason"][0]
    assert 0 < weight <= 1
    assert weight >= 0.9 if expected[0].split("+")[0] in ("same_legal_rep_id", "same_phone") else weight < 0.9
    assert reason.startswith("与风险核查后被吊销的「淄博鑫盛财富管理有限公司」")
    assert ("（同行业、同镇街）" in reason) == (expected == ("similar_brand", "weak"))
    assert not any(s in reason for s in SECRETS)


def test_address_weight_falls_with_sharing() -> None:
    """A room two registrations share is more evidence than one four share (still under the cap)."""
    flagged = pl.DataFrame({"uscc": ["P1"], "flag_reason": ["风险核查后被吊销"]})
    pair = frame([PRIOR, {**OTHER, "address": OFFICE, "town": "萌水镇"}])
    crowd = frame(
        [PRIOR, {**OTHER, "address": OFFICE, "town": "萌水镇"}, *fillers(2, address=OFFICE, town="萌水镇")]
    )
    alone = repeat_offenders(pair, flagged).filter(pl.col("uscc") == "N1")["weight"][0]
    shared = repeat_offenders(crowd, flagged).filter(pl.col("uscc") == "N1")["weight"][0]
    assert alone == pytest.approx(0.5) and shared == pytest.approx(0.5 * 2 / 4)


SPECIFIC = [
    ("淄博市文昌湖区萌水镇萌水村45号", False),
    ("淄博市文昌湖区萌水镇湖滨路230号", False),
    ("淄博市文昌湖区萌水镇湖滨路230号沿街房", False),
    ("淄博市文昌湖区萌水镇萌山路88号创业大厦1203室", True),
    ("淄博市文昌湖区萌水镇萌山路88号2号楼3单元501室", True),
    ("淄博市文昌湖区萌水镇萌山路88号金融中心12层1205", True),
    ("淄博市文昌湖区商家镇商家大街120号商铺3", True),
    ("淄博市文昌湖区商家镇商家大街120号一层3号商铺", True),
    ("淄博市文昌湖区商家镇商家大街120号3号铺", True),
    ("萌水镇萌水农贸市场B区12号摊位", True),
    ("北京市朝阳区光华路SOHO二期B座5层", True),
    ("淄博市张店区华光路88号2-301", True),
]


@pytest.mark.parametrize(("address", "specific"), SPECIFIC)
def test_specific_address_rule(address: str, specific: bool) -> None:
    key = address_key(pl.Series([address]))[0]
    assert bool(pl.Series([key]).str.contains(tie_rules().specific_address)[0]) is specific


# --- scoring on a real in-memory DuckDB: a weak tie alone stays below 中风险, a strong one is floored there.
P_CODE, STRONG, WEAK, CLEAN = (make_uscc(i) for i in (901, 902, 903, 904))
REG = {
    "entity_type": "有限责任公司",
    "status": "存续",
    "registered_capital": "50",
    "established_on": "2025-09-01",
}
SCOPE = "一般项目：日用百货销售；五金产品零售。"


def _registrations() -> list[dict[str, str]]:
    prior = {
        **PRIOR,
        **REG,
        "uscc": P_CODE,
        "legal_rep": "王建国",
        "business_scope": "一般项目：企业管理咨询。",
    }
    base = {**REG, "industry": "批发业", "town": "商家镇", "business_scope": SCOPE, "legal_rep": "李明"}
    return [
        prior,
        {**base, "uscc": STRONG, "name": "淄博宏远商贸有限公司", "legal_rep_id": PRIOR["legal_rep_id"],
         "phone": "13900000001", "address": "淄博市文昌湖区商家镇商家大街17号"},
        {**base, "uscc": WEAK, "name": "淄博恒泰商贸有限公司", "legal_rep_id": "370303199101013333",
         "phone": "13900000002", "address": OFFICE, "town": "萌水镇"},
        {**base, "uscc": CLEAN, "name": "淄博安顺商贸有限公司", "legal_rep_id": "370303199202024444",
         "phone": "13900000003", "address": "淄博市文昌湖区商家镇商家大街19号"},
    ]  # fmt: skip


@pytest.fixture
def scored(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> pl.DataFrame:
    ingest_file(con, "registrations", write_kind(tmp_path / "r.csv", "registrations", _registrations()))
    listed = [{"uscc": P_CODE, "name": PRIOR["name"], "listed_on": "2026-05-01", "level": "高"}]
    ingest_file(con, "provincial-list", write_kind(tmp_path / "p.csv", "provincial-list", listed))
    run_keywords(con, "T1")
    run_sentiment(con, "T1")
    run_resolution(con, "T1")
    run_scoring(con, "T1")
    return read(con, "SELECT subject_id, score, tier, reasons FROM risk_scores WHERE run_id = 'T1'")


@pytest.mark.slow
def test_weak_tie_alone_stays_below_medium_strong_tie_is_floored(
    con: duckdb.DuckDBPyConnection, scored: pl.DataFrame
) -> None:
    rel = read(con, "SELECT uscc, related_uscc, relation, strength, weight FROM entity_relations")
    assert rel.select("uscc", "relation", "strength").sort("uscc").rows() == sorted(
        [(STRONG, "same_legal_rep_id", "strong"), (WEAK, "same_address", "weak")]
    )
    by = {r["subject_id"]: r for r in scored.iter_rows(named=True)}
    assert by[STRONG]["tier"] in ("中风险", "高风险")
    assert by[WEAK]["tier"] not in ("中风险", "高风险")
    assert by[CLEAN]["tier"] not in ("中风险", "高风险")
    assert by[CLEAN]["score"] < by[WEAK]["score"] < 35
    assert by[WEAK]["score"] - by[CLEAN]["score"] <= 8 * 0.5  # relations' 8 points, weak share at most half
    assert "法定代表人证件号码相同" in str(by[STRONG]["reasons"])


@pytest.mark.slow
def test_features_split_strong_and_weak(con: duckdb.DuckDBPyConnection, scored: pl.DataFrame) -> None:
    from fundrisk.stages.features import build_features

    f = build_features(con).filter(pl.col("subject_kind") == "registration")
    row = {r["subject_id"]: r for r in f.iter_rows(named=True)}
    assert (row[STRONG]["relation_count"], row[STRONG]["weak_relation_weight"]) == (1, 0.0)
    assert row[WEAK]["relation_count"] == 0 and row[WEAK]["weak_relation_weight"] == pytest.approx(0.5)
    assert row[WEAK]["relation_reasons"].startswith(
        "弱关联：与已列入金安工程风险清单的「淄博鑫盛财富管理有限公司」"
    )
    assert (row[CLEAN]["relation_count"], row[CLEAN]["weak_relation_weight"]) == (0, 0.0)


@pytest.mark.slow
def test_explain_marks_weak_ties(con: duckdb.DuckDBPyConnection, scored: pl.DataFrame) -> None:
    from fundrisk.explain import explain

    weak = [r for r in explain(con, WEAK)["reasons"] if "淄博鑫盛财富管理有限公司" in r and "相同" in r]
    strong = [r for r in explain(con, STRONG)["reasons"] if "淄博鑫盛财富管理有限公司" in r and "相同" in r]
    assert len(weak) == 1 and "弱关联：与已列入金安工程风险清单" in weak[0]  # said once, marked weak
    assert len(strong) == 1 and "弱关联" not in strong[0]


# 昇 (sheng) and 铖 (cheng) were not in the old hand-written pinyin table; pypinyin knows every character.
@pytest.mark.parametrize(
    ("brand", "linked"),
    [("鑫昇", True), ("铖盛", False), ("鑫昌", False), ("馨盛", True), ("鑫胜", True)],
)
def test_homophone_brands_link_through_pypinyin(brand: str, linked: bool) -> None:
    from enrichers.brand_ties import brand_ties

    new = pl.DataFrame(
        {"uscc": ["N1"], "core": [f"{brand}企业管理咨询"], "brand": [brand], "town": ["萌水镇"]}
    )
    prior = pl.DataFrame({"related_uscc": ["P1"], "brand": ["鑫盛"], "town": ["萌水镇"]})
    ties = brand_ties(new, prior, ["town"])
    assert ties.rows() == ([("N1", "P1", "near_brand")] if linked else []), ties
    other_town = brand_ties(new, prior.with_columns(town=pl.lit("商家镇")), ["town"])
    assert other_town.height == 0  # still blocked on the caller's keys


def test_homophone_absent_from_the_old_table_ties_in_the_same_block() -> None:
    regs = frame([PRIOR, {**OTHER, "name": "淄博鑫昇企业管理咨询有限公司", **SAME_BLOCK}])
    flagged = pl.DataFrame({"uscc": ["P1"], "flag_reason": ["风险核查后被吊销"]})
    rel = repeat_offenders(regs, flagged).filter(pl.col("uscc") == "N1")
    assert rel.select("related_uscc", "relation", "strength").rows() == [("P1", "similar_brand", "weak")]
