"""Reads behind one subject's case file (风险机构档案): every record the warehouse holds about it.

`dossier_frames(con, kind, code)` returns one frame per section, English column names, rows in date
order; the renderer (fundrisk/publish/dossier.py) names, masks and lays them out. A table a database
does not have yet (surveys before the 排查登记 kind, evidence_files in an old file opened read-only)
gives an empty section instead of an error, so the case file works before and after those arrive.
"""

from __future__ import annotations

import duckdb
import polars as pl

from fundrisk.warehouse.frames import read

# The linked records of a subject: resolver links for a registration, lead members for a lead; a record
# that names the code itself (alerts.uscc, surveys.uscc) counts even before the resolver ran.
_LINKS = """
links AS (
    SELECT source_kind, source_id, method, score FROM entity_links
    WHERE $kind = 'registration' AND uscc = $code
    UNION ALL
    SELECT source_kind, source_id, '无照经营线索归并', NULL FROM lead_members
    WHERE $kind = 'lead' AND lead_id = $code
), linked AS (
    SELECT * FROM links
    QUALIFY row_number() OVER (PARTITION BY source_kind, source_id ORDER BY score DESC NULLS LAST) = 1
)"""

QUERIES: dict[str, tuple[tuple[str, ...], str]] = {
    # section: (tables it needs, SQL with $kind / $code)
    "registration": (
        ("registrations",),
        "SELECT uscc, name, entity_type, status, registered_capital, established_on, industry, address, "
        "town, grid, business_scope FROM registrations WHERE $kind = 'registration' AND uscc = $code",
    ),
    "lead": (
        ("leads",),
        "SELECT lead_id, name, names, address_key, town, clue_count, alert_count FROM leads "
        "WHERE $kind = 'lead' AND lead_id = $code LIMIT 1",
    ),
    "persons": (
        ("registrations", "alerts", "entity_links", "lead_members", "registry_basic"),
        f"""WITH {_LINKS}
        SELECT '法定代表人' AS role, legal_rep AS person, legal_rep_id AS id_number, phone,
            NULL::VARCHAR AS account_no, '工商登记' AS source
        FROM registrations WHERE $kind = 'registration' AND uscc = $code AND legal_rep IS NOT NULL
        UNION ALL
        SELECT DISTINCT '法定代表人（工商信息查询）', legal_rep, NULL, NULL, NULL, coalesce(provider, '工商信息')
        FROM registry_basic WHERE $kind = 'registration' AND uscc = $code AND legal_rep IS NOT NULL
        UNION ALL
        SELECT '账户户名', any_value(a.account_name), any_value(a.holder_id), NULL, a.account_no,
            '资金异动预警 ' || string_agg(a.alert_id, '、' ORDER BY a.alert_id)
        FROM alerts a JOIN linked l ON l.source_kind = 'alert' AND l.source_id = a.alert_id
        GROUP BY a.account_no""",  # noqa: S608 — constant CTE text; values are parameters
    ),
    "registry": (
        ("registry_basic", "registry_flags"),
        "SELECT b.name, b.legal_rep, b.status, b.registered_capital, b.established_on, b.entity_type, "
        "b.address, b.scope, b.provider, f.reasons AS flags FROM registry_basic b "
        "LEFT JOIN registry_flags f USING (uscc) WHERE $kind = 'registration' AND b.uscc = $code",
    ),
    "registry_events": (
        ("registry_abnormal", "registry_lawsuits", "registry_changes"),
        """SELECT listed_on AS event_on, '经营异常' AS category, listed_reason AS detail,
            listed_by AS source, CASE WHEN is_current THEN '未移出' ELSE '已移出' END AS state
        FROM registry_abnormal WHERE $kind = 'registration' AND uscc = $code
        UNION ALL
        SELECT judged_on, '涉诉' || CASE WHEN is_fundraising THEN '（非法集资）' WHEN is_lending
            THEN '（民间借贷）' ELSE '' END, concat_ws(' ', case_no, title, case_reason), court, doc_type
        FROM registry_lawsuits WHERE $kind = 'registration' AND uscc = $code
        UNION ALL
        SELECT changed_on, '变更：' || coalesce(item, category, ''), concat_ws(' → ', before, after), NULL, NULL
        FROM registry_changes WHERE $kind = 'registration' AND uscc = $code
        ORDER BY event_on NULLS LAST, category""",
    ),
    "alerts": (
        ("alerts", "entity_links", "lead_members"),
        f"""WITH {_LINKS}
        SELECT a.alert_id, a.alert_date, a.bank, a.alert_type, a.account_name, a.account_no,
            a.inflow_amount, a.outflow_amount, a.txn_count, a.payer_count, a.elderly_payer_share,
            a.out_of_region_payer_share, coalesce(l.method, '预警载明代码') AS method
        FROM alerts a LEFT JOIN linked l ON l.source_kind = 'alert' AND l.source_id = a.alert_id
        WHERE l.source_id IS NOT NULL OR ($kind = 'registration' AND a.uscc = $code)
        ORDER BY a.alert_date, a.alert_id""",  # noqa: S608 — constant CTE text; values are parameters
    ),
    "clues": (
        ("clues", "entity_links", "lead_members"),
        f"""WITH {_LINKS}
        SELECT c.clue_id, c.received_on, c.channel, c.subject_name, c.content, c.reporter_name,
            c.reporter_phone, c.claimed_participants, c.claimed_amount, l.method
        FROM clues c JOIN linked l ON l.source_kind = 'clue' AND l.source_id = c.clue_id
        ORDER BY c.received_on, c.clue_id""",  # noqa: S608 — constant CTE text; values are parameters
    ),
    "surveys": (
        ("surveys", "entity_links", "lead_members"),
        f"""WITH {_LINKS}
        SELECT s.survey_id, s.surveyed_on, s.town, s.grid, s.address, s.signboard, s.found, s.reporter,
            s.evidence, coalesce(l.method, '登记载明代码') AS method
        FROM surveys s LEFT JOIN linked l ON l.source_kind = 'survey' AND l.source_id = s.survey_id
        WHERE l.source_id IS NOT NULL OR ($kind = 'registration' AND s.uscc = $code)
        ORDER BY s.surveyed_on, s.survey_id""",  # noqa: S608 — constant CTE text; values are parameters
    ),
    "inspections": (
        ("inspections",),
        "SELECT inspected_on, conclusion, team, notes FROM inspections "
        "WHERE $kind = 'registration' AND uscc = $code ORDER BY inspected_on",
    ),
    "actions": (
        ("actions",),
        "SELECT action_on, action, unit, deadline, notes, "
        "deadline IS NOT NULL AND deadline < current_date AND action NOT IN ('复查', '销号') AND NOT EXISTS ("
        "  SELECT 1 FROM actions r WHERE r.uscc = a.uscc AND r.action IN ('复查', '销号')"
        "  AND r.action_on >= a.action_on) AS overdue "
        "FROM actions a WHERE $kind = 'registration' AND uscc = $code ORDER BY action_on, action",
    ),
    "tiers": (
        ("risk_scores", "runs"),
        """SELECT coalesce(r.started_at, s.scored_at)::DATE AS run_on, s.run_id, round(s.score, 1) AS score,
            s.tier, lag(s.tier) OVER (ORDER BY coalesce(r.started_at, s.scored_at), s.run_id) AS previous_tier,
            s.disposal, s.department
        FROM risk_scores s LEFT JOIN runs r USING (run_id)
        WHERE s.subject_id = $code AND s.subject_kind = $kind AND coalesce(r.status, '') <> 'failed'
        QUALIFY row_number() OVER (PARTITION BY s.run_id ORDER BY s.scored_at DESC NULLS LAST) = 1
        ORDER BY coalesce(r.started_at, s.scored_at), s.run_id""",
    ),
    "events": (
        ("ledger_events",),
        "SELECT event_on, event, unit, deadline, source, detail, "
        "date_trunc('second', recorded_at) AS recorded_at FROM ledger_events "
        "WHERE subject_kind = $kind AND subject_id = $code AND source <> 'actions' "
        "ORDER BY event_on NULLS LAST, recorded_at",
    ),
    "evidence": (
        ("evidence_files",),
        "SELECT file_name, sha256, size_bytes, media_type, "
        "date_trunc('second', registered_at) AS registered_at, note, path FROM evidence_files "
        "WHERE subject_id = $code ORDER BY registered_at, file_name",
    ),
}


def tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def subject_kind(con: duckdb.DuckDBPyConnection, code: str) -> tuple[str, str] | None:
    """('registration', uscc) or ('lead', WZ-id) for a code the warehouse knows, else None."""
    present = tables(con)
    if code.upper().startswith("WZ-"):
        if "leads" in present and read(con, "SELECT 1 FROM leads WHERE lead_id = ? LIMIT 1", [code]).height:
            return "lead", code
        return None
    uscc = code.upper()
    if read(con, "SELECT 1 FROM registrations WHERE uscc = ? LIMIT 1", [uscc]).height:
        return "registration", uscc
    return None


def dossier_frames(con: duckdb.DuckDBPyConnection, kind: str, code: str) -> dict[str, pl.DataFrame]:
    """One frame per section of QUERIES; a section whose tables are missing is an empty frame."""
    present = tables(con)
    values: dict[str, object] = {"kind": kind, "code": code}
    return {
        name: read(con, sql, {k: v for k, v in values.items() if f"${k}" in sql})
        if set(needs) <= present
        else pl.DataFrame()
        for name, (needs, sql) in QUERIES.items()
    }
