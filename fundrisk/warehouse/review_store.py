"""SQL of the review queues (fundrisk review): what awaits a person, what was decided, and the writes.

Decisions live in `review_decisions` (one row per queue item, the latest decision wins) and are echoed in
`ledger_events` (source 'review', actor = the reviewer). Resolution reads them back every run.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from fundrisk.warehouse.db import transaction
from fundrisk.warehouse.frames import append, read

_REASONS = """
SELECT f.sha256, f.kind, f.source_file, f.rows_quarantined, q.reason, count(*) AS n
FROM ingested_files f
JOIN _wanted w ON w.sha256 = f.sha256 AND w.kind = f.kind
JOIN quarantine q ON q.ingest_id = f.ingest_id
WHERE f.rows_quarantined > 0
GROUP BY ALL
ORDER BY f.source_file, f.kind, n DESC, q.reason
"""


def quarantine_reasons(con: duckdb.DuckDBPyConnection, files: pl.DataFrame) -> pl.DataFrame:
    """Per ingested file (sha256, kind): source_file, rows_quarantined, and each distinct reason with its rows."""
    con.register("_wanted", files.select("sha256", "kind"))
    try:
        return read(con, _REASONS)
    finally:
        con.unregister("_wanted")


def run_files(con: duckdb.DuckDBPyConnection, run_id: str) -> pl.DataFrame:
    """sha256, kind of every file a run ingested."""
    return read(con, "SELECT sha256, kind FROM ingested_files WHERE run_id = ?", [run_id])


# --- quarantine queue -------------------------------------------------------------------------------

_OPEN = "q.resolution IS NULL AND q.line IS NOT NULL"


def _only(con: duckdb.DuckDBPyConnection, keys: pl.DataFrame | None) -> str:
    """A semi-join on the registered keys (kind, ingest_id, line), or nothing when all open rows are wanted."""
    if keys is None:
        return ""
    con.register("_only", keys.select("kind", "ingest_id", pl.col("line").cast(pl.Int64)))
    return "AND EXISTS (SELECT 1 FROM _only o WHERE o.kind = q.kind AND o.ingest_id = q.ingest_id AND o.line = q.line)"


def open_quarantine(con: duckdb.DuckDBPyConnection, keys: pl.DataFrame | None = None) -> pl.DataFrame:
    """Quarantined rows nobody has resolved yet (all, or those of keys): kind, source_file, line, reason,
    ingest_id, positional (the raw record is a list of fields, not {header: value}), raw."""
    try:
        return read(
            con,
            f"""SELECT q.kind, q.source_file, q.line, q.reason, q.ingest_id,
                coalesce(json_type(q.raw) = 'ARRAY', false) AS positional, q.raw
            FROM quarantine q WHERE {_OPEN} {_only(con, keys)}
            ORDER BY q.quarantined_at, q.source_file, q.line""",  # noqa: S608 — constant fragments only
        )
    finally:
        if keys is not None:
            con.unregister("_only")


def quarantine_cells(con: duckdb.DuckDBPyConnection, keys: pl.DataFrame | None = None) -> pl.DataFrame:
    """ingest_id, line, kind, header, value: every raw value of the open rows kept as an object."""
    try:
        return read(
            con,
            f"""SELECT q.ingest_id, q.line, q.kind, j.key AS header, j.value ->> '$' AS value
            FROM quarantine q, json_each(q.raw) j
            WHERE {_OPEN} AND json_type(q.raw) = 'OBJECT' {_only(con, keys)}
            ORDER BY q.ingest_id, q.line, j.id""",  # noqa: S608 — constant fragments only
        )
    finally:
        if keys is not None:
            con.unregister("_only")


def quarantine_rows(con: duckdb.DuckDBPyConnection, keys: pl.DataFrame) -> pl.DataFrame:
    """The quarantined rows (open or not) named by keys (kind, ingest_id, line), with their resolution."""
    con.register("_keys", keys.select("kind", "ingest_id", pl.col("line").cast(pl.Int64)))
    try:
        return read(
            con,
            """SELECT q.kind, q.source_file, q.line, q.ingest_id, q.resolution
            FROM quarantine q JOIN _keys k USING (kind, ingest_id, line)""",
        )
    finally:
        con.unregister("_keys")


# --- doubtful links ---------------------------------------------------------------------------------

_OPEN_LINKS = """
WITH decided AS (
    SELECT ref_kind, ref_id, target_id, decision FROM review_decisions WHERE queue = 'link'
), wanted AS (
    SELECT DISTINCT source_kind, source_id FROM link_review
), src AS (
    SELECT 'alert' AS source_kind, a.alert_id AS source_id, NULL::VARCHAR AS address, NULL::VARCHAR AS town,
        a.alert_date AS dated,
        concat_ws('，', a.alert_type, a.bank, '转入 ' || round(a.inflow_amount / 10000, 2) || ' 万元',
            CASE WHEN a.payer_count IS NOT NULL THEN '对手方 ' || a.payer_count || ' 个' END) AS content
    FROM alerts a JOIN wanted w ON w.source_kind = 'alert' AND w.source_id = a.alert_id
    UNION ALL BY NAME
    SELECT 'clue', c.clue_id, c.subject_address, c.town, c.received_on, left(c.content, 120)
    FROM clues c JOIN wanted w ON w.source_kind = 'clue' AND w.source_id = c.clue_id
    UNION ALL BY NAME
    SELECT 'survey', s.survey_id, s.address, s.town, s.surveyed_on, left(s.found, 120)
    FROM surveys s JOIN wanted w ON w.source_kind = 'survey' AND w.source_id = s.survey_id
)
SELECT r.source_kind, r.source_id, r.subject_name, s.address AS source_address, s.town AS source_town,
    s.dated AS source_date, s.content AS source_content, r.rank, r.uscc, r.candidate_name,
    g.address AS reg_address, g.town AS reg_town, g.legal_rep, g.status AS reg_status, r.score, r.method
FROM link_review r
LEFT JOIN src s USING (source_kind, source_id)
LEFT JOIN registrations g ON g.uscc = r.uscc
WHERE NOT EXISTS (
        SELECT 1 FROM decided d
        WHERE d.ref_kind = r.source_kind AND d.ref_id = r.source_id AND d.target_id = r.uscc)
    AND NOT EXISTS (
        SELECT 1 FROM decided d
        WHERE d.decision = 'confirm' AND d.ref_kind = r.source_kind AND d.ref_id = r.source_id)
ORDER BY r.source_kind, r.source_id, r.rank
"""


def open_links(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """link_review candidates not yet decided, with the record's and the registration's facts."""
    return read(con, _OPEN_LINKS)


def existing_links(con: duckdb.DuckDBPyConnection, keys: pl.DataFrame) -> pl.DataFrame:
    """The (ref_kind, ref_id, target_id) link keys whose record and registration both exist."""
    con.register("_keys", keys.select("ref_kind", "ref_id", "target_id"))
    try:
        return read(
            con,
            """SELECT k.* FROM _keys k
            WHERE EXISTS (SELECT 1 FROM registrations g WHERE g.uscc = k.target_id)
              AND (EXISTS (SELECT 1 FROM alerts a WHERE k.ref_kind = 'alert' AND a.alert_id = k.ref_id)
                OR EXISTS (SELECT 1 FROM clues c WHERE k.ref_kind = 'clue' AND c.clue_id = k.ref_id)
                OR EXISTS (SELECT 1 FROM surveys s WHERE k.ref_kind = 'survey' AND s.survey_id = k.ref_id))""",
        )
    finally:
        con.unregister("_keys")


def reviewed_links(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """source_kind, source_id, uscc, decision ('confirm' | 'reject'), oldest decision first."""
    return read(
        con,
        """SELECT ref_kind AS source_kind, ref_id AS source_id, target_id AS uscc, decision
        FROM review_decisions WHERE queue = 'link' AND decision IN ('confirm', 'reject')
        ORDER BY decided_at, ref_kind, ref_id, target_id""",
    )


# --- leads that may be one operator -----------------------------------------------------------------


def current_leads(con: duckdb.DuckDBPyConnection) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(leads: lead_id, name, core, address_key, town, names, records; holders: lead_id, holder_id)."""
    leads = read(
        con,
        """SELECT lead_id, any_value(name) AS name, any_value(core) AS core,
            any_value(address_key) AS address_key, any_value(town) AS town, any_value(names) AS names,
            any_value(coalesce(clue_count, 0) + coalesce(alert_count, 0)) AS records
        FROM leads GROUP BY lead_id ORDER BY lead_id""",
    )
    holders = read(
        con,
        """SELECT DISTINCT m.lead_id, upper(replace(a.holder_id, ' ', '')) AS holder_id
        FROM lead_members m JOIN alerts a ON m.source_kind = 'alert' AND a.alert_id = m.source_id
        WHERE nullif(trim(a.holder_id), '') IS NOT NULL""",
    )
    return leads, holders


def decided_keys(con: duckdb.DuckDBPyConnection, queue: str) -> pl.DataFrame:
    """Every decided item of a queue: ref_kind, ref_id, target_id, decision, note, outcome."""
    return read(
        con,
        "SELECT ref_kind, ref_id, target_id, decision, note, outcome FROM review_decisions WHERE queue = ?",
        [queue],
    )


def merged_lead_members(con: duckdb.DuckDBPyConnection) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(pairs: lead_a, lead_b decided 合并; members: lead_id, member of the last run's leads)."""
    pairs = read(
        con,
        """SELECT ref_id AS lead_a, target_id AS lead_b FROM review_decisions
        WHERE queue = 'lead' AND decision = 'merge' ORDER BY decided_at""",
    )
    members = read(
        con,
        """SELECT DISTINCT lead_id, source_kind || ':' || source_id AS member FROM lead_members
        WHERE lead_id IN (SELECT ref_id FROM review_decisions WHERE queue = 'lead' AND decision = 'merge'
            UNION SELECT target_id FROM review_decisions WHERE queue = 'lead' AND decision = 'merge')""",
    )
    return pairs, members


# --- writes -----------------------------------------------------------------------------------------


def save_decisions(
    con: duckdb.DuckDBPyConnection,
    decisions: pl.DataFrame,
    events: pl.DataFrame,
    resolved: pl.DataFrame,
) -> None:
    """Decisions (upserted by queue item), their ledger events and resolved quarantine rows, together.

    decisions: DECISION_COLUMNS + reviewer, decided_at, review_file; events: ledger_events columns;
    resolved: kind, ingest_id, line, resolution, resolved_by, resolved_at.
    """
    if not decisions.height:
        return
    con.register("_decisions", decisions)
    con.register("_resolved", resolved)
    try:
        with transaction(con):
            con.execute("INSERT OR REPLACE INTO review_decisions BY NAME SELECT * FROM _decisions")
            append(con, "ledger_events", events)
            if resolved.height:
                con.execute(
                    """UPDATE quarantine SET resolution = r.resolution, resolved_by = r.resolved_by,
                        resolved_at = r.resolved_at
                    FROM _resolved r
                    WHERE quarantine.kind = r.kind AND quarantine.ingest_id = r.ingest_id
                        AND quarantine.line = r.line"""
                )
    finally:
        con.unregister("_decisions")
        con.unregister("_resolved")


def now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)
