"""Reads behind the exports and writes of their records (pushes, ledger events)."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from fundrisk.warehouse.db import transaction
from fundrisk.warehouse.features_sql import FEATURES_SQL, features_params
from fundrisk.warehouse.features_store import has_run_features, run_feature_columns
from fundrisk.warehouse.frames import append, read
from fundrisk.warehouse.inspections_sql import latest_inspections
from fundrisk.warehouse.runs_store import latest_run
from scoring.config import tier_rank_sql, tier_scale

# A tier column's rank (lowest tier 0); the names travel as the parameter $tier_order (`tier_params()`).
TIER_RANK_SQL = tier_rank_sql("{col}")


def tier_params() -> dict[str, object]:
    """The parameter TIER_RANK_SQL reads: tiers.toml's names, lowest first."""
    return {"tier_order": tier_scale().ascending}


# One subject per row of a run (the last written row wins if a subject repeats).
SCORES_SQL = """
SELECT subject_kind, subject_id, name AS score_name, score, tier, disposal, department, reasons,
    expected_yield, scored_at
FROM risk_scores WHERE run_id = $run
QUALIFY row_number() OVER (PARTITION BY subject_kind, subject_id ORDER BY scored_at DESC NULLS LAST) = 1
"""


# Name, people, contact and place of the registered entities and unregistered leads in `scope` (a CTE of
# subject_kind, subject_id), or of every one: at a province the exports' few hundred thousand subjects are
# looked up, not ten million registrations joined.
def details_sql(scope: str | None = None) -> str:
    reg = lead = lead_member = ""
    if scope:
        reg = f"SEMI JOIN {scope} k ON k.subject_kind = 'registration' AND k.subject_id = registrations.uscc"
        lead = f"SEMI JOIN {scope} k ON k.subject_kind = 'lead' AND k.subject_id = leads.lead_id"
        lead_member = f"AND m.lead_id IN (SELECT subject_id FROM {scope} WHERE subject_kind = 'lead')"  # noqa: S608
    return f"""
WITH lead_clues AS (
    SELECT m.lead_id, c.subject_address, c.grid, c.town
    FROM lead_members m JOIN clues c ON m.source_kind = 'clue' AND c.clue_id = m.source_id {lead_member}
    UNION ALL  -- alerts have no place columns; a bank's file may add them (kept in extra)
    SELECT m.lead_id,
        coalesce(a.extra ->> '$.经营地址', a.extra ->> '$.地址', a.extra ->> '$.开户地址'),
        coalesce(a.extra ->> '$.网格', a.extra ->> '$.所属网格'),
        coalesce(a.extra ->> '$.所属镇街', a.extra ->> '$.镇街')
    FROM lead_members m JOIN alerts a ON m.source_kind = 'alert' AND a.alert_id = m.source_id {lead_member}
), place_votes AS (
    SELECT lead_id, place, value, count(*) AS n
    FROM lead_clues UNPIVOT (value FOR place IN (subject_address, grid, town))
    WHERE value <> '' GROUP BY ALL
), lead_place AS (  -- the most frequent value; a tie goes to the first in order (mode() picked at random)
    SELECT lead_id,
        arg_min(value, (-n, value)) FILTER (WHERE place = 'subject_address') AS address,
        arg_min(value, (-n, value)) FILTER (WHERE place = 'grid') AS grid,
        arg_min(value, (-n, value)) FILTER (WHERE place = 'town') AS town
    FROM place_votes GROUP BY lead_id
)
SELECT 'registration' AS subject_kind, uscc AS subject_id, uscc, name, legal_rep, legal_rep_id,
    phone, industry, address, town, grid
FROM registrations {reg}
UNION ALL BY NAME
SELECT 'lead' AS subject_kind, l.lead_id AS subject_id, NULL::VARCHAR AS uscc, l.name,
    NULL::VARCHAR AS legal_rep, NULL::VARCHAR AS legal_rep_id, NULL::VARCHAR AS phone,
    NULL::VARCHAR AS industry, coalesce(p.address, l.address_key) AS address,
    coalesce(p.town, l.town) AS town, p.grid
FROM (SELECT * FROM leads {lead} QUALIFY row_number() OVER (PARTITION BY lead_id ORDER BY name) = 1) l
LEFT JOIN lead_place p USING (lead_id)
"""  # noqa: S608 — `scope` is a CTE name of the caller's constant SQL


# A registration's latest inspection conclusion (inspections_sql.latest_inspections, the one definition).
INSPECTED_SQL = f"""
SELECT 'registration' AS subject_kind, uscc AS subject_id, conclusion AS latest_conclusion
FROM ({latest_inspections()})
"""  # noqa: S608 — constant SQL text


def sources_sql(scope: str | None = None) -> str:
    """Per subject (of `scope`, a CTE of subject_kind, subject_id, or every one): distinct clue channels,
    matched sensitive words and the latest inspection conclusion."""
    links = members = same = ""
    if scope:
        links = f"SEMI JOIN {scope} k ON k.subject_kind = 'registration' AND k.subject_id = entity_links.uscc"
        members = f"SEMI JOIN {scope} k ON k.subject_kind = 'lead' AND k.subject_id = lead_members.lead_id"
        same = f"SEMI JOIN {scope} k USING (subject_kind, subject_id)"
    return f"""
WITH sources AS (
    SELECT DISTINCT 'registration' AS subject_kind, uscc AS subject_id, source_kind, source_id
    FROM entity_links {links}
    UNION
    SELECT 'lead', lead_id, source_kind, source_id FROM lead_members {members}
), channels AS (
    SELECT s.subject_kind, s.subject_id,
        string_agg(DISTINCT coalesce(nullif(c.channel, ''), '其他'), '、' ORDER BY coalesce(nullif(c.channel, ''), '其他')) AS channels
    FROM sources s JOIN clues c ON s.source_kind = 'clue' AND c.clue_id = s.source_id
    GROUP BY ALL
), terms AS (
    SELECT subject_kind, subject_id, string_agg(DISTINCT term, '、' ORDER BY term) AS terms
    FROM keyword_hits {same} WHERE term IS NOT NULL GROUP BY ALL
), inspected AS (
    SELECT * FROM ({INSPECTED_SQL}) {same}
), subjects AS (
    SELECT subject_kind, subject_id FROM channels
    UNION SELECT subject_kind, subject_id FROM terms
    UNION SELECT subject_kind, subject_id FROM inspected
)
SELECT s.subject_kind, s.subject_id, c.channels, t.terms, i.latest_conclusion
FROM subjects s
LEFT JOIN channels c USING (subject_kind, subject_id)
LEFT JOIN terms t USING (subject_kind, subject_id)
LEFT JOIN inspected i USING (subject_kind, subject_id)
"""  # noqa: S608 — constant SQL text; `scope` is a CTE name of the caller's constant SQL


SOURCES_SQL = sources_sql()


def latest_run_id(con: duckdb.DuckDBPyConnection) -> str | None:
    """The newest scored run by start time (runs_store.latest_run, the one definition)."""
    return latest_run(con)


def scored_rows(
    con: duckdb.DuckDBPyConnection, run_id: str, floor: int, features: list[str], conclusion: str | None
) -> pl.DataFrame:
    """Scores of a run at tier rank >= floor (or whose latest inspection concluded `conclusion`), joined
    in DuckDB with details, the run's persisted features and sources: only the kept rows leave the database.

    A run scored before run_features existed (an older file) has no persisted features: the current
    tables' features stand in, assembled by the scoring stage's own SQL (features_sql.py).
    """
    params: dict[str, object] = {"run": run_id, "floor": floor, "conclusion": conclusion, **tier_params()}
    if has_run_features(con, run_id):
        stored = set(run_feature_columns(con))
        kept = [c for c in features if c in stored]
        source = "SELECT * FROM run_features WHERE run_id = $run"
    else:
        kept = list(features)
        source = FEATURES_SQL
        params.update(features_params())
    cols = ", ".join(f'f."{c}"' for c in kept)
    rank = TIER_RANK_SQL.format(col="tier")
    # The kept subjects are chosen first (tier, or coalesce(insp.latest_conclusion, f.inspection_conclusion)
    # = $conclusion spelled as two small lookups), and details, features and sources are gathered for
    # them only: at ten million registrations, aggregating every subject's sources ran out of DuckDB's budget.
    sql = f"""
        WITH s AS ({SCORES_SQL}), insp AS ({INSPECTED_SQL}), f AS ({source}),
        wanted AS (
            SELECT subject_kind, subject_id FROM s WHERE {rank} >= $floor
            UNION
            SELECT subject_kind, subject_id FROM insp WHERE latest_conclusion = $conclusion
            UNION
            SELECT subject_kind, subject_id FROM f
            WHERE inspection_conclusion = $conclusion AND NOT EXISTS (
                SELECT 1 FROM insp WHERE insp.subject_kind = f.subject_kind AND insp.subject_id = f.subject_id
                    AND insp.latest_conclusion IS NOT NULL)
        ), kept AS (SELECT * FROM s SEMI JOIN wanted USING (subject_kind, subject_id)),
        src AS ({sources_sql("kept")}), d AS ({details_sql("kept")}),
        fk AS (SELECT * FROM f SEMI JOIN kept USING (subject_kind, subject_id))
        SELECT kept.*, d.* EXCLUDE (subject_kind, subject_id), {cols}{"," if cols else ""}
            src.* EXCLUDE (subject_kind, subject_id)
        FROM kept
        LEFT JOIN d USING (subject_kind, subject_id)
        LEFT JOIN fk AS f USING (subject_kind, subject_id)
        LEFT JOIN src USING (subject_kind, subject_id)
    """  # noqa: S608 - identifiers come from the table's own columns, values are parameters
    return read(con, sql, params)


def known_places(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Distinct (town, grid) pairs of registrations and clues: what a --town / --grid filter may name."""
    return read(
        con, "SELECT DISTINCT town, grid FROM registrations UNION SELECT DISTINCT town, grid FROM clues"
    )


def pushed_ranks(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Per credit code, the highest tier already pushed to the province (3 高, 2 中, 1 低)."""
    rank = TIER_RANK_SQL.format(col="tier")
    return read(con, f"SELECT uscc, max({rank}) AS pushed_rank FROM pushes GROUP BY uscc", tier_params())  # noqa: S608


def recorded_subjects(con: duckdb.DuckDBPyConnection, event: str, source: str) -> pl.DataFrame:
    """Subjects that already carry a ledger event of this kind from this source."""
    return read(
        con,
        "SELECT DISTINCT subject_kind, subject_id FROM ledger_events WHERE event = ? AND source = ?",
        [event, source],
    )


# An export records what was proposed or sent, never a disposal (DESIGN.md, ledger_events). Older
# databases named these events after the disposal; (old event, source) -> the name they carry now.
REFERRAL_EVENT = "建议移送"
PUSH_EVENT = "已推送"
RENAMED_EVENTS = {("移送公安", "referral"): REFERRAL_EVENT, ("推送省监测中心", "push"): PUSH_EVENT}


def rename_export_events(con: duckdb.DuckDBPyConnection) -> int:
    """Give export events recorded under a disposal's name their export name; returns the rows renamed."""
    renamed = 0
    for (old, source), new in RENAMED_EVENTS.items():
        rows = con.execute(
            "UPDATE ledger_events SET event = ? WHERE event = ? AND source = ?", [new, old, source]
        ).fetchall()
        renamed += int(rows[0][0]) if rows else 0
    return renamed


def record_pushes(con: duckdb.DuckDBPyConnection, pushes: pl.DataFrame, events: pl.DataFrame) -> None:
    """The pushed rows and their ledger events, together or not at all."""
    with transaction(con):
        append(con, "pushes", pushes.with_columns(pl.lit(dt.datetime.now()).alias("pushed_at")))
        record_events(con, events)


def record_events(con: duckdb.DuckDBPyConnection, events: pl.DataFrame) -> None:
    """Append ledger events (columns of ledger_events; recorded_at filled in here)."""
    if "recorded_at" not in events.columns:
        events = events.with_columns(pl.lit(dt.datetime.now()).alias("recorded_at"))
    append(con, "ledger_events", events)
