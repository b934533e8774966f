"""`fundrisk review export`: everything that waits for a person's decision, as one workbook.

Three sheets, one per queue (review.toml): 隔离数据 (quarantined rows not yet resolved, raw values back in
their columns), 待确认关联 (link_review candidates with both sides' facts), 疑似同一经营者 (lead pairs,
fundrisk/review/lead_pairs.py). Items already decided are left out; personal data is masked unless asked.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from fundrisk.errors import BadInput
from fundrisk.publish.safety import protect
from fundrisk.review.config import DECISION, KEY_COLUMNS, NOTE, Queue, method_labels, queues
from fundrisk.review.lead_pairs import suspected_pairs
from fundrisk.review.quarantine import EXTRA, FIXED, display, raw_values
from fundrisk.review.workbook import ReviewSheet, write_book
from fundrisk.warehouse import review_store as store
from fundrisk.warehouse.db import Connection

SOURCE_KINDS = {"alert": "预警", "clue": "线索", "survey": "排查登记"}
K0, K1, K2 = KEY_COLUMNS


def quarantine_sheet(con: Connection, queue: Queue, unmask: bool) -> ReviewSheet:
    rows = store.open_quarantine(con)
    if rows.height:
        frame = display(raw_values(rows, store.quarantine_cells(con)), unmask)
    else:
        frame = pl.DataFrame(schema={c: pl.Utf8 for c in (*KEY_COLUMNS, *FIXED, DECISION, NOTE, EXTRA)})
    fixed = {*KEY_COLUMNS, *FIXED, DECISION, NOTE}
    return ReviewSheet(
        queue.sheet, frame, tuple(queue.choices), tuple(c for c in frame.columns if c not in fixed)
    )


def link_sheet(con: Connection, queue: Queue, unmask: bool) -> ReviewSheet:
    links = store.open_links(con)
    methods = method_labels()
    frame = links.select(
        pl.col("source_kind").alias(K0),
        pl.col("source_id").alias(K1),
        pl.col("uscc").alias(K2),
        pl.col("source_kind").replace_strict(SOURCE_KINDS, default=pl.col("source_kind")).alias("来源"),
        pl.col("source_id").alias("来源编号"),
        pl.col("subject_name").alias("记录中的名称"),
        pl.col("source_address").alias("记录地址"),
        pl.col("source_town").alias("记录镇街"),
        pl.col("source_date").cast(pl.Utf8).alias("记录日期"),
        pl.col("source_content").alias("记录摘要"),
        pl.col("rank").alias("候选排名"),
        pl.col("candidate_name").alias("候选企业名称"),
        pl.col("uscc").alias("统一社会信用代码"),
        pl.col("reg_address").alias("候选住所"),
        pl.col("reg_town").alias("候选镇街"),
        pl.col("legal_rep").alias("法定代表人"),
        pl.col("reg_status").alias("登记状态"),
        pl.col("score").round(2).alias("匹配分"),
        pl.col("method").replace_strict(methods, default=pl.col("method")).alias("匹配依据"),
        pl.lit(None, pl.Utf8).alias(DECISION),
        pl.lit(None, pl.Utf8).alias(NOTE),
    )
    safe = protect(frame, codes=[*KEY_COLUMNS, "统一社会信用代码"], unmask=unmask)
    return ReviewSheet(queue.sheet, safe, tuple(queue.choices))


def lead_sheet(con: Connection, queue: Queue, unmask: bool) -> ReviewSheet:
    leads, holders = store.current_leads(con)
    decided = store.decided_keys(con, "lead").select(
        pl.col("ref_id").alias("lead_a"), pl.col("target_id").alias("lead_b")
    )
    pairs = suspected_pairs(leads, holders).join(decided, on=["lead_a", "lead_b"], how="anti")
    side = leads.select("lead_id", "name", "names", "address_key", "town", "records")
    for s in ("a", "b"):  # each lead of the pair with its own columns, suffixed _a / _b
        pairs = pairs.join(
            side.rename({c: f"{c}_{s}" for c in side.columns}),
            left_on=f"lead_{s}",
            right_on=f"lead_id_{s}",
            how="left",
            maintain_order="left",
        )
    frame = pairs.select(
        pl.lit("lead").alias(K0),
        pl.col("lead_a").alias(K1),
        pl.col("lead_b").alias(K2),
        *(_lead_side(s) for s in ("a", "b")),
        pl.col("basis").alias("疑似依据"),
        pl.lit(None, pl.Utf8).alias(DECISION),
        pl.lit(None, pl.Utf8).alias(NOTE),
    )
    frame = frame.unnest("__a", "__b")
    return ReviewSheet(
        queue.sheet, protect(frame, codes=list(KEY_COLUMNS), unmask=unmask), tuple(queue.choices)
    )


def _lead_side(side: str) -> pl.Expr:
    tag = "甲" if side == "a" else "乙"
    return pl.struct(
        pl.col(f"lead_{side}").alias(f"线索{tag}编号"),
        pl.col(f"name_{side}").alias(f"线索{tag}名称"),
        pl.col(f"names_{side}").alias(f"线索{tag}记录中的名称"),
        pl.col(f"address_key_{side}").alias(f"线索{tag}地址"),
        pl.col(f"town_{side}").alias(f"线索{tag}镇街"),
        pl.col(f"records_{side}").alias(f"线索{tag}记录数"),
    ).alias(f"__{side}")


def guide(sheets: dict[str, Queue]) -> list[str]:
    lines = [
        "待复核清单填写说明",
        "",
        "每个工作表是一类需要人工判断的事项。请在黄色表头的列中填写：「复核结论」从下拉列表选择，「备注」可写依据。",
        *(f"· {q.sheet}：{q.title}" for q in sheets.values()),
        "",
        "隐藏列（键_类别、键_编号、键_对象）用于导入时找到对应记录，请勿修改或删除；可以筛选、排序，但不要增删列。",
        "证件号码、电话等个人信息已脱敏；未改动的脱敏单元格导入时保留数据库中的原值。",
        "填写后运行：fundrisk review import 待复核.xlsx --reviewer 姓名。未填写复核结论的行不作处理；",
        "同一文件重复导入不会重复记录。确认或否定的关联、合并或不合并的线索在下次运行时生效，之后不再提示。",
    ]
    return lines


def export_review(con: Connection, out: Path, unmask: bool = False) -> dict[str, int]:
    """Write the workbook (atomically); returns rows per queue key."""
    if out.suffix.lower() != ".xlsx":
        raise BadInput(f"待复核清单只能导出为 .xlsx 文件，收到「{out.name}」")
    if not out.parent.is_dir():
        raise BadInput(f"输出文件夹「{out.parent}」不存在，请先创建或换一个位置")
    qs = queues()
    builders = {"quarantine": quarantine_sheet, "link": link_sheet, "lead": lead_sheet}
    sheets = [builders[key](con, queue, unmask) for key, queue in qs.items()]
    write_book(sheets, guide(qs), out)
    counts = {key: sheet.frame.height for key, sheet in zip(qs, sheets, strict=True)}
    if unmask:
        from fundrisk.publish.ledger import record_unmasked_export

        record_unmasked_export(con, "review", str(out), sum(counts.values()))
    return counts
