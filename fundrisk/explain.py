"""Why an entity stands where it does: its reasons, linked alerts and clues, registry facts."""

from __future__ import annotations

from typing import Any

import duckdb

from fundrisk.errors import BadInput
from fundrisk.warehouse.frames import read
from fundrisk.warehouse.registry_store import lookup_status_for, registry_flags_for

LEAD_PREFIX = "WZ-"  # lead ids (enrichers/leads.py) start with this


def explain(con: duckdb.DuckDBPyConnection, uscc: str) -> dict[str, Any]:
    """The DESIGN.md explain object plus detail: uscc, name, score, tier, reasons, alerts, clues."""
    code = uscc.strip().upper()
    if code.startswith(LEAD_PREFIX):
        return explain_lead(con, uscc.strip())
    reg = read(con, "SELECT uscc, name FROM registrations WHERE uscc = ?", [code])
    if reg.height == 0:
        raise BadInput(f"数据库中没有统一社会信用代码为「{code}」的登记主体，请先导入工商登记数据")
    links = read(
        con,
        "SELECT source_kind, source_id, method, score FROM entity_links WHERE uscc = ? ORDER BY source_kind, source_id",
        [code],
    )
    reasons: list[str] = []
    score, tier = _score(con, code, reasons)
    keyword = read(
        con,
        "SELECT keyword_score, reason FROM keyword_scores WHERE subject_kind = 'registration' AND subject_id = ?",
        [code],
    )
    if keyword.height and keyword["reason"][0]:
        reasons.append(f"敏感字样：{keyword['reason'][0]}")
    relations = read(con, "SELECT reason FROM entity_relations WHERE uscc = ? ORDER BY relation", [code])
    reasons.extend(f"关联风险主体：{r}" for r in relations["reason"].to_list() if r)
    flags = registry_flags_for(con, code)
    if flags and flags.get("reasons"):
        reasons.extend(f"工商信息：{r}" for r in str(flags["reasons"]).split("；") if r)
    elif (status := lookup_status_for(con, code)) is not None and status.get("status_label"):
        reasons.append(f"工商信息：{status['status_label']}（{status.get('detail') or ''}）")
    alerts = links.filter(links["source_kind"] == "alert")["source_id"].to_list()
    clues = links.filter(links["source_kind"] == "clue")["source_id"].to_list()
    if alerts or clues:
        reasons.append(f"关联资金异动预警 {len(alerts)} 条、线索 {len(clues)} 条")
    return {
        "uscc": code,
        "name": reg["name"][0],
        "score": score,
        "tier": tier,
        "reasons": reasons,
        "alerts": alerts,
        "clues": clues,
    }


def explain_lead(con: duckdb.DuckDBPyConnection, lead_id: str) -> dict[str, Any]:
    """The same object for an unregistered-operator lead (无照经营线索); its id stands in for the code."""
    lead = read(con, "SELECT name, names, address_key FROM leads WHERE lead_id = ?", [lead_id])
    if lead.height == 0:
        raise BadInput(f"数据库中没有编号为「{lead_id}」的无照经营线索")
    members = read(
        con, "SELECT source_kind, source_id FROM lead_members WHERE lead_id = ? ORDER BY source_id", [lead_id]
    )
    reasons = [f"无照经营线索：线索中出现的名称 {lead['names'][0] or lead['name'][0]}"]
    if lead["address_key"][0]:
        reasons.append(f"经营地址：{lead['address_key'][0]}")
    score, tier = _score(con, lead_id, reasons)
    return {
        "uscc": lead_id,
        "name": lead["name"][0],
        "score": score,
        "tier": tier,
        "reasons": reasons,
        "alerts": members.filter(members["source_kind"] == "alert")["source_id"].to_list(),
        "clues": members.filter(members["source_kind"] == "clue")["source_id"].to_list(),
    }


def _score(con: duckdb.DuckDBPyConnection, code: str, reasons: list[str]) -> tuple[float | None, str | None]:
    """The latest risk score and tier once scoring has run (risk_scores); None before that."""
    tables = {t[0] for t in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if "risk_scores" not in tables:
        return None, None
    rows = read(
        con,
        "SELECT score, tier, reasons FROM risk_scores WHERE subject_id = ? ORDER BY run_id DESC LIMIT 1",
        [code],
    )
    if rows.height == 0:
        return None, None
    if rows["reasons"][0]:
        reasons.extend(str(rows["reasons"][0]).split("\n"))
    return float(rows["score"][0]), str(rows["tier"][0])
