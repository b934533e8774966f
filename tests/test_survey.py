"""Grid sweep records (排查登记, input kind `survey`): ingest, generator truth, linking, leads and grading."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from enrichers.keywords import screen_texts
from fundrisk.inbox import discover
from fundrisk.ingest import ingest_file
from fundrisk.synth import generate
from fundrisk.warehouse import connect
from fundrisk.warehouse.frames import read
from tests.conftest import scored_district

HEADER = "排查编号,排查日期,网格,所属镇街,经营地址,门头名称,统一社会信用代码,发现情况,排查人,附件\n"
ROWS = [
    "PC1,2026-06-08,萌水镇第1网格,萌水镇,萌水村1号,鑫盛理财中心,,发现宣传资料,张三,PC1_门头.jpg\n",  # ok
    ",2026-06-08,萌水镇第1网格,萌水镇,萌水村2号,王记面馆,,无异常,张三,\n",  # no id
    "PC3,六月八日,萌水镇第1网格,萌水镇,萌水村3号,李记超市,,无异常,张三,\n",  # bad date
    "PC4,2026/6/9,萌水镇第1网格,,萌水村4号,,92370306MA07HY2H07,无异常,李四,\n",  # bad code
    "PC5,20260609,,萌水镇,萌水村5号,刘记,,无异常,李四,\n",  # no grid
    "PC1,2026年6月10日,萌水镇第1网格,萌水镇,萌水村1号,鑫盛理财中心,,复查,张三,\n",  # repeated id
    "PC7,2026-06-10,萌水镇第2网格,萌水镇,,赵记,,无异常,李四,\n",  # no address
    "PC8,2026年6月10日,萌水镇第2网格,,萌水村8号,,,无异常,李四,PC8_1.jpg;PC8_2.pdf\n",  # ok, no sign
]


def test_survey_ingest_quarantines_bad_rows_in_chinese(con, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "排查登记").mkdir(parents=True)  # grid workers' own folder name is accepted
    path = inbox / "排查登记" / "sweep.csv"
    path.write_text(HEADER + "".join(ROWS), encoding="utf-8-sig")
    files = discover(inbox)
    assert [(f.kind, f.path.name) for f in files] == [("survey", "sweep.csv")]
    report = ingest_file(con, "survey", path)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (8, 2, 6)
    reasons = dict(con.execute("SELECT line, reason FROM quarantine ORDER BY line").fetchall())
    assert "缺少必填项「排查编号」" in reasons[3]
    assert "排查日期「六月八日」无法识别为日期" in reasons[4]
    assert "统一社会信用代码「92370306MA07HY2H07」不是有效的统一社会信用代码" in reasons[5]
    assert "缺少必填项「网格」" in reasons[6]
    assert "文件内重复：排查编号与第2行相同" in reasons[7]
    assert "缺少必填项「经营地址」" in reasons[8]
    loaded = read(con, "SELECT survey_id, surveyed_on, signboard, evidence FROM surveys ORDER BY survey_id")
    assert loaded["survey_id"].to_list() == ["PC1", "PC8"]
    assert str(loaded["surveyed_on"][1]) == "2026-06-10"
    assert loaded["signboard"][1] is None and loaded["evidence"][1] == "PC8_1.jpg;PC8_2.pdf"


def test_missing_required_survey_column_rejects_the_file(con, tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("排查编号,排查日期,经营地址\nPC1,2026-06-08,萌水村1号\n", encoding="utf-8")
    with pytest.raises(Exception, match="缺少排查登记的必填列：网格"):
        ingest_file(con, "survey", path)


@pytest.mark.slow
def test_generator_writes_surveys_with_truth(con, tmp_path: Path) -> None:
    summary = generate(tmp_path / "a", entities=1200, seed=3)
    again = generate(tmp_path / "b", entities=1200, seed=3)
    survey_file = summary.paths["survey"]
    assert survey_file.read_bytes() == again.paths["survey"].read_bytes()  # deterministic per seed
    truth = pl.read_csv(tmp_path / "a" / "truth" / "surveys.csv")
    grids = pl.read_csv(tmp_path / "a" / "truth" / "survey_grids.csv")
    rows = pl.read_excel(survey_file)
    assert rows.height == truth.height == summary.rows["survey"] > 500
    # Grids left unswept: listed, holding registrations, and without a single survey record.
    unswept = grids.filter(~pl.col("swept"))
    assert unswept.height >= 1 and unswept["registrations"].min() > 0
    assert not set(unswept["grid"]) & set(rows["网格"])
    assert unswept["surveyed_premises"].sum() == 0
    # Doors with no registration: none at a registered address, some running a scheme.
    regs = pl.read_csv(summary.paths["registrations"], infer_schema=False)
    doors = rows.join(truth, left_on="排查编号", right_on="survey_id").filter(pl.col("true_uscc").is_null())
    assert doors.filter(pl.col("door_kind") == "unregistered").height >= 3
    assert doors.filter(pl.col("scheme").is_not_null() & (pl.col("door_kind") == "unregistered")).height >= 1
    door_keys = set(doors["经营地址"].str.replace(r"^.*?镇", ""))
    assert not door_keys & set(regs["住所"].str.replace(r"^.*?镇", ""))
    # Sensitive signboards on planted schemes screen as such (the screen an officer runs on a signboard).
    sensitive = rows.join(truth, left_on="排查编号", right_on="survey_id").filter(
        pl.col("sensitive_signboard")
    )
    assert sensitive.height >= 5
    scores = [r.score for r in screen_texts(sensitive["门头名称"].to_list(), kind="名称")]
    assert min(scores) >= 25
    planted = pl.read_csv(tmp_path / "a" / "truth" / "entities.csv").filter("is_planted")["uscc"]
    registered_sensitive = sensitive.filter(pl.col("door_kind") == "registered")["true_uscc"]
    assert registered_sensitive.is_in(planted.implode()).all()
    # The generated file ingests cleanly.
    report = ingest_file(con, "survey", survey_file)
    assert report.rows_quarantined == 0 and report.rows_loaded == rows.height


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scored_district(tmp_path_factory.mktemp("survey"), entities=1500, seed=11, run_id="RUN1")


@pytest.mark.slow
def test_surveys_link_to_registrations_or_become_leads(district: Path) -> None:
    truth = pl.read_csv(district.parent / "inbox" / "truth" / "surveys.csv", infer_schema=False)
    con = connect(district, read_only=True)
    links = read(
        con, "SELECT source_id AS survey_id, uscc, method FROM entity_links WHERE source_kind = 'survey'"
    )
    members = read(
        con, "SELECT source_id AS survey_id, lead_id FROM lead_members WHERE source_kind = 'survey'"
    )
    scores = read(con, "SELECT subject_id, tier, reasons FROM risk_scores WHERE run_id = 'RUN1'")
    kw = read(con, "SELECT subject_id, keyword_score FROM keyword_scores WHERE subject_kind = 'survey'")
    con.close()
    joined = truth.join(links, on="survey_id", how="left").join(members, on="survey_id", how="left")
    registered = joined.filter(pl.col("door_kind") == "registered")
    assert (registered["uscc"] == registered["true_uscc"]).all()  # by code, name, core or address
    assert {"code", "address"} <= set(registered["method"])
    doors = joined.filter(pl.col("door_kind") != "registered")
    assert doors["uscc"].is_null().all() and doors["lead_id"].is_not_null().all()
    # One lead per door: revisits join their door's lead, two doors never share one.
    per_door = doors.group_by("door_id").agg(pl.col("lead_id").n_unique().alias("n"))
    assert per_door["n"].max() == 1
    assert doors.select("door_id", "lead_id").unique()["lead_id"].is_unique().all()
    # A door with a sensitive signboard is graded at least 中风险, saying why.
    flagged = doors.filter(pl.col("sensitive_signboard") == "true").join(
        scores, left_on="lead_id", right_on="subject_id"
    )
    assert flagged.height >= 1
    assert set(flagged["tier"]) <= {"高风险", "中风险"}
    assert flagged["reasons"].str.contains("排查登记").all()
    # A door running nothing (a plain unlicensed shop) stays below 中风险.
    plain = doors.filter((pl.col("door_kind") == "unregistered") & pl.col("scheme").is_null())
    plain = plain.join(scores, left_on="lead_id", right_on="subject_id")
    assert plain.height >= 1 and not set(plain["tier"]) & {"高风险", "中风险"}
    # Every survey with a signboard is screened like a clue.
    assert kw.height >= registered.height * 0.9
