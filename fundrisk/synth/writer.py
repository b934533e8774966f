"""File writers: CSV (UTF-8, UTF-8 with BOM, GB18030) and XLSX with every value written as text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import BinaryIO

import polars as pl
import xlsxwriter

from fundrisk import atomic
from fundrisk.atomic import atomic_path

FIXED_TIME = dt.datetime(2026, 11, 28, 9, 0, 0)

REGISTRATION_ZH = {
    "uscc": "统一社会信用代码",
    "name": "企业名称",
    "legal_rep": "法定代表人",
    "legal_rep_id": "证件号码",
    "phone": "联系电话",
    "registered_capital": "注册资本",
    "established_on": "成立日期",
    "entity_type": "企业类型",
    "status": "登记状态",
    "industry": "所属行业",
    "address": "住所",
    "town": "所属镇街",
    "grid": "网格",
    "business_scope": "经营范围",
}
ALERT_ZH = {
    "alert_id": "预警编号",
    "account_name": "账户名称",
    "alert_date": "预警日期",
    "inflow_amount": "转入金额",
    "uscc": "统一社会信用代码",
    "account_no": "账号",
    "holder_id": "开户人证件号码",
    "bank": "报送机构",
    "alert_type": "预警类型",
    "outflow_amount": "转出金额",
    "txn_count": "交易笔数",
    "payer_count": "转入对手方数量",
    "elderly_payer_share": "60岁以上对手方占比",
    "out_of_region_payer_share": "外地对手方占比",
}
CLUE_ZH = {
    "clue_id": "线索编号",
    "received_on": "受理日期",
    "channel": "线索来源",
    "subject_name": "涉及主体",
    "subject_uscc": "主体信用代码",
    "subject_address": "经营地址",
    "content": "线索内容",
    "reporter_name": "举报人",
    "reporter_phone": "举报人电话",
    "claimed_participants": "涉及人数",
    "claimed_amount": "涉及金额",
    "town": "所属镇街",
    "grid": "网格",
}
SURVEY_ZH = {
    "survey_id": "排查编号",
    "surveyed_on": "排查日期",
    "town": "所属镇街",
    "grid": "网格",
    "address": "经营地址",
    "signboard": "门头名称",
    "uscc": "统一社会信用代码",
    "found": "发现情况",
    "reporter": "排查人",
    "evidence": "附件",
}
PROVINCIAL_ZH = {"uscc": "统一社会信用代码", "name": "企业名称", "listed_on": "推送日期", "level": "风险等级"}


def zh(frame: pl.DataFrame, mapping: dict[str, str]) -> pl.DataFrame:
    """Columns in mapping order, renamed to their Chinese headers."""
    return frame.select([pl.col(c).alias(h) for c, h in mapping.items()])


def append_csv(frame: pl.DataFrame, handle: BinaryIO, header: bool) -> None:
    """Append UTF-8 CSV rows to an open binary file."""
    handle.write(frame.write_csv(include_header=header).encode("utf-8"))


def write_csv(frame: pl.DataFrame, path: Path, encoding: str = "utf-8") -> Path:
    """Whole-frame CSV; encoding 'utf-8-sig' adds a BOM, 'gb18030' re-encodes."""
    return atomic.write_bytes(path, frame.write_csv().encode(encoding))


def write_xlsx(frame: pl.DataFrame, path: Path, sheet: str) -> Path:
    """XLSX with text cells only (18-char codes must not become numbers), reproducible metadata."""
    path.parent.mkdir(parents=True, exist_ok=True)
    options = {
        "strings_to_formulas": False,
        "strings_to_numbers": False,
        "strings_to_urls": False,
        "constant_memory": True,
    }
    with atomic_path(path) as temp, xlsxwriter.Workbook(str(temp), options) as book:
        book.set_properties({"created": FIXED_TIME, "author": "fundrisk"})
        ws = book.add_worksheet(sheet)
        for col, name in enumerate(frame.columns):
            ws.write_string(0, col, name)
        for r, row in enumerate(frame.iter_rows(), start=1):
            for col, value in enumerate(row):
                if value is not None:
                    ws.write_string(r, col, str(value))
    return path
