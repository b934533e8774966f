"""The demo-district generator: determinism, valid identifiers, every kind, planted share, variants."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from stdnum.cn import ric, uscc

from fundrisk.synth import generate
from fundrisk.synth.ids import make_id_numbers, make_uscc, scramble, uscc_check_char

KINDS = ["registrations", "alerts", "clues", "provincial-list", "inspections", "actions"]
DATE = re.compile(r"^(\d{4}-\d{2}-\d{2}|\d{4}/\d{1,2}/\d{1,2}|\d{4}年\d{1,2}月\d{1,2}日|\d{8})$")
VARIANTS = {"exact", "short_name", "typo", "shop_name", "traditional", "fullwidth", "unregistered", "noise"}


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("district")
    generate(out, entities=4000, seed=11)
    return out


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _frames(root: Path) -> dict[str, pl.DataFrame]:
    text = {"infer_schema": False}
    return {
        "registrations": pl.read_csv(root / "registrations" / "registrations.csv", **text),
        "alerts": pl.read_csv(
            (root / "alerts" / "alerts_gb18030.csv").read_bytes().decode("gb18030").encode(), **text
        ),
        "clues": pl.read_excel(root / "clues" / "clues.xlsx", infer_schema_length=0),
        "provincial-list": pl.read_excel(
            root / "provincial-list" / "provincial_list.xlsx", infer_schema_length=0
        ),
        "inspections": pl.read_csv(root / "inspections" / "inspections.csv", **text),
        "actions": pl.read_csv(root / "actions" / "actions.csv", **text),
    }


@pytest.mark.slow
def test_same_seed_same_bytes(tmp_path: Path, district: Path) -> None:
    generate(tmp_path, entities=4000, seed=11)
    assert _digest(tmp_path) == _digest(district)


@pytest.mark.slow
def test_other_seed_differs(tmp_path: Path, district: Path) -> None:
    generate(tmp_path, entities=4000, seed=12)
    a, b = _digest(tmp_path), _digest(district)
    assert a["registrations/registrations.csv"] != b["registrations/registrations.csv"]


def test_uscc_function_matches_stdnum() -> None:
    idx = np.arange(0, 50_000, 7, dtype=np.int64)
    prefix = np.array(["91", "92", "93", "12"])[idx % 4]
    codes = make_uscc(prefix, scramble(idx, 31**6, 48271, 7)).to_list()
    assert all(uscc.is_valid(c) for c in codes)
    assert len(set(codes)) == len(codes)
    assert uscc_check_char("91370306MA3C6TNN4") == uscc.calc_check_digit("91370306MA3C6TNN4")


def test_id_numbers_valid() -> None:
    rng = np.random.Generator(np.random.PCG64(1))
    ids = make_id_numbers(rng, rng.integers(-5000, 12000, 2000)).to_list()
    # Checksum and birth date per GB 11643 (stdnum's region history rejects pre-1983 births in 3703xx).
    assert all(ric.calc_check_digit(x) == x[-1] and x.startswith("3703") for x in ids)
    assert all(ric.get_birth_date(x).year >= 1950 for x in ids)


@pytest.mark.slow
def test_every_kind_folder_and_truth(district: Path) -> None:
    for kind in KINDS:
        assert any((district / kind).iterdir()), kind
    for name in ("entities", "clue_links", "alert_links", "unregistered", "repeat_offenders"):
        assert (district / "truth" / f"{name}.csv").is_file()
    assert (district / "truth" / "README.md").is_file()
    assert (district / "registrations" / "registrations.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert not (district / "inspections" / "inspections.csv").read_bytes().startswith(b"\xef\xbb\xbf")


@pytest.mark.slow
def test_rows_are_valid_for_the_contract(district: Path) -> None:
    f = _frames(district)
    reg = f["registrations"]
    assert reg.columns[:2] == ["统一社会信用代码", "企业名称"]
    assert all(uscc.is_valid(c) for c in reg["统一社会信用代码"].to_list())
    assert reg["统一社会信用代码"].n_unique() == reg.height
    assert reg["成立日期"].str.contains(DATE.pattern).all()
    for kind, code_col in (
        ("alerts", "统一社会信用代码"),
        ("clues", "主体信用代码"),
        ("inspections", "uscc"),
        ("actions", "uscc"),
        ("provincial-list", "统一社会信用代码"),
    ):
        codes = f[kind][code_col].drop_nulls().to_list()
        assert all(uscc.is_valid(c) for c in codes), kind
    alerts, clues = f["alerts"], f["clues"]
    assert alerts["预警编号"].n_unique() == alerts.height and clues["线索编号"].n_unique() == clues.height
    for frame, cols in (
        (alerts, ["预警编号", "账户名称", "预警日期", "转入金额"]),
        (clues, ["线索编号", "受理日期", "涉及主体", "线索内容"]),
    ):
        assert frame.select(pl.col(cols).is_null().any()).row(0) == (False,) * len(cols)
    assert alerts["预警日期"].str.contains(DATE.pattern).all()
    assert clues["受理日期"].str.contains(DATE.pattern).all()
    assert set(clues["线索来源"].to_list()) <= {
        "群众举报",
        "网格员排查",
        "12345热线",
        "金安举报中心",
        "行业监管",
        "网络舆情",
        "其他",
    }
    insp, act = f["inspections"], f["actions"]
    assert set(insp["conclusion"]) <= {"确认非法集资", "存在风险隐患", "未发现问题"}
    assert insp.select("uscc", "inspected_on").is_unique().all()
    assert act.select("uscc", "action", "action_on").is_unique().all()
    assert max(insp["inspected_on"].to_list() + act["action_on"].to_list()) <= "2026-11-28"
    prov = f["provincial-list"]
    assert (
        prov.select(pl.col("统一社会信用代码").is_not_null() | pl.col("企业名称").is_not_null())
        .to_series()
        .all()
    )
    assert prov["统一社会信用代码"].null_count() > 0


@pytest.mark.slow
def test_planted_share_and_truth(district: Path) -> None:
    ent = pl.read_csv(district / "truth" / "entities.csv", infer_schema=False)
    share = (ent["is_planted"] == "true").mean()
    assert share is not None and 0.02 <= share <= 0.045
    assert (ent["is_licensed_fi"] == "true").sum() >= 5
    reps = pl.read_csv(district / "truth" / "repeat_offenders.csv", infer_schema=False)
    assert reps.height > 0 and set(reps["shared"]) <= {"id", "phone", "address", "brand"}
    assert reps["prior_uscc"].is_in(ent["uscc"].implode()).all()


@pytest.mark.slow
def test_every_variant_present(district: Path) -> None:
    links = pl.read_csv(district / "truth" / "clue_links.csv", infer_schema=False)
    assert set(links["variant"]) == VARIANTS
    unreg = links.filter(pl.col("variant") == "unregistered")
    assert unreg["true_uscc"].is_null().all() and unreg["true_lead_id"].is_not_null().all()


@pytest.mark.slow
def test_scale_smoke(tmp_path: Path) -> None:
    summary = generate(tmp_path, entities=20_000, seed=3)
    assert summary.rows["registrations"] == 20_000
    assert 0.01 < summary.rows["alerts"] / 20_000 < 0.05
    assert 0.015 < summary.rows["clues"] / 20_000 < 0.06
