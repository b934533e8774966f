"""Valid sample rows for every input kind, and writers for each format and header language."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import xlsxwriter
from stdnum.cn import uscc

from fundrisk.sources.spec import KINDS


def make_uscc(serial: int, prefix: str = "91370306") -> str:
    body = f"{prefix}{serial:09d}"
    return body + uscc.calc_check_digit(body)


U1, U2, U3 = make_uscc(1), make_uscc(2), make_uscc(3)

VALID: dict[str, list[dict[str, str]]] = {
    "registrations": [
        {
            "uscc": U1,
            "name": "淄博鑫盛财富管理有限公司",
            "legal_rep": "王建国",
            "legal_rep_id": "370303196501011234",
            "phone": "13812345678",
            "registered_capital": "1000万元",
            "established_on": "2021年3月5日",
            "entity_type": "有限责任公司",
            "status": "存续",
            "industry": "商务服务业",
            "address": "淄博市文昌湖区萌水镇萌山路8号",
            "town": "萌水镇",
            "grid": "萌水镇第3网格",
            "business_scope": "一般项目：企业管理咨询；财务咨询。",
        },
        {
            "uscc": U2,
            "name": "淄博文昌湖区萌水镇张记面馆",
            "registered_capital": "5",
            "established_on": "2019/7/1",
            "entity_type": "个体工商户",
            "status": "在业",
            "industry": "餐饮业",
            "town": "萌水镇",
        },
        {
            "uscc": U3,
            "name": "淄博商家镇绿源种植专业合作社",
            "registered_capital": "200",
            "established_on": "20180102",
            "entity_type": "农民专业合作社",
            "status": "存续",
            "industry": "农业",
            "town": "商家镇",
        },
    ],
    "alerts": [
        {
            "alert_id": "YJ2026-000001",
            "account_name": "淄博鑫盛财富管理有限公司",
            "alert_date": "2026-03-01",
            "inflow_amount": "18,420,000.00",
            "uscc": U1,
            "account_no": "6228480012345678901",
            "bank": "农业银行",
            "alert_type": "分散转入集中转出",
            "outflow_amount": "约1650万元",
            "txn_count": "1200笔",
            "payer_count": "312",
            "elderly_payer_share": "64%",
            "out_of_region_payer_share": "0.2",
        },
        {
            "alert_id": "YJ2026-000002",
            "account_name": "张三",
            "alert_date": "2026/3/2",
            "inflow_amount": "500000",
        },
    ],
    "clues": [
        {
            "clue_id": "XS2026-000001",
            "received_on": "2026年4月1日",
            "subject_name": "鑫盛财富（文昌湖店）",
            "content": "店里推销理财产品，说年化15%保本，很多老人投了钱",
            "channel": "群众举报",
            "reporter_name": "李某",
            "reporter_phone": "13900001111",
            "claimed_participants": "约200人",
            "claimed_amount": "约300万元",
            "town": "萌水镇",
            "grid": "萌水镇第3网格",
        },
        {
            "clue_id": "XS2026-000002",
            "received_on": "20260402",
            "subject_name": "张记面馆",
            "content": "夜间噪音扰民",
            "channel": "12345热线",
        },
    ],
    "provincial-list": [
        {"uscc": U1, "name": "淄博鑫盛财富管理有限公司", "listed_on": "2026-05-01", "level": "高"},
        {"name": "淄博某某投资咨询有限公司", "listed_on": "2026-05-01"},
    ],
    "inspections": [
        {"uscc": U1, "inspected_on": "2026-06-01", "conclusion": "确认非法集资", "team": "第一核查组"},
        {"uscc": U2, "inspected_on": "2026-06-02", "conclusion": "未发现问题"},
    ],
    "actions": [
        {"uscc": U1, "action": "移送公安", "action_on": "2026-06-10", "unit": "公安分局"},
        {
            "uscc": U1,
            "action": "约谈",
            "action_on": "2026-06-03",
            "unit": "经济发展局",
            "deadline": "2026-07-03",
        },
    ],
    "survey": [
        {
            "survey_id": "PC2026-000001",
            "surveyed_on": "2026-06-08",
            "grid": "萌水镇第3网格",
            "town": "萌水镇",
            "address": "淄博市文昌湖区萌水镇萌山路8号",
            "signboard": "鑫盛财富",
            "uscc": U1,
            "found": "发现理财宣传单页，承诺年化15%",
            "reporter": "王网格",
            "evidence": "PC2026-000001_门头.jpg;PC2026-000001_宣传单.jpg",
        },
        {
            "survey_id": "PC2026-000002",
            "surveyed_on": "2026年6月9日",
            "grid": "萌水镇第3网格",
            "address": "萌水镇萌山路10号",
            "found": "无异常",
        },
    ],
}


def headers(kind: str, chinese: bool) -> list[str]:
    spec = KINDS[kind]
    return [c.label if chinese else c.name for c in spec.columns]


def table_rows(kind: str, rows: list[dict[str, str]], chinese: bool) -> tuple[list[str], list[list[str]]]:
    spec = KINDS[kind]
    return headers(kind, chinese), [[row.get(c.name, "") for c in spec.columns] for row in rows]


def csv_bytes(header: list[str], body: list[list[str]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(body)
    return buffer.getvalue().encode(encoding)


def write_kind(
    path: Path,
    kind: str,
    rows: list[dict[str, str]] | None = None,
    chinese: bool = True,
    encoding: str = "utf-8",
) -> Path:
    """Write sample rows of a kind in the format the suffix names (.csv, .xlsx, .parquet)."""
    header, body = table_rows(kind, VALID[kind] if rows is None else rows, chinese)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        path.write_bytes(csv_bytes(header, body, encoding))
    elif path.suffix == ".xlsx":
        book = xlsxwriter.Workbook(path, {"strings_to_numbers": False, "strings_to_formulas": False})
        sheet = book.add_worksheet()
        sheet.write_row(0, 0, header)
        for i, row in enumerate(body, start=1):
            for j, value in enumerate(row):
                if value != "":
                    sheet.write_string(i, j, value)
        book.close()
    elif path.suffix == ".parquet":
        pl.DataFrame(body, schema=header, orient="row").write_parquet(path)
    else:
        raise ValueError(path.suffix)
    return path


def fail_at_batch(monkeypatch: pytest.MonkeyPatch, number: int, error: Exception) -> None:
    """A large CSV's batch reader raises `error` instead of handing over batch `number` (0-based)."""
    from fundrisk.sources import batches

    real = batches._csv_batches

    def failing(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for index, batch in enumerate(real(*args, **kwargs)):
            if index == number:
                raise error
            yield batch

    monkeypatch.setattr(batches, "_csv_batches", failing)
