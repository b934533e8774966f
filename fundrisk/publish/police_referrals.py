"""Criminal leads proposed for referral to the police (移送公安线索, 建议移送).

A subject is listed when its latest on-site inspection concluded 确认非法集资, or when, at 中风险 or above,
it shows evidence of pooling public money AND its facts meet a prosecution threshold of
《最高人民法院关于审理非法集资刑事案件具体应用法律若干问题的解释》(2022) 第三条 (amount, people or direct
loss; the figures live in scoring/legal.toml). Evidence of pooling (referral.toml): multi-payer fund-flow
alerts with a pooling pattern, or a money-related clue that names an amount; a headcount alone is never a
case (a parcel station with thousands of small payers). 认定依据 states the threshold and the evidence.

Exporting the list is a proposal, not a disposal: each listed subject is recorded once as a ledger event
建议移送 (source 'referral'). 移送公安 in the ledger comes only from the actions input (or a reviewed
decision).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import polars as pl

from fundrisk.publish.safety import protect
from fundrisk.publish.subjects import resolve_run, scored_subjects, tier_rank
from fundrisk.publish.writers import export_format, write_frame
from fundrisk.warehouse.db import Connection
from fundrisk.warehouse.publish_store import (
    REFERRAL_EVENT,
    record_events,
    recorded_subjects,
    rename_export_events,
)
from scoring.config import legal, tier_scale
from scoring.factors import multi_payer

CONFIRMED = "确认非法集资"
NON_PAYMENT = "无法兑付|不能兑付|兑付困难|拒不兑付|提现困难|逾期|跑路"
EVENT = REFERRAL_EVENT
EVIDENCE_DTYPES = {"alert_types": pl.String, "single_payer_alerts": pl.Int64, "money_clue_count": pl.Int64}
RULES = tomllib.loads((Path(__file__).with_name("referral.toml")).read_text(encoding="utf-8"))
COLUMNS = {
    "uscc": "统一社会信用代码",
    "name": "主体名称",
    "subject_type": "主体类型",
    "legal_rep": "法定代表人",
    "legal_rep_id": "证件号码",
    "address": "经营地址",
    "tier": "风险等级",
    "score": "风险评分",
    "people": "涉及人数",
    "amount_wan": "涉及金额(万元)",
    "loss_wan": "直接经济损失(万元)",
    "basis": "认定依据",
    "conclusion_text": "核查结论",
}


def _wan(expr: pl.Expr) -> pl.Expr:
    """An amount in 元 as 万元 text with at most two decimals (1842.5, 100)."""
    text = (expr / 1e4).round(2).cast(pl.String)
    return text.str.replace(r"\.0$", "")


def _wan_label(yuan: float) -> str:
    return f"{yuan / 1e4:g}万元"


def _case() -> tuple[float, float, float, str]:
    """第三条's amount (元), people and direct loss (元) from legal.toml, and the law as 认定依据 cites it."""
    law = legal()
    loss = law.case.loss_yuan if law.case.loss_yuan is not None else float("inf")
    return law.case.amount_yuan, law.case.people, loss, law.text("{law}第{case_article}条")


def _has_type(types: list[str]) -> pl.Expr:
    alert_types = pl.col("alert_types").fill_null("")
    return pl.any_horizontal([alert_types.str.contains(t, literal=True) for t in types] or [pl.lit(False)])


def pooling_evidence() -> pl.Expr:
    """Text naming the evidence that public money is pooled (empty when there is none)."""
    alerts = RULES["alerts"]
    inflow, outflow = pl.col("inflow_yuan").fill_null(0.0), pl.col("outflow_yuan").fill_null(0.0)
    passes_on = (outflow >= alerts["pass_through_share"] * inflow) & (inflow > 0)
    pooled = multi_payer() & (
        _has_type(alerts["pooling_types"]) | (_has_type(alerts["pass_through_types"]) & passes_on)
    )
    claimed = (pl.col("money_clue_count").fill_null(0) > 0) & (pl.col("claimed_amount_yuan").fill_null(0) > 0)
    return pl.concat_str(
        [
            pl.when(pooled).then(pl.format("资金异动预警显示多名对手方转入且存在{}", pl.col("alert_types"))),
            pl.when(claimed).then(
                pl.format("涉资金线索反映涉及金额约{}万元", _wan(pl.col("claimed_amount_yuan")))
            ),
        ],
        separator="，",
        ignore_nulls=True,
    )


def referral_frame(con: Connection, run_id: str) -> pl.DataFrame:
    """Subjects of the run that meet a referral basis, with 认定依据 and 核查结论 (English columns)."""
    # Only these can meet the rule below: eligible (tiers.toml [lists] police_referrals and up) or confirmed.
    floor = tier_scale().floor_of("police_referrals")
    return select_referrals(scored_subjects(con, run_id, floor, conclusion=CONFIRMED))


def select_referrals(subjects: pl.DataFrame) -> pl.DataFrame:
    """The referral rule over scored subjects (publish.subjects.scored_subjects columns)."""
    for column, dtype in EVIDENCE_DTYPES.items():  # a database from before the evidence columns
        if column not in subjects.columns:
            subjects = subjects.with_columns(pl.lit(None, dtype=dtype).alias(column))
    conclusion = pl.coalesce(pl.col("latest_conclusion"), pl.col("inspection_conclusion"))
    non_payment = pl.col("stability_terms").fill_null("").str.contains(NON_PAYMENT)
    net = (pl.col("inflow_yuan").fill_null(0.0) - pl.col("outflow_yuan").fill_null(0.0)).clip(lower_bound=0.0)
    claimed = pl.when(non_payment).then(pl.col("claimed_amount_yuan").fill_null(0.0)).otherwise(0.0)
    frame = subjects.with_columns(
        conclusion.alias("conclusion"),
        pl.max_horizontal(net, claimed).alias("loss_yuan"),
        pooling_evidence().alias("evidence"),
    )
    confirmed = (pl.col("conclusion") == CONFIRMED).fill_null(False)
    scale = tier_scale()
    floor = scale.rank(scale.floor_of("police_referrals"))
    amount_yuan, people, loss_yuan, law = _case()
    eligible = (tier_rank(pl.col("tier")) >= floor) & (pl.col("evidence") != "")
    by_amount = eligible & (pl.col("amount_yuan") >= amount_yuan)
    by_people = eligible & (pl.col("people") >= people)
    by_loss = eligible & (pl.col("loss_yuan") >= loss_yuan)
    thresholds = pl.concat_str(
        [
            pl.when(by_amount).then(
                pl.format(
                    "非法吸收公众存款数额约{}万元（{}以上）",
                    _wan(pl.col("amount_yuan")),
                    pl.lit(_wan_label(amount_yuan)),
                )
            ),
            pl.when(by_people).then(
                pl.format("涉及对象约{}人（{}人以上）", pl.col("people"), pl.lit(f"{people:g}"))
            ),
            pl.when(by_loss).then(
                pl.format(
                    "直接经济损失约{}万元（{}以上）", _wan(pl.col("loss_yuan")), pl.lit(_wan_label(loss_yuan))
                )
            ),
        ],
        separator="、",
        ignore_nulls=True,
    )
    bases = [
        pl.when(confirmed).then(pl.lit("现场核查结论为确认非法集资")),
        pl.when(thresholds != "").then(
            pl.format("达到{}立案追诉标准：{}；集资证据：{}", pl.lit(law), thresholds, pl.col("evidence"))
        ),
    ]
    return (
        frame.filter(confirmed | by_amount | by_people | by_loss)
        .with_columns(
            pl.concat_str(bases, separator="；", ignore_nulls=True).alias("basis"),
            pl.col("conclusion").fill_null("未核查").alias("conclusion_text"),
            (pl.col("loss_yuan") / 1e4).round(2).alias("loss_wan"),
        )
        .sort(["score"], descending=True, maintain_order=True)
    )


def write_police_referrals(
    con: Connection,
    path: Path,
    run_id: str | None = None,
    unmask: bool = False,
    referred_on: dt.date | None = None,
) -> int:
    """Write the list (.csv or .xlsx) and record newly proposed referrals (建议移送); returns the rows."""
    export_format(path)
    run = resolve_run(con, run_id)
    rows = referral_frame(con, run)
    table = rows.select([pl.col(k).alias(v) for k, v in COLUMNS.items()])
    safe = protect(table, {"证件号码": "id"}, codes=["统一社会信用代码"], unmask=unmask)
    write_frame(safe, path, sheet_name="移送名单")
    rename_export_events(con)  # an older file's 移送公安 export events become 建议移送 first
    known = recorded_subjects(con, EVENT, "referral")
    new = rows.join(known, on=["subject_kind", "subject_id"], how="anti")
    if new.height:
        record_events(
            con,
            new.select(
                "subject_kind",
                "subject_id",
                pl.lit(EVENT).alias("event"),
                pl.lit(referred_on or dt.date.today()).alias("event_on"),
                pl.lit(None, dtype=pl.String).alias("unit"),
                pl.lit(None, dtype=pl.Date).alias("deadline"),
                pl.lit("referral").alias("source"),
                pl.format("{}；文件 {}", pl.col("basis"), pl.lit(Path(path).name)).alias("detail"),
                pl.lit(run).alias("run_id"),
            ),
        )
    return rows.height
