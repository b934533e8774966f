"""The stability list (涉稳群体/重点人员名单): who is listed and why, thresholds as data, masked by default."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from fundrisk.cli import app
from fundrisk.publish import export
from fundrisk.publish.stability_list import RULES, select_stability
from fundrisk.warehouse import connect
from fundrisk.warehouse.frames import read
from tests.conftest import scored_district

runner = CliRunner()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scored_district(tmp_path_factory.mktemp("stability"), entities=900, seed=6, run_id="R-st")


def csv_rows(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False)


@pytest.mark.slow
def test_listed_subjects_follow_the_rules_and_the_truth(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "涉稳.csv"
    result = runner.invoke(app, ["export", "stability-list", "--out", str(out), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = csv_rows(out)
    assert rows.height > 0 and rows["列入原因"].null_count() == 0
    con = connect(db)
    try:
        scores = read(con, "SELECT subject_id, factors FROM risk_scores WHERE run_id = 'R-st'")
        acute = read(
            con,
            "SELECT DISTINCT l.uscc FROM entity_links l JOIN clue_signals g ON g.clue_id = l.source_id "
            "WHERE l.source_kind = 'clue' AND regexp_matches(g.stability_terms, '跑路|无法兑付|聚集|上访|失联')",
        )
        person = read(
            con, "SELECT uscc, legal_rep_id, phone FROM registrations WHERE legal_rep_id IS NOT NULL"
        )
    finally:
        con.close()
    high = {
        s for s, f in scores.iter_rows() if json.loads(f).get("stability", 0) >= RULES["thresholds"]["factor"]
    }
    listed = set(rows["统一社会信用代码"].drop_nulls()) | set(rows["线索编号"].drop_nulls())
    assert high and high <= listed  # every high stability factor is listed
    assert set(acute["uscc"]) <= listed  # and every acute signal in a linked clue
    truth = pl.read_csv(db.parent / "inbox" / "truth" / "entities.csv", infer_schema=False)
    planted = set(truth.filter(pl.col("is_planted") == "true")["uscc"])
    registered = set(rows["统一社会信用代码"].drop_nulls())
    assert len(registered & planted) / len(registered) >= 0.8  # mostly real schemes, not shops
    # personal numbers are masked; the people count is there
    masked = rows.join(person, left_on="统一社会信用代码", right_on="uscc")
    assert masked.height > 0
    for shown, clear, phone_shown, phone in masked.select(
        "证件号码", "legal_rep_id", "联系电话", "phone"
    ).iter_rows():
        assert shown == f"{clear[:6]}********{clear[-4:]}" and shown != clear
        assert phone is None or phone_shown == f"{phone[:3]}****{phone[-4:]}"
    assert rows["涉及人数"].cast(pl.Int64).max() > 0
    assert set(rows["建议推送单位"]) == {"公安分局、维稳办"}


@pytest.mark.slow
def test_unmasked_xlsx_is_recorded(db: Path, tmp_path: Path) -> None:
    con = connect(db)
    try:
        report = export(con, "stability-list", tmp_path / "clear.xlsx", unmask=True)
        events = read(con, "SELECT subject_id, detail FROM ledger_events WHERE event = '导出未脱敏'")
        ids = set(read(con, "SELECT legal_rep_id FROM registrations")["legal_rep_id"].drop_nulls())
    finally:
        con.close()
    sheet = openpyxl.load_workbook(report.path)["涉稳群体重点人员"]
    header = [c.value for c in sheet[1]]
    shown = {row[header.index("证件号码")] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert report.rows == sheet.max_row - 1 and shown & ids
    assert events.filter(pl.col("subject_id") == "stability-list").height == 1


def frame(**columns: list) -> pl.DataFrame:
    n = len(next(iter(columns.values())))
    base = {
        "subject_kind": ["registration"] * n,
        "subject_id": [f"U{i}" for i in range(n)],
        "score": [50.0] * n,
        "people": [0] * n,
        "stability_terms": [None] * n,
    }
    return pl.DataFrame({**base, **columns})


FACT_COLUMNS = (
    "stability",
    "elderly_share",
    "out_of_region_share",
    "reporters",
    "clue_terms",
    "survey_found",
)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ({"stability": 0.6}, "涉稳隐患指数60（≥60）"),
        ({"stability": 0.59}, None),
        ({"clue_terms": "停止返利、逾期"}, None),  # weak signals alone do not list
        ({"clue_terms": "停止返利、跑路"}, "线索反映「跑路」"),
        ({"survey_found": "店内有老人聚集听课"}, "网格排查发现「聚集」"),
        ({"elderly_share": 0.5, "people": 30}, "60岁以上对手方占50%，涉及30人"),
        ({"elderly_share": 0.5, "people": 29}, None),
        ({"elderly_share": 0.49, "people": 300}, None),
    ],
)
def test_listing_rule_table(case: dict, expected: str | None) -> None:
    people = case.pop("people", 0)
    subjects = frame(people=[people])
    facts = pl.DataFrame(
        {
            "subject_kind": ["registration"],
            "subject_id": ["U0"],
            **{c: [case.get(c)] for c in FACT_COLUMNS},
        },
        schema_overrides={c: pl.Float64 for c in ("stability", "elderly_share", "out_of_region_share")}
        | {"reporters": pl.Int64, "clue_terms": pl.String, "survey_found": pl.String},
    )
    listed = select_stability(subjects, facts)
    if expected is None:
        assert listed.height == 0
    else:
        assert listed.height == 1 and expected in listed["reason"][0]


def test_thresholds_are_data() -> None:
    subjects = frame(people=[0, 0])
    facts = pl.DataFrame(
        {"subject_kind": ["registration"] * 2, "subject_id": ["U0", "U1"], "stability": [0.7, 0.95]}
    ).with_columns(
        pl.lit(None, pl.Float64).alias("elderly_share"),
        pl.lit(None, pl.Float64).alias("out_of_region_share"),
        pl.lit(0, pl.Int64).alias("reporters"),
        pl.lit(None, pl.String).alias("clue_terms"),
        pl.lit(None, pl.String).alias("survey_found"),
    )
    assert select_stability(subjects, facts).height == 2
    stricter = {**RULES, "thresholds": {**RULES["thresholds"], "factor": 0.9}}
    assert select_stability(subjects, facts, stricter)["subject_id"].to_list() == ["U1"]
