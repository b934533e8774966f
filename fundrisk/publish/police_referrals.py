"""Criminal leads referred to the police (移送公安).

A subject is referred when its latest on-site inspection concluded 确认非法集资, or when, at 中风险 or
above, its evidence meets a prosecution threshold of 《最高人民法院关于审理非法集资刑事案件具体应用法律
若干问题的解释》(2022) 第三条: 非法吸收或者变相吸收公众存款数额在100万元以上, 对象150人以上, or 给存款人
造成直接经济损失数额在50万元以上. Amounts are the larger of linked inflows and claimed amounts; people
the larger of distinct payers and claimed participants; the loss is inflow net of outflow, or the
claimed amount when clues carry 无法兑付-type signals. 认定依据 says which basis applies. Each referred
subject is recorded once as a ledger event (移送公安, source 'referral').
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl

from fundrisk.publish.safety import protect
from fundrisk.publish.subjects import TIER_RANK, resolve_run, scored_subjects, tier_rank
from fundrisk.publish.writers import export_format, write_frame
from fundrisk.warehouse.publish_store import record_events, recorded_subjects

CONFIRMED = "确认非法集资"
AMOUNT_YUAN = 1_000_000.0
PEOPLE = 150
LOSS_YUAN = 500_000.0
NON_PAYMENT = "无法兑付|不能兑付|兑付困难|拒不兑付|提现困难|逾期|跑路"
LAW = "2022年非法集资刑事案件司法解释第三条"
EVENT = "移送公安"
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


def referral_frame(con: duckdb.DuckDBPyConnection, run_id: str) -> pl.DataFrame:
    """Subjects that meet a referral basis, with 认定依据 and 核查结论 (English columns)."""
    subjects = scored_subjects(con, run_id, "无明显风险")
    conclusion = pl.coalesce(pl.col("latest_conclusion"), pl.col("inspection_conclusion"))
    non_payment = pl.col("stability_terms").fill_null("").str.contains(NON_PAYMENT)
    net = (pl.col("inflow_yuan").fill_null(0.0) - pl.col("outflow_yuan").fill_null(0.0)).clip(lower_bound=0.0)
    claimed = pl.when(non_payment).then(pl.col("claimed_amount_yuan").fill_null(0.0)).otherwise(0.0)
    frame = subjects.with_columns(
        conclusion.alias("conclusion"),
        pl.max_horizontal(net, claimed).alias("loss_yuan"),
    )
    risky = tier_rank(pl.col("tier")) >= TIER_RANK["中风险"]
    confirmed = pl.col("conclusion") == CONFIRMED
    by_amount = risky & (pl.col("amount_yuan") >= AMOUNT_YUAN)
    by_people = risky & (pl.col("people") >= PEOPLE)
    by_loss = risky & (pl.col("loss_yuan") >= LOSS_YUAN)
    thresholds = pl.concat_str(
        [
            pl.when(by_amount).then(
                pl.format("非法吸收公众存款数额约{}万元（100万元以上）", _wan(pl.col("amount_yuan")))
            ),
            pl.when(by_people).then(pl.format("涉及对象约{}人（150人以上）", pl.col("people"))),
            pl.when(by_loss).then(pl.format("直接经济损失约{}万元（50万元以上）", _wan(pl.col("loss_yuan")))),
        ],
        separator="、",
        ignore_nulls=True,
    )
    bases = [
        pl.when(confirmed).then(pl.lit("现场核查结论为确认非法集资")),
        pl.when(thresholds != "").then(pl.format("达到{}立案追诉标准：{}", pl.lit(LAW), thresholds)),
    ]
    return (
        frame.filter(confirmed.fill_null(False) | by_amount | by_people | by_loss)
        .with_columns(
            pl.concat_str(bases, separator="；", ignore_nulls=True).alias("basis"),
            pl.col("conclusion").fill_null("未核查").alias("conclusion_text"),
            (pl.col("loss_yuan") / 1e4).round(2).alias("loss_wan"),
        )
        .sort(["score"], descending=True, maintain_order=True)
    )


def write_police_referrals(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    run_id: str | None = None,
    unmask: bool = False,
    referred_on: dt.date | None = None,
) -> int:
    """Write the referral list (.csv or .xlsx) and record new referrals in the ledger; returns the rows."""
    export_format(path)
    run = resolve_run(con, run_id)
    rows = referral_frame(con, run)
    table = rows.select([pl.col(k).alias(v) for k, v in COLUMNS.items()])
    safe = protect(table, {"证件号码": "id"}, codes=["统一社会信用代码"], unmask=unmask)
    write_frame(safe, path, sheet_name="移送名单")
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
