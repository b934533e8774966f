"""Why an entity stands where it does: its reasons, linked alerts and clues, registry facts, and what
has been done about it (inspections, disposal actions, case status).

The grading shown is the newest run's (runs ordered by start time; run ids are random).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from fundrisk.errors import BadInput
from fundrisk.warehouse import explain_store as store
from fundrisk.warehouse.case_store import NOT_INSPECTED, case_states
from fundrisk.warehouse.db import Connection
from fundrisk.warehouse.registry_store import lookup_status_for, registry_flags_for
from fundrisk.warehouse.runs_store import scored_runs

LEAD_PREFIX = "WZ-"  # lead ids (enrichers/leads.py) start with this


def explain(con: Connection, uscc: str) -> dict[str, Any]:
    """The DESIGN.md explain object: uscc, name, score, tier, reasons (once each), alerts, clues, run_id,
    scored_at, inspections, actions and status."""
    code = uscc.strip().upper()
    if code.startswith(LEAD_PREFIX):
        return explain_lead(con, uscc.strip())
    reg = store.registration(con, code)
    if reg.height == 0:
        raise BadInput(f"数据库中没有统一社会信用代码为「{code}」的登记主体，请先导入工商登记数据")
    links = store.entity_links_of(con, code)
    reasons: list[str] = []
    grading = _score(con, code, reasons)
    keyword = store.keyword_of(con, code)
    if keyword.height and keyword["reason"][0]:
        reasons.append(f"敏感字样：{keyword['reason'][0]}")
    relations = store.relations_of(con, code)
    # The score's own reasons may already name a tie (关联风险：…): say each tie once.
    reasons.extend(
        f"{'弱关联' if weak else '关联风险主体'}：{r}"
        for r, weak in relations.iter_rows()
        if r and not any(r in given for given in reasons)
    )
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
        "score": grading["score"],
        "tier": grading["tier"],
        "reasons": _unique(reasons),
        "alerts": alerts,
        "clues": clues,
        "run_id": grading["run_id"],
        "scored_at": grading["scored_at"],
        **_disposal(con, "registration", code),
    }


def explain_lead(con: Connection, lead_id: str) -> dict[str, Any]:
    """The same object for an unregistered-operator lead (无照经营线索); its id stands in for the code."""
    lead = store.lead(con, lead_id)
    if lead.height == 0:
        raise BadInput(f"数据库中没有编号为「{lead_id}」的无照经营线索")
    members = store.lead_members_of(con, lead_id)
    reasons = [f"无照经营线索：线索中出现的名称 {lead['names'][0] or lead['name'][0]}"]
    if lead["address_key"][0]:
        reasons.append(f"经营地址：{lead['address_key'][0]}")
    grading = _score(con, lead_id, reasons)
    return {
        "uscc": lead_id,
        "name": lead["name"][0],
        "score": grading["score"],
        "tier": grading["tier"],
        "reasons": _unique(reasons),
        "alerts": members.filter(members["source_kind"] == "alert")["source_id"].to_list(),
        "clues": members.filter(members["source_kind"] == "clue")["source_id"].to_list(),
        "run_id": grading["run_id"],
        "scored_at": grading["scored_at"],
        **_disposal(con, "lead", lead_id),
    }


def _score(con: Connection, code: str, reasons: list[str]) -> dict[str, Any]:
    """score, tier, run_id and scored_at of the newest run that graded the subject (all None before any)."""
    empty: dict[str, Any] = {"score": None, "tier": None, "run_id": None, "scored_at": None}
    rows = store.scores_of(con, code)
    if rows.height == 0:
        return empty
    order = {run: i for i, run in enumerate(scored_runs(con))}
    newest = (
        rows.with_columns(
            rows["run_id"].replace_strict(order, default=-1, return_dtype=pl.Int64).alias("seq")
        )
        .sort(["seq", "scored_at"], nulls_last=False)
        .row(-1, named=True)
    )
    if newest["reasons"]:
        reasons.extend(str(newest["reasons"]).split("\n"))
    scored_at = newest["scored_at"]
    return {
        "score": float(newest["score"]),
        "tier": str(newest["tier"]),
        "run_id": str(newest["run_id"]),
        "scored_at": scored_at.isoformat(timespec="seconds") if isinstance(scored_at, dt.datetime) else None,
    }


def _unique(reasons: list[str]) -> list[str]:
    """Reasons once each, first occurrence kept, blanks dropped."""
    return list(dict.fromkeys(r.strip() for r in reasons if r and r.strip()))


def _iso(value: object) -> str | None:
    return value.isoformat() if isinstance(value, dt.date) else None


def _disposal(con: Connection, kind: str, code: str) -> dict[str, Any]:
    """Inspections (newest first), disposal actions (in date order) and the case status (case_store)."""
    inspections: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    if kind == "registration":  # inspections and actions are filed by credit code; a lead has none
        inspections = store.inspections_of(con, code).to_dicts()
        actions = store.actions_of(con, code).to_dicts()
    states = case_states(con, subject_id=code).filter(pl.col("subject_kind") == kind)
    return {
        "inspections": [
            {k: _iso(v) if k == "inspected_on" else v for k, v in r.items()} for r in inspections
        ],
        "actions": [{k: v if k == "action" else _iso(v) for k, v in r.items()} for r in actions],
        "status": str(states["status"][0]) if states.height else NOT_INSPECTED,
    }
