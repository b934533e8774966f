"""Unregistered-operator leads and repeat-offender relations: rules one by one, then generated truth."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from enrichers.leads import group_leads
from enrichers.offenders import flagged_entities, repeat_offenders
from enrichers.resolve import resolve
from fundrisk.inbox import discover
from fundrisk.ingest import ingest_file
from fundrisk.stages.resolve_sources import registrations_frame, sources_frame
from fundrisk.synth import generate
from fundrisk.warehouse import connect
from fundrisk.warehouse.frames import read


def unmatched(rows: list[tuple[str, str, str, str, str | None]]) -> pl.DataFrame:
    """(kind, id, name, core, address_key) rows in the shape resolve().unmatched gives."""
    return pl.DataFrame(
        {
            "source_kind": [r[0] for r in rows],
            "source_id": [r[1] for r in rows],
            "name": [r[2] for r in rows],
            "core": [r[3] for r in rows],
            "address_key": [r[4] for r in rows],
            "town": ["商家镇"] * len(rows),
        },
        schema={c: pl.Utf8 for c in ["source_kind", "source_id", "name", "core", "address_key", "town"]},
    )


GROUPING_CASES = [
    pytest.param(
        [
            ("clue", "C2", "鸣瑞养生会馆", "鸣瑞养生会馆", None),
            ("clue", "C1", "鸣瑞养生会馆", "鸣瑞养生会馆", None),
        ],
        [["clue:C1", "clue:C2"]],
        id="same-name",
    ),
    pytest.param(
        [
            ("clue", "C1", "怡泉财富中心", "怡泉财富中心", "萌泉路358号"),
            ("clue", "C2", "萌泉路358号那家店", "萌泉路358号那家店", "萌泉路358号"),
        ],
        [["clue:C1", "clue:C2"]],
        id="same-address",
    ),
    pytest.param(
        [
            ("clue", "C1", "久坤养生会馆", "久坤养生会馆", None),
            ("clue", "C2", "久坤养生会馆（商家店）", "久坤养生会馆", "鲁泰大道66号"),
            ("clue", "C3", "鲁泰大道66号那家店", "鲁泰大道66号那家店", "鲁泰大道66号"),
            ("clue", "C4", "另一家", "另一家", "别处1号"),
        ],
        [["clue:C1", "clue:C2", "clue:C3"], ["clue:C4"]],
        id="chain-name-then-address",
    ),
    pytest.param(
        [
            ("alert", "A1", "黄超秋", "黄超秋", None),
            ("alert", "A2", "林玉强", "林玉强", None),
            ("clue", "C1", "怡泉财富中心", "怡泉财富中心", None),
        ],
        [["alert:A1"], ["alert:A2"], ["clue:C1"]],
        id="personal-accounts-stand-alone",
    ),
    pytest.param(
        [("clue", "C1", "甲", "甲", None), ("clue", "C2", "甲", "甲", None)],
        [["clue:C1"], ["clue:C2"]],
        id="one-char-core-no-evidence",
    ),
]


@pytest.mark.parametrize(("rows", "groups"), GROUPING_CASES)
def test_grouping_rules(rows: list[tuple[str, str, str, str, str | None]], groups: list[list[str]]) -> None:
    leads, members = group_leads(unmatched(rows))
    got = (
        members.group_by("lead_id")
        .agg(pl.concat_str("source_kind", pl.lit(":"), "source_id").sort().alias("m"))
        .sort("lead_id")["m"]
        .to_list()
    )
    assert sorted(got) == sorted(groups)
    assert leads.height == len(groups)
    assert set(members["lead_id"]) == set(leads["lead_id"])


def test_lead_id_stable_and_counts() -> None:
    rows = [
        ("clue", "XS2025-000039", "鸣瑞养生会馆", "鸣瑞养生会馆", "文昌湖路365号沿街房"),
        ("clue", "XS2025-000001", "鸣瑞养生会馆", "鸣瑞养生会馆", "文昌湖路365号沿街房"),
        ("alert", "YJ2026-000030", "鸣瑞养生会馆", "鸣瑞养生会馆", None),
    ]
    first, _ = group_leads(unmatched(rows))
    again, _ = group_leads(unmatched(list(reversed(rows))).sample(fraction=1.0, shuffle=True, seed=3))
    assert first.equals(again)
    lead = first.row(0, named=True)
    assert lead["lead_id"] == "WZ-alert-YJ2026-000030"
    assert (lead["clue_count"], lead["alert_count"]) == (2, 1)
    assert lead["name"] == "鸣瑞养生会馆"


def test_empty_input_gives_empty_frames() -> None:
    leads, members = group_leads(unmatched([]))
    assert leads.height == 0 and members.height == 0
    assert "lead_id" in leads.columns and "source_id" in members.columns


def registrations(rows: list[dict[str, str | None]]) -> pl.DataFrame:
    cols = ["uscc", "name", "address", "town", "industry", "legal_rep", "legal_rep_id", "phone", "status"]
    return pl.DataFrame({c: [r.get(c) for r in rows] for c in cols}, schema={c: pl.Utf8 for c in cols})


PRIOR = {
    "uscc": "P1",
    "name": "淄博鑫盛财富管理有限公司",
    "address": "淄博市文昌湖区萌水镇湖滨路230号金融中心1203室",
    "town": "萌水镇",
    "industry": "商务服务业",
    "legal_rep_id": "370303198001011234",
    "phone": "13812345678",
    "status": "存续",
}
OTHER = {"address": "淄博市文昌湖区商家镇别处1号", "town": "商家镇", "industry": "批发业", "status": "存续"}
# A brand alone ties only within the prior's industry and town (tests/test_relations.py has every rule).
SAME_BLOCK = {"town": "萌水镇", "industry": "商务服务业", "address": "淄博市文昌湖区萌水镇湖滨路96号"}
RELATION_CASES = [
    pytest.param(
        {"name": "淄博宏远商贸有限公司", "legal_rep_id": "370303198001011234"}, "same_legal_rep_id", id="id"
    ),
    pytest.param({"name": "淄博宏远商贸有限公司", "phone": "138-1234-5678"}, "same_phone", id="phone"),
    pytest.param(
        {
            "name": "淄博宏远商贸有限公司",
            "address": "文昌湖区萌水镇湖滨路230号金融中心1203室",
            "town": "萌水镇",
        },
        "same_address",
        id="address",
    ),
    pytest.param({"name": "淄博新盛科技有限公司", **SAME_BLOCK}, "similar_brand", id="homophone-brand"),
    pytest.param({"name": "山东鑫盛农业发展有限公司", **SAME_BLOCK}, "similar_brand", id="same-brand"),
]


@pytest.mark.parametrize(("new", "relation"), RELATION_CASES)
def test_relation_kinds(new: dict[str, str], relation: str) -> None:
    regs = registrations([PRIOR, {"uscc": "N1", **OTHER, **new}])
    flagged = pl.DataFrame({"uscc": ["P1"], "flag_reason": ["列入金安工程风险清单"]})
    rel = repeat_offenders(regs, flagged)
    assert rel.select("uscc", "related_uscc", "relation").rows() == [("N1", "P1", relation)]
    reason = rel["reason"][0]
    assert "「淄博鑫盛财富管理有限公司」" in reason and reason.startswith("与已列入金安工程风险清单")
    for secret in ("370303198001011234", "13812345678", "1234", "5678"):
        assert secret not in reason


def test_unrelated_brand_and_branches_are_not_related() -> None:
    rows = [
        PRIOR,
        # In the prior's industry and town, so only the brands themselves keep them apart.
        {"uscc": "N1", **SAME_BLOCK, "name": "淄博鑫达商贸有限公司"},  # 盛→达 is neither sound nor look alike
        {"uscc": "N2", **SAME_BLOCK, "name": "淄博宏盛科技有限公司"},
        {"uscc": "B1", **OTHER, "name": "中国农业银行股份有限公司淄博文昌湖支行"},
        {"uscc": "B2", **OTHER, "name": "中国农业银行股份有限公司淄博商家支行"},
    ]
    rows = [
        {**row, "address": f"萌水镇湖滨路{i}号"} if row["uscc"] != "P1" else row for i, row in enumerate(rows)
    ]
    flagged = pl.DataFrame({"uscc": ["P1", "B1"], "flag_reason": ["列入金安工程风险清单"] * 2})
    assert repeat_offenders(registrations(rows), flagged).height == 0


def test_flagged_entities_grounds() -> None:
    regs = registrations(
        [
            {"uscc": "L1", "name": "淄博鑫盛财富管理有限公司", "status": "存续"},
            {"uscc": "L2", "name": "淄博宏远商贸有限公司", "status": "存续"},
            {"uscc": "C1", "name": "淄博泉福企业管理咨询有限公司", "status": "存续"},
            {"uscc": "R1", "name": "淄博磊康健康管理有限公司", "status": "吊销"},
            {"uscc": "R2", "name": "淄博安宝农业发展有限公司", "status": "注销"},
            {"uscc": "X1", "name": "淄博正腾农业发展有限公司", "status": "吊销"},
        ]
    )
    provincial = pl.DataFrame({"uscc": ["L1", None], "name": [None, "淄博宏远商贸有限公司"]})
    inspections = pl.DataFrame(
        {
            "uscc": ["C1", "R1", "R2", "X1"],
            "inspected_on": ["2025-01-01"] * 4,
            "conclusion": ["确认非法集资", "存在风险隐患", "确认非法集资", "未发现问题"],
        }
    )
    got = dict(flagged_entities(regs, provincial, inspections).select("uscc", "flag_reason").rows())
    assert got == {
        "L1": "列入金安工程风险清单",
        "L2": "列入金安工程风险清单",
        "C1": "核查确认非法集资",
        "R1": "风险核查后被吊销",
        "R2": "核查确认非法集资",
    }


@pytest.mark.slow
def test_generated_truth_found(tmp_path: Path) -> None:
    out = tmp_path / "inbox"
    generate(out, entities=3000, seed=7)
    con = connect(":memory:")
    for f in discover(out):
        ingest_file(con, f.kind, f.path)
    regs, sources = registrations_frame(con), sources_frame(con)
    _, members = group_leads(resolve(regs, sources).unmatched)
    truth = pl.read_csv(out / "truth" / "unregistered.csv", infer_schema=False)
    clue_ids = set(members.filter(pl.col("source_kind") == "clue")["source_id"])
    for lead, ids in truth.select("lead_id", "clue_ids").rows():
        assert clue_ids & set(ids.split(";")), f"unregistered operator {lead} not found as a lead"
    flagged = flagged_entities(
        regs,
        read(con, "SELECT uscc, name FROM provincial_list"),
        read(con, "SELECT uscc, inspected_on, conclusion FROM inspections"),
    )
    relations = repeat_offenders(regs, flagged)
    pairs = set(relations.select("uscc", "related_uscc").rows())
    repeat = pl.read_csv(out / "truth" / "repeat_offenders.csv", infer_schema=False)
    missing = [row for row in repeat.select("uscc", "prior_uscc").rows() if row not in pairs]
    assert not missing
    assert set(relations["strength"]) == {"strong", "weak"}
    assert relations["weight"].is_between(0.0, 1.0, closed="right").all()
    # Every planted id / phone repeater is strong; address and brand ones may be weak.
    kinds = repeat.join(relations.rename({"related_uscc": "prior_uscc"}), on=["uscc", "prior_uscc"])
    assert set(kinds.filter(pl.col("shared").is_in(["id", "phone"]))["strength"]) == {"strong"}
    secrets = set(regs["legal_rep_id"].drop_nulls()) | set(regs["phone"].drop_nulls())
    assert not any(s in reason for reason in relations["reason"] for s in secrets)
