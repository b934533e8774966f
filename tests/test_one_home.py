"""Issue 15, one home per fact: each test fails when a second copy of a fact creeps back, or when its
home changes and a reader does not follow.

Homes: tier names and order scoring/tiers.toml, the law's thresholds scoring/legal.toml, the stages
fundrisk/stages/sequence.py, the latest inspection fundrisk/warehouse/inspections_sql.py, the provincial
list match enrichers/provincial.py, the exports fundrisk/exports.toml, the kinds fundrisk/sources/kinds.toml.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
import tomllib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

import scoring.config as scoring_config
from enrichers.names import name_norm
from enrichers.offenders import flagged_entities
from fundrisk.cli import app, print_run_summary
from fundrisk.exports import EXPORTS, daily_files, label
from fundrisk.inbox import KIND_ORDER, scan
from fundrisk.ingest import ingest_file
from fundrisk.publish import export, update_ledger
from fundrisk.publish.daily import DAILY
from fundrisk.publish.inspection_list import _field_sheet
from fundrisk.publish.police_referrals import select_referrals
from fundrisk.publish.report import build_report
from fundrisk.publish.subjects import listed_expr
from fundrisk.reports import run_summary_markdown, summarise_ingest
from fundrisk.settings import Settings
from fundrisk.sources.spec import KINDS, SPEC_FILE
from fundrisk.stages import sequence
from fundrisk.stages.features import build_features
from fundrisk.warehouse import connect
from fundrisk.warehouse.campaign_store import found_premises
from fundrisk.warehouse.case_store import case_states
from fundrisk.warehouse.db import Connection
from fundrisk.warehouse.frames import read
from fundrisk.warehouse.publish_store import SOURCES_SQL, TIER_RANK_SQL, tier_params
from scoring.config import load_config, tier_scale
from scoring.engine import anchors_of
from scoring.reasons import sentence
from tests.samples import U1, U2, U3, VALID, write_kind

ROOT = Path(__file__).resolve().parents[1]
CODE = ("fundrisk", "flows", "scoring", "enrichers")
RENAMED = {"无明显风险": "无风险迹象", "高风险": "红色风险", "中风险": "橙色风险", "低风险": "黄色风险"}
# Words that contain a tier name without being one (最低风险等级 holds 低风险).
NOT_TIERS = ("最低风险等级",)


def _strings(path: Path, hint: re.Pattern[str], docstrings: bool = False) -> Iterator[tuple[int, str]]:
    """(line, text) of every string constant of a module (docstrings only when asked); a module whose
    text does not match `hint` at all is not parsed (keeps the scans fast)."""
    source = path.read_text(encoding="utf-8")
    if not hint.search(source):
        return
    tree = ast.parse(source)
    docs = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and (docstrings or id(node) not in docs)
        ):
            yield node.lineno, node.value


def _any_of(words: list[str] | tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(map(re.escape, words)))


def _toml_values(data: Any) -> Iterator[str]:
    if isinstance(data, dict):
        for value in data.values():
            yield from _toml_values(value)
    elif isinstance(data, list):
        for value in data:
            yield from _toml_values(value)
    else:
        yield str(data)


def _data_files(*skip: str) -> list[Path]:
    files = [p for root in CODE for p in (ROOT / root).rglob("*.toml")]
    return [p for p in files if p.name not in skip]


# ---------------------------------------------------------------- tiers: scoring/tiers.toml


def test_no_tier_name_outside_tiers_toml() -> None:
    """Code and data name tiers only through tier_scale(); a literal 高风险 somewhere else is a second copy."""
    names = tier_scale().names
    found = []
    for root in CODE:
        for path in (ROOT / root).rglob("*.py"):
            for line, text in _strings(path, _any_of(names)):
                for word in NOT_TIERS:
                    text = text.replace(word, "")
                if any(name in text for name in names):
                    found.append(f"{path.relative_to(ROOT)}:{line} {text[:40]!r}")
    for path in _data_files("tiers.toml"):
        for text in _toml_values(tomllib.loads(path.read_text(encoding="utf-8"))):
            if any(name in text for name in names):
                found.append(f"{path.relative_to(ROOT)} {text[:40]!r}")
    assert not found, found


def test_tier_rank_sql_follows_tiers_toml(con: Connection) -> None:
    scale = tier_scale()
    sql = f"SELECT t, {TIER_RANK_SQL.format(col='t')} AS rank FROM unnest($names) AS u(t)"  # noqa: S608
    got = dict(con.execute(sql, {"names": [*scale.names, "不是等级"], **tier_params()}).fetchall())
    assert got == {**{n: scale.rank(n) for n in scale.names}, "不是等级": 0}
    assert [got[n] for n in scale.names] == list(range(len(scale.names) - 1, -1, -1))


def test_tiers_toml_rejects_an_undefined_tier(tmp_path: Path) -> None:
    """Renaming a tier in [[tier]] only, and not where the file uses it, fails loudly at load."""
    text = scoring_config.TIERS_FILE.read_text(encoding="utf-8")
    top = tier_scale().top
    copy = tmp_path / "tiers.toml"
    copy.write_text(text.replace(f'name = "{top}"', 'name = "极高风险"'), encoding="utf-8")
    with pytest.raises(ValueError, match=top):
        load_config(tiers=copy)
    with pytest.raises(ValueError, match=top):
        scoring_config.tier_scale(copy)


@pytest.fixture
def renamed_tiers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A copy of tiers.toml with every tier renamed, loaded by every reader through the real loader."""
    text = scoring_config.TIERS_FILE.read_text(encoding="utf-8")
    for old, new in RENAMED.items():
        text = text.replace(old, new)
    copy = tmp_path / "tiers.toml"
    copy.write_text(text, encoding="utf-8")
    monkeypatch.setattr(scoring_config, "TIERS_FILE", copy)
    return RENAMED


@pytest.mark.slow
def test_a_renamed_tier_is_followed_everywhere(
    tmp_path: Path, renamed_tiers: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    high, medium = renamed_tiers["高风险"], renamed_tiers["中风险"]
    assert tier_scale().names == tuple(renamed_tiers[n] for n in ("高风险", "中风险", "低风险", "无明显风险"))
    for kind in VALID:
        write_kind(tmp_path / "inbox" / kind / f"{kind}.csv", kind)
    con = connect(tmp_path / "f.duckdb")
    try:
        reports = [ingest_file(con, f.kind, f.path).as_dict() for f in scan(tmp_path / "inbox").files]
        stages = sequence.run_stages(con, "R1", Settings())
        update_ledger(con, "R1")
        tiers = dict(con.execute("SELECT subject_id, tier FROM risk_scores").fetchall())
        assert tiers[U1] == high  # confirmed on site: the top tier, by its new name
        assert set(tiers.values()) <= set(renamed_tiers.values())
        for what, name in (
            ("warning-list", "w.csv"),
            ("police-referrals", "p.csv"),
            ("inspection-list", "i.csv"),
        ):
            assert export(con, what, tmp_path / name).rows == 1, what  # each finds U1 at its floor tier
        assert U1 in (tmp_path / "w.csv").read_text(encoding="utf-8-sig")
        ledger = con.execute("SELECT first_flagged_run FROM ledger_subjects WHERE subject_id = ?", [U1])
        assert ledger.fetchall() == [("R1",)]  # above the (renamed) lowest tier: flagged
        found = found_premises(con, dt.date(2026, 11, 28))
        assert found.filter(pl.col("subject_id") == U1)["tier"].to_list() == [high]
        html = build_report(con)
    finally:
        con.close()
    assert not [old for old in renamed_tiers if old in html]
    assert f"<h3>{high}主体数</h3>" in html and "三、历次运行红、橙色风险主体数量" in html
    assert "#c0392b" in html  # the top tier keeps its colour under its new name
    summary = {**summarise_ingest("R1", reports), **stages}
    print_run_summary({**summary, "rows_quarantined": 0}, tmp_path / "f.duckdb")
    printed = capsys.readouterr().out
    assert f"{high} 1" in printed and f"新增{high} 1 家" in printed, printed
    assert f"新增{high}主体：" in run_summary_markdown(summary)
    assert medium in printed


# ---------------------------------------------------------------- the law: scoring/legal.toml

LAW_FIGURES = re.compile(
    r"第[三四]条|(?<!\d)(?:150|500)\s*人|(?<![约\d.])(?:100|500|50)\s*万元|(?<![\d_.])[15]_?000_?000(?![\d_])"
)


def test_no_legal_figure_outside_legal_toml() -> None:
    """150 人, 100 万元, 第三条 … are cited in legal.toml alone; the factors' reason docstrings too."""
    found = []
    for root in ("fundrisk", "flows", "scoring"):
        for path in (ROOT / root).rglob("*.py"):
            if "synth" in path.parts:  # the generator writes data, not rules
                continue
            for line, text in _strings(path, LAW_FIGURES, docstrings=path.name == "factors.py"):
                if LAW_FIGURES.search(text):
                    found.append(f"{path.relative_to(ROOT)}:{line} {text[:50]!r}")
    for path in _data_files("legal.toml"):
        for text in _toml_values(tomllib.loads(path.read_text(encoding="utf-8"))):
            if LAW_FIGURES.search(text):
                found.append(f"{path.relative_to(ROOT)} {text[:50]!r}")
    assert not found, found


def test_a_changed_law_is_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Anchors, reasons, the police department rule, the referral rule, field notes and help follow it."""
    text = scoring_config.LEGAL_FILE.read_text(encoding="utf-8")
    changed = text.replace("people = 150.0", "people = 120.0").replace(
        "amount_yuan = 1000000.0", "amount_yuan = 800000.0"
    )
    assert changed != text
    (tmp_path / "legal.toml").write_text(changed, encoding="utf-8")
    monkeypatch.setattr(scoring_config, "LEGAL_FILE", tmp_path / "legal.toml")

    config = load_config()
    assert config.people_anchors == (10.0, 120.0, 500.0) and config.money_anchors[1] == 800_000.0
    police = next(r for r in config.department_rules if "people >=" in r.when)
    assert "people >= 120" in police.when and "amount_yuan >= 800000" in police.when
    frame = pl.DataFrame({"payer_count": [130], "claimed_participants": [0]})
    reason = frame.select(sentence("participants", anchors_of(config))).item()
    assert "超过120人的立案标准（2022解释第三条）" in reason, reason
    subject = dict(
        subject_kind=["registration"], subject_id=["S0"], tier=[tier_scale().top], score=[80.0], alert_count=[1],
        single_payer_alerts=[0], alert_types=["分散转入集中转出"], payer_count=[130], claimed_participants=[None],
        inflow_yuan=[300_000.0], outflow_yuan=[290_000.0], claimed_amount_yuan=[None], money_clue_count=[0],
        stability_terms=[None], latest_conclusion=[None], inspection_conclusion=[None], people=[130],
        amount_yuan=[300_000.0],
    )  # fmt: skip
    referred = select_referrals(pl.DataFrame(subject, strict=False))
    assert referred["basis"].to_list() and "（120人以上）" in referred["basis"][0]
    notes = dict(_field_sheet().rows)  # type: ignore[arg-type]
    assert "120 人、500 人" in str(notes["涉及人数"]) and "80 万元、500 万元" in str(notes["涉及金额(万元)"])
    assert "第三条" in EXPORTS["police-referrals"].help()


# ---------------------------------------------------------------- stages: fundrisk/stages/sequence.py


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_the_flow_runs_the_one_stage_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Replace the list: the flow runs exactly the new list, in its order, and reports each by its key."""
    from flows import pipeline as flow_module
    from flows.steps import STEPS

    assert all(STEPS[s.key] == s.label for s in sequence.STAGES)  # task names take the stage labels
    assert not hasattr(flow_module, "STAGES")  # the flow keeps no list of its own
    ran: list[str] = []

    def recording(stage: sequence.Stage) -> sequence.Stage:
        def run(con: Connection, run_id: str, settings: Settings) -> dict[str, Any]:
            ran.append(stage.key)
            return stage.run(con, run_id, settings)

        return replace(stage, run=run)

    extra = sequence.Stage("extra", "新增步骤", lambda con, run_id, settings: {"stage": "extra"})
    # A stage added in front and one taken out (registry): the flow follows the list it is given.
    stages = tuple(recording(s) for s in (extra, *sequence.STAGES) if s.key != "registry")
    monkeypatch.setattr(sequence, "STAGES", stages)
    (tmp_path / "inbox").mkdir()
    summary = flow_module.pipeline(inbox=str(tmp_path / "inbox"), db=str(tmp_path / "f.duckdb"))
    assert ran == [s.key for s in stages]
    assert summary["extra"] == {"stage": "extra"} and "registry" not in summary
    assert all(s.key in summary for s in stages)


# ---------------------------------------------------------------- the latest inspection: inspections_sql.py


def test_latest_inspection_is_one_fragment() -> None:
    users = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "fundrisk").rglob("*.py")
        if "arg_max(conclusion" in p.read_text(encoding="utf-8")
    ]
    assert users == ["fundrisk/warehouse/inspections_sql.py"]


def _ingest(con: Connection, folder: Path, kind: str, rows: list[dict[str, str]]) -> None:
    """Rows of one kind through a real file and the real ingest."""
    ingest_file(con, kind, write_kind(folder / f"{kind}.csv", kind, rows))


def _registrations(con: Connection, folder: Path, rows: list[tuple[str, str]]) -> None:
    _ingest(
        con, folder, "registrations", [{"uscc": code, "name": name, "town": "萌水镇"} for code, name in rows]
    )


@pytest.mark.slow  # real files through the real ingest (over 0.2 s)
def test_every_reader_sees_the_same_latest_inspection(con: Connection, tmp_path: Path) -> None:
    _registrations(con, tmp_path, [(U1, "淄博鑫盛财富管理有限公司"), (U2, "淄博张记面馆")])
    _ingest(con, tmp_path, "inspections", [
        {"uscc": U1, "inspected_on": "2026-03-01", "conclusion": "确认非法集资"},
        {"uscc": U1, "inspected_on": "2026-05-01", "conclusion": "存在风险隐患"},
        {"uscc": U2, "inspected_on": "2026-04-01", "conclusion": "未发现问题"},
    ])  # fmt: skip
    cases = dict(case_states(con, dt.date(2026, 6, 1)).select("subject_id", "last_conclusion").iter_rows())
    sources = dict(read(con, SOURCES_SQL).select("subject_id", "latest_conclusion").iter_rows())
    features = dict(build_features(con).select("subject_id", "inspection_conclusion").iter_rows())
    expected = {U1: "存在风险隐患", U2: "未发现问题"}
    assert (
        {k: cases[k] for k in expected}
        == {k: sources[k] for k in expected}
        == {k: features[k] for k in expected}
    )
    assert {k: cases[k] for k in expected} == expected
    earlier = dict(case_states(con, dt.date(2026, 4, 15)).select("subject_id", "last_conclusion").iter_rows())
    assert earlier[U1] == "确认非法集资"  # as of a date, the same definition with its filter


# ---------------------------------------------------------------- the provincial list: enrichers/provincial.py


@pytest.mark.slow  # real files through the real ingest (over 0.2 s)
def test_every_reader_matches_the_provincial_list_alike(con: Connection, tmp_path: Path) -> None:
    """A name-only entry written differently (full-width brackets, spaces) is matched by all three readers."""
    names = [(U1, "淄博鑫盛(文昌湖)财富管理有限公司"), (U2, "淄博张记面馆"), (U3, "淄博绿源合作社")]
    _registrations(con, tmp_path, names)
    _ingest(con, tmp_path, "provincial-list", [{"name": "淄博鑫盛（文昌湖）财富 管理有限公司"}, {"uscc": U3}])
    expected = {U1: True, U2: False, U3: True}
    features = build_features(con).filter(pl.col("subject_kind") == "registration")
    by_features = dict(features.select("subject_id", "on_provincial_list").iter_rows())
    frame = features.select(
        "subject_kind", "subject_id", "name", pl.col("subject_id").alias("uscc"), "on_provincial_list"
    )
    by_exports = dict(
        zip(
            frame["subject_id"],
            listed_expr(con, frame.with_columns(pl.lit(False).alias("on_provincial_list"))),
            strict=True,
        )
    )
    regs = read(con, "SELECT uscc, name, status FROM registrations")
    flagged = set(
        flagged_entities(
            regs,
            read(con, "SELECT uscc, name FROM provincial_list"),
            read(con, "SELECT uscc, conclusion FROM inspections"),
        )["uscc"]
    )
    assert by_features == expected and by_exports == expected
    assert {k for k, v in expected.items() if v} == flagged
    assert name_norm(pl.Series(["淄博鑫盛(文昌湖)财富管理有限公司"])).item() != ""


# ---------------------------------------------------------------- exports: fundrisk/exports.toml


def test_exports_are_described_once() -> None:
    from fundrisk.cli_export import export_app

    commands = {c.name: c for c in export_app.registered_commands}
    assert set(commands) == set(EXPORTS)
    assert all(commands[name].help == spec.help() for name, spec in EXPORTS.items())
    assert DAILY == daily_files() == {n: f"{s.label}.{s.daily}" for n, s in EXPORTS.items() if s.daily}
    assert label("police-referrals") == "移送公安线索"  # the name the daily file, the demo and errors share
    labels = [s.label for s in EXPORTS.values()]
    copies = [
        f"{path.relative_to(ROOT)}:{line}"
        for root in ("fundrisk", "flows")
        for path in (ROOT / root).rglob("*.py")
        for line, text in _strings(path, _any_of(labels))
        if any(text == lab or text.startswith(lab + "：") for lab in labels)
    ]
    assert not copies, copies


def test_an_export_error_names_the_catalog_label(con: Connection, tmp_path: Path) -> None:
    from fundrisk.errors import BadInput

    with pytest.raises(BadInput, match=f"导出「{label('police-referrals')}」不支持选项：town"):
        export(con, "police-referrals", tmp_path / "p.csv", town="萌水镇")


def test_the_weekly_file_never_replaces_the_first(tmp_path: Path) -> None:
    spec = EXPORTS["province-push"]
    when = dt.datetime(2026, 6, 1, 8, 30, 5)
    first = spec.scheduled_path(tmp_path, when)
    first.write_text("")
    assert first.name == "省推送_20260601.csv"
    assert spec.scheduled_path(tmp_path, when).name == "省推送_20260601_083005.csv"


# ---------------------------------------------------------------- input kinds: fundrisk/sources/kinds.toml


def test_kind_order_and_help_come_from_kinds_toml(tmp_path: Path) -> None:
    order = tomllib.loads(SPEC_FILE.read_text(encoding="utf-8"))["inbox"]["order"]
    assert list(KIND_ORDER) == order and set(order) <= set(KINDS)
    for kind in reversed(list(KINDS)):  # folders by their Chinese names, created in another order
        write_kind(tmp_path / KINDS[kind].label / "a.csv", kind)
    kinds = list(dict.fromkeys(f.kind for f in scan(tmp_path).files))
    assert kinds == [*order, *(k for k in KINDS if k not in order)]
    shown = CliRunner().invoke(app, ["ingest", "-h"]).output
    flat = re.sub(r"\s+", "", shown)
    assert all(kind in flat and spec.label in flat for kind, spec in KINDS.items()), shown
