"""The stability list (涉稳群体/重点人员名单) for 公安分局 and 维稳办, pushed as soon as groups are found.

A subject of the run is listed when its 涉稳隐患 factor is high, when its clues or grid-sweep records carry
an acute signal (跑路, 无法兑付, 聚集, 上访 …), or when many of its payers are elderly; the rules and
thresholds are data (stability_list.toml). Each row counts the people involved and the distinct
reporters, and says why it is listed. ID numbers and phones are masked unless `unmask`.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import polars as pl

from fundrisk.publish.safety import protect
from fundrisk.publish.subjects import KEYS, resolve_run, scored_subjects
from fundrisk.publish.writers import export_format, write_frame
from fundrisk.warehouse.case_store import case_states, with_case_states
from fundrisk.warehouse.db import Connection
from fundrisk.warehouse.stability_store import stability_facts

RULES = tomllib.loads(Path(__file__).with_name("stability_list.toml").read_text(encoding="utf-8"))
COLUMNS = {
    "tier": "风险等级",
    "score": "风险评分",
    "stability_index": "涉稳隐患指数",
    "name": "主体名称",
    "uscc": "统一社会信用代码",
    "lead_id": "线索编号",
    "subject_type": "主体类型",
    "town": "所属镇街",
    "grid": "网格",
    "address": "经营地址",
    "legal_rep": "法定代表人",
    "legal_rep_id": "证件号码",
    "phone": "联系电话",
    "people": "涉及人数",
    "reporters": "举报人数",
    "elderly_pct": "60岁以上对手方占比",
    "out_of_region_pct": "外地对手方占比",
    "signals": "涉稳信号",
    "reason": "列入原因",
    "status": "处置状态",
    "recipients": "建议推送单位",
}


def _terms_in(expr: pl.Expr, terms: list[str]) -> pl.Expr:
    """The configured terms that occur in a text column, as a list (in configuration order, once each)."""
    pattern = "|".join(re.escape(t) for t in terms) if terms else r"[^\s\S]"
    return expr.fill_null("").str.extract_all(pattern).list.unique(maintain_order=True)


def _pct(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr.is_not_null()).then(pl.format("{}%", (expr * 100).round(0).cast(pl.Int64)))


def select_stability(subjects: pl.DataFrame, facts: pl.DataFrame, rules: dict | None = None) -> pl.DataFrame:
    """The listing rule over scored subjects joined with stability_facts (English columns, reason added)."""
    rules = rules or RULES
    limits, signals = rules["thresholds"], rules["signals"]
    frame = subjects.join(facts, on=KEYS, how="left").with_columns(
        pl.col("stability").fill_null(0.0),
        pl.col("reporters").fill_null(0).cast(pl.Int64),
        pl.concat_list(
            _terms_in(pl.col("clue_terms"), signals["acute"]),
            _terms_in(pl.col("stability_terms"), signals["acute"]),
        )
        .list.unique(maintain_order=True)
        .alias("clue_signals"),
        _terms_in(pl.col("survey_found"), signals["survey_terms"]).alias("survey_signals"),
    )
    by_factor = pl.col("stability") >= limits["factor"]
    by_signal = (pl.col("clue_signals").list.len() > 0) | (pl.col("survey_signals").list.len() > 0)
    by_elderly = (pl.col("elderly_share").fill_null(0.0) >= limits["elderly_share"]) & (
        pl.col("people") >= limits["elderly_min_people"]
    )
    index = (pl.col("stability").clip(0.0, 1.0) * 100).round(0).cast(pl.Int64)
    reason = pl.concat_str(
        [
            pl.when(by_factor).then(
                pl.format("涉稳隐患指数{}（≥{}）", index, pl.lit(round(limits["factor"] * 100)))
            ),
            pl.when(pl.col("clue_signals").list.len() > 0).then(
                pl.format("线索反映「{}」", pl.col("clue_signals").list.join("、"))
            ),
            pl.when(pl.col("survey_signals").list.len() > 0).then(
                pl.format("网格排查发现「{}」", pl.col("survey_signals").list.join("、"))
            ),
            pl.when(by_elderly).then(
                pl.format("60岁以上对手方占{}，涉及{}人", _pct(pl.col("elderly_share")), pl.col("people"))
            ),
        ],
        separator="；",
        ignore_nulls=True,
    )
    listed = frame.filter(by_factor | by_signal | by_elderly)
    return listed.with_columns(
        index.alias("stability_index"),
        reason.alias("reason"),
        pl.concat_list("clue_signals", "survey_signals")
        .list.unique(maintain_order=True)
        .list.join("、")
        .alias("signals"),
        _pct(pl.col("elderly_share")).alias("elderly_pct"),
        _pct(pl.col("out_of_region_share")).alias("out_of_region_pct"),
        pl.lit(rules.get("recipients", "公安分局、维稳办")).alias("recipients"),
    ).sort(["stability_index", "people", "score"], descending=True, nulls_last=True, maintain_order=True)


def stability_frame(con: Connection, run_id: str, unmask: bool = False) -> pl.DataFrame:
    """The list with its Chinese headers, masked and formula-safe."""
    subjects = scored_subjects(con, run_id)  # every tier
    rows = with_case_states(select_stability(subjects, stability_facts(con, run_id)), case_states(con))
    table = rows.select([pl.col(k).alias(v) for k, v in COLUMNS.items()])
    return protect(table, {"证件号码": "id", "联系电话": "phone"}, codes=["统一社会信用代码"], unmask=unmask)


def write_stability_list(con: Connection, path: Path, run_id: str | None = None, unmask: bool = False) -> int:
    """Write the list (.csv or .xlsx); returns the number of subjects."""
    export_format(path)
    table = stability_frame(con, resolve_run(con, run_id), unmask)
    write_frame(table, path, sheet_name="涉稳群体重点人员")
    return table.height
